"""Controlled vocabularies and canonical column names for csmap records.

This module is the single source of truth for the *values* a stored record may carry. Parsing of
synonyms (``"child sexual exploitation"`` -> ``"CSE"``) lives in :mod:`geo.ingest.schema`;
everything that
filters, groups or labels records (analysis, app, reports) uses the constants here.

Three record kinds exist:

``concerns``
    Concern reports about harm outside the home (CSE, CCE, county lines, ...).
``missing_episodes``
    Missing-from-home / away-without-authorisation episodes, each with a last-seen and a found
    location (columns prefixed ``last_seen_`` and ``found_``).
``placements``
    Children placed into the area (often by other councils).
"""

from __future__ import annotations

from typing import Final, Literal

Kind = Literal["concerns", "missing_episodes", "placements"]
KINDS: Final[tuple[Kind, ...]] = ("concerns", "missing_episodes", "placements")

#: Point sets that analysis can be run on. Missing episodes give two point sets.
PointKind = Literal["concerns", "missing_found", "missing_last_seen", "placements"]
POINT_KINDS: Final[tuple[PointKind, ...]] = (
    "concerns",
    "missing_found",
    "missing_last_seen",
    "placements",
)
#: The stored record kind behind each point set.
POINT_RECORD_KINDS: Final[dict[PointKind, Kind]] = {
    "concerns": "concerns",
    "missing_found": "missing_episodes",
    "missing_last_seen": "missing_episodes",
    "placements": "placements",
}

CATEGORIES: Final[tuple[str, ...]] = (
    "CSE",
    "CCE",
    "county lines",
    "trafficking/modern slavery",
    "child-on-child abuse",
    "online",
    "gangs/serious youth violence",
    "other",
)

LOCATION_TYPES: Final[tuple[str, ...]] = (
    "park",
    "hotel",
    "takeaway/food",
    "licensed premises",
    "transport hub",
    "school/college",
    "shop/shopping centre",
    "residential",
    "street/public space",
    "other",
)

AGENCIES: Final[tuple[str, ...]] = (
    "police",
    "children's social care",
    "health",
    "education",
    "licensing",
    "hotel/taxi trade",
    "youth service",
    "voluntary/community",
    "young person",
    "parent/carer",
    "other",
)

RISK_LEVELS: Final[tuple[str, ...]] = ("low", "medium", "high", "not assessed")

EPISODE_TYPES: Final[tuple[str, ...]] = ("missing", "away without authorisation")

PLACEMENT_TYPES: Final[tuple[str, ...]] = (
    "children's home",
    "foster care",
    "supported/semi-independent",
    "residential school",
    "secure",
    "other",
)

#: SSDA903 provider codes (stored as the code) with their published meanings.
PROVIDER_TYPES: Final[dict[str, str]] = {
    "PR0": "parent or other person with parental responsibility",
    "PR1": "own provision (by the local authority)",
    "PR2": "other local authority provision",
    "PR3": "other public provision",
    "PR4": "private provision",
    "PR5": "voluntary/third sector provision",
}

#: How precisely a stored point locates the event, best first.
PRECISIONS: Final[tuple[str, ...]] = (
    "exact point",
    "uprn",
    "grid reference",
    "postcode centroid",
    "none",
)

#: Columns every stored row carries to trace it back to its source.
PROVENANCE_COLUMNS: Final[tuple[str, ...]] = (
    "source_file",
    "source_row",
    "row_hash",
    "ingested_at",
)

#: Location columns for one location (no prefix) as stored.
LOCATION_COLUMNS: Final[tuple[str, ...]] = (
    "easting",
    "northing",
    "latitude",
    "longitude",
    "location_precision",
    "in_study_area",
    "location_flags",
)

#: The two location prefixes of a missing episode.
MISSING_LOCATION_PREFIXES: Final[tuple[str, ...]] = ("last_seen_", "found_")

#: Age range (years) records may carry: transitional safeguarding runs to 25.
AGE_MIN: Final[int] = 0
AGE_MAX: Final[int] = 25

BNG_EPSG: Final[int] = 27700
WGS84_EPSG: Final[int] = 4326
