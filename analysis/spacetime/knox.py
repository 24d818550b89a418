"""Knox test for space-time interaction, global and local.

Two events form a *spatial pair* when they are at most ``delta`` metres apart and a *temporal pair*
when their times differ by at most ``tau`` (days or months). Knox's statistic is the number of
pairs that are both. Without space-time interaction it is expected to equal
``NS * NT / (n (n - 1) / 2)`` (the 2x2 margins). Inference is analytic (Poisson) and by Monte
Carlo: times are permuted among events with an explicit ``seed``.

Two analytic p-values are reported. ``p_poisson_inclusive`` is the usual one-sided p,
``P(X >= NST)``, and is the one to quote. ``p_poisson`` is ``P(X > NST)``, pointpats'
convention, kept only to reproduce pointpats; it excludes the observed count itself, so it is
smaller and overstates significance (on Burkitt, delta 20, tau 5: 0.146 against 0.222).

Pairs are found with a KD-tree (:meth:`scipy.spatial.cKDTree.query_pairs`) and temporal pairs by
sorting, so the cost grows with the number of close pairs, not with ``n**2``. Results reproduce
``pointpats.spacetime.Knox`` / ``KnoxLocal`` (same inclusive thresholds, same analytic p-values).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from analysis.inference import make_rng, mc_pvalue, p_hypergeom_upper, p_poisson_upper
from geo.errors import ParameterError

TimeUnit = Literal["days", "months"]
TIME_UNITS: tuple[TimeUnit, ...] = ("days", "months")

__all__ = ["Knox", "KnoxLocal", "TIME_UNITS", "numeric_times", "space_time_pairs"]


def numeric_times(times: Any, *, time_unit: TimeUnit = "days") -> NDArray[np.float64]:
    """Turn event times into numbers in ``time_unit``.

    Parameters
    ----------
    times : array-like
        Numbers (already in the wanted unit, returned unchanged), datetimes, or monthly periods.
    time_unit : {"days", "months"}
        Unit for datetimes: days since the earliest event, or calendar months (``year * 12 +
        month``, so 31 January and 1 February are one month apart). Periods are always months.

    Returns
    -------
    numpy.ndarray
        Float times, one per event.

    Examples
    --------
    >>> numeric_times(pd.to_datetime(["2024-01-31", "2024-02-01"])).tolist()
    [0.0, 1.0]
    >>> numeric_times(pd.to_datetime(["2024-01-31", "2024-02-01"]), time_unit="months").tolist()
    [0.0, 1.0]
    """
    if time_unit not in TIME_UNITS:
        raise ParameterError(f"time_unit must be one of {TIME_UNITS}, not {time_unit!r}")
    if isinstance(times, pd.DataFrame):
        if times.shape[1] != 1:
            raise ParameterError("times must be one column")
        times = times.iloc[:, 0]
    series = pd.Series(np.asarray(times).ravel() if not isinstance(times, pd.Series) else times)
    if isinstance(series.dtype, pd.PeriodDtype):
        out = np.array(
            [np.nan if pd.isna(p) else p.asfreq("M").ordinal for p in series], dtype=float
        )
    elif pd.api.types.is_datetime64_any_dtype(series) or series.dtype == object:
        stamps = pd.to_datetime(series, errors="coerce")
        if stamps.isna().any() and not series.isna().all() and series.dtype == object:
            bad = int(np.flatnonzero(stamps.isna().to_numpy())[0])
            raise ParameterError(f"time of event {bad} is not a date: {series.iloc[bad]!r}")
        if time_unit == "months":
            out = (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=float, na_value=np.nan)
            out = out - np.nanmin(out) if len(out) else out
        else:
            origin = stamps.min()
            out = ((stamps - origin) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    else:
        out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(out).any():
        bad = int(np.flatnonzero(np.isnan(out))[0])
        raise ParameterError(f"time of event {bad} is missing or not a number")
    return out


def _coords(coords: Any) -> NDArray[np.float64]:
    if hasattr(coords, "geometry") or hasattr(coords, "geom_type"):
        geoms = coords.geometry if hasattr(coords, "geometry") else coords
        crs = getattr(geoms, "crs", None)
        if crs is not None and not crs.is_projected:
            raise ParameterError("Knox needs projected coordinates in metres (e.g. EPSG:27700)")
        xy = np.column_stack([geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)])
    else:
        xy = np.asarray(coords, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ParameterError(f"coordinates must have shape (n, 2), got {xy.shape}")
    if not np.isfinite(xy).all():
        bad = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
        raise ParameterError(f"event {bad} has no finite coordinates")
    return xy


def _check(n: int, n_t: int, delta: float, tau: float, permutations: int) -> None:
    if n != n_t:
        raise ParameterError(f"{n} coordinates but {n_t} times")
    if n < 2:
        raise ParameterError("the Knox test needs at least two events")
    if not delta > 0 or not np.isfinite(delta):
        raise ParameterError(f"delta must be a positive distance in metres, not {delta}")
    if not tau >= 0 or not np.isfinite(tau):
        raise ParameterError(f"tau must be a non-negative time, not {tau}")
    if permutations < 0:
        raise ParameterError(f"permutations must be >= 0, not {permutations}")


def space_time_pairs(
    xy: NDArray[np.float64], t: NDArray[np.float64], *, delta: float, tau: float
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Spatial pairs (``i < j``, distance <= delta) and each event's temporal-neighbour count.

    Parameters
    ----------
    xy : numpy.ndarray
        (n, 2) coordinates in metres.
    t : numpy.ndarray
        (n,) numeric times.
    delta, tau : float
        Inclusive spatial and temporal thresholds.

    Returns
    -------
    pairs : numpy.ndarray
        (NS, 2) index pairs.
    nt : numpy.ndarray
        (n,) number of other events within ``tau`` of each event.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [3.0, 4.0], [100.0, 0.0]])
    >>> pairs, nt = space_time_pairs(xy, np.array([0.0, 1.0, 9.0]), delta=5, tau=1)
    >>> pairs.tolist(), nt.tolist()
    ([[0, 1]], [1, 1, 0])
    """
    pairs = cKDTree(xy).query_pairs(r=delta, output_type="ndarray")
    order = np.sort(t)
    nt = np.searchsorted(order, t + tau, side="right") - np.searchsorted(
        order, t - tau, side="left"
    )
    return pairs.astype(np.intp, copy=False), (nt - 1).astype(np.int64)


class Knox:
    """Global Knox statistic with Poisson and Monte Carlo p-values (computed on construction).

    Parameters
    ----------
    coords : array-like or GeoSeries/GeoDataFrame
        (n, 2) coordinates in metres, or projected points.
    times : array-like
        Numbers, datetimes or monthly periods (see :func:`numeric_times`).
    delta : float
        Spatial threshold in metres (inclusive).
    tau : float
        Temporal threshold in ``time_unit`` (inclusive).
    time_unit : {"days", "months"}
        Unit of ``tau`` when ``times`` are dates.
    permutations : int
        Monte Carlo permutations of the times (0 for none).
    seed : int or None
        Seed of the :class:`numpy.random.Generator` used for the permutations.
    keep : bool
        Keep the simulated statistics in ``sim``.

    Attributes
    ----------
    statistic : int
        Observed space-time pairs (``NST``).
    expected : float
        Expected space-time pairs, ``NS * NT / pairs``.
    observed_table, expected_table : numpy.ndarray
        The 2x2 tables ``[[NST, NS - NST], [NT - NST, rest]]``.
    p_poisson : float
        ``P(X > NST)`` for ``X ~ Poisson(expected)``: pointpats-compatible (equals
        ``pointpats.spacetime.Knox.p_poisson``), kept to reproduce it. It leaves out
        ``P(X = NST)``, so it is anti-conservative; do not quote it as the p-value.
    p_poisson_inclusive : float
        ``P(X >= NST)`` for ``X ~ Poisson(expected)``: the usual one-sided p-value, the one to
        quote (0.222 on Burkitt with delta 20, tau 5, where ``p_poisson`` is 0.146).
    p_sim : float or None
        Monte Carlo p ``(M + 1) / (R + 1)``, ``M`` = permutations with at least ``NST`` pairs.

    Examples
    --------
    >>> xy = np.array([[0, 0], [1, 0], [0, 1], [50, 50], [51, 50], [90, 0]], dtype=float)
    >>> k = Knox(xy, [0, 1, 2, 30, 31, 60], delta=2, tau=2, permutations=99, seed=1)
    >>> k.statistic, k.observed.tolist()
    (4, [[4.0, 0.0], [0.0, 11.0]])
    >>> round(k.expected, 4)
    1.0667
    >>> k.p_poisson_inclusive > k.p_poisson
    True
    """

    def __init__(
        self,
        coords: Any,
        times: Any,
        *,
        delta: float,
        tau: float,
        time_unit: TimeUnit = "days",
        permutations: int = 999,
        seed: int | None = None,
        keep: bool = False,
    ) -> None:
        xy = _coords(coords)
        t = numeric_times(times, time_unit=time_unit)
        _check(len(xy), len(t), delta, tau, permutations)
        self.delta, self.tau, self.time_unit = float(delta), float(tau), time_unit
        self.permutations, self.seed, self.n = int(permutations), seed, len(xy)
        pairs, nt = space_time_pairs(xy, t, delta=delta, tau=tau)
        self.pairs = pairs
        self._t = t
        st = self._st_mask(t, pairs)
        self.ns = int(len(pairs))
        self.nt = int(nt.sum() // 2)
        self.nst = int(st.sum())
        self.n_pairs = self.n * (self.n - 1) / 2
        self.statistic = self.nst
        self.expected = self.ns * self.nt / self.n_pairs
        ns_, nt_ = self.ns - self.nst, self.nt - self.nst
        self.observed = np.array([[self.nst, ns_], [nt_, self.n_pairs - self.nst - ns_ - nt_]])
        e = self.expected
        self.expected_table = np.array(
            [[e, self.ns - e], [self.nt - e, self.n_pairs - self.ns - self.nt + e]]
        )
        self.observed_table = self.observed
        self.p_poisson = float(p_poisson_upper(self.nst, self.expected, inclusive=False))
        self.p_poisson_inclusive = float(p_poisson_upper(self.nst, self.expected, inclusive=True))
        self.sim: NDArray[np.float64] | None = None
        self.p_sim: float | None = None
        if self.permutations > 0:
            rng = make_rng(seed)
            sims = np.empty(self.permutations)
            for r in range(self.permutations):
                sims[r] = self._st_mask(rng.permutation(t), pairs).sum()
            self.p_sim = float(mc_pvalue(self.nst, sims, alternative="greater"))
            if keep:
                self.sim = sims
        self._local(seed=seed, keep=keep)

    def _local(self, *, seed: int | None, keep: bool) -> None:
        """Per-event statistics, computed last by :class:`KnoxLocal` (none for the global test)."""

    def _st_mask(self, t: NDArray[np.float64], pairs: NDArray[np.intp]) -> NDArray[np.bool_]:
        return np.asarray(np.abs(t[pairs[:, 0]] - t[pairs[:, 1]]) <= self.tau)

    def summary(self) -> dict[str, float | int | str | None]:
        """The headline numbers as a JSON-ready dict.

        ``p_poisson_inclusive`` (``P(X >= NST)``) is the p-value to quote; ``p_poisson``
        (``P(X > NST)``) is pointpats' convention, included for comparison with pointpats.

        Examples
        --------
        >>> Knox([[0, 0], [1, 1], [9, 9]], [0, 1, 5], delta=2, tau=1, permutations=0).summary()[
        ...     "statistic"
        ... ]
        1
        """
        return {
            "n_events": self.n,
            "delta": self.delta,
            "tau": self.tau,
            "time_unit": self.time_unit,
            "statistic": self.statistic,
            "expected": self.expected,
            "p_poisson": self.p_poisson,
            "p_poisson_inclusive": self.p_poisson_inclusive,
            "p_sim": self.p_sim,
            "permutations": self.permutations,
            "seed": self.seed,
            "spatial_pairs": self.ns,
            "temporal_pairs": self.nt,
        }


class KnoxLocal(Knox):
    """Local Knox: each event's number of space-time neighbours (computed on construction).

    Parameters are those of :class:`Knox`; the global results are attributes too.

    Attributes
    ----------
    nsti : numpy.ndarray
        Space-time neighbours of each event (the local statistic).
    nsi, nti : numpy.ndarray
        Spatial and temporal neighbours of each event.
    p_hypergeom : numpy.ndarray
        Analytic p as pointpats: ``P(X >= nsti_i)`` for ``X ~ Hypergeom(n - 1, nt_j, nsi_i)``
        averaged over all events ``j``.
    p_sims : numpy.ndarray or None
        Conditional-permutation p (focal event's time fixed, the others permuted). The local
        count under that permutation is exactly ``Hypergeom(n - 1, nti_i, nsi_i)``, so it is
        drawn directly; ``(M + 1) / (R + 1)``.

    Examples
    --------
    >>> xy = np.array([[0, 0], [1, 0], [0, 1], [50, 50]], dtype=float)
    >>> KnoxLocal(xy, [0, 1, 9, 0], delta=2, tau=2, permutations=0).nsti.tolist()
    [1, 1, 0, 0]
    """

    def _local(self, *, seed: int | None, keep: bool) -> None:
        n, pairs, t = self.n, self.pairs, self._t
        st = self._st_mask(t, pairs)
        self.nsi = np.bincount(pairs.ravel(), minlength=n).astype(np.int64)
        self.nsti = np.bincount(pairs[st].ravel(), minlength=n).astype(np.int64)
        _, self.nti = space_time_pairs(np.zeros((n, 2)), t, delta=1.0, tau=self.tau)
        self.p_hypergeom = self._p_hypergeom()
        self.p_sims: NDArray[np.float64] | None = None
        self.sims: NDArray[np.int64] | None = None
        if self.permutations > 0:
            rng = make_rng(None if seed is None else seed + 1)
            draws = rng.hypergeometric(
                self.nti, (n - 1) - self.nti, self.nsi, size=(self.permutations, n)
            )
            self.p_sims = np.asarray(mc_pvalue(self.nsti, draws.T, alternative="greater"))
            if keep:
                self.sims = draws.T

    def _p_hypergeom(self) -> NDArray[np.float64]:
        out = np.ones(self.n)
        nt_values, nt_counts = np.unique(self.nti, return_counts=True)
        weights = nt_counts / nt_counts.sum()
        keys = pd.DataFrame({"k": self.nsti, "d": self.nsi})
        todo = keys[keys["k"] > 0].drop_duplicates()
        for k, d in todo.itertuples(index=False):
            p = p_hypergeom_upper(k, population=self.n - 1, successes=nt_values, draws=d)
            out[(self.nsti == k) & (self.nsi == d)] = float(np.sum(weights * p))
        return out

    def frame(self, *, index: pd.Index | None = None) -> pd.DataFrame:
        """Per-event results as a DataFrame (index = ``index`` or a RangeIndex).

        Examples
        --------
        >>> kl = KnoxLocal([[0, 0], [1, 1]], [0, 1], delta=2, tau=1, permutations=0)
        >>> kl.frame()["nsti"].tolist()
        [1, 1]
        """
        data: dict[str, Any] = {
            "nsti": self.nsti,
            "nsi": self.nsi,
            "nti": self.nti,
            "p_hypergeom": self.p_hypergeom,
        }
        if self.p_sims is not None:
            data["p_sim"] = self.p_sims
        return pd.DataFrame(data, index=index)
