"""Population risk adjustment: events compared with resident children and young people.

``adjust="population"`` asks "where are there *more events than the resident population
predicts*?" rather than "where are there many events?".

1. :func:`apportion_population` spreads each LSOA's ``children_young_people`` (ages 0-24) over the
   grid cells by area of overlap (``geopandas.overlay`` intersection), assuming an even spread
   within the LSOA.
2. Each cell's expected count is ``E_i = N * pop_i / sum(pop)`` (N = events counted in cells).
3. :class:`PoissonExcessRisk` sums observed and expected over the same distance-band window as Gi*
   (``O_w = sum_j w_ij O_j``, ``E_w = sum_j w_ij E_j``) and tests ``O_w`` against a Poisson
   distribution with mean ``E_w`` with *exact* tails (``scipy.stats.poisson``):
   ``p_hot = P(X >= O_w)``, ``p_cold = P(X <= O_w)``; two-sided ``p = min(1, 2 min(p_hot,
   p_cold))``. ``z`` is the signed normal score of that p (``sign(O_w - E_w) * Phi^-1(1 - p/2)``),
   so ``inference.p_from_z(z)`` gives back ``p``. ``rate_ratio = O_w / E_w``.

Cells whose window holds no population (``E_w == 0``, e.g. outside every LSOA) cannot be tested:
they get ``zero_population = True``, ``p = NaN``, ``z = NaN``, ``rate_ratio = NaN`` and are never
labelled hot or cold (and do not count towards the FDR's number of tests).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from analysis.inference import ALTERNATIVES
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG


def apportion_population(
    cells: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    *,
    column: str = "children_young_people",
) -> NDArray[np.float64]:
    """Population per cell, apportioned from polygons (LSOAs) by area of overlap.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Grid cells (EPSG:27700).
    population : geopandas.GeoDataFrame
        Polygons with a numeric ``column``; reprojected to EPSG:27700 if needed.
    column : str
        Population column.

    Returns
    -------
    numpy.ndarray
        One value per cell, in the cells' order.

    Examples
    --------
    >>> import shapely
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    >>> pop = gpd.GeoDataFrame({"children_young_people": [50.0]},
    ...     geometry=[shapely.box(50, 0, 150, 100)], crs=27700)
    >>> apportion_population(cells, pop).tolist()
    [25.0, 25.0]
    """
    if column not in population:
        raise ParameterError(f"population has no column {column!r}")
    values = pd.to_numeric(population[column], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise ParameterError(f"population column {column!r} must be non-negative numbers")
    pop = gpd.GeoDataFrame(
        {"_pop": values.to_numpy(dtype=float)},
        geometry=population.geometry.values,
        crs=population.crs or BNG_EPSG,
    ).to_crs(BNG_EPSG)
    pop["_src_area"] = pop.geometry.area
    pop = pop[pop["_src_area"] > 0]
    c = gpd.GeoDataFrame(
        {"_cell": np.arange(len(cells))}, geometry=cells.geometry.values, crs=cells.crs or BNG_EPSG
    )
    inter = gpd.overlay(c, pop, how="intersection", keep_geom_type=True)
    share = inter.geometry.area.to_numpy() / inter["_src_area"].to_numpy()
    return np.bincount(
        inter["_cell"].to_numpy(dtype=np.int64),
        weights=share * inter["_pop"].to_numpy(),
        minlength=len(cells),
    ).astype(float)


class PoissonExcessRisk:
    """Windowed Poisson excess-risk test, computed on construction (see the module docstring).

    Parameters
    ----------
    observed : array-like, shape (n,)
        Events per cell.
    population : array-like, shape (n,)
        Population at risk per cell.
    weights : scipy.sparse matrix
        Binary window weights including self (as for Gi*); identity when omitted.
    alternative : {"two-sided", "greater", "less"}
        ``greater`` uses ``p_hot``, ``less`` uses ``p_cold``.

    Attributes
    ----------
    expected, window_observed, window_expected, rate_ratio, p_hot, p_cold, p, z : numpy.ndarray
    zero_population : numpy.ndarray of bool

    Examples
    --------
    >>> r = PoissonExcessRisk([10, 0, 0, 0], [1, 1, 1, 1])
    >>> r.expected.tolist(), round(float(r.rate_ratio[0]), 2)
    ([2.5, 2.5, 2.5, 2.5], 4.0)
    >>> bool(r.p[0] < 0.01), bool(r.z[0] > 0)
    (True, True)
    """

    def __init__(
        self,
        observed: ArrayLike,
        population: ArrayLike,
        *,
        weights: sp.spmatrix | None = None,
        alternative: str = "two-sided",
    ) -> None:
        o = np.asarray(observed, dtype=float).ravel()
        pop = np.asarray(population, dtype=float).ravel()
        if o.shape != pop.shape:
            raise ParameterError("observed and population need one value per cell")
        if (pop < 0).any() or not np.isfinite(pop).all():
            raise ParameterError("population must be finite and non-negative")
        if alternative not in ALTERNATIVES:
            raise ParameterError(f"alternative must be one of {ALTERNATIVES}")
        total_pop = pop.sum()
        if total_pop <= 0:
            raise ParameterError("the population in the study area is zero; cannot adjust")
        n_events = o.sum()
        W = sp.identity(o.size, format="csr") if weights is None else sp.csr_matrix(weights)
        self.expected = n_events * pop / total_pop
        self.window_observed = np.asarray(W @ o).ravel()
        self.window_expected = np.asarray(W @ self.expected).ravel()
        self.zero_population = self.window_expected <= 0
        ok = ~self.zero_population
        ow, ew = self.window_observed, self.window_expected
        p_hot = np.full(o.size, np.nan)
        p_cold = np.full(o.size, np.nan)
        # P(X >= O) = sf(O - 1); window sums of counts are integers (round away float noise)
        ow_int = np.round(ow)
        p_hot[ok] = stats.poisson.sf(ow_int[ok] - 1, ew[ok])
        p_cold[ok] = stats.poisson.cdf(ow_int[ok], ew[ok])
        self.p_hot, self.p_cold = p_hot, p_cold
        two = np.minimum(1.0, 2.0 * np.minimum(p_hot, p_cold))
        if alternative == "two-sided":
            self.p = two
        elif alternative == "greater":
            self.p = p_hot
        else:
            self.p = p_cold
        sign = np.sign(ow - ew)
        with np.errstate(invalid="ignore"):
            self.z = np.where(ok, sign * stats.norm.isf(np.maximum(two / 2.0, 1e-300)), np.nan)
            self.rate_ratio = np.where(ok, ow / np.where(ok, ew, 1.0), np.nan)
