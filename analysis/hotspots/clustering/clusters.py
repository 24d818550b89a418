"""Density-based clusters of events: DBSCAN and HDBSCAN on weighted unique locations.

Events often share a location (police data sit on snap points; repeat addresses), so both methods
work on **unique locations** (coordinates rounded to ``snap`` metres, default 1 m) weighted by
their event counts:

* **DBSCAN** wraps :class:`sklearn.cluster.DBSCAN` with ``sample_weight`` = events per location,
  so ``min_samples`` counts **events** (a location with ``min_samples`` events is a core point by
  itself), exactly as DBSCAN on every event would.
* **HDBSCAN** is HDBSCAN on every event computed from the weighted unique locations with
  ``fast_hdbscan``'s kernels (:mod:`analysis.hotspots.clustering.weighted_hdbscan`): core distances
  count
  events
  (``min_samples`` other events, the ``hdbscan`` package's convention), the minimum spanning
  tree is built over the unique locations only, and the condensed tree, cluster sizes and
  stabilities count events. It is exact, not an approximation, at every size (the tests compare
  it with the ``hdbscan`` package and ``fast_hdbscan`` on every event: identical minimum
  spanning trees; labels differ only where distances tie, as between two input orders of the
  same events with either library). ``fast_hdbscan``'s own ``sample_weight`` is not used (it is
  not HDBSCAN on the events; see :mod:`analysis.hotspots.clustering.weighted_hdbscan`). Measured on
  the
  benchmark's 1 M events (49,882 locations, ``min_cluster_size=50, min_samples=5``): see
  ``benchmarks/RESULTS.md``. numba's compiled kernels are cached on disk outside the
  repository (first process on a machine: tens of seconds of compilation).

  ``min_cluster_size`` is applied in **events** (a no-op check after labelling, kept as a guard).

Each cluster becomes the convex hull of its locations buffered by ``buffer`` metres (default 25)
with ``n_events``, ``n_locations``, ``n_children`` (distinct ``child_ref`` when the points carry
it), ``first_date`` / ``last_date`` (``reported_date``), ``top_categories`` (``category``) and
``statistic`` = events per km² of the polygon. Noise events are not returned but counted in the
parameters. Clusters are descriptive: ``z``/``p_value``/``q_value`` are NaN.
"""

from __future__ import annotations

import math
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from analysis.hotspots.density.kernel_density import points_xy
from analysis.hotspots.result import finalise
from analysis.inference import CLUSTER
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

TOP_CATEGORIES: Final[int] = 3


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(out) or out < 0 or (out == 0 and not allow_zero):
        raise ParameterError(f"{name} must be a positive number, got {value!r}")
    return out


def check_count(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def unique_locations(
    xy: NDArray[np.float64], *, snap: float = 1.0
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.intp]]:
    """Unique locations of points rounded to ``snap`` metres.

    Returns
    -------
    locations : ndarray, shape (m, 2)
        Snapped coordinates of each unique location.
    counts : ndarray, shape (m,)
        Events per location.
    inverse : ndarray, shape (n,)
        Location of each input point.

    Examples
    --------
    >>> loc, counts, inv = unique_locations(np.array([[0.2, 0.0], [0.0, 0.4], [5.0, 5.0]]))
    >>> loc.tolist(), counts.tolist(), inv.tolist()
    ([[0.0, 0.0], [5.0, 5.0]], [2, 1], [0, 0, 1])
    """
    snap = check_positive("snap", snap)
    grid = np.rint(np.asarray(xy, dtype=float) / snap).astype(np.int64)
    if len(grid) == 0:
        return np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, np.intp)
    gx = grid[:, 0] - grid[:, 0].min()
    span = int(grid[:, 1].max() - grid[:, 1].min()) + 1
    key = gx * span + (grid[:, 1] - grid[:, 1].min())
    ukey, first, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    return grid[first].astype(float) * snap, counts.astype(np.int64), inverse.astype(np.intp)


def group_summary(
    points: pd.DataFrame, groups: NDArray[np.int64], *, n_groups: int
) -> pd.DataFrame:
    """Per-group ``n_events``, ``n_children``, ``first_date``, ``last_date``, ``top_categories``.

    ``groups`` gives each row of ``points`` a group 0..n_groups-1, or -1 (ignored).
    ``n_children`` is NA when the points have no ``child_ref`` column (dates and categories
    likewise without ``reported_date`` / ``category``).

    Examples
    --------
    >>> df = pd.DataFrame({"child_ref": ["a", "a", "b"], "category": ["CSE", "CCE", "CSE"]})
    >>> s = group_summary(df, np.array([0, 0, 0]), n_groups=1)
    >>> int(s.loc[0, "n_events"]), int(s.loc[0, "n_children"]), s.loc[0, "top_categories"]
    (3, 2, 'CSE (2); CCE (1)')
    """
    keep = groups >= 0
    g = pd.Series(groups[keep])
    out = pd.DataFrame(index=pd.RangeIndex(n_groups))
    out["n_events"] = np.bincount(groups[keep], minlength=n_groups).astype(np.int64)
    if "child_ref" in points:
        ref = pd.Series(points["child_ref"].to_numpy()[keep])
        out["n_children"] = ref.groupby(g).nunique().reindex(out.index, fill_value=0).astype(int)
    else:
        out["n_children"] = pd.array([pd.NA] * n_groups, dtype="Int64")
    if "reported_date" in points:
        dates = pd.Series(pd.to_datetime(points["reported_date"].to_numpy()[keep]))
        out["first_date"] = dates.groupby(g).min().reindex(out.index)
        out["last_date"] = dates.groupby(g).max().reindex(out.index)
    else:
        out["first_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        out["last_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if "category" in points:
        cat = pd.Series(points["category"].to_numpy()[keep]).astype(object)
        tally = pd.DataFrame({"g": g, "c": cat}).dropna().value_counts(sort=True)
        text: dict[int, list[str]] = {}
        key: Any
        for key, n in tally.items():
            grp, name = key
            parts = text.setdefault(int(grp), [])
            if len(parts) < TOP_CATEGORIES:
                parts.append(f"{name} ({n})")
        out["top_categories"] = ["; ".join(text.get(i, [])) for i in range(n_groups)]
    else:
        out["top_categories"] = ""
    return out


def cluster_polygons(
    locations: NDArray[np.float64], labels: NDArray[np.int64], *, n: int, buffer: float
) -> NDArray[np.object_]:
    """Convex hull of each label's locations (0..n-1) buffered by ``buffer`` metres.

    Examples
    --------
    >>> polys = cluster_polygons(np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]),
    ...                          np.array([0, 0, 0]), n=1, buffer=0.0)
    >>> float(polys[0].area)
    50.0
    """
    keep = labels >= 0
    if n == 0:
        return np.empty(0, dtype=object)
    lab = labels[keep]
    order = np.argsort(lab, kind="stable")
    mp = shapely.multipoints(locations[keep][order], indices=lab[order])
    hulls = shapely.convex_hull(mp)
    return np.asarray(shapely.buffer(hulls, buffer) if buffer > 0 else hulls, dtype=object)


def _clusters_frame(
    points: gpd.GeoDataFrame,
    ok: NDArray[np.bool_],
    locations: NDArray[np.float64],
    labels_ok: NDArray[np.int64],
    inverse: NDArray[np.intp],
    *,
    buffer: float,
    min_events: int,
) -> tuple[gpd.GeoDataFrame, int]:
    """Build the cluster table from the label of each located event (``labels_ok``, -1 noise).

    Clusters with fewer than ``min_events`` events become noise. A cluster's polygon is the hull
    of the locations of its events (events of one location may sit in different clusters when
    HDBSCAN labels every event).
    """
    event_label = np.full(len(points), -1, dtype=np.int64)
    event_label[ok] = labels_ok
    n_raw = int(event_label.max()) + 1 if len(event_label) and event_label.max() >= 0 else 0
    sizes = np.bincount(event_label[event_label >= 0], minlength=n_raw)
    keep = np.flatnonzero(sizes >= min_events)
    remap = np.full(n_raw + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    event_label = remap[event_label]  # -1 stays -1 via remap[-1] == -1
    n = len(keep)
    frame = group_summary(points, event_label, n_groups=n)
    lab_ok = event_label[ok]
    sel = lab_ok >= 0
    pairs = np.unique(np.c_[lab_ok[sel], inverse[sel]], axis=0).reshape(-1, 2)
    frame["n_locations"] = np.bincount(pairs[:, 0], minlength=n).astype(np.int64)
    geoms = cluster_polygons(locations[pairs[:, 1]], pairs[:, 0], n=n, buffer=buffer)
    out = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=BNG_EPSG)
    area = out.geometry.area.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["statistic"] = out["n_events"] / (area / 1e6)
    out["label"] = CLUSTER
    n_noise = int((event_label < 0).sum() - (~ok).sum())
    return out, n_noise


def _prepare(points: gpd.GeoDataFrame, snap: float) -> tuple[Any, ...]:
    xy, ok = points_xy(points)
    locations, counts, inverse = unique_locations(xy[ok], snap=snap)
    return xy, ok, locations, counts, inverse


def dbscan_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: shapely.Geometry | None = None,
    population: gpd.GeoDataFrame | None = None,
    eps: float = 100.0,
    min_samples: int = 10,
    buffer: float = 25.0,
    snap: float = 1.0,
    n_jobs: int | None = None,
) -> gpd.GeoDataFrame:
    """DBSCAN clusters of events (``eps`` metres, ``min_samples`` events).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Event points in EPSG:27700, optionally with ``child_ref``, ``reported_date``, ``category``.
    study_area, population
        Accepted for the common signature; clusters are count-based and not clipped.
    eps : float
        Neighbourhood radius in metres (default 100).
    min_samples : int
        Events (not locations) within ``eps`` that make a core point (default 10).
    buffer : float
        Metres added around each cluster's convex hull (default 25).
    snap : float
        Locations closer than this (rounded to this grid, metres) count as one (default 1).
    n_jobs : int, optional
        Passed to scikit-learn.

    Returns
    -------
    geopandas.GeoDataFrame
        Standard result, one row per cluster, label ``cluster`` (see the module notes).

    Examples
    --------
    >>> xy = np.r_[np.full((12, 2), 100.0), [[5000.0, 5000.0]]]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> out = dbscan_hotspots(pts, eps=50, min_samples=10)
    >>> out["n_events"].tolist(), out.attrs["csmap_params"]["n_noise_events"]
    ([12], 1)
    """
    from sklearn.cluster import DBSCAN

    eps = check_positive("eps", eps)
    min_samples = check_count("min_samples", min_samples, minimum=1)
    buffer = check_positive("buffer", buffer, allow_zero=True)
    xy, ok, locations, counts, inverse = _prepare(points, snap)
    if len(locations):
        model = DBSCAN(eps=eps, min_samples=min_samples, n_jobs=n_jobs)
        loc_label = model.fit(locations, sample_weight=counts).labels_.astype(np.int64)
    else:
        loc_label = np.zeros(0, dtype=np.int64)
    out, n_noise = _clusters_frame(
        points, ok, locations, loc_label[inverse], inverse, buffer=buffer, min_events=1
    )
    params = {
        "eps": eps,
        "min_samples": min_samples,
        "min_samples_unit": "events (sample_weight = events per unique location)",
        "buffer": buffer,
        "snap": float(snap),
        "n_points": int(ok.sum()),
        "n_unique_locations": len(locations),
        "n_noise_events": n_noise,
        "n_null_geometry": int((~ok).sum()),
        "adjustment": "none",
        "significance": "not applicable (density-based clustering)",
    }
    return finalise(out, method="dbscan", params=params)


def hdbscan_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: shapely.Geometry | None = None,
    population: gpd.GeoDataFrame | None = None,
    min_cluster_size: int = 20,
    min_samples: int | None = None,
    buffer: float = 25.0,
    snap: float = 1.0,
    cluster_selection_method: str = "eom",
    reproducible: bool = False,
) -> gpd.GeoDataFrame:
    """HDBSCAN clusters of every event, computed on weighted unique locations (module notes).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Event points in EPSG:27700.
    study_area, population
        Accepted for the common signature; not used.
    min_cluster_size : int
        Smallest cluster, in events (default 20).
    min_samples : int, optional
        Density smoothing, in events: an event's core distance is the distance to its
        ``min_samples``-th nearest other event (default ``min_cluster_size``).
    buffer, snap
        As :func:`dbscan_hotspots`.
    cluster_selection_method : {"eom", "leaf"}
    reproducible : bool
        Use ``fast_hdbscan``'s block-wise (thread-timing independent) Boruvka query: the
        same labels on every run even where distances tie, at 2-5x the tree time (default
        False: where distances tie, labels can change between runs).

    Returns
    -------
    geopandas.GeoDataFrame
        Standard result, one row per cluster, label ``cluster``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.r_[rng.normal(0, 20, (60, 2)), rng.normal(3000, 20, (60, 2)),
    ...            rng.uniform(-5000, 8000, (60, 2))]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> out = hdbscan_hotspots(pts, min_cluster_size=20)
    >>> len(out), bool(out["n_events"].min() >= 50), out.attrs["csmap_params"]["library"]
    (2, True, 'fast_hdbscan')
    """
    from analysis.hotspots.clustering.weighted_hdbscan import LIBRARY, weighted_hdbscan

    mcs = check_count("min_cluster_size", min_cluster_size, minimum=2)
    ms = mcs if min_samples is None else check_count("min_samples", min_samples, minimum=1)
    buffer = check_positive("buffer", buffer, allow_zero=True)
    if cluster_selection_method not in ("eom", "leaf"):
        raise ParameterError("cluster_selection_method must be 'eom' or 'leaf'")
    xy, ok, locations, counts, inverse = _prepare(points, snap)
    n_events = int(counts.sum())
    labels_ok = np.full(len(inverse), -1, dtype=np.int64)
    if n_events > max(mcs, ms):
        by_location = weighted_hdbscan(
            locations,
            counts,
            min_cluster_size=mcs,
            min_samples=ms,
            cluster_selection_method=cluster_selection_method,
            reproducible=bool(reproducible),
        )
        # events numbered location by location: the k-th event of a location gets its k-th label
        labels_ok[np.argsort(inverse, kind="stable")] = by_location
    out, n_noise = _clusters_frame(
        points, ok, locations, labels_ok, inverse, buffer=buffer, min_events=mcs
    )
    params: dict[str, Any] = {
        "min_cluster_size": mcs,
        "min_samples": ms,
        "min_samples_unit": "events (distance to the min_samples-th nearest other event)",
        "library": LIBRARY,
        "weights": (
            "unique locations weighted by their event counts; exact HDBSCAN of every event "
            "(minimum spanning tree over the locations, condensed tree over the events)"
        ),
        "cluster_selection_method": cluster_selection_method,
        "algorithm": "Boruvka k-d tree minimum spanning tree (exact), fast_hdbscan kernels",
        "reproducible": bool(reproducible),
        "buffer": buffer,
        "snap": float(snap),
        "n_points": int(ok.sum()),
        "n_unique_locations": len(locations),
        "n_noise_events": n_noise,
        "n_null_geometry": int((~ok).sum()),
        "adjustment": "none",
        "significance": "not applicable (density-based clustering)",
    }
    return finalise(out, method="hdbscan", params=params)
