"""Space-time cube: event counts per grid cell and time step (cells x months), zeros included.

A cube is the input of emerging hot spot analysis (:mod:`analysis.spacetime.emerging`), as ArcGIS's
*Create Space Time Cube By Aggregating Points* builds it:

* **Bins** are the cells of a study-area grid (:func:`analysis.lattice.grid.make_grid`: square
fishnet or
  hexagons, clipped to the area, *every* cell kept, empty ones included).
* **Time steps** are calendar periods (``month`` by default; ``quarter`` and ``week`` also work)
  from the period of the first event to the period of the last one, or between ``start`` and
  ``end`` when given. Every period in that range is a step, even one without any event.
* ``counts[t, c]`` is the number of events in cell ``c`` during step ``t`` (time-major, so the
  flat index of bin ``(t, c)`` is ``t * n_cells + c``).

Events with no usable date, outside the period range, or in no cell are not counted; how many of
each is kept on the cube (``n_no_time``, ``n_outside_period``, ``n_outside_area``).

**Partial final step.** Without an explicit ``end``, the last step is the period of the last
event. An extract taken mid-month makes that step partial: it holds fewer events only because it
is shorter, which would show every place as cooling down in the final step (false
"diminishing", "historical" or "new cold" categories). So by default (``drop_partial_step=True``)
when the data's last date falls before the last day of its step, that step is dropped:
``dropped_partial_step`` holds its label, its events are not counted and are included in
``n_outside_period`` (``n_dropped_partial`` says how many). Dates that all fall on the first day of
a month at midnight are taken as month precision (police.uk's ``month``), covering their whole
month, so monthly steps of such data are never partial. To keep the final step, pass ``end``
(for instance the date the extract was taken, or the end of the month when the extract is known
to be complete) or ``drop_partial_step=False``. A step is never dropped when it is the only one.

Space-time neighbourhoods (:func:`spacetime_weights`) combine a spatial weights matrix between
cells with a window over time steps: bin ``(t, c)`` neighbours bin ``(t', c')`` when ``c'`` is a
spatial neighbour of ``c`` (including ``c`` itself) and ``t'`` lies in the window (ArcGIS's
"neighbourhood time step" ``k``: the same step and the ``k`` previous ones, ``backward``; or the
``k`` previous and the ``k`` next ones, ``both``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from analysis.lattice.grid import count_in_cells
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

__all__ = [
    "TIME_STEPS",
    "as_datetimes",
    "TIME_WINDOWS",
    "SpaceTimeCube",
    "build_cube",
    "partial_final_period",
    "spacetime_weights",
    "spacetime_window_sums",
    "time_steps",
]

#: Time-step names and their pandas period frequencies.
TIME_STEPS: Final[dict[str, str]] = {"month": "M", "quarter": "Q", "week": "W"}
#: Directions of the time window of a space-time neighbourhood.
TIME_WINDOWS: Final[tuple[str, ...]] = ("backward", "both")
#: Refuse cubes with more bins than this (choose a bigger cell size or a longer time step).
MAX_BINS: Final[int] = 5_000_000


@dataclass(frozen=True)
class SpaceTimeCube:
    """Counts per (time step, cell).

    Attributes
    ----------
    cells : geopandas.GeoDataFrame
        The grid (RangeIndex, ``cell_x``, ``cell_y``, ``area_m2``, geometry), EPSG:27700.
    periods : pandas.PeriodIndex
        One period per time step, consecutive.
    counts : numpy.ndarray, shape (n_steps, n_cells)
        Event counts (float), zeros included.
    time_step : str
        ``month``, ``quarter`` or ``week``.
    n_points, n_no_time, n_outside_period, n_outside_area : int
        Events given, and how many were not counted for each reason.
    dropped_partial_step : str or None
        Label of the partial final step that was dropped (see the module docstring), or None.
    n_dropped_partial : int
        Events in that dropped step (also counted in ``n_outside_period``).
    """

    cells: gpd.GeoDataFrame
    periods: pd.PeriodIndex
    counts: NDArray[np.float64]
    time_step: str
    n_points: int
    n_no_time: int
    n_outside_period: int
    n_outside_area: int
    dropped_partial_step: str | None = None
    n_dropped_partial: int = 0

    @property
    def n_steps(self) -> int:
        """Number of time steps."""
        return int(self.counts.shape[0])

    @property
    def n_cells(self) -> int:
        """Number of cells (locations)."""
        return int(self.counts.shape[1])

    @property
    def n_counted(self) -> int:
        """Events counted in the cube."""
        return int(round(float(self.counts.sum())))

    def period_labels(self) -> list[str]:
        """Periods as text (``2025-03`` for months).

        Examples
        --------
        >>> import shapely
        >>> from analysis.lattice.grid import fishnet
        >>> cells = fishnet(shapely.box(0, 0, 100, 100), cell_size=100)
        >>> pts = gpd.GeoDataFrame({"reported_date": pd.to_datetime(["2025-01-05", "2025-03-31"])},
        ...     geometry=gpd.points_from_xy([10, 20], [10, 20]), crs=27700)
        >>> build_cube(pts, cells=cells).period_labels()
        ['2025-01', '2025-02', '2025-03']
        """
        return [str(p) for p in self.periods]


def _freq(time_step: str) -> str:
    if time_step not in TIME_STEPS:
        raise ParameterError(f"time_step must be one of {sorted(TIME_STEPS)}, got {time_step!r}")
    return TIME_STEPS[time_step]


def as_datetimes(values: pd.Series) -> pd.Series:
    """Datetimes (naive) from datetimes or text in any mix of formats; unusable values are NaT.

    Examples
    --------
    >>> as_datetimes(pd.Series(["2025-01-01", "2025-03-31 23:59", "no"])).dt.month.tolist()
    [1.0, 3.0, nan]
    """
    series = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        when = series
    else:
        when = pd.to_datetime(series, errors="coerce", format="mixed")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    return when


def time_steps(
    times: pd.Series,
    *,
    time_step: str = "month",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> tuple[pd.PeriodIndex, NDArray[np.int64]]:
    """The consecutive periods covering ``times`` (or ``start``..``end``) and each time's step.

    Parameters
    ----------
    times : pandas.Series
        Datetimes (or text pandas can parse); missing or unparseable values get step ``-1``.
    time_step : {"month", "quarter", "week"}
        Length of a step.
    start, end : date-like, optional
        First and last date of the cube (their periods are included); default the first and the
        last event.

    Returns
    -------
    (pandas.PeriodIndex, numpy.ndarray)
        The periods, and for each time the index of its period (``-1`` when the time is missing
        or outside the periods).

    Examples
    --------
    >>> periods, step = time_steps(pd.Series(pd.to_datetime(["2025-01-31", "2025-03-01", None])))
    >>> [str(p) for p in periods], step.tolist()
    (['2025-01', '2025-02', '2025-03'], [0, 2, -1])
    """
    freq = _freq(time_step)
    when = as_datetimes(times)
    ok = when.notna().to_numpy()
    ordinal = np.zeros(len(when), dtype=np.int64)
    if ok.any():
        ordinal[ok] = pd.PeriodIndex(when.loc[ok].dt.to_period(freq)).asi8
    try:
        first = pd.Period(pd.Timestamp(start), freq=freq) if start is not None else None
        last = pd.Period(pd.Timestamp(end), freq=freq) if end is not None else None
    except (ValueError, TypeError):
        raise ParameterError(f"start/end must be dates, got {start!r} / {end!r}") from None
    if first is None or last is None:
        if not ok.any():
            raise ParameterError("no event has a usable date; cannot build a space-time cube")
        lo, hi = int(ordinal[ok].min()), int(ordinal[ok].max())
        first = pd.Period(ordinal=lo, freq=freq) if first is None else first
        last = pd.Period(ordinal=hi, freq=freq) if last is None else last
    if last < first:
        raise ParameterError(f"the cube ends ({last}) before it starts ({first})")
    periods = pd.period_range(first, last, freq=freq)
    step = np.full(len(when), -1, dtype=np.int64)
    idx = ordinal - first.ordinal
    inside = ok & (idx >= 0) & (idx < len(periods))
    step[inside] = idx[inside]
    return periods, step


def partial_final_period(times: pd.Series, *, time_step: str = "month") -> pd.Period | None:
    """The period of the last date when that date is before the period's last day, else None.

    Dates that all fall on the first day of a month at midnight are month precision: each covers
    its whole month, so the data end on the last day of the latest month.

    Parameters
    ----------
    times : pandas.Series
        Datetimes (or text pandas can parse); unusable values are ignored.
    time_step : {"month", "quarter", "week"}
        Length of a step.

    Returns
    -------
    pandas.Period or None
        The partial final period, or None when the last step is complete (or there is no date).

    Examples
    --------
    >>> partial_final_period(pd.Series(pd.to_datetime(["2025-01-03", "2025-03-14"])))
    Period('2025-03', 'M')
    >>> partial_final_period(pd.Series(["2025-01-03", "2025-03-31 08:00"])) is None
    True
    >>> month_precision = pd.Series(pd.to_datetime(["2025-01-01", "2025-03-01"]))
    >>> partial_final_period(month_precision) is None
    True
    >>> partial_final_period(month_precision, time_step="quarter") is None  # Q1 ends in March
    True
    >>> partial_final_period(pd.Series(pd.to_datetime(["2025-04-01"])), time_step="quarter")
    Period('2025Q2', 'Q-DEC')
    """
    freq = _freq(time_step)
    when = as_datetimes(times).dropna()
    if when.empty:
        return None
    last = pd.Timestamp(when.max())
    month_precision = bool(((when.dt.day == 1) & (when == when.dt.normalize())).all())
    if month_precision:
        last = pd.Period(last, freq="M").end_time
    final = pd.Period(last, freq=freq)
    if last.normalize() < final.end_time.normalize():
        return final
    return None


def build_cube(
    points: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    time_column: str = "reported_date",
    time_step: str = "month",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    drop_partial_step: bool = True,
) -> SpaceTimeCube:
    """Count events per cell and time step (see the module docstring).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Events in EPSG:27700 with a date column ``time_column``.
    cells : geopandas.GeoDataFrame
        A grid from :mod:`analysis.lattice.grid` (its row order is the cube's cell order).
    time_column : str
        Date column of ``points``.
    time_step : {"month", "quarter", "week"}
        Length of a time step.
    start, end : date-like, optional
        Period range of the cube (default: first to last event). An explicit ``end`` is taken as
        the end of the data: its step is kept even when partial.
    drop_partial_step : bool
        Without ``end``, drop the final step when the data's last date is before the last day of
        that step (:func:`partial_final_period`); its events count in ``n_outside_period``.
        Never drops the only step.

    Returns
    -------
    SpaceTimeCube

    Examples
    --------
    >>> import shapely
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    >>> pts = gpd.GeoDataFrame(
    ...     {"reported_date": pd.to_datetime(["2025-01-02", "2025-01-09", "2025-03-01", None])},
    ...     geometry=gpd.points_from_xy([10, 20, 150, 50], [10, 20, 50, 50]), crs=27700)
    >>> cube = build_cube(pts, cells=cells, end="2025-03-31")
    >>> cube.counts.tolist(), cube.n_no_time
    ([[2.0, 0.0], [0.0, 0.0], [0.0, 1.0]], 1)

    Without ``end`` the data stop on 1 March, so March is partial and dropped:

    >>> cube = build_cube(pts, cells=cells)
    >>> cube.period_labels(), cube.dropped_partial_step, cube.n_outside_period
    (['2025-01', '2025-02'], '2025-03', 1)
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise ParameterError("points must be a GeoDataFrame in EPSG:27700")
    if points.crs is not None and points.crs.to_epsg() != BNG_EPSG:
        raise ParameterError(f"points must be in EPSG:{BNG_EPSG}, got {points.crs}")
    if time_column not in points.columns:
        raise ParameterError(
            f"points have no {time_column!r} column; a space-time cube needs a date per event"
        )
    if len(cells) == 0:
        raise ParameterError("the grid has no cells")
    periods, step = time_steps(points[time_column], time_step=time_step, start=start, end=end)
    dropped: str | None = None
    n_dropped = 0
    if end is None and drop_partial_step and len(periods) >= 2:
        partial = partial_final_period(points[time_column], time_step=time_step)
        if partial is not None and partial == periods[-1]:
            dropped = str(partial)
            in_last = step == len(periods) - 1
            n_dropped = int(in_last.sum())
            step[in_last] = -1
            periods = periods[:-1]
    n_bins = len(periods) * len(cells)
    if n_bins > MAX_BINS:
        raise ParameterError(
            f"the cube would have {n_bins} bins (over {MAX_BINS}); "
            "use a larger cell size or a longer time step"
        )
    no_time = as_datetimes(points[time_column]).isna().to_numpy()
    in_period = step >= 0
    counts = np.zeros((len(periods), len(cells)), dtype=float)
    n_outside_area = 0
    for t in np.unique(step[in_period]):
        sel = points.iloc[np.nonzero(step == t)[0]]
        per_cell = count_in_cells(cells, sel)
        counts[int(t)] = per_cell
        n_outside_area += int(len(sel) - round(float(per_cell.sum())))
    return SpaceTimeCube(
        cells=cells,
        periods=periods,
        counts=counts,
        time_step=time_step,
        n_points=int(len(points)),
        n_no_time=int(no_time.sum()),
        n_outside_period=int((~in_period & ~no_time).sum()),
        n_outside_area=n_outside_area,
        dropped_partial_step=dropped,
        n_dropped_partial=n_dropped,
    )


def time_window(n_steps: int, *, steps: int = 1, direction: str = "backward") -> sp.csr_matrix:
    """Binary ``n_steps x n_steps`` matrix: 1 where step ``t'`` is in the window of step ``t``.

    ``backward``: ``t - steps <= t' <= t``; ``both``: ``|t - t'| <= steps``.

    Examples
    --------
    >>> time_window(3, steps=1).toarray().astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    >>> time_window(3, steps=1, direction="both").toarray().astype(int).tolist()
    [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    """
    if direction not in TIME_WINDOWS:
        raise ParameterError(f"time window must be one of {TIME_WINDOWS}, got {direction!r}")
    if not isinstance(steps, int | np.integer) or steps < 0:
        raise ParameterError(f"neighbourhood time steps must be an integer >= 0, got {steps!r}")
    if n_steps < 1:
        raise ParameterError("a cube needs at least one time step")
    offsets = list(range(-int(steps), 1))
    if direction == "both":
        offsets += list(range(1, int(steps) + 1))
    offsets = [o for o in offsets if abs(o) < n_steps]
    diags = [np.ones(n_steps - abs(o)) for o in offsets]
    return sp.diags(diags, offsets, shape=(n_steps, n_steps), format="csr")


def spacetime_weights(
    spatial: sp.spmatrix, *, n_steps: int, steps: int = 1, direction: str = "backward"
) -> sp.csr_matrix:
    """Space-time binary weights over the flattened cube (bin ``(t, c)`` -> ``t * n_cells + c``).

    ``W[(t, c), (t', c')] = T[t, t'] * S[c, c']`` with ``T`` from :func:`time_window` and ``S`` the
    spatial weights (e.g. :func:`analysis.hotspots.gi.band_weights` *with* self), i.e. ``kron(T,
    S)``.

    Parameters
    ----------
    spatial : scipy.sparse matrix
        ``n_cells x n_cells`` spatial weights (diagonal included for Gi*).
    n_steps : int
        Number of time steps.
    steps : int
        Neighbourhood time steps ``k`` (0 = each step on its own).
    direction : {"backward", "both"}
        Time window (see :func:`time_window`).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_steps * n_cells)`` square.

    Examples
    --------
    >>> S = sp.identity(2, format="csr")
    >>> spacetime_weights(S, n_steps=2).toarray().astype(int).tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    """
    T = time_window(n_steps, steps=steps, direction=direction)
    return sp.kron(T, sp.csr_matrix(spatial), format="csr")


def spacetime_window_sums(
    counts: NDArray[np.float64],
    spatial: sp.spmatrix,
    *,
    steps: int = 1,
    direction: str = "backward",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sum and number of bins in each bin's space-time window, without building ``kron(T, S)``.

    Equal to ``W @ counts.ravel()`` and ``W.sum(axis=1)`` for ``W`` from
    :func:`spacetime_weights`, computed as ``T @ (S @ counts.T).T`` (the full matrix would hold
    ``nnz(T) * nnz(S)`` entries: gigabytes for a fine grid over two years).

    Parameters
    ----------
    counts : numpy.ndarray, shape (n_steps, n_cells)
        Cube counts.
    spatial : scipy.sparse matrix
        ``n_cells x n_cells`` spatial weights (diagonal included for Gi*).
    steps, direction
        Time window (see :func:`time_window`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Window sums and window sizes, both shape (n_steps, n_cells).

    Examples
    --------
    >>> S = sp.csr_matrix(np.array([[1, 1], [1, 1]]))
    >>> sums, card = spacetime_window_sums(np.array([[1.0, 0.0], [0.0, 2.0]]), S)
    >>> sums.tolist(), card.tolist()
    ([[1.0, 1.0], [3.0, 3.0]], [[2.0, 2.0], [4.0, 4.0]])
    """
    y = np.asarray(counts, dtype=float)
    if y.ndim != 2:
        raise ParameterError("counts must have shape (n_steps, n_cells)")
    S = sp.csr_matrix(spatial, dtype=float)
    if S.shape != (y.shape[1], y.shape[1]):
        raise ParameterError(f"spatial weights are {S.shape}, the cube has {y.shape[1]} cells")
    T = time_window(y.shape[0], steps=steps, direction=direction)
    per_step = np.asarray(S @ y.T, dtype=float).T
    sums = np.asarray(T @ per_step, dtype=float)
    card = np.outer(np.asarray(T.sum(axis=1)).ravel(), np.asarray(S.sum(axis=1)).ravel())
    return sums, card
