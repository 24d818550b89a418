"""Tests for geo.places.venues: bundled venues mapped to venue types."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import ParameterError
from geo.places.boundaries import load_area
from geo.places.datasets import get_path
from geo.places.venues import OSM_CATEGORY_TYPES, VENUE_TYPES, load_bundled_venues


def test_kirklees_venues_types_sources_and_crs() -> None:
    v = load_bundled_venues("kirklees")
    assert v.crs.to_epsg() == 27700
    assert isinstance(v.index, pd.RangeIndex)
    assert list(v.columns) == ["venue_id", "name", "venue_type", "source", "subtype", "geometry"]
    assert v["venue_id"].is_unique
    assert v["venue_type"].isin(VENUE_TYPES).all()
    assert set(v["source"]) == {"osm", "gias", "naptan"}
    # SOURCES.md: 15 Kirklees rail stations inside the LA, 201 open schools.
    assert (v["source"] == "naptan").sum() == 15
    assert (v["source"] == "gias").sum() == 201
    # OSM schools/colleges are dropped in favour of GIAS.
    assert not v.loc[v["source"] == "osm", "subtype"].isin(["school", "college"]).any()
    counts = v["venue_type"].value_counts()
    for needed in ("licensed premises", "takeaway/food", "taxi rank", "transport hub"):
        assert counts.get(needed, 0) > 0
    # 16 OSM taxi ranks, 11 bus stations + 15 rail stations in the source.
    assert counts["taxi rank"] == 16
    assert counts["transport hub"] == 26
    area = load_area("kirklees")
    assert v.geometry.dwithin(area.polygon, 50.0).all()


def test_osm_mapping_matches_source_counts() -> None:
    raw = gpd.read_file(get_path("osm_poi_points"))
    v = load_bundled_venues("kirklees")
    osm = v[v["source"] == "osm"]
    # every OSM subtype maps through the documented table
    for subtype, vtype in zip(osm["subtype"], osm["venue_type"], strict=True):
        assert OSM_CATEGORY_TYPES.get(subtype, "other") == vtype
    # fast_food 280 in SOURCES.md; nothing of that category is lost (beyond duplicates/edge)
    assert (osm["subtype"] == "fast_food").sum() >= 275
    assert (raw["category"] == "fast_food").sum() == 280


def test_solihull_has_only_schools_and_stations() -> None:
    s = load_bundled_venues("solihull")
    assert set(s["venue_type"]) == {"school/college", "transport hub"}
    assert (s["source"] == "naptan").sum() == 10
    assert (s["source"] == "gias").sum() == 91
    assert "schools" in s.attrs["notes"]


def test_returns_a_copy() -> None:
    a = load_bundled_venues("kirklees")
    a.loc[0, "name"] = "changed"
    b = load_bundled_venues("kirklees")
    assert b.loc[0, "name"] != "changed"


def test_unknown_area() -> None:
    with pytest.raises(ParameterError):
        load_bundled_venues("bradford")
