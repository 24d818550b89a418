"""Kulldorff's spatial scan statistic on locations (Poisson and space-time permutation).

:func:`analysis.hotspots.scan.scan_hotspots` runs it on a grid of the study area and returns the
standard
result.

Events are counted in grid cells (:func:`analysis.lattice.grid.fishnet`); each cell centre is a
candidate
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

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial.distance import cdist
from scipy.special import xlogy

from analysis.inference import make_rng, mc_pvalue
from geo.errors import ParameterError

Model = Literal["poisson", "space-time-permutation"]
MODELS: Final[tuple[str, ...]] = ("poisson", "space-time-permutation")
#: Time columns tried, in order, when ``time_col`` is not given.
TIME_COLUMNS: Final[tuple[str, ...]] = ("month", "reported_date", "start_date", "start", "date")
_CHUNK: Final[int] = 256

__all__ = ["MODELS", "PoissonScan", "SpaceTimePermutationScan", "poisson_llr"]


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
            rows.append(
                _cluster_row(win, centre=centre, k=k, obs=obs, exp=exp, llr=llr, total=self.total)
            )
        self.clusters = _with_p(rows, self.sim_max)

    def _llr(self, counts: NDArray[Any], e_v: NDArray[np.float64], win: _Windows) -> NDArray[Any]:
        c_cum = np.cumsum(counts[win.idx], axis=1)
        return poisson_llr(c_cum[win.rows, win.cols], e_v, self.total)


def _cluster_row(
    win: _Windows,
    *,
    centre: int,
    k: int,
    obs: float,
    exp: float,
    llr: NDArray[Any],
    total: float,
    times: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One cluster's row (``t_start``/``t_end`` after ``radius_m`` when ``times`` is given)."""
    rest = (total - obs) / (total - exp) if total > exp else np.nan
    row: dict[str, Any] = {
        "centre": centre,
        "locations": win.idx[centre, : k + 1].tolist(),
        "radius_m": float(win.dist[centre, k]),
    }
    if times is not None:
        row["t_start"], row["t_end"] = times
    row.update(
        {
            "n_events": obs,
            "expected": exp,
            "llr": float(llr[centre]),
            "relative_risk": (obs / exp) / rest if rest and rest > 0 else np.inf,
        }
    )
    return row


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
            rows.append(
                _cluster_row(
                    win,
                    centre=centre,
                    k=k,
                    obs=obs,
                    exp=exp,
                    llr=llr,
                    total=self.total,
                    times=(t0, t1),
                )
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
