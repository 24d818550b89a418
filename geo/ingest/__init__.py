"""Ingest: read a file, check it, type its records, quarantine the rest.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.ingest.content_hash import content_hashes, content_hashes_python
    from geo.ingest.dedupe import REPLACE_HINT, against_store, repeats_in_file, stored_keys
    from geo.ingest.ids import normalise_id, normalise_ids
    from geo.ingest.pipeline import AREA_ENV, ingest_file, resolve_area, validate_file
    from geo.ingest.quarantine import IngestReport, quarantine_frame, write_quarantine
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
    from geo.ingest.records import STORED_DTYPES, RowReasons, build_records, reason_column
    from geo.ingest.schema import (
        COLUMNS,
        DATE_ORDER,
        ID_COLUMN,
        LOCATION_INPUTS,
        LOCATION_TEXT_INPUTS,
        REQUIRED,
        SYNONYMS,
        Mapping,
        canonical_columns,
        load_mapping,
        match_columns,
        normalise_name,
    )
    from geo.ingest.synonyms import (
        AGENCY,
        CATEGORY,
        COLUMN_SYNONYMS,
        EPISODE,
        LOCATION_SYNONYMS,
        LOCATION_TYPE,
        PLACEMENT,
        PROVIDER,
        RISK,
    )
    from geo.ingest.values import (
        EXCEL_EPOCH,
        VOCABULARIES,
        authority_table,
        parse_age,
        parse_authority,
        parse_bool,
        parse_dates,
        parse_vocabulary,
        value_key,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "content_hashes": "geo.ingest.content_hash",
    "content_hashes_python": "geo.ingest.content_hash",
    "MAX_COLUMNS": "geo.ingest.read.csv_checks",
    "check_folded_rows": "geo.ingest.read.csv_checks",
    "check_header_width": "geo.ingest.read.csv_checks",
    "Decoded": "geo.ingest.read.decoding",
    "ENCODINGS": "geo.ingest.read.decoding",
    "decode": "geo.ingest.read.decoding",
    "REPLACE_HINT": "geo.ingest.dedupe",
    "against_store": "geo.ingest.dedupe",
    "repeats_in_file": "geo.ingest.dedupe",
    "stored_keys": "geo.ingest.dedupe",
    "normalise_id": "geo.ingest.ids",
    "normalise_ids": "geo.ingest.ids",
    "AREA_ENV": "geo.ingest.pipeline",
    "ingest_file": "geo.ingest.pipeline",
    "resolve_area": "geo.ingest.pipeline",
    "validate_file": "geo.ingest.pipeline",
    "IngestReport": "geo.ingest.quarantine",
    "quarantine_frame": "geo.ingest.quarantine",
    "write_quarantine": "geo.ingest.quarantine",
    "DEFAULT_MAX_UPLOAD_MB": "geo.ingest.read.readers",
    "MAX_UPLOAD_ENV": "geo.ingest.read.readers",
    "RawTable": "geo.ingest.read.readers",
    "UploadTooLargeError": "geo.ingest.read.readers",
    "check_upload_size": "geo.ingest.read.readers",
    "max_upload_bytes": "geo.ingest.read.readers",
    "read_table": "geo.ingest.read.readers",
    "RowReasons": "geo.ingest.records",
    "STORED_DTYPES": "geo.ingest.records",
    "build_records": "geo.ingest.records",
    "reason_column": "geo.ingest.records",
    "COLUMNS": "geo.ingest.schema",
    "DATE_ORDER": "geo.ingest.schema",
    "ID_COLUMN": "geo.ingest.schema",
    "LOCATION_INPUTS": "geo.ingest.schema",
    "LOCATION_TEXT_INPUTS": "geo.ingest.schema",
    "Mapping": "geo.ingest.schema",
    "REQUIRED": "geo.ingest.schema",
    "SYNONYMS": "geo.ingest.schema",
    "canonical_columns": "geo.ingest.schema",
    "load_mapping": "geo.ingest.schema",
    "match_columns": "geo.ingest.schema",
    "normalise_name": "geo.ingest.schema",
    "AGENCY": "geo.ingest.synonyms",
    "CATEGORY": "geo.ingest.synonyms",
    "COLUMN_SYNONYMS": "geo.ingest.synonyms",
    "EPISODE": "geo.ingest.synonyms",
    "LOCATION_SYNONYMS": "geo.ingest.synonyms",
    "LOCATION_TYPE": "geo.ingest.synonyms",
    "PLACEMENT": "geo.ingest.synonyms",
    "PROVIDER": "geo.ingest.synonyms",
    "RISK": "geo.ingest.synonyms",
    "EXCEL_EPOCH": "geo.ingest.values",
    "VOCABULARIES": "geo.ingest.values",
    "authority_table": "geo.ingest.values",
    "parse_age": "geo.ingest.values",
    "parse_authority": "geo.ingest.values",
    "parse_bool": "geo.ingest.values",
    "parse_dates": "geo.ingest.values",
    "parse_vocabulary": "geo.ingest.values",
    "value_key": "geo.ingest.values",
    "cell_text": "geo.ingest.read.xlsx",
    "check_no_dtd": "geo.ingest.read.xlsx",
    "read_sheet_rows": "geo.ingest.read.xlsx",
}
__all__ = [
    "AGENCY",
    "AREA_ENV",
    "CATEGORY",
    "COLUMNS",
    "COLUMN_SYNONYMS",
    "DATE_ORDER",
    "DEFAULT_MAX_UPLOAD_MB",
    "Decoded",
    "ENCODINGS",
    "EPISODE",
    "EXCEL_EPOCH",
    "ID_COLUMN",
    "IngestReport",
    "LOCATION_INPUTS",
    "LOCATION_SYNONYMS",
    "LOCATION_TEXT_INPUTS",
    "LOCATION_TYPE",
    "MAX_COLUMNS",
    "MAX_UPLOAD_ENV",
    "Mapping",
    "PLACEMENT",
    "PROVIDER",
    "REPLACE_HINT",
    "REQUIRED",
    "RISK",
    "RawTable",
    "RowReasons",
    "STORED_DTYPES",
    "SYNONYMS",
    "UploadTooLargeError",
    "VOCABULARIES",
    "against_store",
    "authority_table",
    "build_records",
    "canonical_columns",
    "cell_text",
    "check_folded_rows",
    "check_header_width",
    "check_no_dtd",
    "check_upload_size",
    "content_hashes",
    "content_hashes_python",
    "decode",
    "ingest_file",
    "load_mapping",
    "match_columns",
    "max_upload_bytes",
    "normalise_id",
    "normalise_ids",
    "normalise_name",
    "parse_age",
    "parse_authority",
    "parse_bool",
    "parse_dates",
    "parse_vocabulary",
    "quarantine_frame",
    "read_sheet_rows",
    "read_table",
    "reason_column",
    "repeats_in_file",
    "resolve_area",
    "stored_keys",
    "validate_file",
    "value_key",
    "write_quarantine",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
