"""``csmap ingest KIND FILE``: validate a file and add its rows to the store.

Prints a JSON summary (``kind``, ``file``, ``store``, ``rows_read``, ``rows_loaded``,
``rows_quarantined``, ``rows_duplicate``, ``quarantine_file``) on stdout. Exit status 0 when every
row is accounted for (quarantined rows are not a failure), 2 for input that cannot be read at all
(one line on stderr naming the file and what is wrong; the store is untouched). Every run, failed
ones too, is logged in the store's audit log (:mod:`app.commands.audited`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.commands.audited import add_audit_options, record, record_failure
from geo.errors import CsmapError
from geo.vocab import KINDS


def register(subparsers: Any) -> None:
    """Add the ``ingest`` sub-command."""
    parser = subparsers.add_parser(
        "ingest",
        help="validate a CSV/.xlsx file and add its rows to the store",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("kind", choices=KINDS, help="record kind")
    parser.add_argument("file", help="CSV (UTF-8, UTF-8 BOM, cp1252/latin-1) or .xlsx file")
    parser.add_argument("--store", default=None, help="GeoPackage store (default: $CSMAP_STORE)")
    parser.add_argument("--mapping", default=None, help="YAML mapping of columns and values")
    parser.add_argument("--area", default=None, help="study area (default: $CSMAP_AREA, kirklees)")
    add_audit_options(parser, reason=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``csmap ingest``; return the exit status."""
    from geo.ingest.pipeline import ingest_file
    from geo.store.gpkg import default_store_path

    store = default_store_path(args.store)
    try:
        report = ingest_file(
            args.kind, args.file, store=store, mapping=args.mapping, area=args.area
        )
    except CsmapError as exc:
        record_failure(args, exc, action="ingest", store=store, what=args.kind, role="admin")
        print(f"csmap ingest: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    summary = report.summary()
    try:
        record(
            args,
            action="ingest",
            store=store,
            what=args.kind,
            rows=summary["rows_loaded"],
            role="admin",
            details={k: v for k, v in summary.items() if k not in ("kind", "store")},
        )
    except (CsmapError, OSError) as exc:
        print(
            f"csmap ingest: stored, but the audit log could not record it: {exc}", file=sys.stderr
        )
        print(json.dumps(summary, indent=2))
        return 2
    print(json.dumps(summary, indent=2))
    return 0
