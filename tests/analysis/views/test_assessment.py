"""Regulation 46 assessment: counts equal brute-force distances (fixture and demo data), edge."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.views.assessment import assess, parse_location, period_bounds
from geo.errors import LocationError, ParameterError
from geo.places.boundaries import load_area

CENTRE = (414400.0, 416400.0)


@pytest.fixture(scope="module")
def area():  # type: ignore[no-untyped-def]
    return load_area("kirklees")


def _concerns(xy: list[tuple[float, float]], dates: list[str], cats: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "reported_date": pd.to_datetime(dates),
            "category": cats,
            "location_precision": "exact point",
            "in_study_area": True,
        },
        geometry=[Point(x, y) for x, y in xy],
        crs=27700,
    )


def test_radius_edge_and_period_edges(area) -> None:  # type: ignore[no-untyped-def]
    x, y = CENTRE
    c = _concerns(
        [(x + 300, y + 400), (x + 300, y + 400.01), (x, y), (x, y), (x, y)],
        ["2024-06-01", "2024-06-01", "2024-12-31", "2023-12-31", "2025-01-01"],
        ["CSE", "CSE", "CCE", "CSE", "CSE"],
    )
    a = assess(
        parse_location("414400,416400"),
        records={"concerns": c},
        area=area,
        radius=500,
        as_of="2024-12-31",
    )
    # exactly 500 m counts; 500.01 m does not; 2023-12-31 is outside (start exclusive);
    # 2024-12-31 (as_of) inside; 2025-01-01 after.
    assert a.concerns_total == 2
    assert a.concerns_by_category["CSE"] == 1 and a.concerns_by_category["CCE"] == 1
    assert a.concerns_by_year == {"2024": 2}
    assert a.rate_per_km2 == pytest.approx(2 / (np.pi * 0.25), rel=1e-3)
    assert a.imd_decile is not None and 1 <= a.imd_decile <= 10
    assert a.lsoa21cd is not None and a.lsoa21cd.startswith("E01")
    js = a.to_json()
    assert js["concerns_total"] == 2 and isinstance(js["concerns_by_category"]["CSE"], int)
    assert any("exactly on the radius" in c for c in js["caveats"])


def test_missing_found_and_last_seen(area) -> None:  # type: ignore[no-untyped-def]
    x, y = CENTRE
    m = pd.DataFrame(
        {
            "start": pd.to_datetime(["2024-05-01"] * 3),
            "found_easting": [x + 100, np.nan, x + 5000],
            "found_northing": [y, np.nan, y],
            "last_seen_easting": [x + 5000, x, x + 10],
            "last_seen_northing": [y, y, y],
        }
    )
    a = assess(
        parse_location("414400,416400"),
        records={"missing_episodes": m},
        area=area,
        as_of="2024-12-31",
    )
    assert (a.missing_found, a.missing_last_seen, a.missing_either) == (1, 2, 3)


def test_parse_location_forms_and_errors() -> None:
    loc = parse_location(" 414400 , 416400 ")
    assert (loc.easting, loc.northing, loc.precision) == (414400.0, 416400.0, "exact point")
    assert parse_location("53.65,-1.78").longitude == pytest.approx(-1.78)
    assert parse_location("SE1440016400").precision == "grid reference"
    with pytest.raises(LocationError):
        parse_location("not a place")
    with pytest.raises(LocationError):
        parse_location("HD1 2AB", lookups=None)


def test_bad_parameters(area) -> None:  # type: ignore[no-untyped-def]
    loc = parse_location("414400,416400")
    with pytest.raises(ParameterError):
        assess(loc, records={}, area=area, radius=0)
    with pytest.raises(ParameterError):
        assess(loc, records={}, area=area, months=0)


@pytest.mark.parametrize("radius", [250, 1000])
def test_demo_counts_equal_brute_force(area, radius: int) -> None:  # type: ignore[no-untyped-def]
    from geo.places.venues import load_bundled_venues
    from geo.store.gpkg import Store
    from tests._demo_store import demo_store

    store = Store(demo_store())
    concerns, missing = store.read("concerns"), store.read("missing_episodes")
    as_of = pd.to_datetime(concerns["reported_date"]).max()
    # centre on the latest concern with a location (so the period holds at least that one)
    located = concerns[concerns.geometry.notna()]
    centre = located.geometry.loc[pd.to_datetime(located["reported_date"]).idxmax()]
    loc = parse_location(f"{centre.x},{centre.y}")
    venues = load_bundled_venues("kirklees")
    a = assess(
        loc,
        records={"concerns": concerns, "missing_episodes": missing},
        area=area,
        venues=venues,
        radius=radius,
        months=12,
        as_of=as_of,
    )
    start, end = period_bounds(as_of, 12)

    def near(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.hypot(x - loc.easting, y - loc.northing) <= radius

    d = pd.to_datetime(concerns["reported_date"])
    in_period = ((d > start) & (d <= end)).to_numpy()
    hit = in_period & near(concerns.geometry.x.to_numpy(), concerns.geometry.y.to_numpy())
    assert a.concerns_total == int(hit.sum()) > 0
    want = concerns.loc[hit, "category"].astype(object).fillna("not recorded").value_counts()
    assert {k: v for k, v in a.concerns_by_category.items() if v} == want.to_dict()
    md = pd.to_datetime(missing["start"])
    mp = ((md > start) & (md <= end)).to_numpy()
    fx, fy = missing["found_easting"].to_numpy(float), missing["found_northing"].to_numpy(float)
    lx, ly = (
        missing["last_seen_easting"].to_numpy(float),
        missing["last_seen_northing"].to_numpy(float),
    )
    with np.errstate(invalid="ignore"):
        assert a.missing_found == int((mp & near(fx, fy)).sum())
        assert a.missing_last_seen == int((mp & near(lx, ly)).sum())
    vx, vy = venues.geometry.x.to_numpy(), venues.geometry.y.to_numpy()
    assert sum(a.venues_by_type.values()) == int(near(vx, vy).sum())
