"""AppTest: the disruption planner page on the small app store (tests/_app_store.py)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests._pages import new_app, open_page, store_fixture

PAGE = "app_pages/disruption.py"


store = store_fixture("dis_app")


def test_page_renders_tables_without_identifiers(app_env: Path) -> None:
    at = open_page(PAGE, timeout=90)
    assert at.title[0].value == "Disruption planner"
    metrics = {m.label: m.value for m in at.main.metric}
    assert {"Hotspots", "Venues near hotspots", "Watchlist venues"} <= set(metrics)
    for frame in at.dataframe:
        cols = set(frame.value.columns)
        assert not cols & {"child_ref", "record_id", "summary"}
    # the watchlist table has the window columns
    assert any("n_3m" in f.value.columns and "change_12m" in f.value.columns for f in at.dataframe)


def test_page_refused_for_board(app_env: Path) -> None:
    at = new_app(role="board", timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("board role cannot open this page" in e.value for e in at.error)
    assert not at.dataframe


def _count_cells(at: AppTest) -> list[tuple[str, str]]:
    cells = []
    for frame in at.dataframe:
        table = frame.value
        for col in table.columns:
            if str(col).startswith(("n_", "prev_", "cat_")) and str(col) != "n_cells":
                cells += [(str(col), str(v)) for v in table[col]]
    return cells


def test_partner_tables_are_disclosure_controlled(app_env: Path) -> None:
    at = new_app(role="analyst", timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    raw = _count_cells(at)
    assert {v for _, v in raw} & {"1", "2", "3", "4"}, "analyst sees small counts (not blind)"
    at = new_app(role="partner", timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    shown = _count_cells(at)
    assert shown and not {v for _, v in shown} & {"1", "2", "3", "4"}
    assert ("n_12m", "c") in shown or ("n_3m", "c") in shown
    assert any("Disclosure control (partner)" in c.value for c in at.caption)


def test_partner_tables_show_no_none_or_nan_text_and_explain_c(app_env: Path) -> None:
    at = new_app(role="partner", timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    with_c = 0
    for frame in at.dataframe:
        table = frame.value
        text = table.astype(object).where(table.notna(), "None").astype(str)
        assert not text.isin(["None", "nan", "<NA>"]).to_numpy().any(), table
        with_c += int((text.to_numpy() == "c").any())
    assert with_c
    assert any("marks a hidden count" in c.value for c in at.main.caption)
