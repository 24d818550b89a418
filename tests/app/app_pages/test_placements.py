"""AppTest for the placements page, as analyst and as board (tests/_app_store.py store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.maps.vendor import missing_assets
from tests._app_store import N_PLACEMENTS
from tests._pages import ROLE_KEY, open_page, store_fixture, subheaders, tables

PAGE = "app_pages/placements.py"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


store = store_fixture("appstore_placements")


def _open(role: str) -> AppTest:
    return open_page(PAGE, role=role, role_key=ROLE_KEY)


def test_placements_page_analyst_counts(app_env: Path) -> None:
    at = _open("analyst")
    first = tables(at)[0]
    assert "rate_per_10k" in first.columns
    total = first[first.iloc[:, 0] == "Total"]
    assert total["placements"].tolist() == [str(N_PLACEMENTS)]
    assert any("placing authority" in s for s in subheaders(at))


def test_placements_page_board_suppresses(app_env: Path) -> None:
    at = _open("board")
    first = tables(at)[0]
    shown = set(first["placements"].astype(str))
    # 3 placements: every non-zero ward count is 1-4, so they and the total are suppressed
    assert "c" in shown
    assert not shown & {"1", "2", "3", "4"}
    assert any("Disclosure control" in c.value for c in at.main.caption)


def test_placements_page_refused_for_practitioner(app_env: Path) -> None:
    at = _open("practitioner")
    assert any("cannot open" in e.value for e in at.main.error)


def test_placements_page_board_shows_no_none_or_nan_text(app_env: Path) -> None:
    at = _open("board")
    for table in tables(at):
        text = table.astype(object).where(table.notna(), "None").astype(str)
        assert not text.isin(["None", "nan", "<NA>"]).to_numpy().any(), table
