"""Hotspot accuracy: hit rate, PAI, PEI, RRI, and a rolling-origin backtest.

Definitions (Chainey, Tompson & Uhlig 2008; Levine 2008; see ``docs``/anchors §6):

* hit rate = n / N: share of the test period's events inside the predicted hotspots;
* PAI = (n / N) / (a / A): hit rate over the share of the area flagged;
* PEI = PAI / PAI_max, where PAI_max is the PAI of the best possible choice of the same area
  (the cells with most test events, chosen with hindsight);
* RRI = (n2 / n1) / (N2 / N1): events in the hotspots in the test period over those in the
  training period, relative to the change over the whole area (1 = as stable as everywhere).

The backtest (:func:`backtest`) slides over calendar months: train on ``train_months``, test on
the next ``test_months``, move on one month. Each method is a callable that scores every grid cell
from the training events; the cells with the highest scores, up to each share of the area, are
the prediction. Methods are generic (:data:`METHODS`); every one has the :data:`Scorer` signature
``(training events, grid cells) -> one score per cell``:

* ``grid_counts``: training events per cell (safer-streets' top-k cells, the naive baseline);
* ``kde``: :class:`analysis.kde.KernelDensity` (quartic kernel, ArcGIS default search radius
  from the training events) evaluated on a sub-grid of ``subdivisions``\u00b2 points per cell
  and averaged over the part of each cell inside the study area (:func:`kde_scorer`);
* ``gi``: Getis-Ord Gi* z of the training counts on the evaluation grid itself, with the
  automatic distance band of :mod:`analysis.scale` (:func:`gi_scorer`);
* ``default``: what ``csmap hotspots`` shows with no options, i.e. csmap's default method
  (Gi* with automatic cell size *and* band, :func:`analysis.gi.gi_hotspots`), its z read at each
  evaluation cell's centre (:func:`default_scorer`). It differs from ``gi`` in choosing its own
  grid, so it measures the map a user actually gets.

Factories (:func:`kde_scorer`, :func:`gi_scorer`) give scorers with other parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from analysis.grid import count_in_cells, fishnet
from geo.errors import ParameterError

#: A scorer: (training events, grid cells) -> one score per cell (higher = more likely).
Scorer = Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], NDArray[np.float64]]

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Scorer",
    "backtest",
    "default_scorer",
    "gi_scorer",
    "grid_counts",
    "hull_area",
    "kde_scorer",
    "hit_rate",
    "pai",
    "pei",
    "rri",
    "select_cells",
    "summarise",
]


def _share(n: ArrayLike, total: ArrayLike) -> NDArray[np.float64]:
    n_ = np.asarray(n, dtype=float)
    t_ = np.asarray(total, dtype=float)
    if np.any(n_ < 0) or np.any(n_ > t_):
        raise ParameterError("need 0 <= part <= total")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(t_ > 0, n_ / t_, np.nan))


def hit_rate(n: ArrayLike, big_n: ArrayLike) -> NDArray[np.float64]:
    """Share of events in the hotspots, ``n / N`` (NaN when ``N`` is 0).

    Examples
    --------
    >>> float(hit_rate(30, 120))
    0.25
    """
    return _share(n, big_n)


def pai(n: ArrayLike, big_n: ArrayLike, a: ArrayLike, big_a: ArrayLike) -> NDArray[np.float64]:
    """Predictive accuracy index ``(n / N) / (a / A)``.

    Examples
    --------
    >>> float(pai(30, 120, 2.0, 100.0))  # a quarter of events in 2 % of the area
    12.5
    """
    return np.asarray(_share(n, big_n) / _share(a, big_a))


def pei(n: ArrayLike, n_max: ArrayLike) -> NDArray[np.float64]:
    """Predictive efficiency index ``PAI / PAI_max = n / n_max`` for the same area.

    ``n_max`` is the most test events any choice of the same area could have caught.

    Examples
    --------
    >>> float(pei(30, 40))
    0.75
    """
    return _share(n, n_max)


def rri(n1: ArrayLike, n2: ArrayLike, big_n1: ArrayLike, big_n2: ArrayLike) -> NDArray[np.float64]:
    """Recapture rate index ``(n2 / n1) / (N2 / N1)``.

    Examples
    --------
    >>> float(rri(20, 15, 100, 100))  # hotspots lost a quarter, the area did not change
    0.75
    """
    n1_, n2_, a1, a2 = (np.asarray(v, dtype=float) for v in (n1, n2, big_n1, big_n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(
            np.where((n1_ > 0) & (a1 > 0) & (a2 > 0), (n2_ / n1_) / (a2 / a1), np.nan)
        )


def grid_counts(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Baseline scorer: training events per cell (safer-streets' top-k cells).

    Examples
    --------
    >>> import shapely
    >>> cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 150, 160], [5, 5, 5]), crs=27700)
    >>> grid_counts(ev, cells).tolist()
    [1.0, 2.0]
    """
    return count_in_cells(cells, train)


#: csmap's default hotspot method (what ``csmap hotspots`` runs with no ``--method``); the
#: ``default`` scorer evaluates it exactly as a user would get it (automatic scale).
DEFAULT_METHOD: Final[str] = "gi"
#: Share of events farthest from the median centre left out of :func:`hull_area`.
HULL_TRIM: Final[float] = 0.005


def _cell_geometry(
    cells: gpd.GeoDataFrame,
) -> tuple[NDArray[np.object_], float, NDArray[np.float64], NDArray[np.float64]]:
    """Cell polygons, the (full) cell size and the unclipped cell centres."""
    geoms = cells.geometry.to_numpy()
    if len(geoms) == 0:
        raise ParameterError("the evaluation grid has no cells")
    b = shapely.bounds(geoms)
    size = float(np.max(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])))
    if "cell_x" in cells and "cell_y" in cells:
        cx = cells["cell_x"].to_numpy(dtype=float)
        cy = cells["cell_y"].to_numpy(dtype=float)
    else:
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    return geoms, size, cx, cy


def _train_xy(train: gpd.GeoDataFrame) -> NDArray[np.float64]:
    from analysis.kde import points_xy  # noqa: PLC0415 - KDEpy loads only when used

    xy, ok = points_xy(train)
    return xy[ok]


def kde_scorer(
    *, bandwidth: float | str = "auto", kernel: str = "quartic", subdivisions: int = 5
) -> Scorer:
    """A scorer giving each cell its mean kernel density from the training events.

    The density (:class:`analysis.kde.KernelDensity`, events per km²) is computed on a grid
    ``subdivisions`` times finer than the evaluation cells and averaged over the sub-cells whose
    centre lies inside each (clipped) cell.

    Parameters
    ----------
    bandwidth : float or "auto"
        Search radius in metres; ``"auto"`` = ArcGIS's default rule on each fold's training events.
    kernel : str
        One of :data:`analysis.kde.KERNELS` (default ``"quartic"``).
    subdivisions : int
        Sub-cells per cell side (default 5, so 25 density values per full cell).

    Returns
    -------
    Scorer

    Examples
    --------
    >>> cells = fishnet(shapely.box(0, 0, 300, 100), cell_size=100)
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([250, 255, 245], [50, 55, 45]),
    ...     crs=27700)
    >>> s = kde_scorer(bandwidth=80)(ev, cells)
    >>> int(np.argmax(s)), bool(s[0] < s[1] < s[2])
    (2, True)
    """
    from analysis.kde import KERNELS, KernelDensity  # noqa: PLC0415

    if kernel not in KERNELS:
        raise ParameterError(f"kernel must be one of {tuple(KERNELS)}, got {kernel!r}")
    if not isinstance(subdivisions, int) or subdivisions < 1:
        raise ParameterError(f"subdivisions must be a positive integer, got {subdivisions!r}")
    if not (isinstance(bandwidth, str) and bandwidth == "auto"):
        bw = float(bandwidth)
        if not (math.isfinite(bw) and bw > 0):
            raise ParameterError(f"bandwidth must be positive metres or 'auto', got {bandwidth!r}")

    def kde(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
        geoms, size, cx, cy = _cell_geometry(cells)
        xy = _train_xy(train)
        n, k = len(geoms), subdivisions
        if len(xy) == 0:
            return np.zeros(n)
        sub = size / k
        offsets = (np.arange(k) + 0.5) * sub - size / 2
        ox, oy = np.meshgrid(offsets, offsets)
        sx = (cx[:, None] + ox.ravel()[None, :]).ravel()
        sy = (cy[:, None] + oy.ravel()[None, :]).ravel()
        owner = np.repeat(np.arange(n), k * k)
        inside = np.ones(len(owner), dtype=bool)
        areas = shapely.area(geoms)
        partial = np.flatnonzero(areas[owner] < size * size * (1 - 1e-9))
        if partial.size:
            inside[partial] = shapely.contains_xy(geoms[owner[partial]], sx[partial], sy[partial])
        box = shapely.box(*shapely.total_bounds(geoms))
        kd = KernelDensity(xy, study_area=box, bandwidth=bandwidth, cell_size=sub, kernel=kernel)
        row, col = kd.cell_of(np.column_stack([sx, sy]))
        vals = np.full(len(owner), np.nan)
        on = row >= 0
        vals[on] = kd.density[row[on], col[on]]
        use = inside & np.isfinite(vals)
        total = np.bincount(owner[use], weights=vals[use], minlength=n)
        count = np.bincount(owner[use], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(count > 0, total / count, 0.0), dtype=float)

    return kde


def gi_scorer(*, band: float | str = "auto") -> Scorer:
    """A scorer giving each cell the Gi* z of the training counts on the evaluation grid.

    Parameters
    ----------
    band : float or "auto"
        Distance band in metres; ``"auto"`` = the automatic band of :mod:`analysis.scale`
        (first peak of incremental Moran's I, else the K-th neighbour distance), chosen on each
        fold's training events at the evaluation cell size.

    Returns
    -------
    Scorer

    Examples
    --------
    >>> cells = fishnet(shapely.box(0, 0, 500, 500), cell_size=100)
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([250] * 6 + [50], [250] * 6 + [450]),
    ...     crs=27700)
    >>> z = gi_scorer(band=100)(ev, cells)  # cell 12 holds the 6 events; 5-cell windows
    >>> bool(z[12] == z.max()), bool(z[0] < 0)
    (True, True)
    """
    from analysis.gi import GetisOrdGiStar  # noqa: PLC0415

    def gi(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
        from analysis.scale import choose_scale  # noqa: PLC0415

        geoms, size, cx, cy = _cell_geometry(cells)
        counts = count_in_cells(cells, train)
        if len(geoms) < 2 or counts.sum() == 0:
            return counts
        width: float | str = band
        if isinstance(band, str) and band == "auto":
            width = choose_scale(
                _train_xy(train),
                study_area=shapely.coverage_union_all(geoms),
                cell_size=size,
                band="auto",
            ).band
        g = GetisOrdGiStar(counts, np.column_stack([cx, cy]), band=float(width))
        return np.asarray(g.z, dtype=float)

    return gi


def default_scorer(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Score cells by csmap's default method as a user gets it (see :data:`DEFAULT_METHOD`).

    Runs :func:`analysis.hotspots.run` with ``method=DEFAULT_METHOD`` and every parameter
    automatic on the cells' union, then gives each evaluation cell the z of the result cell
    holding its centre (a point on its surface); cells in no result cell score ``-inf``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.r_[rng.uniform(0, 2000, (200, 2)), rng.normal(500, 30, (100, 2))]
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> cells = fishnet(shapely.box(0, 0, 2000, 2000), cell_size=250)
    >>> s = default_scorer(ev, cells)
    >>> bool(cells.geometry.iloc[int(np.argmax(s))].distance(shapely.Point(500, 500)) < 300)
    True
    """
    from analysis.hotspots import run  # noqa: PLC0415

    geoms = cells.geometry.to_numpy()
    result = run(train, method=DEFAULT_METHOD, study_area=shapely.coverage_union_all(geoms))
    centres = shapely.point_on_surface(geoms)
    where_, what = result.sindex.query(centres, predicate="intersects")
    first = np.unique(where_, return_index=True)[1]
    out = np.full(len(geoms), -np.inf)
    out[where_[first]] = result["z"].to_numpy(dtype=float)[what[first]]
    return out


def hull_area(
    points: gpd.GeoDataFrame, *, buffer: float = 500.0, trim: float = HULL_TRIM
) -> shapely.Geometry:
    """Study area for data without a boundary: the events' convex hull, buffered by ``buffer`` m.

    Used for police.uk files (no force boundary is bundled). A force's files hold a few events
    placed far outside it (0.13 % of Gwent's 2023-25 rows lie over 40 km away, as far as County
    Durham), which would stretch a hull over half of Britain; so the ``trim`` share of events
    farthest from the median centre is left out before the hull is taken (default 0.5 %). Events
    outside the area are simply not counted by the backtest.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1000, 0, 9e5], [0, 0, 1000, 9e5]),
    ...     crs=27700)
    >>> round(hull_area(pts, buffer=0, trim=0.25).area)  # the far point is trimmed
    500000
    """
    xy = _train_xy(points)
    if not (math.isfinite(buffer) and buffer >= 0):
        raise ParameterError(f"buffer must be a non-negative number of metres, got {buffer!r}")
    if not 0 <= trim < 0.5:
        raise ParameterError(f"trim must be a share in [0, 0.5), got {trim!r}")
    if len(xy) and trim > 0:
        dist = np.hypot(*(xy - np.median(xy, axis=0)).T)
        xy = xy[dist <= np.quantile(dist, 1 - trim)]
    if len(xy) < 3:
        raise ParameterError(f"need at least 3 located events for a hull area, got {len(xy)}")
    hull = shapely.convex_hull(shapely.multipoints(xy))
    if hull.area <= 0 and buffer == 0:
        raise ParameterError("the events lie on a line: give a buffer")
    return hull.buffer(buffer) if buffer > 0 else hull


#: Scorers by name; any callable with the :data:`Scorer` signature works as well.
METHODS: Final[dict[str, Scorer]] = {
    "grid_counts": grid_counts,
    "kde": kde_scorer(),
    "gi": gi_scorer(),
    "default": default_scorer,
}


def select_cells(
    scores: ArrayLike, areas: ArrayLike, *, share: float, seed: int = 0
) -> NDArray[np.bool_]:
    """Pick the highest-scoring cells until their area reaches ``share`` of the total.

    A cell is taken only while the total stays within ``share`` (so the area is never over the
    budget). Ties are broken at random with ``seed``, not by position, so a method that scores
    every cell 0 is no better than chance.

    Examples
    --------
    >>> select_cells([5, 1, 3, 0], [1, 1, 1, 1], share=0.5).tolist()
    [True, False, True, False]
    """
    s = np.asarray(scores, dtype=float)
    a = np.asarray(areas, dtype=float)
    if not 0 < share <= 1:
        raise ParameterError(f"coverage share must be in (0, 1], got {share}")
    tiebreak = np.random.default_rng(seed).random(len(s))
    order = np.lexsort((tiebreak, -np.nan_to_num(s, nan=-np.inf)))
    budget = share * a.sum() * (1 + 1e-9)
    taken = np.cumsum(a[order]) <= budget
    out = np.zeros(len(s), dtype=bool)
    out[order[taken]] = True
    return out


def _months(events: gpd.GeoDataFrame, time_col: str) -> pd.PeriodIndex:
    if time_col not in events:
        raise ParameterError(f"events have no time column {time_col!r}")
    col = events[time_col]
    if isinstance(col.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(col, freq="M")
    stamps = pd.to_datetime(col.astype(str) if col.dtype == object else col, errors="coerce")
    if stamps.isna().any():
        bad = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise ParameterError(f"event row {bad}: {time_col!r} is not a date ({col.iloc[bad]!r})")
    return pd.PeriodIndex(stamps.dt.to_period("M"))


def backtest(
    events: gpd.GeoDataFrame,
    *,
    methods: Mapping[str, Scorer] | Sequence[str] = ("grid_counts",),
    study_area: Any,
    cell_size: float = 250.0,
    train_months: int = 3,
    test_months: int = 1,
    coverage: Sequence[float] = (0.01, 0.03, 0.05),
    time_col: str = "month",
    seed: int = 0,
) -> pd.DataFrame:
    """Rolling-origin backtest of hotspot methods at fixed shares of area.

    Parameters
    ----------
    events : geopandas.GeoDataFrame
        Points in EPSG:27700 with a month/date column ``time_col``.
    methods : mapping or sequence of names
        Scorers by name (see :data:`METHODS`).
    study_area : StudyArea or shapely Polygon
        Area gridded into ``cell_size`` squares (A = its area).
    train_months, test_months : int
        Window lengths in calendar months; the origin moves one month at a time.
    coverage : sequence of float
        Shares of the area flagged (0.01 = 1 %).
    time_col : str
        Column with the event month or date.
    seed : int
        Tie-break seed for :func:`select_cells`.

    Returns
    -------
    pandas.DataFrame
        One row per (fold, method, coverage): ``train_start``, ``train_end``, ``test_start``,
        ``test_end``, ``method``, ``coverage``, ``area_share`` (achieved), ``n_cells``,
        ``n_train``, ``n_test``, ``n_hit``, ``hit_rate``, ``pai``, ``pei``, ``rri``.

    Examples
    --------
    >>> import shapely
    >>> rng = np.random.default_rng(0)
    >>> xy = np.r_[rng.uniform(0, 1000, (400, 2)), rng.normal(200, 20, (400, 2))]
    >>> ev = gpd.GeoDataFrame({"month": pd.period_range("2024-01", periods=4, freq="M")
    ...     .repeat(200)}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> res = backtest(ev, study_area=shapely.box(0, 0, 1000, 1000), cell_size=100,
    ...     coverage=[0.05])
    >>> len(res), bool(res["pai"].iloc[0] > 3)
    (1, True)
    """
    if train_months < 1 or test_months < 1:
        raise ParameterError("train_months and test_months must be at least 1")
    scorers: dict[str, Scorer] = {}
    if isinstance(methods, Mapping):
        scorers = dict(methods)
    else:
        for name in methods:
            if name not in METHODS:
                raise ParameterError(f"unknown method {name!r}; available: {sorted(METHODS)}")
            scorers[name] = METHODS[name]
    polygon = getattr(study_area, "polygon", study_area)
    cells = fishnet(polygon, cell_size=cell_size)
    areas = cells["area_m2"].to_numpy(dtype=float)
    months = _months(events, time_col)
    first, last = months.min(), months.max()
    rows: list[dict[str, Any]] = []
    start = first
    while start + (train_months + test_months - 1) <= last:
        train_end = start + (train_months - 1)
        test_start, test_end = train_end + 1, train_end + test_months
        in_train = np.asarray((months >= start) & (months <= train_end))
        in_test = np.asarray((months >= test_start) & (months <= test_end))
        train, test = events[in_train], events[in_test]
        train_counts = count_in_cells(cells, train)
        test_counts = count_in_cells(cells, test)
        big_n1, big_n2 = train_counts.sum(), test_counts.sum()
        for name, scorer in scorers.items():
            scores = np.asarray(scorer(train, cells), dtype=float)
            if scores.shape != (len(cells),):
                raise ParameterError(f"method {name!r} must return one score per cell")
            for share in coverage:
                chosen = select_cells(scores, areas, share=share, seed=seed)
                best = select_cells(test_counts, areas, share=share, seed=seed)
                n_hit = float(test_counts[chosen].sum())
                a = float(areas[chosen].sum())
                rows.append(
                    {
                        "train_start": str(start),
                        "train_end": str(train_end),
                        "test_start": str(test_start),
                        "test_end": str(test_end),
                        "method": name,
                        "coverage": float(share),
                        "area_share": a / areas.sum(),
                        "n_cells": int(chosen.sum()),
                        "n_train": float(big_n1),
                        "n_test": float(big_n2),
                        "n_hit": n_hit,
                        "hit_rate": float(hit_rate(n_hit, big_n2)),
                        "pai": float(pai(n_hit, big_n2, a, areas.sum())),
                        "pei": float(pei(n_hit, test_counts[best].sum())),
                        "rri": float(rri(train_counts[chosen].sum(), n_hit, big_n1, big_n2)),
                    }
                )
        start = start + 1
    if not rows:
        raise ParameterError(
            f"events span {first} to {last}: too short for {train_months} + {test_months} months"
        )
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean hit rate, PAI, PEI and RRI per method and coverage over all folds.

    Examples
    --------
    >>> df = pd.DataFrame({"method": ["m", "m"], "coverage": [0.01, 0.01], "hit_rate": [0.1, 0.3],
    ...     "pai": [10.0, 30.0], "pei": [0.5, 0.7], "rri": [1.0, 1.0]})
    >>> summarise(df)["pai"].tolist()
    [20.0]
    """
    cols = ["hit_rate", "pai", "pei", "rri"]
    out = results.groupby(["method", "coverage"], as_index=False)[cols].mean()
    out["folds"] = results.groupby(["method", "coverage"]).size().to_numpy()
    return out
