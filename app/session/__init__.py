"""One app session: configuration, data loading, filters and uploads.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.session.filters import (
        DATE_COLUMNS,
        KIND_LABELS,
        Filters,
        apply_filters,
        date_bounds,
        filter_kind,
    )
    from app.session.state import (
        KEY_AGENCIES,
        KEY_CATEGORIES,
        KEY_KINDS,
        KEY_PERIOD,
        KEY_RISK,
        KEY_TILES,
        UPLOADED_KEY,
        AppConfig,
        config_from_env,
        current_filters,
        current_records,
        load_ingest_log,
        load_store_records,
        load_study_area,
        store_mtime,
        synthetic_data,
        uploaded_records,
    )
    from app.session.timing import ENV_VAR, enabled, span
    from app.session.uploads import (
        DEFAULT_MAX_UPLOAD_MB,
        MAX_UPLOAD_ENV,
        UPLOAD_TYPES,
        UploadError,
        UploadMerge,
        max_upload_mb,
        merge_new_records,
        merge_upload,
        upload_summary,
        validate_upload,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "DATE_COLUMNS": "app.session.filters",
    "Filters": "app.session.filters",
    "KIND_LABELS": "app.session.filters",
    "apply_filters": "app.session.filters",
    "date_bounds": "app.session.filters",
    "filter_kind": "app.session.filters",
    "AppConfig": "app.session.state",
    "KEY_AGENCIES": "app.session.state",
    "KEY_CATEGORIES": "app.session.state",
    "KEY_KINDS": "app.session.state",
    "KEY_PERIOD": "app.session.state",
    "KEY_RISK": "app.session.state",
    "KEY_TILES": "app.session.state",
    "UPLOADED_KEY": "app.session.state",
    "config_from_env": "app.session.state",
    "current_filters": "app.session.state",
    "current_records": "app.session.state",
    "load_ingest_log": "app.session.state",
    "load_store_records": "app.session.state",
    "load_study_area": "app.session.state",
    "store_mtime": "app.session.state",
    "synthetic_data": "app.session.state",
    "uploaded_records": "app.session.state",
    "ENV_VAR": "app.session.timing",
    "enabled": "app.session.timing",
    "span": "app.session.timing",
    "DEFAULT_MAX_UPLOAD_MB": "app.session.uploads",
    "MAX_UPLOAD_ENV": "app.session.uploads",
    "UPLOAD_TYPES": "app.session.uploads",
    "UploadError": "app.session.uploads",
    "UploadMerge": "app.session.uploads",
    "max_upload_mb": "app.session.uploads",
    "merge_new_records": "app.session.uploads",
    "merge_upload": "app.session.uploads",
    "upload_summary": "app.session.uploads",
    "validate_upload": "app.session.uploads",
}
__all__ = [
    "AppConfig",
    "DATE_COLUMNS",
    "DEFAULT_MAX_UPLOAD_MB",
    "ENV_VAR",
    "Filters",
    "KEY_AGENCIES",
    "KEY_CATEGORIES",
    "KEY_KINDS",
    "KEY_PERIOD",
    "KEY_RISK",
    "KEY_TILES",
    "KIND_LABELS",
    "MAX_UPLOAD_ENV",
    "UPLOADED_KEY",
    "UPLOAD_TYPES",
    "UploadError",
    "UploadMerge",
    "apply_filters",
    "config_from_env",
    "current_filters",
    "current_records",
    "date_bounds",
    "enabled",
    "filter_kind",
    "load_ingest_log",
    "load_store_records",
    "load_study_area",
    "max_upload_mb",
    "merge_new_records",
    "merge_upload",
    "span",
    "store_mtime",
    "synthetic_data",
    "upload_summary",
    "uploaded_records",
    "validate_upload",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
