"""The folium layer of aggregated records: one GeoJSON layer of occupied grid cells, by count.

Above :data:`app.maps.MAX_POINTS` points no record travels to the browser. The server counts the
points per British National Grid cell (:mod:`app.cells`), coarsens the cells until at most
:data:`app.cells.MAX_CELLS` are occupied (:func:`app.cells.fit_cells`), and this module draws the
occupied cells as squares (corners converted with OSTN15) in one ``folium.GeoJson`` layer on the
map's canvas renderer: coloured by the number of records in the cell (six classes in geometric
steps up to the largest count), with the count of each point kind in the tooltip and a legend.
The map renders offline in the same streamlit-folium iframe as the small-data map.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Final

import folium
import numpy as np
import pandas as pd

from app.cells import check_cell
from geo.coords import bng_to_wgs84

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


def cell_geojson(combined: pd.DataFrame, *, cell: float) -> dict[str, Any]:
    """Occupied cells as WGS84 squares (5 decimals): properties are the count columns.

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [3], "concerns": [3]})
    >>> fc = cell_geojson(t, cell=200)
    >>> f = fc["features"][0]
    >>> f["properties"], len(f["geometry"]["coordinates"][0])
    ({'count': 3, 'concerns': 3}, 5)
    """
    size = check_cell(cell)
    n = len(combined)
    ix = combined["ix"].to_numpy(dtype="float64")
    iy = combined["iy"].to_numpy(dtype="float64")
    # corners anticlockwise from the south-west, closed
    dx = np.array([0, 1, 1, 0, 0], dtype="float64")
    dy = np.array([0, 0, 1, 1, 0], dtype="float64")
    east = ((ix[:, None] + dx[None, :]) * size).ravel()
    north = ((iy[:, None] + dy[None, :]) * size).ravel()
    lon, lat = bng_to_wgs84(east, north)
    ring = np.stack([np.round(lon, 5), np.round(lat, 5)], axis=1).reshape(n, 5, 2).tolist()
    fields = [c for c in combined.columns if c not in ("ix", "iy")]
    values = combined[fields].to_numpy(dtype="int64").tolist()
    features = [
        {
            "type": "Feature",
            "id": i,
            "properties": dict(zip(fields, row, strict=True)),
            "geometry": {"type": "Polygon", "coordinates": [ring[i]]},
        }
        for i, row in enumerate(values)
    ]
    return {"type": "FeatureCollection", "features": features}


def cell_layer(
    tables: Mapping[str, pd.DataFrame],
    *,
    cell: float,
    labels: Mapping[str, str],
    name: str = "Records per cell",
) -> tuple[folium.GeoJson, list[int]]:
    """One GeoJSON layer of the occupied cells of ``tables``, coloured by total count.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Point kind -> cell-count table (:func:`app.cells.cell_counts`), all with edge ``cell``.
    cell : float
        Cell edge in metres.
    labels : mapping of str to str
        Display name of each kind (shown in the tooltip, escaped).
    name : str
        Layer name in the layer control.

    Returns
    -------
    (folium.GeoJson, list of int)
        The layer and the upper bounds of its count classes (:func:`count_breaks`).

    Examples
    --------
    >>> t = pd.DataFrame({"ix": [2073, 2074], "iy": [2085, 2085], "count": [1, 9]})
    >>> layer, breaks = cell_layer({"concerns": t}, cell=200, labels={"concerns": "Concerns"})
    >>> len(layer.data["features"]), breaks
    (2, [1, 2, 3, 4, 6, 9])
    """
    combined = combine_cells(tables)
    top = int(combined[TOTAL_FIELD].max()) if len(combined) else 0
    breaks = count_breaks(top)
    colours = class_colours(breaks)
    bounds = np.asarray(breaks, dtype="int64")

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        n = int(feature["properties"][TOTAL_FIELD])
        colour = colours[min(int(np.searchsorted(bounds, n)), len(colours) - 1)]
        return {"fillColor": colour, "color": colour, "weight": 0.4, "fillOpacity": 0.75}

    kinds = list(tables)
    aliases = [f"Records in this {cell:g} m cell"] + [labels.get(k, k) for k in kinds]
    layer = folium.GeoJson(
        cell_geojson(combined, cell=cell),
        name=name,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=[TOTAL_FIELD, *kinds], aliases=[html.escape(a) for a in aliases]
        ),
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
        '<div class="csmap-legend" style="position:absolute;bottom:24px;left:10px;z-index:1000;'
        "background:rgba(255,255,255,0.9);padding:6px 8px;border-radius:4px;"
        'font:12px sans-serif;box-shadow:0 0 4px rgba(0,0,0,0.3)">'
        f"<div><b>Records per {cell:g} m cell</b></div>{''.join(rows)}"
        f"<div style='margin-top:4px'><i>aggregated on the server</i></div>{kinds}</div>"
    )
