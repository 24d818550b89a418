"""Tests for analysis.disclosure.control: suppression, secondary suppression, rounding,
geomasking."""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapely.geometry import Point, box

import analysis.disclosure.control as disclosure
import analysis.disclosure.secondary as disclosure_secondary
import analysis.disclosure.spatial as disclosure_geo
from analysis.disclosure.control import (
    DisclosurePolicy,
    count_children,
    displace_points,
    filter_min_children,
    recoverable_cells,
    round_counts,
    suppress_counts,
)
from geo.errors import ParameterError


def test_doctests_run() -> None:
    for module in (disclosure, disclosure_geo):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- hand-checked fixtures


def test_series_with_total_hides_next_smallest() -> None:
    t = suppress_counts(pd.Series([3, 10, 12, 0], index=list("abcd"), name="n"), totals=True)
    assert t.display.tolist() == ["c", "c", "12", "0", "25"]
    assert t.values.index.tolist() == ["a", "b", "c", "d", "Total"]
    assert t.values.name == "n"
    assert t.primary.tolist() == [True, False, False, False, False]
    assert t.secondary.tolist() == [False, True, False, False, False]
    assert str(t.values.dtype) == "Int64"


def test_series_without_total_only_primary() -> None:
    t = suppress_counts(pd.Series([3, 10, 4, 0]), totals=False)
    assert t.display.tolist() == ["c", "10", "c", "0"]
    assert not t.secondary.any()


def test_two_way_table_reference() -> None:
    df = pd.DataFrame(
        [[3, 10, 0], [8, 12, 7], [20, 1, 9]], index=["w1", "w2", "w3"], columns=["q1", "q2", "q3"]
    )
    t = suppress_counts(df, totals="both")
    expected = pd.DataFrame(
        [
            ["c", "c", "0", "13"],
            ["c", "12", "c", "27"],
            ["20", "c", "c", "30"],
            ["31", "23", "16", "70"],
        ],
        index=["w1", "w2", "w3", "Total"],
        columns=["q1", "q2", "q3", "Total"],
        dtype=object,
    )
    pd.testing.assert_frame_equal(t.display, expected)
    assert int(t.primary.to_numpy().sum()) == 2
    assert int(t.secondary.to_numpy().sum()) == 4


def test_small_total_is_suppressed_and_protected() -> None:
    df = pd.DataFrame([[2, 0], [0, 40], [30, 9]])
    t = suppress_counts(df, totals="both")
    # row 0 total is 2 (small) and the cell 2 too; column 0 must not give it away
    assert pd.isna(t.values.loc[0, "Total"])
    assert pd.isna(t.values.loc[0, 0])
    assert _recoverable_by_rank(t.suppressed.to_numpy(), df.shape, "both") == []


def test_zeros_policy() -> None:
    s = pd.Series([0, 7, 9])
    assert suppress_counts(s, totals=False).display.tolist() == ["0", "7", "9"]
    hidden = suppress_counts(s, totals=False, zeros="suppress")
    assert hidden.display.tolist() == ["c", "7", "9"]


def test_markers_configurable() -> None:
    t = suppress_counts(
        pd.Series([2, 9, 11]), totals=True, primary_marker="<5", secondary_marker="c"
    )
    assert t.display.tolist() == ["<5", "c", "11", "22"]


def test_threshold_ten() -> None:
    t = suppress_counts(pd.Series([9, 10, 25]), threshold=10, totals=False)
    assert t.display.tolist() == ["c", "10", "25"]


def test_min_children_suppresses_cells() -> None:
    counts = pd.Series([12, 20, 30], index=["a", "b", "c"])
    kids = pd.Series([1, 9, 12], index=["a", "b", "c"])
    t = suppress_counts(counts, totals=False, children=kids, min_children=5)
    assert t.display.tolist() == ["c", "20", "30"]
    with pytest.raises(ParameterError):
        suppress_counts(counts, children=kids)


def test_bridge_between_closed_patterns_is_detected() -> None:
    # two 2x2 patterns plus one cell linking them: every line has >= 2 hidden, yet the linking
    # cell is recoverable from the totals (it is a bridge in the rows/columns graph)
    n = 4
    mask = np.zeros((n + 1, n + 1), dtype=bool)
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        mask[i, j] = True
    lines = disclosure.table_relations(n, n, "both")[0]
    assert recoverable_cells(mask, lines) == [(0, 2)]
    assert _recoverable_by_rank(mask, (n, n), "both") == [(0, 2)]


BRIDGE_TABLE = [
    [22, 28, 17, 15, 25, 22],
    [1, 9, 4, 25, 21, 2],
    [23, 16, 17, 5, 3, 8],
    [23, 2, 4, 21, 9, 5],
    [24, 24, 17, 3, 1, 28],
]


def test_exact_check_goes_beyond_the_per_line_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame(BRIDGE_TABLE)
    full = suppress_counts(frame, totals="both")
    assert _recoverable_by_rank(full.suppressed.to_numpy(), frame.shape, "both") == []
    # the per-line rule alone (exact check switched off) leaves cells solvable in this table
    monkeypatch.setattr(disclosure_secondary, "recoverable_cells", lambda mask, lines: [])
    line_only = suppress_counts(frame, totals="both")
    assert _recoverable_by_rank(line_only.suppressed.to_numpy(), frame.shape, "both") != []
    assert full.suppressed.to_numpy().sum() > line_only.suppressed.to_numpy().sum()


def test_bad_input_raises() -> None:
    with pytest.raises(ParameterError):
        suppress_counts(pd.Series([1, -2]))
    with pytest.raises(ParameterError):
        suppress_counts(pd.Series([1.5, 2]))
    with pytest.raises(ParameterError):
        suppress_counts(pd.Series([1, None]))
    with pytest.raises(ParameterError):
        suppress_counts(pd.Series([1]), threshold=0)
    with pytest.raises(ParameterError):
        suppress_counts(pd.Series([1]), totals="rows")  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties


def _recoverable_by_rank(
    suppressed: np.ndarray, shape: tuple[int, int], totals: str
) -> list[tuple[int, int]]:
    """Independent check: entry k is solvable iff adding e_k does not raise the rank."""
    lines = disclosure.table_relations(shape[0], shape[1], totals)[0]  # type: ignore[arg-type]
    unknown = [tuple(int(v) for v in ij) for ij in np.argwhere(suppressed)]
    if not unknown or not lines:
        return []
    pos = {ij: k for k, ij in enumerate(unknown)}
    rows = []
    for line in lines:
        r = np.zeros(len(unknown))
        for n, ij in enumerate(line):
            if ij in pos:
                r[pos[ij]] = -1.0 if n == 0 else 1.0
        rows.append(r)
    A = np.vstack(rows)
    rank = np.linalg.matrix_rank(A)
    out = []
    for k, ij in enumerate(unknown):
        e = np.zeros(len(unknown))
        e[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([A, e])) == rank:
            out.append(ij)
    return out


small_counts = st.one_of(st.integers(0, 6), st.integers(0, 40))

tables = st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
    lambda shape: arrays(np.int64, shape, elements=small_counts)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tables,
    st.sampled_from(["none", "per_row", "per_column", "both"]),
    st.sampled_from(["show", "suppress"]),
    st.sampled_from([5, 3, 10]),
)
def test_property_suppression(table: np.ndarray, totals: str, zeros: str, threshold: int) -> None:
    frame = pd.DataFrame(table, index=[f"r{i}" for i in range(table.shape[0])])
    t = suppress_counts(frame, totals=totals, zeros=zeros, threshold=threshold)  # type: ignore[arg-type]
    n_r, n_c = table.shape
    ext_r = n_r + int(totals in ("per_column", "both"))
    ext_c = n_c + int(totals in ("per_row", "both"))
    assert t.values.shape == (ext_r, ext_c)
    assert t.values.index[:n_r].tolist() == frame.index.tolist()
    # reference totals from brute force
    full = np.zeros((ext_r, ext_c), dtype=np.int64)
    full[:n_r, :n_c] = table
    if ext_c > n_c:
        full[:n_r, n_c] = table.sum(axis=1)
    if ext_r > n_r:
        full[n_r, :] = full[:n_r, :].sum(axis=0)
    hidden = t.suppressed.to_numpy()
    shown = t.values.to_numpy(dtype=float, na_value=np.nan)
    # shown values are the true ones; hidden ones are NA
    assert np.array_equal(np.isnan(shown), hidden)
    assert np.array_equal(shown[~hidden], full[~hidden].astype(float))
    # 1: no unsuppressed entry in 1..threshold-1 (nor a zero when zeros are suppressed)
    visible = full[~hidden]
    assert not ((visible >= 1) & (visible < threshold)).any()
    if zeros == "suppress":
        assert not (visible == 0).any()
    # 2: every line with a total has zero or >= 2 suppressed entries
    for line in disclosure.table_relations(n_r, n_c, totals)[0]:  # type: ignore[arg-type]
        k = sum(bool(hidden[ij]) for ij in line)
        assert k == 0 or k >= 2
    # 3: no suppressed entry can be solved from the published values
    assert _recoverable_by_rank(hidden, (n_r, n_c), totals) == []
    # display agrees with the mask
    text = t.display.to_numpy()
    assert (text[hidden] == "c").all()


@given(arrays(np.int64, st.integers(1, 12), elements=small_counts))
@settings(max_examples=80, deadline=None)
def test_property_series_with_total(values: np.ndarray) -> None:
    t = suppress_counts(pd.Series(values), totals=True)
    hidden = t.suppressed.to_numpy()
    assert hidden.sum() == 0 or hidden.sum() >= 2
    assert _recoverable_by_rank(hidden.reshape(-1, 1), (len(values), 1), "per_column") == []


# ---------------------------------------------------------------- rounding


def test_round_counts_reference() -> None:
    s = pd.Series([0, 2, 3, 7, 8, 12, 13, 15, 22, 25], dtype="Int64")
    assert round_counts(s, base=5).tolist() == [0, 0, 5, 5, 10, 10, 15, 15, 20, 25]
    assert round_counts(s, base=10).tolist() == [0, 0, 0, 10, 10, 10, 10, 20, 20, 30]
    with_na = pd.Series([pd.NA, 14], dtype="Int64")
    assert round_counts(with_na, base=10).isna().tolist() == [True, False]
    with pytest.raises(ParameterError):
        round_counts(s, base=0)


def test_round_suppressed_table_keeps_markers() -> None:
    t = suppress_counts(pd.Series([3, 11, 17, 26]), totals=True)
    r = round_counts(t, base=5)
    assert r.display.tolist() == ["c", "c", "15", "25", "55"]
    assert r.values.isna().tolist() == [True, True, False, False, False]


def test_policy_table_applies_rounding_and_validates() -> None:
    policy = DisclosurePolicy(rounding_base=10)
    out = policy.table(pd.Series([2, 14, 26]), totals="none")
    assert out.display.tolist() == ["c", "10", "30"]
    with pytest.raises(ParameterError):
        DisclosurePolicy(threshold=0)
    with pytest.raises(ParameterError):
        DisclosurePolicy(zeros="hide")  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        DisclosurePolicy(displacement_m=(300, 100))
    with pytest.raises(ParameterError):
        DisclosurePolicy().points(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700))


# ---------------------------------------------------------------- children per hotspot


def _events() -> gpd.GeoDataFrame:
    refs = ["A", "A", "B", "C", "D", "E", None, "F"]
    pts = [Point(1, 1), Point(2, 2), Point(3, 3), Point(4, 4), Point(5, 5), Point(6, 6)]
    pts += [Point(7, 7), Point(25, 25)]
    return gpd.GeoDataFrame({"child_ref": refs}, geometry=pts, crs=27700)


def test_count_children_reference() -> None:
    spots = gpd.GeoDataFrame(
        {"hotspot_id": [1, 2, 3]},
        geometry=[box(0, 0, 10, 10), box(20, 20, 30, 30), box(100, 100, 110, 110)],
        index=[10, 20, 30],
        crs=27700,
    )
    n = count_children(spots, _events())
    assert n.to_dict() == {10: 5, 20: 1, 30: 0}
    assert count_children(spots, _events(), count_unknown=True).loc[10] == 6
    kept = filter_min_children(spots, _events(), min_children=5)
    assert kept.index.tolist() == [10]
    assert kept.columns.tolist() == spots.columns.tolist()


def test_filter_min_children_point_hotspots_with_buffer() -> None:
    spots = gpd.GeoDataFrame(geometry=[Point(4, 4)], crs=27700)
    assert filter_min_children(spots, _events(), min_children=5).empty
    assert len(filter_min_children(spots, _events(), min_children=5, buffer_m=10)) == 1
    with pytest.raises(ParameterError):
        filter_min_children(spots)


# ---------------------------------------------------------------- displacement


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0, 500),
    st.floats(1, 500),
    st.integers(0, 2**32 - 1),
    st.integers(1, 50),
)
def test_property_displacement_within_range(low: float, extra: float, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform([400000, 400000], [420000, 420000], size=(n, 2))
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    out = displace_points(pts, min_m=low, max_m=low + extra, seed=seed)
    d = out.distance(pts).to_numpy()
    assert (d >= low - 1e-6).all() and (d <= low + extra + 1e-6).all()
    assert out.index.equals(pts.index)


def test_displacement_drops_original_location_columns_and_is_seeded() -> None:
    pts = gpd.GeoDataFrame(
        {
            "record_id": ["r1", "r2", "r3"],
            "easting": [410000.0, 411000.0, np.nan],
            "northing": [415000.0, 416000.0, np.nan],
            "latitude": [53.6, 53.61, np.nan],
            "longitude": [-1.8, -1.79, np.nan],
            "postcode": ["HD1 1AA", "HD1 2BB", None],
            "found_easting": [1.0, 2.0, 3.0],
        },
        geometry=[Point(410000, 415000), Point(411000, 416000), None],
        index=[7, 8, 9],
        crs=27700,
    )
    a = displace_points(pts, min_m=100, max_m=300, seed=42)
    b = displace_points(pts, min_m=100, max_m=300, seed=42)
    assert a.geometry.equals(b.geometry)
    assert "postcode" not in a.columns and "found_easting" not in a.columns
    assert a.index.tolist() == [7, 8, 9]
    assert a.geometry.iloc[2] is None
    assert a.loc[7, "easting"] == pytest.approx(a.geometry.loc[7].x)
    assert a.loc[7, "easting"] != 410000.0
    assert 53.5 < a.loc[7, "latitude"] < 53.7 and -1.9 < a.loc[7, "longitude"] < -1.7
    assert a.attrs["csmap_displacement"] == {"min_m": 100.0, "max_m": 300.0}
    assert "seed" not in str(a.attrs)


def test_displacement_rejects_bad_input() -> None:
    geo = gpd.GeoDataFrame(geometry=[Point(-1.8, 53.6)], crs=4326)
    with pytest.raises(ParameterError):
        displace_points(geo, min_m=10, max_m=20, seed=1)
    bng = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700)
    with pytest.raises(ParameterError):
        displace_points(bng, min_m=30, max_m=20, seed=1)
    poly = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=27700)
    with pytest.raises(ParameterError):
        displace_points(poly, min_m=1, max_m=2, seed=1)


def test_displacement_stays_inside_real_study_area() -> None:
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    # points along the Kirklees boundary: many draws would land outside
    boundary = area.polygon.boundary
    pts = gpd.GeoDataFrame(
        geometry=[
            boundary.interpolate(f, normalized=True).buffer(-1).centroid
            for f in np.linspace(0, 1, 40)
        ],
        crs=27700,
    )
    inside = pts[pts.within(area.polygon)]
    out = displace_points(inside, min_m=50, max_m=250, seed=3, within=area.polygon)
    assert out.within(area.polygon).all()
    d = out.distance(inside)
    assert ((d >= 50 - 1e-6) & (d <= 250 + 1e-6)).all()
