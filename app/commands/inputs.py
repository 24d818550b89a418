"""Reading a sub-command's events: a records file validated as ``csmap ingest`` does, or the store.

Shared by ``csmap hotspots``, ``csmap spacetime emerging``, ``csmap evaluate``, ``csmap assess`` and
``csmap disruption``. Nothing is stored; quarantined and duplicate rows of a file are reported on
stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from geo.errors import CsmapError, ParameterError
from geo.vocab import POINT_KINDS, POINT_RECORD_KINDS

if TYPE_CHECKING:
    from geo.store.gpkg import Store


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Add INPUT, ``--store``, ``--kind``, ``--mapping`` and ``--area`` (for :func:`load_points`).

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_input_arguments(p)
    >>> vars(p.parse_args(["a.csv"]))
    {'input': 'a.csv', 'store': None, 'kind': 'concerns', 'mapping': None, 'area': 'kirklees'}
    """
    parser.add_argument("input", nargs="?", help="CSV/.xlsx of records (omit with --store)")
    parser.add_argument(
        "--store", default=None, help="read records from this store instead of INPUT"
    )
    parser.add_argument("--kind", choices=POINT_KINDS, default="concerns", help="point set")
    parser.add_argument("--mapping", default=None, help="YAML column/value mapping for INPUT")
    parser.add_argument("--area", default="kirklees", help="study area (default kirklees)")


def run_reporting_errors(
    body: Callable[[argparse.Namespace], int], *, args: argparse.Namespace, prog: str
) -> int:
    """Run ``body(args)``; a :class:`~geo.errors.CsmapError` becomes one stderr line and exit 2.

    The line is ``"<prog>: <message>"``.

    Examples
    --------
    >>> import contextlib, io
    >>> def body(args: argparse.Namespace) -> int:
    ...     raise ParameterError("--out x.txt: use a .csv file name")
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     code = run_reporting_errors(body, args=argparse.Namespace(), prog="csmap demo")
    >>> code, err.getvalue().splitlines()
    (2, ['csmap demo: --out x.txt: use a .csv file name'])
    """
    try:
        return body(args)
    except CsmapError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2


def existing_store(path: str | None) -> Store:
    """The store at ``path`` (default ``$CSMAP_STORE``), which must exist.

    Raises
    ------
    ParameterError
        No store there (the message names the path).

    Examples
    --------
    >>> existing_store("/nonexistent/s.gpkg")
    Traceback (most recent call last):
    ...
    geo.errors.ParameterError: /nonexistent/s.gpkg: store not found (load records with csmap ingest)
    """
    from geo.store.gpkg import Store, default_store_path

    store_path = default_store_path(path)
    if not store_path.exists():
        raise ParameterError(f"{store_path}: store not found (load records with csmap ingest)")
    return Store(store_path)


def report_quarantine(name: str, report: Any, *, prog: str, rows: int) -> None:
    """Print what validation left out of a file (counts, then up to ``rows`` rows) on stderr.

    Parameters
    ----------
    name : str
        The file (or files) as the user named them.
    report : object
        An ingest or police.uk report (``rows_quarantined``, ``rows_duplicate``, ``rows_loaded``,
        ``quarantine`` with ``source_row`` and ``reasons`` and optionally ``source_file``).
    prog : str
        The command, e.g. ``"csmap hotspots"``.
    rows : int
        How many quarantined rows to list (0 for the counts only).

    Examples
    --------
    >>> import contextlib, io, pandas as pd
    >>> from types import SimpleNamespace
    >>> rep = SimpleNamespace(rows_quarantined=1, rows_duplicate=0, rows_loaded=9,
    ...     quarantine=pd.DataFrame({"source_row": [4], "reasons": ["no location"]}))
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     report_quarantine("a.csv", rep, prog="csmap x", rows=5)
    >>> print(err.getvalue().strip())
    csmap x: a.csv: 1 row(s) quarantined, 0 duplicate(s) skipped, 9 used
      row 4: no location
    """
    if not (report.rows_quarantined or report.rows_duplicate):
        return
    print(
        f"{prog}: {name}: {report.rows_quarantined} row(s) quarantined, "
        f"{report.rows_duplicate} duplicate(s) skipped, {report.rows_loaded} used",
        file=sys.stderr,
    )
    if rows <= 0:
        return
    for _, row in report.quarantine.head(rows).iterrows():
        file = f"{row['source_file']} " if "source_file" in row else ""
        print(f"  {file}row {row['source_row']}: {row['reasons']}", file=sys.stderr)
    if report.rows_quarantined > rows:
        print(f"  ... {report.rows_quarantined - rows} more", file=sys.stderr)


def load_points(
    args: argparse.Namespace,
    *,
    area: Any,
    prog: str,
    rows: int,
    columns: Sequence[str] | None = None,
) -> Any:
    """The point set ``args.kind`` from ``args.input`` (validated) or ``args.store``.

    Parameters
    ----------
    args : argparse.Namespace
        With ``input``, ``store``, ``kind`` (a point kind) and ``mapping``.
    area : StudyArea
        The study area the file's rows are validated against.
    prog : str
        The command, for the quarantine note on stderr.
    rows : int
        How many quarantined rows the note lists.
    columns : sequence of str, optional
        Keep only these record columns (plus the geometry and coordinates), as early as
        possible: a million validated records with every column are over a gigabyte.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows with a location (:func:`geo.store.gpkg.points`), index kept.

    Raises
    ------
    ParameterError
        Neither or both of INPUT and ``--store``.

    Examples
    --------
    >>> ns = argparse.Namespace(input=None, store=None, kind="concerns", mapping=None)
    >>> load_points(ns, area=None, prog="csmap x", rows=0)
    Traceback (most recent call last):
    ...
    geo.errors.ParameterError: give an INPUT file or --store PATH
    """
    from geo.store.gpkg import Store, points

    if args.store and args.input:
        raise ParameterError("give either INPUT or --store, not both")
    kind = POINT_RECORD_KINDS[args.kind]
    if args.store:
        records = Store(args.store).read(kind)
    elif args.input:
        from geo.ingest.pipeline import validate_file

        report = validate_file(kind, args.input, mapping=args.mapping, area=area)
        report_quarantine(args.input, report, prog=prog, rows=rows)
        records = report.records
        del report
    else:
        raise ParameterError("give an INPUT file or --store PATH")
    if columns is not None:
        wanted = set(columns)
        keep = [
            c
            for c in records.columns
            if c in wanted or c == records.geometry.name or c.endswith(("easting", "northing"))
        ]
        records = records[keep].copy()  # a copy, so the dropped columns' memory is freed
    return points(records, args.kind)
