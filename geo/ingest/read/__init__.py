"""Read a file into raw text cells: CSV in any encoding, XLSX, and the checks made on the
file's shape before any row is typed.

Public names are re-exported here and imported from their module on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.ingest.read.csv_checks import MAX_COLUMNS, check_folded_rows, check_header_width
    from geo.ingest.read.decoding import ENCODINGS, Decoded, decode
    from geo.ingest.read.readers import (
        DEFAULT_MAX_UPLOAD_MB,
        MAX_UPLOAD_ENV,
        RawTable,
        UploadTooLargeError,
        check_upload_size,
        max_upload_bytes,
        read_table,
    )
    from geo.ingest.read.xlsx import cell_text, check_no_dtd, read_sheet_rows

#: Public name -> the module that defines it.
_EXPORTS = {
    "MAX_COLUMNS": "geo.ingest.read.csv_checks",
    "check_folded_rows": "geo.ingest.read.csv_checks",
    "check_header_width": "geo.ingest.read.csv_checks",
    "Decoded": "geo.ingest.read.decoding",
    "ENCODINGS": "geo.ingest.read.decoding",
    "decode": "geo.ingest.read.decoding",
    "DEFAULT_MAX_UPLOAD_MB": "geo.ingest.read.readers",
    "MAX_UPLOAD_ENV": "geo.ingest.read.readers",
    "RawTable": "geo.ingest.read.readers",
    "UploadTooLargeError": "geo.ingest.read.readers",
    "check_upload_size": "geo.ingest.read.readers",
    "max_upload_bytes": "geo.ingest.read.readers",
    "read_table": "geo.ingest.read.readers",
    "cell_text": "geo.ingest.read.xlsx",
    "check_no_dtd": "geo.ingest.read.xlsx",
    "read_sheet_rows": "geo.ingest.read.xlsx",
}
__all__ = [
    "MAX_COLUMNS",
    "check_folded_rows",
    "check_header_width",
    "Decoded",
    "ENCODINGS",
    "decode",
    "DEFAULT_MAX_UPLOAD_MB",
    "MAX_UPLOAD_ENV",
    "RawTable",
    "UploadTooLargeError",
    "check_upload_size",
    "max_upload_bytes",
    "read_table",
    "cell_text",
    "check_no_dtd",
    "read_sheet_rows",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
