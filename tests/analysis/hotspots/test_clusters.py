"""DBSCAN / HDBSCAN clusters on weighted unique locations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sklearn.cluster import DBSCAN

from analysis.hotspots.clustering.clusters import (
    dbscan_hotspots,
    hdbscan_hotspots,
    unique_locations,
)
from analysis.hotspots.result import STANDARD_COLUMNS
from geo.errors import ParameterError
from tests.analysis._events import stacked_events


def _pts(xy, **cols):
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal([1000, 1000], 30, (80, 2))
    b = rng.normal([4000, 2000], 30, (60, 2))
    noise = rng.uniform(0, 6000, (60, 2))
    return np.round(np.r_[a, b, noise])


def test_unique_locations_counts_and_inverse():
    xy = np.array([[10.0, 10.0], [10.4, 9.8], [20.0, 10.0], [10.0, 10.0]])
    loc, counts, inv = unique_locations(xy)
    assert counts.sum() == 4
    np.testing.assert_array_equal(loc[inv], np.rint(xy))
    assert sorted(counts.tolist()) == [1, 3]


def test_dbscan_weighted_equals_dbscan_on_every_event():
    rng = np.random.default_rng(1)
    sites = rng.uniform(0, 3000, (40, 2)).round()
    xy = sites[rng.integers(0, 40, 600)]  # events stacked on 40 snap points
    out = dbscan_hotspots(_pts(xy), eps=200, min_samples=25)
    ref = DBSCAN(eps=200, min_samples=25).fit(xy).labels_
    sizes = sorted(np.bincount(ref[ref >= 0]).tolist(), reverse=True)
    assert sorted(out["n_events"].tolist(), reverse=True) == sizes
    params = out.attrs["csmap_params"]
    assert params["n_unique_locations"] <= 40
    assert params["n_noise_events"] == int((ref < 0).sum())
    assert out["n_events"].sum() + params["n_noise_events"] == 600


def test_dbscan_min_samples_counts_events_not_locations():
    # one location with 10 events is a cluster with min_samples=10; 9 events is not
    xy = np.r_[np.full((10, 2), 500.0), np.full((9, 2), 3000.0)]
    out = dbscan_hotspots(_pts(xy), eps=50, min_samples=10)
    assert out["n_events"].tolist() == [10]
    assert out.geometry.iloc[0].contains(shapely.Point(500, 500))
    # single-location cluster: a 25 m circle
    assert out["area_m2"].iloc[0] == pytest.approx(np.pi * 25**2, rel=0.02)


def test_cluster_summaries():
    xy = np.r_[np.full((4, 2), 100.0), np.full((3, 2), 110.0), [[9000.0, 9000.0]]]
    pts = _pts(
        xy,
        child_ref=["a", "a", "b", "c", "c", "d", "a", "z"],
        reported_date=pd.to_datetime(
            [
                "2024-01-05",
                "2024-03-01",
                "2024-02-01",
                "2024-01-01",
                "2024-06-30",
                "2024-02-02",
                "2024-02-03",
                "2025-01-01",
            ]
        ),
        category=["CSE", "CSE", "CCE", "CSE", "online", "CCE", "CSE", "other"],
    )
    out = dbscan_hotspots(pts, eps=50, min_samples=5)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["n_events"] == 7 and row["n_children"] == 4 and row["n_locations"] == 2
    assert row["first_date"] == pd.Timestamp("2024-01-01")
    assert row["last_date"] == pd.Timestamp("2024-06-30")
    assert row["top_categories"].startswith("CSE (4); CCE (2)")
    assert row["label"] == "cluster" and row["method"] == "dbscan"
    assert list(out.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    assert np.isnan(row["z"]) and np.isnan(row["p_value"])


def test_hdbscan_finds_planted_blobs():
    xy = _blobs()
    out = hdbscan_hotspots(_pts(xy), min_cluster_size=30)
    assert len(out) == 2
    hits = [out.geometry.contains(shapely.Point(p)).any() for p in ([1000, 1000], [4000, 2000])]
    assert all(hits)
    assert (out["n_events"] >= 30).all()
    p = out.attrs["csmap_params"]
    assert out["n_events"].sum() + p["n_noise_events"] == len(xy)


def test_hdbscan_keeps_stacked_sites():
    # 3 snap points with 200 events each, plus sparse noise: stacked events must cluster
    rng = np.random.default_rng(2)
    sites = np.array([[1000.0, 1000.0], [1010.0, 1005.0], [1020.0, 990.0]])
    xy = np.r_[np.repeat(sites, 200, axis=0), rng.uniform(0, 8000, (100, 2)).round()]
    out = hdbscan_hotspots(_pts(xy), min_cluster_size=10)
    p = out.attrs["csmap_params"]
    assert p["library"] == "fast_hdbscan" and p["n_unique_locations"] <= 103
    _check_stacked_sites(out, sites)


def _check_stacked_sites(out, sites):
    # each infinitely dense site is its own cluster (as with every event repeated), and every
    # stacked event is counted
    big = out[out["n_events"] >= 200]
    assert sorted(big["n_events"].tolist()) == [200, 200, 200]
    centres = shapely.get_coordinates(big.geometry.centroid.to_numpy())
    for site in sites:
        assert (np.hypot(*(centres - site).T) < 1).sum() == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"eps": 0},
        {"eps": -5},
        {"min_samples": 0},
        {"min_samples": 2.5},
        {"buffer": -1},
        {"snap": 0},
    ],
)
def test_dbscan_parameters_validated(kwargs):
    with pytest.raises(ParameterError):
        dbscan_hotspots(_pts(np.array([[1.0, 1.0]])), **kwargs)


def test_hdbscan_parameters_validated():
    with pytest.raises(ParameterError):
        hdbscan_hotspots(_pts(np.array([[1.0, 1.0]])), min_cluster_size=1)
    with pytest.raises(ParameterError):
        hdbscan_hotspots(_pts(np.array([[1.0, 1.0]])), cluster_selection_method="x")


def test_null_geometry_and_empty():
    pts = _pts(np.array([[1.0, 1.0]] * 12))
    pts.loc[len(pts)] = [None]
    out = dbscan_hotspots(pts, eps=10, min_samples=5)
    assert out["n_events"].tolist() == [12]
    assert out.attrs["csmap_params"]["n_null_geometry"] == 1
    assert out.attrs["csmap_params"]["n_noise_events"] == 0
    empty = dbscan_hotspots(_pts(np.zeros((0, 2))), eps=10, min_samples=5)
    assert len(empty) == 0
    assert len(hdbscan_hotspots(_pts(np.zeros((0, 2))), min_cluster_size=5)) == 0


def test_translation_invariance():
    xy = _blobs(3)
    a = dbscan_hotspots(_pts(xy), eps=120, min_samples=15)
    b = dbscan_hotspots(_pts(xy + [400000.0, 300000.0]), eps=120, min_samples=15)
    assert sorted(a["n_events"]) == sorted(b["n_events"])
    assert np.allclose(sorted(a["area_m2"]), sorted(b["area_m2"]), rtol=1e-6)


def _site_labels(out: gpd.GeoDataFrame, sites: np.ndarray) -> np.ndarray:
    """Cluster of each site (first polygon containing it), -1 for none."""
    lab = np.full(len(sites), -1)
    pts = shapely.points(sites)
    for i, poly in enumerate(out.geometry):
        lab[shapely.contains(poly, pts) & (lab < 0)] = i
    return lab


def test_hdbscan_keeps_stacked_sites_and_agrees_with_hdbscan_in_event_order():
    """Every site stacking >= min_cluster_size events is clustered (an earlier capped wrapper
    lost most of them: 34 clusters instead of about 214); hdbscan on the events in their own
    order agrees up to its tie-order dependence."""
    import hdbscan
    from sklearn.metrics import adjusted_rand_score

    xy = stacked_events()
    out = hdbscan_hotspots(_pts(xy), min_cluster_size=30, min_samples=5)
    loc, counts, inv = unique_locations(xy)
    lab = _site_labels(out, loc)
    assert (lab[counts >= 30] >= 0).all()
    assert len(out) > 150
    full = hdbscan.HDBSCAN(
        min_cluster_size=30,
        min_samples=5,
        algorithm="boruvka_kdtree",
        approx_min_span_tree=False,
        core_dist_n_jobs=1,
    ).fit_predict(xy)
    assert abs(len(out) - len(np.unique(full[full >= 0]))) <= 0.02 * len(out)
    assert adjusted_rand_score(full, lab[inv]) > 0.98
