"""The folium layer of aggregated records: one GeoJSON layer of occupied grid cells, by count.

Above :data:`app.maps.folium_map.MAX_POINTS` points no record travels to the browser. The server
counts the
points per British National Grid cell (:mod:`app.maps.cells`), coarsens the cells until at most
:data:`app.maps.cells.MAX_CELLS` are occupied (:func:`app.maps.cells.fit_cells`), and this module
draws the
occupied cells as squares (corners converted with OSTN15) in one GeoJSON layer
(:class:`app.maps.map_elements.TextGeoJson`) on the map's canvas renderer: coloured by the number of
records in the cell (six classes in geometric steps up to the largest count, applied in the
browser), with the count of each point kind in the tooltip and a legend (a Leaflet control that
comes and goes with the layer).
The map renders offline in the same streamlit-folium iframe as the small-data map.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from app.maps.cells import check_cell
from app.maps.map_elements import TextGeoJson
from geo.errors import ParameterError
from geo.locate.coords import bng_to_wgs84

#: Fill colours of the count classes, fewest records first (ColorBrewer YlOrRd, 6 classes).
COUNT_COLOURS: Final[tuple[str, ...]] = (
    "#ffffb2",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#f03b20",
    "#bd0026",
)
#: Property holding a cell's total in the GeoJSON features.
TOTAL_FIELD: Final[str] = "count"


def count_breaks(top: int, *, n_classes: int = len(COUNT_COLOURS)) -> list[int]:
    """Upper bounds of the count classes: geometric steps from 1 to ``top`` (last is ``top``).

    Examples
    --------
    >>> count_breaks(1000)
    [3, 10, 32, 100, 316, 1000]
    >>> count_breaks(2)
    [1, 2]
    >>> count_breaks(0)
    []
    """
    if top < 1:
        return []
    steps = np.round(float(top) ** (np.arange(1, n_classes + 1) / n_classes)).astype("int64")
    return sorted({int(s) for s in steps if s >= 1} | {int(top)})


def class_colours(breaks: list[int]) -> list[str]:
    """The colour of each class of ``breaks`` (the darkest colours when there are few classes).

    Examples
    --------
    >>> class_colours([1, 2])
    ['#f03b20', '#bd0026']
    """
    return list(COUNT_COLOURS[len(COUNT_COLOURS) - len(breaks) :])


def combine_cells(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per occupied cell: ``ix, iy, count`` (all kinds) and one count column per kind.

    Examples
    --------
    >>> a = pd.DataFrame({"ix": [0, 1], "iy": [0, 0], "count": [2, 1]})
    >>> b = pd.DataFrame({"ix": [1], "iy": [0], "count": [5]})
    >>> combine_cells({"concerns": a, "placements": b}).values.tolist()
    [[0, 0, 2, 2, 0], [1, 0, 6, 1, 5]]
    """
    kinds = list(tables)
    parts = [t.assign(kind=k) for k, t in tables.items() if len(t)]
    if not parts:
        return pd.DataFrame({c: np.array([], dtype="int64") for c in ["ix", "iy", "count", *kinds]})
    if len(kinds) == 1:  # one kind: its table, with the total repeated under the kind's name
        only = tables[kinds[0]]
        out = pd.DataFrame(
            {
                "ix": only["ix"].to_numpy(dtype="int64"),
                "iy": only["iy"].to_numpy(dtype="int64"),
                TOTAL_FIELD: only["count"].to_numpy(dtype="int64"),
                kinds[0]: only["count"].to_numpy(dtype="int64"),
            }
        )
        return out.sort_values(["ix", "iy"], ignore_index=True)
    wide = (
        pd.concat(parts, ignore_index=True)
        .pivot_table(index=["ix", "iy"], columns="kind", values="count", aggfunc="sum")
        .reindex(columns=kinds)
        .fillna(0)
        .astype("int64")
    )
    wide.columns.name = None
    out = wide.reset_index()
    out.insert(2, TOTAL_FIELD, wide.sum(axis=1).to_numpy(dtype="int64"))
    return out.sort_values(["ix", "iy"], ignore_index=True)


def _cell_rings(combined: pd.DataFrame, *, size: float) -> np.ndarray:
    """``(n, 5, 2)`` closed WGS84 rings (lon, lat; 5 decimals) of the cells' squares."""
    n = len(combined)
    ix = combined["ix"].to_numpy(dtype="float64")
    iy = combined["iy"].to_numpy(dtype="float64")
    # corners anticlockwise from the south-west (converted once each), then closed
    dx = np.array([0, 1, 1, 0], dtype="float64")
    dy = np.array([0, 0, 1, 1], dtype="float64")
    east = ((ix[:, None] + dx[None, :]) * size).ravel()
    north = ((iy[:, None] + dy[None, :]) * size).ravel()
    lon, lat = bng_to_wgs84(east, north)
    corners = np.stack([np.round(lon, 5), np.round(lat, 5)], axis=1).reshape(n, 4, 2)
    return np.concatenate([corners, corners[:, :1, :]], axis=1)


def cell_geojson_text(
    combined: pd.DataFrame, *, cell: float
) -> tuple[str, list[list[float | None]]]:
    """Occupied cells as WGS84 squares (5 decimals) in compact GeoJSON text, and their bounds.

    Properties are the count columns. Formatted row by row instead of building and serialising
    a dict per cell (the tests compare it with that): a few thousand cells in milliseconds.

    Returns
    -------
    (str, list)
        The FeatureCollection as JSON and ``[[south, west], [north, east]]``.

    Examples
    --------
    >>> import json
    >>> t = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [3], "concerns": [3]})
    >>> text, bounds = cell_geojson_text(t, cell=200)
    >>> f = json.loads(text)["features"][0]
    >>> f["properties"], len(f["geometry"]["coordinates"][0]), bounds[0][0] < bounds[1][0]
    ({'count': 3, 'concerns': 3}, 5, True)
    """
    size = check_cell(cell)
    n = len(combined)
    if n == 0:
        return '{"type":"FeatureCollection","features":[]}', [[None, None], [None, None]]
    rings = _cell_rings(combined, size=size)
    if not np.isfinite(rings).all():
        raise ParameterError("cells outside the British National Grid cannot be drawn")
    fields = [c for c in combined.columns if c not in ("ix", "iy")]
    props = ",".join(json.dumps(f).replace("%", "%%") + ":%d" for f in fields)
    coords = ",".join(["[%r,%r]"] * 5)
    template = (
        '{"type":"Feature","id":%d,"properties":{'
        + props
        + '},"geometry":{"type":"Polygon","coordinates":[['
        + coords
        + "]]}}"
    )
    ids = np.arange(n, dtype="int64")[:, None]
    values = combined[fields].to_numpy(dtype="int64")
    ints = np.concatenate([ids, values], axis=1).tolist()
    floats = rings.reshape(n, 10).tolist()
    body = ",".join(template % (*i, *f) for i, f in zip(ints, floats, strict=True))
    flat = rings.reshape(-1, 2)
    (west, south), (east, north) = flat.min(axis=0), flat.max(axis=0)
    bounds: list[list[float | None]] = [[float(south), float(west)], [float(north), float(east)]]
    return '{"type":"FeatureCollection","features":[' + body + "]}", bounds


def cell_layer(
    tables: Mapping[str, pd.DataFrame],
    *,
    cell: float,
    labels: Mapping[str, str],
) -> tuple[TextGeoJson, list[int]]:
    """One GeoJSON layer of the occupied cells of ``tables``, coloured by total count.

    The colour classes are applied in the browser (:class:`app.maps.map_elements.TextGeoJson`), so
    building and rendering the layer costs one serialisation, whatever the number of cells.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Point kind -> cell-count table (:func:`app.maps.cells.cell_counts`), all with edge ``cell``.
    cell : float
        Cell edge in metres.
    labels : mapping of str to str
        Display name of each kind (shown in the tooltip, escaped).

    Returns
    -------
    (TextGeoJson, list of int)
        The layer and the upper bounds of its count classes (:func:`count_breaks`).

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [2073, 2074], "iy": [2085, 2085], "count": [1, 9]})
    >>> layer, breaks = cell_layer({"concerns": t}, cell=200, labels={"concerns": "Concerns"})
    >>> layer.n_features, breaks
    (2, [1, 2, 3, 4, 6, 9])
    """
    combined = combine_cells(tables)
    top = int(combined[TOTAL_FIELD].max()) if len(combined) else 0
    breaks = count_breaks(top)
    kinds = list(tables)
    aliases = [f"Records in this {cell:g} m cell"] + [labels.get(k, k) for k in kinds]
    text, bounds = cell_geojson_text(combined, cell=cell)
    layer = TextGeoJson(
        text,
        bounds=bounds,
        style={"weight": 0.4, "fillOpacity": 0.75},
        colour_field=TOTAL_FIELD,
        breaks=breaks,
        colours=class_colours(breaks),
        tooltip_fields=[TOTAL_FIELD, *kinds],
        tooltip_aliases=aliases,
        n_features=len(combined),
    )
    return layer, breaks


def cell_legend_html(breaks: list[int], *, cell: float, counts: Mapping[str, int]) -> str:
    """Legend of the cell layer: the count classes and the records of each kind (escaped).

    Examples
    --------
    >>> "1–3" in cell_legend_html([3, 10], cell=400, counts={"Concerns": 10})
    True
    """
    colours = class_colours(breaks)
    rows = []
    low = 1
    for high, colour in zip(breaks, colours, strict=True):
        text = f"{low:,}" if low == high else f"{low:,}–{high:,}"
        rows.append(
            f'<div><span style="display:inline-block;width:12px;height:12px;'
            f'background:{colour};margin-right:6px;vertical-align:middle"></span>{text}</div>'
        )
        low = high + 1
    kinds = "".join(f"<div>{html.escape(k)}: {n:,}</div>" for k, n in counts.items())
    return (
        '<div class="csmap-legend" style="'
        "background:rgba(255,255,255,0.9);padding:6px 8px;border-radius:4px;"
        'font:12px sans-serif;box-shadow:0 0 4px rgba(0,0,0,0.3)">'
        f"<div><b>Records per {cell:g} m cell</b></div>{''.join(rows)}"
        f"<div style='margin-top:4px'><i>aggregated on the server</i></div>{kinds}</div>"
    )
