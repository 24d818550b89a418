"""``csmap report placements|missing|agencies``: a strategic report from the store, as CSV or HTML.

The role decides what the report holds (:mod:`app.access.policy`): ``board`` (default) gets
aggregates
with disclosure control (counts 1-4 shown as ``c``, secondary suppression); ``analyst`` also gets
the per-child and per-placement sections, which makes it a record-level export: ``--reason`` is
then required. Every run, failed ones too, is logged in the store's audit log
(:mod:`app.commands.audited`; ``--audit-log`` overrides). Exit status 2 for input errors (one
line on stderr naming the file or option).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands.audited import add_audit_options, record_export, record_failure

VIEWS = ("placements", "missing", "agencies")


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command."""
    p = subparsers.add_parser(
        "report",
        help="strategic report: placements into the area, missing episodes, who reports",
        description=__doc__,
    )
    p.add_argument("view", choices=VIEWS, help="which report")
    p.add_argument("--store", default=None, help="the store (default $CSMAP_STORE or ~/.local/...)")
    p.add_argument("--level", choices=("ward", "lsoa"), default="ward", help="area level")
    p.add_argument("--role", choices=("board", "analyst"), default="board", help="audience")
    p.add_argument("--out", required=True, help="output file, .csv or .html")
    p.add_argument("--area", default=None, help="study area (default $CSMAP_AREA or kirklees)")
    add_audit_options(p, reason=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the report, write it, log the export; 2 on bad input."""
    from app.access.policy import can
    from app.access.store_policy import disclosure_for_store
    from app.reports.strategic import build_report, to_frame, write_report
    from geo.demo.check import is_synthetic_store
    from geo.errors import CsmapError, ParameterError
    from geo.ingest.pipeline import resolve_area
    from geo.locate.geocode import load_lookups
    from geo.store.gpkg import Store, default_store_path

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".html"):
        print(f"csmap report: --out {out}: must end in .csv or .html", file=sys.stderr)
        return 2
    record_level = can(args.role, "child_references")
    store_path = default_store_path(args.store)
    if record_level and not (args.reason or "").strip():
        message = f"--reason is required for the {args.role} role (record-level sections)"
        record_failure(
            args,
            ParameterError(message),
            action="export",
            store=store_path,
            what=f"report {args.view}",
            role=args.role,
            file_name=out,
        )
        print(f"csmap report: {message}", file=sys.stderr)
        return 2
    if not store_path.exists():
        message = f"store {store_path} does not exist"
        record_failure(
            args,
            ParameterError(message),
            action="export",
            store=store_path,
            what=f"report {args.view}",
            role=args.role,
            file_name=out,
        )
        print(f"csmap report: {message}", file=sys.stderr)
        return 2
    try:
        store = Store(store_path)
        kinds = set(store.kinds())
        records = {kind: store.read(kind) for kind in kinds}
        area = resolve_area(args.area)
        lookups = load_lookups()
        report = build_report(
            args.view,
            records,
            area=area,
            role=args.role,
            level=args.level,
            lookups=lookups,
            synthetic=is_synthetic_store(store_path),
            disclosure=disclosure_for_store(args.role, store=store_path),
        )
        write_report(report, out)
    except (CsmapError, ValueError, OSError) as exc:
        record_failure(
            args,
            exc,
            action="export",
            store=store_path,
            what=f"report {args.view}",
            role=args.role,
            file_name=out,
        )
        print(f"csmap report: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if not record_export(
        args,
        out=out,
        prog="csmap report",
        store=store_path,
        what=f"report {args.view}",
        rows=len(to_frame(report)),
        role=args.role,
        record_level=record_level,
        details={"filters": {"level": args.level}},
    ):
        return 2
    print(f"{report.title}: {len(report.sections)} sections written to {out}")
    return 0
