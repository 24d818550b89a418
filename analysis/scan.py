"""Kulldorff's spatial scan statistic with circular windows (Poisson and space-time permutation).

Events are counted in grid cells (:func:`analysis.grid.fishnet`); each cell centre is a candidate
window centre. Around a centre, windows grow by adding the next-nearest cells (cells at the same
distance join together, as a circle would take them) up to a maximum size: a share of the
population (Poisson) or of the cases (space-time permutation), and optionally a maximum radius.

* **Discrete Poisson** (:class:`PoissonScan`): expected cases from population,
  ``E = C * pop_window / pop_total``.
* **Space-time permutation** (:class:`SpaceTimePermutationScan`, Kulldorff et al. 2005): cases
  only; cylinders = circle x time interval; expected from the margins,
  ``mu = C_window_all_times * C_all_places_interval / C``.

Both use the log-likelihood ratio for high-rate windows
``c log(c / E) + (C - c) log((C - c) / (C - E))`` when ``c > E`` (else 0). The most likely
window per centre is kept; clusters are taken in LLR order, skipping any that shares a cell (and,
for cylinders, a time step) with an earlier one (SaTScan's "no geographical overlap").
P-values compare each cluster's LLR with the maximum LLR of each Monte Carlo replicate (Poisson:
multinomial redistribution of the cases by population; space-time: permutation of the case
times), ``p = (M + 1) / (R + 1)`` from :func:`analysis.inference.mc_pvalue`. These p-values are
family-wise (the maximum over all windows), so no FDR is applied and ``q_value`` is NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial.distance import cdist
from scipy.special import xlogy

from analysis.grid import count_in_cells, fishnet
from analysis.inference import CLUSTER, NOT_SIGNIFICANT, make_rng, mc_pvalue
from analysis.knox import TimeUnit, numeric_times
from analysis.result import finalise
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

Model = Literal["poisson", "space-time-permutation"]
MODELS: Final[tuple[str, ...]] = ("poisson", "space-time-permutation")
#: Time columns tried, in order, when ``time_col`` is not given.
TIME_COLUMNS: Final[tuple[str, ...]] = ("month", "reported_date", "start_date", "start", "date")
_CHUNK: Final[int] = 256

__all__ = ["MODELS", "PoissonScan", "SpaceTimePermutationScan", "poisson_llr", "scan_hotspots"]


def poisson_llr(c: Any, e: Any, total: float) -> NDArray[np.float64]:
    """Kulldorff's log-likelihood ratio of high-rate windows (0 where ``c <= e``).

    Parameters
    ----------
    c : array-like
        Observed cases in the window.
    e : array-like
        Expected cases in the window (same total as the observed).
    total : float
        All cases ``C``.

    Returns
    -------
    numpy.ndarray
        LLR per window.

    Examples
    --------
    >>> round(float(poisson_llr(6, 2.0, 10)), 4)  # 6 ln 3 + 4 ln(4 / 8)
    3.8191
    """
    c = np.asarray(c, dtype=float)
    e = np.asarray(e, dtype=float)
    rest_c, rest_e = total - c, total - e
    with np.errstate(divide="ignore", invalid="ignore"):
        llr = xlogy(c, c / e) + xlogy(rest_c, rest_c / rest_e)
    return np.where((c > e) & (e > 0), llr, 0.0)


@dataclass(frozen=True)
class _Windows:
    """Neighbours of every centre sorted by distance; ``valid`` marks admissible window ends."""

    idx: NDArray[np.intp]  # (n, K), padded with n (a dummy location with zero counts)
    dist: NDArray[np.float64]  # (n, K)
    valid: NDArray[np.bool_]  # (n, K)
    rows: NDArray[np.intp]  # centre of each admissible window (sorted)
    cols: NDArray[np.intp]  # its last neighbour position


def _windows(
    xy: NDArray[np.float64], size: NDArray[np.float64], *, share: float, max_radius: float | None
) -> _Windows:
    n = len(xy)
    limit = share * float(size.sum()) * (1 + 1e-12)
    radius = np.inf if max_radius is None else float(max_radius)
    parts: list[tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.bool_]]] = []
    for start in range(0, n, _CHUNK):
        d = cdist(xy[start : start + _CHUNK], xy)
        order = np.argsort(d, axis=1, kind="stable")
        ds = np.take_along_axis(d, order, axis=1)
        cum = np.cumsum(size[order], axis=1)
        ok = (cum <= limit) & (ds <= radius)  # a prefix: both are non-decreasing
        tie_end = np.ones_like(ok)
        tie_end[:, :-1] = ds[:, 1:] > ds[:, :-1] + 1e-6
        k = max(int(ok.sum(axis=1).max()), 1)
        parts.append((order[:, :k], ds[:, :k], (ok & tie_end)[:, :k]))
    kmax = max(p[0].shape[1] for p in parts)
    idx = np.full((n, kmax), n, dtype=np.intp)
    dist = np.full((n, kmax), np.inf)
    valid = np.zeros((n, kmax), dtype=bool)
    row = 0
    for o, ds, v in parts:
        m, k = o.shape
        idx[row : row + m, :k], dist[row : row + m, :k], valid[row : row + m, :k] = o, ds, v
        row += m
    rows, cols = np.nonzero(valid)
    return _Windows(idx=idx, dist=dist, valid=valid, rows=rows, cols=cols)


def _per_centre_best(
    llr: NDArray[np.float64], rows: NDArray[np.intp], n: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Best value per centre and the position (into ``llr``) where it occurs."""
    best = np.zeros(n)
    where = np.full(n, -1, dtype=np.intp)
    if llr.size:
        order = np.lexsort((-llr, rows))
        centres, first = np.unique(rows[order], return_index=True)
        best[centres] = llr[order[first]]
        where[centres] = order[first]
    return best, where


def _check_common(share: float, max_radius: float | None, permutations: int, n: int) -> None:
    if not 0 < share <= 0.5:
        raise ParameterError(f"max_share must be in (0, 0.5], got {share}")
    if max_radius is not None and not max_radius > 0:
        raise ParameterError(f"max_radius must be a positive number of metres, got {max_radius}")
    if permutations < 1:
        raise ParameterError(f"permutations must be >= 1, got {permutations}")
    if n < 2:
        raise ParameterError("the scan needs at least two locations")


def _select(
    llr: NDArray[np.float64],
    best_k: NDArray[np.intp],
    win: _Windows,
    *,
    max_clusters: int,
    n: int,
    times: NDArray[np.intp] | None = None,
    n_times: int = 1,
) -> list[tuple[int, int, int, int]]:
    """Greedy non-overlapping clusters: (centre, k, t_start, t_end) in LLR order."""
    order = np.argsort(-llr, kind="stable")
    used = np.zeros((n + 1, n_times), dtype=bool)
    chosen: list[tuple[int, int, int, int]] = []
    for centre in order:
        if llr[centre] <= 0 or len(chosen) >= max_clusters:
            break
        k = int(best_k[centre])
        locs = win.idx[centre, : k + 1]
        t0, t1 = (
            (0, n_times - 1) if times is None else (int(times[centre, 0]), int(times[centre, 1]))
        )
        if used[np.ix_(locs, np.arange(t0, t1 + 1))].any():
            continue
        used[np.ix_(locs, np.arange(t0, t1 + 1))] = True
        chosen.append((int(centre), k, t0, t1))
    return chosen


class PoissonScan:
    """Discrete Poisson spatial scan (computed on construction).

    Parameters
    ----------
    xy : array-like
        (n, 2) location coordinates in metres.
    cases : array-like
        Cases per location.
    population : array-like
        Population at risk per location (> 0).
    max_share : float
        Largest window as a share of the total population (default 0.5).
    max_radius : float, optional
        Largest window radius in metres.
    permutations : int
        Monte Carlo replicates (default 999).
    seed : int, optional
        Seed for the replicates.
    max_clusters : int
        Most clusters reported (most likely plus secondary).

    Attributes
    ----------
    clusters : pandas.DataFrame
        One row per cluster: ``centre``, ``locations`` (list of location indices), ``radius_m``,
        ``n_events``, ``expected``, ``llr``, ``p_value``, ``relative_risk``.
    sim_max : numpy.ndarray
        Maximum LLR of each replicate.

    Examples
    --------
    >>> xy = np.array([[0, 0], [1, 0], [10, 0], [11, 0]], dtype=float)
    >>> s = PoissonScan(xy, [8, 0, 1, 1], [10, 10, 10, 10], permutations=99, seed=1)
    >>> s.clusters.loc[0, ["n_events", "expected"]].tolist()
    [8.0, 2.5]
    """

    def __init__(
        self,
        xy: Any,
        cases: Any,
        population: Any,
        *,
        max_share: float = 0.5,
        max_radius: float | None = None,
        permutations: int = 999,
        seed: int | None = None,
        max_clusters: int = 10,
    ) -> None:
        self.xy = np.asarray(xy, dtype=float)
        c = np.asarray(cases, dtype=float)
        pop = np.asarray(population, dtype=float)
        n = len(self.xy)
        _check_common(max_share, max_radius, permutations, n)
        if c.shape != (n,) or pop.shape != (n,):
            raise ParameterError("cases and population need one value per location")
        if (pop <= 0).any() or not np.isfinite(pop).all():
            raise ParameterError("population must be positive at every location")
        if (c < 0).any():
            raise ParameterError("cases must be non-negative")
        self.total = float(c.sum())
        self.permutations, self.seed = int(permutations), seed
        win = _windows(self.xy, pop, share=max_share, max_radius=max_radius)
        probs = pop / pop.sum()
        e_cum = np.cumsum(np.append(probs * self.total, 0.0)[win.idx], axis=1)
        e_v = e_cum[win.rows, win.cols]
        llr, where = _per_centre_best(self._llr(np.append(c, 0.0), e_v, win), win.rows, n)
        best_k = win.cols[np.maximum(where, 0)]
        rng = make_rng(seed)
        self.sim_max = np.empty(self.permutations)
        for r in range(self.permutations):
            rep = np.append(rng.multinomial(int(round(self.total)), probs), 0)
            self.sim_max[r] = self._llr(rep, e_v, win).max(initial=0.0)
        rows = []
        for centre, k, _, _ in _select(llr, best_k, win, max_clusters=max_clusters, n=n):
            locs = win.idx[centre, : k + 1]
            obs, exp = float(c[locs].sum()), float(e_cum[centre, k])
            rest = (self.total - obs) / (self.total - exp) if self.total > exp else np.nan
            rows.append(
                {
                    "centre": centre,
                    "locations": locs.tolist(),
                    "radius_m": float(win.dist[centre, k]),
                    "n_events": obs,
                    "expected": exp,
                    "llr": float(llr[centre]),
                    "relative_risk": (obs / exp) / rest if rest and rest > 0 else np.inf,
                }
            )
        self.clusters = _with_p(rows, self.sim_max)

    def _llr(self, counts: NDArray[Any], e_v: NDArray[np.float64], win: _Windows) -> NDArray[Any]:
        c_cum = np.cumsum(counts[win.idx], axis=1)
        return poisson_llr(c_cum[win.rows, win.cols], e_v, self.total)


def _with_p(rows: list[dict[str, Any]], sim_max: NDArray[np.float64]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=["centre", "locations", "radius_m", "n_events", "expected"])
    out["p_value"] = np.asarray(mc_pvalue(out["llr"].to_numpy(), sim_max, alternative="greater"))
    return out


class SpaceTimePermutationScan:
    """Kulldorff's space-time permutation scan on a cases matrix (computed on construction).

    Parameters
    ----------
    xy : array-like
        (n, 2) location coordinates in metres.
    cases : array-like
        (n, T) cases per location and time step.
    max_share : float
        Largest window as a share of all cases (default 0.5).
    max_time_share : float
        Longest time interval as a share of the T steps (default 0.5, at least one step).
    max_radius, permutations, seed, max_clusters
        As :class:`PoissonScan`; replicates permute the case times.

    Attributes
    ----------
    clusters : pandas.DataFrame
        As :class:`PoissonScan` plus ``t_start`` and ``t_end`` (step indices, inclusive).
    sim_max : numpy.ndarray

    Examples
    --------
    >>> cases = np.ones((4, 4)); cases[0, 3] = 9
    >>> s = SpaceTimePermutationScan(np.c_[np.arange(4.0) * 10, np.zeros(4)], cases,
    ...     permutations=99, seed=1)
    >>> s.clusters.loc[0, ["centre", "t_start", "t_end"]].tolist()
    [0, 3, 3]
    """

    def __init__(
        self,
        xy: Any,
        cases: Any,
        *,
        max_share: float = 0.5,
        max_time_share: float = 0.5,
        max_radius: float | None = None,
        permutations: int = 999,
        seed: int | None = None,
        max_clusters: int = 10,
    ) -> None:
        self.xy = np.asarray(xy, dtype=float)
        m = np.asarray(cases, dtype=np.int64)
        n = len(self.xy)
        _check_common(max_share, max_radius, permutations, n)
        if m.ndim != 2 or m.shape[0] != n or (m < 0).any():
            raise ParameterError("cases must be a non-negative (locations x times) matrix")
        if not 0 < max_time_share <= 1:
            raise ParameterError(f"max_time_share must be in (0, 1], got {max_time_share}")
        n_t = m.shape[1]
        self.max_len = max(1, int(np.floor(max_time_share * n_t)))
        if n_t * self.max_len > 20_000:
            raise ParameterError(f"{n_t} time steps is too many; use months, not days")
        self.total = float(m.sum())
        self.permutations, self.seed = int(permutations), seed
        win = _windows(self.xy, m.sum(axis=1).astype(float), share=max_share, max_radius=max_radius)
        llr, best_k, times = self._scan(m, win, observed=True)
        loc_of_case = np.repeat(np.repeat(np.arange(n), n_t), m.ravel())
        time_of_case = np.repeat(np.tile(np.arange(n_t), n), m.ravel())
        rng = make_rng(seed)
        self.sim_max = np.empty(self.permutations)
        for r in range(self.permutations):
            rep = np.zeros_like(m)
            np.add.at(rep, (loc_of_case, rng.permutation(time_of_case)), 1)
            self.sim_max[r] = self._scan(rep, win, observed=False)[0].max(initial=0.0)
        chosen = _select(llr, best_k, win, max_clusters=max_clusters, n=n, times=times, n_times=n_t)
        rows = []
        col = m.sum(axis=0)
        for centre, k, t0, t1 in chosen:
            locs = win.idx[centre, : k + 1]
            obs = float(m[locs, t0 : t1 + 1].sum())
            exp = float(m[locs].sum() * col[t0 : t1 + 1].sum() / self.total)
            rest = (self.total - obs) / (self.total - exp) if self.total > exp else np.nan
            rows.append(
                {
                    "centre": centre,
                    "locations": locs.tolist(),
                    "radius_m": float(win.dist[centre, k]),
                    "t_start": t0,
                    "t_end": t1,
                    "n_events": obs,
                    "expected": exp,
                    "llr": float(llr[centre]),
                    "relative_risk": (obs / exp) / rest if rest and rest > 0 else np.inf,
                }
            )
        self.clusters = _with_p(rows, self.sim_max)

    def _scan(
        self, m: NDArray[np.int64], win: _Windows, *, observed: bool
    ) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
        """Best cylinder per centre (``observed``) or just the window values (replicates).

        The expected counts depend only on the margins, which the time permutation keeps, so
        their logarithms are computed once; ``x log x`` of the integer counts is a table.
        """
        n, n_t = m.shape
        total = int(self.total)
        if not hasattr(self, "_mu"):
            col_cum = np.concatenate([[0.0], np.cumsum(m.sum(axis=0))])
            pairs = [(a, a + w) for w in range(1, self.max_len + 1) for a in range(n_t - w + 1)]
            self._t0s, self._t1s = (np.array(v, dtype=np.intp) for v in zip(*pairs, strict=True))
            n_int = (col_cum[self._t1s] - col_cum[self._t0s]) / self.total
            space = m.sum(axis=1).astype(float)
            ws = np.cumsum(np.append(space, 0.0)[win.idx], axis=1)[win.rows, win.cols]
            self._mu = ws[:, None] * n_int[None, :]
            with np.errstate(divide="ignore"):
                self._log_mu = np.log(self._mu)
                self._log_rest = np.log(self.total - self._mu)
            k = np.arange(total + 1, dtype=float)
            self._xlogx = xlogy(k, k)
        t0s, t1s, xlx = self._t0s, self._t1s, self._xlogx
        padded = np.vstack([m, np.zeros((1, n_t), dtype=m.dtype)])
        best_v = np.zeros(len(win.rows))
        best_t = np.zeros((len(win.rows), 2), dtype=np.intp)
        for start in range(0, n, _CHUNK):
            lo, hi = np.searchsorted(win.rows, [start, start + _CHUNK])
            if lo == hi:
                continue
            cum = np.cumsum(padded[win.idx[start : start + _CHUNK]], axis=1)  # (c, K, T)
            v = cum[win.rows[lo:hi] - start, win.cols[lo:hi]]  # (nv, T)
            tc = np.concatenate([np.zeros((len(v), 1), dtype=v.dtype), np.cumsum(v, axis=1)], 1)
            c = tc[:, t1s] - tc[:, t0s]  # (nv, intervals), integer counts
            rest = total - c
            with np.errstate(invalid="ignore"):
                llr = (xlx[c] - c * self._log_mu[lo:hi]) + (
                    xlx[rest] - rest * self._log_rest[lo:hi]
                )
            llr = np.where(c > self._mu[lo:hi], llr, 0.0)
            pick = np.argmax(llr, axis=1)
            best_v[lo:hi] = llr[np.arange(len(pick)), pick]
            if observed:
                best_t[lo:hi] = np.c_[t0s[pick], t1s[pick] - 1]
        if not observed:
            return best_v, np.zeros(0, dtype=np.intp), best_t
        best, where = _per_centre_best(best_v, win.rows, n)
        ok = np.maximum(where, 0)
        return best, win.cols[ok], best_t[ok]


def _polygon(study_area: Any) -> shapely.Geometry:
    geom = getattr(study_area, "polygon", study_area)
    if isinstance(geom, gpd.GeoDataFrame | gpd.GeoSeries):
        geom = geom.union_all()
    if not isinstance(geom, shapely.Geometry) or geom.is_empty:
        raise ParameterError("study_area must be a StudyArea or a shapely (Multi)Polygon")
    return geom


def population_in_cells(
    cells: gpd.GeoDataFrame, population: gpd.GeoDataFrame, *, column: str
) -> NDArray[np.float64]:
    """Apportion area-unit population to cells by the share of each unit's area in each cell.

    Examples
    --------
    >>> cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    >>> pop = gpd.GeoDataFrame({"n": [10.0]}, geometry=[shapely.box(0, 0, 200, 100)], crs=27700)
    >>> population_in_cells(cells, pop, column="n").tolist()
    [5.0, 5.0]
    """
    if column not in population:
        raise ParameterError(f"population has no column {column!r}")
    units = population[[column, population.geometry.name]].to_crs(BNG_EPSG).reset_index(drop=True)
    unit_area = units.geometry.area.to_numpy()
    ci, ui = units.sindex.query(cells.geometry.to_numpy(), predicate="intersects")
    part = shapely.area(
        shapely.intersection(cells.geometry.to_numpy()[ci], units.geometry.to_numpy()[ui])
    )
    value = units[column].to_numpy(dtype=float)[ui] * part / unit_area[ui]
    return np.bincount(ci, weights=value, minlength=len(cells)).astype(float)


def _time_column(points: gpd.GeoDataFrame, time_col: str | None) -> str:
    if time_col is not None:
        if time_col not in points:
            raise ParameterError(f"points have no time column {time_col!r}")
        return time_col
    for col in TIME_COLUMNS:
        if col in points:
            return col
    raise ParameterError(f"the space-time scan needs a time column (one of {TIME_COLUMNS})")


def scan_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: Any,
    population: gpd.GeoDataFrame | None = None,
    model: str = "poisson",
    cell_size: float = 1000.0,
    max_share: float = 0.5,
    max_radius: float | None = None,
    population_col: str = "children_young_people",
    time_col: str | None = None,
    time_unit: TimeUnit = "months",
    max_time_share: float = 0.5,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
    max_clusters: int = 10,
) -> gpd.GeoDataFrame:
    """Kulldorff scan clusters as the standard hotspot result (one row per cluster).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Events in EPSG:27700; null geometries and points outside the study area are skipped
        (counted in the parameters).
    study_area : StudyArea or shapely Polygon
        Area scanned; a :class:`geo.boundaries.StudyArea` also supplies the population.
    population : geopandas.GeoDataFrame, optional
        Area units with ``population_col`` (Poisson model); default the study area's LSOAs.
    model : {"poisson", "space-time-permutation"}
    cell_size : float
        Grid cell (metres) whose centres are the scan locations.
    max_share : float
        Largest window: share of the population (Poisson) or of the cases (space-time).
    max_radius : float, optional
        Largest window radius in metres.
    time_col, time_unit, max_time_share
        Space-time model: time column (default the first of :data:`TIME_COLUMNS`), its step
        (``months`` or ``days``) and the longest interval as a share of the period.
    permutations, seed, alpha, max_clusters
        Monte Carlo replicates, their seed, the significance level, most clusters reported.

    Returns
    -------
    geopandas.GeoDataFrame
        Standard columns (:func:`analysis.result.finalise`): label ``cluster`` when
        ``p_value <= alpha`` else ``not significant``; ``statistic`` = LLR; ``rate_ratio`` =
        observed / expected; geometry = the window circle (radius to the farthest cell centre
        plus half a cell). Extra: ``radius_m``, ``n_cells``, ``relative_risk``, and for the
        space-time model ``time_start`` / ``time_end``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.r_[rng.uniform(0, 4000, (300, 2)), rng.normal(1000, 150, (80, 2))]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> pop = gpd.GeoDataFrame({"children_young_people": [1000.0]},
    ...     geometry=[shapely.box(0, 0, 4000, 4000)], crs=27700)
    >>> out = scan_hotspots(pts, study_area=shapely.box(0, 0, 4000, 4000), population=pop,
    ...     cell_size=250, permutations=99, seed=1)
    >>> out.loc[0, "label"], bool(out.loc[0, "rate_ratio"] > 2)
    ('cluster', True)
    """
    if model not in MODELS:
        raise ParameterError(f"model must be one of {MODELS}, got {model!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    polygon = _polygon(study_area)
    if points.crs is not None and points.crs.to_epsg() != BNG_EPSG:
        raise ParameterError(f"points must be in EPSG:{BNG_EPSG}, got {points.crs}")
    pts = points[~(points.geometry.isna() | points.geometry.is_empty)]
    pts = pts.set_crs(BNG_EPSG) if pts.crs is None else pts
    cells = fishnet(polygon, cell_size=cell_size)
    xy = cells[["cell_x", "cell_y"]].to_numpy(dtype=float)
    params: dict[str, Any] = {
        "model": model,
        "cell_size": cell_size,
        "max_share": max_share,
        "max_radius": max_radius,
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
        "max_clusters": max_clusters,
    }
    if model == "poisson":
        if population is None:
            population = getattr(study_area, "population", None)
        if population is None:
            raise ParameterError(
                "the Poisson scan needs population (or use space-time-permutation)"
            )
        pop = population_in_cells(cells, population, column=population_col)
        counts = count_in_cells(cells, pts)
        keep = pop > 0
        params.update(
            population_col=population_col,
            adjustment="population",
            events_in_cells_without_population=float(counts[~keep].sum()),
        )
        scan: PoissonScan | SpaceTimePermutationScan = PoissonScan(
            xy[keep],
            counts[keep],
            pop[keep],
            max_share=max_share,
            max_radius=max_radius,
            permutations=permutations,
            seed=seed,
            max_clusters=max_clusters,
        )
    else:
        col = _time_column(pts, time_col)
        t = numeric_times(pts[col], time_unit=time_unit)
        steps = np.floor(t - (t.min() if len(t) else 0.0))
        n_t = int(steps.max()) + 1 if len(steps) else 1
        matrix = np.column_stack(
            [count_in_cells(cells, pts[steps == s]) for s in range(n_t)]
        ).astype(np.int64)
        keep = matrix.sum(axis=1) > 0
        params.update(
            time_col=col,
            time_unit=time_unit,
            max_time_share=max_time_share,
            n_time_steps=n_t,
            adjustment="none",
        )
        scan = SpaceTimePermutationScan(
            xy[keep],
            matrix[keep],
            max_share=max_share,
            max_time_share=max_time_share,
            max_radius=max_radius,
            permutations=permutations,
            seed=seed,
            max_clusters=max_clusters,
        )
    params["events_scanned"] = scan.total
    params["events_outside_cells"] = int(len(points) - len(pts)) + int(
        len(pts) - count_in_cells(cells, pts).sum()
    )
    kept_xy = xy[keep]
    rows = scan.clusters
    out = pd.DataFrame(
        {
            "n_events": rows["n_events"].astype(float),
            "expected": rows["expected"].astype(float),
            "statistic": rows["llr"].astype(float) if len(rows) else [],
            "p_value": rows["p_value"].astype(float) if len(rows) else [],
            "radius_m": rows["radius_m"].astype(float),
            "n_cells": [len(v) for v in rows["locations"]],
        }
    )
    out["rate_ratio"] = out["n_events"] / out["expected"]
    out["relative_risk"] = rows["relative_risk"].astype(float) if len(rows) else []
    out["label"] = np.where(out["p_value"] <= alpha, CLUSTER, NOT_SIGNIFICANT)
    if model != "poisson" and len(rows):
        out["time_start"] = _step_label(rows["t_start"], pts[params["time_col"]], time_unit)
        out["time_end"] = _step_label(rows["t_end"], pts[params["time_col"]], time_unit)
    centres = kept_xy[rows["centre"].astype(int).to_numpy()] if len(rows) else np.empty((0, 2))
    geoms = shapely.buffer(
        shapely.points(centres), out["radius_m"].to_numpy() + cell_size / 2, quad_segs=16
    )
    gdf = gpd.GeoDataFrame(out, geometry=geoms, crs=BNG_EPSG)
    gdf["area_m2"] = gdf.geometry.area
    return finalise(gdf, method="scan", params=params)


def _step_label(steps: pd.Series, raw: pd.Series, time_unit: str) -> list[str]:
    """Human label of a time step: ``YYYY-MM`` for months, ``YYYY-MM-DD`` for days."""
    out = []
    if time_unit == "months":
        first = pd.Period(pd.to_datetime(pd.Series(raw).astype(str)).min(), freq="M")
        for s in steps:
            out.append(str(first + int(s)))
    else:
        start = pd.to_datetime(pd.Series(raw).astype(str)).min().normalize()
        for s in steps:
            out.append(str((start + pd.Timedelta(days=int(s))).date()))
    return out
