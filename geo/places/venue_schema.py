"""Venue register vocabulary: register types, venue types, the ``venues`` layer's columns.

=============================  =====================  ==========
register type                  venue type              restricted
=============================  =====================  ==========
``premises licence``           ``licensed premises``   no
``hotel/guest house``          ``hotel/guest house``   no
``taxi/private hire operator`` ``taxi/private hire``   no
``children's home``            ``children's home``     **yes**
=============================  =====================  ==========

Column names of a register are matched through :data:`COLUMN_SYNONYMS`. The import itself is
:mod:`geo.formats.venue_registers`, which re-exports every public name here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from geo.errors import ParameterError, UnreadableFileError
from geo.ingest.schema import LOCATION_INPUTS, normalise_name
from geo.places.venues import VENUE_TYPES

#: Store layer holding imported venues.
VENUES_LAYER: Final[str] = "venues"

#: Register types and the venue type each is stored as.
REGISTER_TYPES: Final[dict[str, str]] = {
    "premises licence": "licensed premises",
    "hotel/guest house": "hotel/guest house",
    "taxi/private hire operator": "taxi/private hire",
    "children's home": "children's home",
}
#: Register types whose venues are restricted (addresses for analyst/admin only).
RESTRICTED_TYPES: Final[frozenset[str]] = frozenset({"children's home"})
#: Venue types that only imported registers carry.
REGISTER_VENUE_TYPES: Final[tuple[str, ...]] = (
    "hotel/guest house",
    "taxi/private hire",
    "children's home",
)
#: Every venue type (bundled + registers).
ALL_VENUE_TYPES: Final[tuple[str, ...]] = (*VENUE_TYPES, *REGISTER_VENUE_TYPES)

#: Accepted spellings of ``--type`` (normalised with :func:`geo.ingest.schema.normalise_name`).
_TYPE_SYNONYMS: Final[dict[str, str]] = {
    "premises_licence": "premises licence",
    "premises_license": "premises licence",
    "premises": "premises licence",
    "licensed_premises": "premises licence",
    "hotel": "hotel/guest house",
    "hotels": "hotel/guest house",
    "guest_house": "hotel/guest house",
    "hotel_guest_house": "hotel/guest house",
    "taxi": "taxi/private hire operator",
    "private_hire": "taxi/private hire operator",
    "taxi_private_hire": "taxi/private hire operator",
    "taxi_private_hire_operator": "taxi/private hire operator",
    "private_hire_operator": "taxi/private hire operator",
    "childrens_home": "children's home",
    "children_s_home": "children's home",
    "children_home": "children's home",
    "childrens_homes": "children's home",
}

#: Canonical venue column -> accepted input names (normalised with ``normalise_name``).
_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "name": (
        "name",
        "venue_name",
        "premises_name",
        "trading_name",
        "business_name",
        "establishment_name",
        "home_name",
        "hotel_name",
    ),
    "licence_number": (
        "licence_number",
        "licence_no",
        "licence",
        "license_number",
        "license_no",
        "license",
        "licence_ref",
        "licence_reference",
        "reference",
        "ref",
        "urn",
        "ofsted_urn",
        "registration_number",
    ),
    "operator": (
        "operator",
        "licence_holder",
        "licensee",
        "company",
        "provider",
        "operator_name",
        "owner",
    ),
    "address": ("address", "premises_address", "full_address", "address_line_1", "street_address"),
    "venue_type": ("venue_type",),
    "subtype": ("subtype", "premises_type", "category", "licence_type"),
    "postcode": ("postcode", "post_code", "postal_code", "pcd"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "easting": ("easting", "x", "eastings"),
    "northing": ("northing", "y", "northings"),
    "grid_ref": ("grid_ref", "grid_reference", "osgr", "ngr"),
    "uprn": ("uprn",),
}
#: Input column synonym (normalised) -> canonical venue column.
COLUMN_SYNONYMS: Final[dict[str, str]] = {
    name: target for target, names in _SYNONYMS.items() for name in names
}

#: Columns of the ``venues`` layer (plus ``geometry``).
VENUE_COLUMNS: Final[tuple[str, ...]] = (
    "venue_id",
    "name",
    "venue_type",
    "register_type",
    "source",
    "subtype",
    "licence_number",
    "operator",
    "address",
    "postcode",
    "restricted",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "location_precision",
    "location_flags",
    "in_study_area",
    "lsoa21cd",
    "ward_cd",
    "ward_nm",
    "lad_cd",
    "source_file",
    "source_row",
    "row_hash",
    "ingested_at",
)


def register_type(text: str) -> str:
    """The register type named by ``text`` (a few spellings accepted).

    Raises
    ------
    ParameterError
        For an unknown type (the message lists the choices).

    Examples
    --------
    >>> register_type("Hotel"), register_type("childrens-home")
    ('hotel/guest house', "children's home")
    """
    key = normalise_name(text)
    for name in REGISTER_TYPES:
        if normalise_name(name) == key:
            return name
    if key in _TYPE_SYNONYMS:
        return _TYPE_SYNONYMS[key]
    raise ParameterError(
        f"unknown venue register type {text!r}; choose one of {', '.join(REGISTER_TYPES)}"
    )


def match_columns(columns: list[str], path: Path) -> dict[str, str]:
    """Input column -> canonical venue column (first match wins).

    Raises
    ------
    UnreadableFileError
        Without a name column or any location column (the message names the file).

    Examples
    --------
    >>> match_columns(["Premises Name", "Post Code", "Licence No"], Path("r.csv"))
    {'Premises Name': 'name', 'Post Code': 'postcode', 'Licence No': 'licence_number'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        target = COLUMN_SYNONYMS.get(normalise_name(col))
        if target and target not in taken:
            out[col] = target
            taken.add(target)
    if "name" not in taken:
        raise UnreadableFileError(
            f"{path}: missing required column name (found {', '.join(map(repr, columns[:12]))})"
        )
    if not taken & set(LOCATION_INPUTS):
        raise UnreadableFileError(
            f"{path}: no location columns (latitude/longitude, easting/northing, grid_ref, "
            "uprn or postcode; a free-text address alone cannot be placed offline)"
        )
    return out
