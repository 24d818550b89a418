"""The explorer map's script declares every layer before the layer control uses it (issue #4).

folium writes children's scripts in the order they were added, and a ``LayerControl`` lists every
overlay on the map at render time. When the hotspot layers were added after the record map's
control, the control's script referred to ``feature_group_...`` variables that were still
``undefined``; Leaflet threw on ``setZIndex``, the hotspot layers were never drawn and
streamlit-folium never sized the iframe. These tests check the order in the rendered HTML (the
browser check is in ``tests/browser/test_explorer.py``).
"""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import pytest
import shapely

from app.maps.folium_map import build_record_map
from app.maps.layers import LABEL_COLOURS, build_explorer_map, layer_control_last
from geo.places.boundaries import StudyArea, load_area

CONTROL = re.compile(r"L\.control\.layers\(")
OVERLAY = re.compile(r'"[^"\n]*"\s*:\s*(feature_group_[0-9a-f_]+|[a-z_]+_[0-9a-f]{32})\s*,')


def _declared_at(html: str, name: str) -> int:
    match = re.search(rf"var {re.escape(name)} = L\.", html)
    assert match is not None, f"{name} is never declared"
    return match.start()


def _late_references(html: str) -> list[str]:
    """Layer variables the layer control uses before their declaration."""
    control = CONTROL.search(html)
    assert control is not None, "no layer control in the map"
    block_start = html.rfind("_layers = {", 0, control.start())
    names = OVERLAY.findall(html[block_start : control.start()])
    assert names, "the layer control lists no overlays"
    return [n for n in names if _declared_at(html, n) > control.start()]


@pytest.fixture(scope="module")
def area() -> StudyArea:
    return load_area("kirklees")


def _gi_result() -> gpd.GeoDataFrame:
    cells = [shapely.box(414000 + 500 * i, 417000, 414500 + 500 * i, 417500) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "hotspot_id": [1, 2, 3],
            "label": ["hot", "hot", "not significant"],
            "adjustment": ["count"] * 3,
            "n_events": [9, 7, 0],
        },
        geometry=cells,
        crs=27700,
    )


def test_check_detects_a_control_added_before_a_layer(area: StudyArea) -> None:
    # the situation before the fix: record map (with its control), then one more layer
    before = build_record_map({}, area=area)
    folium.FeatureGroup(name="late layer").add_to(before.fmap)
    assert len(_late_references(before.fmap.get_root().render())) == 1
    # a fresh map (a rendered figure keeps its first script order), fixed before rendering
    after = build_record_map({}, area=area)
    folium.FeatureGroup(name="late layer").add_to(after.fmap)
    layer_control_last(after.fmap)
    assert _late_references(after.fmap.get_root().render()) == []


def test_explorer_map_declares_hotspot_layers_before_the_control(area: StudyArea) -> None:
    venues = gpd.GeoDataFrame(
        {"name": ["Bar"], "venue_type": ["licensed premises"]},
        geometry=[shapely.Point(414200, 417200)],
        crs=27700,
    )
    emerging = _gi_result().assign(category=["new hot spot", "no pattern detected", "sporadic"])
    built = build_explorer_map(
        {}, area=area, results=[("gi", _gi_result())], emerging=emerging, venues=venues
    )
    html = built.fmap.get_root().render()
    assert _late_references(html) == []
    # boundaries (3) + Gi* + emerging + venues are all in the control
    control = CONTROL.search(html)
    assert control is not None
    block = html[html.rfind("_layers = {", 0, control.start()) : control.start()]
    assert len(OVERLAY.findall(block)) == 6
    assert '"Gi* cells (count)"' in block
    # the hot fill is in the page script (two hot cells, the not significant one left out)
    assert html.count(f'"_fill": "{LABEL_COLOURS["hot"]}"') == 2
    # and the control is the map's last child, so nothing can be added after it
    assert isinstance(list(built.fmap._children.values())[-1], folium.LayerControl)
