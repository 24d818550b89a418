"""AppTests of the hotspot explorer on a small synthetic demo store (scale 0.1, 300 concerns)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.hotspots import registry as hotspots
from app.explorer.detail import events_in, ranked_hotspots
from app.explorer.params import automatic_params
from app.maps.vendor import missing_assets
from geo.places.boundaries import load_area
from geo.store.gpkg import Store, points
from tests._demo_store import demo_store

APP = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")
PAGE = "app_pages/explorer.py"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


@pytest.fixture(scope="module")
def store() -> Path:
    return demo_store()


@pytest.fixture(scope="module")
def concerns(store: Path) -> gpd.GeoDataFrame:
    return points(Store(store).read("concerns"), "concerns")


def _open(role: str = "analyst") -> AppTest:
    """The explorer, signed in through the demo sign-in as ``role``."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["csmap_demo_role"] = role
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def _folium_scripts(at: AppTest) -> list[str]:
    out = []
    for comp in at.main:
        proto = getattr(comp, "proto", None)
        if type(comp).__name__ == "UnknownElement" and "streamlit_folium" in getattr(
            proto, "component_name", ""
        ):
            args = json.loads(proto.json_args)
            out.append(args["script"] + "\n" + (args.get("html") or ""))  # map JS + legend
    return out


def _params_table(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "parameter" in df.value.columns)


def test_every_method_renders_and_gi_matches_the_engine(
    app_env: Path, concerns: gpd.GeoDataFrame
) -> None:
    at = _open()
    metrics = _metrics(at)
    assert metrics["Events analysed"] == f"{len(concerns):,}"
    reference = hotspots.run(
        concerns, method="gi", study_area=load_area("kirklees"), **automatic_params("gi")
    )
    n_hot = int((reference["label"] == "hot").sum())
    assert n_hot > 0
    assert metrics["Hot"] == f"{n_hot:,}"
    script = _folium_scripts(at)[0]
    assert script.count('"label": "hot"') == n_hot  # every hot cell drawn, none other
    assert '"label": "not significant"' not in script
    assert any("Count result" in i.value for i in at.info)

    for method in at.selectbox(key="exp_method").options:
        at.selectbox(key="exp_method").set_value(method).run()
        assert not at.exception, (method, at.exception)
        assert _metrics(at)["Events analysed"] == f"{len(concerns):,}", method
        assert _params_table(at)["parameter"].tolist(), method
    at.selectbox(key="exp_method").set_value("dual-kde").run()
    assert any("Population-adjusted result" in i.value for i in at.info)


def test_filters_change_the_numbers(app_env: Path, concerns: gpd.GeoDataFrame) -> None:
    at = _open()
    before = _metrics(at)
    cat = next(m for m in at.sidebar.multiselect if m.label.startswith("Category"))
    cat.set_value(["CSE"]).run()
    assert not at.exception
    n_cse = int((concerns["category"] == "CSE").sum())
    assert 0 < n_cse < len(concerns)
    after = _metrics(at)
    assert after["Events analysed"] == f"{n_cse:,}"
    assert after != before
    # explorer-only filter: age band
    at.slider(key="exp_age").set_value((10, 13)).run()
    ages = pd.to_numeric(concerns["age"], errors="coerce").astype(float)
    expected = int(((concerns["category"] == "CSE") & ages.between(10, 13)).sum())
    assert _metrics(at)["Events analysed"] == f"{expected:,}"


def test_override_is_used_and_automatic_value_still_shown(
    app_env: Path, concerns: gpd.GeoDataFrame
) -> None:
    at = _open()
    auto = _params_table(at).set_index("parameter")
    auto_cell = float(auto.loc["cell_size", "used"])
    assert auto.loc["cell_size", "chosen automatically"]
    at.checkbox(key="exp_gi_cell_size_ovr").check().run()
    at.number_input(key="exp_gi_cell_size").set_value(600.0).run()
    assert not at.exception
    table = _params_table(at).set_index("parameter")
    assert float(table.loc["cell_size", "used"]) == 600.0
    assert float(table.loc["cell_size", "automatic"]) == auto_cell != 600.0
    assert not table.loc["cell_size", "chosen automatically"]
    assert any(f"automatic: {auto_cell:,.0f} m" in c.value for c in at.caption)
    # the result is the engine's result at 600 m
    ref = hotspots.run(
        concerns,
        method="gi",
        study_area=load_area("kirklees"),
        **{**automatic_params("gi"), "cell_size": 600.0},
    )
    assert _metrics(at)["Hot"] == f"{int((ref['label'] == 'hot').sum()):,}"


def test_hotspot_details_and_month_slider(app_env: Path, concerns: gpd.GeoDataFrame) -> None:
    at = _open()
    ref = hotspots.run(
        concerns, method="gi", study_area=load_area("kirklees"), **automatic_params("gi")
    )
    top = ranked_hotspots(ref).index[0]
    assert at.selectbox(key="exp_hotspot").value == top
    n_in = len(events_in(concerns, ref.geometry.loc[top]))
    assert _metrics(at)["Events in this hotspot"] == f"{n_in:,}"
    # categories table of the hotspot sums to its events
    cat_table = next(df.value for df in at.dataframe if "category" in df.value.columns)
    assert int(cat_table["events"].sum()) == n_in

    months = at.select_slider(key="exp_month").options
    month = months[len(months) // 2]
    at.select_slider(key="exp_month").set_value(month).run()
    assert not at.exception
    in_month = pd.to_datetime(concerns["reported_date"]).dt.strftime("%Y-%m") == month
    script = _folium_scripts(at)[0]
    assert script.count('"type": "Point"') == int(in_month.sum())


def test_compare_periods_and_exports(app_env: Path) -> None:
    at = _open()
    at.toggle(key="exp_compare").set_value(True).run()
    assert not at.exception
    assert len(_folium_scripts(at)) == 3  # the main map and one per period
    assert any("change" in df.value.columns for df in at.dataframe)
    at.button(key="exp_prepare").click().run()
    assert not at.exception
    # the map HTML holds record points: withheld until a reason is given
    labels = [d.proto.label for d in at.get("download_button")]
    assert len(labels) == 4 and not any(label.endswith(".html") for label in labels)
    at.text_input(key="exp_reason").input("strategic meeting 3 Dec").run()
    at.button(key="exp_prepare").click().run()
    assert not at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 5
    labels = sorted(d.proto.label for d in downloads)
    assert any(label.endswith(".gpkg") and "_gi_" in label for label in labels)
    assert any(label.endswith(".html") for label in labels)
    assert any(label.endswith(".png") for label in labels)


def test_partner_role_sees_no_record_points(app_env: Path) -> None:
    at = _open("partner")
    script = _folium_scripts(at)[0]
    assert '"type": "Point"' not in script
    assert '"label": "hot"' in script
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["csmap_demo_role"] = "board"
    at.switch_page(PAGE).run()
    assert any("board role cannot open this page" in e.value for e in at.error)


def test_emerging_and_extra_layers(app_env: Path, concerns: gpd.GeoDataFrame) -> None:
    at = _open()
    at.multiselect(key="exp_layers").set_value(
        ["Emerging hot spots", "Venues", "KDE contours"]
    ).run()
    assert not at.exception, at.exception
    script = _folium_scripts(at)[0]
    assert '"type": "Point"' in script  # venues (records layer is off)
    assert "KDE contours (count)" in script
    from analysis.spacetime.emerging import NO_PATTERN

    ref = hotspots.run(
        concerns,
        method="emerging",
        study_area=load_area("kirklees"),
        time_column="reported_date",
        **{
            k: float(v)
            for k, v in _params_table(at).set_index("parameter")["used"].items()
            if k in ("cell_size", "band")
        },
    )
    n_pattern = int((ref["category"] != NO_PATTERN).sum())
    assert script.count('"category": ') == n_pattern
    assert ("Emerging: " in script) == (n_pattern > 0)


def _n_events_drawn(at: AppTest) -> list[float]:
    import re

    script = _folium_scripts(at)[0]
    return [float(v) for v in re.findall(r'"n_events": "?(\d+(?:\.\d+)?)', script)]


def test_partner_gets_grid_methods_allowed_kinds_and_min_children(
    app_env: Path, concerns: gpd.GeoDataFrame
) -> None:
    from analysis.disclosure.control import count_children

    analyst = _open()
    assert {"dbscan", "hdbscan", "repeat"} <= set(analyst.selectbox(key="exp_method").options)
    assert "Placements" in analyst.selectbox(key="exp_kind").options
    at = _open("partner")
    assert set(at.selectbox(key="exp_method").options) <= {"gi", "kde", "dual-kde", "scan"}
    assert "Placements" not in at.selectbox(key="exp_kind").options
    ref = hotspots.run(
        concerns, method="gi", study_area=load_area("kirklees"), **automatic_params("gi")
    )
    hot = ref[ref["label"] == "hot"]
    kids = count_children(hot, concerns)
    assert (kids < 5).any() and (kids >= 5).any(), "fixture must have both kinds of hot cell"
    assert _metrics(analyst)["Hot"] == f"{len(hot):,}"
    assert _metrics(at)["Hot"] == f"{int((kids >= 5).sum()):,}"
    drawn = _n_events_drawn(at)
    true = sorted(hot.loc[kids >= 5, "n_events"].astype(float).tolist())
    # cell-key perturbed (tests/app/explorer/test_explorer_cell_key.py): each within max_noise (2)
    assert len(drawn) == len(true)
    assert all(abs(d - t) <= 2 for d, t in zip(sorted(drawn), true, strict=True)), (drawn, true)
    # detail panels: no exact date span, no count 1-4 in the breakdowns
    assert "Date span" not in _metrics(at) and "Date span" in _metrics(analyst)
    for frame in at.dataframe:
        if "events" in frame.value.columns:
            assert not {"1", "2", "3", "4"} & set(frame.value["events"].astype(str))
    cat = next(df.value for df in at.dataframe if "category" in df.value.columns)
    assert (cat["events"] == "c").any()


def test_partner_exports_are_built_from_the_policy_result(
    app_env: Path, concerns: gpd.GeoDataFrame
) -> None:
    from analysis.disclosure.control import count_children

    ref = hotspots.run(
        concerns, method="gi", study_area=load_area("kirklees"), **automatic_params("gi")
    )
    expected = int((count_children(ref, concerns) >= 5).sum())  # cells of any label
    at = _open("partner")
    at.button(key="exp_prepare").click().run()
    assert not at.exception, at.exception
    downloads = at.get("download_button")
    assert {d.proto.label.rsplit(".", 1)[1] for d in downloads} >= {"geojson", "html", "png"}
    from app.access.audit import AuditLog, default_audit_path

    exports = AuditLog(default_audit_path()).read(action="export")
    rows = {int(json.loads(d).get("rows", -1)) for d in exports["details"]}
    assert rows == {expected} and expected < len(ref)  # not every grid cell of the raw result


def test_upload_results_stay_out_of_the_shared_cache(
    app_env: Path, concerns: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    from app.session.state import UPLOADED_KEY

    calls: list[str] = []
    real_run = hotspots.run

    def counting(*args: object, **kwargs: object) -> gpd.GeoDataFrame:
        calls.append(str(kwargs.get("method")))
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hotspots, "run", counting)
    st.cache_data.clear()
    upload = concerns.head(40).copy()
    upload["record_id"] = [f"UP{i}" for i in range(len(upload))]
    upload["child_ref"] = [f"UPC{i % 9}" for i in range(len(upload))]
    for _ in range(2):  # two sessions with the same uploads
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["csmap_demo_role"] = "analyst"
        at.session_state[UPLOADED_KEY] = {"concerns": upload}
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
    # each session computed its own result: nothing was served from a server-wide cache
    assert calls.count("gi") == 2
    calls.clear()
    for _ in range(2):  # store data only: the shared cache serves the second session
        _open()
    assert calls.count("gi") == 1
