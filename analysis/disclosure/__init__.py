"""Disclosure control: suppression, rounding, cell keys, displacement.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.disclosure.cell_key import (
        DEFAULT_SECRET,
        ID_COLUMNS,
        CellKeyError,
        PTable,
        cell_keys,
        record_keys,
        record_keys_of,
    )
    from analysis.disclosure.control import (
        DisclosurePolicy,
        SuppressedTable,
        round_counts,
        suppress_counts,
    )
    from analysis.disclosure.rows import RowPolicy, suppress_related_counts, window_relations
    from analysis.disclosure.secondary import recoverable_cells, secondary_mask, table_relations
    from analysis.disclosure.spatial import (
        LOCATION_COLUMNS,
        count_children,
        displace_points,
        filter_min_children,
    )
    from analysis.disclosure.tables import (
        cell_keys_for,
        coarsened,
        controlled,
        distinct_children,
        distinct_children_2d,
        quarter_label,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "CellKeyError": "analysis.disclosure.cell_key",
    "DEFAULT_SECRET": "analysis.disclosure.cell_key",
    "ID_COLUMNS": "analysis.disclosure.cell_key",
    "PTable": "analysis.disclosure.cell_key",
    "cell_keys": "analysis.disclosure.cell_key",
    "record_keys": "analysis.disclosure.cell_key",
    "record_keys_of": "analysis.disclosure.cell_key",
    "DisclosurePolicy": "analysis.disclosure.control",
    "SuppressedTable": "analysis.disclosure.control",
    "round_counts": "analysis.disclosure.control",
    "suppress_counts": "analysis.disclosure.control",
    "RowPolicy": "analysis.disclosure.rows",
    "suppress_related_counts": "analysis.disclosure.rows",
    "window_relations": "analysis.disclosure.rows",
    "recoverable_cells": "analysis.disclosure.secondary",
    "secondary_mask": "analysis.disclosure.secondary",
    "table_relations": "analysis.disclosure.secondary",
    "LOCATION_COLUMNS": "analysis.disclosure.spatial",
    "count_children": "analysis.disclosure.spatial",
    "displace_points": "analysis.disclosure.spatial",
    "filter_min_children": "analysis.disclosure.spatial",
    "cell_keys_for": "analysis.disclosure.tables",
    "coarsened": "analysis.disclosure.tables",
    "controlled": "analysis.disclosure.tables",
    "distinct_children": "analysis.disclosure.tables",
    "distinct_children_2d": "analysis.disclosure.tables",
    "quarter_label": "analysis.disclosure.tables",
}
__all__ = [
    "CellKeyError",
    "DEFAULT_SECRET",
    "DisclosurePolicy",
    "ID_COLUMNS",
    "LOCATION_COLUMNS",
    "PTable",
    "RowPolicy",
    "SuppressedTable",
    "cell_keys",
    "cell_keys_for",
    "coarsened",
    "controlled",
    "count_children",
    "displace_points",
    "distinct_children",
    "distinct_children_2d",
    "filter_min_children",
    "quarter_label",
    "record_keys",
    "record_keys_of",
    "recoverable_cells",
    "round_counts",
    "secondary_mask",
    "suppress_counts",
    "suppress_related_counts",
    "table_relations",
    "window_relations",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
