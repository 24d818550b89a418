"""``csmap spacetime emerging``: emerging hot spots (space-time Gi* + Mann-Kendall, ArcGIS classes).

INPUT is a CSV (or .xlsx) of records in the canonical columns (or mapped with ``--mapping``),
validated exactly as ``csmap ingest`` does (quarantined rows are reported on stderr, nothing is
stored); or use ``--store PATH --kind KIND`` for stored records. One row per grid cell goes to
``--out`` (``.geojson``, ``.gpkg`` or ``.csv`` + ``.params.json``) with its category (new,
consecutive, intensifying, persistent, diminishing, sporadic, oscillating, historical hot or cold
spot, or no pattern), and a JSON summary is printed. Exit status 2 for bad input (one line on
stderr). Every run, failed ones too, is logged in the audit log with ``--reason``
(:mod:`app.commands.audited`).

This module is not a top-level command: :mod:`app.commands.analyse.spacetime` attaches it to
``csmap spacetime`` with :func:`add_subcommand`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.commands.argtypes import scale
from app.commands.audited import add_audit_options, record_export, record_failure
from app.commands.inputs import add_input_arguments, load_points
from app.session.filters import DATE_COLUMNS
from geo.errors import CsmapError, ParameterError
from geo.vocab import POINT_RECORD_KINDS

PROG = "csmap spacetime emerging"


def add_subcommand(sub: Any) -> None:
    """Add ``emerging`` to the sub-parsers of ``csmap spacetime``."""
    p = sub.add_parser(
        "emerging",
        help="emerging hot spots: new, persistent, intensifying, ... per grid cell over months",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    add_input_arguments(p)
    p.add_argument("--cell-size", type=scale, default="auto", help="metres or auto")
    p.add_argument("--band", type=scale, default="auto", help="distance band: metres or auto")
    p.add_argument("--shape", choices=("square", "hex"), default="square", help="cell shape")
    p.add_argument("--time-step", choices=("month", "quarter", "week"), default="month")
    p.add_argument(
        "--neighbourhood-steps",
        type=int,
        default=1,
        help="time steps in a bin's neighbourhood besides its own (default 1)",
    )
    p.add_argument(
        "--time-window",
        choices=("backward", "both"),
        default="backward",
        help="neighbourhood steps before only (ArcGIS) or before and after",
    )
    p.add_argument("--from", dest="date_from", default=None, help="cube start (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", default=None, help="cube end (YYYY-MM-DD)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--no-fdr", action="store_true", help="do not control the FDR over the cube")
    p.add_argument("--out", required=True, help="FILE.geojson, FILE.gpkg or FILE.csv")
    add_audit_options(p, reason=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``csmap spacetime emerging``; return the exit status."""
    from analysis.hotspots.registry import run as run_method
    from analysis.hotspots.result import SUFFIXES, write_hotspots
    from geo.places.boundaries import load_area

    what = f"emerging hot spots ({args.kind})"
    try:
        if Path(args.out).suffix.lower() not in SUFFIXES:
            raise ParameterError(f"{args.out}: output must end in one of {SUFFIXES}")
        if not 0.0 < args.alpha < 1.0:
            raise ParameterError(f"--alpha must be between 0 and 1, got {args.alpha}")
        if args.neighbourhood_steps < 0:
            raise ParameterError("--neighbourhood-steps must be 0 or more")
        area = load_area(args.area)
        pts = load_points(args, area=area, prog=PROG, rows=0)
        if len(pts) == 0:
            raise ParameterError("no events with a location to analyse")
        result = run_method(
            pts,
            method="emerging",
            study_area=area,
            cell_size=args.cell_size,
            band=args.band,
            shape=args.shape,
            time_column=DATE_COLUMNS[POINT_RECORD_KINDS[args.kind]],
            time_step=args.time_step,
            neighbourhood_steps=args.neighbourhood_steps,
            time_window=args.time_window,
            start=args.date_from,
            end=args.date_to,
            alpha=args.alpha,
            fdr=not args.no_fdr,
        )
        out = write_hotspots(result, args.out)
    except CsmapError as exc:
        record_failure(
            args,
            exc,
            action="export",
            store=args.store,
            what=what,
            role="analyst",
            file_name=args.out,
        )
        print(f"{PROG}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if not record_export(
        args,
        out=out,
        prog=PROG,
        store=args.store,
        what=what,
        rows=len(result),
        role="analyst",
        details={"input": args.input, "period": [args.date_from, args.date_to]},
    ):
        return 2
    params = result.attrs.get("csmap_params", {})
    summary = {
        key: params.get(key)
        for key in (
            "n_points",
            "n_counted",
            "cell_size",
            "band",
            "automatic",
            "time_step",
            "n_steps",
            "first_period",
            "final_period",
            "neighbourhood_steps",
            "alpha",
            "fdr",
            "category_counts",
            "warning",
        )
        if params.get(key) is not None
    }
    summary["out"] = str(out)
    print(json.dumps(summary, indent=2))
    return 0
