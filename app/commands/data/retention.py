"""``csmap retention apply``: delete records older than N years from the store, and log it.

``csmap retention apply [--years N] [--store PATH] [--dry-run] [--audit-log PATH]
[--reason TEXT] [--config PATH]`` deletes, in one atomic store transaction, every record whose
retention date (concerns: ``reported_date``; missing episodes: ``end``, else ``start``; placements:
``end_date``, else ``start_date``) is before today minus N years, and the quarantine CSVs beside
the store written before that cut-off (they hold original rows). ``--dry-run`` only counts.
The period comes from ``--years``, else env ``CSMAP_RETENTION_YEARS``, else
``retention: {years: N}`` in ``csmap.yaml``. Every run (dry runs too) is appended to the audit
log of the store (:mod:`app.commands.audited`) with the cut-off, rows per kind, the user and the
result; a real run is refused when the audit log's chain is broken.

Prints a JSON summary on stdout. Exit status 0 on success, 2 for bad input (no store, no period,
unreadable audit log), with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.commands.audited import add_audit_options, record, record_failure
from geo.errors import CsmapError


def register(subparsers: Any) -> None:
    """Add the ``retention`` sub-command with ``apply``."""
    parser = subparsers.add_parser(
        "retention",
        help="delete records older than the retention period (logged)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    apply = sub.add_parser("apply", help="delete records older than N years (or --dry-run)")
    apply.add_argument(
        "--years",
        type=int,
        default=None,
        help="retention period in whole years (default: $CSMAP_RETENTION_YEARS, then "
        "retention.years in csmap.yaml)",
    )
    apply.add_argument("--store", default=None, help="GeoPackage store (default: $CSMAP_STORE)")
    apply.add_argument("--dry-run", action="store_true", help="count only; change nothing")
    add_audit_options(apply, reason=True)
    apply.add_argument("--config", type=Path, default=None, help="csmap.yaml with retention.years")
    apply.set_defaults(func=run_apply)


def run_apply(args: argparse.Namespace) -> int:
    """Run ``csmap retention apply``; return the exit status."""
    from app.access.audit import AuditLog
    from geo.store.gpkg import default_store_path
    from geo.store.retention import apply_retention, retention_years

    store = default_store_path(args.store)
    log = AuditLog.for_store(store, log=args.audit_log)
    try:
        years = args.years if args.years is not None else retention_years(args.config)
        if years is None:
            print(
                "csmap retention: no retention period: give --years N, set "
                "CSMAP_RETENTION_YEARS, or add 'retention: {years: N}' to csmap.yaml",
                file=sys.stderr,
            )
            return 2
        if not args.dry_run and log.path.exists():
            check = log.verify()
            if not check.ok:
                print(
                    f"csmap retention: {log.path}: audit log broken ({check.message}); "
                    "nothing deleted (run `csmap audit verify`)",
                    file=sys.stderr,
                )
                return 2
        try:
            report = apply_retention(store, years=years, dry_run=args.dry_run)
        except CsmapError as exc:
            record_failure(
                args, exc, action="retention", store=store, what="retention", role="admin"
            )
            raise
        summary = report.summary()
        record(
            args,
            action="retention",
            store=store,
            what="retention",
            rows=summary["rows_deleted"],
            role="admin",
            details={k: v for k, v in summary.items() if k != "store"},
        )
    except CsmapError as exc:
        print(f"csmap retention: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0
