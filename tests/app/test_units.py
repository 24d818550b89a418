"""Unit tests for the app's pure parts: vendoring, filters, summaries, map building, csmap app."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from app.commands.admin import serve
from app.maps import vendor
from app.maps.folium_map import build_record_map, popup_html
from app.session.filters import Filters, apply_filters, date_bounds, filter_kind
from app.views.summaries import missing_shares, monthly_by_category, precision_mix, top_wards
from geo.store.meta import is_demo_store, read_meta, set_meta
from geo.vocab import CATEGORIES

needs_vendor = pytest.mark.skipif(bool(vendor.missing_assets()), reason="run `make vendor`")


# --- vendoring -------------------------------------------------------------------------------
def test_manifest_maps_every_cdn_url_folium_emits() -> None:
    manifest = vendor.load_manifest()
    import folium.plugins

    emitted = {
        url
        for cls in (folium.Map, folium.plugins.HeatMap, folium.plugins.FastMarkerCluster)
        for attr in ("default_js", "default_css")
        for _, url in getattr(cls, attr)
        if not url.startswith(vendor.LOCAL_PREFIX)
    }
    assert emitted <= set(manifest.cdn) | set(manifest.skip)
    assert all(p.integrity.startswith("sha512-") for p in manifest.packages)


@needs_vendor
def test_use_local_assets_is_idempotent_and_offline() -> None:
    vendor.use_local_assets()
    first = list(folium.Map.default_js), list(folium.Map.default_css)
    vendor.use_local_assets()
    assert (list(folium.Map.default_js), list(folium.Map.default_css)) == first
    assert all(u.startswith(vendor.LOCAL_PREFIX) for _, u in first[0] + first[1])
    assert vendor.external_urls(folium.Map(tiles=None)) == []


def test_missing_asset_raises_clear_error(tmp_path: Path) -> None:
    class FakeMap:
        default_js = [("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")]

    with pytest.raises(vendor.VendorAssetsMissingError, match="make vendor"):
        vendor.use_local_assets(vendor_dir=tmp_path, classes=[FakeMap])
    assert vendor.missing_assets(vendor_dir=tmp_path)  # everything missing in an empty folder


def test_assert_offline_catches_cdn_assets() -> None:
    class Remote(folium.MacroElement):
        default_js = [("x", "https://cdn.example.org/x.js")]

    m = folium.Map(tiles=None)
    Remote().add_to(m)
    with pytest.raises(vendor.OnlineAssetError, match="cdn.example.org"):
        vendor.assert_offline(m)


def test_fetch_refuses_non_registry_urls() -> None:
    with pytest.raises(ValueError, match="only the npm registry"):
        vendor._get("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")


# --- filters ---------------------------------------------------------------------------------
def _concerns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "category": ["CSE", "CCE", None, "CSE"],
            "risk_level": ["low", "high", "high", None],
            "reporting_agency": ["police", "health", "police", "police"],
            "reported_date": pd.to_datetime(
                ["2024-01-01 00:00", "2024-01-31 23:00", "2024-02-01 00:00", "2024-03-15 00:00"]
            ),
        },
        index=[10, 11, 12, 13],
    )


def test_filter_kind_reference_values() -> None:
    f = _concerns()
    assert filter_kind(f, kind="concerns", filters=Filters()).index.tolist() == [10, 11, 12, 13]
    jan = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 31))
    assert filter_kind(f, kind="concerns", filters=jan).index.tolist() == [10, 11]
    high = Filters(risk_levels=("high",), agencies=("police",))
    assert filter_kind(f, kind="concerns", filters=high).index.tolist() == [12]
    assert date_bounds({"concerns": f}) == (dt.date(2024, 1, 1), dt.date(2024, 3, 15))


@settings(max_examples=30, deadline=None)
@given(st.sets(st.sampled_from(CATEGORIES)))
def test_category_filter_partitions(chosen: set[str]) -> None:
    f = _concerns()
    kept = filter_kind(f, kind="concerns", filters=Filters(categories=tuple(chosen) or None))
    assert kept.index.isin(f.index).all()  # index kept, a subset
    if chosen:
        assert set(kept["category"]) <= chosen


def test_apply_filters_drops_unselected_kinds_and_ignores_foreign_columns() -> None:
    recs = {"concerns": _concerns(), "placements": gpd.GeoDataFrame({"placement_id": ["p"]})}
    out = apply_filters(recs, filters=Filters(kinds=("placements",), categories=("CSE",)))
    assert list(out) == ["placements"] and len(out["placements"]) == 1


# --- summaries -------------------------------------------------------------------------------
def test_summaries_reference_values() -> None:
    f = _concerns().assign(ward_nm=["A", "B", "A", None], location_precision=["exact point"] * 4)
    trend = monthly_by_category(f)
    assert trend["count"].sum() == 4
    assert trend[trend["category"] == "(missing)"]["count"].tolist() == [1]
    assert top_wards(f).values.tolist() == [["A", 2, 0.5], ["B", 1, 0.25]]
    shares = missing_shares({"concerns": f}).set_index("field")
    assert shares.loc["category", "missing"] == 1 and shares.loc["risk_level", "missing"] == 1
    assert precision_mix({"concerns": f}).values.tolist() == [["Concerns", "exact point", 4]]


# --- maps ------------------------------------------------------------------------------------
def test_popup_escapes_everything() -> None:
    out = popup_html({"place_name": '<img src=x onerror="alert(1)">', "n": 1}, ["place_name"])
    assert "<img" not in out and "&lt;img" in out and "&quot;" in out


@needs_vendor
def test_build_record_map_points_then_cells() -> None:
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    c = area.polygon.representative_point()
    pts = gpd.GeoDataFrame(
        {"record_id": ["a", "b", "c"]},
        geometry=[shapely.Point(c.x + d, c.y) for d in (0, 50, 100)],
        crs=27700,
        index=[5, 6, 7],
    )
    rm = build_record_map({"concerns": pts}, area=area)
    html = rm.fmap.get_root().render()
    assert (rm.mode, rm.counts, html.count('"type": "Point"')) == ("points", {"concerns": 3}, 3)
    assert "L.CircleMarker" in html  # points are drawn as circle markers
    assert "tile.openstreetmap.org" not in html  # no tiles unless asked
    agg = build_record_map({"concerns": pts}, area=area, max_points=2)
    html = agg.fmap.get_root().render()
    assert agg.mode == "cells" and "heatLayer" not in html
    assert not re.search(r'"type":\s*"Point"', html) and re.search(r'"type":\s*"Polygon"', html)
    # the 3 points lie within 100 m: one or two 200 m cells, 3 records in all
    assert agg.counts == {"concerns": 3} and agg.n_cells in (1, 2) and agg.cell == 200.0
    tiled = build_record_map({"concerns": pts}, area=area, tiles=True).fmap.get_root().render()
    assert "tile.openstreetmap.org" in tiled and "OpenStreetMap" in tiled


# --- store marker and csmap app --------------------------------------------------------------
def _empty_gpkg(path: Path) -> Path:
    sqlite3.connect(path).close()
    path.write_bytes(path.read_bytes())
    return path


def test_store_meta_round_trip(tmp_path: Path) -> None:
    store = _empty_gpkg(tmp_path / "s.gpkg")
    assert read_meta(store) == {} and not is_demo_store(store)
    set_meta(store, key="demo", value="true")
    set_meta(store, key="note", value="x")
    assert read_meta(store) == {"demo": "true", "note": "x"} and is_demo_store(store)
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary copy is gone


def test_csmap_app_refuses_demo_label_on_real_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    store = _empty_gpkg(tmp_path / "real.gpkg")
    assert main(["app", "--store", str(store), "--demo"]) == 2
    err = capsys.readouterr().err
    assert "real.gpkg" in err and "--demo refused" in err and err.count("\n") == 1


def test_csmap_app_command_line_is_offline_and_loopback() -> None:
    cmd = serve.streamlit_command(host="127.0.0.1", port=8600)
    opts = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert cmd[4] == str(serve.APP_SCRIPT) and Path(cmd[4]).is_file()
    assert opts["--browser.gatherUsageStats"] == "false"
    assert opts["--server.address"] == "127.0.0.1" and opts["--server.port"] == "8600"
    assert opts["--server.enableStaticServing"] == "true"
    assert opts["--server.headless"] == "true" and opts["--server.fileWatcherType"] == "none"
