"""Strategic and practitioner views: placements, missing, agencies, venues.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.views.agencies import (
        NO_REASON_FIELD,
        RISK_ORDER,
        agency_by_area,
        agency_by_quarter,
        agency_counts,
        risk_history,
        risk_moves_summary,
        risk_reason_note,
        silent_agencies,
    )
    from analysis.views.assessment import (
        DEFAULT_MONTHS,
        DEFAULT_RADIUS,
        RADII,
        AssessedLocation,
        Assessment,
        assess,
        assess_location,
        caveats,
        period_bounds,
        period_hotspots,
    )
    from analysis.views.locations import ResolvedLocation, parse_location
    from analysis.views.missing import (
        DISTANCE_BANDS,
        DURATION_BANDS,
        attach_placements,
        duration_table,
        found_distance,
        found_distance_table,
        found_hotspots,
        repeat_children,
        repeat_placements,
        rhi_by_month,
        rhi_by_ward,
    )
    from analysis.views.placements import (
        MILES_20_M,
        area_population,
        by_placing_authority,
        by_quarter,
        by_region,
        by_type,
        counts_by_area,
        distance_summary,
        from_other_councils,
        home_distance,
        hotspot_relation,
    )
    from analysis.views.proximity import (
        HOTSPOT_RADIUS,
        LINK_RADIUS,
        VENUE_LOCATION_TYPES,
        WINDOWS,
        hotspot_areas,
        link_concerns,
        location_type_agrees,
        pairs_within,
        rank_hotspots,
        venues_near_hotspots,
        watchlist,
        within_radius,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "NO_REASON_FIELD": "analysis.views.agencies",
    "RISK_ORDER": "analysis.views.agencies",
    "agency_by_area": "analysis.views.agencies",
    "agency_by_quarter": "analysis.views.agencies",
    "agency_counts": "analysis.views.agencies",
    "risk_history": "analysis.views.agencies",
    "risk_moves_summary": "analysis.views.agencies",
    "risk_reason_note": "analysis.views.agencies",
    "silent_agencies": "analysis.views.agencies",
    "AssessedLocation": "analysis.views.assessment",
    "Assessment": "analysis.views.assessment",
    "DEFAULT_MONTHS": "analysis.views.assessment",
    "DEFAULT_RADIUS": "analysis.views.assessment",
    "RADII": "analysis.views.assessment",
    "assess": "analysis.views.assessment",
    "assess_location": "analysis.views.assessment",
    "caveats": "analysis.views.assessment",
    "period_bounds": "analysis.views.assessment",
    "period_hotspots": "analysis.views.assessment",
    "ResolvedLocation": "analysis.views.locations",
    "parse_location": "analysis.views.locations",
    "DISTANCE_BANDS": "analysis.views.missing",
    "DURATION_BANDS": "analysis.views.missing",
    "attach_placements": "analysis.views.missing",
    "duration_table": "analysis.views.missing",
    "found_distance": "analysis.views.missing",
    "found_distance_table": "analysis.views.missing",
    "found_hotspots": "analysis.views.missing",
    "repeat_children": "analysis.views.missing",
    "repeat_placements": "analysis.views.missing",
    "rhi_by_month": "analysis.views.missing",
    "rhi_by_ward": "analysis.views.missing",
    "MILES_20_M": "analysis.views.placements",
    "area_population": "analysis.views.placements",
    "by_placing_authority": "analysis.views.placements",
    "by_quarter": "analysis.views.placements",
    "by_region": "analysis.views.placements",
    "by_type": "analysis.views.placements",
    "counts_by_area": "analysis.views.placements",
    "distance_summary": "analysis.views.placements",
    "from_other_councils": "analysis.views.placements",
    "home_distance": "analysis.views.placements",
    "hotspot_relation": "analysis.views.placements",
    "HOTSPOT_RADIUS": "analysis.views.proximity",
    "LINK_RADIUS": "analysis.views.proximity",
    "VENUE_LOCATION_TYPES": "analysis.views.proximity",
    "WINDOWS": "analysis.views.proximity",
    "hotspot_areas": "analysis.views.proximity",
    "link_concerns": "analysis.views.proximity",
    "location_type_agrees": "analysis.views.proximity",
    "pairs_within": "analysis.views.proximity",
    "rank_hotspots": "analysis.views.proximity",
    "venues_near_hotspots": "analysis.views.proximity",
    "watchlist": "analysis.views.proximity",
    "within_radius": "analysis.views.proximity",
}
__all__ = [
    "AssessedLocation",
    "Assessment",
    "DEFAULT_MONTHS",
    "DEFAULT_RADIUS",
    "DISTANCE_BANDS",
    "DURATION_BANDS",
    "HOTSPOT_RADIUS",
    "LINK_RADIUS",
    "MILES_20_M",
    "NO_REASON_FIELD",
    "RADII",
    "RISK_ORDER",
    "ResolvedLocation",
    "VENUE_LOCATION_TYPES",
    "WINDOWS",
    "agency_by_area",
    "agency_by_quarter",
    "agency_counts",
    "area_population",
    "assess",
    "assess_location",
    "attach_placements",
    "by_placing_authority",
    "by_quarter",
    "by_region",
    "by_type",
    "caveats",
    "counts_by_area",
    "distance_summary",
    "duration_table",
    "found_distance",
    "found_distance_table",
    "found_hotspots",
    "from_other_councils",
    "home_distance",
    "hotspot_areas",
    "hotspot_relation",
    "link_concerns",
    "location_type_agrees",
    "pairs_within",
    "parse_location",
    "period_bounds",
    "period_hotspots",
    "rank_hotspots",
    "repeat_children",
    "repeat_placements",
    "rhi_by_month",
    "rhi_by_ward",
    "risk_history",
    "risk_moves_summary",
    "risk_reason_note",
    "silent_agencies",
    "venues_near_hotspots",
    "watchlist",
    "within_radius",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
