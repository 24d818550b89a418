"""``csmap spacetime knox INPUT``: Knox test for space-time interaction, printed as JSON.

INPUT is either a CSV with x/y (metres, EPSG:27700) and time columns (``--x-col``, ``--y-col``,
``--t-col``; times as numbers or dates), or a canonical concerns CSV, validated exactly as
``csmap ingest`` does, with times from ``reported_date``. Prints ``statistic``, ``expected``,
``p_poisson``, ``p_poisson_inclusive``, ``p_sim`` and the parameters. Exit status 2 for bad input
(one line on stderr).

``p_poisson_inclusive`` is ``P(X >= statistic)`` for ``X ~ Poisson(expected)``, the usual one-sided
p-value: quote this one (or ``p_sim``). ``p_poisson`` is ``P(X > statistic)``, pointpats'
convention, printed only so results can be checked against pointpats; it is smaller than the
honest p because it leaves out the observed count.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from geo.errors import CsmapError


def register(subparsers: Any) -> None:
    """Add the ``spacetime`` sub-command (with ``knox``)."""
    parser = subparsers.add_parser(
        "spacetime",
        help="space-time statistics (Knox test, emerging hot spots)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="spacetime_command", required=True, metavar="TEST")
    knox = sub.add_parser(
        "knox",
        help="global Knox test: are events close in space also close in time?",
        description=(
            "Global Knox test, printed as JSON. Quote p_poisson_inclusive = P(X >= statistic), "
            "X ~ Poisson(expected) (the usual one-sided p), or p_sim. p_poisson = "
            "P(X > statistic) is pointpats' convention, shown only for comparison with pointpats."
        ),
    )
    knox.add_argument("input", help="CSV with x/y/t columns, or a canonical concerns CSV")
    knox.add_argument("--delta", type=float, required=True, help="distance threshold in metres")
    knox.add_argument("--tau", type=float, required=True, help="time threshold (days or months)")
    knox.add_argument("--time-unit", choices=("days", "months"), default="days")
    knox.add_argument("--x-col", default=None, help="x column (default: easting, x or X)")
    knox.add_argument("--y-col", default=None, help="y column (default: northing, y or Y)")
    knox.add_argument("--t-col", default=None, help="time column (default: reported_date, t, T)")
    knox.add_argument("--permutations", type=int, default=999)
    knox.add_argument("--seed", type=int, default=0)
    knox.set_defaults(func=run_knox)

    from app.commands.analyse.emerging import add_subcommand as add_emerging

    add_emerging(sub)


def _pick(frame: Any, given: str | None, candidates: tuple[str, ...], what: str, path: str) -> str:
    if given is not None:
        if given not in frame.columns:
            raise CsmapError(f"{path}: no column {given!r} ({what})")
        return given
    for name in candidates:
        if name in frame.columns:
            return name
    raise CsmapError(f"{path}: no {what} column (tried {', '.join(candidates)}; use --{what}-col)")


def _load(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    import pandas as pd

    path = str(args.input)
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise CsmapError(f"{path}: cannot read CSV ({exc})") from exc
    xy_given = args.x_col or args.y_col or args.t_col
    if not xy_given and "reported_date" in head.columns and "easting" not in head.columns:
        from geo.ingest.pipeline import validate_file

        report = validate_file("concerns", path)
        recs = report.records
        recs = recs[recs.geometry.notna() & recs["reported_date"].notna()]
        xy = pd.DataFrame({"x": recs.geometry.x, "y": recs.geometry.y}).to_numpy()
        extra = {
            "rows_read": report.rows_read,
            "rows_used": len(recs),
            "rows_quarantined": report.rows_quarantined,
        }
        return xy, recs["reported_date"], extra
    frame = pd.read_csv(path, encoding="utf-8-sig")
    x = _pick(frame, args.x_col, ("easting", "x", "X"), "x", path)
    y = _pick(frame, args.y_col, ("northing", "y", "Y"), "y", path)
    t = _pick(frame, args.t_col, ("reported_date", "t", "T", "time", "date"), "t", path)
    for col in (x, y):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax()) + 2
            raise CsmapError(f"{path}: row {row}, column {col!r}: not a number")
    times = frame[t]
    if not pd.api.types.is_numeric_dtype(times):
        times = pd.to_datetime(times, errors="coerce")
        if times.isna().any():
            row = int(times.isna().to_numpy().argmax()) + 2
            raise CsmapError(f"{path}: row {row}, column {t!r}: not a date")
    return frame[[x, y]].to_numpy(dtype=float), times, {"rows_used": len(frame)}


def run_knox(args: argparse.Namespace) -> int:
    """Run ``csmap spacetime knox``; return the exit status."""
    from analysis.spacetime.knox import Knox

    try:
        xy, times, extra = _load(args)
        k = Knox(
            xy,
            times,
            delta=args.delta,
            tau=args.tau,
            time_unit=args.time_unit,
            permutations=args.permutations,
            seed=args.seed,
        )
    except CsmapError as exc:
        print(f"csmap spacetime knox: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(json.dumps({**k.summary(), **extra}, indent=2))
    return 0
