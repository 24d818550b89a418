"""The light map elements (app.maps.map_elements), the cell layer's JSON and the swappable overlay.

The Map page's filter change at a million records stays under a second because (1) the cell
layer is written to JSON once and styled in the browser, and (2) only that layer changes between
reruns, so streamlit-folium keeps its iframe and swaps the layer in place. These tests pin both.
"""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app.maps import cell_map, folium_view, map_elements
from app.maps.cell_map import cell_geojson_text, cell_layer, combine_cells
from app.maps.folium_map import build_count_map
from app.maps.folium_view import split_overlay
from app.maps.map_elements import LayerLegend, TextGeoJson, geojson_bounds, geojson_text
from app.maps.vendor import missing_assets
from app.session import timing
from geo.errors import ParameterError
from geo.locate.coords import bng_to_wgs84
from geo.places.boundaries import load_area
from tests._app_store import (
    N_CONCERNS,
    N_CSE,
    N_MISSING,
    N_MISSING_FOUND,
    N_PLACEMENTS,
    build_store,
)

APP = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")


@pytest.mark.parametrize("module", [map_elements, folium_view, timing, cell_map])
def test_doctests_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


# --- the cell layer's JSON ---------------------------------------------------------------------

_CELLS = st.lists(
    st.tuples(
        st.integers(min_value=1800, max_value=2300),  # 200 m cells around Kirklees
        st.integers(min_value=1950, max_value=2150),
        st.integers(min_value=1, max_value=10**6),
        st.integers(min_value=0, max_value=500),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda t: (t[0], t[1]),
)


def cell_geojson(combined: pd.DataFrame, *, cell: float) -> dict[str, Any]:
    """Reference: the cells as a GeoJSON dict built feature by feature (the app's former way)."""
    n = len(combined)
    ix = combined["ix"].to_numpy(dtype="float64")
    iy = combined["iy"].to_numpy(dtype="float64")
    dx = np.array([0, 1, 1, 0, 0], dtype="float64")  # anticlockwise from the south-west, closed
    dy = np.array([0, 0, 1, 1, 0], dtype="float64")
    lon, lat = bng_to_wgs84(
        ((ix[:, None] + dx[None, :]) * cell).ravel(), ((iy[:, None] + dy[None, :]) * cell).ravel()
    )
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


@settings(max_examples=40, deadline=None)
@given(_CELLS)
def test_cell_text_is_the_cell_geojson(rows: list[tuple[int, int, int, int]]) -> None:
    concerns = pd.DataFrame({"ix": [r[0] for r in rows], "iy": [r[1] for r in rows]})
    concerns["count"] = [r[2] for r in rows]
    placements = concerns.assign(count=[r[3] for r in rows])
    placements = placements[placements["count"] > 0]
    combined = combine_cells({"concerns": concerns, "placements": placements})
    text, bounds = cell_geojson_text(combined, cell=200)
    parsed = json.loads(text)
    assert parsed == cell_geojson(combined, cell=200)
    assert bounds == geojson_bounds(parsed)
    assert [f["properties"]["count"] for f in parsed["features"]] == [
        r[2] + r[3] for r in sorted(rows)
    ]


def test_cell_text_of_no_cells_and_outside_the_grid() -> None:
    empty = combine_cells({"concerns": pd.DataFrame({"ix": [], "iy": [], "count": []})})
    assert json.loads(cell_geojson_text(empty, cell=200)[0]) == {
        "type": "FeatureCollection",
        "features": [],
    }
    far = pd.DataFrame({"ix": [10**6], "iy": [10**6], "count": [1], "concerns": [1]})
    with pytest.raises(ParameterError):
        cell_geojson_text(far, cell=200)


def test_one_kind_combines_like_several() -> None:
    a = pd.DataFrame({"ix": [3, 1, 1], "iy": [0, 2, 0], "count": [5, 1, 2]})
    none = pd.DataFrame({"ix": [], "iy": [], "count": []}, dtype="int64")
    one = combine_cells({"concerns": a})
    two = combine_cells({"concerns": a, "placements": none})
    assert one.values.tolist() == [[1, 0, 2, 2], [1, 2, 1, 1], [3, 0, 5, 5]]
    assert two[["ix", "iy", "count", "concerns"]].values.tolist() == one.values.tolist()


# --- the elements --------------------------------------------------------------------------


def test_text_geojson_renders_data_once_escaped_with_browser_styling() -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "</script><b>x</b>", "count": 7},
                "geometry": {"type": "Point", "coordinates": [-1.78, 53.65]},
            }
        ],
    }
    m = folium.Map(tiles=None)
    TextGeoJson(
        geojson_text(fc),
        bounds=geojson_bounds(fc),
        style={"weight": 1},
        colour_field="count",
        breaks=[3, 10],
        colours=["#ffffb2", "#bd0026"],
        tooltip_fields=["count"],
        tooltip_aliases=["<i>Records</i>"],
    ).add_to(m)
    page = m.get_root().render()
    assert "</script><b>" not in page and "\\u003c/script\\u003e" in page
    assert page.count('"coordinates":[-1.78,53.65]') == 1
    assert '"#ffffb2","#bd0026"' in page and "[3,10]" in page  # classes applied in the browser
    # aliases HTML-escaped (then JSON-escaped for the script): the JS string is &lt;i&gt;...
    assert "\\u0026lt;i\\u0026gt;Records\\u0026lt;/i\\u0026gt;" in page
    assert "<i>Records" not in page
    assert m.get_bounds() == [[53.65, -1.78], [53.65, -1.78]]


def test_text_geojson_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="aliases"):
        TextGeoJson(
            "{}", bounds=[[0, 0], [0, 0]], style={}, tooltip_fields=["a"], tooltip_aliases=[]
        )
    with pytest.raises(ValueError, match="breaks"):
        TextGeoJson("{}", bounds=[[0, 0], [0, 0]], style={}, breaks=[1], colours=[])


def test_text_geojson_is_not_compiled_as_a_template() -> None:
    # text that Jinja would choke on (or expand) reaches the page unchanged
    text = '{"type":"FeatureCollection","features":[],"x":"{{ 1 + 1 }} {% if %}"}'
    m = folium.Map(tiles=None)
    TextGeoJson(text, bounds=[[None, None], [None, None]], style={}).add_to(m)
    assert text in m.get_root().render()


def test_legend_follows_its_layer() -> None:
    m = folium.Map(tiles=None)
    group = folium.FeatureGroup(name="cells").add_to(m)
    LayerLegend("<b>Records</b>").add_to(group)
    page = m.get_root().render()
    name = group.get_name()
    assert f'{name}.on("add"' not in page  # group is an argument of the closure
    assert re.search(r'group\.on\("remove", function\(\) \{ legend\.remove\(\); \}\)', page)
    assert f"}})({name}, layer_legend_" in page
    assert "\\u003cb\\u003eRecords\\u003c/b\\u003e" in page


# --- the overlay sent apart ----------------------------------------------------------------


def _tables(seed: int, n: int) -> dict[str, pd.DataFrame]:
    from app.maps.cells import cell_counts

    area = load_area("kirklees")
    minx, miny, maxx, maxy = area.outline.total_bounds
    rng = np.random.default_rng(seed)
    e, nn = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    return {"concerns": cell_counts(e, nn, cell=200)}


def test_count_map_base_is_the_same_for_any_filter() -> None:
    import streamlit_folium as sf

    area = load_area("kirklees")
    scripts, overlays = [], []
    for seed, n in ((1, 5000), (2, 800)):
        built = build_count_map(_tables(seed, n), area=area)
        assert built.overlay is not None
        fmap, overlay = split_overlay(built)
        assert overlay is built.overlay
        assert not any(isinstance(c, folium.LayerControl) for c in fmap._children.values())
        fmap.get_root().render()
        scripts.append(sf._get_map_string(fmap))
        overlays.append(sf._get_feature_group_string(overlay, map=fmap))
    # streamlit-folium keys its iframe on a hash of the base script: the same hash, same iframe
    assert scripts[0] == scripts[1]
    assert sf.generate_js_hash(scripts[0], "k") == sf.generate_js_hash(scripts[1], "k")
    assert overlays[0] != overlays[1]
    for text in overlays:  # the cells and their legend travel in the overlay
        assert "Records per" in text and '"type":"Polygon"' in text
    assert '"type":"Polygon"' in scripts[0]  # boundaries
    assert '"count":' not in scripts[0]  # but no cell


def test_cell_layer_counts_every_record() -> None:
    tables = _tables(3, 4000)
    layer, breaks = cell_layer(tables, cell=200, labels={"concerns": "Concerns"})
    data = json.loads(layer.text)
    assert layer.n_features == len(data["features"]) == len(tables["concerns"])
    assert sum(f["properties"]["count"] for f in data["features"]) == 4000
    assert breaks[-1] == max(f["properties"]["count"] for f in data["features"])


# --- the Map page (AppTest): the base map is identical across a filter change ---------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("mapelements"))


def _folium(at: AppTest) -> tuple[str, dict]:
    for el in at.main:
        proto = getattr(el, "proto", None)
        if proto is not None and "streamlit_folium" in str(getattr(proto, "component_name", "")):
            return str(proto.id), json.loads(proto.json_args)
    raise AssertionError("no st_folium map on the page")


def test_map_page_swaps_only_the_cell_layer(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if missing_assets():
        pytest.skip("map assets not vendored: run `make vendor`")
    import app.maps.folium_map

    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(store.parent / "audit.jsonl"))
    monkeypatch.setattr(app.maps.folium_map, "MAX_POINTS", 5)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception, at.exception
    first_id, first = _folium(at)
    cat = next(m for m in at.sidebar.multiselect if m.label.startswith("Category"))
    cat.set_value(["CCE"]).run()
    assert not at.exception, at.exception
    second_id, second = _folium(at)

    assert first["returned_objects"] == []  # panning or zooming never reruns the script
    assert second["script"] == first["script"] and second_id == first_id  # same iframe
    assert second["feature_group"] != first["feature_group"]

    def concerns(args: dict) -> int:
        layers = re.findall(r"L\.geoJson\((\{.*?\}), \{", args["feature_group"], flags=re.S)
        cells = json.loads(layers[0])["features"]
        return sum(f["properties"]["concerns"] for f in cells)

    total = N_CONCERNS + N_MISSING + N_MISSING_FOUND + N_PLACEMENTS
    assert total > 5
    assert concerns(first) == N_CONCERNS
    assert concerns(second) == N_CONCERNS - N_CSE
    assert "Records per" in second["layer_control"]  # the swapped layer stays in the control
