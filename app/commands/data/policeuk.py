"""``csmap police-uk import PATH...``: read police.uk street-level CSVs into the store.

PATH may be CSV files, folders or zip archives. Repeated Crime IDs within a month are dropped
(first kept), rows without coordinates are quarantined with the reason, and the records go to the
store's ``police_uk`` layer (rows already stored are skipped). Quarantined rows are always
written to a CSV beside the store, named in the summary (``quarantine_file``) and the ingest log.
Prints a JSON summary; exit status 2 for a file that cannot be read (one line on stderr).
Every import, failed ones too, is logged in the store's audit log (:mod:`app.commands.audited`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.commands.audited import add_audit_options, record, record_failure
from geo.errors import CsmapError


def register(subparsers: Any) -> None:
    """Add the ``police-uk`` sub-command (with ``import``)."""
    parser = subparsers.add_parser(
        "police-uk",
        help="import police.uk street-level crime as a context layer",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="policeuk_command", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="read police.uk CSVs (files, folders, zips) into the store")
    imp.add_argument("paths", nargs="+", help="police.uk street CSV files, folders or zips")
    imp.add_argument("--store", default=None, help="GeoPackage store (default: $CSMAP_STORE)")
    imp.add_argument(
        "--quarantine",
        default=None,
        help="also copy quarantined rows to this CSV (they are always written beside the store)",
    )
    add_audit_options(imp, reason=False)
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Run ``csmap police-uk import``; return the exit status."""
    from geo.formats.policeuk import read_police_uk, store_police_uk
    from geo.store.gpkg import Store, default_store_path

    store = Store(default_store_path(args.store))
    try:
        report = read_police_uk(args.paths)
        added = store_police_uk(report, store=store)
    except CsmapError as exc:
        record_failure(args, exc, action="ingest", store=store.path, what="police_uk", role="admin")
        print(f"csmap police-uk import: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    summary = report.summary()
    summary["store"] = str(store.path)
    summary["rows_added_to_store"] = added
    if args.quarantine and len(report.quarantine):
        from geo.store.export import write_csv

        write_csv(report.quarantine, args.quarantine)
        summary["quarantine_copy"] = str(args.quarantine)
    print(json.dumps(summary, indent=2))
    try:
        record(
            args,
            action="ingest",
            store=store.path,
            what="police_uk",
            rows=added,
            role="admin",
            details={
                k: summary[k]
                for k in (
                    "files",
                    "rows_read",
                    "rows_loaded",
                    "rows_quarantined",
                    "rows_duplicate",
                    "months",
                    "quarantine_file",
                    "quarantine_copy",
                )
                if k in summary
            },
        )
    except (CsmapError, OSError) as exc:
        print(
            f"csmap police-uk import: stored, but the audit log could not record it: {exc}",
            file=sys.stderr,
        )
        return 2
    return 0
