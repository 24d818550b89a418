"""The store: one GeoPackage of records, its metadata, writers, exports, retention.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.store.export import (
        FORMULA_PREFIXES,
        PathEscapeError,
        neutralise_cell,
        neutralise_frame,
        resolve_inside,
        safe_filename,
        to_csv_bytes,
        write_csv,
        write_xlsx,
    )
    from geo.store.files import lock_file, remove_stale_copies, store_errors, writing_copy
    from geo.store.frames import arrow_batch, arrow_stream, fast_sqlite, fix_types, for_gpkg
    from geo.store.gpkg import LOG_LAYER, STORE_ENV, Store, Transaction, default_store_path, points
    from geo.store.meta import META_TABLE, clear_demo_marker, is_demo_store, read_meta, set_meta
    from geo.store.retention import (
        RETENTION_DATES,
        RetentionReport,
        apply_retention,
        cutoff_date,
        quarantine_files_before,
        retention_dates,
        retention_years,
    )
    from geo.store.writer import LayerWriter, conform_stream, conform_to_layer, layer_schema

#: Public name -> the module that defines it.
_EXPORTS = {
    "FORMULA_PREFIXES": "geo.store.export",
    "PathEscapeError": "geo.store.export",
    "neutralise_cell": "geo.store.export",
    "neutralise_frame": "geo.store.export",
    "resolve_inside": "geo.store.export",
    "safe_filename": "geo.store.export",
    "to_csv_bytes": "geo.store.export",
    "write_csv": "geo.store.export",
    "write_xlsx": "geo.store.export",
    "lock_file": "geo.store.files",
    "remove_stale_copies": "geo.store.files",
    "store_errors": "geo.store.files",
    "writing_copy": "geo.store.files",
    "arrow_batch": "geo.store.frames",
    "arrow_stream": "geo.store.frames",
    "fast_sqlite": "geo.store.frames",
    "fix_types": "geo.store.frames",
    "for_gpkg": "geo.store.frames",
    "LOG_LAYER": "geo.store.gpkg",
    "STORE_ENV": "geo.store.gpkg",
    "Store": "geo.store.gpkg",
    "Transaction": "geo.store.gpkg",
    "default_store_path": "geo.store.gpkg",
    "points": "geo.store.gpkg",
    "META_TABLE": "geo.store.meta",
    "clear_demo_marker": "geo.store.meta",
    "is_demo_store": "geo.store.meta",
    "read_meta": "geo.store.meta",
    "set_meta": "geo.store.meta",
    "RETENTION_DATES": "geo.store.retention",
    "RetentionReport": "geo.store.retention",
    "apply_retention": "geo.store.retention",
    "cutoff_date": "geo.store.retention",
    "quarantine_files_before": "geo.store.retention",
    "retention_dates": "geo.store.retention",
    "retention_years": "geo.store.retention",
    "LayerWriter": "geo.store.writer",
    "conform_stream": "geo.store.writer",
    "conform_to_layer": "geo.store.writer",
    "layer_schema": "geo.store.writer",
}
__all__ = [
    "FORMULA_PREFIXES",
    "LOG_LAYER",
    "LayerWriter",
    "META_TABLE",
    "PathEscapeError",
    "RETENTION_DATES",
    "RetentionReport",
    "STORE_ENV",
    "Store",
    "Transaction",
    "apply_retention",
    "arrow_batch",
    "arrow_stream",
    "clear_demo_marker",
    "conform_stream",
    "conform_to_layer",
    "cutoff_date",
    "default_store_path",
    "fast_sqlite",
    "fix_types",
    "for_gpkg",
    "is_demo_store",
    "layer_schema",
    "lock_file",
    "neutralise_cell",
    "neutralise_frame",
    "points",
    "quarantine_files_before",
    "read_meta",
    "remove_stale_copies",
    "resolve_inside",
    "retention_dates",
    "retention_years",
    "safe_filename",
    "set_meta",
    "store_errors",
    "to_csv_bytes",
    "write_csv",
    "write_xlsx",
    "writing_copy",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
