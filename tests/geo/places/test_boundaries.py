"""Tests for geo.places.boundaries: bundled geography, population, IMD mapping, area assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geo.errors import ParameterError, SchemaError, UnreadableFileError
from geo.places.boundaries import (
    NEW_LSOA21_IMD_SOURCE,
    StudyArea,
    assign_areas,
    load_area,
    load_user_boundaries,
    load_user_population,
    to_bng,
)
from geo.places.datasets import ATTRIBUTION_LINES, available, get_path


@pytest.fixture(scope="module")
def kirklees() -> StudyArea:
    return load_area("kirklees")


@pytest.fixture(scope="module")
def solihull() -> StudyArea:
    return load_area("solihull")


def test_areas_match_sources_totals(kirklees: StudyArea, solihull: StudyArea) -> None:
    # SOURCES.md: Kirklees 408.6 km2, Solihull 178.3 km2; residents and 0-15 counts.
    assert kirklees.polygon.area / 1e6 == pytest.approx(408.6, rel=0.01)
    assert solihull.polygon.area / 1e6 == pytest.approx(178.3, rel=0.01)
    assert int(kirklees.population["total"].sum()) == 433_206
    assert int(kirklees.population["age_0_15"].sum()) == 86_938
    assert int(solihull.population["total"].sum()) == 216_238
    assert int(solihull.population["age_0_15"].sum()) == 41_745
    assert (len(kirklees.lsoas), len(solihull.lsoas)) == (260, 134)
    assert (len(kirklees.wards), len(solihull.wards)) == (23, 17)


def test_all_layers_in_bng_with_range_index(kirklees: StudyArea) -> None:
    for layer in (
        kirklees.outline,
        kirklees.wards,
        kirklees.lsoas,
        kirklees.population,
        kirklees.imd,
    ):
        assert layer.crs.to_epsg() == 27700
        assert isinstance(layer.index, pd.RangeIndex)
    minx, miny, maxx, maxy = kirklees.polygon.bounds
    # Kirklees sits around SE 1x 1x: eastings ~ 400-430 km, northings ~ 400-430 km.
    assert 395_000 < minx < maxx < 430_000
    assert 398_000 < miny < maxy < 430_000


def test_every_lsoa_gets_a_ward(kirklees: StudyArea, solihull: StudyArea) -> None:
    for area in (kirklees, solihull):
        assert area.lsoas["ward_cd"].notna().all()
        assert set(area.lsoas["ward_cd"]) <= set(area.wards["ward_cd"])
        assert area.lsoas["lsoa21cd"].is_unique


def test_children_young_people_is_sum_of_bands(kirklees: StudyArea) -> None:
    pop = kirklees.population
    assert (pop["children_young_people"] == pop["age_0_15"] + pop["age_16_24"]).all()
    bands = ["age_0_15", "age_16_24", "age_25_34", "age_35_49", "age_50_64", "age_65_plus"]
    assert (pop[bands].sum(axis=1) == pop["total"]).all()


def test_imd_complete_and_new_lsoas_mapped(kirklees: StudyArea) -> None:
    imd = kirklees.imd.set_index("lsoa21cd")
    assert imd["imd_decile"].notna().all()
    assert imd["imd_decile"].between(1, 10).all()
    raw = pd.read_csv(get_path("imd2019"), dtype={"lsoa11_code": str}).set_index("lsoa11_code")
    for new, (old, _how) in NEW_LSOA21_IMD_SOURCE.items():
        assert imd.loc[new, "imd_lsoa11cd"] == old
        assert imd.loc[new, "imd_rank"] == raw.loc[old, "index_of_multiple_deprivation_imd_rank"]
        assert imd.loc[new, "crime_decile"] == raw.loc[old, "crime_decile"]
    unchanged = imd[imd["imd_mapping"] == "unchanged"]
    assert len(unchanged) == 255
    assert (unchanged.index == unchanged["imd_lsoa11cd"]).all()


def test_new_lsoa_imd_source_is_the_largest_overlap(kirklees: StudyArea) -> None:
    old = to_bng(gpd.read_file(get_path("lsoa2011")))
    retired = old[old["LSOA11CD"].isin(["E01011171", "E01011172", "E01011209", "E01033542"])]
    new = kirklees.lsoas[kirklees.lsoas["lsoa21cd"].isin(list(NEW_LSOA21_IMD_SOURCE))]
    assert len(new) == 5
    for _, row in new.iterrows():
        shares = retired.geometry.intersection(row.geometry).area / row.geometry.area
        best = retired["LSOA11CD"].iloc[int(np.argmax(shares.to_numpy()))]
        assert best == NEW_LSOA21_IMD_SOURCE[row["lsoa21cd"]][0]
        assert shares.max() > 0.75


def test_assign_areas_known_points_keeps_index(kirklees: StudyArea) -> None:
    # Huddersfield town centre (St George's Square ~ SE 1431 1683) lies in Newsome ward;
    # Dewsbury town centre (~ SE 2450 2170) in Dewsbury East; a point in Leeds is outside.
    pts = gpd.GeoDataFrame(
        {"name": ["huddersfield", "dewsbury", "leeds", "null"]},
        geometry=[Point(414310, 416830), Point(424500, 421700), Point(430000, 433500), None],
        crs=27700,
        index=[7, 3, 99, 5],
    )
    out = assign_areas(pts, kirklees)
    assert list(out.index) == [7, 3, 99, 5]
    assert list(out.columns) == ["lsoa21cd", "ward_cd", "ward_nm", "lad_cd"]
    assert out.loc[7, "ward_nm"] == "Newsome"
    assert out.loc[3, "ward_nm"] == "Dewsbury East"
    assert out.loc[7, "lad_cd"] == "E08000034"
    assert out.loc[[99, 5]].isna().all().all()
    lsoa = kirklees.lsoas.set_index("lsoa21cd").loc[out.loc[7, "lsoa21cd"]]
    assert lsoa.geometry.contains(Point(414310, 416830))


def test_assign_areas_accepts_wgs84(kirklees: StudyArea) -> None:
    pts = gpd.GeoDataFrame(geometry=[Point(-1.7840, 53.6480)], crs=4326)
    assert assign_areas(pts, kirklees).loc[0, "ward_nm"] == "Newsome"


def test_assign_areas_lsoa_centroids_consistent(kirklees: StudyArea) -> None:
    reps = kirklees.lsoas.copy()
    reps.geometry = reps.geometry.representative_point()
    out = assign_areas(reps, kirklees)
    assert (out["lsoa21cd"].to_numpy() == kirklees.lsoas["lsoa21cd"].to_numpy()).mean() > 0.98
    # The bundled best-fit lookup was built the same way: wards should agree.
    assert (out["ward_cd"].to_numpy() == kirklees.lsoas["ward_cd"].to_numpy()).mean() > 0.98


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(395_000, 432_000), st.floats(398_000, 430_000)),
        min_size=1,
        max_size=30,
    )
)
def test_assign_areas_in_la_iff_inside_outline_property(xy: list[tuple[float, float]]) -> None:
    area = load_area("kirklees")
    pts = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=27700)
    out = assign_areas(pts, area)
    inside = shapely.contains(area.polygon, shapely.points(np.array(xy)))
    has_lad = out["lad_cd"].notna().to_numpy()
    # Every point strictly inside the outline gets an LSOA and a ward; points far outside none.
    assert (has_lad[inside]).all()
    assert out.loc[inside, "lsoa21cd"].notna().all()
    assert out.loc[inside, "ward_cd"].notna().all()
    far = ~shapely.dwithin(area.polygon, shapely.points(np.array(xy)), 300.0)
    assert not has_lad[far].any()


def test_unknown_area_raises() -> None:
    with pytest.raises(ParameterError, match="leeds"):
        load_area("leeds")


def test_load_user_boundaries_and_errors(tmp_path: Path) -> None:
    cells = gpd.GeoDataFrame(
        {"CODE": ["A1", "A2"], "NAME": ["North", "South"]},
        geometry=[box(410000, 415000, 411000, 416000), box(410000, 414000, 411000, 415000)],
        crs=27700,
    )
    good = tmp_path / "areas.gpkg"
    cells.to_file(good)
    out = load_user_boundaries(good, code_col="CODE", name_col="NAME", level="ward")
    assert list(out.columns) == ["ward_cd", "ward_nm", "geometry"]
    assert out.crs.to_epsg() == 27700
    assert out.geometry.area.sum() == pytest.approx(2e6)

    with pytest.raises(SchemaError, match="no column 'WD'"):
        load_user_boundaries(good, code_col="WD", name_col="NAME", level="ward")
    dup = cells.assign(CODE=["A1", "A1"])
    dup_path = tmp_path / "dup.geojson"
    dup.to_file(dup_path)
    with pytest.raises(SchemaError, match="row 2: duplicate 'CODE'"):
        load_user_boundaries(dup_path, code_col="CODE", name_col="NAME", level="lsoa")
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json at all")
    with pytest.raises(UnreadableFileError, match="bad.geojson"):
        load_user_boundaries(bad, code_col="CODE", name_col="NAME", level="lad")


def test_load_user_boundaries_wgs84_uses_ostn15() -> None:
    wards = load_user_boundaries(
        get_path("wards"), code_col="WD_CD", name_col="WD_NM", level="ward"
    )
    bundled = load_area("kirklees").wards.set_index("ward_cd")
    mine = wards.set_index("ward_cd").loc[bundled.index]
    assert np.allclose(mine.geometry.area, bundled.geometry.area)


def test_load_user_population(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_text('code,people\nA1,"1,200"\nA2,300\n', encoding="utf-8-sig")
    out = load_user_population(path, code_col="code", value_col="people")
    assert out.to_dict("list") == {"code": ["A1", "A2"], "population": [1200.0, 300.0]}
    path.write_text("code,people\nA1,12\nA2,-3\n")
    with pytest.raises(SchemaError, match="row 3: field 'people'"):
        load_user_population(path, code_col="code", value_col="people")
    with pytest.raises(SchemaError, match="no column 'pop'"):
        load_user_population(path, code_col="code", value_col="pop")
    with pytest.raises(UnreadableFileError):
        load_user_population(tmp_path / "absent.csv", code_col="code", value_col="people")


def test_datasets_registry() -> None:
    names = available()
    for name in ("lad_outline", "wards", "lsoa2021", "population_lsoa", "imd2019", "schools"):
        assert name in names
        assert get_path(name).is_file()
    with pytest.raises(ParameterError):
        get_path("no_such_dataset")
    assert any("OpenStreetMap" in line for line in ATTRIBUTION_LINES)
    readme = (get_path("wards").parents[1] / "README.md").read_text(encoding="utf-8")
    for line in ATTRIBUTION_LINES:
        assert line in readme


@pytest.mark.parametrize("name", ["kirklees", "solihull"])
def test_outline_is_valid_without_sliver_holes(name: str) -> None:
    """The dissolved outline is repaired: valid, no sliver holes, area unchanged within 0.1 %."""
    from geo.places.boundaries import load_area

    area = load_area(name)
    poly = area.polygon
    assert poly.is_valid
    holes = sum(len(p.interiors) for p in getattr(poly, "geoms", [poly]))
    assert holes == 0
    expected = {"kirklees": 408.6e6, "solihull": 178.3e6}[name]
    assert abs(poly.area - expected) / expected < 1e-3
