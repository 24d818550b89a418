"""``csmap evaluate``: rolling-origin backtest of hotspot methods (hit rate, PAI, PEI, RRI).

INPUT is a canonical concerns CSV/.xlsx (validated as ``csmap ingest`` does; quarantined rows are
reported on stderr, nothing is stored), or police.uk street CSVs, folders or zips (detected by
their ``Crime ID``/``Month`` header), or ``--store PATH --kind concerns|police_uk``. Methods are
trained on ``--train-months`` calendar months, tested on the next ``--test-months``, and the
window slides one month at a time (:func:`analysis.evaluation.accuracy.backtest`). Every fold is
written
to ``--out`` (CSV) and the mean per method and coverage is printed as JSON.

Study area: the bundled ``--area`` for concerns; for police.uk (no force boundary is bundled) the
convex hull of the events buffered by ``--hull-buffer`` metres, leaving out the ``--hull-trim``
share of events farthest from their median centre (``--area`` overrides it).
Exit status 2 for input or parameter errors (one line on stderr). Every run, failed ones too, is
logged in the audit log with ``--reason`` (:mod:`app.commands.audited`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.commands.argtypes import positive, scale
from app.commands.audited import add_audit_options, record_export, record_failure
from app.commands.inputs import report_quarantine
from geo.errors import CsmapError, ParameterError, UnreadableFileError
from geo.store.export import write_csv

PROG = "csmap evaluate"
#: Columns of a police.uk street file that identify one (the rest are optional).
POLICE_UK_MARKERS = ("Crime ID", "Month", "Longitude", "Latitude")


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 0.01,0.05, got {text!r}") from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"coverage shares must be in (0, 1], got {text!r}")
    return values


def _names(text: str) -> list[str]:
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one method")
    return names


def register(subparsers: Any) -> None:
    """Add the ``evaluate`` sub-command."""
    p = subparsers.add_parser(
        "evaluate",
        help="backtest hotspot methods: hit rate, PAI, PEI and RRI at fixed shares of area",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("input", nargs="*", help="concerns CSV/.xlsx, or police.uk CSVs/folders/zips")
    p.add_argument(
        "--methods",
        type=_names,
        default=["grid_counts", "kde", "gi", "default"],
        help="comma-separated: grid_counts, kde, gi, default (csmap's Gi* with automatic scale)",
    )
    p.add_argument("--train-months", type=int, default=3)
    p.add_argument("--test-months", type=int, default=1)
    p.add_argument("--coverage", type=_floats, default=[0.01, 0.03, 0.05], help="area shares")
    p.add_argument("--cell-size", type=positive, default=250.0, help="evaluation cell (m)")
    p.add_argument("--bandwidth", type=scale, default="auto", help="kde search radius: m or auto")
    p.add_argument("--band", type=scale, default="auto", help="gi distance band: m or auto")
    p.add_argument("--category", action="append", default=None, help="concerns: keep (repeat)")
    p.add_argument("--crime-type", action="append", default=None, help="police.uk: keep (repeat)")
    p.add_argument("--area", default=None, help="study area (default kirklees; police.uk: hull)")
    p.add_argument("--hull-buffer", type=float, default=500.0, help="police.uk hull buffer (m)")
    p.add_argument(
        "--hull-trim",
        type=float,
        default=0.005,
        help="police.uk: share of outlying events left out",
    )
    p.add_argument("--store", default=None, help="read records from this store instead of INPUT")
    p.add_argument("--kind", choices=("concerns", "police_uk"), default="concerns")
    p.add_argument("--mapping", default=None, help="YAML column/value mapping for a concerns CSV")
    p.add_argument("--seed", type=int, default=0, help="tie-break seed")
    p.add_argument("--out", required=True, help="FILE.csv with one row per fold/method/coverage")
    add_audit_options(p, reason=True)
    p.set_defaults(func=run)


def is_police_uk(path: str | Path) -> bool:
    """True for a police.uk street file, a folder or a zip (read by :mod:`geo.formats.policeuk`).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("Crime ID,Month,Longitude,Latitude,Crime type\\n")
    >>> is_police_uk(p), is_police_uk(p.with_name("none.csv"))
    (True, False)
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".zip":
        return True
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = [c.strip().strip('"') for c in fh.readline().split(",")]
    return all(m in header for m in POLICE_UK_MARKERS)


def _keep(values: pd.Series, wanted: list[str] | None, flag: str) -> np.ndarray:
    if not wanted:
        return np.ones(len(values), dtype=bool)
    want = {w.strip().lower() for w in wanted}
    keep = values.astype(str).str.strip().str.lower().isin(want).to_numpy()
    if not keep.any():
        seen = sorted(values.dropna().astype(str).unique())[:12]
        raise ParameterError(f"{flag}: no events match {sorted(wanted)}; present: {seen}")
    return np.asarray(keep, dtype=bool)


def load_events(args: argparse.Namespace) -> tuple[Any, str, str]:
    """The events, their time column and their source (``concerns`` or ``police_uk``)."""
    from geo.store.gpkg import points

    if args.store and args.input:
        raise ParameterError("give either INPUT or --store, not both")
    if args.store:
        from geo.store.gpkg import Store

        store = Store(args.store)
        if not store.path.exists():
            raise UnreadableFileError(f"{args.store}: no such store")
        if args.kind == "police_uk":
            from geo.formats.policeuk import read_police_uk_layer

            return read_police_uk_layer(store), "month", "police_uk"
        if "concerns" not in store.kinds():
            raise ParameterError(f"{args.store}: the store holds no concerns")
        return points(store.read("concerns"), "concerns"), "reported_date", "concerns"
    if not args.input:
        raise ParameterError("give an INPUT file (or police.uk files/folders) or --store PATH")
    if all(is_police_uk(p) for p in args.input):
        from geo.formats.policeuk import read_police_uk

        police = read_police_uk(args.input)
        report_quarantine(", ".join(args.input), police, prog=PROG, rows=10)
        return police.records, "month", "police_uk"
    if len(args.input) > 1:
        raise ParameterError("give one concerns file (or only police.uk files)")
    from geo.ingest.pipeline import validate_file

    report = validate_file(
        "concerns", args.input[0], mapping=args.mapping, area=args.area or "kirklees"
    )
    report_quarantine(args.input[0], report, prog=PROG, rows=10)
    return points(report.records, "concerns"), "reported_date", "concerns"


def _filter(events: Any, args: argparse.Namespace, source: str) -> Any:
    if args.category:
        if "category" not in events:
            raise ParameterError("--category: the events have no category column")
        events = events.loc[_keep(events["category"], args.category, "--category")]
    if args.crime_type:
        if source != "police_uk" or "crime_type" not in events:
            raise ParameterError("--crime-type applies to police.uk data only")
        events = events.loc[_keep(events["crime_type"], args.crime_type, "--crime-type")]
    return events


def scorers(args: argparse.Namespace) -> dict[str, Any]:
    """The named scorers, with the command's KDE bandwidth and Gi* band."""
    from analysis.evaluation.accuracy import METHODS, gi_scorer, kde_scorer

    out: dict[str, Any] = {}
    for name in args.methods:
        if name not in METHODS:
            raise ParameterError(f"--methods: unknown method {name!r}; available: {list(METHODS)}")
        if name == "kde":
            out[name] = kde_scorer(bandwidth=args.bandwidth)
        elif name == "gi":
            out[name] = gi_scorer(band=args.band)
        else:
            out[name] = METHODS[name]
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``csmap evaluate``; return the exit status."""
    from analysis.evaluation.accuracy import backtest, hull_area, summarise

    what = f"evaluation ({args.kind if args.store else 'file'})"
    try:
        methods = scorers(args)
        events, time_col, source = load_events(args)
        events = _filter(events, args, source)
        if len(events) == 0:
            raise ParameterError("no events left to evaluate after filtering")
        if args.area is None and source == "police_uk":
            area: Any = hull_area(events, buffer=args.hull_buffer, trim=args.hull_trim)
            area_note = (
                f"convex hull of the events (less the {args.hull_trim:.1%} farthest from their "
                f"median centre) + {args.hull_buffer:g} m"
            )
        else:
            from geo.places.boundaries import load_area

            area = load_area(args.area or "kirklees")
            area_note = area.name
        results = backtest(
            events,
            methods=methods,
            study_area=area,
            cell_size=args.cell_size,
            train_months=args.train_months,
            test_months=args.test_months,
            coverage=args.coverage,
            time_col=time_col,
            seed=args.seed,
        )
        out = Path(args.out)
        if out.suffix.lower() != ".csv":
            raise ParameterError(f"--out {args.out}: write a .csv file")
        out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(results, out)  # formula-safe (geo.store.export)
    except (CsmapError, OSError) as exc:
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
        rows=len(results),
        role="analyst",
        details={"input": args.input, "methods": list(methods)},
    ):
        return 2
    summary = summarise(results)
    report = {
        "source": source,
        "n_events": int(len(events)),
        "study_area": area_note,
        "cell_size": args.cell_size,
        "train_months": args.train_months,
        "test_months": args.test_months,
        "folds": int(results["test_start"].nunique()),
        "methods": list(methods),
        "coverage": args.coverage,
        "summary": json.loads(summary.to_json(orient="records")),
        "out": str(out),
    }
    print(json.dumps(report, indent=2))
    return 0
