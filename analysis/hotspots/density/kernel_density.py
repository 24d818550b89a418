"""Kernel density on a grid: :class:`KernelDensity`, the ArcGIS bandwidth rule, point coordinates.

The hotspot wrappers (contours, dual KDE) are in :mod:`analysis.hotspots.density.kde`, which
re-exports this
module's public names.

Density is computed with KDEpy's :class:`KDEpy.FFTKDE` (linear binning onto a regular grid, then an
FFT convolution with the kernel), so 1 M points cost well under a second.

Kernel and bandwidth conventions
--------------------------------
``bandwidth`` here is always the ArcGIS **search radius** in metres: the distance at which a
finite kernel falls to zero. The default kernel is the **quartic** (biweight) kernel of ArcGIS's
Kernel Density tool, ``K(d) = 3 / (pi r^2) * (1 - d^2 / r^2)^2`` for ``d < r``. KDEpy parameterises
every kernel by its (one-dimensional) standard deviation: its ``biweight`` kernel has support
``bw * sqrt(7)`` (variance 1/7 on unit support) and, in two dimensions with the Euclidean norm, is
normalised to ``3 / (pi s^2) * (1 - d^2/s^2)^2`` with ``s = bw * sqrt(7)``: the same function. So
csmap passes ``bw = r / sqrt(7)``; :data:`KERNELS` lists the factor for each kernel. For the
``gaussian`` kernel the radius is taken as its standard deviation.

Default bandwidth (:func:`arcgis_bandwidth`) is ArcGIS's documented rule
``0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2`` (SD: standard distance, Dm: median distance to the
mean centre, n: number of events or the sum of weights). Default cell size is ArcGIS's
``min(extent width, extent height) / 250`` of the study area's extent.

Density is reported in **events per km²** (weighted events when weights are given) and is NaN
outside the study area. The grid covers the study area's bounding box plus one search radius, so
every event that can reach a study-area cell is counted; events farther out cannot and are left out
(``n_outside``).
"""

from __future__ import annotations

import math
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely
from KDEpy import FFTKDE
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

#: csmap kernel name -> (KDEpy kernel name, KDEpy bw per metre of search radius).
KERNELS: Final[dict[str, tuple[str, float]]] = {
    "quartic": ("biweight", 1.0 / math.sqrt(7.0)),
    "epanechnikov": ("epa", 1.0 / math.sqrt(5.0)),
    "triangular": ("tri", 1.0 / math.sqrt(6.0)),
    "uniform": ("box", 1.0 / math.sqrt(3.0)),
    "gaussian": ("gaussian", 1.0),
}
#: Largest grid csmap will evaluate (cells); a finer cell size raises ParameterError.
MAX_CELLS: Final[int] = 16_000_000
_KM2: Final[float] = 1e6


def _check_positive(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number of metres, got {value!r}") from None
    if not math.isfinite(out) or out <= 0:
        raise ParameterError(f"{name} must be a positive number of metres, got {value!r}")
    return out


def _auto(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() == "auto")


def arcgis_bandwidth(xy: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """ArcGIS Kernel Density's default search radius (metres).

    ``0.9 * min(SD, sqrt(1/ln 2) * Dm) * n ** -0.2`` where SD is the (weighted) standard
    distance, Dm the (weighted) median distance to the (weighted) mean centre and n the number
    of points (sum of weights when given).

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Projected coordinates in metres.
    weights : array-like, shape (n,), optional
        Non-negative event weights.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        Fewer than two points, or all points at one place (set a bandwidth instead).

    Examples
    --------
    >>> round(arcgis_bandwidth([[0, 0], [0, 2], [2, 0], [2, 2]]), 4)
    0.9646
    """
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    w = np.ones(len(pts)) if weights is None else np.asarray(weights, dtype=float)
    if len(pts) != len(w):
        raise ParameterError("weights must have one value per point")
    n = float(w.sum())
    if len(pts) < 2 or n <= 0:
        raise ParameterError("the automatic bandwidth needs at least two events")
    centre = (pts * w[:, None]).sum(axis=0) / n
    d2 = ((pts - centre) ** 2).sum(axis=1)
    sd = math.sqrt(float((w * d2).sum()) / n)
    d = np.sqrt(d2)
    order = np.argsort(d, kind="stable")
    cum = np.cumsum(w[order])
    dm = float(d[order][np.searchsorted(cum, 0.5 * n)])
    h = 0.9 * min(sd, math.sqrt(1.0 / math.log(2.0)) * dm) * n**-0.2
    if h <= 0:
        raise ParameterError("all events are at one place: set a bandwidth (search radius)")
    return h


class KernelDensity:
    """Kernel density of points on a regular grid, masked to a study area (computed at once).

    Parameters
    ----------
    xy : array-like, shape (n, 2)
        Event coordinates in EPSG:27700 metres.
    study_area : shapely Polygon or MultiPolygon
        Density outside it is NaN; its extent sets the grid.
    weights : array-like, optional
        Non-negative weight per event (zero-weight events are ignored).
    bandwidth : float or "auto", optional
        Search radius in metres (see the module notes); default :func:`arcgis_bandwidth`.
    cell_size : float or "auto", optional
        Grid cell size in metres; default ``min(width, height) / 250`` of the study-area extent.
    kernel : str
        One of :data:`KERNELS`; default ``"quartic"``.
    like : KernelDensity, optional
        Reuse this density's grid, bandwidth and kernel (used by dual KDE).

    Attributes
    ----------
    density : ndarray, shape (ny, nx)
        Events per km², row 0 is the northern row, NaN outside the study area.
    x, y : ndarray
        Cell-centre eastings (ascending) and northings (descending).
    cell_size, bandwidth : float
        Metres; ``bandwidth`` is the search radius.
    transform : tuple of 6 floats
        GDAL/rasterio affine ``(cell, 0, west edge, 0, -cell, north edge)``.
    in_area : ndarray of bool, shape (ny, nx)
        Cells whose centre lies in the study area.
    n_points, n_outside : int
        Events used / events too far outside the grid to reach any study-area cell.
    total_weight : float
        Sum of weights of the events used.
    automatic : list of str
        Parameters chosen automatically.

    Examples
    --------
    >>> import shapely
    >>> rng = np.random.default_rng(0)
    >>> kd = KernelDensity(rng.uniform(0, 1000, (500, 2)), study_area=shapely.box(0, 0, 1000, 1000))
    >>> kd.density.shape == (len(kd.y), len(kd.x)), round(kd.cell_size, 1)
    (True, 4.0)
    >>> bool(abs(np.nansum(kd.density) * kd.cell_size**2 / 1e6 - 500) < 50)
    True
    """

    kernel: str
    bandwidth: float
    cell_size: float
    x: NDArray[np.float64]
    y: NDArray[np.float64]

    def __init__(
        self,
        xy: ArrayLike,
        *,
        study_area: shapely.Geometry,
        weights: ArrayLike | None = None,
        bandwidth: float | str | None = None,
        cell_size: float | str | None = None,
        kernel: str = "quartic",
        like: KernelDensity | None = None,
    ) -> None:
        pts = np.asarray(xy, dtype=float).reshape(-1, 2)
        w = np.ones(len(pts)) if weights is None else np.asarray(weights, dtype=float).ravel()
        if len(w) != len(pts):
            raise ParameterError("weights must have one value per point")
        if not np.isfinite(pts).all():
            raise ParameterError("point coordinates must be finite (drop null locations first)")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ParameterError("weights must be finite and non-negative")
        if study_area is None or shapely.is_empty(study_area) or study_area.area <= 0:
            raise ParameterError("study_area must be a non-empty polygon")
        self.automatic: list[str] = []
        if like is not None:
            kernel, bw, cell = like.kernel, like.bandwidth, like.cell_size
            self.x, self.y = like.x, like.y
        else:
            if kernel not in KERNELS:
                raise ParameterError(f"kernel must be one of {tuple(KERNELS)}, got {kernel!r}")
            minx, miny, maxx, maxy = study_area.bounds
            if _auto(cell_size):
                cell = min(maxx - minx, maxy - miny) / 250.0
                self.automatic.append("cell_size")
            else:
                cell = _check_positive("cell_size", cell_size)
            if _auto(bandwidth):
                bw = arcgis_bandwidth(pts, weights=w)
                self.automatic.append("bandwidth")
            else:
                bw = _check_positive("bandwidth", bandwidth)
            margin = bw * (4.0 if kernel == "gaussian" else 1.0) + cell
            x0 = math.floor((minx - margin) / cell) * cell + cell / 2
            y0 = math.floor((miny - margin) / cell) * cell + cell / 2
            nx = int(math.ceil((maxx + margin - x0) / cell)) + 1
            ny = int(math.ceil((maxy + margin - y0) / cell)) + 1
            if nx * ny > MAX_CELLS:
                raise ParameterError(
                    f"cell_size {cell:g} m gives {nx * ny:,} grid cells (max {MAX_CELLS:,}); "
                    "use a larger cell size"
                )
            self.x = x0 + cell * np.arange(nx)
            self.y = (y0 + cell * np.arange(ny))[::-1]
        self.kernel, self.bandwidth, self.cell_size = kernel, float(bw), float(cell)
        self.transform = (
            self.cell_size,
            0.0,
            float(self.x[0] - cell / 2),
            0.0,
            -self.cell_size,
            float(self.y[0] + cell / 2),
        )
        xs, ys_desc = self.x, self.y
        ys = ys_desc[::-1]
        inside = (
            (pts[:, 0] > xs[0])
            & (pts[:, 0] < xs[-1])
            & (pts[:, 1] > ys[0])
            & (pts[:, 1] < ys[-1])
            & (w > 0)
        )
        self.n_outside = int(((w > 0) & ~inside).sum())
        self.n_points = int(inside.sum())
        self.total_weight = float(w[inside].sum())
        grid_x, grid_y = np.meshgrid(xs, ys_desc)
        self.in_area = shapely.contains_xy(study_area, grid_x, grid_y)
        dens = np.zeros((len(ys), len(xs)))
        if self.n_points > 0:
            name, factor = KERNELS[kernel]
            fft = FFTKDE(kernel=name, bw=self.bandwidth * factor, norm=2)
            grid = np.column_stack([np.repeat(xs, len(ys)), np.tile(ys, len(xs))])
            pdf = fft.fit(pts[inside], weights=w[inside]).evaluate(grid)
            # KDEpy's grid: x varies slowest -> (nx, ny) with y ascending; flip to north-up.
            dens = pdf.reshape(len(xs), len(ys)).T[::-1] * self.total_weight * _KM2
            dens = np.clip(dens, 0.0, None)  # FFT round-off can give -1e-20
        self.density = np.where(self.in_area, dens, np.nan)

    @property
    def cell_area_km2(self) -> float:
        """Area of one grid cell in km²."""
        return self.cell_size**2 / _KM2

    def cell_of(self, xy: ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Row and column of the cell containing each point (-1 when off the grid).

        Examples
        --------
        >>> import shapely
        >>> kd = KernelDensity([[50, 50], [60, 60]], study_area=shapely.box(0, 0, 100, 100),
        ...                    bandwidth=20, cell_size=10)
        >>> r, c = kd.cell_of([[55, 55]])
        >>> float(kd.x[c[0]]), float(kd.y[r[0]])
        (55.0, 55.0)
        """
        pts = np.asarray(xy, dtype=float).reshape(-1, 2)
        west, north = self.transform[2], self.transform[5]
        col = np.floor((pts[:, 0] - west) / self.cell_size).astype(np.intp)
        row = np.floor((north - pts[:, 1]) / self.cell_size).astype(np.intp)
        bad = (col < 0) | (col >= len(self.x)) | (row < 0) | (row >= len(self.y))
        col[bad] = -1
        row[bad] = -1
        return row, col

    def threshold(self, *, top: float = 0.05) -> float:
        """Density above which a cell is in the top ``top`` share of study-area cells."""
        if not 0 < top < 1:
            raise ParameterError(f"top must be a fraction between 0 and 1, got {top!r}")
        values = self.density[self.in_area]
        if values.size == 0:
            return math.inf
        return float(np.quantile(values, 1.0 - top))

    def regions(self, selected: NDArray[np.bool_]) -> tuple[NDArray[np.int_], int]:
        """Label edge-connected groups of selected study-area cells (0 = not selected)."""
        labels, n = ndimage.label(selected & self.in_area)
        return labels, int(n)

    def polygons(
        self, labels: NDArray[np.int_], n: int, *, study_area: shapely.Geometry
    ) -> list[shapely.Geometry]:
        """Union of the cells of each label 1..n, clipped to the study area."""
        rows, cols = np.nonzero(labels)
        lab = labels[rows, cols]
        half = self.cell_size / 2
        boxes = shapely.box(
            self.x[cols] - half, self.y[rows] - half, self.x[cols] + half, self.y[rows] + half
        )
        order = np.argsort(lab, kind="stable")
        bounds = np.searchsorted(lab[order], np.arange(1, n + 2))
        out = []
        for k in range(n):
            part = boxes[order[bounds[k] : bounds[k + 1]]]
            out.append(shapely.intersection(shapely.coverage_union_all(part), study_area))
        return out

    def contours(self, *, top: float = 0.05, study_area: shapely.Geometry | None = None) -> Any:
        """Polygons covering the top ``top`` share of study-area cells by density.

        Parameters
        ----------
        top : float
            Fraction of study-area cells (default the top 5 %); cells of zero density never count.
        study_area : shapely geometry, optional
            Clip polygons to it (else the cells' union is returned unclipped).

        Returns
        -------
        geopandas.GeoDataFrame
            One row per edge-connected group of cells: ``n_cells``, ``mean_density``,
            ``max_density`` (events/km²), ``threshold``; EPSG:27700.

        Examples
        --------
        >>> import shapely
        >>> pts = np.r_[np.full((50, 2), 500.0), np.random.default_rng(1).uniform(0, 1000, (50, 2))]
        >>> kd = KernelDensity(pts, study_area=shapely.box(0, 0, 1000, 1000), bandwidth=100)
        >>> poly = kd.contours(top=0.01).geometry.iloc[0]
        >>> poly.contains(shapely.Point(500, 500))
        True
        """
        labels, n, thr = self.select_top(top=top)
        return self.region_frame(labels, n, study_area=study_area).assign(threshold=thr)

    def select_top(self, *, top: float = 0.05) -> tuple[NDArray[np.int_], int, float]:
        """Labelled regions of the top ``top`` share of cells: ``(labels, n, threshold)``."""
        thr = self.threshold(top=top)
        dens = np.nan_to_num(self.density, nan=0.0)
        labels, n = self.regions((dens >= thr) & (dens > 0))
        return labels, n, thr

    def region_frame(
        self,
        labels: NDArray[np.int_],
        n: int,
        *,
        study_area: shapely.Geometry | None = None,
        values: NDArray[np.float64] | None = None,
    ) -> gpd.GeoDataFrame:
        """One polygon per labelled region with ``n_cells``, ``mean_density``, ``max_density``.

        ``values`` (default the density) is what the mean and max are taken of.
        """
        vals = np.nan_to_num(self.density if values is None else values, nan=0.0)
        clip = study_area if study_area is not None else shapely.box(*self._extent())
        idx = np.arange(1, n + 1)
        return gpd.GeoDataFrame(
            {
                "n_cells": np.asarray(
                    ndimage.sum_labels(np.ones_like(vals), labels, idx), dtype=np.int64
                ),
                "mean_density": np.asarray(ndimage.mean(vals, labels, idx), dtype=float),
                "max_density": np.asarray(ndimage.maximum(vals, labels, idx), dtype=float),
            },
            geometry=self.polygons(labels, n, study_area=clip),
            crs=BNG_EPSG,
        )

    def region_counts(
        self, xy: ArrayLike, labels: NDArray[np.int_], n: int, *, weights: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Number (or weight) of points falling in the cells of each region 1..n."""
        row, col = self.cell_of(xy)
        on = row >= 0
        lab = np.zeros(len(row), dtype=np.int64)
        lab[on] = labels[row[on], col[on]]
        w = None if weights is None else np.asarray(weights, dtype=float)
        return np.bincount(lab, weights=w, minlength=n + 1)[1:].astype(float)

    def _extent(self) -> tuple[float, float, float, float]:
        west, north = self.transform[2], self.transform[5]
        return (
            west,
            north - self.cell_size * len(self.y),
            west + self.cell_size * len(self.x),
            north,
        )


def points_xy(points: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Coordinates of a point GeoDataFrame and the mask of usable (non-null, non-empty) rows.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([1.0, 2.0], [3.0, 4.0]), crs=27700)
    >>> xy, ok = points_xy(pts)
    >>> xy.tolist(), ok.tolist()
    ([[1.0, 3.0], [2.0, 4.0]], [True, True])
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise ParameterError("points must be a GeoDataFrame of EPSG:27700 points")
    if points.crs is not None and points.crs.to_epsg() != BNG_EPSG:
        raise ParameterError(f"points must be in EPSG:{BNG_EPSG}, got {points.crs}")
    geom = points.geometry.to_numpy()
    ok = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    if ok.any() and not (shapely.get_type_id(geom[ok]) == 0).all():
        raise ParameterError("points must be Point geometries")
    xy = np.full((len(points), 2), np.nan)
    if ok.any():
        xy[ok] = shapely.get_coordinates(geom[ok])
    return xy, ok
