"""ArcGIS's emerging hot spot categories: the rules, one location at a time, and a legend.

Used by :mod:`analysis.spacetime.emerging` (which re-exports every name here). With ``n`` time
steps, a
location's significant hot steps ``H`` and cold steps ``C`` (oldest first, the *final* step being
the most recent) and the Mann-Kendall trend of its Gi* z series (up, none, down), the hot
categories are:

* **intensifying** - hot in at least 90 % of the steps including the final one, trend up;
* **persistent** - hot in at least 90 % of the steps including the final one, no trend;
* **diminishing** - hot in at least 90 % of the steps including the final one, trend down;
* **historical** - hot in at least 90 % of the steps, but not in the final one;
* **oscillating** - hot in the final step, under 90 % of the steps, cold in an earlier step;
* **new** - hot in the final step only (and never cold);
* **consecutive** - one unbroken run of at least two hot steps ending with the final one, nothing
  significant before it, under 90 % of the steps;
* **sporadic** - hot in the final step, under 90 % of the steps, hot before the final run
  (on-and-off), never cold.

Cold categories swap hot and cold; an intensifying cold spot has a *downward* z trend. The final
step's sign decides first (hot in 9 of 10 steps but cold now is an oscillating cold spot), and an
earlier step of the other sign makes a location oscillating rather than new or consecutive. "At
least 90 %" is ``10 * n_sig >= 9 * n`` (integers, no rounding). Everything else is
:data:`NO_PATTERN`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.errors import ParameterError

__all__ = [
    "CATEGORIES",
    "CATEGORY_STYLES",
    "COLD_CATEGORIES",
    "HOT_CATEGORIES",
    "NO_PATTERN",
    "PATTERNS",
    "PERSISTENT_SHARE",
    "classify_location",
    "classify_locations",
]

PATTERNS: Final[tuple[str, ...]] = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
HOT_CATEGORIES: Final[tuple[str, ...]] = tuple(f"{p} hot spot" for p in PATTERNS)
COLD_CATEGORIES: Final[tuple[str, ...]] = tuple(f"{p} cold spot" for p in PATTERNS)
NO_PATTERN: Final[str] = "no pattern detected"
CATEGORIES: Final[tuple[str, ...]] = (*HOT_CATEGORIES, *COLD_CATEGORIES, NO_PATTERN)
#: Share of steps that makes a location intensifying / persistent / diminishing / historical.
PERSISTENT_SHARE: Final[float] = 0.9

_HOT_COLOURS: Final[dict[str, str]] = {
    "new": "#7f0000",
    "consecutive": "#b30000",
    "intensifying": "#d7301f",
    "persistent": "#ef6548",
    "diminishing": "#fc8d59",
    "sporadic": "#fdbb84",
    "oscillating": "#fdd49e",
    "historical": "#fee8c8",
}
_COLD_COLOURS: Final[dict[str, str]] = {
    "new": "#023858",
    "consecutive": "#045a8d",
    "intensifying": "#0570b0",
    "persistent": "#3690c0",
    "diminishing": "#74a9cf",
    "sporadic": "#a6bddb",
    "oscillating": "#d0d1e6",
    "historical": "#ece7f2",
}
_DESCRIPTIONS: Final[dict[str, str]] = {
    "new": "{sign} in the final period only",
    "consecutive": "one unbroken run of {sign} periods ending now (at least two), under 90 % of "
    "periods",
    "intensifying": "{sign} in at least 90 % of periods including now, getting stronger",
    "persistent": "{sign} in at least 90 % of periods including now, no trend",
    "diminishing": "{sign} in at least 90 % of periods including now, getting weaker",
    "sporadic": "{sign} now and on and off before (under 90 % of periods), never {other}",
    "oscillating": "{sign} now, {other} in an earlier period, under 90 % of periods",
    "historical": "{sign} in at least 90 % of periods, but not now",
}


def _styles() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for kind, colours, sign, other in (
        ("hot spot", _HOT_COLOURS, "significant hot spot", "cold"),
        ("cold spot", _COLD_COLOURS, "significant cold spot", "hot"),
    ):
        for pattern in PATTERNS:
            out[f"{pattern} {kind}"] = {
                "colour": colours[pattern],
                "description": _DESCRIPTIONS[pattern].format(sign=sign, other=other).capitalize(),
            }
    out[NO_PATTERN] = {
        "colour": "#f0f0f0",
        "description": "None of the hot or cold patterns (not significant in the final period "
        "nor in 90 % of periods)",
    }
    return out


#: Legend of the categories: ``{category: {"colour": "#rrggbb", "description": text}}``, in the
#: order of :data:`CATEGORIES` (hot reds, cold blues, darkest = most recent).
CATEGORY_STYLES: Final[dict[str, dict[str, str]]] = _styles()


def _pattern(sig: NDArray[np.bool_], other: NDArray[np.bool_], trend: int) -> str | None:
    """The pattern of one sign (``sig``) against the opposite sign (``other``), or None."""
    n = sig.size
    n_sig = int(sig.sum())
    final = bool(sig[-1])
    if 10 * n_sig >= 9 * n:  # at least PERSISTENT_SHARE (90 %) of the steps, in integers
        if not final:
            return "historical"
        return {1: "intensifying", -1: "diminishing"}.get(trend, "persistent")
    if not final:
        return None
    earlier = sig[:-1]
    if bool(other[:-1].any()):
        return "oscillating"
    if not earlier.any():
        return "new"
    run = n - (int(np.nonzero(~sig)[0].max()) + 1) if (~sig).any() else n
    if run >= 2 and not sig[: n - run].any():
        return "consecutive"
    return "sporadic"


def classify_location(hot: ArrayLike, cold: ArrayLike, *, trend: int = 0) -> str:
    """The emerging hot spot category of one location (rules in the module docstring).

    Parameters
    ----------
    hot, cold : array-like of bool, shape (n_steps,)
        Significant hot / cold spot in each step, oldest first.
    trend : {-1, 0, 1}
        Significant Mann-Kendall trend of the location's Gi* z series (down, none, up).

    Returns
    -------
    str
        One of :data:`CATEGORIES`.

    Examples
    --------
    >>> classify_location([0, 0, 0, 0, 1], [0, 0, 0, 0, 0])
    'new hot spot'
    >>> classify_location([0, 1, 0, 1, 1], [0, 0, 0, 0, 0])
    'sporadic hot spot'
    >>> classify_location([1] * 10, [0] * 10, trend=-1)
    'diminishing hot spot'
    >>> classify_location([1, 0, 0], [0, 0, 1])
    'oscillating cold spot'
    """
    h = np.asarray(hot, dtype=bool).ravel()
    c = np.asarray(cold, dtype=bool).ravel()
    if h.shape != c.shape or h.size == 0:
        raise ParameterError("hot and cold must be series of the same, non-zero length")
    if bool((h & c).any()):
        raise ParameterError("a step cannot be both a hot and a cold spot")
    if trend not in (-1, 0, 1):
        raise ParameterError(f"trend must be -1, 0 or 1, got {trend!r}")
    # the final step's sign decides first; otherwise the >= 90 % (historical) rules
    order = [(h, c, trend, "hot"), (c, h, -trend, "cold")]
    if c[-1]:
        order.reverse()
    for sig, other, tr, kind in order:
        pattern = _pattern(sig, other, tr)
        if pattern is not None:
            return f"{pattern} {kind} spot"
    return NO_PATTERN


def classify_locations(hot: ArrayLike, cold: ArrayLike, *, trend: ArrayLike) -> NDArray[np.object_]:
    """:func:`classify_location` for every location.

    Parameters
    ----------
    hot, cold : array-like of bool, shape (n_steps, n_locations)
        Significance per step (rows, oldest first) and location (columns).
    trend : array-like of int, shape (n_locations,)
        Mann-Kendall trend per location.

    Returns
    -------
    numpy.ndarray
        Object array of categories, one per location.

    Examples
    --------
    >>> classify_locations([[0, 1], [1, 1]], [[0, 0], [0, 0]], trend=[0, 0]).tolist()
    ['new hot spot', 'persistent hot spot']
    """
    h = np.asarray(hot, dtype=bool)
    c = np.asarray(cold, dtype=bool)
    tr = np.asarray(trend, dtype=np.int64).ravel()
    if h.ndim != 2 or h.shape != c.shape or tr.size != h.shape[1]:
        raise ParameterError("hot/cold must be (n_steps, n_locations) and trend (n_locations,)")
    out = np.full(h.shape[1], NO_PATTERN, dtype=object)
    active = np.nonzero(h.any(axis=0) | c.any(axis=0))[0]
    for j in active:
        out[j] = classify_location(h[:, j], c[:, j], trend=int(tr[j]))
    return out
