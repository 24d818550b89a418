"""One location-column pattern (``analysis.disclosure.control.LOCATION_COLUMNS``) for every
remover."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.disclosure import spatial as disclosure_geo
from analysis.disclosure.control import LOCATION_COLUMNS, displace_points
from app.access import policy

REVEALING = [
    "easting",
    "Northing",
    "lat",
    "lon",
    "lng",
    "x",
    "y",
    "latitude",
    "found_longitude",
    "last_seen_grid_ref",
    "postcode",
    "uprn",
    "address",
    "place_name",
    "found_place_name",
    "location_precision",
]
SAFE = ["ward_nm", "n_events", "cell_x", "category", "label", "hotspot_id", "lsoa21cd"]


@pytest.mark.parametrize("name", REVEALING)
def test_pattern_matches_location_columns(name: str) -> None:
    assert LOCATION_COLUMNS.match(name)


@pytest.mark.parametrize("name", SAFE)
def test_pattern_leaves_other_columns(name: str) -> None:
    assert not LOCATION_COLUMNS.match(name)


def test_no_parallel_pattern_left() -> None:
    assert not hasattr(policy, "_LOCATION")
    assert not hasattr(disclosure_geo, "_LOCATION_NAMES")


def test_partner_export_and_displacement_drop_the_same_columns() -> None:
    frame = gpd.GeoDataFrame(
        {c: [1.0, 2.0] for c in REVEALING} | {"ward_nm": ["A", "B"], "n_events": [9, 12]},
        geometry=[Point(400000, 400000), Point(400100, 400100)],
        crs=27700,
    )
    frame["n_children"] = [6, 7]
    exported = policy.apply_export_policy(frame, role="partner", kind="hotspots")
    assert not [c for c in exported.columns if c in REVEALING]
    assert {"ward_nm", "n_events"} <= set(exported.columns)
    moved = displace_points(frame, min_m=10, max_m=20, seed=3)
    kept = set(moved.columns) - {"easting", "northing", "latitude", "longitude"}
    assert not kept & set(REVEALING)  # place_name and lng included
    assert isinstance(moved, pd.DataFrame)
