"""Opt-in WebGL (pydeck) view of large record sets: counts per grid cell, never one dot per record.

The default large-data map is folium's cell layer (:mod:`app.maps.cell_map`), which renders in the
same iframe as the small-data map; this module is the "WebGL view" toggle of the Map page and the
explorer. Points are counted on the server with :mod:`app.maps.cells` (the one binning
implementation), and only the occupied cells travel to the browser: one ``ScatterplotLayer`` per
point kind (a disc of diameter ``cell`` at the cell centre, opacity by log count) over the LA and
ward boundaries, plus any extra layers (the explorer's hotspot polygons, :func:`hotspot_layers`).

``st.pydeck_chart`` draws the deck without any base map (``map_style=None``), so nothing is
requested from the internet. Pure functions (no Streamlit): the page caches them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk

from app.maps.cells import DEFAULT_CELL, check_cell
from app.maps.folium_map import POINT_STYLES, to_wgs84
from geo.locate.coords import bng_to_wgs84
from geo.places.boundaries import StudyArea


def cell_centres_wgs84(table: pd.DataFrame, *, cell: float) -> pd.DataFrame:
    """Cell centres in WGS84 (OSTN15), rounded to 5 decimals (about 1 m), with ``count``.

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [3]})
    >>> cell_centres_wgs84(t, cell=200).round(3).values.tolist()
    [[-1.779, 53.65, 3.0]]
    """
    size = check_cell(cell)
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
            "t": html.escape(f"{label} in this cell"),
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
    extra_layers: Sequence[pdk.Layer] = (),
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
    extra_layers : sequence of pydeck.Layer
        Drawn above the counts (e.g. :func:`app.maps.layers.hotspot_deck_layers`); a pickable
        layer's
        objects need ``t`` (text) and ``n`` (number) properties for the tooltip.

    Returns
    -------
    pydeck.Deck
        No base map (``map_style=None``): works offline.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> t = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [4]})
    >>> deck = build_count_deck({"concerns": t}, area=load_area("kirklees"))
    >>> [layer.type for layer in deck.layers]
    ['GeoJsonLayer', 'GeoJsonLayer', 'ScatterplotLayer']
    """
    size = check_cell(cell)
    layers: list[pdk.Layer] = []
    if boundaries:
        layers.append(_boundary_layer(area.wards, colour=[86, 101, 115], width=1))
        layers.append(_boundary_layer(area.outline, colour=[23, 32, 42], width=2))
    for kind, table in cells.items():
        if len(table):
            layers.append(count_layer(table, kind=kind, cell=size))
    layers.extend(extra_layers)
    outline = to_wgs84(area.outline.geometry)
    minx, miny, maxx, maxy = outline.total_bounds
    view = pdk.ViewState(latitude=(miny + maxy) / 2, longitude=(minx + maxx) / 2, zoom=10.3)
    tooltip: Any = {"text": "{t}: {n}"}
    return pdk.Deck(layers=layers, initial_view_state=view, map_style=None, tooltip=tooltip)


def deck_payload_bytes(deck: pdk.Deck) -> int:
    """Size in bytes of the JSON spec ``st.pydeck_chart`` sends for ``deck``.

    Examples
    --------
    >>> deck_payload_bytes(pdk.Deck(layers=[], map_style=None)) > 0
    True
    """
    return len(deck.to_json().encode("utf-8"))
