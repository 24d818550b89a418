"""Space-time: the cube, emerging hot spots and the Knox test.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.spacetime.cube import (
        TIME_STEPS,
        TIME_WINDOWS,
        SpaceTimeCube,
        as_datetimes,
        build_cube,
        partial_final_period,
        spacetime_weights,
        spacetime_window_sums,
        time_steps,
    )
    from analysis.spacetime.emerging import MannKendall, SpaceTimeGiStar, emerging_hotspots
    from analysis.spacetime.emerging_categories import (
        CATEGORIES,
        CATEGORY_STYLES,
        COLD_CATEGORIES,
        HOT_CATEGORIES,
        NO_PATTERN,
        PATTERNS,
        PERSISTENT_SHARE,
        classify_location,
        classify_locations,
    )
    from analysis.spacetime.knox import TIME_UNITS, Knox, KnoxLocal, numeric_times, space_time_pairs

#: Public name -> the module that defines it.
_EXPORTS = {
    "SpaceTimeCube": "analysis.spacetime.cube",
    "TIME_STEPS": "analysis.spacetime.cube",
    "TIME_WINDOWS": "analysis.spacetime.cube",
    "as_datetimes": "analysis.spacetime.cube",
    "build_cube": "analysis.spacetime.cube",
    "partial_final_period": "analysis.spacetime.cube",
    "spacetime_weights": "analysis.spacetime.cube",
    "spacetime_window_sums": "analysis.spacetime.cube",
    "time_steps": "analysis.spacetime.cube",
    "MannKendall": "analysis.spacetime.emerging",
    "SpaceTimeGiStar": "analysis.spacetime.emerging",
    "emerging_hotspots": "analysis.spacetime.emerging",
    "CATEGORIES": "analysis.spacetime.emerging_categories",
    "CATEGORY_STYLES": "analysis.spacetime.emerging_categories",
    "COLD_CATEGORIES": "analysis.spacetime.emerging_categories",
    "HOT_CATEGORIES": "analysis.spacetime.emerging_categories",
    "NO_PATTERN": "analysis.spacetime.emerging_categories",
    "PATTERNS": "analysis.spacetime.emerging_categories",
    "PERSISTENT_SHARE": "analysis.spacetime.emerging_categories",
    "classify_location": "analysis.spacetime.emerging_categories",
    "classify_locations": "analysis.spacetime.emerging_categories",
    "Knox": "analysis.spacetime.knox",
    "KnoxLocal": "analysis.spacetime.knox",
    "TIME_UNITS": "analysis.spacetime.knox",
    "numeric_times": "analysis.spacetime.knox",
    "space_time_pairs": "analysis.spacetime.knox",
}
__all__ = [
    "CATEGORIES",
    "CATEGORY_STYLES",
    "COLD_CATEGORIES",
    "HOT_CATEGORIES",
    "Knox",
    "KnoxLocal",
    "MannKendall",
    "NO_PATTERN",
    "PATTERNS",
    "PERSISTENT_SHARE",
    "SpaceTimeCube",
    "SpaceTimeGiStar",
    "TIME_STEPS",
    "TIME_UNITS",
    "TIME_WINDOWS",
    "as_datetimes",
    "build_cube",
    "classify_location",
    "classify_locations",
    "emerging_hotspots",
    "numeric_times",
    "partial_final_period",
    "space_time_pairs",
    "spacetime_weights",
    "spacetime_window_sums",
    "time_steps",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
