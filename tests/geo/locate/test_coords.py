"""Tests for geo.locate.coords: OSTN15 conversions, grid references and location resolution."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.errors import LocationError
from geo.locate.coords import (
    bng_to_wgs84,
    format_grid_ref,
    parse_grid_ref,
    resolve_locations,
    wgs84_to_bng,
)
from geo.locate.geocode import Lookups, PostcodeLookup, UprnLookup
from geo.locate.land import on_land
from geo.vocab import PRECISIONS

FIX = Path(__file__).parents[2] / "fixtures" / "lookups"
DATA = Path(__file__).resolve().parents[3] / "data"
M_PER_DEG_LAT = 111_320.0


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    dy = (lat1 - lat2) * M_PER_DEG_LAT
    dx = (lon1 - lon2) * M_PER_DEG_LAT * np.cos(np.radians(lat1))
    return np.hypot(dx, dy)


# ----------------------------------------------------------------------------- conversions


def test_reference_point_stack_notes() -> None:
    e, n = wgs84_to_bng(np.array([-1.78]), np.array([53.65]))
    assert e[0] == pytest.approx(414639.63, abs=0.1)
    assert n[0] == pytest.approx(417076.07, abs=0.1)
    lon, lat = bng_to_wgs84(e, n)
    assert lon[0] == pytest.approx(-1.78, abs=1e-6) and lat[0] == pytest.approx(53.65, abs=1e-6)


def test_nan_inf_out_of_range_give_nan_not_exceptions() -> None:
    e, n = wgs84_to_bng(
        np.array([np.nan, np.inf, -1.78, 10.0, 500.0]), np.array([53.0, 53.0, np.nan, 80.0, 53.0])
    )
    assert np.isnan(e).all() and np.isnan(n).all()
    lon, lat = bng_to_wgs84(np.array([np.nan, -np.inf, 800_000.0, -5.0]), np.array([1e5] * 4))
    assert np.isnan(lon).all() and np.isnan(lat).all()


def test_shapes_and_scalars() -> None:
    e, n = wgs84_to_bng(-1.78, 53.65)
    assert e.shape == () and np.isfinite(e)
    e2, _ = wgs84_to_bng(np.full((2, 3), -1.78), np.full((2, 3), 53.65))
    assert e2.shape == (2, 3)
    e3, n3 = wgs84_to_bng(np.array([]), np.array([]))
    assert e3.size == 0 and n3.size == 0
    with pytest.raises(ValueError, match="shape"):
        wgs84_to_bng([1.0, 2.0], [1.0])


@settings(max_examples=200, deadline=None)
@given(st.floats(-5.7, 1.7), st.floats(50.0, 58.6))
def test_round_trip_wgs84_bng_wgs84_within_1m(lon: float, lat: float) -> None:
    e, n = wgs84_to_bng(np.array([lon]), np.array([lat]))
    assert np.isfinite(e).all() and np.isfinite(n).all()
    lon2, lat2 = bng_to_wgs84(e, n)
    assert _metres(np.array([lon]), np.array([lat]), lon2, lat2)[0] < 1.0


@settings(max_examples=200, deadline=None)
@given(st.floats(100_000, 650_000), st.floats(20_000, 1_200_000))
def test_round_trip_bng_wgs84_bng_within_1m(east: float, north: float) -> None:
    assume(on_land(np.array([east]), np.array([north]))[0])  # GB, not the open sea
    lon, lat = bng_to_wgs84(np.array([east]), np.array([north]))
    assert np.isfinite(lon[0]) and np.isfinite(lat[0])
    e2, n2 = wgs84_to_bng(lon, lat)
    assert np.hypot(e2[0] - east, n2[0] - north) < 1.0


def test_real_stations_and_schools_against_published_grid_refs() -> None:
    # NaPTAN and GIAS publish both eastings/northings and lat/lon; their lat/lon were derived with
    # a Helmert transform, which stack-notes measured at ~1.7 m from OSTN15 here. So OSTN15 of
    # their lat/lon must land 1-2.5 m from their own (integer) grid reference: a Helmert result
    # (0 m) or a wrong datum (>> 10 m) would fail.
    for name, ecol, ncol in [
        ("rail_stations_naptan_kirklees_solihull.geojson", "Easting", "Northing"),
        ("schools_gias_open_kirklees_solihull.geojson", "easting", "northing"),
    ]:
        g = gpd.read_file(DATA / "poi" / name)
        e, n = wgs84_to_bng(g["longitude"].to_numpy(float), g["latitude"].to_numpy(float))
        d = np.hypot(e - g[ecol].astype(float), n - g[ncol].astype(float))
        assert np.isfinite(d).all()
        assert 1.0 < float(np.median(d)) < 2.5 and float(d.max()) < 2.5


# ----------------------------------------------------------------------------- grid references


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SE 14312 16452", (414312.5, 416452.5, 1)),
        ("SE1431216452", (414312.5, 416452.5, 1)),
        ("  se 14312   16452 ", (414312.5, 416452.5, 1)),
        ("SE 1431 1645", (414315.0, 416455.0, 10)),
        ("SE143164", (414350.0, 416450.0, 100)),
        ("SE 14 16", (414500.0, 416500.0, 1000)),
        ("SE11", (415000.0, 415000.0, 10000)),
        ("TQ 30 80", (530500.0, 180500.0, 1000)),  # Westminster
        ("NN 16667 71283", (216667.5, 771283.5, 1)),  # Ben Nevis summit
        ("SV 9000 1000", (90005.0, 10005.0, 10)),  # Isles of Scilly: square SV is the origin
        ("HP 6000 1000", (460005.0, 1210005.0, 10)),  # Unst, Shetland
    ],
)
def test_parse_grid_ref(text: str, expected: tuple[float, float, int]) -> None:
    assert parse_grid_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "SE 1431 216452",
        "SE123",
        "SI 12 34",
        "XX 12 34",
        "SE",
        "SE 123456789012",
        "S E12",
        "12 34",
        "",
    ],
)
def test_parse_grid_ref_rejects(text: str) -> None:
    with pytest.raises(LocationError, match=repr(text).replace("(", r"\(")):
        parse_grid_ref(text)


def test_format_grid_ref_examples() -> None:
    assert format_grid_ref(414312.7, 416452.2) == "SE 14312 16452"
    assert format_grid_ref(414312.7, 416452.2, digits=6) == "SE 143 164"
    assert format_grid_ref(530500, 180500, digits=4) == "TQ 30 80"
    assert format_grid_ref(216667.9, 771283.1) == "NN 16667 71283"
    with pytest.raises(LocationError):
        format_grid_ref(800_000, 1)
    with pytest.raises(LocationError):
        format_grid_ref(400_000, 400_000, digits=7)


@given(
    st.floats(0, 699_999.99),
    st.floats(0, 1_299_999.99),
    st.sampled_from([2, 4, 6, 8, 10]),
)
def test_format_parse_round_trip(east: float, north: float, digits: int) -> None:
    e, n, prec = parse_grid_ref(format_grid_ref(east, north, digits=digits))
    assert prec == 10 ** (5 - digits // 2)
    assert abs(e - east) <= prec / 2 + 1e-6 and abs(n - north) <= prec / 2 + 1e-6


# ----------------------------------------------------------------------------- resolution


def _one(**cols: object) -> pd.Series:
    frame = pd.DataFrame({k: [v] for k, v in cols.items()})
    return resolve_locations(frame).iloc[0]


def test_resolve_latlon_numbers_and_text() -> None:
    frame = pd.DataFrame(
        {"latitude": [53.65, None], "longitude": [-1.78, None]}, index=pd.Index([7, 3])
    )
    out = resolve_locations(frame)
    assert list(out.index) == [7, 3]
    assert list(out.columns) == [
        "easting",
        "northing",
        "latitude",
        "longitude",
        "location_precision",
        "location_flags",
        "location_error",
    ]
    assert out.loc[7, "easting"] == pytest.approx(414639.63, abs=0.1)
    assert out.loc[7, "location_precision"] == "exact point"
    assert out.loc[3, "location_precision"] == "none" and out.loc[3, "location_error"] == ""
    row = _one(latitude="53.64", longitude=" -1.78 ")
    assert row["location_precision"] == "exact point" and row["location_error"] == ""
    assert row["latitude"] == 53.64 and row["longitude"] == -1.78
    assert set(out["location_precision"]) <= set(PRECISIONS)


def test_resolve_swapped_latlon() -> None:
    row = _one(latitude="-1.78", longitude="53.65")
    assert row["location_flags"] == "swapped_latlon"
    assert row["easting"] == pytest.approx(414639.63, abs=0.1)
    assert row["latitude"] == 53.65 and row["longitude"] == -1.78


def test_resolve_bng_in_latlon_columns() -> None:
    row = _one(latitude="417076", longitude="414640")
    assert row["location_flags"] == "bng_in_latlon"
    assert (row["easting"], row["northing"]) == (414640, 417076)
    assert row["latitude"] == pytest.approx(53.65, abs=1e-4)


def test_resolve_latlon_in_bng_columns_and_swapped_eastnorth() -> None:
    row = _one(easting="-1.78", northing="53.65")
    assert row["location_flags"] == "latlon_in_bng"
    assert row["easting"] == pytest.approx(414639.63, abs=0.1)
    row = _one(easting="1140921", northing="447852")  # Lerwick with the columns swapped
    assert row["location_flags"] == "swapped_eastnorth"
    assert (row["easting"], row["northing"]) == (447852, 1140921)
    row = _one(easting="414639.6", northing="417076.1")
    assert row["location_flags"] == "" and row["location_precision"] == "exact point"
    assert row["latitude"] == pytest.approx(53.65, abs=1e-5)


@pytest.mark.parametrize(
    ("cols", "message"),
    [
        ({"latitude": "91.2", "longitude": "-1.7"}, "latitude 91.2 out of range"),
        ({"latitude": "53.6", "longitude": "-200"}, "longitude -200 out of range"),
        ({"latitude": "53.8", "longitude": "-5.0"}, "in the sea"),  # Irish Sea
        ({"latitude": "54.5", "longitude": "0.5"}, "in the sea"),  # North Sea
        ({"latitude": "53.35", "longitude": "-6.26"}, "outside Great Britain"),  # Dublin
        ({"latitude": "48.85", "longitude": "2.35"}, "outside Great Britain"),  # Paris
        ({"latitude": "0", "longitude": "0"}, "outside Great Britain"),
        ({"latitude": "abc", "longitude": "-1.7"}, "latitude 'abc' is not a number"),
        ({"latitude": "53.6"}, "latitude given without longitude"),
        ({"easting": "900000", "northing": "1250000"}, "easting 900000 out of range"),
        ({"easting": "400000", "northing": "-5"}, "northing -5 out of range"),
        ({"easting": "200000", "northing": "440000"}, "in the sea"),  # Irish Sea
        ({"grid_ref": "SE 123"}, "grid_ref: grid reference 'SE 123'"),
        ({"uprn": "999000000001"}, "no UPRN lookup is configured"),
        ({"postcode": "ZZ1 1AA"}, "no postcode lookup is configured"),
        ({"postcode": "not a postcode"}, "not a valid UK postcode"),
    ],
)
def test_resolve_errors(cols: dict[str, str], message: str) -> None:
    row = _one(**cols)
    assert message in row["location_error"]
    assert row["location_precision"] == "none" and np.isnan(row["easting"])


def test_placeholder_text_is_no_location() -> None:
    row = _one(latitude="N/A", longitude=" ", postcode="unknown")
    assert row["location_precision"] == "none" and row["location_error"] == ""


def test_resolve_grid_ref_precision_and_coarse_flag() -> None:
    out = resolve_locations(pd.DataFrame({"grid_ref": ["SE 14312 16452", "se11", None]}))
    assert out["location_precision"].tolist() == ["grid reference", "grid reference", "none"]
    assert out["easting"].iloc[0] == 414312.5
    assert out["location_flags"].tolist() == ["", "coarse_grid_ref", ""]


def test_resolve_lookups_uprn_postcode_and_priority() -> None:
    lookups = Lookups(
        postcode=PostcodeLookup.from_csv(FIX / "nspl_sample.csv"),
        uprn=UprnLookup.from_csv(FIX / "open_uprn_sample.csv"),
    )
    frame = pd.DataFrame(
        {
            "found_uprn": ["999000000002", "", "123", "", "999000000001"],
            "found_postcode": ["ZZ1 1AA", "zz11ab", "", "ZZ1 1ZZ", "ZZ9 9ZZ"],
            "found_latitude": ["", "", "", "", "53.6"],
            "found_longitude": ["", "", "", "", "-1.8"],
        }
    )
    out = resolve_locations(frame, prefix="found_", lookups=lookups)
    assert out["location_precision"].tolist() == [
        "uprn",
        "postcode centroid",
        "none",
        "none",
        "exact point",
    ]
    assert out["easting"].iloc[0] == 414312.0  # the UPRN beats the postcode
    assert out["easting"].iloc[1] == 414700.0
    assert out["location_flags"].iloc[1] == "terminated_postcode"
    assert "found_uprn 123 not found in the UPRN lookup" in out["location_error"].iloc[2]
    assert "found_postcode ZZ1 1ZZ not found" in out["location_error"].iloc[3]
    assert out["latitude"].iloc[4] == 53.6  # lat/lon beats UPRN and postcode


def test_fallback_and_file_prefix() -> None:
    frame = pd.DataFrame(
        {"latitude": ["91", "91"], "longitude": ["-1.7", "-1.7"], "grid_ref": ["SE1416", ""]}
    )
    out = resolve_locations(frame, file="concerns.csv")
    assert out["location_precision"].tolist() == ["grid reference", "none"]
    assert out["location_flags"].iloc[0] == "fallback_location;coarse_grid_ref"
    assert out["location_error"].tolist() == ["", "concerns.csv: latitude 91 out of range"]


def test_resolve_empty_frame_and_no_location_columns() -> None:
    out = resolve_locations(pd.DataFrame({"latitude": pd.Series([], dtype=str)}))
    assert len(out) == 0 and "location_error" in out.columns
    out = resolve_locations(pd.DataFrame({"x": [1, 2]}))
    assert out["location_precision"].tolist() == ["none", "none"]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(52.4, 53.8), st.floats(-2.0, -1.6), st.booleans(), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_resolve_property_swaps_and_text_do_not_move_points(
    rows: list[tuple[float, float, bool, bool]],
) -> None:
    lat = np.array([r[0] for r in rows])
    lon = np.array([r[1] for r in rows])
    swap = np.array([r[2] for r in rows])
    as_text = [r[3] for r in rows]
    a = np.where(swap, lon, lat)
    b = np.where(swap, lat, lon)
    frame = pd.DataFrame(
        {
            "latitude": [f" {float(x)!r} " if t else x for x, t in zip(a, as_text, strict=True)],
            "longitude": [repr(float(x)) if t else x for x, t in zip(b, as_text, strict=True)],
        },
        dtype=object,
    )
    out = resolve_locations(frame)
    e, n = wgs84_to_bng(lon, lat)
    assert np.allclose(out["easting"], e) and np.allclose(out["northing"], n)
    assert ((out["location_flags"] == "swapped_latlon").to_numpy() == swap).all()
    assert (out["location_error"] == "").all()


def test_on_land() -> None:
    e, n = wgs84_to_bng(
        np.array([-1.78, -1.14, -6.39, -4.48, -5.0, 0.5]),  # Huddersfield, Lerwick, Stornoway,
        np.array([53.65, 60.15, 58.21, 54.15, 53.8, 54.5]),  # Douglas IoM, Irish Sea, North Sea
    )
    assert on_land(e, n).tolist() == [True, True, True, True, False, False]
    assert not on_land(np.array([np.nan, -10.0]), np.array([1.0, 1.0])).any()
