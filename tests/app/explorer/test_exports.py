"""Explorer exports (app.explorer.exports), layers (app.maps.layers), hotspot details and
parameters."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.hotspots import registry as hotspots
from analysis.hotspots.result import finalise, read_hotspots
from app.access.audit import AuditLog, ReasonRequired
from app.explorer.detail import cell_changes, hotspot_at, points_key
from app.explorer.exports import (
    hotspot_export,
    inline_assets,
    standalone_map_html,
    trend_png,
)
from app.explorer.params import automatic_params, build_params, fixed_scale
from app.maps.cells import points_cell_counts
from app.maps.layers import build_explorer_map, drawn_hotspots, hotspot_layer
from app.maps.vendor import missing_assets
from geo.locate.coords import bng_to_wgs84
from geo.places.boundaries import load_area

CDN = re.compile(r"cdn\.jsdelivr|code\.jquery|cdnjs\.|unpkg\.com|netdna\.|bootstrapcdn", re.I)
PERIOD = ("2024-01-01", "2024-06-30")


@pytest.fixture(scope="module")
def area():
    return load_area("kirklees")


@pytest.fixture(scope="module")
def gi_result(area) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    centre = np.array([414600.0, 417000.0])  # Huddersfield
    xy = np.vstack(
        [centre + rng.normal(0, 120, (150, 2)), centre + rng.uniform(-6000, 6000, (150, 2))]
    )
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    res = hotspots.run(pts, method="gi", study_area=area, cell_size=400.0, band=800.0)
    res["note"] = '=HYPERLINK("http://x")'  # a text column a spreadsheet would evaluate
    res.attrs = dict(res.attrs)
    return res


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_hotspot_export_round_trips_with_parameters(
    gi_result: gpd.GeoDataFrame, fmt: str, tmp_path: Path
) -> None:
    out = hotspot_export(gi_result, fmt=fmt, method="gi", period=PERIOD)
    assert "_gi_2024-01-01_to_2024-06-30." in out.file_name
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(out.data)) as zf:
            names = sorted(zf.namelist())
            assert names == [
                "hotspots_gi_2024-01-01_to_2024-06-30.csv",
                "hotspots_gi_2024-01-01_to_2024-06-30.csv.params.json",
            ]
            zf.extractall(tmp_path)
        path = tmp_path / names[0]
        raw = pd.read_csv(path)
        assert raw["note"].str.startswith("'=").all()  # formula neutralised
    else:
        path = tmp_path / out.file_name
        path.write_bytes(out.data)
    back = read_hotspots(path)
    params = back.attrs["csmap_params"]
    assert params["cell_size"] == 400.0 and params["band"] == 800.0
    assert params["method"] == "gi"
    assert len(back) == len(gi_result)
    assert int((back["label"] == "hot").sum()) == int((gi_result["label"] == "hot").sum()) > 0
    assert back.crs.to_epsg() == 27700


def test_hotspot_export_rejects_unknown_format(gi_result: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="export format"):
        hotspot_export(gi_result, fmt="xlsx", method="gi")


@pytest.mark.skipif(bool(missing_assets()), reason="map assets not vendored")
def test_standalone_map_is_offline_and_inlined(area, gi_result: gpd.GeoDataFrame) -> None:
    pts = gpd.GeoDataFrame(
        {"category": ["<script>alert(1)</script>"]},
        geometry=[shapely.Point(414600, 417000)],
        crs=27700,
    )
    built = build_explorer_map({"concerns": pts}, area=area, results=[("gi", gi_result)])
    out = standalone_map_html(built.fmap, method="gi", period=PERIOD)
    assert out.file_name == "hotspot_map_gi_2024-01-01_to_2024-06-30.html"
    page = out.data.decode("utf-8")
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page)
    assert not [t for t in tags if re.search(r"\b(?:src|href)=", t)]  # nothing linked at all
    assert not CDN.search(page)
    assert "/app/static/" not in page
    assert "L.map(" in page or "L.map (" in page
    assert "Leaflet" in page  # leaflet.js itself is inside
    assert "<script>alert(1)</script>" not in page
    assert page.count("data:image/png;base64,") >= 1  # leaflet.css images inlined


def test_inline_assets_leaves_unknown_links_alone(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.js").write_text("var a = '</script>';", encoding="utf-8")
    page = (
        '<script src="/app/static/vendor/a/x.js"></script>'
        '<script src="/app/static/vendor/../../etc/passwd"></script>'
    )
    out = inline_assets(page, vendor_dir=tmp_path)
    assert "<script>var a = '<\\/script>';</script>" in out
    assert '<script src="/app/static/vendor/../../etc/passwd"></script>' in out


def test_trend_png() -> None:
    monthly = pd.DataFrame(
        {"month": pd.date_range("2024-01-01", periods=4, freq="MS"), "events": [1, 4, 2, 0]}
    )
    out = trend_png(monthly, title="Concerns", method="kde", period=PERIOD)
    assert out.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.file_name == "trend_kde_2024-01-01_to_2024-06-30.png"
    assert len(out.data) > 2000


def test_one_audit_api_for_exports(tmp_path: Path) -> None:
    """exports.log_export (which skipped silently without ``CSMAP_AUDIT_LOG``) is gone; the one
    path is app.access.audit (through auth.export_download in the app, app.commands.audited in the
    CLI), and nothing else in the package picks the log's path."""
    import app.explorer.exports as exports

    assert not hasattr(exports, "log_export")
    root = Path(__file__).resolve().parents[3]
    for path in [
        *(root / "app").rglob("*.py"),
        *(root / "geo").rglob("*.py"),
        *(root / "analysis").rglob("*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        if path.name != "audit.py" or path.parent.name != "access":
            assert 'get("CSMAP_AUDIT_LOG")' not in text, path
            assert "AuditLog(" not in text.replace("AuditLog.for_store(", ""), path
    log = AuditLog(tmp_path / "audit.jsonl")
    kw = {"user": "jo", "role": "analyst", "what": "hotspots", "rows": 3}
    with pytest.raises(ReasonRequired):
        log.export(record_level=True, reason="", **kw)
    log.export(record_level=True, reason="board meeting", **kw)
    assert log.verify().ok and log.read()["reason"].tolist() == ["board meeting"]


def test_hotspot_layer_escapes_and_skips_not_significant() -> None:
    res = gpd.GeoDataFrame(
        {
            "label": ["hot", "not significant", "cold"],
            "category": ["<img src=x onerror=alert(1)>", "a", "b"],
            "n_events": [5, 0, 0],
        },
        geometry=[
            shapely.box(414000 + i * 100, 417000, 414100 + i * 100, 417100) for i in range(3)
        ],
        crs=27700,
    )
    assert drawn_hotspots(res).index.tolist() == [0, 2]
    layer = hotspot_layer(res, name="Gi*")
    data = next(iter(layer._children.values())).data
    props = [f["properties"] for f in data["features"]]
    assert [p["label"] for p in props] == ["hot", "cold"]
    assert props[0]["category"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert props[0]["_fill"] == "#d7191c" and props[1]["_fill"] == "#2c7bb6"


def test_hotspot_at_finds_the_clicked_cell(gi_result: gpd.GeoDataFrame) -> None:
    hot = gi_result.index[gi_result["label"] == "hot"][0]
    c = gi_result.geometry.loc[hot].centroid
    lon, lat = bng_to_wgs84(np.array([c.x]), np.array([c.y]))
    assert hotspot_at(gi_result, lon=float(lon[0]), lat=float(lat[0])) == hot
    assert hotspot_at(gi_result, lon=0.0, lat=51.0) is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 999), st.floats(0, 999)), min_size=1, max_size=60))
def test_cell_counts_keep_every_point(xy: list[tuple[float, float]]) -> None:
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in xy], crs=27700)
    bins = points_cell_counts(pts, cell=100)
    assert bins["count"].sum() == len(xy)
    assert len(bins) <= min(len(xy), 100)
    assert points_key(pts) == points_key(pts.copy())


def test_cell_changes_on_a_fixed_grid(area) -> None:
    rng = np.random.default_rng(2)
    a = np.array([414600.0, 417000.0]) + rng.normal(0, 100, (120, 2))
    b = np.array([422000.0, 421000.0]) + rng.normal(0, 100, (120, 2))
    noise = np.array([418000.0, 418000.0]) + rng.uniform(-8000, 8000, (200, 2))
    before_xy, after_xy = np.vstack([a, noise]), np.vstack([b, noise])
    runs = []
    for xy in (before_xy, after_xy):
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
        runs.append(hotspots.run(pts, method="gi", study_area=area, cell_size=500.0, band=1000.0))
    table = cell_changes(runs[0], runs[1])
    assert {"new hot", "no longer hot"} <= set(table["change"])
    new_hot = table[table["change"] == "new hot"].index
    assert (runs[1].loc[new_hot, "label"] == "hot").all()
    assert (runs[0].loc[new_hot, "label"] != "hot").all()
    with pytest.raises(ValueError, match="same grid"):
        cell_changes(runs[0], runs[1].iloc[:-1])


def test_params_build_and_fixed_scale() -> None:
    auto = automatic_params("gi")
    assert auto["cell_size"] == "auto" and auto["band"] == "auto" and auto["fdr"] is True
    p = build_params("gi", {"cell_size": 300, "band": 900}, overridden={"band": True})
    assert p["cell_size"] == "auto" and p["band"] == 900.0
    assert fixed_scale("kde", {"bandwidth": 1200.0, "cell_size": 100.0}) == {
        "bandwidth": 1200.0,
        "cell_size": 100.0,
    }
    with pytest.raises(ValueError):
        build_params("gi", {"shape": "triangle"}, overridden={})


def test_finalised_params_survive_the_cache_pickle() -> None:
    import pickle

    res = finalise(
        gpd.GeoDataFrame({"n_events": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=27700),
        method="gi",
        params={"cell_size": 5.0},
    )
    back = pickle.loads(pickle.dumps(res))
    assert json.dumps(back.attrs["csmap_params"]) == json.dumps(res.attrs["csmap_params"])
