"""WebGL (pydeck) map layers for large record sets: counts per grid cell, never one dot per record.

Above :data:`app.maps.MAX_POINTS` points the Map page stops drawing folium markers. Points are
counted on the server per square cell of the British National Grid (cell edges on multiples of
``cell`` metres, so counts of different sources — the store and a session's uploads — add up cell
by cell with :func:`merge_counts`), and only the occupied cells travel to the browser: one
``ScatterplotLayer`` per point kind (a disc of diameter ``cell`` at the cell centre, opacity by
log count) over the LA and ward boundaries. A million records in Kirklees become at most a few
thousand cells per kind (well under a megabyte of JSON) whatever the number of records.

``st.pydeck_chart`` draws the deck without any base map (``map_style=None``), so nothing is
requested from the internet. Pure functions (no Streamlit): the page caches them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk

from app.maps import POINT_STYLES, to_wgs84
from geo.boundaries import StudyArea
from geo.coords import bng_to_wgs84
from geo.errors import ParameterError

#: Default cell edge (metres) of the aggregated layers.
DEFAULT_CELL: Final[float] = 200.0
#: Smallest and largest cell edge accepted (metres).
CELL_RANGE: Final[tuple[float, float]] = (25.0, 5000.0)
#: Columns of a cell-count table.
CELL_COLUMNS: Final[tuple[str, str, str]] = ("ix", "iy", "count")


def _check_cell(cell: float) -> float:
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
    size = _check_cell(cell)
    x = np.asarray(easting, dtype="float64")
    y = np.asarray(northing, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.all():
        x, y = x[ok], y[ok]
    if len(x) == 0:
        return empty_counts()
    ix = np.floor(x / size).astype("int64")
    iy = np.floor(y / size).astype("int64")
    # one int64 key per cell (BNG cells of >= 25 m fit easily in 2**31 per axis)
    x0, y0 = int(ix.min()), int(iy.min())
    width = int(iy.max()) - y0 + 1
    keys = (ix - x0) * width + (iy - y0)
    uniq, counts = np.unique(keys, return_counts=True)
    return pd.DataFrame(
        {
            "ix": (uniq // width + x0).astype("int64"),
            "iy": (uniq % width + y0).astype("int64"),
            "count": counts.astype("int64"),
        }
    )


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


def cell_centres_wgs84(table: pd.DataFrame, *, cell: float) -> pd.DataFrame:
    """Cell centres in WGS84 (OSTN15), rounded to 5 decimals (about 1 m), with ``count``.

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [3]})
    >>> cell_centres_wgs84(t, cell=200).round(3).values.tolist()
    [[-1.779, 53.65, 3.0]]
    """
    size = _check_cell(cell)
    east = (table["ix"].to_numpy(dtype="float64") + 0.5) * size
    north = (table["iy"].to_numpy(dtype="float64") + 0.5) * size
    lon, lat = bng_to_wgs84(east, north)
    return pd.DataFrame(
        {
            "lon": np.round(lon, 5),
            "lat": np.round(lat, 5),
            "count": table["count"].to_numpy(),
        }
    )


def _rgb(hex_colour: str) -> list[int]:
    value = hex_colour.lstrip("#")
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)]


def _boundary_layer(frame: gpd.GeoDataFrame, *, colour: list[int], width: float) -> pdk.Layer:
    geoms = to_wgs84(frame.geometry.simplify(25).boundary, decimals=5)
    return pdk.Layer(
        "GeoJsonLayer",
        data=gpd.GeoDataFrame(geometry=geoms.to_numpy(), crs=4326).to_geo_dict(drop_id=True),
        stroked=True,
        filled=False,
        get_line_color=colour,
        line_width_min_pixels=width,
        pickable=False,
    )


def count_layer(
    table: pd.DataFrame, *, kind: str, cell: float, top: float | None = None
) -> pdk.Layer:
    """A ScatterplotLayer of one point kind's cell counts (disc per occupied cell).

    Opacity grows with ``log1p(count) / log1p(top)`` (``top`` defaults to the table's largest
    count). The tooltip text (label and count) is plain text built here, HTML-escaped.

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [2073, 2074], "iy": [2085, 2085], "count": [1, 9]})
    >>> layer = count_layer(t, kind="concerns", cell=200)
    >>> layer.type, len(layer.data)
    ('ScatterplotLayer', 2)
    """
    label, colour = POINT_STYLES.get(kind, (kind, "#333333"))
    centres = cell_centres_wgs84(table, cell=cell)
    counts = centres["count"].to_numpy(dtype="float64")
    peak = float(top if top is not None else (counts.max() if len(counts) else 1.0))
    alpha = 70 + 185 * np.log1p(counts) / np.log1p(max(peak, 1.0))
    data = pd.DataFrame(
        {
            "lon": centres["lon"],
            "lat": centres["lat"],
            "n": centres["count"].astype("int64"),
            "a": np.clip(alpha, 0, 255).round().astype("int64"),
            "t": html.escape(label),
        }
    )
    r, g, b = _rgb(colour)
    return pdk.Layer(
        "ScatterplotLayer",
        id=f"cells-{kind}",
        data=data,
        get_position="[lon, lat]",
        get_radius=cell / 2,
        radius_units="meters",
        get_fill_color=f"[{r}, {g}, {b}, a]",
        stroked=False,
        pickable=True,
    )


def build_count_deck(
    cells: Mapping[str, pd.DataFrame],
    *,
    area: StudyArea,
    cell: float = DEFAULT_CELL,
    boundaries: bool = True,
) -> pdk.Deck:
    """A pydeck map of cell counts per point kind over the LA and ward boundaries.

    Parameters
    ----------
    cells : mapping of str to DataFrame
        Point kind (``concerns``, ``missing_last_seen``, ``missing_found``, ``placements``) ->
        its cell-count table (:func:`cell_counts`).
    area : StudyArea
        The study area (outline and wards drawn; the view is centred on it).
    cell : float
        The cell edge the tables were counted with (metres).
    boundaries : bool
        Draw the LA outline and ward boundaries.

    Returns
    -------
    pydeck.Deck
        No base map (``map_style=None``): works offline.

    Examples
    --------
    >>> from geo.boundaries import load_area
    >>> t = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [4]})
    >>> deck = build_count_deck({"concerns": t}, area=load_area("kirklees"))
    >>> [layer.type for layer in deck.layers]
    ['GeoJsonLayer', 'GeoJsonLayer', 'ScatterplotLayer']
    """
    size = _check_cell(cell)
    layers: list[pdk.Layer] = []
    if boundaries:
        layers.append(_boundary_layer(area.wards, colour=[86, 101, 115], width=1))
        layers.append(_boundary_layer(area.outline, colour=[23, 32, 42], width=2))
    for kind, table in cells.items():
        if len(table):
            layers.append(count_layer(table, kind=kind, cell=size))
    outline = to_wgs84(area.outline.geometry)
    minx, miny, maxx, maxy = outline.total_bounds
    view = pdk.ViewState(latitude=(miny + maxy) / 2, longitude=(minx + maxx) / 2, zoom=10.3)
    tooltip: Any = {"text": "{t}: {n} in this cell"}
    return pdk.Deck(layers=layers, initial_view_state=view, map_style=None, tooltip=tooltip)


def deck_payload_bytes(deck: pdk.Deck) -> int:
    """Size in bytes of the JSON spec ``st.pydeck_chart`` sends for ``deck``.

    Examples
    --------
    >>> deck_payload_bytes(pdk.Deck(layers=[], map_style=None)) > 0
    True
    """
    return len(deck.to_json().encode("utf-8"))
