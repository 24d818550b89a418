"""KDE and dual KDE: brute-force reference, mass, bandwidth rule, contours, real geography."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.hotspots.density.dual_kde import DualKernelDensity, population_cells
from analysis.hotspots.density.kde import dual_kde_hotspots, kde_hotspots
from analysis.hotspots.density.kernel_density import KernelDensity, arcgis_bandwidth
from analysis.hotspots.result import STANDARD_COLUMNS
from geo.errors import ParameterError

AREA = shapely.box(0, 0, 5000, 5000)


def _pts(xy: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def _quartic_brute(cx, cy, pts, r, w=None):
    d2 = ((cx[:, None] - pts[None, :, 0]) ** 2 + (cy[:, None] - pts[None, :, 1]) ** 2) / r**2
    k = 3 / (math.pi * r**2) * np.where(d2 < 1, (1 - d2) ** 2, 0.0)
    w = np.ones(len(pts)) if w is None else w
    return (k * w[None, :]).sum(axis=1) * 1e6  # per km2


def test_arcgis_bandwidth_hand_value():
    # square of side 2: SD = Dm = sqrt(2); min(SD, 1.2011*Dm) = sqrt(2); n^-0.2 = 4^-0.2
    expected = 0.9 * math.sqrt(2) * 4**-0.2
    assert arcgis_bandwidth([[0, 0], [0, 2], [2, 0], [2, 2]]) == pytest.approx(expected, rel=1e-12)


def test_arcgis_bandwidth_uses_median_distance_when_smaller():
    # 9 points at the origin, one far away: Dm = 10% of far distance ... median distance is small
    xy = np.r_[np.zeros((9, 2)), [[1000.0, 0.0]]]
    cx = 100.0  # mean centre x
    d = np.r_[np.full(9, cx), 900.0]
    sd = math.sqrt((d**2).mean())
    dm = cx
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * 10**-0.2
    assert arcgis_bandwidth(xy) == pytest.approx(expected, rel=1e-12)
    # integer weights behave like duplicated points
    w = np.array([1, 2, 3])
    xy3 = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 300.0]])
    dup = np.repeat(xy3, w, axis=0)
    assert arcgis_bandwidth(xy3, weights=w) == pytest.approx(arcgis_bandwidth(dup), rel=1e-12)


def test_arcgis_bandwidth_rejects_degenerate():
    with pytest.raises(ParameterError):
        arcgis_bandwidth([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ParameterError):
        arcgis_bandwidth([[1.0, 1.0]])


def test_fft_density_equals_brute_force_quartic():
    rng = np.random.default_rng(0)
    pts = np.r_[rng.uniform(1000, 4000, (300, 2)), rng.normal(2500, 150, (200, 2))]
    kd = KernelDensity(pts, study_area=AREA, bandwidth=500, cell_size=10)
    assert kd.bandwidth == 500 and kd.cell_size == 10 and kd.kernel == "quartic"
    X, Y = np.meshgrid(kd.x, kd.y)
    idx = rng.choice(np.flatnonzero(kd.in_area.ravel()), 300, replace=False)
    ref = _quartic_brute(X.ravel()[idx], Y.ravel()[idx], pts, 500.0)
    got = kd.density.ravel()[idx]
    m = ref > 0.01 * ref.max()
    assert m.sum() > 100
    np.testing.assert_allclose(got[m], ref[m], rtol=1e-3)
    # total mass ~ N (all kernels lie inside the area)
    assert np.nansum(kd.density) * kd.cell_area_km2 == pytest.approx(500, rel=1e-3)


def test_weights_equal_duplicated_points():
    rng = np.random.default_rng(1)
    pts = rng.uniform(1000, 4000, (50, 2))
    w = rng.integers(1, 4, 50)
    a = KernelDensity(pts, study_area=AREA, weights=w, bandwidth=400, cell_size=25)
    b = KernelDensity(np.repeat(pts, w, axis=0), study_area=AREA, bandwidth=400, cell_size=25)
    np.testing.assert_allclose(a.density, b.density, rtol=1e-9, atol=1e-12)


def test_grid_orientation_and_mask():
    kd = KernelDensity([[1025.0, 4025.0]], study_area=AREA, bandwidth=300, cell_size=50)
    r, c = np.unravel_index(np.nanargmax(kd.density), kd.density.shape)
    assert kd.x[c] == 1025 and kd.y[r] == 4025
    assert kd.y[0] > kd.y[-1]  # north-up
    assert kd.transform[0] == 50 and kd.transform[4] == -50
    outside = ~kd.in_area
    assert outside.any() and np.isnan(kd.density[outside]).all()
    # point on a cell centre: peak of one quartic kernel = 3 / (pi r^2) per m2
    assert np.nanmax(kd.density) == pytest.approx(3 / (math.pi * 300**2) * 1e6, rel=1e-6)


def test_points_far_outside_are_dropped_and_counted():
    kd = KernelDensity(
        [[2500.0, 2500.0], [90000.0, 90000.0]], study_area=AREA, bandwidth=200, cell_size=50
    )
    assert kd.n_points == 1 and kd.n_outside == 1


@settings(max_examples=10, deadline=None)
@given(dx=st.integers(-20, 20), dy=st.integers(-20, 20))
def test_translation_invariance(dx, dy):
    rng = np.random.default_rng(5)
    pts = rng.uniform(500, 1500, (100, 2))
    area = shapely.box(0, 0, 2000, 2000)
    a = KernelDensity(pts, study_area=area, bandwidth=300, cell_size=20)
    shift = np.array([dx * 20.0, dy * 20.0])
    b = KernelDensity(
        pts + shift,
        study_area=shapely.affinity.translate(area, *shift),
        bandwidth=300,
        cell_size=20,
    )
    np.testing.assert_allclose(a.density, b.density, rtol=1e-6, atol=1e-9)


def test_parameters_validated():
    with pytest.raises(ParameterError):
        KernelDensity([[1.0, 2.0]], study_area=AREA, bandwidth=-1)
    with pytest.raises(ParameterError):
        KernelDensity([[1.0, 2.0]], study_area=AREA, bandwidth=10, kernel="cosine")
    with pytest.raises(ParameterError):
        KernelDensity([[1.0, 2.0]], study_area=AREA, bandwidth=10, cell_size=0.01)
    with pytest.raises(ParameterError):
        kde_hotspots(_pts(np.array([[1.0, 2.0]])), study_area=AREA, bandwidth=10, top=1.5)


def test_contours_cover_top_share_and_planted_cluster():
    rng = np.random.default_rng(2)
    xy = np.r_[rng.normal(3500, 60, (300, 2)), rng.uniform(0, 5000, (700, 2))]
    kd = KernelDensity(xy, study_area=AREA, bandwidth=300, cell_size=25)
    poly = kd.contours(top=0.02, study_area=AREA)
    n_cells = int(kd.in_area.sum())
    assert poly["n_cells"].sum() == pytest.approx(0.02 * n_cells, abs=2)
    assert poly.union_all().area == pytest.approx(poly["n_cells"].sum() * 625, rel=1e-6)
    assert poly.union_all().contains(shapely.Point(3500, 3500))
    assert (poly["mean_density"] >= poly["threshold"]).all()


def test_kde_hotspots_standard_result():
    rng = np.random.default_rng(3)
    xy = np.r_[rng.normal(1500, 50, (200, 2)), rng.uniform(0, 5000, (300, 2))]
    pts = _pts(xy)
    pts.index = pts.index + 100
    out = kde_hotspots(pts, study_area=AREA, top=0.03)
    assert list(out.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert (out["label"] == "hot").all() and (out["method"] == "kde").all()
    assert out[["z", "p_value", "q_value"]].isna().all().all()
    top = out.iloc[0]
    assert top.geometry.contains(shapely.Point(1500, 1500))
    assert top["n_events"] >= 180  # the 200-event cluster (plus a few uniform ones)
    params = out.attrs["csmap_params"]
    assert params["bandwidth"] == pytest.approx(arcgis_bandwidth(xy), rel=1e-12)
    assert set(params["automatic"]) == {"bandwidth", "cell_size"}
    assert params["cell_size"] == pytest.approx(5000 / 250)
    # counts by cell match a direct point-in-polygon count (cells are whole, area is a box)
    inside = shapely.contains_xy(top.geometry, xy[:, 0], xy[:, 1]).sum()
    assert abs(int(top["n_events"]) - int(inside)) <= 2


def test_kde_hotspots_null_geometry_and_no_points():
    pts = _pts(np.array([[1000.0, 1000.0], [1010.0, 1000.0]]))
    pts.loc[len(pts)] = [None]
    out = kde_hotspots(pts, study_area=AREA, bandwidth=200, top=0.01)
    assert out.attrs["csmap_params"]["n_null_geometry"] == 1
    assert out["n_events"].sum() == 2


def test_population_cells_conserve_people():
    pop = gpd.GeoDataFrame(
        {"children_young_people": [100.0, 50.0, 7.0]},
        geometry=[
            shapely.box(0, 0, 2500, 5000),
            shapely.box(2500, 0, 5000, 5000),
            shapely.box(1001, 1001, 1002, 1002),
        ],
        crs=27700,
    )
    kd = KernelDensity([[10.0, 10.0]], study_area=AREA, bandwidth=200, cell_size=50)
    xy, people = population_cells(pop, grid=kd)
    assert people.sum() == pytest.approx(157.0)
    assert people[xy[:, 0] > 2500].sum() == pytest.approx(50.0)


def test_dual_kde_events_following_population_show_no_hotspots():
    # two LSOAs, the east one with 4x the children; events sampled in proportion
    pop = gpd.GeoDataFrame(
        {"children_young_people": [200.0, 800.0]},
        geometry=[shapely.box(0, 0, 2500, 5000), shapely.box(2500, 0, 5000, 5000)],
        crs=27700,
    )
    rng = np.random.default_rng(4)
    west = np.c_[rng.uniform(0, 2500, 2000), rng.uniform(0, 5000, 2000)]
    east = np.c_[rng.uniform(2500, 5000, 8000), rng.uniform(0, 5000, 8000)]
    xy = np.r_[west, east]
    dk = DualKernelDensity(xy, study_area=AREA, population=pop, bandwidth=600, cell_size=50)
    interior = dk.ratio[
        (dk.events.x[None, :] > 800)
        & (dk.events.x[None, :] < 4200)
        & (dk.events.y[:, None] > 800)
        & (dk.events.y[:, None] < 4200)
    ]
    # away from the artificial step between the two LSOAs the ratio sits near 1
    assert np.nanmedian(interior) == pytest.approx(1.0, abs=0.1)
    out = dual_kde_hotspots(_pts(xy), study_area=AREA, population=pop, bandwidth=600)
    assert len(out) == 0
    # a planted cluster in the low-population half is found and is population-adjusted
    planted = np.r_[xy, rng.normal(1200, 40, (150, 2))]
    out = dual_kde_hotspots(_pts(planted), study_area=AREA, population=pop, bandwidth=600)
    assert len(out) >= 1 and out.geometry.iloc[0].contains(shapely.Point(1200, 1200))
    assert (out["adjustment"] == "population-adjusted").all()
    assert (out["rate_ratio"] >= 1.5).all() and np.isfinite(out["expected"]).all()


def test_dual_kde_needs_population():
    with pytest.raises(ParameterError):
        dual_kde_hotspots(_pts(np.array([[1.0, 1.0]])), study_area=AREA, bandwidth=100)


def test_kde_on_kirklees():
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    rng = np.random.default_rng(7)
    lsoas = area.population
    # events at LSOA representative points in proportion to children, plus a planted cluster
    reps = shapely.get_coordinates(lsoas.geometry.representative_point().to_numpy())
    counts = rng.poisson(lsoas["children_young_people"].to_numpy() / 50)
    xy = np.repeat(reps, counts, axis=0) + rng.normal(0, 150, (counts.sum(), 2))
    centre = reps[10]
    xy = np.r_[xy, centre + rng.normal(0, 60, (300, 2))]
    xy = xy[shapely.contains_xy(area.polygon, xy[:, 0], xy[:, 1])]
    out = kde_hotspots(_pts(xy), study_area=area.polygon, top=0.01)
    assert out.geometry.union_all().contains(shapely.Point(*centre))
    assert out.geometry.union_all().within(area.polygon.buffer(1e-6))
    dual = dual_kde_hotspots(_pts(xy), study_area=area.polygon, population=lsoas, bandwidth=800)
    assert dual.geometry.union_all().distance(shapely.Point(*centre)) < 200
