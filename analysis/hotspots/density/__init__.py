"""Density methods: kernel density estimation on a grid (KDEpy), and the dual KDE of events
over resident children and young people.

Public names are re-exported here and imported from their module on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Public name -> the module that defines it.
_EXPORTS = {
    "DualKernelDensity": "analysis.hotspots.density.dual_kde",
    "POPULATION_COLUMN": "analysis.hotspots.density.dual_kde",
    "population_cells": "analysis.hotspots.density.dual_kde",
    "dual_kde_hotspots": "analysis.hotspots.density.kde",
    "kde_hotspots": "analysis.hotspots.density.kde",
    "KERNELS": "analysis.hotspots.density.kernel_density",
    "KernelDensity": "analysis.hotspots.density.kernel_density",
    "MAX_CELLS": "analysis.hotspots.density.kernel_density",
    "arcgis_bandwidth": "analysis.hotspots.density.kernel_density",
    "points_xy": "analysis.hotspots.density.kernel_density",
}
__all__ = [
    "DualKernelDensity",
    "POPULATION_COLUMN",
    "population_cells",
    "dual_kde_hotspots",
    "kde_hotspots",
    "KERNELS",
    "KernelDensity",
    "MAX_CELLS",
    "arcgis_bandwidth",
    "points_xy",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
