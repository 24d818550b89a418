"""Significance for every hotspot method: normal p-values, Benjamini-Hochberg FDR, Monte Carlo p.

All significance code of csmap lives here (esda style), so every method labels cells the same way.

* :func:`p_from_z` - p-value of a standard-normal z (two-sided by default).
* :func:`fdr_bh` - Benjamini-Hochberg q-values (monotone in p, ``q >= p``, capped at 1).
* :func:`fdr_cutoff` - the largest p that BH rejects at ``alpha`` (compare :func:`esda.fdr`).
* :func:`mc_pvalue` - Monte Carlo p = (M + 1) / (R + 1) with named alternatives.
* :func:`label_significance` - ``hot`` / ``cold`` / ``not significant`` labels.
* :func:`make_rng` - the only way csmap creates random generators (explicit seed, never the
  global one).
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from geo.errors import ParameterError

Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES: Final[tuple[str, ...]] = ("two-sided", "greater", "less")
#: Monte Carlo alternatives; ``folded`` is esda's ``p_sim`` convention (smaller tail, not doubled).
MC_ALTERNATIVES: Final[tuple[str, ...]] = ("two-sided", "greater", "less", "folded")

#: Labels of a significance-tested cell.
HOT: Final[str] = "hot"
COLD: Final[str] = "cold"
NOT_SIGNIFICANT: Final[str] = "not significant"
CLUSTER: Final[str] = "cluster"
LABELS: Final[tuple[str, ...]] = (HOT, COLD, NOT_SIGNIFICANT, CLUSTER)


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"alpha must be between 0 and 1 (exclusive), got {alpha}")
    return alpha


def p_from_z(z: ArrayLike, *, alternative: str = "two-sided") -> NDArray[np.float64]:
    """P-values of standard-normal z scores.

    Parameters
    ----------
    z : array-like
        Z scores; NaN gives NaN.
    alternative : {"two-sided", "greater", "less"}
        ``greater`` tests for high values (hot spots) only, ``less`` for low values only.

    Returns
    -------
    numpy.ndarray
        P-values, same shape as ``z``.

    Examples
    --------
    >>> round(float(p_from_z(1.959963984540054)), 6)
    0.05
    >>> round(float(p_from_z(1.6448536269514722, alternative="greater")), 6)
    0.05
    """
    zz = np.asarray(z, dtype=float)
    if alternative == "two-sided":
        return np.asarray(2.0 * stats.norm.sf(np.abs(zz)), dtype=float)
    if alternative == "greater":
        return np.asarray(stats.norm.sf(zz), dtype=float)
    if alternative == "less":
        return np.asarray(stats.norm.cdf(zz), dtype=float)
    raise ParameterError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


def fdr_bh(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg q-values (FDR-adjusted p-values).

    ``q_(i) = min_{j >= i} p_(j) * m / j`` over the p-values sorted ascending, capped at 1, where
    ``m`` is the number of non-missing p-values. NaN stays NaN and does not count towards ``m``.
    A cell is significant at FDR level ``alpha`` when ``q <= alpha``; this rejects exactly the
    p-values at or below :func:`fdr_cutoff`.

    Parameters
    ----------
    p : array-like
        P-values in [0, 1].

    Returns
    -------
    numpy.ndarray
        q-values, same shape and order as ``p``.

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03, 0.5]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.5]
    """
    pp = np.asarray(p, dtype=float)
    flat = pp.ravel()
    q = np.full(flat.shape, np.nan)
    ok = ~np.isnan(flat)
    vals = flat[ok]
    if vals.size:
        if vals.min() < 0 or vals.max() > 1:
            raise ParameterError("p-values must lie in [0, 1]")
        m = vals.size
        order = np.argsort(vals, kind="mergesort")
        ranked = vals[order] * m / np.arange(1, m + 1)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(ranked, 1.0)
        q[ok] = out
    return q.reshape(pp.shape)


def fdr_cutoff(p: ArrayLike, *, alpha: float = 0.05) -> float:
    """Largest p-value rejected by Benjamini-Hochberg at level ``alpha`` (0.0 if none).

    Unlike :func:`esda.fdr`, there is no Bonferroni fallback when nothing is rejected: the
    cut-off is then 0.0 and no test is significant.

    Parameters
    ----------
    p : array-like
        P-values; NaN ignored.
    alpha : float
        FDR level.

    Returns
    -------
    float
        The cut-off; ``p <= cutoff`` are the rejected tests.

    Examples
    --------
    >>> fdr_cutoff([0.01, 0.04, 0.03, 0.5], alpha=0.05)
    0.01
    """
    alpha = _check_alpha(alpha)
    vals = np.sort(np.asarray(p, dtype=float).ravel())
    vals = vals[~np.isnan(vals)]
    m = vals.size
    if m == 0:
        return 0.0
    below = vals <= alpha * np.arange(1, m + 1) / m
    if not below.any():
        return 0.0
    return float(vals[np.nonzero(below)[0].max()])


def mc_pvalue(
    observed: ArrayLike, simulated: ArrayLike, *, alternative: str = "greater"
) -> NDArray[np.float64]:
    """Monte Carlo p-value ``(M + 1) / (R + 1)``.

    Parameters
    ----------
    observed : array-like
        Observed statistic, a scalar or shape ``(n,)``.
    simulated : array-like
        Statistics under the null, shape ``(R,)`` or ``(n, R)`` (replicates along the last axis).
    alternative : {"greater", "less", "two-sided", "folded"}
        ``greater``: M = replicates >= observed; ``less``: M = replicates <= observed;
        ``two-sided``: twice the smaller one-sided p, capped at 1; ``folded``: the smaller of the
        two counts, not doubled (esda's ``p_sim`` convention).

    Returns
    -------
    numpy.ndarray
        P-values (0-d for a scalar observation), never below ``1 / (R + 1)``.

    Examples
    --------
    >>> float(mc_pvalue(5.0, [1.0, 2.0, 6.0, 3.0]))
    0.4
    >>> float(mc_pvalue(5.0, [1.0, 2.0, 6.0, 3.0], alternative="less"))
    0.8
    """
    if alternative not in MC_ALTERNATIVES:
        raise ParameterError(f"alternative must be one of {MC_ALTERNATIVES}, got {alternative!r}")
    obs = np.asarray(observed, dtype=float)
    sim = np.asarray(simulated, dtype=float)
    if sim.ndim == 0 or sim.shape[-1] == 0:
        raise ParameterError("mc_pvalue needs at least one simulated replicate")
    r = sim.shape[-1]
    o = obs[..., np.newaxis]
    ge = (sim >= o).sum(axis=-1)
    le = (sim <= o).sum(axis=-1)
    p_ge = (ge + 1.0) / (r + 1.0)
    p_le = (le + 1.0) / (r + 1.0)
    if alternative == "greater":
        return np.asarray(p_ge)
    if alternative == "less":
        return np.asarray(p_le)
    if alternative == "folded":
        return np.asarray((np.minimum(ge, le) + 1.0) / (r + 1.0))
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(p_ge, p_le)))


def label_significance(z: ArrayLike, p: ArrayLike, *, alpha: float = 0.05) -> NDArray[np.object_]:
    """Label each test ``hot`` (z > 0, p <= alpha), ``cold`` (z < 0, p <= alpha) or not significant.

    Pass q-values as ``p`` for FDR control. NaN p or z is ``not significant``.

    Parameters
    ----------
    z : array-like
        Signed statistic (direction).
    p : array-like
        P- or q-values.
    alpha : float
        Significance level.

    Returns
    -------
    numpy.ndarray
        Object array of labels from :data:`LABELS`.

    Examples
    --------
    >>> label_significance([2.5, -3.0, 0.5], [0.01, 0.001, 0.6]).tolist()
    ['hot', 'cold', 'not significant']
    """
    alpha = _check_alpha(alpha)
    zz = np.asarray(z, dtype=float)
    pp = np.asarray(p, dtype=float)
    sig = np.nan_to_num(pp, nan=2.0) <= alpha
    out = np.full(zz.shape, NOT_SIGNIFICANT, dtype=object)
    out[sig & (zz > 0)] = HOT
    out[sig & (zz < 0)] = COLD
    return out


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Random generator from an explicit seed (``numpy.random.default_rng``; never the global one).

    Examples
    --------
    >>> make_rng(1).integers(0, 10, 3).tolist() == make_rng(1).integers(0, 10, 3).tolist()
    True
    """
    return np.random.default_rng(seed)


# --- Count-based tail probabilities (Knox test; added by the space-time statistics engineer) ---


def p_poisson_upper(
    observed: ArrayLike, expected: ArrayLike, *, inclusive: bool = True
) -> NDArray[np.float64]:
    """Upper-tail Poisson p-value of an observed count.

    Parameters
    ----------
    observed : array-like
        Observed counts.
    expected : array-like
        Poisson means (> 0).
    inclusive : bool
        ``True``: ``P(X >= observed)`` (the usual one-sided p). ``False``: ``P(X > observed)``,
        the convention of ``pointpats.spacetime.Knox.p_poisson`` (kept for reproducing it).

    Returns
    -------
    numpy.ndarray
        P-values.

    Examples
    --------
    >>> round(float(p_poisson_upper(13, 10.143816, inclusive=False)), 5)
    0.14625
    >>> round(float(p_poisson_upper(1, 1.0)), 4)
    0.6321
    """
    k = np.asarray(observed, dtype=float)
    mu = np.asarray(expected, dtype=float)
    return np.asarray(stats.poisson.sf(k - 1 if inclusive else k, mu), dtype=float)


def p_hypergeom_upper(
    observed: ArrayLike, *, population: int, successes: ArrayLike, draws: ArrayLike
) -> NDArray[np.float64]:
    """``P(X >= observed)`` for ``X ~ Hypergeom(population, successes, draws)``.

    Parameters
    ----------
    observed : array-like
        Observed successes among the draws.
    population : int
        Size of the urn.
    successes : array-like
        Successes in the urn.
    draws : array-like
        Number drawn without replacement.

    Returns
    -------
    numpy.ndarray
        P-values (broadcast over the inputs).

    Examples
    --------
    >>> float(p_hypergeom_upper(2, population=4, successes=2, draws=2))  # 1 / C(4, 2)
    0.16666666666666666
    """
    k = np.asarray(observed, dtype=float)
    return np.asarray(stats.hypergeom.sf(k - 1, population, successes, draws), dtype=float)


def p_poisson_lower(observed: ArrayLike, expected: ArrayLike) -> NDArray[np.float64]:
    """Lower-tail Poisson p-value ``P(X <= observed)`` (is a count far *below* its mean?).

    Used for "silent agency" flags (:mod:`analysis.views.agencies`).

    Examples
    --------
    >>> round(float(p_poisson_lower(0, 3.0)), 4)  # exp(-3)
    0.0498
    >>> float(p_poisson_lower(5, 0.0))
    1.0
    """
    k = np.asarray(observed, dtype=float)
    mu = np.asarray(expected, dtype=float)
    return np.asarray(stats.poisson.cdf(k, mu), dtype=float)
