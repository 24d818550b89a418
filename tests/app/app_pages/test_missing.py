"""AppTest for the missing page, as analyst and as board (tests/_app_store.py store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.maps.vendor import missing_assets
from tests._app_store import N_MISSING
from tests._pages import ROLE_KEY, open_page, store_fixture, subheaders, tables

PAGE = "app_pages/missing.py"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


store = store_fixture("appstore_missing")


def _open(role: str) -> AppTest:
    return open_page(PAGE, role=role, role_key=ROLE_KEY)


def test_missing_page_analyst(app_env: Path) -> None:
    at = _open("analyst")
    heads = subheaders(at)
    assert any("Return home interviews by ward" in h for h in heads)
    duration = next(t for t in tables(at) if "duration" in t.columns)
    total = duration[duration["duration"] == "Total"]["Total"].tolist()
    assert [int(v) for v in total] == [N_MISSING]


def test_missing_page_board_has_no_hotspot_map_or_detail(app_env: Path) -> None:
    at = _open("board")
    heads = subheaders(at)
    assert not any("hotspots" in h.lower() for h in heads)
    assert not any("(analyst)" in h for h in heads)
    # 5 episodes over several wards: every ward count is 1-4, shown as "c"
    rhi = next(t for t in tables(at) if "ward_nm" in t.columns and "ended" in t.columns)
    shown = set(rhi["ended"].astype(str))
    assert "c" in shown
    assert not shown & {"1", "2", "3", "4"}


def test_missing_page_board_shows_no_none_or_nan_text(app_env: Path) -> None:
    at = _open("board")
    for table in tables(at):
        text = table.astype(object).where(table.notna(), "None").astype(str)
        assert not text.isin(["None", "nan", "<NA>"]).to_numpy().any(), table


def test_found_hot_cells_for_analysts_and_partners_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the demo store: 10 found-location hot cells, 2 of them with >= 5 distinct children.

    The analyst sees every hot cell. Partners (police, licensing) used to see the 2 cells with
    >= 5 children; since issue #12 item 18 the Missing page is a strategic view they cannot
    open at all (the min-children rule for partner hotspots is tested in test_app_policy_counts
    and on the explorer).
    """
    from analysis.disclosure.control import count_children
    from analysis.views.missing import found_hotspots
    from geo.places.boundaries import load_area
    from geo.store.gpkg import Store, points
    from tests._demo_store import demo_store

    store = demo_store()
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    episodes = Store(store).read("missing_episodes")
    ref = found_hotspots(episodes, area=load_area("kirklees"), method="gi")
    hot = ref[ref["label"] == "hot"]
    kids = count_children(hot, points(episodes, "missing_found"))
    assert (kids < 5).any() and (kids >= 5).any()
    analyst = {m.label: m.value for m in _open("analyst").main.metric}
    assert analyst["Hot cells"] == f"{len(hot):,}"
    partner = _open("partner")
    assert any("cannot" in e.value for e in partner.error)
    assert not partner.main.metric
