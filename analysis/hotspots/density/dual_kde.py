"""Dual kernel density: event density relative to the density of children and young people.

CrimeStat's dual KDE divides one density surface by another. csmap divides the event density by
the density of the population at risk (``children_young_people`` = Census ages 0-15 + 16-24), both
smoothed with the same kernel, bandwidth and grid, each first normalised to integrate to one:

``ratio = (events per km² / N events) / max(population per km² / P people, floor)``

so ``ratio == 1`` where events follow population, 2 where a place has twice its population share of
events. ``floor`` is ``floor_share`` (default 0.1) times the mean normalised population density of
the study area: where almost nobody lives (moors, industrial estates) the denominator is held at
that floor instead of ~0, which would make any single event there look like an extreme risk.
``log_ratio`` is ``ln(ratio)`` (NaN where the ratio is 0).

Population is placed on the grid **by cell centre, not by area** (:func:`population_cells`):

* each grid cell is assigned to the LSOA whose polygon strictly contains the cell's *centre*
  (a centre exactly on an LSOA boundary belongs to none; where polygons overlap, the first match
  is kept);
* each LSOA's ``children_young_people`` is divided **equally** among the cells assigned to it, so
  every one of its cells gets ``population / number of its cells``, whatever share of that cell's
  area actually lies in the LSOA (a cell straddling two LSOAs gets the full per-cell share of the
  one holding its centre and nothing from the other). No areal weighting or overlay is done;
* centres are taken over the whole grid (the study area's bounding box), so cells outside the
  study area but inside an LSOA receive population too;
* an LSOA holding no cell centre puts all its population in the cell containing its
  representative point (:func:`shapely.point_on_surface`), or is dropped when that point is off
  the grid (``DualKernelDensity.people`` is the population actually placed).

The population raster is then smoothed like the events, each populated cell centre treated as a
point weighted by its people.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from analysis.hotspots.density.kernel_density import KernelDensity
from geo.errors import ParameterError

POPULATION_COLUMN = "children_young_people"


def population_cells(
    population: gpd.GeoDataFrame, *, grid: KernelDensity, column: str = POPULATION_COLUMN
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Place LSOA population on the cells of ``grid``: ``(cell centres xy, people)``.

    Each LSOA's population is split equally among the grid cells whose centres lie strictly
    inside it; an LSOA with no such centre puts it all in the cell of its representative point
    (dropped when off the grid). Not areal apportionment: see the module docstring. Only cells
    with people are returned.

    Examples
    --------
    >>> pop = gpd.GeoDataFrame({"children_young_people": [100.0, 50.0]},
    ...     geometry=[shapely.box(0, 0, 50, 100), shapely.box(50, 0, 100, 100)], crs=27700)
    >>> kd = KernelDensity([[10.0, 10.0]], study_area=shapely.box(0, 0, 100, 100),
    ...                    bandwidth=20, cell_size=10)
    >>> xy, people = population_cells(pop, grid=kd)
    >>> float(people.sum()), float(people[xy[:, 0] < 50].max())
    (150.0, 2.0)
    """
    if not isinstance(population, gpd.GeoDataFrame) or column not in population:
        raise ParameterError(f"population must be a GeoDataFrame of LSOAs with a {column!r} column")
    people = np.asarray(population[column], dtype=float)
    if not np.isfinite(people).all() or (people < 0).any():
        raise ParameterError(f"population column {column!r} must hold non-negative numbers")
    geoms = population.geometry.to_numpy()
    gx, gy = np.meshgrid(grid.x, grid.y)
    centres = np.column_stack([gx.ravel(), gy.ravel()])
    tree = shapely.STRtree(geoms)
    cell_i, poly_i = tree.query(shapely.points(centres), predicate="within")
    # a centre inside two overlapping polygons hits both: keep the first
    cell_i, first = np.unique(cell_i, return_index=True)
    poly_i = poly_i[first]
    n_cells = np.bincount(poly_i, minlength=len(geoms))
    weights = np.zeros(len(centres))
    weights[cell_i] = people[poly_i] / n_cells[poly_i]
    empty = np.flatnonzero((n_cells == 0) & (people > 0))
    if len(empty):
        rep = shapely.get_coordinates(shapely.point_on_surface(geoms[empty]))
        row, col = grid.cell_of(rep)
        on = row >= 0
        np.add.at(weights, row[on] * len(grid.x) + col[on], people[empty][on])
    keep = weights > 0
    return centres[keep], weights[keep]


class DualKernelDensity:
    """Events density over population density on one grid (computed on construction).

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Event coordinates (EPSG:27700 metres).
    study_area : shapely Polygon or MultiPolygon
    population : geopandas.GeoDataFrame
        LSOA polygons with ``children_young_people``.
    weights, bandwidth, cell_size, kernel
        As :class:`analysis.hotspots.density.kernel_density.KernelDensity` (the population uses the
        events'
        grid).
    floor_share : float
        Denominator floor as a share of the mean normalised population density (default 0.1).

    Attributes
    ----------
    events, population : KernelDensity
        The two surfaces (events/km², people/km²).
    ratio, log_ratio : ndarray, shape (ny, nx)
        Relative risk (1 = events follow population), NaN outside the study area.
    floor : float
        The denominator floor used (normalised density per km²).
    people : float
        Population apportioned to the grid.

    Examples
    --------
    >>> pop = gpd.GeoDataFrame({"children_young_people": [100.0, 100.0]},
    ...     geometry=[shapely.box(0, 0, 500, 1000), shapely.box(500, 0, 1000, 1000)], crs=27700)
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.uniform(0, 1000, (4000, 2))
    >>> dk = DualKernelDensity(xy, study_area=shapely.box(0, 0, 1000, 1000), population=pop,
    ...                        bandwidth=200, cell_size=10)
    >>> bool(abs(np.nanmedian(dk.ratio) - 1) < 0.1)
    True
    """

    def __init__(
        self,
        xy: ArrayLike,
        *,
        study_area: shapely.Geometry,
        population: gpd.GeoDataFrame,
        weights: ArrayLike | None = None,
        bandwidth: float | str | None = None,
        cell_size: float | str | None = None,
        kernel: str = "quartic",
        floor_share: float = 0.1,
    ) -> None:
        if not 0 < float(floor_share) <= 1:
            raise ParameterError(f"floor_share must be in (0, 1], got {floor_share!r}")
        self.events = KernelDensity(
            xy,
            study_area=study_area,
            weights=weights,
            bandwidth=bandwidth,
            cell_size=cell_size,
            kernel=kernel,
        )
        cells, people = population_cells(population, grid=self.events)
        if people.sum() <= 0:
            raise ParameterError("the population has no children and young people in the grid")
        self.people = float(people.sum())
        self.population = KernelDensity(
            cells, study_area=study_area, weights=people, like=self.events
        )
        n_ev = max(self.events.total_weight, 1e-300)
        e = self.events.density / n_ev
        p = self.population.density / self.population.total_weight
        self.floor = float(floor_share) * float(np.nanmean(p))
        self.ratio = e / np.maximum(p, self.floor)
        with np.errstate(divide="ignore"):
            self.log_ratio = np.where(self.ratio > 0, np.log(self.ratio), np.nan)
        self.floor_share = float(floor_share)
