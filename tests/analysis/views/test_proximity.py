"""Proximity: pairs within a radius (edge inclusive), links, watchlist windows, demo data."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from analysis.views.proximity import (
    hotspot_areas,
    link_concerns,
    pairs_within,
    venues_near_hotspots,
    watchlist,
    within_radius,
)


def _pts(xy: Sequence[tuple[float, float]], **cols: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in xy], crs=27700)


def test_radius_edge_is_inclusive() -> None:
    v = _pts([(0, 0)], venue_id=["v"], name=["V"], venue_type=["takeaway/food"])
    c = _pts([(30, 40), (30, 40.0001)], location_type=[None, None])
    assert pairs_within(c, v, radius=50)["left"].tolist() == [0]
    assert link_concerns(c, v, radius=50)["distance_m"].tolist() == [50.0]
    assert within_radius(c, centre=(0, 0), radius=50).tolist() == [True, False]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=1, max_size=10),
    st.integers(0, 150),
)
def test_pairs_equal_brute_force(
    a: list[tuple[int, int]], b: list[tuple[int, int]], radius: int
) -> None:
    left, right = (
        _pts([(float(x), float(y)) for x, y in a]),
        _pts([(float(x), float(y)) for x, y in b]),
    )
    pairs = pairs_within(left, right, radius=radius)
    got = set(zip(pairs["left"].astype(int), pairs["right"].astype(int), strict=True))
    want = {
        (i, j)
        for i, (x1, y1) in enumerate(a)
        for j, (x2, y2) in enumerate(b)
        if np.hypot(x1 - x2, y1 - y2) <= radius
    }
    assert got == want


def test_location_type_agreement() -> None:
    v = _pts(
        [(0, 0), (1000, 0)], venue_id=["k", "h"], venue_type=["takeaway/food", "hotel/guest house"]
    )
    c = _pts(
        [(10, 0), (10, 0), (1010, 0), (1010, 0)],
        location_type=["park", "takeaway/food", "hotel", ""],
    )
    links = link_concerns(c, v)
    assert sorted(zip(links["concern"], links["venue_id"], strict=True)) == [
        (1, "k"),
        (2, "h"),
        (3, "h"),
    ]
    assert len(link_concerns(c, v, match_location_type=False)) == 4


def test_watchlist_windows_and_change() -> None:
    v = _pts(
        [(0, 0), (500, 0)], venue_id=["a", "b"], name=["A", "B"], venue_type=["other", "other"]
    )
    dates = ["2024-12-31", "2024-11-01", "2024-08-15", "2024-03-01", "2023-10-01", "2024-12-01"]
    c = _pts(
        [(5, 0)] * 5 + [(505, 0)],
        reported_date=pd.to_datetime(dates),
        category=["CSE", "CCE", "CSE", "CSE", "online", "CSE"],
        location_type=[None] * 6,
    )
    w = watchlist(c, v, as_of="2024-12-31").set_index("venue_id")
    # a: 3m window (2024-09-30, 2024-12-31] -> 2 (12-31, 11-01); previous 3m -> 1 (08-15)
    assert (w.loc["a", "n_3m"], w.loc["a", "prev_3m"], w.loc["a", "change_3m"]) == (2, 1, 1)
    assert (w.loc["a", "n_12m"], w.loc["a", "prev_12m"]) == (4, 1)
    assert (w.loc["a", "cat_CSE"], w.loc["a", "cat_CCE"], w.loc["a", "cat_online"]) == (3, 1, 0)
    assert w.loc["b", "n_3m"] == 1
    assert w.loc["a", "rank"] == 1
    assert "child_ref" not in w.columns and "record_id" not in w.columns


def test_hotspot_areas_merge_cells_and_venue_distances() -> None:
    cells = gpd.GeoDataFrame(
        {
            "method": "gi",
            "label": ["hot", "hot", "hot", "cold"],
            "n_events": [2, 3, 9, 0],
            "z": [2.0, 2.5, 4.0, -3.0],
            "p_value": 0.01,
            "q_value": 0.02,
            "rate_ratio": 2.0,
        },
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 200, 100),
            shapely.box(1000, 0, 1100, 100),
            shapely.box(2000, 0, 2100, 100),
        ],
        crs=27700,
    )
    areas = hotspot_areas(cells)
    assert areas["n_events"].tolist() == [9, 5] and areas["n_cells"].tolist() == [1, 2]
    v = _pts(
        [(150, 50), (150, 350), (150, 351)],
        venue_id=["in", "edge", "out"],
        name=["", "", ""],
        venue_type=["other"] * 3,
    )
    near = venues_near_hotspots(areas, v, radius=250)
    assert near[["hotspot_id", "venue_id", "distance_m"]].values.tolist() == [
        [2, "in", 0.0],
        [2, "edge", 250.0],
    ]


def test_links_on_demo_data_equal_brute_force(demo_store: dict[str, gpd.GeoDataFrame]) -> None:
    from geo.places.venues import load_bundled_venues

    concerns = demo_store["concerns"]
    venues = load_bundled_venues("kirklees")
    links = link_concerns(concerns, venues, radius=50, match_location_type=False)
    cx = concerns.geometry.x.to_numpy()
    cy = concerns.geometry.y.to_numpy()
    vx = venues.geometry.x.to_numpy()
    vy = venues.geometry.y.to_numpy()
    d = np.hypot(cx[:, None] - vx[None, :], cy[:, None] - vy[None, :])
    assert len(links) == int((d <= 50).sum()) > 0


@pytest.fixture(scope="module")
def demo_store() -> dict[str, gpd.GeoDataFrame]:
    from geo.store.gpkg import Store
    from tests._demo_store import demo_store as build

    return {"concerns": Store(build()).read("concerns")}
