"""Minimum distinct children in the remaining board/partner tables: placements' distance summary
and hotspot relation, agencies' risk-level moves and the strategic report's repeat placements."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from analysis.disclosure.control import DisclosurePolicy
from analysis.views.agencies import risk_moves_summary
from analysis.views.placements import distance_summary, hotspot_relation
from geo.locate.geocode import Lookups, PostcodeLookup

#: threshold 5, min_children 5; the minimum-children rule is checked by hand, so without the cell
#: key perturbation (which moves shown counts by up to 2; tested in test_analysis_cell_key.py,
#: test_analysis_disclosure_differencing.py and test_perturbed_tables_stay_within_noise below)
BOARD = DisclosurePolicy(cell_key=False)
FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_hotspot_relation_needs_min_children() -> None:
    hs = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700)
    # 6 placements of ONE child inside the hotspot; 7 of 7 children 2 km away
    pts = [Point(50, 50)] * 6 + [Point(2000 + i, 2000) for i in range(7)]
    refs = ["K1"] * 6 + [f"L{i}" for i in range(7)]
    g = gpd.GeoDataFrame({"child_ref": refs}, geometry=pts, crs=27700)
    analyst = hotspot_relation(g, hs)
    assert analyst["placements"].tolist() == [6, 0, 7, 0, 13]
    board = hotspot_relation(g, hs, policy=BOARD)
    assert board.loc["within hotspot", "placements_display"] == "c"  # 6 rows, 1 child
    assert board.loc["further", "placements_display"] == "c"  # its partner against the total
    assert board.loc["Total", "placements_display"] == "13"
    seven = g.assign(child_ref=[f"K{i}" for i in range(6)] + refs[6:])  # 6 children inside
    assert hotspot_relation(seven, hs, policy=BOARD)["placements_display"].tolist()[0] == "6"


def test_distance_summary_needs_min_children() -> None:
    lk = Lookups(postcode=PostcodeLookup.from_csv(FIXTURES / "ssda903" / "postcodes.csv"))
    # 6 placements over 20 miles (home ZZ9 9HB, ~35.8 km) of one child; 7 near home of 7
    g = gpd.GeoDataFrame(
        {
            "home_postcode": ["ZZ9 9HB"] * 6 + ["ZZ9 9HA"] * 7,
            "child_ref": ["K1"] * 6 + [f"L{i}" for i in range(7)],
        },
        geometry=[Point(414600, 416600)] * 13,
        crs=27700,
    )
    assert distance_summary(g, lookups=lk).loc["over 20 miles", "placements"] == 6
    board = distance_summary(g, lookups=lk, policy=BOARD)
    assert board.loc["over 20 miles", "placements_display"] == "c"
    assert board["share"].isna()["over 20 miles"]  # a share would reveal the count
    many = g.assign(child_ref=[f"K{i}" for i in range(6)] + [f"L{i}" for i in range(7)])
    shown = distance_summary(many, lookups=lk, policy=BOARD)
    assert shown.loc["over 20 miles", "placements_display"] == "6"


def _moves(children: list[str], levels: list[str]) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=len(levels), freq="MS")
    return pd.DataFrame(
        {
            "child_ref": [k for k in children for _ in levels],
            "reported_date": list(dates) * len(children),
            "risk_level": levels * len(children),
        }
    )


def test_risk_moves_summary_needs_min_children() -> None:
    # child A: low -> high -> low six times (6 moves up, 6 down); B0..B5 each move up once
    one = pd.concat(
        [
            _moves(["A"], ["low", "high"] * 6 + ["low"]),
            _moves([f"B{i}" for i in range(6)], ["low", "high"]),
        ],
        ignore_index=True,
    )
    one["record_id"] = [str(i) for i in range(len(one))]
    analyst = risk_moves_summary(one)
    assert int(analyst.loc["up", "no reason recorded"]) == 12
    assert int(analyst.loc["down", "no reason recorded"]) == 6
    board = risk_moves_summary(one, policy=BOARD)
    assert board.loc["down", "no reason recorded"] == "c"  # 6 moves, one child
    # the same counts from six children (A0..A5: low -> high -> low) are shown
    six = pd.concat(
        [_moves([f"A{i}" for i in range(6)], ["low", "high", "low"]), _moves(["Z"], ["low"])],
        ignore_index=True,
    )
    six["record_id"] = [str(i) for i in range(len(six))]
    shown = risk_moves_summary(six, policy=BOARD)
    assert shown.loc["down", "no reason recorded"] == "6"
    assert shown.loc["up", "no reason recorded"] == "6"


def test_repeat_placements_by_ward_needs_min_children() -> None:
    from app.reports.strategic import build_report
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    ward = str(area.wards["ward_nm"].iloc[0])
    # 6 placements in one ward, each with repeat missing (3 episodes in 90 days) by ONE child
    # who moved between them
    starts = pd.date_range("2024-01-01", periods=6, freq="14D")
    placements = gpd.GeoDataFrame(
        {
            "placement_id": [f"P{i}" for i in range(6)],
            "child_ref": "K1",
            "start_date": starts,
            "end_date": [*starts[1:], pd.NaT],
            "ward_nm": ward,
        },
        geometry=[Point(414600, 416600)] * 6,
        crs=27700,
    )
    episodes = gpd.GeoDataFrame(
        {
            "episode_id": [f"E{i}" for i in range(18)],
            "child_ref": "K1",
            "episode_type": "missing",
            "start": [s + pd.Timedelta(days=d) for s in starts for d in (1, 2, 3)],
            "end": [s + pd.Timedelta(days=d, hours=5) for s in starts for d in (1, 2, 3)],
        },
        geometry=[Point(414600, 416600)] * 18,
        crs=27700,
    )
    records = {"missing_episodes": episodes, "placements": placements}

    def table(role: str) -> pd.DataFrame:
        report = build_report("missing", records, area=area, role=role)
        return report.section("repeat_placements_by_ward").table.set_index("ward_nm")

    analyst = table("analyst")
    assert str(analyst.loc[ward, "repeat_placements"]) == "6"
    board = table("board")
    assert str(board.loc[ward, "repeat_placements"]) == "c"  # 6 placements, but one child


def test_perturbed_tables_keep_the_minimum_children_rule() -> None:
    """With the default policy (cell key on) the same cells are hidden; shown ones move <= 2."""
    hs = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700)
    pts = [Point(50, 50)] * 6 + [Point(2000 + i, 2000) for i in range(7)]
    refs = ["K1"] * 6 + [f"L{i}" for i in range(7)]
    g = gpd.GeoDataFrame({"child_ref": refs}, geometry=pts, crs=27700)
    board = hotspot_relation(g, hs, policy=DisclosurePolicy())
    assert board.loc["within hotspot", "placements_display"] == "c"
    assert board.loc["further", "placements_display"] == "c"
    assert abs(int(str(board.loc["Total", "placements_display"])) - 13) <= 2
