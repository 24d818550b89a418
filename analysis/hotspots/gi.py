"""Getis-Ord Gi* hot spots with analytic z, fixed-distance-band weights and FDR.

The statistic follows Getis & Ord (1992) / Ord & Getis (1995) exactly as esda's
``G_Local(y, w, star=True, transform="B")`` computes it, with binary weights ``w_ij = 1`` when
``d_ij <= band`` *including* ``w_ii = 1`` (the "star")::

    G*_i   = sum_j w_ij y_j / sum_j y_j
    E[G*_i] = W_i / n                                   (W_i = sum_j w_ij, the window size)
    V[G*_i] = W_i (n - W_i) / (n - 1) / n^2 * s^2 / ybar^2
    z_i    = (G*_i - E[G*_i]) / sqrt(V[G*_i])

with ``ybar`` the mean and ``s^2 = mean(y^2) - ybar^2`` the population (1/n) variance of all ``n``
values. No permutations are needed: p comes from the normal distribution (two-sided by default,
unlike esda's one-sided ``p_norm``), and q-values from Benjamini-Hochberg (FDR on by default).

Cells whose z is undefined (all values equal, or a window covering every cell) get ``z = 0``,
``p = 1``: nothing can be detected there.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from analysis.hotspots import adjust as adjust_mod
from analysis.hotspots.result import adjustment_label, finalise
from analysis.inference import fdr_bh, label_significance, p_from_z
from analysis.lattice import scale
from analysis.lattice.grid import SHAPES, count_in_cells
from geo.errors import ParameterError

__all__ = ["GetisOrdGiStar", "band_weights", "gi_hotspots"]


def band_weights(coords: ArrayLike, *, band: float, self_weight: bool = True) -> sp.csr_matrix:
    """Binary fixed-distance-band weights (``d_ij <= band``) as a symmetric CSR matrix.

    Parameters
    ----------
    coords : array-like, shape (n, 2)
        Point or cell-centre coordinates in metres.
    band : float
        Distance band in metres; distances within a relative 1e-9 of the band count as inside
        (so lattice neighbours at exactly ``band`` are not lost to rounding).
    self_weight : bool
        Put 1 on the diagonal (Gi*, the default) or 0 (Moran's I, Gi).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``n x n`` matrix of 0/1.

    Examples
    --------
    >>> band_weights([[0, 0], [1, 0], [5, 0]], band=1.5).toarray().astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    xy = np.asarray(coords, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ParameterError("coords must have shape (n, 2)")
    if not (math.isfinite(band) and band >= 0):
        raise ParameterError(f"band must be a non-negative number of metres, got {band!r}")
    n = len(xy)
    pairs = cKDTree(xy).query_pairs(r=band * (1 + 1e-9), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    if self_weight:
        i = np.concatenate([i, np.arange(n)])
        j = np.concatenate([j, np.arange(n)])
    data = np.ones(i.size)
    return sp.csr_matrix((data, (i, j)), shape=(n, n))


class GetisOrdGiStar:
    """Getis-Ord Gi* computed on construction (esda style).

    Parameters
    ----------
    values : array-like, shape (n,)
        Values per location (e.g. event counts per cell).
    coords : array-like, shape (n, 2)
        Locations in metres.
    band : float
        Fixed distance band in metres (binary weights including self).
    alternative : {"two-sided", "greater", "less"}
        Alternative for ``p_norm``.
    weights : scipy.sparse matrix, optional
        Pre-built binary weights *with* the diagonal (skips building from ``coords``/``band``).

    Attributes
    ----------
    Gs, EGs, VGs, z, p_norm, q : numpy.ndarray
        Statistic, its expectation and variance, z, normal p, Benjamini-Hochberg q.
    cardinality : numpy.ndarray
        Window size ``W_i`` (neighbours including self).
    window_sum : numpy.ndarray
        ``sum_j w_ij y_j``.

    Examples
    --------
    The esda docstring case:

    >>> pts = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    >>> g = GetisOrdGiStar([2, 3, 3.2, 5, 8, 7], pts, band=15)
    >>> g.z.round(4).tolist()
    [-1.3973, -0.2892, 0.6506, -0.2892, 1.2345, 2.0242]
    """

    def __init__(
        self,
        values: ArrayLike,
        coords: ArrayLike | None,
        *,
        band: float,
        alternative: str = "two-sided",
        weights: sp.spmatrix | None = None,
    ) -> None:
        y = np.asarray(values, dtype=float).ravel()
        if not np.all(np.isfinite(y)):
            raise ParameterError("Gi* values must be finite")
        self.n = n = y.size
        if n < 2:
            raise ParameterError("Gi* needs at least two locations")
        self.band = float(band)
        self.alternative = alternative
        if weights is None:
            if coords is None:
                raise ParameterError("give coords or weights")
            W = band_weights(coords, band=band, self_weight=True)
        else:
            W = sp.csr_matrix(weights)
        if W.shape != (n, n):
            raise ParameterError(f"weights are {W.shape}, values have {n} entries")
        self.weights = W
        self.y = y
        total = y.sum()
        ybar = total / n
        s2 = (y**2).mean() - ybar**2
        card = np.asarray(W.sum(axis=1)).ravel()
        wsum = np.asarray(W @ y).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            Gs = wsum / total
            EGs = card / n
            VGs = card * (n - card) / (n - 1) / n**2 * s2 / ybar**2
            z = (Gs - EGs) / np.sqrt(VGs)
        z = np.where(np.isfinite(z), z, 0.0)
        self.cardinality = card
        self.window_sum = wsum
        self.Gs = Gs
        self.EGs = EGs
        self.VGs = VGs
        self.z = z
        self.p_norm = p_from_z(z, alternative=alternative)
        self.q = fdr_bh(self.p_norm)

    def labels(self, alpha: float = 0.05, *, fdr: bool = True) -> NDArray[np.object_]:
        """``hot`` / ``cold`` / ``not significant`` at ``alpha`` (on q-values when ``fdr``).

        Examples
        --------
        >>> pts = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
        >>> GetisOrdGiStar([2, 3, 3.2, 5, 8, 7], pts, band=15).labels(0.05).tolist()[0]
        'not significant'
        """
        return label_significance(self.z, self.q if fdr else self.p_norm, alpha=alpha)


def _as_points(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(points, gpd.GeoDataFrame):
        raise ParameterError("points must be a GeoDataFrame in EPSG:27700")
    if points.crs is not None and points.crs.to_epsg() != 27700:
        raise ParameterError(f"points must be in EPSG:27700, got {points.crs}")
    geoms = points.geometry
    keep = ~(geoms.isna() | geoms.is_empty)
    return points.loc[keep]


def gi_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: BaseGeometry,
    population: gpd.GeoDataFrame | None = None,
    cell_size: float | str = "auto",
    band: float | str = "auto",
    shape: str = "square",
    adjust: str = "none",
    alpha: float = 0.05,
    fdr: bool = True,
    alternative: str = "two-sided",
    population_column: str = "children_young_people",
) -> gpd.GeoDataFrame:
    """Gi* hot and cold spots on a grid over the study area.

    ``adjust="none"`` runs Gi* on the event counts per cell ("count hotspots").
    ``adjust="population"`` runs the Poisson excess-risk statistic of
    :mod:`analysis.hotspots.adjust` over
    the same distance-band windows (events vs. resident children and young people).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Events in EPSG:27700 (null geometries are ignored; points outside the area are counted
        in ``params["n_outside"]``).
    study_area : shapely Polygon or MultiPolygon
        Area in EPSG:27700.
    population : geopandas.GeoDataFrame, optional
        Population polygons (LSOAs) with ``population_column``; needed for ``adjust="population"``.
    cell_size, band : float or "auto"
        Metres; ``"auto"`` picks them as :mod:`analysis.lattice.scale` documents.
    shape : {"square", "hex"}
        Cell shape.
    adjust : {"none", "population"}
        Count or population-adjusted hotspots.
    alpha : float
        Significance level (on q-values when ``fdr``).
    fdr : bool
        Benjamini-Hochberg control of the false discovery rate (default on).
    alternative : {"two-sided", "greater", "less"}
        Test direction.
    population_column : str
        Column of ``population`` to use.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per study-area cell (index = cell index), standard columns plus ``window_events``,
        ``window_expected``, ``cell_x``, ``cell_y``, ``row``, ``col``.

    Examples
    --------
    >>> import shapely
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.uniform(0, 5000, (200, 2)), rng.normal(1000, 60, (80, 2))])
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> res = gi_hotspots(pts, study_area=shapely.box(0, 0, 5000, 5000), cell_size=250, band=400)
    >>> len(res), bool((res["label"] == "hot").any())
    (400, True)
    """
    if shape not in SHAPES:
        raise ParameterError(f"shape must be one of {SHAPES}, got {shape!r}")
    label = adjustment_label(adjust)
    if adjust not in ("none", "population"):
        raise ParameterError(f"adjust must be 'none' or 'population', got {adjust!r}")
    if adjust == "population" and population is None:
        raise ParameterError("adjust='population' needs population polygons (LSOAs)")
    if alpha <= 0 or alpha >= 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    pts = _as_points(points)
    xy = np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])
    chosen = scale.choose_scale(
        xy, study_area=study_area, cell_size=cell_size, band=band, shape=shape
    )
    cells = chosen.cells
    # every point is counted in at most one cell, so the rest are outside (one spatial query)
    counts = chosen.counts if chosen.counts is not None else count_in_cells(cells, pts)
    n_outside = int(len(pts) - round(float(counts.sum())))
    coords = cells[["cell_x", "cell_y"]].to_numpy()
    W = band_weights(coords, band=chosen.band, self_weight=True)
    out = cells.copy()
    out["n_events"] = counts
    out["window_events"] = np.asarray(W @ counts).ravel()
    params: dict[str, Any] = {
        "cell_size": chosen.cell_size,
        "band": chosen.band,
        "shape": shape,
        "alpha": alpha,
        "fdr": fdr,
        "alternative": alternative,
        "adjustment": adjust,
        "n_points": int(len(pts)),
        "n_outside": n_outside,
        "n_cells": int(len(cells)),
        "automatic": chosen.automatic,
        "scale_method": chosen.notes,
        "cell_size_capped": chosen.cell_size_capped,
    }
    if chosen.cell_size_rule is not None:
        params["cell_size_rule"] = chosen.cell_size_rule
        params["max_auto_cells"] = scale.MAX_AUTO_CELLS
    if chosen.cell_size_capped:
        params["cell_size_cap_reason"] = chosen.cap_reason
    if adjust == "population":
        assert population is not None
        pop = adjust_mod.apportion_population(cells, population, column=population_column)
        risk = adjust_mod.PoissonExcessRisk(counts, pop, weights=W, alternative=alternative)
        out["population"] = pop
        out["expected"] = risk.expected
        out["window_expected"] = risk.window_expected
        out["rate_ratio"] = risk.rate_ratio
        out["statistic"] = risk.window_observed
        out["z"] = risk.z
        out["p_value"] = risk.p
        out["zero_population"] = risk.zero_population
        z, p = risk.z, risk.p
        params.update(
            statistic="Poisson excess risk over the Gi* window (exact Poisson tails)",
            population_column=population_column,
            population_total=float(pop.sum()),
        )
    else:
        g = GetisOrdGiStar(counts, None, band=chosen.band, alternative=alternative, weights=W)
        out["window_expected"] = np.nan
        out["statistic"] = g.Gs
        out["z"] = g.z
        out["p_value"] = g.p_norm
        z, p = g.z, g.p_norm
        params.update(statistic="Getis-Ord Gi* (binary distance band incl. self, analytic z)")
    q = fdr_bh(p)
    out["q_value"] = q
    out["label"] = label_significance(z, q if fdr else p, alpha=alpha)
    params["n_hot"] = int((out["label"] == "hot").sum())
    params["n_cold"] = int((out["label"] == "cold").sum())
    params["adjustment_label"] = label
    out.index = pd.RangeIndex(len(out))
    return finalise(out, method="gi", params=params)
