"""Synthetic demo records on real geography (all records are synthetic).

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.demo.care import missing_episodes, placements
    from geo.demo.fields import (
        PERIOD_END,
        PERIOD_START,
        blank,
        event_times,
        format_refs,
        keep,
        location_columns,
        number_rows,
        pick,
    )
    from geo.demo.places import (
        ELSEWHERE,
        TOWN_CENTRES,
        TOWN_WEIGHTS,
        VENUE_TO_LOCATION_TYPE,
        VENUE_TYPE_PULL,
        Places,
        deprivation_weights,
        near_towns,
        near_venues,
        placing_authorities,
        points_in_lsoas,
        prepare_places,
        venue_weights,
    )
    from geo.demo.records import BASE_COUNTS, DEFAULT_SEED, SYNTHETIC_NOTICE, generate

#: Public name -> the module that defines it.
_EXPORTS = {
    "missing_episodes": "geo.demo.care",
    "placements": "geo.demo.care",
    "PERIOD_END": "geo.demo.fields",
    "PERIOD_START": "geo.demo.fields",
    "blank": "geo.demo.fields",
    "event_times": "geo.demo.fields",
    "format_refs": "geo.demo.fields",
    "keep": "geo.demo.fields",
    "location_columns": "geo.demo.fields",
    "number_rows": "geo.demo.fields",
    "pick": "geo.demo.fields",
    "ELSEWHERE": "geo.demo.places",
    "Places": "geo.demo.places",
    "TOWN_CENTRES": "geo.demo.places",
    "TOWN_WEIGHTS": "geo.demo.places",
    "VENUE_TO_LOCATION_TYPE": "geo.demo.places",
    "VENUE_TYPE_PULL": "geo.demo.places",
    "deprivation_weights": "geo.demo.places",
    "near_towns": "geo.demo.places",
    "near_venues": "geo.demo.places",
    "placing_authorities": "geo.demo.places",
    "points_in_lsoas": "geo.demo.places",
    "prepare_places": "geo.demo.places",
    "venue_weights": "geo.demo.places",
    "BASE_COUNTS": "geo.demo.records",
    "DEFAULT_SEED": "geo.demo.records",
    "SYNTHETIC_NOTICE": "geo.demo.records",
    "generate": "geo.demo.records",
}
__all__ = [
    "BASE_COUNTS",
    "DEFAULT_SEED",
    "ELSEWHERE",
    "PERIOD_END",
    "PERIOD_START",
    "Places",
    "SYNTHETIC_NOTICE",
    "TOWN_CENTRES",
    "TOWN_WEIGHTS",
    "VENUE_TO_LOCATION_TYPE",
    "VENUE_TYPE_PULL",
    "blank",
    "deprivation_weights",
    "event_times",
    "format_refs",
    "generate",
    "keep",
    "location_columns",
    "missing_episodes",
    "near_towns",
    "near_venues",
    "number_rows",
    "pick",
    "placements",
    "placing_authorities",
    "points_in_lsoas",
    "prepare_places",
    "venue_weights",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
