"""Repeat locations (events at the same place) and how concentrated events are across places.

Repeat locations: events are first rounded to ``snap`` metres (default 1) to unique locations,
then locations within ``radius`` metres (default 10) of each other are joined, transitively
(connected components, computed as :class:`sklearn.cluster.DBSCAN` with ``min_samples=1``), so a
row of points each 8 m apart becomes one place. Each place gets ``n_events``, ``n_children``
(distinct ``child_ref``), ``first_date``/``last_date``, ``date_span_days``, ``top_categories``,
``n_locations`` and its event-weighted centre (``easting``, ``northing``).
:func:`repeat_hotspots` returns the places with at least ``min_events`` events (default 2) as
**small polygons**: the convex hull of the place's locations buffered by ``radius`` metres (a
circle of that radius for a single location), label ``cluster``, ``statistic`` = events.

Concentration: :func:`lorenz_curve`, :func:`gini` and :func:`top_share` summarise how unevenly
events fall across places (all places, single-event ones included).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from analysis.hotspots.clustering.clusters import (
    check_count,
    check_positive,
    cluster_polygons,
    group_summary,
    unique_locations,
)
from analysis.hotspots.density.kernel_density import points_xy
from analysis.hotspots.result import finalise
from analysis.inference import CLUSTER
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG


def _counts(counts: ArrayLike) -> NDArray[np.float64]:
    c = np.asarray(counts, dtype=float).ravel()
    if c.size == 0 or not np.isfinite(c).all() or (c < 0).any():
        raise ParameterError("counts must be a non-empty array of non-negative numbers")
    if c.sum() <= 0:
        raise ParameterError("counts must not all be zero")
    return c


def lorenz_curve(counts: ArrayLike) -> pd.DataFrame:
    """Lorenz curve of events over locations (locations sorted from fewest to most events).

    Returns
    -------
    pandas.DataFrame
        ``share_locations`` and ``share_events``, from (0, 0) to (1, 1), one row per location
        plus the origin.

    Examples
    --------
    >>> lorenz_curve([3, 1]).round(3).values.tolist()
    [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    """
    c = np.sort(_counts(counts))
    n = len(c)
    return pd.DataFrame(
        {
            "share_locations": np.r_[0.0, np.arange(1, n + 1) / n],
            "share_events": np.r_[0.0, np.cumsum(c) / c.sum()],
        }
    )


def gini(counts: ArrayLike) -> float:
    """Gini coefficient of events over locations (0 = even, (n-1)/n = all in one place).

    ``G = 2 * sum(i * c_(i)) / (n * sum(c)) - (n + 1) / n`` with counts sorted ascending and
    ``i = 1..n`` (equal to one minus twice the area under the Lorenz curve).

    Examples
    --------
    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 1]), gini([1, 2, 3, 4])
    (0.0, 0.75, 0.25)
    """
    c = np.sort(_counts(counts))
    n = len(c)
    g = 2.0 * float((np.arange(1, n + 1) * c).sum()) / (n * float(c.sum())) - (n + 1) / n
    return round(g, 12)


def top_share(counts: ArrayLike, *, top: float = 0.1) -> float:
    """Share of events in the busiest ``top`` fraction of locations (at least one location).

    Examples
    --------
    >>> top_share([10, 5, 3, 1, 1], top=0.2)
    0.5
    """
    if not 0 < top <= 1:
        raise ParameterError(f"top must be a fraction in (0, 1], got {top!r}")
    c = np.sort(_counts(counts))[::-1]
    k = max(1, math.ceil(top * len(c) - 1e-9))
    return float(c[:k].sum() / c.sum())


def repeat_locations(
    points: gpd.GeoDataFrame, *, radius: float = 10.0, snap: float = 1.0
) -> gpd.GeoDataFrame:
    """Group events into places (within ``radius`` metres, transitively); one row per place.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Event points in EPSG:27700 (null geometries are skipped).
    radius : float
        Locations closer than this (metres) are one place (default 10).
    snap : float
        Rounding of coordinates before grouping (metres, default 1).

    Returns
    -------
    geopandas.GeoDataFrame
        Point geometry at each place's event-weighted centre, with ``n_events``, ``n_children``,
        ``first_date``, ``last_date``, ``date_span_days``, ``top_categories``, ``n_locations``,
        ``easting``, ``northing``; sorted by ``n_events`` descending (:func:`place_of_events`
        maps events to places).

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [5.0, 0.0], [12.0, 0.0], [100.0, 100.0]])
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> repeat_locations(pts, radius=10)["n_events"].tolist()
    [3, 1]
    """
    places, n_places = place_of_events(points, radius=radius, snap=snap)
    xy, _ = points_xy(points)
    frame = group_summary(points, places, n_groups=n_places)
    keep = places >= 0
    w = np.bincount(places[keep], minlength=n_places).astype(float)
    ex = np.bincount(places[keep], weights=xy[keep, 0], minlength=n_places) / np.maximum(w, 1)
    ny = np.bincount(places[keep], weights=xy[keep, 1], minlength=n_places) / np.maximum(w, 1)
    frame["easting"], frame["northing"] = ex, ny
    frame["date_span_days"] = (frame["last_date"] - frame["first_date"]).dt.days
    out = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(ex, ny), crs=BNG_EPSG)
    out.attrs = {}
    return out.sort_values("n_events", ascending=False, kind="stable").reset_index(drop=True)


def place_of_events(
    points: gpd.GeoDataFrame, *, radius: float = 10.0, snap: float = 1.0
) -> tuple[NDArray[np.int64], int]:
    """The place (0..n-1) of every event, -1 for null geometry; and the number of places.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.0, 3.0, 50.0], [0.0, 0.0, 0.0]),
    ...                        crs=27700)
    >>> labels, n = place_of_events(pts, radius=10)
    >>> labels.tolist(), n
    ([0, 0, 1], 2)
    """
    from sklearn.cluster import DBSCAN

    radius = check_positive("radius", radius)
    xy, ok = points_xy(points)
    locations, _counts_, inverse = unique_locations(xy[ok], snap=snap)
    places = np.full(len(points), -1, dtype=np.int64)
    if len(locations) == 0:
        return places, 0
    loc_place = DBSCAN(eps=radius, min_samples=1).fit(locations).labels_.astype(np.int64)
    # number places in order of first appearance, for stable output
    _, first = np.unique(loc_place, return_index=True)
    order = np.argsort(np.argsort(first))
    places[ok] = order[loc_place][inverse]
    return places, int(loc_place.max()) + 1


def repeat_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: shapely.Geometry | None = None,
    population: gpd.GeoDataFrame | None = None,
    radius: float = 10.0,
    min_events: int = 2,
    snap: float = 1.0,
    top: float = 0.1,
) -> gpd.GeoDataFrame:
    """Repeat locations: places with at least ``min_events`` events, as small polygons.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Event points in EPSG:27700, optionally with ``child_ref``, ``reported_date``, ``category``.
    study_area, population
        Accepted for the common signature; not used.
    radius : float
        Grouping distance in metres (default 10); also the polygons' buffer.
    min_events : int
        Smallest number of events that makes a repeat location (default 2).
    snap : float
        Coordinate rounding in metres before grouping (default 1).
    top : float
        The concentration summary in the parameters reports the share of events in this
        fraction of busiest places (default 0.1).

    Returns
    -------
    geopandas.GeoDataFrame
        Standard result, label ``cluster``, ``statistic`` = ``n_events``; the parameters include
        ``gini``, ``top_share`` and ``n_places`` over all places (single events included).

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [4.0, 0.0], [500.0, 0.0]])
    >>> pts = gpd.GeoDataFrame({"child_ref": ["a", "b", "a"]},
    ...     geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> out = repeat_hotspots(pts)
    >>> out[["n_events", "n_children"]].values.tolist(), out.attrs["csmap_params"]["gini"]
    ([[2, 2]], 0.166666666667)
    """
    radius = check_positive("radius", radius)
    min_events = check_count("min_events", min_events, minimum=1)
    places, n_places = place_of_events(points, radius=radius, snap=snap)
    xy, ok = points_xy(points)
    frame = group_summary(points, places, n_groups=n_places)
    counts = frame["n_events"].to_numpy()
    big = np.flatnonzero(counts >= min_events)
    remap = np.full(n_places + 1, -1, dtype=np.int64)
    remap[big] = np.arange(len(big))
    sel = remap[places]
    locations, _, inverse = unique_locations(xy[ok], snap=snap)
    loc_label = np.full(len(locations), -1, dtype=np.int64)
    loc_label[inverse] = sel[ok]
    geoms = cluster_polygons(locations, loc_label, n=len(big), buffer=radius)
    out_frame = frame.iloc[big].reset_index(drop=True)
    keep = sel >= 0
    w = out_frame["n_events"].to_numpy(dtype=float)
    out_frame["easting"] = np.bincount(sel[keep], weights=xy[keep, 0], minlength=len(big)) / w
    out_frame["northing"] = np.bincount(sel[keep], weights=xy[keep, 1], minlength=len(big)) / w
    out_frame["date_span_days"] = (out_frame["last_date"] - out_frame["first_date"]).dt.days
    out = gpd.GeoDataFrame(out_frame, geometry=list(geoms), crs=BNG_EPSG)
    out["statistic"] = out["n_events"].astype(float)
    out["label"] = CLUSTER
    out = out.sort_values("n_events", ascending=False, kind="stable").reset_index(drop=True)
    params: dict[str, Any] = {
        "radius": radius,
        "min_events": min_events,
        "snap": float(snap),
        "grouping": "locations within radius joined transitively (DBSCAN min_samples=1)",
        "geometry": "convex hull of the place's locations buffered by radius",
        "n_points": int(ok.sum()),
        "n_places": n_places,
        "n_repeat_places": len(big),
        "events_at_repeat_places": int(w.sum()),
        "n_null_geometry": int((~ok).sum()),
        "adjustment": "none",
        "significance": "not applicable (descriptive)",
    }
    if n_places:
        params["gini"] = gini(counts)
        params["top"] = top
        params["top_share"] = top_share(counts, top=top)
    return finalise(out, method="repeat", params=params)
