"""Places: the study area's boundaries, population, venues and reference data.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.places.boundaries import (
        AREA_COLUMNS,
        AREAS,
        NEW_LSOA21_IMD_SOURCE,
        StudyArea,
        assign_areas,
        load_area,
    )
    from geo.places.boundaries_user import load_user_boundaries, load_user_population, to_bng
    from geo.places.datasets import ATTRIBUTION_LINES, DATASETS, available, data_dir, get_path
    from geo.places.dfe import homes_per_10k, la_regions, national_distance_share, netgain
    from geo.places.venue_schema import (
        ALL_VENUE_TYPES,
        COLUMN_SYNONYMS,
        REGISTER_TYPES,
        REGISTER_VENUE_TYPES,
        RESTRICTED_TYPES,
        VENUE_COLUMNS,
        VENUES_LAYER,
        match_columns,
        register_type,
    )
    from geo.places.venues import OSM_CATEGORY_TYPES, VENUE_NOTES, VENUE_TYPES, load_bundled_venues

#: Public name -> the module that defines it.
_EXPORTS = {
    "AREAS": "geo.places.boundaries",
    "AREA_COLUMNS": "geo.places.boundaries",
    "NEW_LSOA21_IMD_SOURCE": "geo.places.boundaries",
    "StudyArea": "geo.places.boundaries",
    "assign_areas": "geo.places.boundaries",
    "load_area": "geo.places.boundaries",
    "load_user_boundaries": "geo.places.boundaries_user",
    "load_user_population": "geo.places.boundaries_user",
    "to_bng": "geo.places.boundaries_user",
    "ATTRIBUTION_LINES": "geo.places.datasets",
    "DATASETS": "geo.places.datasets",
    "available": "geo.places.datasets",
    "data_dir": "geo.places.datasets",
    "get_path": "geo.places.datasets",
    "homes_per_10k": "geo.places.dfe",
    "la_regions": "geo.places.dfe",
    "national_distance_share": "geo.places.dfe",
    "netgain": "geo.places.dfe",
    "ALL_VENUE_TYPES": "geo.places.venue_schema",
    "COLUMN_SYNONYMS": "geo.places.venue_schema",
    "REGISTER_TYPES": "geo.places.venue_schema",
    "REGISTER_VENUE_TYPES": "geo.places.venue_schema",
    "RESTRICTED_TYPES": "geo.places.venue_schema",
    "VENUES_LAYER": "geo.places.venue_schema",
    "VENUE_COLUMNS": "geo.places.venue_schema",
    "match_columns": "geo.places.venue_schema",
    "register_type": "geo.places.venue_schema",
    "OSM_CATEGORY_TYPES": "geo.places.venues",
    "VENUE_NOTES": "geo.places.venues",
    "VENUE_TYPES": "geo.places.venues",
    "load_bundled_venues": "geo.places.venues",
}
__all__ = [
    "ALL_VENUE_TYPES",
    "AREAS",
    "AREA_COLUMNS",
    "ATTRIBUTION_LINES",
    "COLUMN_SYNONYMS",
    "DATASETS",
    "NEW_LSOA21_IMD_SOURCE",
    "OSM_CATEGORY_TYPES",
    "REGISTER_TYPES",
    "REGISTER_VENUE_TYPES",
    "RESTRICTED_TYPES",
    "StudyArea",
    "VENUES_LAYER",
    "VENUE_COLUMNS",
    "VENUE_NOTES",
    "VENUE_TYPES",
    "assign_areas",
    "available",
    "data_dir",
    "get_path",
    "homes_per_10k",
    "la_regions",
    "load_area",
    "load_bundled_venues",
    "load_user_boundaries",
    "load_user_population",
    "match_columns",
    "national_distance_share",
    "netgain",
    "register_type",
    "to_bng",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
