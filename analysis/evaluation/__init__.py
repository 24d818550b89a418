"""Evaluation: hotspot accuracy and the rolling-origin backtest.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.evaluation.accuracy import (
        backtest,
        hit_rate,
        hull_area,
        pai,
        pei,
        rri,
        select_cells,
        summarise,
    )
    from analysis.evaluation.scorers import (
        DEFAULT_METHOD,
        METHODS,
        default_scorer,
        gi_scorer,
        grid_counts,
        kde_scorer,
        train_xy,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "backtest": "analysis.evaluation.accuracy",
    "hit_rate": "analysis.evaluation.accuracy",
    "hull_area": "analysis.evaluation.accuracy",
    "pai": "analysis.evaluation.accuracy",
    "pei": "analysis.evaluation.accuracy",
    "rri": "analysis.evaluation.accuracy",
    "select_cells": "analysis.evaluation.accuracy",
    "summarise": "analysis.evaluation.accuracy",
    "DEFAULT_METHOD": "analysis.evaluation.scorers",
    "METHODS": "analysis.evaluation.scorers",
    "default_scorer": "analysis.evaluation.scorers",
    "gi_scorer": "analysis.evaluation.scorers",
    "grid_counts": "analysis.evaluation.scorers",
    "kde_scorer": "analysis.evaluation.scorers",
    "train_xy": "analysis.evaluation.scorers",
}
__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "backtest",
    "default_scorer",
    "gi_scorer",
    "grid_counts",
    "hit_rate",
    "hull_area",
    "kde_scorer",
    "pai",
    "pei",
    "rri",
    "select_cells",
    "summarise",
    "train_xy",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
