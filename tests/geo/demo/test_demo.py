"""Tests for geo.demo.records (synthetic records on real geography) and ``csmap demo-data``."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli import main
from geo.demo.places import TOWN_CENTRES
from geo.demo.records import BASE_COUNTS, PERIOD_END, PERIOD_START, SYNTHETIC_NOTICE, generate
from geo.errors import ParameterError
from geo.ingest.schema import COLUMNS
from geo.ingest.values import PLACEMENT
from geo.locate.coords import parse_grid_ref, wgs84_to_bng
from geo.places.boundaries import assign_areas, load_area
from geo.places.datasets import get_path
from geo.places.venues import load_bundled_venues
from geo.vocab import (
    AGE_MAX,
    AGE_MIN,
    AGENCIES,
    CATEGORIES,
    EPISODE_TYPES,
    LOCATION_TYPES,
    PROVIDER_TYPES,
    RISK_LEVELS,
)


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return generate(area="kirklees", seed=20261121, scale=1.0)


def _xy(frame: pd.DataFrame, prefix: str = "") -> np.ndarray:
    """Points of a demo frame in BNG from whichever location columns a row has."""
    lat = frame[f"{prefix}latitude"].to_numpy(dtype=float)
    lon = frame[f"{prefix}longitude"].to_numpy(dtype=float)
    e, n = wgs84_to_bng(lon, lat)
    east = frame[f"{prefix}easting"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    north = frame[f"{prefix}northing"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    e = np.where(np.isnan(e), east, e)
    n = np.where(np.isnan(n), north, n)
    for i, ref in enumerate(frame[f"{prefix}grid_ref"]):
        if isinstance(ref, str):
            e[i], n[i], _ = parse_grid_ref(ref)
    return np.column_stack([e, n])


def _assert_in(values: pd.Series, allowed: object) -> None:
    present = set(values.dropna())
    assert present <= set(allowed), present - set(allowed)  # type: ignore[call-overload]


def test_same_seed_identical_other_seed_different() -> None:
    a = generate(seed=11, scale=0.2)
    b = generate(seed=11, scale=0.2)
    c = generate(seed=12, scale=0.2)
    for kind in a:
        pd.testing.assert_frame_equal(a[kind], b[kind])
        assert not a[kind].equals(c[kind])


def test_counts_columns_and_notice(demo: dict[str, pd.DataFrame]) -> None:
    for kind, frame in demo.items():
        assert len(frame) == BASE_COUNTS[kind]
        assert isinstance(frame.index, pd.RangeIndex)
        assert set(COLUMNS[kind]) <= set(frame.columns)
        assert frame.attrs["synthetic_notice"] == SYNTHETIC_NOTICE
    assert demo["concerns"]["record_id"].is_unique
    assert demo["missing_episodes"]["episode_id"].is_unique
    assert demo["placements"]["placement_id"].is_unique
    assert demo["concerns"]["summary"].str.startswith("Synthetic").all()
    assert "synthetic" in SYNTHETIC_NOTICE.lower()
    half = generate(seed=3, scale=0.5)
    assert len(half["concerns"]) == 1500 and len(half["placements"]) == 150


def test_values_in_vocabularies(demo: dict[str, pd.DataFrame]) -> None:
    c, m, p = demo["concerns"], demo["missing_episodes"], demo["placements"]
    _assert_in(c["category"], CATEGORIES)
    _assert_in(c["location_type"], LOCATION_TYPES)
    _assert_in(c["reporting_agency"], AGENCIES)
    _assert_in(c["risk_level"], RISK_LEVELS)
    _assert_in(m["risk_level"], RISK_LEVELS)
    _assert_in(m["episode_type"], EPISODE_TYPES)
    _assert_in(p["provider_type"], PROVIDER_TYPES)
    assert p["placement_type"].str.lower().isin(list(PLACEMENT)).all()
    ages = c["age"].dropna()
    assert ages.between(AGE_MIN, AGE_MAX).all()
    refs = pd.concat([c["child_ref"], m["child_ref"], p["child_ref"]]).dropna()
    assert refs.str.fullmatch(r"C\d{6}").all()
    # Real data are incomplete: some blanks, but not many.
    for col in ("category", "reporting_agency", "risk_level"):
        assert 0.01 < c[col].isna().mean() < 0.15
    # Dates inside the period (two years ending 2026-10-31).
    assert c["reported_date"].min() >= PERIOD_START
    assert c["reported_date"].max() <= PERIOD_END
    assert (m["end"].dropna() >= m.loc[m["end"].notna(), "start"]).all()
    assert (p["end_date"].dropna() >= p.loc[p["end_date"].notna(), "start_date"]).all()


def test_placing_authorities_real_and_not_own(demo: dict[str, pd.DataFrame]) -> None:
    table = pd.read_csv(get_path("cla_netgain"), dtype=str)
    codes = set(table.loc[table["geographic_level"] == "Local authority", "new_la_code"])
    placing = demo["placements"]["placing_authority"]
    assert placing.isin(codes).all()
    assert not (placing == "E08000034").any()
    # weighted to big and nearby placers: Bradford and Leeds (West Yorkshire) are the top two
    top = placing.value_counts().index[:6]
    assert {"E08000032", "E08000035"} & set(top)


def test_location_forms(demo: dict[str, pd.DataFrame]) -> None:
    c = demo["concerns"]
    latlon = c["latitude"].notna()
    assert 0.78 < latlon.mean() < 0.92
    assert c["easting"].notna().mean() > 0.05
    assert c["grid_ref"].notna().sum() > 20
    assert np.allclose(c.loc[latlon, "latitude"], c.loc[latlon, "latitude"].round(5))
    forms = latlon.astype(int) + c["easting"].notna().astype(int) + c["grid_ref"].notna()
    assert (forms == 1).all()  # exactly one location form per row


def test_concerns_concentrate_near_venues(demo: dict[str, pd.DataFrame]) -> None:
    area = load_area("kirklees")
    venues = load_bundled_venues("kirklees")
    targets = venues[venues["venue_type"].isin(["takeaway/food", "transport hub"])]
    tree = shapely.STRtree(targets.geometry.values)
    pts = shapely.points(_xy(demo["concerns"]))
    near = np.zeros(len(pts), dtype=bool)
    near[np.unique(tree.query(pts, predicate="dwithin", distance=250.0)[0])] = True

    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = area.polygon.bounds
    cand = shapely.points(rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000))
    uniform = cand[shapely.contains(area.polygon, cand)]
    near_u = np.zeros(len(uniform), dtype=bool)
    near_u[np.unique(tree.query(uniform, predicate="dwithin", distance=250.0)[0])] = True
    assert near.mean() > 2.5 * near_u.mean()
    assert near.mean() > 0.4


def test_repeat_children_and_seasonality(demo: dict[str, pd.DataFrame]) -> None:
    per_child = demo["concerns"]["child_ref"].value_counts()
    assert per_child.max() >= 10
    assert (per_child > 1).mean() > 0.3
    big = generate(seed=5, scale=2.0)["concerns"]
    month = big["reported_date"].dt.month
    summer = month.isin([7, 8]).sum() / 4  # 2 months x 2 years
    winter = month.isin([1, 2]).sum() / 4
    assert summer > 1.3 * winter


def test_placements_skewed_to_deprived_lsoas(demo: dict[str, pd.DataFrame]) -> None:
    area = load_area("kirklees")
    pts = gpd.GeoDataFrame(geometry=shapely.points(_xy(demo["placements"])), crs=27700)
    lsoa = assign_areas(pts, area)["lsoa21cd"]
    decile = lsoa.map(area.imd.set_index("lsoa21cd")["imd_decile"]).astype(float)
    pop = area.population.merge(area.imd[["lsoa21cd", "imd_decile"]], on="lsoa21cd")
    resident_share = pop.loc[pop["imd_decile"] <= 3, "total"].sum() / pop["total"].sum()
    placement_share = (decile <= 3).mean()
    assert placement_share > resident_share + 0.15
    assert decile.mean() < np.average(pop["imd_decile"], weights=pop["total"]) - 1


def test_missing_repeat_from_placements_found_in_towns(demo: dict[str, pd.DataFrame]) -> None:
    m, p = demo["missing_episodes"], demo["placements"]
    from_placed = m["child_ref"].isin(set(p["child_ref"]))
    assert 0.4 < from_placed.mean() < 0.7
    assert m.loc[from_placed, "looked_after"].all()
    assert m.loc[from_placed, "child_ref"].value_counts().max() >= 10
    # last seen at the placement (within 50 m) for most episodes of placed children
    place_xy = dict(zip(p["child_ref"], map(tuple, _xy(p)), strict=True))
    last = _xy(m[from_placed], "last_seen_")
    home = np.array([place_xy[c] for c in m.loc[from_placed, "child_ref"]])
    assert (np.hypot(*(last - home).T) < 50).mean() > 0.6
    towns = np.column_stack(
        wgs84_to_bng(
            np.array([t[1] for t in TOWN_CENTRES["kirklees"]]),
            np.array([t[2] for t in TOWN_CENTRES["kirklees"]]),
        )
    )
    found = _xy(m, "found_")
    known = ~np.isnan(found[:, 0])
    dist = np.min(
        np.hypot(
            found[known, None, 0] - towns[None, :, 0], found[known, None, 1] - towns[None, :, 1]
        ),
        axis=1,
    )
    assert (dist < 1000).mean() > 0.35
    assert 0.03 < (~known).mean() < 0.15


def test_solihull_demo() -> None:
    frames = generate(area="solihull", seed=1, scale=0.2)
    area = load_area("solihull")
    pts = gpd.GeoDataFrame(geometry=shapely.points(_xy(frames["concerns"])), crs=27700)
    inside = assign_areas(pts, area)["lad_cd"].notna().mean()
    assert inside > 0.97
    assert not (frames["placements"]["placing_authority"] == "E08000029").any()


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError):
        generate(area="leeds")
    with pytest.raises(ParameterError):
        generate(scale=0)
    with pytest.raises(ParameterError):
        generate(seed=-1)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32), scale=st.floats(0.005, 0.05))
def test_property_small_demos_valid(seed: int, scale: float) -> None:
    frames = generate(seed=seed, scale=scale)
    c = frames["concerns"]
    assert len(c) == max(1, round(BASE_COUNTS["concerns"] * scale))
    _assert_in(c["category"], CATEGORIES)
    assert c["reported_date"].is_monotonic_increasing
    xy = _xy(c)
    assert not np.isnan(xy).any()


def test_cli_writes_csvs_deterministically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out1, out2 = tmp_path / "a", tmp_path / "b"
    assert main(["demo-data", "--out", str(out1), "--scale", "0.1", "--seed", "9"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == {"concerns": 300, "missing_episodes": 200, "placements": 30}
    assert main(["demo-data", "--out", str(out2), "--scale", "0.1", "--seed", "9"]) == 0
    capsys.readouterr()
    for name in ("concerns.csv", "missing_episodes.csv", "placements.csv"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes()
    concerns = pd.read_csv(out1 / "concerns.csv")
    assert len(concerns) == 300
    assert list(concerns.columns[:2]) == ["record_id", "reported_date"]
    placements = pd.read_csv(out1 / "placements.csv", dtype=str)
    assert placements["start_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_cli_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-data", "--out", str(tmp_path), "--scale", "-2"]) == 2
    assert "scale" in capsys.readouterr().err
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    assert main(["demo-data", "--out", str(afile)]) == 2
    assert "file.txt" in capsys.readouterr().err
