"""Repeat locations and concentration (Lorenz, Gini, top share)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.hotspots.repeat import (
    gini,
    lorenz_curve,
    place_of_events,
    repeat_hotspots,
    repeat_locations,
    top_share,
)
from analysis.hotspots.result import STANDARD_COLUMNS
from geo.errors import ParameterError


def _pts(xy, **cols):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def test_gini_hand_values():
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    # 2 * (1*1 + 2*1 + 3*8) / (3 * 10) - 4/3 = 54/30 - 40/30 = 14/30
    assert gini([8, 1, 1]) == pytest.approx(14 / 30)


def test_lorenz_curve_hand_values_and_gini_area():
    lc = lorenz_curve([1, 1, 2, 4])
    assert lc["share_locations"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert lc["share_events"].tolist() == [0.0, 0.125, 0.25, 0.5, 1.0]
    area = np.trapezoid(lc["share_events"], lc["share_locations"])
    assert gini([1, 1, 2, 4]) == pytest.approx(1 - 2 * area)


def test_top_share_hand_values():
    assert top_share([10, 5, 3, 1, 1], top=0.2) == pytest.approx(0.5)
    assert top_share([10, 5, 3, 1, 1], top=0.4) == pytest.approx(0.75)
    assert top_share([1, 1, 1], top=0.01) == pytest.approx(1 / 3)  # at least one location


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=50).filter(lambda c: sum(c) > 0))
def test_gini_properties(counts):
    g = gini(counts)
    n = len(counts)
    assert -1e-12 <= g <= (n - 1) / n + 1e-12
    assert gini(counts[::-1]) == pytest.approx(g)
    assert gini([3 * c for c in counts]) == pytest.approx(g)  # scale invariant


def test_concentration_rejects_bad_input():
    for bad in ([], [0, 0], [-1, 2], [np.nan, 1]):
        with pytest.raises(ParameterError):
            gini(bad)
    with pytest.raises(ParameterError):
        top_share([1, 2], top=0)


def test_places_join_within_radius_transitively():
    xy = [[0, 0], [8, 0], [16, 0], [40, 0], [40, 0]]
    labels, n = place_of_events(_pts(xy), radius=10)
    assert n == 2
    assert labels.tolist() == [0, 0, 0, 1, 1]
    labels, n = place_of_events(_pts(xy), radius=5)
    assert n == 4


def test_repeat_hotspots_summaries_and_shape():
    xy = [[100, 100], [103, 101], [100, 100], [500, 500], [505, 500], [9000, 9000]]
    pts = _pts(
        xy,
        child_ref=["a", "b", "a", "c", "c", "d"],
        reported_date=pd.to_datetime(
            ["2024-01-01", "2024-01-11", "2024-03-01", "2024-05-01", "2024-05-03", "2024-07-01"]
        ),
        category=["CSE", "CSE", "CCE", "county lines", "county lines", "CSE"],
    )
    pts.index = [10, 11, 12, 13, 14, 15]
    out = repeat_hotspots(pts, radius=10)
    assert list(out.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert out["n_events"].tolist() == [3, 2]
    first = out.iloc[0]
    assert first["n_children"] == 2
    assert first["date_span_days"] == 60
    assert first["top_categories"] == "CSE (2); CCE (1)"
    assert first["easting"] == pytest.approx(101.0) and first["northing"] == pytest.approx(
        100 + 1 / 3
    )
    assert first.geometry.contains(first.geometry.centroid)
    assert (out["label"] == "cluster").all() and (out["method"] == "repeat").all()
    p = out.attrs["csmap_params"]
    assert p["n_places"] == 3 and p["n_repeat_places"] == 2
    assert p["gini"] == pytest.approx(gini([3, 2, 1]))
    assert p["events_at_repeat_places"] == 5


def test_repeat_min_events_and_locations_table():
    xy = [[0, 0]] * 4 + [[1000, 0]] * 2 + [[2000, 0]]
    out = repeat_hotspots(_pts(xy), min_events=3)
    assert out["n_events"].tolist() == [4]
    table = repeat_locations(_pts(xy))
    assert table["n_events"].tolist() == [4, 2, 1]
    assert table["n_children"].isna().all()
    with pytest.raises(ParameterError):
        repeat_hotspots(_pts(xy), radius=0)
    with pytest.raises(ParameterError):
        repeat_hotspots(_pts(xy), min_events=0)


def test_repeat_on_real_geography():
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    rng = np.random.default_rng(3)
    reps = np.array([(p.x, p.y) for p in area.lsoas.geometry.representative_point()])[:50]
    # 50 places; place k gets k+1 events scattered within 3 m
    xy = np.repeat(reps, np.arange(1, 51), axis=0) + rng.uniform(-3, 3, (1275, 2))
    out = repeat_hotspots(_pts(xy), radius=10)
    assert out["n_events"].tolist() == list(range(50, 1, -1))
    p = out.attrs["csmap_params"]
    assert p["gini"] == pytest.approx(gini(np.arange(1, 51)))
