"""Hotspot methods behind one registry (:func:`run`) and their result.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.hotspots.adjust import PoissonExcessRisk, apportion_population
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
    from analysis.hotspots.density.dual_kde import (
        POPULATION_COLUMN,
        DualKernelDensity,
        population_cells,
    )
    from analysis.hotspots.density.kde import dual_kde_hotspots, kde_hotspots
    from analysis.hotspots.density.kernel_density import (
        KERNELS,
        MAX_CELLS,
        KernelDensity,
        arcgis_bandwidth,
        points_xy,
    )
    from analysis.hotspots.geojson_file import write_geojson
    from analysis.hotspots.gi import GetisOrdGiStar, band_weights, gi_hotspots
    from analysis.hotspots.registry import (
        GRID_METHODS,
        METHODS,
        available_methods,
        implementation,
        run,
    )
    from analysis.hotspots.repeat import (
        gini,
        lorenz_curve,
        place_of_events,
        repeat_hotspots,
        repeat_locations,
        top_share,
    )
    from analysis.hotspots.result import (
        ADJUSTMENT_LABELS,
        ADJUSTMENTS,
        DATETIME_KEY,
        HOTSPOTS_LAYER,
        NOTICE_ATTR,
        NOTICE_KEYS,
        PARAMS_ATTR,
        PARAMS_LAYER,
        STANDARD_COLUMNS,
        SUFFIXES,
        WKT_COLUMN,
        adjustment_label,
        csmap_version,
        datetime_columns,
        file_params,
        finalise,
        params_path,
        read_hotspots,
        write_hotspots,
    )
    from analysis.hotspots.scan import scan_hotspots
    from analysis.hotspots.scan_core import (
        MODELS,
        PoissonScan,
        SpaceTimePermutationScan,
        poisson_llr,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "PoissonExcessRisk": "analysis.hotspots.adjust",
    "apportion_population": "analysis.hotspots.adjust",
    "TOP_CATEGORIES": "analysis.hotspots.clustering.clusters",
    "check_count": "analysis.hotspots.clustering.clusters",
    "check_positive": "analysis.hotspots.clustering.clusters",
    "cluster_polygons": "analysis.hotspots.clustering.clusters",
    "dbscan_hotspots": "analysis.hotspots.clustering.clusters",
    "group_summary": "analysis.hotspots.clustering.clusters",
    "hdbscan_hotspots": "analysis.hotspots.clustering.clusters",
    "unique_locations": "analysis.hotspots.clustering.clusters",
    "DualKernelDensity": "analysis.hotspots.density.dual_kde",
    "POPULATION_COLUMN": "analysis.hotspots.density.dual_kde",
    "population_cells": "analysis.hotspots.density.dual_kde",
    "write_geojson": "analysis.hotspots.geojson_file",
    "GetisOrdGiStar": "analysis.hotspots.gi",
    "band_weights": "analysis.hotspots.gi",
    "gi_hotspots": "analysis.hotspots.gi",
    "dual_kde_hotspots": "analysis.hotspots.density.kde",
    "kde_hotspots": "analysis.hotspots.density.kde",
    "KERNELS": "analysis.hotspots.density.kernel_density",
    "KernelDensity": "analysis.hotspots.density.kernel_density",
    "MAX_CELLS": "analysis.hotspots.density.kernel_density",
    "arcgis_bandwidth": "analysis.hotspots.density.kernel_density",
    "points_xy": "analysis.hotspots.density.kernel_density",
    "GRID_METHODS": "analysis.hotspots.registry",
    "METHODS": "analysis.hotspots.registry",
    "available_methods": "analysis.hotspots.registry",
    "implementation": "analysis.hotspots.registry",
    "run": "analysis.hotspots.registry",
    "gini": "analysis.hotspots.repeat",
    "lorenz_curve": "analysis.hotspots.repeat",
    "place_of_events": "analysis.hotspots.repeat",
    "repeat_hotspots": "analysis.hotspots.repeat",
    "repeat_locations": "analysis.hotspots.repeat",
    "top_share": "analysis.hotspots.repeat",
    "ADJUSTMENTS": "analysis.hotspots.result",
    "ADJUSTMENT_LABELS": "analysis.hotspots.result",
    "DATETIME_KEY": "analysis.hotspots.result",
    "HOTSPOTS_LAYER": "analysis.hotspots.result",
    "NOTICE_ATTR": "analysis.hotspots.result",
    "NOTICE_KEYS": "analysis.hotspots.result",
    "PARAMS_ATTR": "analysis.hotspots.result",
    "PARAMS_LAYER": "analysis.hotspots.result",
    "STANDARD_COLUMNS": "analysis.hotspots.result",
    "SUFFIXES": "analysis.hotspots.result",
    "WKT_COLUMN": "analysis.hotspots.result",
    "adjustment_label": "analysis.hotspots.result",
    "csmap_version": "analysis.hotspots.result",
    "datetime_columns": "analysis.hotspots.result",
    "file_params": "analysis.hotspots.result",
    "finalise": "analysis.hotspots.result",
    "params_path": "analysis.hotspots.result",
    "read_hotspots": "analysis.hotspots.result",
    "write_hotspots": "analysis.hotspots.result",
    "scan_hotspots": "analysis.hotspots.scan",
    "MODELS": "analysis.hotspots.scan_core",
    "PoissonScan": "analysis.hotspots.scan_core",
    "SpaceTimePermutationScan": "analysis.hotspots.scan_core",
    "poisson_llr": "analysis.hotspots.scan_core",
    "LIBRARY": "analysis.hotspots.clustering.weighted_hdbscan",
    "configure_numba_cache": "analysis.hotspots.clustering.weighted_hdbscan",
    "event_mst": "analysis.hotspots.clustering.weighted_hdbscan",
    "location_mst": "analysis.hotspots.clustering.weighted_hdbscan",
    "numba_cache_dir": "analysis.hotspots.clustering.weighted_hdbscan",
    "weighted_core_distances": "analysis.hotspots.clustering.weighted_hdbscan",
}
__all__ = [
    "ADJUSTMENTS",
    "ADJUSTMENT_LABELS",
    "DATETIME_KEY",
    "DualKernelDensity",
    "GRID_METHODS",
    "GetisOrdGiStar",
    "HOTSPOTS_LAYER",
    "KERNELS",
    "KernelDensity",
    "LIBRARY",
    "MAX_CELLS",
    "METHODS",
    "MODELS",
    "NOTICE_ATTR",
    "NOTICE_KEYS",
    "PARAMS_ATTR",
    "PARAMS_LAYER",
    "POPULATION_COLUMN",
    "PoissonExcessRisk",
    "PoissonScan",
    "STANDARD_COLUMNS",
    "SUFFIXES",
    "SpaceTimePermutationScan",
    "TOP_CATEGORIES",
    "WKT_COLUMN",
    "adjustment_label",
    "apportion_population",
    "arcgis_bandwidth",
    "available_methods",
    "band_weights",
    "check_count",
    "check_positive",
    "cluster_polygons",
    "configure_numba_cache",
    "csmap_version",
    "datetime_columns",
    "dbscan_hotspots",
    "dual_kde_hotspots",
    "event_mst",
    "file_params",
    "finalise",
    "gi_hotspots",
    "gini",
    "group_summary",
    "hdbscan_hotspots",
    "implementation",
    "kde_hotspots",
    "location_mst",
    "lorenz_curve",
    "numba_cache_dir",
    "params_path",
    "place_of_events",
    "points_xy",
    "poisson_llr",
    "population_cells",
    "read_hotspots",
    "repeat_hotspots",
    "repeat_locations",
    "run",
    "scan_hotspots",
    "top_share",
    "unique_locations",
    "weighted_core_distances",
    "write_geojson",
    "write_hotspots",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
