"""Missing: repeat missing vs brute force, placement attachment, duration, distance, RHI."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from analysis.disclosure.control import DisclosurePolicy
from analysis.views import missing as ms


def _brute_repeat(starts: list[pd.Timestamp], k: int = 3, days: int = 90) -> bool:
    return any(sum(1 for s in starts if t <= s <= t + pd.Timedelta(days=days)) >= k for t in starts)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=8))
def test_repeat_children_matches_brute_force(days: list[int]) -> None:
    starts = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=d) for d in days]
    e = pd.DataFrame({"child_ref": "A", "start": starts})
    got = ms.repeat_children(e)
    assert bool(got.loc["A", "repeat"]) == _brute_repeat(starts)
    assert int(got.loc["A", "episodes"]) == len(days)


def test_repeat_window_edges() -> None:
    e = pd.DataFrame(
        {
            "child_ref": ["A"] * 3 + ["B"] * 3,
            "start": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-03-31", "2024-01-01", "2024-02-01", "2024-04-01"]
            ),
        }
    )
    got = ms.repeat_children(e)
    assert got["repeat"].to_dict() == {"A": True, "B": False}  # 90 days inclusive vs 91


def test_attach_and_repeat_placements() -> None:
    p = pd.DataFrame(
        {
            "placement_id": ["P1", "P2", "P3"],
            "child_ref": ["A", "A", "B"],
            "start_date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-01-01"]),
            "end_date": pd.to_datetime(["2024-03-01", None, None]),
            "ward_nm": ["W1", "W2", "W1"],
        }
    )
    e = pd.DataFrame(
        {
            "child_ref": ["A", "A", "A", "A", "B", "C"],
            "start": pd.to_datetime(
                ["2024-01-05", "2024-02-01", "2024-03-01", "2024-03-10", "2024-02-01", "2024-02-01"]
            ),
        }
    )
    got = ms.attach_placements(e, p).tolist()
    assert got[:5] == ["P1", "P1", "P2", "P2", "P3"] and pd.isna(got[5])
    rp = ms.repeat_placements(e, p)
    assert rp["episodes"].to_dict() == {"P1": 2, "P2": 2, "P3": 1}
    assert not rp["repeat"].any()
    assert rp.loc["P2", "ward_nm"] == "W2"


def test_duration_table_brute_force() -> None:
    rng = np.random.default_rng(4)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 1000, 60), unit="h")
    hours = rng.integers(0, 200, 60).astype(float)
    hours[:7] = np.nan
    end = start + pd.to_timedelta(hours, unit="h")
    kind = rng.choice(["missing", "away without authorisation"], 60)
    e = pd.DataFrame({"start": start, "end": end, "episode_type": kind})
    t = ms.duration_table(e)
    assert int(t.loc["still open / no end", "Total"]) == 7
    assert int(t.loc["under 24 hours", "missing"]) == int(
        ((hours < 24) & (kind == "missing")).sum()
    )
    assert int(t.loc["over 3 days", "Total"]) == int((hours > 72).sum())
    assert int(t.loc["Total", "Total"]) == 60


def test_found_distance_from_last_seen_else_placement() -> None:
    e = gpd.GeoDataFrame(
        {
            "child_ref": ["A", "B"],
            "start": pd.to_datetime(["2024-02-01", "2024-02-01"]),
            "last_seen_easting": [0.0, np.nan],
            "last_seen_northing": [0.0, np.nan],
            "found_easting": [600.0, 1000.0],
            "found_northing": [800.0, 0.0],
        }
    )
    p = gpd.GeoDataFrame(
        {
            "placement_id": ["P1"],
            "child_ref": ["B"],
            "start_date": pd.to_datetime(["2024-01-01"]),
            "end_date": [pd.NaT],
        },
        geometry=[Point(1000, 5000)],
        crs=27700,
    )
    d = ms.found_distance(e, p)
    assert d["distance_km"].tolist() == pytest.approx([1.0, 5.0])
    assert d["from"].tolist() == ["last seen", "placement"]
    t = ms.found_distance_table(e, p)
    assert int(t.loc["1 to 5 km", "episodes"]) == 1 and int(t.loc["5 to 20 miles", "episodes"]) == 1


def _rhi_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    delay = rng.integers(0, 8, n)
    offered = rng.random(n) < 0.7
    accepted = offered & (rng.random(n) < 0.6)
    rhi = pd.Series(end + pd.to_timedelta(delay, unit="D")).where(accepted)
    ended = pd.Series(end).where(rng.random(n) < 0.9)
    return pd.DataFrame(
        {
            "end": ended,
            "rhi_offered": offered,
            "rhi_accepted": accepted,
            "rhi_date": rhi,
            "last_seen_ward_nm": rng.choice(["W1", "W2", "W3"], n),
            "placing_authority": rng.choice(["E08000034", "E08000035", None], n),
        }
    )


def test_rhi_by_ward_and_month_brute_force() -> None:
    e = _rhi_frame(300, 7)
    t = ms.rhi_by_ward(e)
    ended = e["end"].notna()
    within = ended & ((e["rhi_date"] - e["end"]) <= pd.Timedelta(hours=72))
    for w in ("W1", "W2", "W3"):
        m = e["last_seen_ward_nm"] == w
        assert int(t.loc[w, "ended"]) == int((m & ended).sum())
        assert int(t.loc[w, "offered"]) == int((m & ended & e["rhi_offered"]).sum())
        assert int(t.loc[w, "accepted"]) == int((m & ended & e["rhi_accepted"]).sum())
        assert int(t.loc[w, "within_72h"]) == int((m & within).sum())
    assert int(t.loc["Total", "ended"]) == int(ended.sum())
    months = ms.rhi_by_month(e, lad_cd="E08000034", other_councils_only=True)
    other = ended & (e["placing_authority"] == "E08000035")
    assert int(months.loc["Total", "ended"]) == int(other.sum())
    jan = other & (e["end"].dt.month == 1)
    assert int(months.loc["2024-01", "within_72h"]) == int((jan & within).sum())


def test_rhi_board_suppression() -> None:
    e = _rhi_frame(40, 9)
    t = ms.rhi_by_ward(e, policy=DisclosurePolicy())
    for col in ("ended", "offered", "accepted", "within_72h"):
        assert not t[f"{col}_display"].isin(["1", "2", "3", "4"]).any()
        hidden = t[col].isna()
        assert hidden.sum() != 1
    assert t.loc[t["within_72h"].isna(), "within_72h_share"].isna().all()


def test_found_hotspots_uses_the_engine() -> None:
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal(415000, 150, (60, 2)), rng.uniform(405000, 425000, (60, 2))])
    e = gpd.GeoDataFrame(
        {"found_easting": xy[:, 0], "found_northing": xy[:, 1]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=27700,
    )
    from shapely.geometry import box

    res = ms.found_hotspots(
        e, area=box(400000, 400000, 430000, 430000), method="gi", cell_size=500, band=800
    )
    assert res.attrs["csmap_params"]["method"] == "gi"
    hot = res[res["label"] == "hot"]
    assert len(hot) and hot.union_all().distance(Point(415000, 415000)) < 500
