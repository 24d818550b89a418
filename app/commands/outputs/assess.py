"""``csmap assess LOCATION``: a Regulation 46 location assessment as HTML, PDF or JSON.

``csmap assess LOCATION --store PATH [--radius 500] [--months 12] [--as-of DATE]
--out FILE.html|FILE.pdf|FILE.json``; LOCATION is ``lat,lon``, ``easting,northing``, a grid
reference or a postcode (through the configured offline postcode lookup). Hotspots are Gi* hot
areas of the concerns in the same period. Restricted venues (children's homes) are not listed.
Every run, failed ones too, is logged in the store's audit log with ``--reason``
(:mod:`app.commands.audited`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.commands.argtypes import count, date, positive
from app.commands.audited import add_audit_options, record_export, record_failure
from app.commands.inputs import existing_store, run_reporting_errors
from geo.errors import CsmapError, ParameterError

SUFFIXES = (".html", ".pdf", ".json")


def register(subparsers: Any) -> None:
    """Add the ``assess`` sub-command."""
    p = subparsers.add_parser(
        "assess",
        help="Regulation 46 location assessment for a point, grid reference or postcode",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("location", help="lat,lon | easting,northing | grid reference | postcode")
    p.add_argument("--store", default=None, help="store (default $CSMAP_STORE)")
    p.add_argument("--radius", type=positive, default=500.0, help="metres (250/500/1000/2000)")
    p.add_argument("--months", type=count, default=12)
    p.add_argument("--as-of", dest="as_of", type=date, default=None, help="default today")
    p.add_argument("--area", default=None, help="study area (default $CSMAP_AREA or kirklees)")
    p.add_argument("--out", required=True, help="FILE.html, FILE.pdf or FILE.json")
    p.add_argument(
        "--role",
        default="analyst",
        help="role the output is for (app.access.policy). Default analyst: whoever runs the CLI "
        "can read the store file itself. Use --role practitioner for an output to hand to a "
        "children's home: every count then goes through disclosure control",
    )
    add_audit_options(p, reason=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``csmap assess``."""

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
                what="location assessment",
                role=str(args.role),
                file_name=args.out,
            )
            raise

    return run_reporting_errors(logged, args=args, prog="csmap assess")


def _run(args: argparse.Namespace) -> int:
    from analysis.views.assessment import assess_location, parse_location
    from app.access.policy import require
    from app.access.store_policy import disclosure_for_store
    from app.reports.assessment_report import (
        assessment_html,
        write_assessment_json,
        write_assessment_pdf,
    )
    from app.views.assessment import controlled_assessment
    from geo.demo.check import is_synthetic_store
    from geo.formats.venue_registers import all_venues
    from geo.ingest.pipeline import resolve_area
    from geo.locate.geocode import load_lookups

    require(args.role, "location_assessments")  # PermissionDenied (a CsmapError): exit 2
    out = Path(args.out)
    if out.suffix.lower() not in SUFFIXES:
        raise ParameterError(f"--out {out}: use a .html, .pdf or .json file name")
    store = existing_store(args.store)
    location = parse_location(args.location, lookups=load_lookups())
    area = resolve_area(args.area)
    records = {k: store.read(k) for k in ("concerns", "missing_episodes")}
    venues = all_venues(area=area.name, store=store, include_restricted=False)
    result, hot = assess_location(
        location,
        records=records,
        area=area,
        venues=venues,
        radius=args.radius,
        months=args.months,
        as_of=args.as_of,
        synthetic=is_synthetic_store(store.path),
    )
    disclosure = disclosure_for_store(args.role, store=store.path)
    if disclosure is not None:  # practitioners (and other disclosure roles): counts suppressed
        result = controlled_assessment(result, policy=disclosure)
    suffix = out.suffix.lower()
    if suffix == ".json":
        write_assessment_json(result, out)
    elif suffix == ".html":
        out.write_text(
            assessment_html(result, area=area, hotspots=hot, venues=venues), encoding="utf-8"
        )
    else:
        write_assessment_pdf(result, out, area=area, hotspots=hot, venues=venues)
    if not record_export(
        args,
        out=out,
        prog="csmap assess",
        store=store.path,
        what="location assessment",
        rows=1,
        role=str(args.role),
        details={"location": args.location, "radius": args.radius, "months": args.months},
    ):
        return 2
    data = result.to_json()
    print(
        json.dumps(
            {
                k: data[k]
                for k in (
                    "radius_m",
                    "concerns_total",
                    "missing_found",
                    "missing_last_seen",
                    "hotspots",
                    "imd_decile",
                )
            }
            | {"out": str(out)},
            indent=2,
        )
    )
    return 0
