"""Aggregation grids clipped to a study area (square fishnet, hexagons) and point counts per cell.

Every grid keeps *all* cells that overlap the study area (zeros included); edge cells are clipped to
the area and keep their clipped area in ``area_m2``. The ``cell_x`` / ``cell_y`` columns hold the
centre of the *unclipped* cell, so neighbourhoods (distance bands) stay regular at the edges.
"""

from __future__ import annotations

import math
from typing import Final

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

#: Refuse grids larger than this (choose a bigger cell size instead).
MAX_CELLS: Final[int] = 500_000
SHAPES: Final[tuple[str, ...]] = ("square", "hex")


def valid_area(polygon: BaseGeometry) -> BaseGeometry:
    """The study area as a valid (Multi)Polygon (``make_valid``, polygonal parts only).

    Examples
    --------
    >>> bow = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> valid_area(bow).is_valid, valid_area(bow).area
    (True, 2.0)
    """
    if not isinstance(polygon, BaseGeometry) or polygon.is_empty:
        raise ParameterError("the study area must be a non-empty shapely (Multi)Polygon")
    if polygon.is_valid:
        return polygon
    fixed = shapely.make_valid(polygon)
    parts = [
        g
        for g in getattr(fixed, "geoms", [fixed])
        if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
    ]
    if not parts:
        raise ParameterError("the study area is not a usable polygon")
    return shapely.union_all(parts)


def min_cell_size(polygon: BaseGeometry, *, max_cells: int = MAX_CELLS) -> float:
    """Roughly the smallest cell size (whole metres, rounded up) whose grid over ``polygon``
    stays within ``max_cells`` (bounding box for :func:`fishnet`'s check).

    Examples
    --------
    >>> min_cell_size(shapely.box(0, 0, 10_000, 10_000), max_cells=10_000)
    100.0
    """
    minx, miny, maxx, maxy = polygon.bounds
    bbox = max((maxx - minx) * (maxy - miny), float(polygon.area))
    area = max(float(polygon.area), bbox / 4.0)
    return float(math.ceil(math.sqrt(area / max_cells)))


def _check(polygon: BaseGeometry, cell_size: float) -> tuple[float, float, float, float]:
    if polygon.area <= 0:
        raise ParameterError("the study area has no area (is it a polygon in metres?)")
    if not (isinstance(cell_size, int | float) and math.isfinite(cell_size) and cell_size > 0):
        raise ParameterError(f"cell_size must be a positive number of metres, got {cell_size!r}")
    minx, miny, maxx, maxy = polygon.bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def _clip(
    cells: NDArray[np.object_],
    cx: NDArray[np.float64],
    cy: NDArray[np.float64],
    polygon: BaseGeometry,
    extra: dict[str, NDArray[np.int64]],
) -> gpd.GeoDataFrame:
    if cells.size > MAX_CELLS:
        raise ParameterError(
            f"the grid would have {cells.size:,} cells (over {MAX_CELLS:,}); use a larger cell "
            f"size (at least ~{min_cell_size(polygon):g} m for this area)"
        )
    shapely.prepare(polygon)
    hit = shapely.intersects(polygon, cells)
    inside = shapely.contains_properly(polygon, cells)
    geoms = cells.copy()
    edge = hit & ~inside
    geoms[edge] = shapely.intersection(cells[edge], polygon)
    area = shapely.area(geoms)
    keep = hit & (area > 0)
    data = {k: v[keep] for k, v in extra.items()}
    data["cell_x"] = cx[keep]
    data["cell_y"] = cy[keep]
    data["area_m2"] = area[keep]
    return gpd.GeoDataFrame(data, geometry=geoms[keep], crs=BNG_EPSG)


def fishnet(polygon: BaseGeometry, *, cell_size: float) -> gpd.GeoDataFrame:
    """Square cells of ``cell_size`` metres covering ``polygon``, clipped to it.

    The lattice is anchored on multiples of ``cell_size`` (so grids of one size line up between
    runs and areas).

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        Study area in EPSG:27700 metres.
    cell_size : float
        Cell side in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700, RangeIndex, columns ``row``, ``col``, ``cell_x``, ``cell_y`` (unclipped centre),
        ``area_m2`` (clipped area) and the clipped geometry.

    Examples
    --------
    >>> cells = fishnet(shapely.box(0, 0, 250, 100), cell_size=100)
    >>> len(cells), cells["area_m2"].tolist()
    (3, [10000.0, 10000.0, 5000.0])
    """
    polygon = valid_area(polygon)
    minx, miny, maxx, maxy = _check(polygon, cell_size)
    x0 = math.floor(minx / cell_size) * cell_size
    y0 = math.floor(miny / cell_size) * cell_size
    ncol = max(1, math.ceil((maxx - x0) / cell_size))
    nrow = max(1, math.ceil((maxy - y0) / cell_size))
    if ncol * nrow > 4 * MAX_CELLS:
        raise ParameterError(
            f"cell size {cell_size:g} m: the grid would have ~{ncol * nrow:,} cells (over "
            f"{MAX_CELLS:,}); use a larger cell size (at least ~{min_cell_size(polygon):g} m "
            "for this area)"
        )
    rr, cc = np.meshgrid(np.arange(nrow), np.arange(ncol), indexing="ij")
    rows, cols = rr.ravel(), cc.ravel()
    xmin = np.asarray(x0 + cols * cell_size, dtype=np.float64)
    ymin = np.asarray(y0 + rows * cell_size, dtype=np.float64)
    boxes = shapely.box(xmin, ymin, xmin + cell_size, ymin + cell_size)
    return _clip(
        np.asarray(boxes, dtype=object),
        xmin + cell_size / 2,
        ymin + cell_size / 2,
        polygon,
        {"row": rows.astype(np.int64), "col": cols.astype(np.int64)},
    )


def hex_side(cell_size: float) -> float:
    """Side length of a hexagon whose area equals ``cell_size ** 2``.

    Examples
    --------
    >>> round(3 * math.sqrt(3) / 2 * hex_side(100.0) ** 2)
    10000
    """
    return float(cell_size) * math.sqrt(2.0 / (3.0 * math.sqrt(3.0)))


def hexgrid(polygon: BaseGeometry, *, cell_size: float) -> gpd.GeoDataFrame:
    """Flat-topped hexagons of the same area as a ``cell_size`` square, clipped to ``polygon``.

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        Study area in EPSG:27700 metres.
    cell_size : float
        Side of the square of equal area (so hex and square grids of one ``cell_size`` have the
        same resolution); the hexagon side is :func:`hex_side`.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns as :func:`fishnet`.

    Examples
    --------
    >>> cells = hexgrid(shapely.box(0, 0, 1000, 1000), cell_size=100)
    >>> bool(abs(cells["area_m2"].sum() - 1e6) < 1e-3), bool(cells["area_m2"].max() <= 10000 + 1e-6)
    (True, True)
    """
    polygon = valid_area(polygon)
    minx, miny, maxx, maxy = _check(polygon, cell_size)
    s = hex_side(cell_size)
    dx, dy = 1.5 * s, math.sqrt(3.0) * s
    c0 = math.floor(minx / dx) - 1
    r0 = math.floor(miny / dy) - 1
    ncol = math.ceil((maxx + s) / dx) - c0 + 1
    nrow = math.ceil((maxy + dy) / dy) - r0 + 1
    if ncol * nrow > 4 * MAX_CELLS:
        raise ParameterError(
            f"cell size {cell_size:g} m: the grid would have ~{ncol * nrow:,} cells (over "
            f"{MAX_CELLS:,}); use a larger cell size (at least ~{min_cell_size(polygon):g} m "
            "for this area)"
        )
    rr, cc = np.meshgrid(np.arange(r0, r0 + nrow), np.arange(c0, c0 + ncol), indexing="ij")
    rows, cols = rr.ravel(), cc.ravel()
    cx = cols * dx
    cy = rows * dy + (cols % 2) * dy / 2
    angles = np.deg2rad(np.arange(0, 360, 60))
    xs = cx[:, None] + s * np.cos(angles)[None, :]
    ys = cy[:, None] + s * np.sin(angles)[None, :]
    rings = np.stack([xs, ys], axis=-1)
    hexes = shapely.polygons(rings)
    return _clip(
        np.asarray(hexes, dtype=object),
        cx.astype(float),
        cy.astype(float),
        polygon,
        {"row": rows.astype(np.int64), "col": cols.astype(np.int64)},
    )


def make_grid(
    polygon: BaseGeometry, *, cell_size: float, shape: str = "square"
) -> gpd.GeoDataFrame:
    """:func:`fishnet` or :func:`hexgrid` by ``shape`` (``"square"`` or ``"hex"``).

    Examples
    --------
    >>> len(make_grid(shapely.box(0, 0, 200, 200), cell_size=100, shape="square"))
    4
    """
    if shape == "square":
        return fishnet(polygon, cell_size=cell_size)
    if shape == "hex":
        return hexgrid(polygon, cell_size=cell_size)
    raise ParameterError(f"shape must be one of {SHAPES}, got {shape!r}")


def count_in_cells(
    cells: gpd.GeoDataFrame, points: gpd.GeoDataFrame, *, weights: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """Number (or summed ``weights``) of points in each cell, in the cells' row order.

    A point on a shared edge is counted once (in the first matching cell); points outside every
    cell are not counted (:func:`points_outside` tells how many).

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Polygons (e.g. from :func:`fishnet`), same CRS as ``points``.
    points : geopandas.GeoDataFrame
        Points.
    weights : array, optional
        One weight per point (default 1).

    Returns
    -------
    numpy.ndarray
        Float array of length ``len(cells)``.

    Examples
    --------
    >>> cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 20, 150, 500], [10, 20, 50, 5]),
    ...     crs=27700)
    >>> count_in_cells(cells, pts).tolist()
    [2.0, 1.0]
    """
    pi, ci = _assign(cells, points)
    w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(points),):
        raise ParameterError("weights must have one value per point")
    return np.bincount(ci, weights=w[pi], minlength=len(cells)).astype(float)


def _assign(
    cells: gpd.GeoDataFrame, points: gpd.GeoDataFrame
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if cells.crs is not None and points.crs is not None and cells.crs != points.crs:
        raise ParameterError(f"points are in {points.crs}, cells in {cells.crs}")
    geoms = points.geometry.to_numpy()
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    idx = np.nonzero(valid)[0]
    pairs = cells.sindex.query(geoms[idx], predicate="intersects")
    pi, ci = idx[pairs[0]], pairs[1]
    _, first = np.unique(pi, return_index=True)
    return pi[first].astype(np.int64), ci[first].astype(np.int64)


def points_outside(cells: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> int:
    """How many points fall in no cell (outside the study area, or with no geometry).

    Examples
    --------
    >>> cells = fishnet(shapely.box(0, 0, 100, 100), cell_size=100)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 500], [10, 5]), crs=27700)
    >>> points_outside(cells, pts)
    1
    """
    pi, _ = _assign(cells, points)
    return int(len(points) - pi.size)
