"""Hidden counts say why they are hidden; all-hidden tables are aggregated (issue #12, item 10).

On the demo store as board, the return-home-interview tables showed ``c`` for 42, 36 and 16
(fewer than 5 distinct children) while the note said ``c`` means 1-4, and "Placements with
repeat missing, by ward" was all ``c``.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pytest

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import coarsened, controlled
from app.reports.strategic import Report, build_report
from geo.places.boundaries import load_area
from geo.store.gpkg import Store
from tests._demo_store import demo_store

RHI = ("rhi_area", "rhi_month", "rhi_month_other")


@lru_cache(maxsize=2)
def _report(role: str) -> Report:
    store = Store(demo_store())
    records = {k: store.read(k) for k in ("missing_episodes", "placements")}
    return build_report("missing", records, area=load_area("kirklees"), role=role)


@pytest.mark.parametrize("key", RHI)
def test_every_hidden_rhi_count_says_why_and_small_count_means_small(key: str) -> None:
    board = _report("board").section(key).table
    analyst = _report("analyst").section(key).table
    first = board.columns[0]
    board, analyst = board.set_index(first), analyst.set_index(first)
    checked = 0
    for column in ("ended", "offered", "accepted", "within_72h"):
        hidden = board[column].astype(str) == "c"
        if not hidden.any():
            continue
        why = board.loc[hidden, f"{column} hidden because"]
        assert (why != "").all()
        truth = pd.to_numeric(analyst.loc[hidden[hidden].index, column])
        # "small count": the count before or after the cell-key perturbation (at most 2) is 1-4
        small = why == "small count"
        assert truth[small.to_numpy()].between(1, 4 + 2).all()
        assert (why[(truth >= 5 + 2).to_numpy()] != "small count").all()
        assert not why.str.contains("1-4").any()
        checked += int(hidden.sum())
    assert checked > 0


def test_some_rhi_count_is_hidden_for_too_few_children() -> None:
    reasons = set()
    for key in RHI:
        table = _report("board").section(key).table
        for column in [c for c in table.columns if str(c).endswith("hidden because")]:
            reasons |= set(table[column])
    assert "fewer than 5 children" in reasons
    notes = " ".join(_report("board").notes)
    assert "fewer than 5 distinct children" in notes and "hidden because" in notes


def test_repeat_placements_by_ward_shows_something() -> None:
    section = _report("board").section("repeat_placements_by_ward")
    shown = section.table["repeat_placements"].astype(str)
    assert shown.str.isdigit().any(), section.table
    assert "all wards" in section.note


def test_coarsened_by_hand() -> None:
    t = pd.DataFrame({"n": [3, 2, 4, 0]}, index=pd.Index(list("abcd"), name="ward"))
    out = controlled(t, count="n", policy=DisclosurePolicy())
    assert out["n_display"].tolist() == ["c", "c", "c", "0", "9"]
    whole = coarsened(out, count="n", label="All wards")
    assert whole is not None
    assert whole.index.tolist() == ["All wards"] and whole["n_display"].tolist() == ["9"]
    some = controlled(t.assign(n=[3, 2, 8, 0]), count="n", policy=DisclosurePolicy())
    assert coarsened(some, count="n", label="All wards") is None  # something is shown already
    tiny = controlled(t.assign(n=[1, 1, 1, 0]), count="n", policy=DisclosurePolicy())
    assert coarsened(tiny, count="n", label="All wards") is None  # the total is hidden too


def test_coarsened_total_needs_min_children() -> None:
    t = pd.DataFrame({"n": [3, 2, 4]}, index=pd.Index(list("abc"), name="ward"))
    out = controlled(t, count="n", policy=DisclosurePolicy())
    assert coarsened(out, count="n", label="All", children=4, min_children=5) is None
    assert coarsened(out, count="n", label="All", children=5, min_children=5) is not None
