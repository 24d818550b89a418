"""``csmap ssda903 import FORMAT FILE``: import a national-format table (SSDA903 or SSD).

Formats (:data:`geo.formats.ssda903.FORMATS`): ``ssda903-episodes`` and ``ssd-placements`` become
placements, ``ssda903-missing`` and ``ssd-missing`` become missing episodes. The table is renamed
into the canonical columns and goes through the ordinary ingest
(:func:`geo.formats.ssda903.import_table`),
so quarantine, duplicates and the reconciliation are exactly those of ``csmap ingest``.

Prints the same JSON summary as ``csmap ingest`` (plus ``format``) on stdout. With ``--dry-run``
nothing is stored (the file is only validated). Exit status 0 when every row is accounted for,
2 for input that cannot be read at all (one line on stderr naming the file and what is wrong).
Every import into the store, failed ones too, is logged in the store's audit log
(:mod:`app.commands.audited`); a dry run stores nothing and is not logged.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.commands.audited import add_audit_options, record, record_failure
from geo.errors import CsmapError

#: Formats offered on the command line (kept in step with :data:`geo.formats.ssda903.FORMATS`).
FORMAT_CHOICES: tuple[str, ...] = (
    "ssda903-episodes",
    "ssda903-missing",
    "ssd-placements",
    "ssd-missing",
)


def register(subparsers: Any) -> None:
    """Add ``csmap ssda903 import``."""
    parser = subparsers.add_parser(
        "ssda903",
        help="import SSDA903 / Standard Safeguarding Dataset tables",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="ssda903_command", required=True, metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="import one table into the store",
        description="Import one SSDA903/SSD table through the ordinary ingest.",
    )
    imp.add_argument("format", choices=FORMAT_CHOICES, help="table format")
    imp.add_argument("file", help="the table (CSV or .xlsx)")
    imp.add_argument("--store", default=None, help="GeoPackage store (default: $CSMAP_STORE)")
    imp.add_argument(
        "--episodes",
        default=None,
        help="ssd_cla_episodes table (gives ssd-placements their child reference)",
    )
    imp.add_argument(
        "--placing-authority",
        default=None,
        help="the local authority making the return (name or ONS code)",
    )
    imp.add_argument(
        "--postcode-lookup",
        default=None,
        help="postcode lookup CSV (default: the configured lookup, $CSMAP_POSTCODE_LOOKUP)",
    )
    imp.add_argument("--area", default=None, help="study area (default: $CSMAP_AREA, kirklees)")
    imp.add_argument(
        "--dry-run", action="store_true", help="validate only; do not add to the store"
    )
    add_audit_options(imp, reason=False)
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Run ``csmap ssda903 import``; return the exit status."""
    from geo.formats.ssda903 import import_table
    from geo.locate.geocode import Lookups, PostcodeLookup
    from geo.store.gpkg import default_store_path

    store = None if args.dry_run else default_store_path(args.store)
    try:
        lookups = None
        if args.postcode_lookup:
            lookups = Lookups(postcode=PostcodeLookup.from_csv(args.postcode_lookup))
        report = import_table(
            args.format,
            args.file,
            store=store,
            placing_authority=args.placing_authority,
            episodes=args.episodes,
            lookups=lookups,
            area=args.area,
        )
    except CsmapError as exc:
        if store is not None:
            what = f"ssda903 import ({args.format})"
            record_failure(args, exc, action="ingest", store=store, what=what, role="admin")
        print(f"csmap ssda903 import: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    summary = {"format": args.format, **report.summary()}
    print(json.dumps(summary, indent=2))
    if store is None:
        return 0
    try:
        record(
            args,
            action="ingest",
            store=store,
            what=f"{summary['kind']} ({args.format})",
            rows=summary["rows_loaded"],
            role="admin",
            details={k: v for k, v in summary.items() if k not in ("kind", "store")},
        )
    except (CsmapError, OSError) as exc:
        print(
            f"csmap ssda903 import: stored, but the audit log could not record it: {exc}",
            file=sys.stderr,
        )
        return 2
    return 0
