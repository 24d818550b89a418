"""``csmap disruption``: hotspots, venues near them and the venue watchlist for an operation.

``csmap disruption --store PATH [--from DATE --to DATE] [--radius 250] [--link-radius 50]
[--method gi] [--role partner|analyst] --out FILE.csv|FILE.html|FILE.pdf``. ``.csv`` writes the
watchlist (formula-safe); ``.html`` and ``.pdf`` write the briefing pack (map plus tables). None
carries child identifiers. Restricted venues (children's homes) are never included.

``--role`` defaults to ``partner`` (the police/licensing role the pack is for, and the least
privileged one that may have it): disclosure control applies as on the app's page (hotspots with
fewer than ``min_children`` distinct children are dropped with their venues; watchlist, venue and
hotspot counts 1-4 are shown as ``c``, and a change wherever either of its counts is hidden).
``--role analyst`` writes the unsuppressed pack for analysts. Every run, failed ones too, is
logged in the store's audit log with ``--reason`` (:mod:`app.commands.audited`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.commands.argtypes import date, metres
from app.commands.audited import add_audit_options, record_export, record_failure
from app.commands.inputs import existing_store, run_reporting_errors
from geo.errors import CsmapError, ParameterError

METHODS = ("gi", "kde", "dual-kde", "hdbscan", "dbscan", "repeat")
SUFFIXES = (".csv", ".html", ".pdf")


def register(subparsers: Any) -> None:
    """Add the ``disruption`` sub-command."""
    p = subparsers.add_parser(
        "disruption",
        help="disruption planner: ranked hotspots, nearby venues, venue watchlist",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("--store", default=None, help="store (default $CSMAP_STORE)")
    p.add_argument("--from", dest="date_from", type=date, default=None)
    p.add_argument("--to", dest="date_to", type=date, default=None)
    p.add_argument("--radius", type=metres, default=250.0, help="venues near hotspots (m)")
    p.add_argument("--link-radius", type=metres, default=50.0, help="concern-venue link (m)")
    p.add_argument("--method", choices=METHODS, default="gi")
    p.add_argument("--area", default=None, help="study area (default $CSMAP_AREA or kirklees)")
    p.add_argument("--out", required=True, help="FILE.csv (watchlist), FILE.html or FILE.pdf")
    p.add_argument(
        "--role",
        choices=("partner", "analyst"),
        default="partner",
        help="whose view to write (default partner, the least-privileged role the planner is "
        "for: hotspots with fewer than 5 distinct children dropped, counts 1-4 shown as 'c'; "
        "analyst: unsuppressed counts)",
    )
    add_audit_options(p, reason=True)
    p.set_defaults(func=run)


def _what(out: str) -> str:
    return "disruption watchlist" if out.lower().endswith(".csv") else "disruption briefing"


def run(args: argparse.Namespace) -> int:
    """Run ``csmap disruption``."""

    def logged(args: argparse.Namespace) -> int:
        try:
            return _run(args)
        except CsmapError as exc:
            from geo.store.gpkg import default_store_path

            record_failure(
                args,
                exc,
                action="export",
                store=default_store_path(args.store),
                what=_what(args.out),
                role=args.role,
                file_name=args.out,
            )
            raise

    return run_reporting_errors(logged, args=args, prog="csmap disruption")


def _run(args: argparse.Namespace) -> int:
    from app.reports.briefing import (
        briefing_for_role,
        briefing_html,
        build_briefing,
        write_briefing_pdf,
    )
    from geo.demo.check import is_synthetic_store
    from geo.formats.venue_registers import all_venues
    from geo.ingest.pipeline import resolve_area
    from geo.store.export import write_csv

    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES:
        raise ParameterError(f"--out {out}: use a .csv, .html or .pdf file name")
    if args.date_from is not None and args.date_to is not None and args.date_from > args.date_to:
        raise ParameterError("--from is after --to")
    store = existing_store(args.store)
    area = resolve_area(args.area)
    concerns = store.read("concerns")
    venues = all_venues(area=area.name, store=store, include_restricted=False)
    synthetic = is_synthetic_store(store.path)
    from app.access.store_policy import disclosure_for_store

    disclosure = disclosure_for_store(args.role, store=store.path)
    briefing = build_briefing(
        concerns,
        area=area,
        venues=venues,
        start=args.date_from,
        end=args.date_to,
        method=args.method,
        radius=args.radius,
        link_radius=args.link_radius,
        synthetic=synthetic,
        disclosure=disclosure,
    )
    briefing = briefing_for_role(briefing, role=args.role, events=concerns, disclosure=disclosure)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        write_csv(briefing.watchlist, out)
    elif suffix == ".html":
        out.write_text(briefing_html(briefing), encoding="utf-8")
    else:
        write_briefing_pdf(briefing, out)
    if not record_export(
        args,
        out=out,
        prog="csmap disruption",
        store=store.path,
        what=_what(args.out),
        rows=len(briefing.watchlist) if suffix == ".csv" else len(briefing.hotspots),
        role=args.role,
        details={
            "filters": {"from": args.date_from, "to": args.date_to, "method": args.method},
            "radius": args.radius,
        },
    ):
        return 2
    print(
        json.dumps(
            {
                "out": str(out),
                "hotspots": len(briefing.hotspots),
                "venues_near_hotspots": int(briefing.nearby["venue_id"].nunique())
                if len(briefing.nearby)
                else 0,
                "watchlist_venues": len(briefing.watchlist),
                "as_of": briefing.as_of,
                "method": args.method,
                "role": args.role,
            },
            indent=2,
        )
    )
    return 0
