"""Count columns by pattern (``n_*``, ``prev_*``, ``change_*``, ``cat_*``) in the export policy."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from app.access.policy import apply_export_policy, is_count_column

SMALL = {str(v) for v in range(1, 5)}


def _watchlist() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "venue_id": ["v1", "v2", "v3"],
            "name": ["Inn", "Cafe", "Park"],
            "n_3m": [2, 9, 0],
            "prev_3m": [7, 1, 6],
            "change_3m": [-5, 8, -6],
            "n_12m": [12, 15, 8],
            "prev_12m": [10, 20, 0],
            "change_12m": [2, -5, 8],
            "cat_CSE": [9, 3, 8],
            "cat_CCE": [3, 12, 0],
        }
    )


def test_watchlist_columns_are_counts() -> None:
    assert all(is_count_column(c) for c in ("n_3m", "prev_3m", "change_12m", "cat_CSE"))
    assert not any(is_count_column(c) for c in ("rank", "venue_id", "name", "n_cells"))


def test_partner_watchlist_is_suppressed_by_hand_reference() -> None:
    out = apply_export_policy(_watchlist(), role="partner", kind="venues")
    assert out["n_3m"].tolist() == ["c", "9", "0"]
    assert out["prev_3m"].tolist() == ["7", "c", "6"]
    # change hidden wherever either of its counts is: v1 (n_3m=2), v2 (prev_3m=1)
    assert out["change_3m"].tolist() == ["c", "c", "-6"]
    assert out["n_12m"].tolist() == ["12", "15", "8"]
    assert out["change_12m"].tolist() == ["2", "-5", "8"]
    # categories: 3 is hidden, and its row partner too (else 12 - 9 = 3 is recoverable)
    assert out["cat_CSE"].tolist() == ["c", "c", "8"]
    assert out["cat_CCE"].tolist() == ["c", "c", "0"]
    counts = [c for c in out.columns if is_count_column(c) and not c.startswith("change_")]
    assert not set(out[counts].astype(str).to_numpy().ravel()) & SMALL


def test_analyst_watchlist_is_unchanged() -> None:
    raw = _watchlist()
    pd.testing.assert_frame_equal(apply_export_policy(raw, role="analyst", kind="venues"), raw)


def test_partner_hotspots_need_min_children() -> None:
    spots = gpd.GeoDataFrame(
        {"hotspot_id": [1, 2], "n_events": [12, 30]},
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)],
        crs=27700,
    )
    # hotspot 1: 12 events of 2 children; hotspot 2: 30 events of 6 children
    refs = ["A", "B"] * 6 + [f"K{i % 6}" for i in range(30)]
    pts = [Point(50, 50)] * 12 + [Point(250, 50)] * 30
    events = gpd.GeoDataFrame({"child_ref": refs}, geometry=pts, crs=27700)
    out = apply_export_policy(spots, role="partner", kind="hotspots", events=events)
    assert out["hotspot_id"].tolist() == [2]
    assert out["n_events"].tolist() == ["30"]
