"""Map layers of the hotspot explorer: hotspot polygons, emerging categories, venues, WebGL view.

Pure map building (folium, pydeck; no Streamlit). The explorer map is the record map of
:func:`app.maps.folium_map.build_record_map` (LA/ward/LSOA boundaries as the base map, records as
points up to
:data:`app.maps.folium_map.MAX_POINTS`, else server-side counts per grid cell) plus:

* one polygon layer per hotspot result (Gi* cells, KDE contours, clusters, repeat locations...),
  coloured by label; on grid methods only significant cells are drawn (the others are the
  background), so a 10,000-cell grid never becomes 10,000 polygons in the browser;
* the emerging hot spot categories (:data:`analysis.spacetime.emerging.CATEGORY_STYLES`), when
computed;
* venues (circle markers);
* a legend naming each layer and whether it counts events or is population-adjusted.

Every tooltip value is HTML-escaped. :func:`hotspot_deck_layers` adds the hotspot polygons to the
opt-in WebGL view of :func:`app.maps.deck.build_count_deck` (cell counts from
:mod:`app.maps.cells`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
import pydeck as pdk

from analysis.inference import CLUSTER, COLD, HOT, NOT_SIGNIFICANT
from analysis.spacetime.emerging import CATEGORY_STYLES, NO_PATTERN
from app.maps.folium_map import MAX_POINTS, RecordMap, build_record_map, to_wgs84
from app.maps.vendor import assert_offline
from geo.places.boundaries import StudyArea

#: Fill colour of each hotspot label.
LABEL_COLOURS: Final[dict[str, str]] = {
    HOT: "#d7191c",
    COLD: "#2c7bb6",
    CLUSTER: "#7b3294",
    NOT_SIGNIFICANT: "#bdbdbd",
}
#: Layer names of each method's result.
METHOD_LAYERS: Final[dict[str, str]] = {
    "gi": "Gi* cells",
    "kde": "KDE contours",
    "dual-kde": "Dual KDE (relative risk)",
    "dbscan": "Clusters (DBSCAN)",
    "hdbscan": "Clusters (HDBSCAN)",
    "repeat": "Repeat locations",
    "scan": "Scan clusters",
}
#: Result columns shown in a hotspot's tooltip (those present).
TOOLTIP_FIELDS: Final[tuple[str, ...]] = (
    "hotspot_id",
    "label",
    "adjustment",
    "n_events",
    "expected",
    "rate_ratio",
    "z",
    "q_value",
    "category",
)
VENUE_COLOUR: Final[str] = "#1b7837"


def _escaped_text(frame: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Fields as short, escaped text (floats to 3 significant digits, NaN to blank)."""
    out = pd.DataFrame(index=frame.index)
    for name in fields:
        values = frame[name]
        if pd.api.types.is_float_dtype(values):
            text = values.map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
        else:
            text = values.astype("string").fillna("")
        out[name] = text.map(html.escape).astype(object)
    return out


def drawn_hotspots(result: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows of a result worth drawing: everything except ``not significant`` cells.

    Examples
    --------
    >>> import shapely
    >>> r = gpd.GeoDataFrame({"label": ["hot", "not significant", "cold"]},
    ...     geometry=[shapely.box(0, 0, 1, 1)] * 3, crs=27700)
    >>> drawn_hotspots(r).index.tolist()
    [0, 2]
    """
    keep = result["label"].ne(NOT_SIGNIFICANT) & result.geometry.notna()
    return result.loc[keep.to_numpy()]


def hotspot_layer(
    result: gpd.GeoDataFrame, *, name: str, show: bool = True, colour_by: str = "label"
) -> folium.FeatureGroup:
    """One result's hotspots as a polygon layer with escaped tooltips.

    Parameters
    ----------
    result : geopandas.GeoDataFrame
        A standard result (:mod:`analysis.hotspots.result`) in EPSG:27700.
    name : str
        Layer name in the layer control.
    show : bool
        Whether the layer starts visible.
    colour_by : {"label", "category"}
        ``category`` colours emerging hot spot categories.

    Returns
    -------
    folium.FeatureGroup

    Examples
    --------
    >>> import shapely
    >>> r = gpd.GeoDataFrame({"label": ["hot"], "n_events": [3]},
    ...     geometry=[shapely.box(414000, 417000, 414500, 417500)], crs=27700)
    >>> m = folium.Map(tiles=None)
    >>> _ = hotspot_layer(r, name="x").add_to(m)
    >>> "Feature" in m.get_root().render()
    True
    """
    group = folium.FeatureGroup(name=name, show=show)
    if colour_by == "category" and "category" in result.columns:
        # emerging categories describe every step: a historical hot spot is not significant now
        keep = result["category"].ne(NO_PATTERN) & result.geometry.notna()
        shown = result.loc[keep.to_numpy()]
        colours = shown["category"].map(
            lambda c: CATEGORY_STYLES.get(str(c), {}).get("colour", "#999999")
        )
    else:
        shown = drawn_hotspots(result)
        colours = shown["label"].map(lambda lab: LABEL_COLOURS.get(str(lab), "#999999"))
    if len(shown) == 0:
        return group
    fields = [f for f in TOOLTIP_FIELDS if f in shown.columns]
    data = _escaped_text(shown, fields)
    data["_fill"] = colours.to_numpy()
    gdf = gpd.GeoDataFrame(data, geometry=to_wgs84(shown.geometry, decimals=6), crs=4326)
    folium.GeoJson(
        gdf.to_geo_dict(show_bbox=False, drop_id=True),
        style_function=lambda f: {
            "color": f["properties"]["_fill"],
            "weight": 1,
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
    ).add_to(group)
    return group


def venue_layer(venues: gpd.GeoDataFrame, *, name: str = "Venues", show: bool = False) -> Any:
    """Venues as small green circle markers (name and type in the escaped tooltip).

    Examples
    --------
    >>> import shapely
    >>> v = gpd.GeoDataFrame({"name": ["<b>Bar</b>"], "venue_type": ["licensed premises"]},
    ...     geometry=[shapely.Point(414000, 417000)], crs=27700)
    >>> geojson = next(iter(venue_layer(v)._children.values()))
    >>> geojson.data["features"][0]["properties"]["name"]
    '&lt;b&gt;Bar&lt;/b&gt;'
    """
    group = folium.FeatureGroup(name=f"{name} ({len(venues):,})", show=show)
    ok = venues.geometry.notna() & ~venues.geometry.is_empty
    shown = venues.loc[ok.to_numpy()]
    if len(shown) == 0:
        return group
    fields = [f for f in ("name", "venue_type") if f in shown.columns]
    data = _escaped_text(shown, fields)
    gdf = gpd.GeoDataFrame(data, geometry=to_wgs84(shown.geometry, decimals=6), crs=4326)
    folium.GeoJson(
        gdf.to_geo_dict(show_bbox=False, drop_id=True),
        marker=folium.CircleMarker(
            radius=3, color=VENUE_COLOUR, weight=1, fill=True, fill_opacity=0.8
        ),
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
    ).add_to(group)
    return group


def result_legend(result: gpd.GeoDataFrame, *, method: str) -> list[tuple[str, str]]:
    """Legend entries (text, colour) for one result: its labels and adjustment.

    Examples
    --------
    >>> import shapely
    >>> r = gpd.GeoDataFrame({"label": ["hot", "cold"], "adjustment": ["count", "count"]},
    ...     geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=27700)
    >>> result_legend(r, method="gi")
    [('Gi* cells (count): hot (1)', '#d7191c'), ('Gi* cells (count): cold (1)', '#2c7bb6')]
    """
    layer = METHOD_LAYERS.get(method, method)
    adj = ""
    if "adjustment" in result.columns and len(result):
        adj = f" ({result['adjustment'].iloc[0]})"
    counts = result["label"].value_counts()
    return [
        (f"{layer}{adj}: {label} ({int(counts[label]):,})", LABEL_COLOURS[label])
        for label in (HOT, COLD, CLUSTER)
        if label in counts.index
    ]


def emerging_legend(result: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Legend entries for the emerging categories present (no pattern left out).

    Examples
    --------
    >>> import shapely
    >>> r = gpd.GeoDataFrame({"category": ["new hot spot", "no pattern detected"]},
    ...     geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=27700)
    >>> emerging_legend(r)
    [('Emerging: new hot spot (1)', '#7f0000')]
    """
    counts = result["category"].value_counts()
    return [
        (f"Emerging: {cat} ({int(counts[cat]):,})", style["colour"])
        for cat, style in CATEGORY_STYLES.items()
        if cat != NO_PATTERN and cat in counts.index
    ]


def legend_html(entries: Sequence[tuple[str, str]], *, title: str) -> str:
    """A fixed legend box (bottom right) with escaped text and square swatches.

    Examples
    --------
    >>> "&lt;i&gt;" in legend_html([("<i>", "#000")], title="Hotspots")
    True
    """
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;opacity:0.7;'
        f'background:{html.escape(colour)};margin-right:6px"></span>{html.escape(text)}</div>'
        for text, colour in entries
    )
    return (
        '<div class="csmap-hotspot-legend" style="position:absolute;bottom:24px;right:10px;'
        "z-index:1000;background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;"
        f'font:12px sans-serif;box-shadow:0 0 4px rgba(0,0,0,0.3)"><b>{html.escape(title)}</b>'
        f"{rows}</div>"
    )


def layer_control_last(fmap: folium.Map) -> None:
    """Move the map's layer control(s) after every layer, so its script runs last.

    folium writes each child's script in the order the children were added, and a
    ``LayerControl`` lists, when rendered, every overlay on the map, including those added after
    it. Its script then refers to layer variables that are declared later (still ``undefined``)
    and Leaflet throws ``Cannot read properties of undefined (reading 'setZIndex')``: the rest of
    the map script never runs, so the later layers are not drawn and streamlit-folium never sets
    the iframe's height (the map is invisible). :func:`app.maps.folium_map.build_record_map` adds
    its
    control before the explorer adds the hotspot layers, hence this step.

    Parameters
    ----------
    fmap : folium.Map
        Changed in place.

    Examples
    --------
    >>> m = folium.Map(tiles=None)
    >>> _ = folium.LayerControl().add_to(m)
    >>> _ = folium.FeatureGroup(name="late").add_to(m)
    >>> layer_control_last(m)
    >>> type(list(m._children.values())[-1]).__name__
    'LayerControl'
    """
    children = fmap._children  # branca keeps children in an OrderedDict, in render order
    for name in [n for n, c in children.items() if isinstance(c, folium.LayerControl)]:
        children.move_to_end(name)


def build_explorer_map(
    points: Mapping[str, gpd.GeoDataFrame],
    *,
    area: StudyArea,
    results: Sequence[tuple[str, gpd.GeoDataFrame]] = (),
    emerging: gpd.GeoDataFrame | None = None,
    venues: gpd.GeoDataFrame | None = None,
    tiles: bool = False,
    max_points: int = MAX_POINTS,
    show_lsoas: bool = False,
) -> RecordMap:
    """The explorer map: boundaries, records, hotspot results, emerging categories, venues.

    Parameters
    ----------
    points : mapping of str to GeoDataFrame
        Record point sets by point kind (see :func:`app.maps.folium_map.build_record_map`); pass an
        empty
        mapping to draw no records (e.g. for roles without record-level access).
    area : StudyArea
        Boundaries (LA, wards, LSOAs) drawn as the base map.
    results : sequence of (method, GeoDataFrame)
        Hotspot results to draw, each as its own layer.
    emerging : GeoDataFrame, optional
        :func:`analysis.spacetime.emerging.emerging_hotspots` output.
    venues : GeoDataFrame, optional
        Venues (EPSG:27700) with ``name`` and ``venue_type``.
    tiles, max_points, show_lsoas
        As :func:`app.maps.folium_map.build_record_map`.

    Returns
    -------
    app.maps.folium_map.RecordMap

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> rm = build_explorer_map({}, area=load_area("kirklees"))  # doctest: +SKIP
    >>> rm.counts  # doctest: +SKIP
    {}
    """
    built = build_record_map(
        points, area=area, tiles=tiles, max_points=max_points, show_lsoas=show_lsoas
    )
    legend: list[tuple[str, str]] = []
    for method, result in results:
        name = METHOD_LAYERS.get(method, method)
        if "adjustment" in result.columns and len(result):
            name = f"{name} ({result['adjustment'].iloc[0]})"
        hotspot_layer(result, name=name).add_to(built.fmap)
        legend.extend(result_legend(result, method=method))
    if emerging is not None and "category" in emerging.columns:
        hotspot_layer(emerging, name="Emerging hot spots", colour_by="category").add_to(built.fmap)
        legend.extend(emerging_legend(emerging))
    if venues is not None and len(venues):
        venue_layer(venues).add_to(built.fmap)
        legend.append((f"Venues ({len(venues):,})", VENUE_COLOUR))
    if results or emerging is not None:
        note = ("not significant cells not drawn", "#ffffff")
        entries = [*legend, note] if any(m in ("gi", "scan") for m, _ in results) else legend
        built.fmap.get_root().html.add_child(  # type: ignore[attr-defined]
            folium.Element(legend_html(entries or [("no hotspots", "#ffffff")], title="Hotspots"))
        )
    layer_control_last(built.fmap)  # after every layer, or the map script throws
    assert_offline(built.fmap)
    return built


def hotspot_deck_layers(results: Sequence[tuple[str, gpd.GeoDataFrame]]) -> list[pdk.Layer]:
    """Hotspot polygons as pydeck layers for the WebGL view
    (:func:`app.maps.deck.build_count_deck`).

    Only drawn hotspots (:func:`drawn_hotspots`); each feature has the tooltip properties ``t``
    (escaped label) and ``n`` (events).

    Examples
    --------
    >>> import shapely
    >>> r = gpd.GeoDataFrame({"label": ["hot"], "n_events": [4.0]},
    ...     geometry=[shapely.box(414000, 417000, 414200, 417200)], crs=27700)
    >>> [layer.type for layer in hotspot_deck_layers([("gi", r)])]
    ['GeoJsonLayer']
    """
    layers: list[pdk.Layer] = []
    for _method, result in results:
        shown = drawn_hotspots(result)
        if len(shown) == 0:
            continue
        geo = gpd.GeoDataFrame(
            {
                "t": shown["label"].astype(str).map(html.escape).to_numpy(),
                "n": shown["n_events"].to_numpy(dtype=float),
            },
            geometry=to_wgs84(shown.geometry, decimals=6).to_numpy(),
            crs=4326,
        )
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                data=geo.__geo_interface__,
                stroked=True,
                filled=True,
                get_fill_color=[215, 25, 28, 90],
                get_line_color=[215, 25, 28],
                line_width_min_pixels=1,
                pickable=True,
            )
        )
    return layers
