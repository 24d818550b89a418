"""Counts of points per square cell of the British National Grid: the one binning implementation.

Every aggregated map layer (the folium cell layer of :mod:`app.maps.cell_map`, the pydeck view of
:mod:`app.maps.deck`) and the point index (:mod:`app.maps.point_index`) count points with
:func:`cell_counts`. Cell ``(ix, iy)`` of edge ``cell`` metres covers
``[ix * cell, (ix + 1) * cell) x [iy * cell, (iy + 1) * cell)``, so counts of different sources
(the store and a session's uploads) add up cell by cell (:func:`merge_counts`), and a table can be
coarsened to a multiple of its cell edge without going back to the points
(:func:`coarsen_counts`, :func:`fit_cells`). Pure numpy/pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ParameterError

#: Default cell edge (metres) of the aggregated layers.
DEFAULT_CELL: Final[float] = 200.0
#: Smallest and largest cell edge accepted (metres).
CELL_RANGE: Final[tuple[float, float]] = (25.0, 5000.0)
#: Columns of a cell-count table.
CELL_COLUMNS: Final[tuple[str, str, str]] = ("ix", "iy", "count")
#: Most cells sent to the browser by one aggregated map (all kinds together).
MAX_CELLS: Final[int] = 3000


def check_cell(cell: float) -> float:
    """``cell`` as a float, or :class:`~geo.errors.ParameterError` outside :data:`CELL_RANGE`.

    Examples
    --------
    >>> check_cell(200)
    200.0
    """
    if not np.isfinite(cell) or not CELL_RANGE[0] <= cell <= CELL_RANGE[1]:
        raise ParameterError(
            f"cell must be between {CELL_RANGE[0]:g} and {CELL_RANGE[1]:g} metres, not {cell!r}"
        )
    return float(cell)


def empty_counts() -> pd.DataFrame:
    """A cell-count table with no cells.

    Examples
    --------
    >>> empty_counts().columns.tolist()
    ['ix', 'iy', 'count']
    """
    return pd.DataFrame({c: np.array([], dtype="int64") for c in CELL_COLUMNS})


def _count_keys(ix: np.ndarray, iy: np.ndarray, weights: np.ndarray | None) -> pd.DataFrame:
    if len(ix) == 0:
        return empty_counts()
    # one int64 key per cell (BNG cells of >= 25 m fit easily in 2**31 per axis)
    x0, y0 = int(ix.min()), int(iy.min())
    width = int(iy.max()) - y0 + 1
    keys = (ix - x0) * width + (iy - y0)
    if weights is None:
        uniq, counts = np.unique(keys, return_counts=True)
    else:
        uniq, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=weights).round()
    return pd.DataFrame(
        {
            "ix": (uniq // width + x0).astype("int64"),
            "iy": (uniq % width + y0).astype("int64"),
            "count": counts.astype("int64"),
        }
    )


def cell_counts(easting: np.ndarray, northing: np.ndarray, *, cell: float) -> pd.DataFrame:
    """Count points per ``cell``-metre square of the British National Grid.

    Parameters
    ----------
    easting, northing : numpy.ndarray
        EPSG:27700 coordinates in metres; pairs with a NaN are skipped.
    cell : float
        Cell edge in metres (25 to 5000).

    Returns
    -------
    pandas.DataFrame
        ``ix, iy, count`` (int64): cell ``(ix, iy)`` covers
        ``[ix * cell, (ix + 1) * cell) x [iy * cell, (iy + 1) * cell)``; only occupied cells,
        sorted by ``ix`` then ``iy``.

    Examples
    --------
    >>> e = np.array([10.0, 40.0, 160.0, np.nan]); n = np.array([10.0, 20.0, 10.0, 5.0])
    >>> cell_counts(e, n, cell=100).values.tolist()
    [[0, 0, 2], [1, 0, 1]]
    """
    size = check_cell(cell)
    x = np.asarray(easting, dtype="float64")
    y = np.asarray(northing, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        x, y = x[ok], y[ok]
    ix = np.floor(x / size).astype("int64")
    iy = np.floor(y / size).astype("int64")
    return _count_keys(ix, iy, None)


def points_cell_counts(points: gpd.GeoDataFrame, *, cell: float) -> pd.DataFrame:
    """:func:`cell_counts` of a point GeoDataFrame in EPSG:27700 (null/empty geometry skipped).

    Examples
    --------
    >>> import shapely
    >>> p = gpd.GeoDataFrame(geometry=[shapely.Point(10, 10), None], crs=27700)
    >>> points_cell_counts(p, cell=100).values.tolist()
    [[0, 0, 1]]
    """
    geoms = points.geometry
    ok = (geoms.notna() & ~geoms.is_empty).to_numpy()
    kept = geoms[ok]
    return cell_counts(kept.x.to_numpy(), kept.y.to_numpy(), cell=cell)


def merge_counts(*tables: pd.DataFrame) -> pd.DataFrame:
    """Add cell-count tables of the same cell size cell by cell.

    Examples
    --------
    >>> a = pd.DataFrame({"ix": [0, 1], "iy": [0, 0], "count": [2, 1]})
    >>> b = pd.DataFrame({"ix": [1], "iy": [0], "count": [5]})
    >>> merge_counts(a, b).values.tolist()
    [[0, 0, 2], [1, 0, 6]]
    """
    parts = [t for t in tables if len(t)]
    if not parts:
        return empty_counts()
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    joined = pd.concat(parts, ignore_index=True)
    out = joined.groupby(["ix", "iy"], sort=True)["count"].sum().reset_index()
    return out.astype("int64")


def coarsen_counts(table: pd.DataFrame, *, factor: int) -> pd.DataFrame:
    """Counts of ``factor x factor`` blocks of cells: the table at ``factor`` times the edge.

    Equal to counting the points again at the larger edge, since
    ``floor(x / (k c)) == floor(floor(x / c) / k)``.

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [0, 1, 2, -1], "iy": [0, 1, 0, 0], "count": [1, 2, 3, 4]})
    >>> coarsen_counts(t, factor=2).values.tolist()
    [[-1, 0, 4], [0, 0, 3], [1, 0, 3]]
    """
    if factor < 1:
        raise ParameterError(f"factor must be a positive integer, not {factor!r}")
    if factor == 1 or len(table) == 0:
        return table.reset_index(drop=True)
    ix = np.floor_divide(table["ix"].to_numpy(dtype="int64"), factor)
    iy = np.floor_divide(table["iy"].to_numpy(dtype="int64"), factor)
    return _count_keys(ix, iy, table["count"].to_numpy(dtype="float64"))


def fit_cells(
    tables: Mapping[str, pd.DataFrame], *, cell: float, max_cells: int = MAX_CELLS
) -> tuple[dict[str, pd.DataFrame], float]:
    """Coarsen every table by the same power of two until at most ``max_cells`` cells are occupied.

    The cells occupied by any table are counted once (the map draws one layer of cells, each
    carrying the counts of every kind). The edge never exceeds :data:`CELL_RANGE`'s maximum.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Cell-count tables, all counted with edge ``cell``.
    cell : float
        Their cell edge in metres.
    max_cells : int
        The most occupied cells wanted.

    Returns
    -------
    (dict, float)
        The (possibly coarsened) tables and their cell edge.

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [0, 1, 2, 3], "iy": [0, 0, 0, 0], "count": [1, 1, 1, 1]})
    >>> out, size = fit_cells({"concerns": t}, cell=100, max_cells=2)
    >>> size, out["concerns"]["count"].tolist()
    (200.0, [2, 2])
    """
    size = check_cell(cell)
    if max_cells < 1:
        raise ParameterError(f"max_cells must be at least 1, not {max_cells!r}")
    factor = 1
    while True:
        out = {k: coarsen_counts(t, factor=factor) for k, t in tables.items()}
        occupied = merge_counts(*(t[["ix", "iy"]].assign(count=1) for t in out.values()))
        if len(occupied) <= max_cells or size * factor * 2 > CELL_RANGE[1]:
            return out, size * factor
        factor *= 2
