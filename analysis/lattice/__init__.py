"""Lattices: aggregation grids, automatic scale and spatial autocorrelation.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.lattice.grid import (
        MAX_CELLS,
        SHAPES,
        count_in_cells,
        fishnet,
        hex_side,
        hexgrid,
        make_grid,
        min_cell_size,
        points_outside,
        valid_area,
    )
    from analysis.lattice.moran import (
        MoranResult,
        grid_lattice,
        incremental_moran,
        lattice_incremental_moran,
        morans_i,
    )
    from analysis.lattice.scale import (
        MAX_AUTO_CELLS,
        MIN_EVENTS,
        N_BANDS,
        NN_SAMPLE,
        PEAK_Z,
        ScaleChoice,
        auto_cell_size,
        capped_grid,
        choose_scale,
        k_neighbour_band,
        round_sig,
        round_up_sig,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "MAX_CELLS": "analysis.lattice.grid",
    "SHAPES": "analysis.lattice.grid",
    "count_in_cells": "analysis.lattice.grid",
    "fishnet": "analysis.lattice.grid",
    "hex_side": "analysis.lattice.grid",
    "hexgrid": "analysis.lattice.grid",
    "make_grid": "analysis.lattice.grid",
    "min_cell_size": "analysis.lattice.grid",
    "points_outside": "analysis.lattice.grid",
    "valid_area": "analysis.lattice.grid",
    "MoranResult": "analysis.lattice.moran",
    "grid_lattice": "analysis.lattice.moran",
    "incremental_moran": "analysis.lattice.moran",
    "lattice_incremental_moran": "analysis.lattice.moran",
    "morans_i": "analysis.lattice.moran",
    "MAX_AUTO_CELLS": "analysis.lattice.scale",
    "MIN_EVENTS": "analysis.lattice.scale",
    "NN_SAMPLE": "analysis.lattice.scale",
    "N_BANDS": "analysis.lattice.scale",
    "PEAK_Z": "analysis.lattice.scale",
    "ScaleChoice": "analysis.lattice.scale",
    "auto_cell_size": "analysis.lattice.scale",
    "capped_grid": "analysis.lattice.scale",
    "choose_scale": "analysis.lattice.scale",
    "k_neighbour_band": "analysis.lattice.scale",
    "round_sig": "analysis.lattice.scale",
    "round_up_sig": "analysis.lattice.scale",
}
__all__ = [
    "MAX_AUTO_CELLS",
    "MAX_CELLS",
    "MIN_EVENTS",
    "MoranResult",
    "NN_SAMPLE",
    "N_BANDS",
    "PEAK_Z",
    "SHAPES",
    "ScaleChoice",
    "auto_cell_size",
    "capped_grid",
    "choose_scale",
    "count_in_cells",
    "fishnet",
    "grid_lattice",
    "hex_side",
    "hexgrid",
    "incremental_moran",
    "k_neighbour_band",
    "lattice_incremental_moran",
    "make_grid",
    "min_cell_size",
    "morans_i",
    "points_outside",
    "round_sig",
    "round_up_sig",
    "valid_area",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
