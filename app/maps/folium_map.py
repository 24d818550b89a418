"""Folium maps of records over the study area's boundaries, with nothing loaded from the internet.

Boundaries (LA outline, wards, LSOAs) are the base map; web tiles are an explicit opt-in with
their attribution. Up to ``max_points`` points draw as canvas circle markers (one GeoJSON layer per
kind) with escaped popups; beyond that no point is sent: the points are counted per grid cell on
the server and drawn as one layer of cells (:mod:`app.maps.cell_map`, at most
:data:`app.maps.cells.MAX_CELLS` cells), so a million records never become a million markers.
:func:`build_count_map` draws that layer straight from precomputed cell counts (the Map page's
cached point index), in a feature group (``RecordMap.overlay``) that :mod:`app.maps.folium_view`
swaps
in the browser on a filter change while the base map stays. Boundaries are serialised once per
study area (:class:`app.maps.map_elements.TextGeoJson`). :func:`app.maps.vendor.assert_offline` is
run on
every map built here.
"""

from __future__ import annotations

import html
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.maps.cell_map import cell_layer, cell_legend_html
from app.maps.cells import DEFAULT_CELL, MAX_CELLS, fit_cells, points_cell_counts
from app.maps.map_elements import LayerLegend, TextGeoJson, geojson_bounds, geojson_text
from app.maps.vendor import assert_offline, use_local_assets
from geo.locate.coords import bng_to_wgs84
from geo.places.boundaries import StudyArea

#: Default number of points above which layers are aggregated instead of drawn one by one.
MAX_POINTS = 10_000

#: Display name and colour of each point kind.
POINT_STYLES: dict[str, tuple[str, str]] = {
    "concerns": ("Concerns", "#c0392b"),
    "missing_last_seen": ("Missing: last seen", "#e67e22"),
    "missing_found": ("Missing: found", "#2471a3"),
    "placements": ("Placements", "#7d3c98"),
}

#: Fields shown in a point's popup, per point kind (only those present are shown).
POPUP_FIELDS: dict[str, tuple[str, ...]] = {
    "concerns": (
        "record_id",
        "reported_date",
        "category",
        "location_type",
        "reporting_agency",
        "risk_level",
        "place_name",
        "location_precision",
    ),
    "missing_last_seen": ("episode_id", "start", "end", "episode_type", "risk_level"),
    "missing_found": ("episode_id", "start", "end", "episode_type", "risk_level"),
    "placements": ("placement_id", "start_date", "placement_type", "placing_authority"),
}

#: A layer prepared once: (GeoJSON text, bounds ``[[s, w], [n, e]]``, number of features).
_Prepared = tuple[str, list[list[float | None]], int]

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


@dataclass
class RecordMap:
    """A built map and what it shows."""

    fmap: folium.Map
    counts: dict[str, int] = field(default_factory=dict)
    mode: str = "points"  # "points" or "cells" (aggregated per grid cell)
    cell: float | None = None  # cell edge (metres) in "cells" mode
    n_cells: int = 0  # cells sent in "cells" mode
    #: The layer (with its legend) that changes with the filters while the base map (boundaries)
    #: stays the same; :func:`app.maps.folium_view.show_map` sends it apart so that a filter change
    #: redraws only this layer in the browser. ``None``: the whole map is one piece.
    overlay: folium.FeatureGroup | None = None


def to_wgs84(geoms: gpd.GeoSeries, *, decimals: int | None = None) -> gpd.GeoSeries:
    """Reproject EPSG:27700 geometries to WGS84 with OSTN15 (not pyproj's Helmert fallback).

    ``decimals`` rounds the degrees (5 decimals is about 1 m) to keep map payloads small.

    Examples
    --------
    >>> g = to_wgs84(gpd.GeoSeries([shapely.Point(414639.63, 417076.07)], crs=27700))
    >>> round(g.iloc[0].x, 4), round(g.iloc[0].y, 4)
    (-1.78, 53.65)
    """

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = bng_to_wgs84(xy[:, 0], xy[:, 1])
        out = np.column_stack([lon, lat])
        return out if decimals is None else np.round(out, decimals)

    out = shapely.transform(np.asarray(geoms.values, dtype=object), convert)
    return gpd.GeoSeries(out, index=geoms.index, crs=4326)


def popup_html(row: Mapping[str, Any], fields: Sequence[str]) -> str:
    """A small HTML table of ``fields``; every name and value is escaped.

    Examples
    --------
    >>> popup_html({"summary": "<script>x</script>"}, ["summary"])
    '<table><tr><th>summary</th><td>&lt;script&gt;x&lt;/script&gt;</td></tr></table>'
    """
    cells = []
    for name in fields:
        if name not in row:
            continue
        value = row[name]
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            continue
        if isinstance(value, pd.Timestamp):
            value = value.strftime("%Y-%m-%d")
        cells.append(
            f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(str(value))}</td></tr>"
        )
    return "<table>" + "".join(cells) + "</table>"


def drop_small_holes(geoms: gpd.GeoSeries, *, min_area_m2: float) -> gpd.GeoSeries:
    """Remove interior rings smaller than ``min_area_m2`` (slivers left by dissolving LSOAs).

    Examples
    --------
    >>> ring = shapely.box(0, 0, 100, 100).difference(shapely.box(10, 10, 11, 11))
    >>> len(drop_small_holes(gpd.GeoSeries([ring]), min_area_m2=10).iloc[0].interiors)
    0
    """

    def clean(geom: Any) -> Any:
        if geom is None or geom.is_empty:
            return geom
        parts = getattr(geom, "geoms", [geom])
        kept = [
            shapely.Polygon(
                p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= min_area_m2]
            )
            for p in parts
        ]
        return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)

    return gpd.GeoSeries([clean(g) for g in geoms], index=geoms.index, crs=geoms.crs)


#: Serialised boundary layers per study area: {(name, simplify_m): (GeoJSON text, bounds, n)}.
_BOUNDARY_TEXT: weakref.WeakKeyDictionary[StudyArea, dict[tuple[str, float], _Prepared]] = (
    weakref.WeakKeyDictionary()
)


def _boundary_text(
    area: StudyArea,
    frame: gpd.GeoDataFrame,
    *,
    name: str,
    tooltip: Sequence[str],
    simplify_m: float,
) -> _Prepared:
    """One boundary layer as escaped, simplified WGS84 GeoJSON text (computed once per area)."""
    cache = _BOUNDARY_TEXT.setdefault(area, {})
    key = (name, float(simplify_m))
    if key not in cache:
        cols = [c for c in tooltip if c in frame.columns]
        data = frame[cols].astype(str).apply(lambda s: s.map(html.escape))
        geoms = drop_small_holes(frame.geometry, min_area_m2=50_000).simplify(simplify_m)
        shown = gpd.GeoDataFrame(data, geometry=to_wgs84(geoms, decimals=5), crs=4326)
        collection = shown.to_geo_dict(show_bbox=False, drop_id=True)
        cache[key] = (geojson_text(collection), geojson_bounds(collection), len(shown))
    return cache[key]


def _boundary_layer(
    area: StudyArea,
    frame: gpd.GeoDataFrame,
    *,
    name: str,
    color: str,
    weight: float,
    tooltip: Sequence[str],
    show: bool,
    simplify_m: float,
) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=show)
    text, bounds, n = _boundary_text(area, frame, name=name, tooltip=tooltip, simplify_m=simplify_m)
    cols = [c for c in tooltip if c in frame.columns]
    TextGeoJson(
        text,
        bounds=bounds,
        style={"color": color, "weight": weight, "fillOpacity": 0.0},
        tooltip_fields=cols,
        n_features=n,
    ).add_to(group)
    return group


def _popup_properties(frame: gpd.GeoDataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Popup fields as escaped text (folium's GeoJsonPopup inserts values as HTML)."""
    out = pd.DataFrame(index=frame.index)
    for name in fields:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d")
        else:
            text = values.astype("string")
        out[name] = text.fillna("").map(html.escape).astype(object)
    return out


def _point_layer(
    frame: gpd.GeoDataFrame, wgs: gpd.GeoSeries, *, kind: str, color: str
) -> folium.GeoJson:
    """All points of one kind as a single GeoJSON layer of canvas circle markers.

    One layer instead of one folium element per point keeps building the map fast (thousands
    of separate CircleMarker elements take tens of seconds to render server-side).
    """
    fields = [f for f in POPUP_FIELDS.get(kind, ()) if f in frame.columns]
    data = gpd.GeoDataFrame(_popup_properties(frame, fields), geometry=wgs, crs=4326)
    return folium.GeoJson(
        data.to_geo_dict(show_bbox=False, drop_id=True),
        marker=folium.CircleMarker(
            radius=4, color=color, weight=1, fill=True, fill_color=color, fill_opacity=0.7
        ),
        popup=folium.GeoJsonPopup(fields=fields, labels=True) if fields else None,
    )


def _legend_html(entries: Sequence[tuple[str, str]], *, mode: str) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        f'background:{html.escape(color)};margin-right:6px"></span>{html.escape(label)}</div>'
        for label, color in entries
    )
    note = "" if mode == "points" else "<div><i>aggregated</i></div>"
    return (
        '<div class="csmap-legend" style="position:absolute;bottom:24px;left:10px;z-index:1000;'
        "background:rgba(255,255,255,0.9);padding:6px 8px;border-radius:4px;"
        f'font:12px sans-serif;box-shadow:0 0 4px rgba(0,0,0,0.3)">{rows}{note}</div>'
    )


def _base_map(area: StudyArea, *, tiles: bool, show_lsoas: bool) -> folium.Map:
    """An empty canvas-rendered map of the study area with its LSOA, ward and LA boundaries."""
    use_local_assets()
    outline = to_wgs84(area.outline.geometry)
    minx, miny, maxx, maxy = outline.total_bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    if tiles:
        folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap").add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    for frame, name, color, weight, tooltip, show, simplify_m in (
        (area.lsoas, "LSOAs (2021)", "#aab7b8", 0.6, ("lsoa21cd", "lsoa21nm"), show_lsoas, 10),
        (area.wards, "Wards", "#566573", 1.2, ("ward_nm", "ward_cd"), True, 5),
        (area.outline, "Local authority", "#17202a", 2.5, ("lad_nm",), True, 20),
    ):
        _boundary_layer(
            area,
            frame,
            name=name,
            color=color,
            weight=weight,
            tooltip=tooltip,
            show=show,
            simplify_m=simplify_m,
        ).add_to(fmap)
    return fmap


def build_record_map(
    points: Mapping[str, gpd.GeoDataFrame],
    *,
    area: StudyArea,
    tiles: bool = False,
    max_points: int = MAX_POINTS,
    show_lsoas: bool = False,
    cell: float = DEFAULT_CELL,
    max_cells: int = MAX_CELLS,
) -> RecordMap:
    """Draw point sets over the study area's LA, ward and LSOA boundaries.

    Parameters
    ----------
    points : mapping of str to GeoDataFrame
        Point kind (``concerns``, ``missing_found``, ``missing_last_seen``, ``placements``) ->
        points in EPSG:27700 (null geometries are skipped).
    area : StudyArea
        Boundaries drawn as the base map.
    tiles : bool
        Add OpenStreetMap tiles (needs the internet; off by default).
    max_points : int
        Above this total, no point is drawn: the points are counted per grid cell on the server
        and drawn as cells (:func:`build_count_map`).
    show_lsoas : bool
        Whether the LSOA layer starts visible (it is always in the layer control).
    cell, max_cells
        Smallest cell edge (metres) and most cells of the aggregated map.

    Returns
    -------
    RecordMap

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> pts = gpd.GeoDataFrame(geometry=[shapely.Point(414640, 417076)], crs=27700)
    >>> rm = build_record_map({"concerns": pts}, area=load_area("kirklees"))  # doctest: +SKIP
    >>> rm.counts, rm.mode  # doctest: +SKIP
    ({'concerns': 1}, 'points')
    """
    clean = {k: g[g.geometry.notna() & ~g.geometry.is_empty] for k, g in points.items()}
    counts = {k: len(g) for k, g in clean.items()}
    if sum(counts.values()) > max_points:
        tables = {k: points_cell_counts(g, cell=cell) for k, g in clean.items()}
        return build_count_map(
            tables, area=area, cell=cell, tiles=tiles, show_lsoas=show_lsoas, max_cells=max_cells
        )
    fmap = _base_map(area, tiles=tiles, show_lsoas=show_lsoas)
    legend: list[tuple[str, str]] = []
    for kind, frame in clean.items():
        label, color = POINT_STYLES.get(kind, (kind, "#333333"))
        group = folium.FeatureGroup(name=f"{label} ({counts[kind]:,})", show=True)
        if len(frame):
            wgs = to_wgs84(frame.geometry, decimals=6)
            _point_layer(frame, wgs, kind=kind, color=color).add_to(group)
        group.add_to(fmap)
        legend.append((f"{label}: {counts[kind]:,}", color))
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(  # type: ignore[attr-defined]
        folium.Element(_legend_html(legend, mode="points"))
    )
    assert_offline(fmap)
    return RecordMap(fmap=fmap, counts=counts, mode="points")


def build_count_map(
    cells: Mapping[str, pd.DataFrame],
    *,
    area: StudyArea,
    cell: float = DEFAULT_CELL,
    tiles: bool = False,
    show_lsoas: bool = False,
    max_cells: int = MAX_CELLS,
) -> RecordMap:
    """Draw server-side cell counts (no points) over the study area's boundaries.

    The tables are coarsened by powers of two (:func:`app.maps.cells.fit_cells`) until at most
    ``max_cells`` cells are occupied, then drawn as one GeoJSON layer of squares coloured by the
    total count (:func:`app.maps.cell_map.cell_layer`), with the count of each kind in the tooltip.

    Parameters
    ----------
    cells : mapping of str to DataFrame
        Point kind -> cell-count table (:func:`app.maps.cells.cell_counts`) counted with edge
        ``cell``.
    area : StudyArea
        Boundaries drawn as the base map.
    cell : float
        The tables' cell edge in metres (the drawn edge may be a power-of-two multiple).
    tiles, show_lsoas
        As :func:`build_record_map`.
    max_cells : int
        Most cells sent to the browser.

    Returns
    -------
    RecordMap
        ``mode == "cells"``; ``counts`` are the points counted per kind, ``cell`` the drawn edge
        and ``n_cells`` the cells drawn.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> t = pd.DataFrame({"ix": [2073, 2074], "iy": [2085, 2085], "count": [4, 1]})
    >>> rm = build_count_map({"concerns": t}, area=load_area("kirklees"))  # doctest: +SKIP
    >>> rm.mode, rm.counts, rm.n_cells  # doctest: +SKIP
    ('cells', {'concerns': 5}, 2)
    """
    fitted, size = fit_cells(cells, cell=cell, max_cells=max_cells)
    counts = {k: int(t["count"].sum()) for k, t in fitted.items()}
    labels = {k: POINT_STYLES.get(k, (k, ""))[0] for k in fitted}
    fmap = _base_map(area, tiles=tiles, show_lsoas=show_lsoas)
    layer, breaks = cell_layer(fitted, cell=size, labels=labels)
    group = folium.FeatureGroup(name=f"Records per {size:g} m cell", show=True)
    layer.add_to(group)
    legend = cell_legend_html(breaks, cell=size, counts={labels[k]: n for k, n in counts.items()})
    LayerLegend(legend).add_to(group)
    group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    assert_offline(fmap)
    return RecordMap(
        fmap=fmap,
        counts=counts,
        mode="cells",
        cell=size,
        n_cells=layer.n_features,
        overlay=group,
    )
