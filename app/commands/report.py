"""``csmap report placements|missing|agencies``: a strategic report from the store, as CSV or HTML.

The role decides what the report holds (:mod:`app.policy`): ``board`` (default) gets aggregates
with disclosure control (counts 1-4 shown as ``c``, secondary suppression); ``analyst`` also gets
the per-child and per-placement sections, which makes it a record-level export: ``--reason`` is
then required. Every report written is logged in the audit log (``--audit-log``, default
``$CSMAP_AUDIT_LOG`` or ``~/.local/share/csmap/audit.jsonl``). Exit status 2 for input errors
(one line on stderr naming the file or option).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

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
    p.add_argument("--reason", default=None, help="why (required for the analyst role)")
    p.add_argument("--audit-log", type=Path, default=None, help="audit log (JSON lines)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the report, write it, log the export; 2 on bad input."""
    from app.audit import AuditLog, ReasonRequired, default_audit_path  # noqa: PLC0415
    from app.policy import can  # noqa: PLC0415
    from app.reports.strategic import build_report, to_frame, write_report  # noqa: PLC0415
    from geo.errors import CsmapError  # noqa: PLC0415
    from geo.geocode import load_lookups  # noqa: PLC0415
    from geo.ingest import resolve_area  # noqa: PLC0415
    from geo.store import Store, default_store_path  # noqa: PLC0415
    from geo.store_meta import is_demo_store  # noqa: PLC0415

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".html"):
        print(f"csmap report: --out {out}: must end in .csv or .html", file=sys.stderr)
        return 2
    record_level = can(args.role, "child_references")
    if record_level and not (args.reason or "").strip():
        print(
            f"csmap report: --reason is required for the {args.role} role (record-level sections)",
            file=sys.stderr,
        )
        return 2
    store_path = default_store_path(args.store)
    if not store_path.exists():
        print(f"csmap report: store {store_path} does not exist", file=sys.stderr)
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
            synthetic=is_demo_store(store_path),
        )
        write_report(report, out)
    except (CsmapError, ValueError, OSError) as exc:
        print(f"csmap report: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        log = AuditLog(args.audit_log if args.audit_log is not None else default_audit_path())
        log.export(
            user=getpass.getuser(),
            role=args.role,
            what=f"report {args.view}",
            rows=len(to_frame(report)),
            record_level=record_level,
            reason=args.reason,
            filters={"level": args.level, "store": str(store_path)},
            file_name=out.name,
        )
    except ReasonRequired as exc:  # pragma: no cover - checked above
        print(f"csmap report: {exc}", file=sys.stderr)
        return 2
    print(f"{report.title}: {len(report.sections)} sections written to {out}")
    return 0
