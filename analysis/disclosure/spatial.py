"""Spatial parts of disclosure control: distinct children per hotspot, donut displacement.

Re-exported by :mod:`analysis.disclosure.control` (use that module); see its notes for the policy.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import ParameterError

#: THE pattern of column names that would reveal an original location (also with a
#: ``last_seen_`` / ``found_`` prefix), case-insensitive. Used wherever such columns are removed:
#: :func:`displace_points` and the export policy (:mod:`app.access.policy`). One pattern, not two.
LOCATION_COLUMNS = re.compile(
    r"^(?:last_seen_|found_)?(?:easting|northing|latitude|longitude|lat|lon|lng|x|y|grid_ref|"
    r"postcode|uprn|address|place_name|location_flags|location_precision|location_error)$",
    re.IGNORECASE,
)

__all__ = ["LOCATION_COLUMNS", "count_children", "displace_points", "filter_min_children"]


def count_children(
    hotspots: gpd.GeoDataFrame,
    events: gpd.GeoDataFrame,
    *,
    child_col: str = "child_ref",
    buffer_m: float = 0.0,
    count_unknown: bool = False,
) -> pd.Series:
    """Count distinct children among the events inside each hotspot.

    Parameters
    ----------
    hotspots : GeoDataFrame
        Hotspot polygons (or points with ``buffer_m`` > 0), same CRS as ``events``.
    events : GeoDataFrame
        Event points with a ``child_col`` column.
    child_col : str, default "child_ref"
        Pseudonymous child identifier.
    buffer_m : float, default 0
        Buffer hotspot geometries by this many metres before counting (for point hotspots).
    count_unknown : bool, default False
        Count each event without a child reference as a distinct child. The default does not
        count them (conservative: fewer children means more is withheld).

    Returns
    -------
    pandas.Series
        ``n_children`` per hotspot, index kept.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> spots = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(20, 20, 30, 30)], crs=27700)
    >>> ev = gpd.GeoDataFrame({"child_ref": ["A", "A", "B", None]},
    ...     geometry=[Point(1, 1), Point(2, 2), Point(3, 3), Point(4, 4)], crs=27700)
    >>> count_children(spots, ev).tolist()
    [2, 0]
    """
    if child_col not in events.columns:
        raise ParameterError(f"events have no {child_col!r} column to count children")
    if hotspots.crs != events.crs:
        raise ParameterError(f"hotspots CRS {hotspots.crs} differs from events CRS {events.crs}")
    areas = hotspots.geometry.buffer(buffer_m) if buffer_m > 0 else hotspots.geometry
    pts = events[events.geometry.notna() & ~events.geometry.is_empty]
    tree = shapely.STRtree(np.asarray(areas.values))
    ev_idx, spot_pos = tree.query(np.asarray(pts.geometry.values), predicate="within")
    refs = pts[child_col].to_numpy(dtype=object)[ev_idx]
    pairs = pd.DataFrame({"spot": spot_pos, "child": refs})
    known = pairs["child"].notna() & (pairs["child"].astype(str).str.strip() != "")
    counts = pairs[known].groupby("spot")["child"].nunique()
    if count_unknown:
        counts = counts.add(pairs[~known].groupby("spot").size(), fill_value=0)
    out = np.zeros(len(hotspots), dtype=np.int64)
    out[counts.index.to_numpy(dtype=np.int64)] = counts.to_numpy(dtype=np.int64)
    return pd.Series(out, index=hotspots.index, name="n_children")


def filter_min_children(
    hotspots: gpd.GeoDataFrame,
    events: gpd.GeoDataFrame | None = None,
    *,
    min_children: int = 5,
    n_children_col: str = "n_children",
    child_col: str = "child_ref",
    buffer_m: float = 0.0,
    count_unknown: bool = False,
) -> gpd.GeoDataFrame:
    """Keep only hotspots with at least ``min_children`` distinct children.

    Uses the ``n_children_col`` column when ``events`` is not given, else counts with
    :func:`count_children`.

    Parameters
    ----------
    hotspots : GeoDataFrame
        Hotspots (any columns; index kept).
    events : GeoDataFrame, optional
        Event points with child references.
    min_children : int, default 5
        Minimum distinct children.
    n_children_col, child_col, buffer_m, count_unknown
        See :func:`count_children`.

    Returns
    -------
    GeoDataFrame
        The hotspots that may be shown (same columns, index kept).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> spots = gpd.GeoDataFrame({"n_children": [2, 7]}, geometry=[box(0, 0, 1, 1)] * 2)
    >>> filter_min_children(spots, min_children=5).index.tolist()
    [1]
    """
    if min_children < 1:
        raise ParameterError(f"min_children must be at least 1, not {min_children!r}")
    if events is not None:
        n = count_children(
            hotspots, events, child_col=child_col, buffer_m=buffer_m, count_unknown=count_unknown
        )
    elif n_children_col in hotspots.columns:
        n = pd.to_numeric(hotspots[n_children_col], errors="coerce").fillna(0)
    else:
        raise ParameterError(
            f"give events with {child_col!r} or a {n_children_col!r} column to count children"
        )
    return hotspots[n.to_numpy() >= min_children]


def displace_points(
    points: gpd.GeoDataFrame,
    *,
    min_m: float,
    max_m: float,
    seed: int | None = None,
    within: BaseGeometry | None = None,
    max_tries: int = 100,
) -> gpd.GeoDataFrame:
    """Donut geomasking: move each point a random distance in ``[min_m, max_m]``.

    Directions are uniform and distances are drawn uniform over the annulus *area*
    (``r = sqrt(U (max^2 - min^2) + min^2)``). Columns that would reveal the original location
    (:data:`analysis.disclosure.control.LOCATION_COLUMNS`: easting/northing, latitude/longitude,
    grid
    reference, postcode, UPRN, address, place name, also with ``last_seen_``/``found_``
    prefixes) are dropped; ``easting``/``northing`` and
    ``latitude``/``longitude`` are recomputed from the displaced point. Null geometries stay null.

    Parameters
    ----------
    points : GeoDataFrame
        Points in a projected CRS in metres (EPSG:27700).
    min_m, max_m : float
        Displacement range in metres, ``0 <= min_m <= max_m``, ``max_m > 0``.
    seed : int, optional
        Seed of the random generator. Keep it secret: with it, displacement can be undone.
        ``None`` draws fresh entropy from the operating system.
    within : shapely geometry, optional
        Redraw points that land outside it (e.g. the study area), up to ``max_tries`` times;
        a point still outside after that keeps its last draw (still within the distance range).
    max_tries : int, default 100
        Redraws for ``within``.

    Returns
    -------
    GeoDataFrame
        Displaced points, index kept; ``attrs["csmap_displacement"]`` records the range.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(400000, 400000)] * 2, crs=27700)
    >>> moved = displace_points(pts, min_m=50, max_m=200, seed=1)
    >>> d = moved.distance(pts)
    >>> bool(((d >= 50) & (d <= 200)).all()), moved.index.tolist()
    (True, [0, 1])
    """
    if not (np.isfinite(min_m) and np.isfinite(max_m)) or not 0 <= min_m <= max_m or max_m <= 0:
        raise ParameterError(f"need 0 <= min_m <= max_m and max_m > 0, got {min_m}, {max_m}")
    if points.crs is not None and not points.crs.is_projected:
        raise ParameterError(f"displace_points needs a projected CRS in metres, not {points.crs}")
    geoms = points.geometry
    present = geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy()
    kinds = set(geoms[present].geom_type)
    if kinds - {"Point"}:
        raise ParameterError(f"displace_points needs points, got {sorted(kinds)}")
    rng = np.random.default_rng(seed)
    n = int(present.sum())
    x0 = np.asarray(geoms[present].x, dtype=float)
    y0 = np.asarray(geoms[present].y, dtype=float)

    def draw(k: int) -> tuple[np.ndarray, np.ndarray]:
        radius = np.sqrt(rng.uniform(0.0, 1.0, k) * (max_m**2 - min_m**2) + min_m**2)
        angle = rng.uniform(0.0, 2.0 * np.pi, k)
        return radius * np.cos(angle), radius * np.sin(angle)

    dx, dy = draw(n)
    x, y = x0 + dx, y0 + dy
    if within is not None and n:
        shapely.prepare(within)
        for _ in range(max_tries):
            outside = ~shapely.contains_xy(within, x, y)
            if not outside.any():
                break
            ddx, ddy = draw(int(outside.sum()))
            x[outside], y[outside] = x0[outside] + ddx, y0[outside] + ddy
    drop = [
        c for c in points.columns if c != points.geometry.name and LOCATION_COLUMNS.match(str(c))
    ]
    out = points.drop(columns=drop).copy()
    new_geom = np.full(len(points), None, dtype=object)
    new_geom[present] = shapely.points(x, y)
    out = out.set_geometry(gpd.GeoSeries(new_geom, index=points.index, crs=points.crs))
    easting = np.full(len(points), np.nan)
    northing = np.full(len(points), np.nan)
    easting[present], northing[present] = x, y
    out["easting"], out["northing"] = easting, northing
    if points.crs is not None and points.crs.to_epsg() == 27700:
        from geo.locate.coords import bng_to_wgs84

        lon, lat = bng_to_wgs84(easting, northing)
        out["latitude"], out["longitude"] = lat, lon
    out.attrs = {
        **points.attrs,
        "csmap_displacement": {"min_m": float(min_m), "max_m": float(max_m)},
    }
    return out
