"""Emerging hot spots: space-time Gi* on a cube, Mann-Kendall trends and ArcGIS's 17 categories.

The method follows ArcGIS Pro's *Emerging Hot Spot Analysis* (EHSA):

1. **Cube.** Events are counted per grid cell and time step (:mod:`analysis.spacetime.cube`; months
by
   default, every cell and every step kept, zeros included). A partial final step (the data end
   before the last day of their final month, e.g. an extract taken mid-month) is dropped unless
   ``end`` is given: a short final step would look like a fall everywhere and create false
   diminishing, historical or new cold spots. Parameters record ``dropped_partial_step``,
   ``dropped_period`` and the events left out (also in ``n_outside_period``).
2. **Space-time Gi\\*.** Each bin ``(t, c)`` is tested with the Getis-Ord Gi\\* formulas of
   :class:`analysis.hotspots.gi.GetisOrdGiStar` applied to the *whole cube* (``n`` = cells x steps,
   mean and
   variance over all bins). Its neighbours are the cells within the distance ``band`` (itself
   included) in the same step and the ``k`` previous steps (``time_window="backward"``, ArcGIS's
   "neighbourhood time step", default ``k = 1``), or the ``k`` previous and next steps
   (``time_window="both"``). z is analytic, p two-sided normal, and Benjamini-Hochberg q-values
   are computed over all bins of the cube. A bin is a *hot* (*cold*) spot when ``q <= alpha``
   (``p <= alpha`` with ``fdr=False``) and ``z > 0`` (``z < 0``).
3. **Trend.** The Mann-Kendall test (:class:`MannKendall`) runs on each location's series of Gi\\*
   z-scores (this decides intensifying / diminishing) and, for information, on its counts.
   ``S = sum_{i<j} sign(x_j - x_i)``, ``var(S) = [n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)] / 18``
   over groups of ``t_g`` tied values, ``z = (S - sign(S)) / sqrt(var(S))`` (continuity
   correction), two-sided normal p. A trend is *up* (*down*) when ``p <= alpha`` and ``z > 0``
   (``z < 0``).
4. **Categories.** With ``n`` steps, ``H`` the set of hot steps, ``C`` the cold steps, and the
   *final* step the most recent one, each location gets exactly one category. Hot rules:

   * **intensifying hot spot** - hot in at least 90 % of the steps, including the final one, and
     the trend of z is significantly up;
   * **persistent hot spot** - hot in at least 90 % of the steps, including the final one, with no
     significant trend;
   * **diminishing hot spot** - hot in at least 90 % of the steps, including the final one, and the
     trend of z is significantly down;
   * **historical hot spot** - hot in at least 90 % of the steps, but not in the final one;
   * **oscillating hot spot** - hot in the final step, hot in fewer than 90 % of the steps, and
     cold in at least one earlier step;
   * **new hot spot** - hot in the final step and in no earlier step (never cold either);
   * **consecutive hot spot** - one unbroken run of at least two hot steps ending with the final
     one, never hot (nor cold) before that run, hot in fewer than 90 % of the steps;
   * **sporadic hot spot** - hot in the final step, hot in fewer than 90 % of the steps, hot before
     the final run of hot steps (on-and-off), and never cold.

   Cold rules are the same with *hot* and *cold* swapped; for cold spots an *intensifying* trend
   is a significant *downward* trend of z (ever more negative) and a *diminishing* one is upward.
   Everything else is **no pattern detected**.

   Precedence where ArcGIS's wording overlaps: the state of the final step decides first (a
   location significant in the final step takes a category of that sign, so "hot in 9 of 10
   steps, cold in the final one" is an oscillating cold spot, not a historical hot spot), and an
   earlier step of the opposite sign makes a location oscillating rather than new or
   consecutive. "At least 90 %" is ``n_hot >= 0.9 * n``.

Results (:func:`emerging_hotspots`) have one row per cell: the standard columns describe the
*final* step (``label``, ``statistic`` = G\\*, ``z``, ``p_value``, ``q_value``), ``n_events`` is
the cell's total over the cube, and ``category``, ``mk_z``, ``mk_p``, ``mk_s``, ``n_hot_steps``,
``n_cold_steps``, ``count_mk_z``, ``count_mk_p``, ``n_final_step``, ``mean_per_step``,
``max_per_step`` and ``step_counts`` (the list of counts per step) describe its history.
:data:`CATEGORY_STYLES` gives each category a colour and a description for maps and legends.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from analysis.hotspots.gi import band_weights
from analysis.hotspots.result import finalise
from analysis.inference import COLD, HOT, fdr_bh, label_significance, p_from_z
from analysis.lattice import scale
from analysis.lattice.grid import SHAPES
from analysis.spacetime.cube import (
    TIME_WINDOWS,
    SpaceTimeCube,
    as_datetimes,
    build_cube,
    spacetime_window_sums,
)
from analysis.spacetime.emerging_categories import (
    CATEGORIES,
    CATEGORY_STYLES,
    COLD_CATEGORIES,
    HOT_CATEGORIES,
    NO_PATTERN,
    PERSISTENT_SHARE,
    classify_location,
    classify_locations,
)
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

__all__ = [
    "CATEGORIES",
    "CATEGORY_STYLES",
    "COLD_CATEGORIES",
    "HOT_CATEGORIES",
    "NO_PATTERN",
    "MannKendall",
    "SpaceTimeGiStar",
    "classify_location",
    "classify_locations",
    "emerging_hotspots",
]


class MannKendall:
    """Mann-Kendall trend test along the last axis, computed on construction (esda style).

    Parameters
    ----------
    values : array-like, shape (n,) or (m, n)
        One series, or ``m`` series of ``n`` time steps (in time order).
    alternative : {"two-sided", "greater", "less"}
        Alternative for ``p``.

    Attributes
    ----------
    n : int
        Series length.
    s : numpy.ndarray
        ``S = sum_{i<j} sign(x_j - x_i)``.
    var_s : numpy.ndarray
        Variance of S under no trend, with the ties correction.
    z : numpy.ndarray
        ``(S - sign(S)) / sqrt(var_s)`` (0 where ``var_s`` is 0).
    p : numpy.ndarray
        Normal p-value of ``z``.
    tau : numpy.ndarray
        Kendall's tau-a, ``S / (n (n - 1) / 2)``.

    Examples
    --------
    A hand-checkable series: of the 6 pairs 5 rise and 1 is tied (one tie group of size 2).

    >>> mk = MannKendall([1, 2, 2, 4])
    >>> int(mk.s), float(mk.var_s)  # (4*3*13 - 2*1*9) / 18
    (5, 7.666666666666667)
    >>> round(float(mk.z), 4), round(float(mk.p), 4)  # (5 - 1) / sqrt(7.667)
    (1.4446, 0.1486)
    """

    def __init__(self, values: ArrayLike, *, alternative: str = "two-sided") -> None:
        x = np.asarray(values, dtype=float)
        if x.ndim not in (1, 2):
            raise ParameterError("Mann-Kendall needs one series or a 2-D array of series")
        if not np.all(np.isfinite(x)):
            raise ParameterError("Mann-Kendall values must be finite")
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        n = x2.shape[1]
        if n < 2:
            raise ParameterError("Mann-Kendall needs at least two time steps")
        self.n = n
        iu, ju = np.triu_indices(n, k=1)
        s = np.empty(x2.shape[0])
        ties = np.empty(x2.shape[0])
        block = max(1, 2_000_000 // max(1, iu.size))
        for lo in range(0, x2.shape[0], block):
            xb = x2[lo : lo + block]
            s[lo : lo + block] = np.sign(xb[:, ju] - xb[:, iu]).sum(axis=1)
            # sum over tie groups of t(t-1)(2t+5) == sum over elements of (c-1)(2c+5), c = size
            c = (xb[:, :, None] == xb[:, None, :]).sum(axis=2).astype(float)
            ties[lo : lo + block] = ((c - 1.0) * (2.0 * c + 5.0)).sum(axis=1)
        var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(var_s), 0.0)
        shape = x.shape[:-1]
        self.s = s.reshape(shape)
        self.var_s = var_s.reshape(shape)
        self.z = np.asarray(z, dtype=float).reshape(shape)
        self.p = p_from_z(self.z, alternative=alternative)
        self.tau = self.s / (n * (n - 1) / 2.0)

    def trend(self, *, alpha: float = 0.05) -> NDArray[np.int64]:
        """``+1`` significant upward trend, ``-1`` downward, ``0`` none (at ``alpha``).

        Examples
        --------
        >>> MannKendall([[1, 2, 3, 4, 5, 6, 7, 8], [3, 1, 2, 3, 1, 2, 3, 1]]).trend().tolist()
        [1, 0]
        """
        if not 0.0 < alpha < 1.0:
            raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
        sig = self.p <= alpha
        return np.where(sig, np.sign(self.z), 0).astype(np.int64)


class SpaceTimeGiStar:
    """Space-time Gi* over a whole cube, computed on construction.

    Parameters
    ----------
    cube : SpaceTimeCube
        Counts per (step, cell).
    band : float
        Spatial distance band in metres (between unclipped cell centres, self included).
    steps : int
        Neighbourhood time steps ``k``.
    time_window : {"backward", "both"}
        Same step and ``k`` previous ones, or ``k`` previous and ``k`` next ones.
    alternative : {"two-sided", "greater", "less"}
        Alternative for the p-values.

    Attributes
    ----------
    z, p, q, g : numpy.ndarray, shape (n_steps, n_cells)
        Gi* z, normal p, Benjamini-Hochberg q over the whole cube, and G*.
    window_events, cardinality : numpy.ndarray, shape (n_steps, n_cells)
        Events inside each bin's space-time window, and the window's number of bins. Computed
        factorised (:func:`analysis.spacetime.cube.spacetime_window_sums`): the same values as
        :class:`analysis.hotspots.gi.GetisOrdGiStar` with ``weights=spacetime_weights(...)``,
        without
        building that matrix.

    Examples
    --------
    >>> import shapely
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 300, 300), cell_size=100)
    >>> counts = np.zeros((3, 9)); counts[:, 4] = [1, 2, 9]
    >>> cube = SpaceTimeCube(cells, pd.period_range("2025-01", periods=3, freq="M"), counts,
    ...     "month", 12, 0, 0, 0)
    >>> st = SpaceTimeGiStar(cube, band=100, steps=1)
    >>> st.z.shape, st.window_events[:, 4].tolist()  # centre cell: steps t-1 and t
    ((3, 9), [1.0, 3.0, 11.0])
    >>> st.z[:, 4].round(2).tolist()
    [-0.34, -0.33, 1.48]
    """

    def __init__(
        self,
        cube: SpaceTimeCube,
        *,
        band: float,
        steps: int = 1,
        time_window: str = "backward",
        alternative: str = "two-sided",
    ) -> None:
        if cube.n_steps * cube.n_cells < 2:
            raise ParameterError("space-time Gi* needs at least two bins")
        coords = cube.cells[["cell_x", "cell_y"]].to_numpy()
        spatial = band_weights(coords, band=band, self_weight=True)
        wsum, card = spacetime_window_sums(cube.counts, spatial, steps=steps, direction=time_window)
        # the Getis-Ord Gi* formulas of analysis.hotspots.gi.GetisOrdGiStar, over all bins of the
        # cube
        y = cube.counts
        n = y.size
        total = float(y.sum())
        ybar = total / n
        s2 = float((y**2).mean()) - ybar**2
        with np.errstate(divide="ignore", invalid="ignore"):
            g = wsum / total
            var_g = card * (n - card) / (n - 1) / n**2 * s2 / ybar**2
            z = (g - card / n) / np.sqrt(var_g)
        self.band = float(band)
        self.steps = int(steps)
        self.time_window = time_window
        self.z = np.where(np.isfinite(z), z, 0.0)
        self.p = p_from_z(self.z, alternative=alternative)
        self.q = fdr_bh(self.p.ravel()).reshape(self.p.shape)
        self.g = np.where(np.isfinite(g), g, 0.0)
        self.window_events = wsum
        self.cardinality = card

    def labels(self, *, alpha: float = 0.05, fdr: bool = True) -> NDArray[np.object_]:
        """``hot`` / ``cold`` / ``not significant`` per bin, shape (n_steps, n_cells)."""
        return label_significance(self.z, self.q if fdr else self.p, alpha=alpha)


def _points(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(points, gpd.GeoDataFrame):
        raise ParameterError("points must be a GeoDataFrame in EPSG:27700")
    if points.crs is not None and points.crs.to_epsg() != BNG_EPSG:
        raise ParameterError(f"points must be in EPSG:{BNG_EPSG}, got {points.crs}")
    geoms = points.geometry
    return points.loc[~(geoms.isna() | geoms.is_empty).to_numpy()]


def emerging_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: BaseGeometry,
    cell_size: float | str = "auto",
    band: float | str = "auto",
    shape: str = "square",
    time_column: str = "reported_date",
    time_step: str = "month",
    neighbourhood_steps: int = 1,
    time_window: str = "backward",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    drop_partial_step: bool = True,
    alpha: float = 0.05,
    fdr: bool = True,
) -> gpd.GeoDataFrame:
    """Emerging hot and cold spots per grid cell (ArcGIS EHSA; rules in the module docstring).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Events in EPSG:27700 with a date column (null geometries are ignored).
    study_area : shapely Polygon or MultiPolygon
        Area in EPSG:27700.
    cell_size, band : float or "auto"
        Metres; ``"auto"`` as :func:`analysis.lattice.scale.choose_scale` (from all events pooled).
    shape : {"square", "hex"}
        Cell shape.
    time_column : str
        Date column (``reported_date`` for concerns).
    time_step : {"month", "quarter", "week"}
        Length of a time step.
    neighbourhood_steps : int
        ``k``: time steps in a bin's neighbourhood besides its own (ArcGIS default 1).
    time_window : {"backward", "both"}
        ``backward`` (ArcGIS): the ``k`` previous steps; ``both``: previous and next.
    start, end : date-like, optional
        Period range of the cube (default: first to last event). Give ``end`` (e.g. the date the
        extract was taken) to state where the data end; its step is then kept even if partial.
    drop_partial_step : bool
        Without ``end``, drop the final step when the data's last date is before that step's last
        day (:func:`analysis.spacetime.cube.partial_final_period`), so a partial month does not read
        as a
        fall. Default on.
    alpha : float
        Significance level for bins (on q-values when ``fdr``) and for the Mann-Kendall trend.
    fdr : bool
        Benjamini-Hochberg over all bins of the cube (default on).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell (index = cell index), standard columns for the final step plus
        ``category`` and the history columns listed in the module docstring.

    Examples
    --------
    >>> import shapely
    >>> rng = np.random.default_rng(0)
    >>> n = 600
    >>> xy = rng.uniform(0, 3000, (n, 2))
    >>> days = rng.integers(0, 365, n)
    >>> late = rng.normal(1500, 60, (60, 2))  # a cluster in the final two months only
    >>> xy = np.vstack([xy, late])
    >>> days = np.concatenate([days, rng.integers(305, 365, 60)])
    >>> pts = gpd.GeoDataFrame(
    ...     {"reported_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D")},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> res = emerging_hotspots(pts, study_area=shapely.box(0, 0, 3000, 3000), cell_size=250,
    ...     band=300)
    >>> centre = res.loc[(res["cell_x"] == 1625) & (res["cell_y"] == 1625), "category"].item()
    >>> centre in ("new hot spot", "consecutive hot spot")
    True
    """
    if shape not in SHAPES:
        raise ParameterError(f"shape must be one of {SHAPES}, got {shape!r}")
    if time_window not in TIME_WINDOWS:
        raise ParameterError(f"time_window must be one of {TIME_WINDOWS}, got {time_window!r}")
    if not isinstance(neighbourhood_steps, int | np.integer) or neighbourhood_steps < 0:
        raise ParameterError(
            f"neighbourhood_steps must be an integer >= 0, got {neighbourhood_steps!r}"
        )
    if not 0.0 < alpha < 1.0:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    pts = _points(points)
    if time_column not in pts.columns:
        raise ParameterError(
            f"points have no {time_column!r} column; emerging hot spots need a date per event"
        )
    dated = pts.loc[as_datetimes(pts[time_column]).notna().to_numpy()]
    xy = np.column_stack([dated.geometry.x.to_numpy(), dated.geometry.y.to_numpy()])
    chosen = scale.choose_scale(
        xy, study_area=study_area, cell_size=cell_size, band=band, shape=shape
    )
    cube = build_cube(
        pts,
        cells=chosen.cells,
        time_column=time_column,
        time_step=time_step,
        start=start,
        end=end,
        drop_partial_step=drop_partial_step,
    )
    if cube.n_steps < 2:
        raise ParameterError(
            f"the data cover a single {time_step}; emerging hot spots need at least two time steps"
        )
    st = SpaceTimeGiStar(
        cube, band=chosen.band, steps=int(neighbourhood_steps), time_window=time_window
    )
    bin_labels = st.labels(alpha=alpha, fdr=fdr)
    hot = bin_labels == HOT
    cold = bin_labels == COLD
    mk = MannKendall(np.round(st.z.T, 10))
    mk_counts = MannKendall(cube.counts.T)
    category = classify_locations(hot, cold, trend=mk.trend(alpha=alpha))

    out = cube.cells.copy()
    counts = cube.counts
    out["label"] = bin_labels[-1]
    out["n_events"] = counts.sum(axis=0)
    out["statistic"] = st.g[-1]
    out["z"] = st.z[-1]
    out["p_value"] = st.p[-1]
    out["q_value"] = st.q[-1]
    out["category"] = category
    out["mk_z"] = mk.z
    out["mk_p"] = mk.p
    out["mk_s"] = mk.s
    out["n_hot_steps"] = hot.sum(axis=0).astype(np.int64)
    out["n_cold_steps"] = cold.sum(axis=0).astype(np.int64)
    out["count_mk_z"] = mk_counts.z
    out["count_mk_p"] = mk_counts.p
    out["n_final_step"] = counts[-1]
    out["mean_per_step"] = counts.mean(axis=0)
    out["max_per_step"] = counts.max(axis=0)
    out["window_events"] = st.window_events[-1]
    out["step_counts"] = [col.astype(int).tolist() for col in counts.T]
    out.index = pd.RangeIndex(len(out))
    cats = pd.Series(category).value_counts()
    params: dict[str, Any] = {
        "cell_size": chosen.cell_size,
        "band": chosen.band,
        "shape": shape,
        "time_column": time_column,
        "time_step": time_step,
        "neighbourhood_steps": int(neighbourhood_steps),
        "time_window": time_window,
        "alpha": alpha,
        "fdr": fdr,
        "fdr_scope": "all bins of the cube",
        "alternative": "two-sided",
        "adjustment": "none",
        "n_points": int(len(points)),
        "n_counted": cube.n_counted,
        "n_no_time": cube.n_no_time,
        "n_outside_period": cube.n_outside_period,
        "dropped_partial_step": cube.dropped_partial_step is not None,
        "dropped_period": cube.dropped_partial_step,
        "n_dropped_partial": cube.n_dropped_partial,
        "n_outside": cube.n_outside_area,
        "n_cells": cube.n_cells,
        "n_steps": cube.n_steps,
        "n_bins": cube.n_cells * cube.n_steps,
        "periods": cube.period_labels(),
        "first_period": str(cube.periods[0]),
        "final_period": str(cube.periods[-1]),
        "automatic": chosen.automatic,
        "scale_method": chosen.notes,
        "statistic": "space-time Getis-Ord Gi* (binary band incl. self x time window, analytic z,"
        " whole cube); Mann-Kendall trend of each location's z series",
        "persistent_share": PERSISTENT_SHARE,
        "category_counts": {k: int(v) for k, v in cats.items()},
        "n_hot": int((out["label"] == HOT).sum()),
        "n_cold": int((out["label"] == COLD).sum()),
    }
    warnings: list[str] = []
    if cube.dropped_partial_step is not None:
        warnings.append(
            f"final {time_step} {cube.dropped_partial_step} is incomplete in the data and was left "
            f"out ({cube.n_dropped_partial} events not counted); give an end date to keep it"
        )
    if cube.n_steps < 10:
        warnings.append(
            f"only {cube.n_steps} time steps: ArcGIS advises at least 10 for trends and the "
            "90 % rules"
        )
    if warnings:
        params["warning"] = "; ".join(warnings)
    return finalise(out, method="emerging", params=params)
