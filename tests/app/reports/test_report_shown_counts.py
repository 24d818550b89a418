"""Report notes show counts as the tables do, and cross-tabs with 'c' carry a legend.

Seen as board: "300 of 300 stored placements were made by other councils" beside a Total row
of 301 (an exact count beside a perturbed one undoes the protection); captions promising "the
'hidden because' column says which" over tables without one.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from app.reports.strategic import Report, build_report
from geo.places.boundaries import load_area
from geo.store.gpkg import Store
from tests._demo_store import demo_store


@lru_cache(maxsize=6)
def _report(view: str, role: str) -> Report:
    store = Store(demo_store())
    kinds = ("concerns", "missing_episodes", "placements")
    records = {k: store.read(k) for k in kinds}
    return build_report(view, records, area=load_area("kirklees"), role=role)


def test_placements_note_counts_match_the_perturbed_total_row() -> None:
    report = _report("placements", "board")
    note = next(n for n in report.notes if "stored placements" in n)
    other = re.match(r"(\S+) of (\S+) stored placements", note)
    assert other is not None
    table = report.section("by_authority").table
    total = table.loc[table.iloc[:, 0] == "Total", "placements"].iloc[0]
    assert other.group(1) == str(total)


@pytest.mark.parametrize("view", ["placements", "missing", "agencies"])
def test_every_table_with_a_hidden_count_has_a_reason_column_or_a_legend(view: str) -> None:
    report = _report(view, "board")
    assert not any("column says which" in n and "Where a table" not in n for n in report.notes)
    checked = 0
    for section in report.sections:
        shown = section.table.astype(str)
        if not (shown.to_numpy() == "c").any():
            continue
        checked += 1
        reasons = any(str(c).endswith("hidden because") for c in section.table.columns)
        assert reasons or "marks a hidden count" in section.note, section.key
    assert checked > 0
