"""AppTest for the placements page, as analyst and as board (tests/_app_store.py store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _app_store import N_PLACEMENTS, build_store
from streamlit.testing.v1 import AppTest

from app.vendor import missing_assets

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
PAGE = "app_pages/placements.py"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("appstore_placements"))


@pytest.fixture
def app_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    return store


def _open(role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["csmap_role"] = role
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _tables(at: AppTest) -> list:
    return [df.value for df in at.main.dataframe]


def _subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.main.subheader]


def test_placements_page_analyst_counts(app_env: Path) -> None:
    at = _open("analyst")
    first = _tables(at)[0]
    assert "rate_per_10k" in first.columns
    total = first[first.iloc[:, 0] == "Total"]
    assert total["placements"].tolist() == [str(N_PLACEMENTS)]
    assert any("placing authority" in s for s in _subheaders(at))


def test_placements_page_board_suppresses(app_env: Path) -> None:
    at = _open("board")
    first = _tables(at)[0]
    shown = set(first["placements"].astype(str))
    # 3 placements: every non-zero ward count is 1-4, so they and the total are suppressed
    assert "c" in shown
    assert not shown & {"1", "2", "3", "4"}
    assert any("Disclosure control" in c.value for c in at.main.caption)


def test_placements_page_refused_for_practitioner(app_env: Path) -> None:
    at = _open("practitioner")
    assert any("cannot open" in e.value for e in at.main.error)
