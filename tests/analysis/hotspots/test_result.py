"""analysis.hotspots.result: standard shape, parameters in every file format, round trips."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from analysis.hotspots.result import (
    STANDARD_COLUMNS,
    finalise,
    params_path,
    read_hotspots,
    write_hotspots,
)
from geo.errors import ParameterError


def _result(adjust: str = "none") -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {
            "n_events": [3, 0, 1],
            "label": ["hot", "not significant", "cold"],
            "z": [2.5, 0.1, -2.2],
            "extra": ["a", "b", "c"],
            "cats": [["CSE"], [], ["CCE", "x"]],
        },
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 200, 100),
            shapely.box(200, 0, 250, 100),
        ],
        crs=27700,
        index=[10, 11, 12],
    )
    return finalise(
        gdf,
        method="gi",
        params={
            "cell_size": 100,
            "band": np.float64(150.0),
            "alpha": 0.05,
            "seed": np.int64(3),
            "automatic": ["band"],
            "adjustment": adjust,
        },
    )


def test_finalise_shape_and_params() -> None:
    res = _result()
    assert list(res.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert list(res.columns[len(STANDARD_COLUMNS) :]) == ["adjustment", "extra", "cats", "geometry"]
    assert res.index.tolist() == [10, 11, 12]  # index kept
    assert res["area_m2"].tolist() == [10000.0, 10000.0, 5000.0]
    assert (res["method"] == "gi").all() and (res["adjustment"] == "count").all()
    p = res.attrs["csmap_params"]
    assert p["band"] == 150.0 and type(p["seed"]) is int
    assert p["crs"] == "EPSG:27700" and p["csmap_version"] and p["method"] == "gi"
    json.dumps(p)  # JSON-safe
    assert _result("population")["adjustment"].unique().tolist() == ["population-adjusted"]


def test_finalise_rejects_bad_input() -> None:
    gdf = gpd.GeoDataFrame({"label": ["very hot"]}, geometry=[shapely.Point(0, 0)], crs=27700)
    with pytest.raises(ParameterError, match="labels"):
        finalise(gdf, method="x", params={})
    with pytest.raises(ParameterError):
        finalise(gdf.to_crs(4326).assign(label="hot"), method="x", params={})
    with pytest.raises(ParameterError):
        finalise(gdf.assign(label="hot"), method="x", params={"adjustment": "weird"})


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    res = _result("population")
    path = write_hotspots(res, tmp_path / f"r{suffix}")
    back = read_hotspots(path)
    assert back.attrs["csmap_params"] == res.attrs["csmap_params"]
    assert back.crs.to_epsg() == 27700
    assert back["label"].tolist() == res["label"].tolist()
    assert back["z"].to_numpy() == pytest.approx(res["z"].to_numpy())
    assert back["expected"].isna().all() and back["expected"].dtype == float
    assert back.geometry.area.tolist() == pytest.approx(res.geometry.area.tolist())
    assert (back["adjustment"] == "population-adjusted").all()
    assert json.loads(back["cats"].iloc[2]) == ["CCE", "x"]


def test_parameters_visible_in_each_format(tmp_path: Path) -> None:
    res = _result()
    gj = json.loads(write_hotspots(res, tmp_path / "a.geojson").read_text())
    assert gj["csmap_parameters"]["cell_size"] == 100
    gpkg = write_hotspots(res, tmp_path / "a.gpkg")
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"hotspots", "csmap_parameters"} <= layers
    meta = pyogrio.read_info(gpkg, layer="hotspots")["layer_metadata"]
    assert json.loads(meta["DESCRIPTION"])["band"] == 150.0
    table = pyogrio.read_dataframe(gpkg, layer="csmap_parameters", read_geometry=False)
    assert dict(zip(table["key"], table["value_json"], strict=True))["alpha"] == "0.05"
    csv = write_hotspots(res, tmp_path / "a.csv")
    frame = pd.read_csv(csv)
    assert "geometry_wkt" in frame and frame["geometry_wkt"].str.startswith("POLYGON").all()
    assert json.loads(params_path(csv).read_text())["automatic"] == ["band"]


def test_bad_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParameterError):
        write_hotspots(_result(), tmp_path / "x.shp")
    with pytest.raises(ValueError):
        read_hotspots(tmp_path / "none.geojson")


def test_csv_without_sidecar_warns(tmp_path: Path) -> None:
    csv = write_hotspots(_result(), tmp_path / "a.csv")
    params_path(csv).unlink()
    with pytest.warns(UserWarning, match="sidecar"):
        back = read_hotspots(csv)
    assert back.attrs["csmap_params"] == {}


def _dated_result() -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {
            "n_events": [4, 2, 3],
            "label": ["cluster", "cluster", "cluster"],
            "n_children": pd.array([2, pd.NA, 1], dtype="Int64"),
            "first_date": pd.to_datetime(
                ["2025-01-02 10:30", "2025-03-04", None], format="ISO8601"
            ),
            "last_date": pd.to_datetime(
                ["2025-02-01", "2025-03-05 23:59:59", None], format="ISO8601"
            ),
        },
        geometry=[
            shapely.box(0, 0, 10, 10),
            shapely.box(20, 0, 30, 10),
            shapely.box(40, 0, 50, 10),
        ],
        crs=27700,
    )
    return finalise(gdf, method="dbscan", params={"eps": 100.0})


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_datetime_columns_round_trip(tmp_path: Path, suffix: str) -> None:
    res = _dated_result()
    back = read_hotspots(write_hotspots(res, tmp_path / f"d{suffix}"))
    assert back.attrs["csmap_params"] == res.attrs["csmap_params"]
    for col in ("first_date", "last_date"):
        assert pd.api.types.is_datetime64_any_dtype(back[col]), (suffix, back[col].dtype)
        assert back[col].iloc[:2].tolist() == res[col].iloc[:2].tolist()
        assert pd.isna(back[col].iloc[2])
    assert back["n_children"].iloc[0] == 2 and pd.isna(back["n_children"].iloc[1])


def test_datetimes_written_as_iso_text(tmp_path: Path) -> None:
    doc = json.loads(write_hotspots(_dated_result(), tmp_path / "d.geojson").read_text())
    props = [f["properties"] for f in doc["features"]]
    assert props[0]["first_date"] == "2025-01-02T10:30:00"
    assert props[2]["first_date"] is None
    frame = pd.read_csv(write_hotspots(_dated_result(), tmp_path / "d.csv"))
    assert frame["last_date"].iloc[1] == "2025-03-05T23:59:59"


def test_geojson_keeps_bracketed_text_as_text(tmp_path: Path) -> None:
    # GDAL's GeoJSON writer would turn text such as "[1, 2]" into a JSON array unless told not to.
    res = _result("none")
    res["note"] = ["[1, 2]", '{"a": 1}', "plain"]
    path = write_hotspots(res, tmp_path / "r.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [f["properties"]["note"] for f in doc["features"]] == ["[1, 2]", '{"a": 1}', "plain"]
    assert doc["csmap_parameters"]["method"] == "gi"
    assert read_hotspots(path)["note"].tolist() == ["[1, 2]", '{"a": 1}', "plain"]
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary file is gone
    assert doc["crs"]["properties"]["name"].endswith("27700")


def test_geojson_text_values_and_empty_result(tmp_path: Path) -> None:
    res = _result("none")
    res["note"] = ["line\nbreak", 'quote " and \\ slash </script>', "Café ✓"]
    res["score"] = [1.234e-30, np.nan, 0.1 + 0.2]
    path = write_hotspots(res, tmp_path / "t.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))  # valid JSON
    props = [f["properties"] for f in doc["features"]]
    assert [p["note"] for p in props] == res["note"].tolist()
    assert props[0]["score"] == pytest.approx(1.234e-30, rel=1e-12) and props[1]["score"] is None
    back = read_hotspots(path)  # GDAL reads it too
    assert back["note"].tolist() == res["note"].tolist()
    assert back.geometry.area.tolist() == pytest.approx(res.geometry.area.tolist())
    empty = write_hotspots(res.iloc[:0], tmp_path / "e.geojson")
    assert json.loads(empty.read_text(encoding="utf-8"))["features"] == []
