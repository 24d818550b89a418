"""AppTest for the agencies page, as analyst and as board (tests/_app_store.py store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _app_store import N_CONCERNS, build_store
from streamlit.testing.v1 import AppTest

from app.vendor import missing_assets

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
PAGE = "app_pages/agencies.py"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("appstore_agencies"))


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


def test_agencies_page_analyst(app_env: Path) -> None:
    at = _open("analyst")
    by_area = _tables(at)[0]
    total = by_area[by_area.iloc[:, 0] == "Total"]["Total"].tolist()
    assert [int(v) for v in total] == [N_CONCERNS]
    assert {"police", "education"} <= set(by_area.columns)


def test_agencies_page_board_suppresses(app_env: Path) -> None:
    at = _open("board")
    by_area = _tables(at)[0]
    values = set(by_area.drop(columns=by_area.columns[0]).astype(str).to_numpy().ravel())
    assert not values & {"1", "2", "3", "4"}
    assert not any("(analyst)" in h for h in _subheaders(at))
