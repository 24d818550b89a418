"""Emerging hot spots: Mann-Kendall, space-time Gi*, ArcGIS categories, planted and demo data."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.hotspots.gi import GetisOrdGiStar, band_weights
from analysis.hotspots.registry import run
from analysis.hotspots.result import STANDARD_COLUMNS, read_hotspots, write_hotspots
from analysis.inference import fdr_bh
from analysis.lattice.grid import fishnet
from analysis.spacetime.cube import SpaceTimeCube, spacetime_weights
from analysis.spacetime.emerging import (
    CATEGORIES,
    CATEGORY_STYLES,
    COLD_CATEGORIES,
    HOT_CATEGORIES,
    NO_PATTERN,
    MannKendall,
    SpaceTimeGiStar,
    classify_location,
    classify_locations,
    emerging_hotspots,
)
from geo.errors import ParameterError

# --- Mann-Kendall -----------------------------------------------------------------------------


def test_mann_kendall_hand_computed() -> None:
    # [3, 1, 2, 2, 5]: 6 rising pairs, 3 falling, 1 tied -> S = 3; one tie group of 2:
    # var = (5*4*15 - 2*1*9) / 18 = 282 / 18; z = (3 - 1) / sqrt(var)
    mk = MannKendall([3, 1, 2, 2, 5])
    assert mk.s == 3
    assert mk.var_s == pytest.approx(282 / 18)
    assert mk.z == pytest.approx(2 / np.sqrt(282 / 18))
    assert mk.z == pytest.approx(0.50530, abs=1e-5)
    assert mk.p == pytest.approx(2 * stats.norm.sf(0.50530), abs=1e-5)
    assert mk.tau == pytest.approx(3 / 10)


def test_mann_kendall_negative_and_constant() -> None:
    down = MannKendall([5, 4, 3, 2, 1])
    assert down.s == -10
    assert down.z == pytest.approx((-10 + 1) / np.sqrt(5 * 4 * 15 / 18))
    flat = MannKendall([2, 2, 2, 2])
    assert (flat.s, flat.var_s, flat.z, flat.p) == (0, 0, 0, 1)


def test_mann_kendall_matches_kendalltau_without_ties() -> None:
    rng = np.random.default_rng(7)
    for n in (5, 12, 30):
        x = rng.normal(size=n) + 0.05 * np.arange(n)
        mk = MannKendall(x)
        tau, _ = stats.kendalltau(np.arange(n), x)
        assert mk.s == pytest.approx(tau * n * (n - 1) / 2)
        assert mk.tau == pytest.approx(tau)


def test_mann_kendall_variance_with_ties_matches_kendalltau() -> None:
    """scipy's tau-b asymptotic p uses S / sqrt(var) with the same ties correction (time is
    tie-free); it differs from MK's p only by the continuity correction."""
    rng = np.random.default_rng(8)
    x = rng.integers(0, 4, 20).astype(float)  # many ties
    mk = MannKendall(x)
    _, p_scipy = stats.kendalltau(np.arange(20), x, method="asymptotic")
    assert p_scipy == pytest.approx(2 * stats.norm.sf(abs(mk.s) / np.sqrt(mk.var_s)))
    assert mk.p >= p_scipy  # continuity correction makes MK slightly more conservative


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=3, max_size=15))
def test_mann_kendall_properties(values: list[int]) -> None:
    x = np.asarray(values, dtype=float)
    mk = MannKendall(x)
    assert MannKendall(x[::-1]).s == -mk.s
    assert MannKendall(np.exp(x)).s == mk.s  # rank-based: monotone transforms keep S
    assert 0.0 <= float(mk.p) <= 1.0
    both = MannKendall(np.vstack([x, x[::-1]]))
    assert both.s.tolist() == [mk.s, -mk.s]
    assert both.var_s.tolist() == pytest.approx([float(mk.var_s)] * 2)


def test_mann_kendall_trend() -> None:
    mk = MannKendall([np.arange(12.0), -np.arange(12.0), np.tile([0.0, 1.0], 6)])
    assert mk.trend(alpha=0.05).tolist() == [1, -1, 0]
    with pytest.raises(ParameterError):
        MannKendall([1.0])


# --- categories -------------------------------------------------------------------------------

Z = [0] * 10


def _s(*ones: int, n: int = 10) -> list[int]:
    out = [0] * n
    for i in ones:
        out[i] = 1
    return out


HOT_CASES = [
    ("new", _s(9), Z, 0),
    ("consecutive", _s(7, 8, 9), Z, 0),
    ("consecutive", _s(2, 3, 4, 5, 6, 7, 8, 9), Z, 1),  # 80 %: under 90 %, trend irrelevant
    ("intensifying", [1] * 10, Z, 1),
    ("persistent", _s(1, 2, 3, 4, 5, 6, 7, 8, 9), Z, 0),  # exactly 90 %
    ("diminishing", [1] * 10, Z, -1),
    ("sporadic", _s(0, 3, 5, 8, 9), Z, 0),
    ("sporadic", _s(4, 9), Z, 0),
    ("oscillating", _s(9), _s(0), 0),
    ("oscillating", _s(6, 7, 8, 9), _s(2, 3), 0),
    ("historical", _s(0, 1, 2, 3, 4, 5, 6, 7, 8), Z, 0),
]


@pytest.mark.parametrize(("pattern", "hot", "cold", "trend"), HOT_CASES)
def test_hot_categories(pattern: str, hot: list[int], cold: list[int], trend: int) -> None:
    assert classify_location(hot, cold, trend=trend) == f"{pattern} hot spot"


@pytest.mark.parametrize(("pattern", "hot", "cold", "trend"), HOT_CASES)
def test_cold_categories_mirror_hot(
    pattern: str, hot: list[int], cold: list[int], trend: int
) -> None:
    # swapping hot and cold and flipping the trend (cold intensifies as z falls)
    assert classify_location(cold, hot, trend=-trend) == f"{pattern} cold spot"


def test_no_pattern_and_precedence() -> None:
    assert classify_location(Z, Z) == NO_PATTERN
    assert classify_location(_s(1, 2), Z) == NO_PATTERN  # hot earlier, not now, under 90 %
    assert classify_location(_s(1, 2), _s(4)) == NO_PATTERN
    # hot 90 % of the time but cold now: the final step decides -> oscillating cold
    assert classify_location(_s(0, 1, 2, 3, 4, 5, 6, 7, 8), _s(9)) == "oscillating cold spot"
    # two steps only: hot in both is 100 % -> persistent; 90 % rule in integers
    assert classify_location([1, 1], [0, 0]) == "persistent hot spot"
    assert classify_location([0, 1], [0, 0]) == "new hot spot"
    with pytest.raises(ParameterError):
        classify_location([1, 0], [1, 0])
    with pytest.raises(ParameterError):
        classify_location([1, 0], [0, 0], trend=2)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=24),
    st.sampled_from([-1, 0, 1]),
)
def test_category_invariants(states: list[int], trend: int) -> None:
    s = np.asarray(states)
    hot, cold = s == 1, s == -1
    cat = classify_location(hot, cold, trend=trend)
    assert cat in CATEGORIES
    if hot[-1]:
        assert cat in HOT_CATEGORIES
    elif cold[-1]:
        assert cat in COLD_CATEGORIES
    else:
        assert cat == NO_PATTERN or cat.startswith("historical")
    if cat.startswith("new"):
        sig = hot if cat in HOT_CATEGORIES else cold
        assert sig.sum() == 1
    if cat.split()[0] in ("intensifying", "persistent", "diminishing", "historical"):
        sig = hot if cat in HOT_CATEGORIES else cold
        assert 10 * sig.sum() >= 9 * s.size


def test_classify_locations_vectorised() -> None:
    hot = np.array([_s(9), [1] * 10, _s(0, 1, 2, 3, 4, 5, 6, 7, 8), Z]).T
    cold = np.array([Z, Z, Z, _s(9)]).T
    out = classify_locations(hot, cold, trend=[0, 1, 0, 0])
    assert out.tolist() == [
        "new hot spot",
        "intensifying hot spot",
        "historical hot spot",
        "new cold spot",
    ]


def test_category_styles_cover_every_category() -> None:
    assert list(CATEGORY_STYLES) == list(CATEGORIES)
    assert len(CATEGORIES) == 17
    colours = [v["colour"] for v in CATEGORY_STYLES.values()]
    assert len(set(colours)) == 17
    assert all(c.startswith("#") and len(c) == 7 for c in colours)
    assert all(v["description"] for v in CATEGORY_STYLES.values())


# --- space-time Gi* ---------------------------------------------------------------------------


def _brute_force_gi(counts: np.ndarray, xy: np.ndarray, band: float, k: int, both: bool):
    n_steps, n_cells = counts.shape
    y = counts.ravel()
    n = y.size
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    W = np.zeros((n, n))
    for t in range(n_steps):
        for c in range(n_cells):
            for t2 in range(n_steps):
                in_time = (t - k <= t2 <= t + k) if both else (t - k <= t2 <= t)
                if in_time:
                    W[t * n_cells + c, t2 * n_cells : (t2 + 1) * n_cells] = d[c] <= band
    ybar = y.mean()
    s = np.sqrt((y**2).mean() - ybar**2)
    wi = W.sum(axis=1)
    num = W @ y - ybar * wi
    den = s * np.sqrt((n * wi - wi**2) / (n - 1))
    return (num / den).reshape(n_steps, n_cells)


@pytest.mark.parametrize(("k", "window"), [(1, "backward"), (2, "backward"), (1, "both")])
def test_spacetime_gi_matches_brute_force(k: int, window: str) -> None:
    rng = np.random.default_rng(11)
    cells = fishnet(shapely.box(0, 0, 400, 300), cell_size=100)
    counts = rng.poisson(1.5, (5, len(cells))).astype(float)
    counts[3:, 5] += 6
    cube = SpaceTimeCube(cells, pd.period_range("2025-01", periods=5, freq="M"), counts,
                         "month", int(counts.sum()), 0, 0, 0)  # fmt: skip
    gi = SpaceTimeGiStar(cube, band=150, steps=k, time_window=window)
    xy = cells[["cell_x", "cell_y"]].to_numpy()
    expected = _brute_force_gi(counts, xy, 150, k, window == "both")
    np.testing.assert_allclose(gi.z, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gi.q.ravel(), fdr_bh(gi.p.ravel()))  # FDR over the whole cube
    # same as analysis.hotspots.gi's statistic with the explicit space-time weights matrix
    W = spacetime_weights(band_weights(xy, band=150), n_steps=5, steps=k, direction=window)
    ref = GetisOrdGiStar(counts.ravel(), None, band=150, weights=W)
    np.testing.assert_allclose(gi.z.ravel(), ref.z, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gi.q.ravel(), ref.q, rtol=1e-10)
    np.testing.assert_allclose(gi.window_events.ravel(), ref.window_sum)
    assert gi.z.shape == (5, len(cells))


# --- planted clusters -------------------------------------------------------------------------

AREA = shapely.box(0, 0, 3000, 3000)
PERSISTENT_XY = (625.0, 625.0)
NEW_XY = (2375.0, 2375.0)


@lru_cache(maxsize=1)
def _planted() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(2024)
    frames = []
    months = pd.period_range("2025-01", periods=12, freq="M")
    for i, month in enumerate(months):
        start = month.start_time
        parts = [rng.uniform(0, 3000, (40, 2)), rng.normal(PERSISTENT_XY, 50, (15, 2))]
        if i >= 10:  # the final two months only
            parts.append(rng.normal(NEW_XY, 50, (25, 2)))
        xy = np.vstack(parts)
        days = rng.integers(0, month.days_in_month, len(xy))
        frames.append(
            gpd.GeoDataFrame(
                {"reported_date": start + pd.to_timedelta(days, unit="D")},
                geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                crs=27700,
            )
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=27700)


@lru_cache(maxsize=1)
def _planted_result() -> gpd.GeoDataFrame:
    return emerging_hotspots(_planted(), study_area=AREA, cell_size=250, band=300)


def _cell(res: gpd.GeoDataFrame, xy: tuple[float, float]) -> pd.Series:
    hit = res[(res["cell_x"] == xy[0]) & (res["cell_y"] == xy[1])]
    assert len(hit) == 1
    return hit.iloc[0]


def test_planted_clusters_are_classified() -> None:
    res = _planted_result()
    persistent = _cell(res, PERSISTENT_XY)
    assert persistent["category"] in ("persistent hot spot", "intensifying hot spot")
    assert persistent["label"] == "hot"
    assert persistent["n_hot_steps"] >= 11
    new = _cell(res, NEW_XY)
    assert new["category"] in ("new hot spot", "consecutive hot spot")
    assert new["label"] == "hot"
    assert new["n_hot_steps"] in (1, 2)
    assert sum(new["step_counts"][10:]) > 3 * sum(new["step_counts"][:10])  # planted late
    # background: nearly every cell away from the clusters has no pattern
    far = res[
        (np.hypot(res["cell_x"] - PERSISTENT_XY[0], res["cell_y"] - PERSISTENT_XY[1]) > 600)
        & (np.hypot(res["cell_x"] - NEW_XY[0], res["cell_y"] - NEW_XY[1]) > 600)
    ]
    assert (far["category"] == NO_PATTERN).mean() >= 0.9


def test_result_shape_and_params() -> None:
    res = _planted_result()
    assert list(res.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert isinstance(res.index, pd.RangeIndex) and len(res) == 144
    assert (res["method"] == "emerging").all()
    assert res["n_events"].sum() == len(_planted())
    assert all(len(c) == 12 for c in res["step_counts"])
    np.testing.assert_array_equal(res["step_counts"].map(sum).to_numpy(), res["n_events"])
    assert set(res["category"]) <= set(CATEGORIES)
    p = res.attrs["csmap_params"]
    assert p["n_steps"] == 12 and p["periods"][0] == "2025-01" and p["final_period"] == "2025-12"
    assert p["neighbourhood_steps"] == 1 and p["time_window"] == "backward"
    assert p["cell_size"] == 250 and p["band"] == 300 and p["automatic"] == []
    assert sum(p["category_counts"].values()) == len(res)
    assert p["n_counted"] == len(_planted())


def test_run_entry_and_file_roundtrip(tmp_path: Path) -> None:
    res = run(_planted(), method="emerging", study_area=AREA, cell_size=250, band=300)
    pd.testing.assert_series_equal(res["category"], _planted_result()["category"])
    back = read_hotspots(write_hotspots(res, tmp_path / "em.geojson"))
    assert back["category"].tolist() == res["category"].tolist()
    assert back.attrs["csmap_params"]["method"] == "emerging"


def _with_partial_january() -> gpd.GeoDataFrame:
    """The planted data plus an extract of 1-5 January 2026 (a partial 13th month)."""
    rng = np.random.default_rng(7)
    xy = np.vstack(
        [
            rng.uniform(0, 3000, (7, 2)),
            rng.normal(PERSISTENT_XY, 50, (2, 2)),
            rng.normal(NEW_XY, 50, (4, 2)),
        ]
    )
    days = rng.integers(0, 5, len(xy))
    extra = gpd.GeoDataFrame(
        {"reported_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=27700,
    )
    return gpd.GeoDataFrame(pd.concat([_planted(), extra], ignore_index=True), crs=27700)


def test_partial_final_month_is_dropped_not_read_as_a_fall() -> None:
    pts = _with_partial_january()
    res = emerging_hotspots(pts, study_area=AREA, cell_size=250, band=300)
    p = res.attrs["csmap_params"]
    assert p["dropped_partial_step"] is True and p["dropped_period"] == "2026-01"
    assert p["n_dropped_partial"] == 13 and p["n_outside_period"] == 13
    assert p["final_period"] == "2025-12" and p["n_steps"] == 12
    assert "2026-01" in p["warning"]
    assert p["n_counted"] + p["n_outside_period"] == len(pts)
    # identical to the analysis of the complete months only
    pd.testing.assert_series_equal(res["category"], _planted_result()["category"])
    # kept, the five-day month reads as a fall: the planted persistent hot spot is not hot in
    # the final step any more and turns into a (false) historical hot spot
    kept = emerging_hotspots(pts, study_area=AREA, cell_size=250, band=300, drop_partial_step=False)
    assert kept.attrs["csmap_params"]["n_steps"] == 13
    assert kept.attrs["csmap_params"]["dropped_partial_step"] is False
    assert _cell(kept, PERSISTENT_XY)["category"] == "historical hot spot"
    assert (kept["category"] == "historical hot spot").sum() > 0
    assert (res["category"] == "historical hot spot").sum() == 0
    # an explicit end keeps the step (the caller vouches for it)
    ended = emerging_hotspots(pts, study_area=AREA, cell_size=250, band=300, end="2026-01-05")
    assert ended.attrs["csmap_params"]["n_steps"] == 13
    assert ended.attrs["csmap_params"]["dropped_period"] is None


def test_symmetric_window_option() -> None:
    res = emerging_hotspots(
        _planted(), study_area=AREA, cell_size=250, band=300, time_window="both"
    )
    assert res.attrs["csmap_params"]["time_window"] == "both"
    assert _cell(res, PERSISTENT_XY)["label"] == "hot"


def test_parameter_errors() -> None:
    pts = _planted()
    with pytest.raises(ParameterError, match="no 'start' column"):
        emerging_hotspots(pts, study_area=AREA, cell_size=250, band=300, time_column="start")
    with pytest.raises(ParameterError, match="time_window"):
        emerging_hotspots(pts, study_area=AREA, cell_size=250, band=300, time_window="ahead")
    with pytest.raises(ParameterError, match="at least two time steps"):
        emerging_hotspots(
            pts, study_area=AREA, cell_size=250, band=300, start="2025-03-01", end="2025-03-31"
        )
    with pytest.raises(ParameterError, match="neighbourhood_steps"):
        emerging_hotspots(pts, study_area=AREA, cell_size=250, band=300, neighbourhood_steps=-1)


# --- demo data --------------------------------------------------------------------------------


def test_demo_concerns_run_with_sane_categories() -> None:
    from geo.demo.records import generate
    from geo.locate.coords import resolve_locations
    from geo.places.boundaries import load_area

    concerns = generate(scale=1.0)["concerns"]
    loc = resolve_locations(concerns)
    ok = loc["easting"].notna().to_numpy()
    pts = gpd.GeoDataFrame(
        {"reported_date": pd.to_datetime(concerns.loc[ok, "reported_date"])},
        geometry=gpd.points_from_xy(loc.loc[ok, "easting"], loc.loc[ok, "northing"]),
        crs=27700,
    )
    res = run(pts, method="emerging", study_area=load_area("kirklees"))
    p = res.attrs["csmap_params"]
    assert p["n_steps"] == 24  # two years of months
    assert p["automatic"] == ["cell_size", "band"]
    assert set(res["category"]) <= set(CATEGORIES)
    n_steps = p["n_steps"]
    now_hot = {"new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
               "oscillating"}  # fmt: skip
    for _, row in res[res["category"] != NO_PATTERN].iterrows():
        pattern, sign = row["category"].split()[0], row["category"].split()[1]
        if pattern in now_hot:
            assert row["label"] == sign
        if pattern == "historical":
            assert row["label"] != sign
        n_sig = row["n_hot_steps"] if sign == "hot" else row["n_cold_steps"]
        if pattern == "new":
            assert n_sig == 1
        if pattern in ("intensifying", "persistent", "diminishing", "historical"):
            assert 10 * n_sig >= 9 * n_steps
    hot_cells = res["category"].isin(HOT_CATEGORIES)
    assert hot_cells.sum() > 0  # the demo has persistent venue clusters
    assert hot_cells.mean() < 0.2  # ... but most of the borough has no pattern
    assert res["n_events"].sum() == p["n_counted"]
