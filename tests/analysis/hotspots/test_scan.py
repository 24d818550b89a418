"""Kulldorff scan: LLR by hand, planted clusters, type-I error on null data, standard result."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.stats import binom

from analysis.hotspots.result import STANDARD_COLUMNS
from analysis.hotspots.scan import (
    PoissonScan,
    SpaceTimePermutationScan,
    poisson_llr,
    scan_hotspots,
)
from analysis.hotspots.scan_core import _windows
from geo.errors import ParameterError


def _grid(side: int, step: float = 100.0) -> np.ndarray:
    g = np.arange(side) * step
    return np.array([(x, y) for x in g for y in g])


def test_llr_hand_check() -> None:
    # C = 10, window with 6 cases, expected 2: 6 ln(6/2) + 4 ln(4/8)
    assert float(poisson_llr(6, 2.0, 10)) == pytest.approx(6 * np.log(3) + 4 * np.log(0.5))
    # low-rate windows score 0 (we scan for high rates only)
    assert float(poisson_llr(1, 2.0, 10)) == 0.0
    assert float(poisson_llr(10, 5.0, 10)) == pytest.approx(10 * np.log(2))


def test_tiny_poisson_example_by_hand() -> None:
    # four locations on a line, equal population; max window 50 % = two locations
    xy = np.array([[0, 0], [1, 0], [10, 0], [11, 0]], dtype=float)
    s = PoissonScan(xy, [8, 0, 1, 1], [10, 10, 10, 10], permutations=99, seed=1)
    top = s.clusters.iloc[0]
    # best window is location 0 alone: c = 8, E = 2.5, C = 10
    assert top["locations"] == [0]
    assert top["n_events"] == 8 and top["expected"] == pytest.approx(2.5)
    assert top["llr"] == pytest.approx(8 * np.log(8 / 2.5) + 2 * np.log(2 / 7.5))
    assert top["relative_risk"] == pytest.approx((8 / 2.5) / (2 / 7.5))
    # secondary clusters never share a location with the first
    for locs in s.clusters["locations"].iloc[1:]:
        assert 0 not in locs


def test_tied_distances_enter_together() -> None:
    # centre with four neighbours at the same distance: a window holds none or all four
    xy = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [50, 50], [51, 50], [50, 51]], float)
    w = _windows(xy, np.ones(8), share=0.75, max_radius=None)
    sizes = w.cols[w.rows == 0] + 1
    # the centre alone, or with all four at distance 1; then (50, 50) alone (6 <= 0.75 * 8)
    assert sizes.tolist() == [1, 5, 6]
    # the 50 % population cap (4 of 8) rules the five-location window out
    w = _windows(xy, np.ones(8), share=0.5, max_radius=None)
    assert (w.cols[w.rows == 0] + 1).tolist() == [1]


def test_planted_cluster_found_poisson() -> None:
    rng = np.random.default_rng(11)
    xy = _grid(15)
    pop = rng.uniform(50, 150, len(xy))
    risk = np.ones(len(xy))
    centre = np.argmin(np.hypot(xy[:, 0] - 700, xy[:, 1] - 700))
    near = np.hypot(xy[:, 0] - xy[centre, 0], xy[:, 1] - xy[centre, 1]) <= 150
    risk[near] = 4.0
    cases = rng.poisson(pop * risk * 0.02)
    s = PoissonScan(xy, cases, pop, permutations=199, seed=3)
    top = s.clusters.iloc[0]
    assert top["p_value"] < 0.01
    found = set(top["locations"])
    planted = set(np.flatnonzero(near))
    assert len(found & planted) / len(found | planted) > 0.5


def test_type_one_error_near_alpha() -> None:
    """On data simulated under the null, p <= alpha in about alpha of the datasets."""
    rng = np.random.default_rng(2026)
    xy = _grid(7)
    pop = rng.uniform(20, 200, len(xy))
    n_sets, alpha = 100, 0.10
    rejections = 0
    for i in range(n_sets):
        cases = rng.multinomial(150, pop / pop.sum())
        s = PoissonScan(xy, cases, pop, permutations=49, seed=i, max_clusters=1)
        rejections += int(s.clusters["p_value"].iloc[0] <= alpha)
    # two-sided 99.9 % binomial band around n * alpha
    lo, hi = binom.ppf([0.0005, 0.9995], n_sets, alpha)
    assert lo <= rejections <= hi, rejections


def test_space_time_permutation_finds_planted_burst() -> None:
    rng = np.random.default_rng(5)
    xy = _grid(8)
    cases = rng.poisson(1.0, (len(xy), 10))
    burst = np.hypot(xy[:, 0] - 300, xy[:, 1] - 300) <= 100
    cases[burst, 7] += 6
    s = SpaceTimePermutationScan(xy, cases, permutations=199, seed=2)
    top = s.clusters.iloc[0]
    assert top["p_value"] < 0.01
    assert top["t_start"] <= 7 <= top["t_end"]
    assert set(top["locations"]) & set(np.flatnonzero(burst))


def test_space_time_expected_sums_to_margins() -> None:
    xy = _grid(3)
    cases = np.arange(27).reshape(9, 3) % 4
    s = SpaceTimePermutationScan(xy, cases, permutations=9, seed=0, max_time_share=1.0)
    row = s.clusters.iloc[0]
    locs, t0, t1 = row["locations"], row["t_start"], row["t_end"]
    expected = cases[locs].sum() * cases[:, t0 : t1 + 1].sum() / cases.sum()
    assert row["expected"] == pytest.approx(expected)
    assert row["n_events"] == cases[locs, t0 : t1 + 1].sum()


def test_scan_hotspots_standard_result_real_geography() -> None:
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    pop = area.population
    rng = np.random.default_rng(8)
    # events proportional to children and young people, plus a planted excess in one LSOA
    share = pop["children_young_people"].to_numpy(float)
    counts = rng.multinomial(1500, share / share.sum())
    target = int(np.argmax(share))
    counts[target] += 120
    pts = pop.geometry.sample_points(counts, rng=rng).explode(index_parts=False)
    gdf = gpd.GeoDataFrame(geometry=pts.to_numpy(), crs=27700)
    out = scan_hotspots(gdf, study_area=area, cell_size=1000, permutations=99, seed=4)
    assert list(out.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert out.crs.to_epsg() == 27700
    assert set(out["label"]) <= {"cluster", "not significant"}
    top = out.iloc[0]
    assert top["label"] == "cluster" and top["p_value"] <= 0.01
    assert top.geometry.intersects(pop.geometry.iloc[target])
    assert out.attrs["csmap_params"]["permutations"] == 99
    assert out.attrs["csmap_params"]["adjustment"] == "population-adjusted"


def test_parameter_errors() -> None:
    xy = _grid(3)
    with pytest.raises(ParameterError):
        PoissonScan(xy, np.ones(9), np.zeros(9))
    with pytest.raises(ParameterError):
        PoissonScan(xy, np.ones(9), np.ones(9), max_share=0.9)
    with pytest.raises(ParameterError):
        scan_hotspots(
            gpd.GeoDataFrame(geometry=gpd.points_from_xy([1], [1]), crs=27700),
            study_area=shapely.box(0, 0, 10, 10),
            model="elliptic",
        )


def test_dispatcher_runs_space_time_scan() -> None:
    import pandas as pd

    from analysis.hotspots.registry import run

    rng = np.random.default_rng(9)
    xy = rng.uniform(0, 3000, (400, 2))
    months = pd.period_range("2024-01", periods=8, freq="M")
    month = months[rng.integers(0, 8, 400)].to_timestamp()
    burst = rng.normal(800, 60, (40, 2))
    pts = gpd.GeoDataFrame(
        {"month": np.r_[month, [pd.Timestamp("2024-06-01")] * 40]},
        geometry=gpd.points_from_xy(np.r_[xy[:, 0], burst[:, 0]], np.r_[xy[:, 1], burst[:, 1]]),
        crs=27700,
    )
    out = run(
        pts,
        method="scan",
        study_area=shapely.box(0, 0, 3000, 3000),
        model="space-time-permutation",
        cell_size=250,
        permutations=99,
        seed=1,
    )
    top = out.iloc[0]
    assert top["label"] == "cluster"
    assert top["time_start"] <= "2024-06" <= top["time_end"]
    assert top.geometry.contains(shapely.Point(800, 800))
    assert out.attrs["csmap_params"]["model"] == "space-time-permutation"
