"""Minimum distinct children in the strategic tables (``children=`` of
``analysis.disclosure.tables``)."""

from __future__ import annotations

import pandas as pd

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import controlled, distinct_children
from analysis.views.missing import rhi_by_ward
from analysis.views.placements import by_placing_authority, by_region

BOARD = DisclosurePolicy()  # threshold 5, min_children 5


def test_controlled_suppresses_cells_with_few_children() -> None:
    table = pd.DataFrame({"n": [8, 9, 30]}, index=pd.Index(["a", "b", "c"], name="ward"))
    plain = controlled(table, count="n", policy=BOARD)
    assert plain["n_display"].tolist() == ["8", "9", "30", "47"]
    kids = pd.Series({"a": 1, "b": 7, "c": 20})  # a: 8 records of one child
    shown = controlled(table, count="n", policy=BOARD, children=kids)
    assert shown["n_display"].tolist()[0] == "c"
    assert shown["n_display"].tolist().count("c") == 2  # and its partner against the total
    assert controlled(table, count="n", policy=None, children=kids)["n"].tolist() == [8, 9, 30, 47]


def test_distinct_children_ignores_blank_references() -> None:
    r = pd.DataFrame({"k": ["x", "x", "x", "y"], "child_ref": ["A", " ", None, "B"]})
    assert distinct_children(r, r["k"]).to_dict() == {"x": 1, "y": 1}


def _placements() -> pd.DataFrame:
    # Yorkshire (Leeds, E08000035): 6 placements of ONE child; London (E09000001): 7 of 7
    return pd.DataFrame(
        {
            "placing_authority": ["E08000035"] * 6 + ["E09000001"] * 7,
            "child_ref": ["K1"] * 6 + [f"L{i}" for i in range(7)],
        }
    )


def test_placements_tables_pass_children() -> None:
    region = by_region(_placements(), policy=BOARD)
    assert region.loc["Yorkshire and The Humber", "placements_display"] == "c"
    assert by_region(_placements())["placements"]["Yorkshire and The Humber"] == 6  # analyst
    # top=1 keeps London (7 placements, 7 children); Leeds (6 of one child) is "Other LAs"
    la = by_placing_authority(_placements(), top=1, policy=BOARD)
    assert la.loc["Other LAs", "placements_display"] == "c"
    assert la.loc["E09000001", "placements_display"] == "c"  # its partner against the total


def test_rhi_by_ward_passes_children() -> None:
    episodes = pd.DataFrame(
        {
            "last_seen_ward_nm": ["Batley East"] * 6 + ["Dewsbury West"] * 8,
            "end": pd.to_datetime(["2024-01-02"] * 14),
            "child_ref": ["C1", "C2"] * 3 + [f"D{i}" for i in range(8)],
        }
    )
    board = rhi_by_ward(episodes, policy=BOARD)
    assert board.loc["Batley East", "ended_display"] == "c"  # 6 episodes of 2 children
    assert int(rhi_by_ward(episodes).loc["Batley East", "ended"]) == 6


def test_quarter_and_type_tables_pass_children() -> None:
    from analysis.views.missing import duration_table
    from analysis.views.placements import by_quarter, by_type

    p = pd.DataFrame(
        {
            "start_date": pd.to_datetime(["2024-01-05"] * 6 + ["2024-04-05"] * 7),
            "placement_type": ["K2"] * 13,
            "provider_type": ["PR4"] * 6 + ["PR5"] * 7,
            "child_ref": ["K1"] * 6 + [f"L{i}" for i in range(7)],
        }
    )
    assert by_quarter(p, policy=BOARD).loc["2024-Q1", "placements_display"] == "c"
    assert by_type(p).loc["K2", "PR4"] == 6
    assert by_type(p, policy=BOARD).loc["K2", "PR4"] == "c"
    e = pd.DataFrame(
        {
            "episode_type": ["missing"] * 6,
            "start": pd.to_datetime(["2024-01-01"] * 6),
            "end": pd.to_datetime(["2024-01-01 05:00"] * 6),
            "child_ref": ["C1"] * 6,
        }
    )
    assert int(duration_table(e).loc["under 24 hours", "missing"]) == 6
    assert duration_table(e, policy=BOARD).loc["under 24 hours", "missing"] == "c"


def test_agency_tables_pass_children() -> None:
    from analysis.views.agencies import agency_by_area, agency_by_quarter

    c = pd.DataFrame(
        {
            "ward_nm": ["A"] * 6 + ["B"] * 7,
            "reporting_agency": ["police"] * 13,
            "reported_date": pd.to_datetime(["2024-01-05"] * 6 + ["2024-05-05"] * 7),
            "child_ref": ["K1"] * 6 + [f"L{i}" for i in range(7)],  # ward A: one child
        }
    )
    assert int(agency_by_area(c).loc["A", "police"]) == 6
    assert agency_by_area(c, policy=BOARD).loc["A", "police"] == "c"
    assert agency_by_quarter(c, policy=BOARD).loc["2024-Q1", "police"] == "c"
