"""Clustering methods: DBSCAN and HDBSCAN over event locations (scikit-learn, fast_hdbscan),
with repeat counts as weights.

Public names are re-exported here and imported from their module on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.hotspots.clustering.clusters import (
        TOP_CATEGORIES,
        check_count,
        check_positive,
        cluster_polygons,
        dbscan_hotspots,
        group_summary,
        hdbscan_hotspots,
        unique_locations,
    )
    from analysis.hotspots.clustering.weighted_hdbscan import (
        LIBRARY,
        configure_numba_cache,
        event_mst,
        location_mst,
        numba_cache_dir,
        weighted_core_distances,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "TOP_CATEGORIES": "analysis.hotspots.clustering.clusters",
    "check_count": "analysis.hotspots.clustering.clusters",
    "check_positive": "analysis.hotspots.clustering.clusters",
    "cluster_polygons": "analysis.hotspots.clustering.clusters",
    "dbscan_hotspots": "analysis.hotspots.clustering.clusters",
    "group_summary": "analysis.hotspots.clustering.clusters",
    "hdbscan_hotspots": "analysis.hotspots.clustering.clusters",
    "unique_locations": "analysis.hotspots.clustering.clusters",
    "LIBRARY": "analysis.hotspots.clustering.weighted_hdbscan",
    "configure_numba_cache": "analysis.hotspots.clustering.weighted_hdbscan",
    "event_mst": "analysis.hotspots.clustering.weighted_hdbscan",
    "location_mst": "analysis.hotspots.clustering.weighted_hdbscan",
    "numba_cache_dir": "analysis.hotspots.clustering.weighted_hdbscan",
    "weighted_core_distances": "analysis.hotspots.clustering.weighted_hdbscan",
}
__all__ = [
    "TOP_CATEGORIES",
    "check_count",
    "check_positive",
    "cluster_polygons",
    "dbscan_hotspots",
    "group_summary",
    "hdbscan_hotspots",
    "unique_locations",
    "LIBRARY",
    "configure_numba_cache",
    "event_mst",
    "location_mst",
    "numba_cache_dir",
    "weighted_core_distances",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
