"""AppTest for the agencies page, as analyst and as board (tests/_app_store.py store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.maps.vendor import missing_assets
from tests._app_store import N_CONCERNS
from tests._pages import ROLE_KEY, open_page, store_fixture, subheaders, tables

PAGE = "app_pages/agencies.py"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


store = store_fixture("appstore_agencies")


def _open(role: str) -> AppTest:
    return open_page(PAGE, role=role, role_key=ROLE_KEY)


def test_agencies_page_analyst(app_env: Path) -> None:
    at = _open("analyst")
    by_area = tables(at)[0]
    total = by_area[by_area.iloc[:, 0] == "Total"]["Total"].tolist()
    assert [int(v) for v in total] == [N_CONCERNS]
    assert {"police", "education"} <= set(by_area.columns)


def test_agencies_page_board_suppresses(app_env: Path) -> None:
    at = _open("board")
    by_area = tables(at)[0]
    values = set(by_area.drop(columns=by_area.columns[0]).astype(str).to_numpy().ravel())
    assert not values & {"1", "2", "3", "4"}
    assert not any("(analyst)" in h for h in subheaders(at))
