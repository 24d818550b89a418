"""AppTests: one per page, on a small hand-checkable store (see tests/_app_store.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.maps.vendor import missing_assets
from tests._app_store import (
    N_CONCERNS,
    N_CSE,
    N_MISSING,
    N_MISSING_FOUND,
    N_PLACEMENTS,
    build_store,
)

APP = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("appstore"))


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def _folium_args(at: AppTest) -> dict:
    comps = [e for e in at.main if type(e).__name__ == "UnknownElement"]
    for comp in comps:
        proto = comp.proto
        if "streamlit_folium" in getattr(proto, "component_name", ""):
            return json.loads(proto.json_args)
    raise AssertionError("no st_folium component on the page")


def _n_points(script: str) -> int:
    """Point features drawn (boundaries are polygons; aggregated layers have none)."""
    return len(re.findall(r'"type":\s*"Point"', script))


def test_overview_renders_counts_and_filter_changes_them(app_env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert metrics["Concerns"] == str(N_CONCERNS)
    assert metrics["Missing episodes"] == str(N_MISSING)
    assert metrics["Placements"] == str(N_PLACEMENTS)
    # the synthetic-data banner and attribution lines are drawn once
    assert any("Synthetic demo data" in i.value for i in at.info)
    assert sum("Open Government Licence" in c.value for c in at.caption) >= 1
    # the quarantined row is reported with its reason
    tables = [df.value for df in at.dataframe]
    assert any("reason" in t.columns and t["rows"].sum() == 1 for t in tables)

    cat = next(m for m in at.sidebar.multiselect if m.label.startswith("Category"))
    cat.set_value(["CSE"]).run()
    assert not at.exception
    assert _metrics(at)["Concerns"] == str(N_CSE)


def test_overview_period_filter(app_env: Path) -> None:
    import datetime as dt

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.date_input[0].set_value((dt.date(2024, 1, 1), dt.date(2024, 1, 31))).run()
    assert not at.exception
    # concerns: even i -> January (6 of 12); missing all January; placements all January
    assert _metrics(at)["Concerns"] == "6"
    assert _metrics(at)["Missing episodes"] == str(N_MISSING)


def test_map_page_draws_markers_and_filter_changes_them(app_env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception, at.exception
    args = _folium_args(at)
    total = N_CONCERNS + N_MISSING + N_MISSING_FOUND + N_PLACEMENTS
    assert _n_points(args["script"]) == total
    # offline: every script/stylesheet is served by the app itself
    assert args["js_links"] and all(u.startswith("/app/static/vendor/") for u in args["js_links"])
    assert all(u.startswith("/app/static/vendor/") for u in args["css_links"])
    # popups escape text fields (the fixture place names are markup; never rendered as such)
    # (folium's JSON writes & as \u0026; the popup inserts the text "&lt;b&gt;..." as HTML)
    assert "\\u0026lt;b\\u0026gt;Bus \\u0026amp; Rail 0\\u0026lt;/b\\u0026gt;" in args["script"]
    assert "<b>Bus" not in args["script"]
    assert _metrics(at)["Concerns"] == str(N_CONCERNS)

    cat = next(m for m in at.sidebar.multiselect if m.label.startswith("Category"))
    cat.set_value(["CCE"]).run()
    assert not at.exception
    args = _folium_args(at)
    assert _n_points(args["script"]) == total - N_CSE
    assert _metrics(at)["Concerns"] == str(N_CONCERNS - N_CSE)


def test_map_page_aggregates_beyond_max_points(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.maps.folium_map

    monkeypatch.setattr(app.maps.folium_map, "MAX_POINTS", 5)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception, at.exception
    # above MAX_POINTS the Map page draws server-side cell counts in folium, no point at all
    # (app.maps.cell_map; detailed checks in tests/app/maps/test_deck.py)
    args = _folium_args(at)
    # the cells and their legend travel as the layer streamlit-folium swaps in place
    drawn = args["script"] + (args.get("feature_group") or "")
    assert _n_points(drawn) == 0
    assert '"Polygon"' in args["feature_group"] and "Records per" in args["feature_group"]
    assert "Records per" in (args.get("layer_control") or "")  # listed in the layer control
    assert _metrics(at)["Concerns"] == str(N_CONCERNS)
    decks = [e for e in at.main if '"ScatterplotLayer"' in str(getattr(e.proto, "json", ""))]
    assert decks == []  # WebGL is an opt-in toggle
