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
* ``kde``: :class:`analysis.hotspots.density.kernel_density.KernelDensity` (quartic kernel, ArcGIS
  default
search
  radius
  from the training events) evaluated on a sub-grid of ``subdivisions``\u00b2 points per cell
  and averaged over the part of each cell inside the study area (:func:`kde_scorer`);
* ``gi``: Getis-Ord Gi* z of the training counts on the evaluation grid itself, with the
  automatic distance band of :mod:`analysis.lattice.scale` (:func:`gi_scorer`);
* ``default``: what ``csmap hotspots`` shows with no options, i.e. csmap's default method
  (Gi* with automatic cell size *and* band, :func:`analysis.hotspots.gi.gi_hotspots`), its z read at
  each
  evaluation cell's centre (:func:`default_scorer`). It differs from ``gi`` in choosing its own
  grid, so it measures the map a user actually gets.

Factories (:func:`kde_scorer`, :func:`gi_scorer`) give scorers with other parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from analysis.evaluation.scorers import DEFAULT_METHOD as DEFAULT_METHOD
from analysis.evaluation.scorers import METHODS as METHODS
from analysis.evaluation.scorers import Scorer as Scorer
from analysis.evaluation.scorers import default_scorer as default_scorer
from analysis.evaluation.scorers import gi_scorer as gi_scorer
from analysis.evaluation.scorers import grid_counts as grid_counts
from analysis.evaluation.scorers import kde_scorer as kde_scorer
from analysis.evaluation.scorers import train_xy
from analysis.lattice.grid import count_in_cells, fishnet
from geo.errors import ParameterError

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


#: Share of events farthest from the median centre left out of :func:`hull_area`.
HULL_TRIM: Final[float] = 0.005


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
    xy = train_xy(points)
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
