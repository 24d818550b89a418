"""``csmap hotspots``: find hotspots in a CSV or the store and write them with their parameters.

Method options (``--bandwidth``, ``--eps``, ``--min-cluster-size``, ...) are validated per method:
an option that does not apply to the chosen method is an error naming it.

INPUT is a CSV (or .xlsx) in the canonical columns (or mapped with ``--mapping``), validated exactly
as ``csmap ingest`` does (quarantined rows are reported on stderr, nothing is stored); or use
``--store PATH --kind KIND`` to analyse stored records. The result goes to ``--out``
(``.geojson``, ``.gpkg`` or ``.csv`` + ``.params.json`` sidecar), parameters included, and a
one-paragraph summary is printed. Exit status 2 for input or parameter errors (one line on stderr).
Every run, failed ones too, is logged in the audit log with ``--reason``
(:mod:`app.commands.audited`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

from app.commands.argtypes import count, positive, scale, seed, share
from app.commands.audited import add_audit_options, record_export, record_failure
from app.commands.inputs import add_input_arguments, load_points
from app.session.filters import DATE_COLUMNS
from geo.errors import CsmapError, ParameterError
from geo.vocab import POINT_RECORD_KINDS

METHOD_CHOICES = ("gi", "kde", "dual-kde", "hdbscan", "dbscan", "repeat", "scan")
#: Method-specific options: argparse dest -> (flag, methods it applies to, parameter name).
#: Giving one to another method is an error naming it (validated before any work).
METHOD_OPTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "cell_size": ("--cell-size", ("gi", "kde", "dual-kde", "scan"), "cell_size"),
    "band": ("--band", ("gi",), "band"),
    "shape": ("--shape", ("gi",), "shape"),
    "alpha": ("--alpha", ("gi", "scan"), "alpha"),
    "no_fdr": ("--no-fdr", ("gi",), "fdr"),
    "bandwidth": ("--bandwidth", ("kde", "dual-kde"), "bandwidth"),
    "top": ("--top", ("kde",), "top"),
    "eps": ("--eps", ("dbscan",), "eps"),
    "min_samples": ("--min-samples", ("dbscan", "hdbscan"), "min_samples"),
    "min_cluster_size": ("--min-cluster-size", ("hdbscan",), "min_cluster_size"),
    "radius": ("--radius", ("repeat",), "radius"),
    "min_events": ("--min-events", ("repeat", "dual-kde"), "min_events"),
    "seed": ("--seed", ("scan",), "seed"),
}


def register(subparsers: Any) -> None:
    """Add the ``hotspots`` sub-command."""
    p = subparsers.add_parser(
        "hotspots",
        help="find hotspots (Gi*, KDE, clusters, repeat locations) and write them to a file",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    add_input_arguments(p)
    p.add_argument("--method", choices=METHOD_CHOICES, default="gi")
    p.add_argument(
        "--adjust",
        choices=("none", "population"),
        default="none",
        help="population: gi (Poisson excess risk); dual-kde is population-adjusted anyway",
    )
    p.add_argument("--cell-size", type=scale, default=None, help="gi/kde/dual-kde/scan: metres")
    p.add_argument("--band", type=scale, default=None, help="gi distance band: metres or auto")
    p.add_argument("--shape", choices=("square", "hex"), default=None, help="gi cells")
    p.add_argument("--alpha", type=share, default=None, help="gi/scan: significance level")
    p.add_argument("--no-fdr", action="store_true", default=None, help="gi: no FDR control")
    p.add_argument("--bandwidth", type=scale, default=None, help="kde/dual-kde: metres or auto")
    p.add_argument("--top", type=share, default=None, help="kde: share of cells in contours")
    p.add_argument("--eps", type=positive, default=None, help="dbscan: radius in metres")
    p.add_argument("--min-samples", type=count, default=None, help="dbscan/hdbscan: events")
    p.add_argument("--min-cluster-size", type=count, default=None, help="hdbscan: events")
    p.add_argument("--radius", type=positive, default=None, help="repeat: metres")
    p.add_argument("--min-events", type=count, default=None, help="repeat/dual-kde: events")
    p.add_argument("--seed", type=seed, default=None, help="scan: Monte Carlo seed")
    p.add_argument("--from", dest="date_from", default=None, help="first date (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", default=None, help="last date (YYYY-MM-DD)")
    p.add_argument("--category", action="append", default=None, help="keep only these (repeat)")
    p.add_argument("--out", required=True, help="FILE.geojson, FILE.gpkg or FILE.csv")
    add_audit_options(p, reason=True)
    p.set_defaults(func=run)


#: The record columns the filters and the methods read (event summaries: children, dates,
#: categories); the others are dropped right after validation.
ANALYSIS_COLUMNS: tuple[str, ...] = (
    "record_id",
    "category",
    "child_ref",
    *DATE_COLUMNS.values(),
)


def _filter(pts: Any, args: argparse.Namespace) -> Any:
    col = DATE_COLUMNS[POINT_RECORD_KINDS[args.kind]]
    for bound, op in ((args.date_from, "from"), (args.date_to, "to")):
        if bound is None:
            continue
        try:
            when = pd.Timestamp(bound)
        except ValueError:
            raise ParameterError(f"--{op}: {bound!r} is not a date (use YYYY-MM-DD)") from None
        if col not in pts:
            raise ParameterError(f"--{op}: the records have no {col} column")
        dates = pd.to_datetime(pts[col], errors="coerce")
        keep = (
            dates >= when
            if op == "from"
            else dates <= when + pd.Timedelta(days=1) - pd.Timedelta(1, unit="ns")
        )
        pts = pts.loc[keep.fillna(False).to_numpy(dtype=bool)]
    if args.category:
        if "category" not in pts:
            raise ParameterError("--category: the records have no category column")
        wanted = {c.strip().lower() for c in args.category}
        pts = pts.loc[pts["category"].astype(str).str.lower().isin(wanted).to_numpy()]
    return pts


def _params(args: argparse.Namespace) -> dict[str, Any]:
    """Method parameters from the options given; an option of another method is an error."""
    method = args.method
    out: dict[str, Any] = {}
    for dest, (flag, methods, name) in METHOD_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if method not in methods:
            raise ParameterError(
                f"{flag} does not apply to --method {method} (it applies to {', '.join(methods)})"
            )
        out[name] = (not value) if dest == "no_fdr" else value
    if method == "scan" and out.get("cell_size") == "auto":
        raise ParameterError("--cell-size auto is not available for --method scan; give metres")
    if args.adjust == "population":
        if method == "gi":
            out["adjust"] = "population"
        elif method not in ("dual-kde", "scan"):  # both are population-based by construction
            raise ParameterError(
                f"--adjust population does not apply to --method {method}: use gi (Poisson "
                "excess risk), dual-kde or scan (always relative to resident children)"
            )
    return out


def summary(result: Any, *, method: str, n_points: int) -> str:
    """One paragraph describing a result for the terminal."""
    params = result.attrs.get("csmap_params", {})
    adjustment = params.get("adjustment", "count")
    labels = result["label"].value_counts().to_dict()
    n_hot, n_cold, n_cluster = labels.get("hot", 0), labels.get("cold", 0), labels.get("cluster", 0)
    scale = []
    for key in ("cell_size", "band", "bandwidth", "eps", "radius"):
        if params.get(key) is not None:
            auto = " (automatic)" if key in params.get("automatic", []) else ""
            scale.append(f"{key.replace('_', ' ')} {params[key]:g} m{auto}")
    if params.get("cell_size_capped"):
        scale.append(
            f"cell size coarsened from the nearest-neighbour rule's {params['cell_size_rule']:g} m "
            f"to keep the grid within {params.get('max_auto_cells', 0):,} cells"
        )
    found = f"{n_hot} hot and {n_cold} cold"
    if n_cluster:
        found += f", {n_cluster} cluster(s)"
    sig = ""
    if method == "gi":
        fdr = "FDR-controlled q" if params.get("fdr", True) else "p"
        sig = f" at {fdr} <= {params.get('alpha')}"
    return (
        f"{method}: {n_points} events, {len(result)} result rows; {found}{sig}. "
        f"Scale: {', '.join(scale) or 'n/a'}. Adjustment: {adjustment}"
        + (" (events vs resident children and young people)." if adjustment != "count" else ".")
    )


def run(args: argparse.Namespace) -> int:
    """Run ``csmap hotspots``; return the exit status."""
    from analysis.hotspots.registry import run as run_method
    from analysis.hotspots.result import write_hotspots
    from geo.places.boundaries import load_area
    from geo.store.meta import read_meta

    store = getattr(args, "store", None)
    what = f"hotspots {args.method} ({args.kind})"
    try:
        params = _params(args)
        area = load_area(args.area)
        pts = _filter(
            load_points(args, area=area, prog="csmap hotspots", rows=20, columns=ANALYSIS_COLUMNS),
            args,
        )
        if len(pts) == 0:
            raise ParameterError("no events left to analyse after filtering")
        result = run_method(pts, method=args.method, study_area=area, **params)
        synthetic = store is not None and read_meta(store).get("demo") == "true"
        out = write_hotspots(result, args.out, synthetic=synthetic)
    except CsmapError as exc:
        record_failure(
            args, exc, action="export", store=store, what=what, role="analyst", file_name=args.out
        )
        print(f"csmap hotspots: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    logged = record_export(
        args,
        out=out,
        prog="csmap hotspots",
        store=store,
        what=what,
        rows=len(result),
        role="analyst",
        details={
            "input": args.input,
            "filters": {"from": args.date_from, "to": args.date_to, "category": args.category},
            "params": params,
        },
    )
    if not logged:
        return 2
    print(summary(result, method=args.method, n_points=len(pts)))
    print(f"Written to {out}.")
    return 0
