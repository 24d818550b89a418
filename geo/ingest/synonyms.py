"""Synonym tables: input spellings of column names and of controlled values.

Values are written ``"a|b|c"`` (alternatives separated by ``|``) to keep the tables short; value
spellings are matched after :func:`geo.ingest.values.value_key` (lower case, single spaces), column
names
after :func:`geo.ingest.schema.normalise_name` (lower case, ``_`` between words). Edit here to
accept a
new spelling; users can also map values in their mapping file (see :mod:`geo.ingest.schema`).
"""

from __future__ import annotations

from typing import Final


def _table(groups: dict[str, str]) -> dict[str, str]:
    """``{canonical: "a|b"}`` -> ``{"a": canonical, "b": canonical}`` (first wins)."""
    out: dict[str, str] = {}
    for canonical, spellings in groups.items():
        for spelling in spellings.split("|"):
            out.setdefault(spelling, canonical)
    return out


def _names(groups: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """``{canonical: "a|b"}`` -> ``{canonical: ("a", "b")}``."""
    return {canonical: tuple(names.split("|")) for canonical, names in groups.items()}


#: Category spellings -> :data:`geo.vocab.CATEGORIES` (CIN factor codes too).
CATEGORY: Final[dict[str, str]] = _table(
    {
        "CSE": (
            "cse|child sexual exploitation|sexual exploitation|11a|"
            "cse concern|child sexual abuse and exploitation|"
            "sexual exploitation of a child"
        ),
        "CCE": (
            "cce|child criminal exploitation|criminal exploitation|24a|"
            "cce concern|criminal exploitation of a child"
        ),
        "county lines": (
            "county lines|county line|countylines|drug running|drugs line|county lines exploitation"
        ),
        "trafficking/modern slavery": (
            "trafficking/modern slavery|trafficking|modern slavery|"
            "human trafficking|child trafficking|nrm|"
            "national referral mechanism|12a|trafficking / modern slavery|"
            "modern slavery/trafficking|labour exploitation"
        ),
        "child-on-child abuse": (
            "child-on-child abuse|child on child abuse|child on child|"
            "child-on-child|peer on peer|peer-on-peer|peer on peer abuse|"
            "peer-on-peer abuse|peer abuse|harmful sexual behaviour|hsb|"
            "18b|19b"
        ),
        "online": (
            "online|online abuse|online exploitation|online grooming|"
            "online harm|sextortion|image based abuse|image-based abuse"
        ),
        "gangs/serious youth violence": (
            "gangs/serious youth violence|gangs|gang|gang affiliation|"
            "gang related|serious youth violence|syv|youth violence|"
            "knife crime|13a|gangs / serious youth violence"
        ),
        "other": "other",
    }
)

#: Location type spellings -> :data:`geo.vocab.LOCATION_TYPES`.
LOCATION_TYPE: Final[dict[str, str]] = _table(
    {
        "park": (
            "park|playground|park/playground|recreation ground|rec|"
            "green space|playing fields|woods|woodland"
        ),
        "hotel": (
            "hotel|motel|b&b|bed and breakfast|guest house|guesthouse|"
            "short term let|short-term let|airbnb|hostel"
        ),
        "takeaway/food": (
            "takeaway/food|takeaway|take away|fast food|food|restaurant|"
            "cafe|café|chicken shop|food outlet"
        ),
        "licensed premises": (
            "licensed premises|pub|bar|club|nightclub|night club|off licence|off-licence|licensed"
        ),
        "transport hub": (
            "transport hub|bus station|train station|railway station|"
            "station|interchange|taxi rank|bus stop|transport|tram stop"
        ),
        "school/college": (
            "school/college|school|college|academy|pru|pupil referral unit|university|education"
        ),
        "shop/shopping centre": (
            "shop/shopping centre|shop|shopping centre|shopping center|"
            "supermarket|retail|mall|store|shopping"
        ),
        "residential": (
            "residential|home|house|flat|address|private address|"
            "private dwelling|dwelling|home address"
        ),
        "street/public space": (
            "street/public space|street|public space|road|alley|alleyway|"
            "car park|underpass|town centre|public place|open space"
        ),
        "other": "other",
    }
)

#: Reporting agency spellings -> :data:`geo.vocab.AGENCIES`.
AGENCY: Final[dict[str, str]] = _table(
    {
        "police": (
            "police|police force|west yorkshire police|"
            "west midlands police|btp|british transport police"
        ),
        "children's social care": (
            "children's social care|childrens social care|csc|social care|"
            "social services|children's services|childrens services|"
            "social worker|mash"
        ),
        "health": ("health|nhs|gp|hospital|a&e|school nurse|camhs|sexual health|health visitor"),
        "education": "education|school|college|teacher|academy",
        "licensing": "licensing|council licensing|licensing authority",
        "hotel/taxi trade": (
            "hotel/taxi trade|hotel|taxi|taxi driver|private hire|"
            "hotel staff|hotel trade|taxi trade"
        ),
        "youth service": (
            "youth service|youth services|youth work|youth worker|"
            "youth offending|yot|yjs|youth justice"
        ),
        "voluntary/community": (
            "voluntary/community|voluntary|community|charity|vcs|"
            "third sector|voluntary sector|community group"
        ),
        "young person": "young person|child|self|self referral|self-referral|yp",
        "parent/carer": "parent/carer|parent|carer|family|foster carer|guardian",
        "other": "other",
    }
)

#: Risk level spellings -> :data:`geo.vocab.RISK_LEVELS`.
RISK: Final[dict[str, str]] = _table(
    {
        "low": "low|l|green|low risk",
        "medium": "medium|med|m|moderate|amber|medium risk",
        "high": "high|h|red|high risk|very high",
        "not assessed": "not assessed|unassessed|not known|unknown|n/a|na|none|tbc",
    }
)

#: SSDA903 missing codes (M, A) and words -> :data:`geo.vocab.EPISODE_TYPES`.
EPISODE: Final[dict[str, str]] = _table(
    {
        "missing": "missing|m|missing from home|missing from care|mfh",
        "away without authorisation": (
            "away without authorisation|a|away|absent|awol|"
            "absent without authorisation|"
            "away from placement without authorisation|"
            "unauthorised absence"
        ),
    }
)

#: SSDA903 ``PLACE`` codes and words -> :data:`geo.vocab.PLACEMENT_TYPES`. K1 secure children's
#: home, K2 children's home, H5 semi-independent, P2 independent living, S1 residential school,
#: U1-U6 (and old Q1/Q2) foster care; adoption (A3-A6), with parents (P1), employment (P3), care
#: homes/NHS/family centres/YOI (R1-R5), temporary (T0-T4) and Z1 have no better fit: other.
PLACEMENT: Final[dict[str, str]] = _table(
    {
        "secure": ("k1|secure|secure unit|secure children's home|secure childrens home"),
        "children's home": (
            "k2|children's home|childrens home|children home|"
            "residential home|residential children's home|"
            "residential care"
        ),
        "supported/semi-independent": (
            "h5|p2|supported/semi-independent|semi-independent|"
            "semi independent|supported accommodation|supported lodgings|"
            "supported living|independent living|supported"
        ),
        "residential school": "s1|residential school|boarding school",
        "foster care": (
            "u1|u2|u3|u4|u5|u6|q1|q2|foster care|foster|fostering|"
            "foster placement|kinship care|connected person|"
            "family and friends"
        ),
        "other": "a3|a4|a5|a6|p1|p3|r1|r2|r3|r5|t0|t1|t2|t3|t4|z1|other",
    }
)

#: SSDA903 ``PLACE_PROVIDER`` codes PR0-PR5 and words -> the code.
PROVIDER: Final[dict[str, str]] = _table(
    {
        "PR0": ("pr0|parent|parents|parent or other person with parental responsibility"),
        "PR1": (
            "pr1|own provision|own|own la|in-house|in house|"
            "local authority|own provision (by the local authority)|la"
        ),
        "PR2": (
            "pr2|other local authority|other la|other local authority provision|other la provision"
        ),
        "PR3": "pr3|other public|other public provision|public",
        "PR4": "pr4|private|private provision|independent|private sector",
        "PR5": (
            "pr5|voluntary|voluntary/third sector provision|third sector|charity|voluntary sector"
        ),
    }
)

#: Column synonyms per kind (canonical column -> accepted normalised input names).
COLUMN_SYNONYMS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "concerns": _names(
        {
            "record_id": (
                "id|ref|reference|concern_id|concern_ref|record|record_ref|"
                "incident_id|incident_ref|report_id|referral_id"
            ),
            "reported_date": (
                "date|date_reported|report_date|reported|reported_on|"
                "concern_date|date_of_concern|incident_date|referral_date"
            ),
            "category": (
                "concern_category|concern_type|type|exploitation_type|"
                "harm_type|category_of_concern|risk_type"
            ),
            "location_type": "place_type|venue_type|location_category|setting",
            "reporting_agency": (
                "agency|source_agency|referring_agency|referrer|reported_by|referral_source"
            ),
            "risk_level": "risk|risk_rating|level_of_risk|rag|risk_grade",
            "child_ref": (
                "child_id|child|child_reference|person_ref|young_person_id|"
                "yp_ref|pseudonymous_id|subject_ref"
            ),
            "age": "age_years|child_age|age_at_report|age_at_concern",
            "place_name": ("location_name|place|venue|venue_name|location_description|location"),
            "source_reliability": "reliability|source_grade|grading|intelligence_grade",
            "summary": "description|notes|narrative|details|comments|text",
        }
    ),
    "missing_episodes": _names(
        {
            "episode_id": (
                "id|ref|missing_id|episode|episode_ref|mfh_id|missing_episode_id|episode_reference"
            ),
            "child_ref": (
                "child_id|child|child_reference|person_ref|young_person_id|"
                "yp_ref|pseudonymous_id|la_child_id"
            ),
            "start": (
                "start_date|date_missing|missing_date|missing_from|"
                "date_went_missing|start_datetime|missing_start|mis_start"
            ),
            "end": (
                "end_date|date_found|found_date|date_returned|returned_date|"
                "end_datetime|missing_end|mis_end"
            ),
            "episode_type": (
                "type|missing_type|absence_type|episode_category|missing_status|mis_type"
            ),
            "looked_after": ("cla|lac|is_looked_after|child_looked_after|looked_after_child"),
            "placing_authority": (
                "placing_la|responsible_la|la|local_authority|placing_council|la_code"
            ),
            "rhi_offered": (
                "rhi_offer|return_interview_offered|return_home_interview_offered|mis_rhi_offered"
            ),
            "rhi_accepted": (
                "return_interview_accepted|return_home_interview_accepted|mis_rhi_accepted"
            ),
            "rhi_date": ("return_interview_date|return_home_interview_date|rhi_completed_date"),
            "risk_level": "risk|risk_rating|level_of_risk|rag|risk_grade",
        }
    ),
    "placements": _names(
        {
            "placement_id": "id|ref|placement_ref|placement|placement_reference",
            "child_ref": (
                "child_id|child|child_reference|person_ref|young_person_id|"
                "yp_ref|pseudonymous_id|la_child_id"
            ),
            "placing_authority": (
                "placing_la|responsible_la|la|local_authority|placing_council|la_code"
            ),
            "start_date": ("start|date_started|placement_start|decom|placement_start_date"),
            "end_date": "end|date_ended|placement_end|dec|placement_end_date",
            "placement_type": "place|type|placement_code|placement_category",
            "provider_type": "provider|place_provider|provider_code|provider_category",
            "ofsted_urn": "urn|ofsted_number|provider_urn",
        }
    ),
}

#: Location column synonyms (without prefix).
LOCATION_SYNONYMS: Final[dict[str, tuple[str, ...]]] = _names(
    {
        "latitude": "lat|y|wgs84_latitude|wgs84_lat|lat_wgs84|latitude_wgs84",
        "longitude": "lon|lng|long|x|wgs84_longitude|wgs84_lon|lon_wgs84",
        "easting": "east|eastings|bng_easting|os_easting|x_coordinate|oseast1m",
        "northing": ("north|northings|bng_northing|os_northing|y_coordinate|osnrth1m"),
        "grid_ref": "grid_reference|gridref|os_grid_ref|os_grid_reference|ngr",
        "postcode": "post_code|postal_code|pcode|pc|pcds|pl_post",
        "uprn": "property_ref|uprn_number",
    }
)
