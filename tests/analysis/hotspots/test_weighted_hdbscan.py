"""Exact HDBSCAN of every event from weighted unique locations
(analysis.hotspots.clustering.weighted_hdbscan).

References: the ``hdbscan`` package and ``fast_hdbscan`` run on every event (duplicates
expanded), and brute-force core distances from scikit-learn's NearestNeighbors.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

from analysis.hotspots.clustering.clusters import hdbscan_hotspots, unique_locations
from analysis.hotspots.clustering.weighted_hdbscan import (
    event_mst,
    location_mst,
    numba_cache_dir,
    weighted_hdbscan,
)
from tests.analysis._events import stacked_events

hdbscan = pytest.importorskip("hdbscan")
fast_hdbscan = pytest.importorskip("fast_hdbscan")

ROOT = Path(__file__).resolve().parents[3]


def _pts(xy: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def _two_blobs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blob A: 8 sites on a 10 m grid, 5 events each; blob B: 6 sites, 4 events each; 12 lone
    events on a 15 km ring (every one farther from everything than A is from B)."""
    a = np.array([[1000.0 + 10 * i, 1000.0 + 10 * j] for i in range(4) for j in range(2)])
    b = np.array([[4000.0 + 10 * i, 2000.0 + 10 * j] for i in range(3) for j in range(2)])
    ang = np.arange(12) * 2 * np.pi / 12
    noise = np.round(np.c_[2500 + 15_000 * np.cos(ang), 1500 + 15_000 * np.sin(ang)])
    sites = np.r_[a, b, noise]
    counts = np.r_[np.full(8, 5), np.full(6, 4), np.ones(12, int)]
    return sites, counts, np.repeat(sites, counts, axis=0)


def _summary(labels: np.ndarray, site_of_event: np.ndarray) -> list[tuple[int, int]]:
    """Sorted (events, locations) of each cluster."""
    return sorted(
        (int((labels == k).sum()), len(np.unique(site_of_event[labels == k])))
        for k in np.unique(labels[labels >= 0])
    )


def _expanded_refs(xy, *, mcs, ms, method="eom"):
    """hdbscan and fast_hdbscan on every event (grouped by location), labels in input order."""
    loc, counts, inv = unique_locations(xy)
    order = np.argsort(inv, kind="stable")
    h = hdbscan.HDBSCAN(
        min_cluster_size=mcs,
        min_samples=ms,
        cluster_selection_method=method,
        algorithm="boruvka_kdtree",
        approx_min_span_tree=False,
        core_dist_n_jobs=1,
        gen_min_span_tree=True,
    ).fit(xy[order])
    f = fast_hdbscan.HDBSCAN(
        min_cluster_size=mcs, min_samples=ms, cluster_selection_method=method
    ).fit(xy[order])
    ref_h, ref_f = np.empty(len(xy), np.int64), np.empty(len(xy), np.int64)
    ref_h[order], ref_f[order] = h.labels_, f.labels_
    return ref_h, ref_f, h.minimum_spanning_tree_.to_numpy()[:, 2], f._min_spanning_tree[:, 2]


def test_two_blobs_by_hand_and_against_every_event():
    sites, counts, xy = _two_blobs()
    out = hdbscan_hotspots(_pts(xy), min_cluster_size=15, min_samples=4)
    # by hand: A (40 events, 8 sites) and B (24 events, 6 sites); the 12 lone events are noise
    got = sorted(zip(out["n_events"].tolist(), out["n_locations"].tolist(), strict=True))
    assert got == [(24, 6), (40, 8)]
    assert out.attrs["csmap_params"]["n_noise_events"] == 12
    assert out.attrs["csmap_params"]["n_unique_locations"] == 26
    ref_h, ref_f, _, _ = _expanded_refs(xy, mcs=15, ms=4)
    inv = unique_locations(xy)[2]
    assert _summary(ref_h, inv) == got
    assert _summary(ref_f, inv) == got


def test_core_distances_count_other_events_like_hdbscan():
    # min_samples=4 needs 4 *other* events: A's sites (5 events) have core distance 0,
    # B's (4 events) the 10 m to the next site; a lone event the distance to blob or ring
    sites, counts, xy = _two_blobs()
    _, core = location_mst(sites, counts, min_samples=4)
    assert np.all(core[:8] == 0)
    assert np.allclose(core[8:14], 10.0)
    _, core5 = location_mst(sites, counts, min_samples=5)
    assert np.allclose(core5[:8], 10.0)  # 5 events are no longer enough on their own


@pytest.mark.parametrize("ms", [1, 3, 7, 25])
def test_weighted_core_distances_equal_brute_force_on_every_event(ms):
    # heavy sites next to light ones force the widening pass (few neighbours queried first)
    rng = np.random.default_rng(ms)
    sites = rng.uniform(0, 2000, (150, 2)).round()
    counts = np.where(rng.random(150) < 0.2, rng.integers(50, 400, 150), 1)
    sites, idx = np.unique(sites, axis=0, return_index=True)
    counts = counts[idx]
    xy = np.repeat(sites, counts, axis=0)
    # hdbscan's core distance: distance to the ms-th nearest other event
    dist, _ = NearestNeighbors(n_neighbors=ms + 1).fit(xy).kneighbors(sites)
    _, core = location_mst(sites, counts, min_samples=ms)
    np.testing.assert_allclose(core, dist[:, ms], rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize(("seed", "mcs", "ms"), [(12, 30, 5), (1, 50, 5), (2, 20, 20)])
def test_same_spanning_tree_and_clusters_as_every_event(seed, mcs, ms):
    """The event tree built from the locations has exactly the weights of hdbscan's and
    fast_hdbscan's minimum spanning trees of every event; the clusters differ only where
    distances tie (as hdbscan and fast_hdbscan differ from each other)."""
    xy = stacked_events(seed)
    loc, counts, inv = unique_locations(xy)
    edges, core = location_mst(loc, counts, min_samples=ms)
    weights = np.sort(event_mst(edges, core, counts)[:, 2])
    ref_h, ref_f, w_h, w_f = _expanded_refs(xy, mcs=mcs, ms=ms)
    np.testing.assert_allclose(weights, np.sort(w_h), atol=1e-3)
    np.testing.assert_allclose(weights, np.sort(w_f), atol=1e-3)
    out = hdbscan_hotspots(_pts(xy), min_cluster_size=mcs, min_samples=ms)
    order = np.argsort(inv, kind="stable")
    lab = np.empty(len(xy), np.int64)
    lab[order] = weighted_hdbscan(loc, counts, min_cluster_size=mcs, min_samples=ms)
    assert len(out) == len(np.unique(lab[lab >= 0]))
    n_ref = len(np.unique(ref_h[ref_h >= 0]))
    # measured: 212/212, 118/118, 264/260 clusters; ARI 0.992, 0.9998, 0.953 against hdbscan
    # (hdbscan against fast_hdbscan, both on every event: 0.992, 0.9998, 0.962)
    assert abs(len(out) - n_ref) <= 0.02 * n_ref
    assert adjusted_rand_score(ref_h, lab) >= (0.98 if ms < mcs else 0.94)
    assert ((ref_h < 0) == (lab < 0)).mean() >= 0.98
    assert out["n_events"].sum() + out.attrs["csmap_params"]["n_noise_events"] == len(xy)


def test_reproducible_mode_is_repeatable():
    xy = stacked_events(3, 5000)
    loc, counts, _ = unique_locations(xy)
    runs = [
        weighted_hdbscan(loc, counts, min_cluster_size=20, min_samples=5, reproducible=True)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    fast = weighted_hdbscan(loc, counts, min_cluster_size=20, min_samples=5)
    assert adjusted_rand_score(runs[0], fast) > 0.95


def test_single_location_and_too_few_events():
    one = weighted_hdbscan(
        np.array([[5.0, 5.0]]), np.array([40]), min_cluster_size=5, min_samples=5
    )
    assert one.tolist() == [-1] * 40  # a single cluster is not allowed (hdbscan's default)
    with pytest.raises(ValueError, match="min_samples"):
        weighted_hdbscan(np.array([[0.0, 0.0]]), np.array([3]), min_cluster_size=2, min_samples=3)


def test_numba_cache_outside_the_repository():
    import fast_hdbscan.boruvka as boruvka

    cache = Path(numba_cache_dir()).resolve()
    assert ROOT not in cache.parents and cache != ROOT
    locator = boruvka.boruvka_tree_query._cache._cache_path  # where numba writes this kernel
    assert Path(locator).resolve().is_relative_to(cache)
