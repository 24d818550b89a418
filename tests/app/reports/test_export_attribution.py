"""Attribution lines and the synthetic notice travel with every export (issues #4, #7)."""

from __future__ import annotations

import io
import json
import zipfile

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from PIL import Image

from analysis.hotspots.result import finalise
from app.explorer.exports import hotspot_export, standalone_map_html, trend_png
from app.reports.strategic import Report, Section, render_html, to_frame
from app.reports.templates import render
from geo.demo.records import SYNTHETIC_NOTICE
from geo.places.datasets import ATTRIBUTION_LINES


def _html_lines(text: str) -> list[str]:
    import html

    return [html.escape(line, quote=False) for line in ATTRIBUTION_LINES]


@pytest.mark.parametrize("synthetic", [False, True])
def test_standalone_map_has_attribution_footer(synthetic: bool) -> None:
    out = standalone_map_html(folium.Map(tiles=None), method="gi", synthetic=synthetic)
    page = out.data.decode("utf-8")
    footer = page[page.index('<footer class="csmap-attribution"') :]
    for line in _html_lines(page):
        assert line in footer
    assert ("synthetic" in footer) is synthetic
    assert footer.index("</footer>") < footer.index("</body>")


@pytest.mark.parametrize("synthetic", [False, True])
def test_trend_png_caption_and_metadata(synthetic: bool) -> None:
    m = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]), "events": [3, 5]})
    out = trend_png(m, title="Concerns", synthetic=synthetic)
    image = Image.open(io.BytesIO(out.data))
    text = image.info["Description"]
    assert all(line in text for line in ATTRIBUTION_LINES)
    assert (SYNTHETIC_NOTICE in text) is synthetic
    # the caption is drawn: the bottom strip of the image is not blank
    strip = image.convert("L").crop((0, image.height - 30, image.width // 2, image.height))
    assert strip.getextrema()[0] < 200


def test_hotspot_csv_zip_carries_attribution_and_flag() -> None:
    res = finalise(
        gpd.GeoDataFrame({"n_events": [2]}, geometry=[shapely.box(0, 0, 1, 1)], crs=27700),
        method="gi",
        params={"alpha": 0.05},
    )
    for fmt in ("csv", "geojson"):
        out = hotspot_export(res, fmt=fmt, method="gi", synthetic=True)
        if fmt == "csv":
            with zipfile.ZipFile(io.BytesIO(out.data)) as zf:
                name = next(n for n in zf.namelist() if n.endswith(".params.json"))
                params = json.loads(zf.read(name))
        else:
            params = json.loads(out.data)["csmap_parameters"]
        assert params["attribution"] == list(ATTRIBUTION_LINES)
        assert params["synthetic"] is True and params["alpha"] == 0.05


@pytest.mark.parametrize("name", ["briefing.html", "assessment.html"])
@pytest.mark.parametrize("synthetic", [False, True])
def test_briefing_and_assessment_html_attribution(name: str, synthetic: bool) -> None:
    common = {
        "title": "T",
        "synthetic": synthetic,
        "period": "",
        "generated": "",
        "map_uri": "",
        "caveats": [],
    }
    if name == "assessment.html":
        extra = {
            "location": "",
            "radius": 500,
            "summary": pd.DataFrame(),
            "by_category": None,
            "by_year": None,
            "hotspots": None,
            "venues_by_type": None,
            "venues": None,
            "schools": None,
        }
    else:
        extra = {
            "method": "gi",
            "radius": 200,
            "link_radius": 50,
            "hotspots": None,
            "nearby": None,
            "watchlist": None,
            "as_of": "",
        }
    page = render(name, **common, **extra)  # type: ignore[arg-type]
    for line in _html_lines(page):
        assert line in page
    assert ("Synthetic demo data" in page) is synthetic


@pytest.mark.parametrize("synthetic", [False, True])
def test_strategic_report_html_and_csv(synthetic: bool) -> None:
    r = Report(
        "agencies",
        "T",
        "board",
        "ward",
        [Section("s", "S", pd.DataFrame({"a": [1]}))],
        synthetic=synthetic,
    )
    page = render_html(r)
    for line in _html_lines(page):
        assert line in page
    assert (SYNTHETIC_NOTICE in page) is synthetic
    frame = to_frame(r)
    notes = frame.loc[frame["section"] == "Attribution", "note"].tolist()
    assert notes == list(ATTRIBUTION_LINES)
    assert (SYNTHETIC_NOTICE in frame["note"].tolist()) is synthetic
    assert frame.loc[0, "a"] == 1
