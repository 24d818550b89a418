"""Scorers for the hotspot backtest (:func:`analysis.evaluation.accuracy.backtest`).

A scorer has the :data:`Scorer` signature ``(training events, grid cells) -> one score per cell``
(higher = more likely to hold test events); :data:`METHODS` names the built-in ones (see
:mod:`analysis.evaluation.accuracy` for what each measures). :mod:`analysis.evaluation.accuracy`
re-exports every
public name here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from analysis.lattice.grid import count_in_cells
from geo.errors import ParameterError

#: A scorer: (training events, grid cells) -> one score per cell (higher = more likely).
Scorer = Callable[[gpd.GeoDataFrame, gpd.GeoDataFrame], NDArray[np.float64]]


def grid_counts(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Baseline scorer: training events per cell (safer-streets' top-k cells).

    Examples
    --------
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 150, 160], [5, 5, 5]), crs=27700)
    >>> grid_counts(ev, cells).tolist()
    [1.0, 2.0]
    """
    return count_in_cells(cells, train)


#: csmap's default hotspot method (what ``csmap hotspots`` runs with no ``--method``); the
#: ``default`` scorer evaluates it exactly as a user would get it (automatic scale).
DEFAULT_METHOD: Final[str] = "gi"


def _cell_geometry(
    cells: gpd.GeoDataFrame,
) -> tuple[NDArray[np.object_], float, NDArray[np.float64], NDArray[np.float64]]:
    """Cell polygons, the (full) cell size and the unclipped cell centres."""
    geoms = cells.geometry.to_numpy()
    if len(geoms) == 0:
        raise ParameterError("the evaluation grid has no cells")
    b = shapely.bounds(geoms)
    size = float(np.max(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])))
    if "cell_x" in cells and "cell_y" in cells:
        cx = cells["cell_x"].to_numpy(dtype=float)
        cy = cells["cell_y"].to_numpy(dtype=float)
    else:
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    return geoms, size, cx, cy


def train_xy(train: gpd.GeoDataFrame) -> NDArray[np.float64]:
    from analysis.hotspots.density.kernel_density import points_xy

    xy, ok = points_xy(train)
    return xy[ok]


def kde_scorer(
    *, bandwidth: float | str = "auto", kernel: str = "quartic", subdivisions: int = 5
) -> Scorer:
    """A scorer giving each cell its mean kernel density from the training events.

    The density (:class:`analysis.hotspots.density.kernel_density.KernelDensity`, events per km²) is
    computed on a
    grid
    ``subdivisions`` times finer than the evaluation cells and averaged over the sub-cells whose
    centre lies inside each (clipped) cell.

    Parameters
    ----------
    bandwidth : float or "auto"
        Search radius in metres; ``"auto"`` = ArcGIS's default rule on each fold's training events.
    kernel : str
        One of :data:`analysis.hotspots.density.kernel_density.KERNELS` (default ``"quartic"``).
    subdivisions : int
        Sub-cells per cell side (default 5, so 25 density values per full cell).

    Returns
    -------
    Scorer

    Examples
    --------
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 300, 100), cell_size=100)
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([250, 255, 245], [50, 55, 45]),
    ...     crs=27700)
    >>> s = kde_scorer(bandwidth=80)(ev, cells)
    >>> int(np.argmax(s)), bool(s[0] < s[1] < s[2])
    (2, True)
    """
    from analysis.hotspots.density.kernel_density import KERNELS, KernelDensity

    if kernel not in KERNELS:
        raise ParameterError(f"kernel must be one of {tuple(KERNELS)}, got {kernel!r}")
    if not isinstance(subdivisions, int) or subdivisions < 1:
        raise ParameterError(f"subdivisions must be a positive integer, got {subdivisions!r}")
    if not (isinstance(bandwidth, str) and bandwidth == "auto"):
        bw = float(bandwidth)
        if not (math.isfinite(bw) and bw > 0):
            raise ParameterError(f"bandwidth must be positive metres or 'auto', got {bandwidth!r}")

    def kde(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
        geoms, size, cx, cy = _cell_geometry(cells)
        xy = train_xy(train)
        n, k = len(geoms), subdivisions
        if len(xy) == 0:
            return np.zeros(n)
        sub = size / k
        offsets = (np.arange(k) + 0.5) * sub - size / 2
        ox, oy = np.meshgrid(offsets, offsets)
        sx = (cx[:, None] + ox.ravel()[None, :]).ravel()
        sy = (cy[:, None] + oy.ravel()[None, :]).ravel()
        owner = np.repeat(np.arange(n), k * k)
        inside = np.ones(len(owner), dtype=bool)
        areas = shapely.area(geoms)
        partial = np.flatnonzero(areas[owner] < size * size * (1 - 1e-9))
        if partial.size:
            inside[partial] = shapely.contains_xy(geoms[owner[partial]], sx[partial], sy[partial])
        box = shapely.box(*shapely.total_bounds(geoms))
        kd = KernelDensity(xy, study_area=box, bandwidth=bandwidth, cell_size=sub, kernel=kernel)
        row, col = kd.cell_of(np.column_stack([sx, sy]))
        vals = np.full(len(owner), np.nan)
        on = row >= 0
        vals[on] = kd.density[row[on], col[on]]
        use = inside & np.isfinite(vals)
        total = np.bincount(owner[use], weights=vals[use], minlength=n)
        count = np.bincount(owner[use], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(count > 0, total / count, 0.0), dtype=float)

    return kde


def gi_scorer(*, band: float | str = "auto") -> Scorer:
    """A scorer giving each cell the Gi* z of the training counts on the evaluation grid.

    Parameters
    ----------
    band : float or "auto"
        Distance band in metres; ``"auto"`` = the automatic band of :mod:`analysis.lattice.scale`
        (first peak of incremental Moran's I, else the K-th neighbour distance), chosen on each
        fold's training events at the evaluation cell size.

    Returns
    -------
    Scorer

    Examples
    --------
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 500, 500), cell_size=100)
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy([250] * 6 + [50], [250] * 6 + [450]),
    ...     crs=27700)
    >>> z = gi_scorer(band=100)(ev, cells)  # cell 12 holds the 6 events; 5-cell windows
    >>> bool(z[12] == z.max()), bool(z[0] < 0)
    (True, True)
    """
    from analysis.hotspots.gi import GetisOrdGiStar

    def gi(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
        from analysis.lattice.scale import choose_scale

        geoms, size, cx, cy = _cell_geometry(cells)
        counts = count_in_cells(cells, train)
        if len(geoms) < 2 or counts.sum() == 0:
            return counts
        width: float | str = band
        if isinstance(band, str) and band == "auto":
            width = choose_scale(
                train_xy(train),
                study_area=shapely.coverage_union_all(geoms),
                cell_size=size,
                band="auto",
            ).band
        g = GetisOrdGiStar(counts, np.column_stack([cx, cy]), band=float(width))
        return np.asarray(g.z, dtype=float)

    return gi


def default_scorer(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Score cells by csmap's default method as a user gets it (see :data:`DEFAULT_METHOD`).

    Runs :func:`analysis.hotspots.registry.run` with ``method=DEFAULT_METHOD`` and every parameter
    automatic on the cells' union, then gives each evaluation cell the z of the result cell
    holding its centre (a point on its surface); cells in no result cell score ``-inf``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.r_[rng.uniform(0, 2000, (200, 2)), rng.normal(500, 30, (100, 2))]
    >>> ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> from analysis.lattice.grid import fishnet
    >>> cells = fishnet(shapely.box(0, 0, 2000, 2000), cell_size=250)
    >>> s = default_scorer(ev, cells)
    >>> bool(cells.geometry.iloc[int(np.argmax(s))].distance(shapely.Point(500, 500)) < 300)
    True
    """
    from analysis.hotspots.registry import run

    geoms = cells.geometry.to_numpy()
    result = run(train, method=DEFAULT_METHOD, study_area=shapely.coverage_union_all(geoms))
    centres = shapely.point_on_surface(geoms)
    where_, what = result.sindex.query(centres, predicate="intersects")
    first = np.unique(where_, return_index=True)[1]
    out = np.full(len(geoms), -np.inf)
    out[where_[first]] = result["z"].to_numpy(dtype=float)[what[first]]
    return out


#: Scorers by name; any callable with the :data:`Scorer` signature works as well.
METHODS: Final[dict[str, Scorer]] = {
    "grid_counts": grid_counts,
    "kde": kde_scorer(),
    "gi": gi_scorer(),
    "default": default_scorer,
}
