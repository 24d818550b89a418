"""analysis.hotspots.adjust: population apportionment and Poisson excess risk, on real Kirklees."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import stats

from analysis.hotspots.adjust import PoissonExcessRisk, apportion_population
from analysis.hotspots.gi import gi_hotspots
from analysis.inference import p_from_z
from analysis.lattice.grid import fishnet
from geo.errors import ParameterError


@pytest.fixture(scope="module")
def kirklees():  # type: ignore[no-untyped-def]
    from geo.places.boundaries import load_area

    return load_area("kirklees")


def test_apportion_hand_case() -> None:
    cells = fishnet(shapely.box(0, 0, 300, 100), cell_size=100)
    pop = gpd.GeoDataFrame(
        {"children_young_people": [40.0, 90.0]},
        geometry=[shapely.box(0, 0, 200, 100), shapely.box(200, 0, 300, 100)],
        crs=27700,
    )
    assert apportion_population(cells, pop).tolist() == pytest.approx([20.0, 20.0, 90.0])
    with pytest.raises(ParameterError):
        apportion_population(cells, pop, column="nope")


def test_poisson_excess_risk_exact_tails() -> None:
    r = PoissonExcessRisk([10, 0, 0, 0], [1, 1, 1, 1])
    assert r.p_hot[0] == pytest.approx(stats.poisson.sf(9, 2.5))
    assert r.p_cold[1] == pytest.approx(stats.poisson.cdf(0, 2.5))
    assert r.p[0] == pytest.approx(min(1.0, 2 * stats.poisson.sf(9, 2.5)))
    assert p_from_z(r.z) == pytest.approx(r.p, rel=1e-9)
    assert r.rate_ratio.tolist() == pytest.approx([4.0, 0.0, 0.0, 0.0])
    assert r.z[0] > 0 and r.z[1] < 0


def test_zero_population_cells_are_untestable() -> None:
    r = PoissonExcessRisk([5, 3, 2], [0.0, 10.0, 10.0])
    assert r.zero_population.tolist() == [True, False, False]
    assert np.isnan(r.p[0]) and np.isnan(r.z[0]) and np.isnan(r.rate_ratio[0])
    with pytest.raises(ParameterError):
        PoissonExcessRisk([1, 2], [0.0, 0.0])


def test_apportion_preserves_total_on_kirklees(kirklees) -> None:  # type: ignore[no-untyped-def]
    cells = fishnet(kirklees.polygon, cell_size=1000)
    pop = apportion_population(cells, kirklees.population)
    total = kirklees.population["children_young_people"].sum()
    assert pop.sum() == pytest.approx(total, rel=1e-3)


def _sample_by_population(kirklees, n: int, seed: int) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    pop = kirklees.population
    rng = np.random.default_rng(seed)
    w = pop["children_young_people"].to_numpy(float)
    counts = rng.multinomial(n, w / w.sum())
    pts = pop.geometry.sample_points(size=counts, rng=rng).explode(index_parts=False)
    return gpd.GeoDataFrame(geometry=pts.to_numpy(), crs=27700)


def test_events_following_population_show_no_adjusted_hotspots(kirklees) -> None:  # type: ignore[no-untyped-def]
    hot_adjusted, hot_count = [], []
    for seed in range(3):
        pts = _sample_by_population(kirklees, 3000, seed)
        adj = gi_hotspots(
            pts,
            study_area=kirklees.polygon,
            population=kirklees.population,
            cell_size=500,
            band=1000,
            adjust="population",
        )
        cnt = gi_hotspots(pts, study_area=kirklees.polygon, cell_size=500, band=1000)
        hot_adjusted.append(int((adj["label"] == "hot").sum()))
        hot_count.append(int((cnt["label"] == "hot").sum()))
        assert (adj["adjustment"] == "population-adjusted").all()
        assert adj.attrs["csmap_params"]["adjustment"] == "population-adjusted"
    assert sum(hot_adjusted) == 0, hot_adjusted
    assert min(hot_count) > 0, hot_count  # dense towns are count hotspots


def test_planted_cluster_found_by_both(kirklees) -> None:  # type: ignore[no-untyped-def]
    pts = _sample_by_population(kirklees, 2000, 11)
    # a planted cluster in a sparsely populated place inside Kirklees
    centre = kirklees.polygon.representative_point()
    cells = fishnet(kirklees.polygon, cell_size=500)
    pop = apportion_population(cells, kirklees.population)
    sparse = cells[
        (pop > 0) & (pop < np.quantile(pop[pop > 0], 0.3)) & (cells["area_m2"] == 250000)
    ]
    centre = shapely.Point(
        sparse["cell_x"].iloc[len(sparse) // 2], sparse["cell_y"].iloc[len(sparse) // 2]
    )
    rng = np.random.default_rng(12)
    cl = rng.normal([centre.x, centre.y], 120, (60, 2))
    planted = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cl[:, 0], cl[:, 1]), crs=27700)
    allpts = gpd.GeoDataFrame(geometry=list(pts.geometry) + list(planted.geometry), crs=27700)
    for adjust in ("none", "population"):
        res = gi_hotspots(
            allpts,
            study_area=kirklees.polygon,
            population=kirklees.population,
            cell_size=500,
            band=1000,
            adjust=adjust,
        )
        hot = res[res["label"] == "hot"]
        assert hot.geometry.union_all().contains(centre), adjust
        if adjust == "population":
            at = res[res.geometry.contains(centre)].iloc[0]
            assert at["rate_ratio"] > 2
            assert at["expected"] > 0
