"""``csmap venues import FILE --type TYPE [--store PATH]``: import a venue register.

Types: ``premises licence``, ``hotel/guest house``, ``taxi/private hire operator``,
``children's home`` (restricted). Prints the JSON summary (rows read, loaded, quarantined,
duplicate, quarantine file); exit 2 with one line on stderr for a file that cannot be read.
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
    """Add the ``venues`` sub-command."""
    p = subparsers.add_parser(
        "venues",
        help="import council/police venue registers (licensed premises, hotels, private hire, "
        "children's homes)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = p.add_subparsers(dest="venues_command", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="validate a register and add it to the store")
    imp.add_argument("file", help="CSV or .xlsx register")
    imp.add_argument(
        "--type",
        dest="register_type",
        required=True,
        help="premises licence | hotel/guest house | taxi/private hire operator | children's home",
    )
    imp.add_argument("--store", default=None, help="store (default $CSMAP_STORE or ~/.local/...)")
    imp.add_argument("--area", default=None, help="study area (default $CSMAP_AREA or kirklees)")
    add_audit_options(imp, reason=False)
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Run ``csmap venues import``."""
    from geo.formats.venue_registers import import_venues
    from geo.store.gpkg import default_store_path

    store = default_store_path(args.store)
    what = f"venues ({args.register_type})"
    try:
        report = import_venues(args.file, kind=args.register_type, store=store, area=args.area)
    except CsmapError as exc:
        record_failure(args, exc, action="ingest", store=store, what=what, role="admin")
        print(f"csmap venues import: {exc}", file=sys.stderr)
        return 2
    summary = report.summary()
    summary["register_type"] = args.register_type
    print(json.dumps(summary, indent=2))
    try:
        record(
            args,
            action="ingest",
            store=store,
            what=what,
            rows=summary.get("rows_loaded"),
            role="admin",
            details={"file": str(args.file), **{k: v for k, v in summary.items() if k != "store"}},
        )
    except (CsmapError, OSError) as exc:
        print(
            f"csmap venues import: stored, but the audit log could not record it: {exc}",
            file=sys.stderr,
        )
        return 2
    for _, row in report.quarantine.head(20).iterrows():
        print(f"  row {row['source_row']}: {row['reasons']}", file=sys.stderr)
    return 0
