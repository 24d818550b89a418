"""Venues near hotspots, concerns linked to venues, and the venue watchlist (disruption planning).

Distances are planar metres in EPSG:27700 (British National Grid), from a venue point to a
hotspot polygon (0 inside it) or to a concern point. **A distance equal to the radius counts**
(``distance <= radius``) everywhere in this module.

Linking a concern to a venue needs both:

1. the concern lies within ``radius`` metres of the venue (default 50 m); and
2. the concern's ``location_type`` agrees with the venue type *where it is known*: a null or
   empty ``location_type`` agrees with any venue; a known one must be in
   :data:`VENUE_LOCATION_TYPES` for the venue's type (e.g. a concern recorded at a ``park`` is
   not linked to a takeaway 30 m away; one recorded at ``takeaway/food`` is).

A concern near two venues of an agreeing type is linked to both (both are plausible places); the
watchlist counts it for each.

Watchlist windows: for ``months = m`` and a date ``as_of``, the current window is
``(as_of - m months, as_of]`` and the previous window ``(as_of - 2m months, as_of - m months]``;
``change_<m>m`` is current minus previous.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.inference import CLUSTER, HOT
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG, CATEGORIES

#: Venue type -> concern ``location_type`` values that agree with it.
VENUE_LOCATION_TYPES: Final[dict[str, frozenset[str]]] = {
    "licensed premises": frozenset({"licensed premises"}),
    "takeaway/food": frozenset({"takeaway/food"}),
    "taxi rank": frozenset({"transport hub", "street/public space"}),
    "transport hub": frozenset({"transport hub"}),
    "shopping centre": frozenset({"shop/shopping centre"}),
    "park/playground": frozenset({"park"}),
    "gambling": frozenset({"shop/shopping centre", "other"}),
    "community centre": frozenset({"other"}),
    "school/college": frozenset({"school/college"}),
    "other": frozenset({"other"}),
    "hotel/guest house": frozenset({"hotel"}),
    "taxi/private hire": frozenset({"transport hub", "street/public space", "other"}),
    "children's home": frozenset({"residential"}),
}

#: Default distances (metres).
HOTSPOT_RADIUS: Final[float] = 250.0
LINK_RADIUS: Final[float] = 50.0
WINDOWS: Final[tuple[int, ...]] = (3, 6, 12)
#: Methods whose result is one row per grid cell (hot cells are merged into areas).
_GRID_METHODS: Final[frozenset[str]] = frozenset({"gi", "kde", "dual-kde"})


def _check_radius(radius: float, name: str = "radius") -> float:
    value = float(radius)
    if not np.isfinite(value) or value < 0:
        raise ParameterError(f"{name} must be a non-negative number of metres, got {radius!r}")
    return value


def _bng(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        return frame.set_crs(BNG_EPSG)
    if frame.crs.to_epsg() != BNG_EPSG:
        return frame.to_crs(BNG_EPSG)
    return frame


def pairs_within(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame, *, radius: float) -> pd.DataFrame:
    """All (left, right) pairs whose geometries are at most ``radius`` metres apart.

    Parameters
    ----------
    left, right : geopandas.GeoDataFrame
        EPSG:27700 geometries (null/empty geometries never pair).
    radius : float
        Metres; a pair exactly ``radius`` apart is included.

    Returns
    -------
    pandas.DataFrame
        ``left`` and ``right`` (index labels of the inputs) and ``distance_m``, sorted by
        ``left`` position then distance.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=27700, index=["a"])
    >>> b = gpd.GeoDataFrame(geometry=[Point(3, 4), Point(6, 8)], crs=27700, index=[7, 8])
    >>> pairs_within(a, b, radius=5).to_dict("list")
    {'left': ['a'], 'right': [7], 'distance_m': [5.0]}
    """
    r = _check_radius(radius)
    left, right = _bng(left), _bng(right)
    cols: dict[str, list[float]] = {"left": [], "right": [], "distance_m": []}
    if len(left) == 0 or len(right) == 0:
        return pd.DataFrame(cols)
    lg = left.geometry.to_numpy()
    rg = right.geometry.to_numpy()
    ok_l = ~(shapely.is_missing(lg) | shapely.is_empty(lg))
    ok_r = ~(shapely.is_missing(rg) | shapely.is_empty(rg))
    li = np.flatnonzero(ok_l)
    ri = np.flatnonzero(ok_r)
    if len(li) == 0 or len(ri) == 0:
        return pd.DataFrame(cols)
    tree = shapely.STRtree(rg[ri])
    # Query with a slightly larger distance, then apply the exact rule distance <= radius.
    qa, qb = tree.query(lg[li], predicate="dwithin", distance=r + 1e-6)
    a, b = li[qa], ri[qb]
    dist = shapely.distance(lg[a], rg[b])
    keep = dist <= r
    a, b, dist = a[keep], b[keep], dist[keep]
    order = np.lexsort((dist, a))
    return pd.DataFrame(
        {
            "left": left.index.to_numpy()[a[order]],
            "right": right.index.to_numpy()[b[order]],
            "distance_m": dist[order].astype(float),
        }
    )


def hotspot_areas(result: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Hotspots of a :func:`analysis.hotspots.registry.run` result, one row per hotspot area.

    Grid methods (``gi``, ``kde``, ``dual-kde``) return every cell: hot cells that touch are
    merged into one area (``n_events`` summed, ``z`` and ``rate_ratio`` the maximum, ``p_value``
    and ``q_value`` the minimum over its cells). Other methods' rows labelled ``hot`` or
    ``cluster`` are kept as they are.

    Returns
    -------
    geopandas.GeoDataFrame
        ``hotspot_id`` (1..n), ``method``, ``label``, ``n_cells``, ``n_events``, ``z``,
        ``p_value``, ``q_value``, ``rate_ratio``, ``area_m2``, geometry (EPSG:27700).

    Examples
    --------
    >>> import shapely
    >>> cells = gpd.GeoDataFrame({"method": "gi", "label": ["hot", "hot", "not significant"],
    ...     "n_events": [3, 4, 0], "z": [2.5, 3.1, 0.1], "p_value": [.01, .002, .9],
    ...     "q_value": [.02, .01, .9], "rate_ratio": [2., 3., 1.]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)],
    ...     crs=27700)
    >>> areas = hotspot_areas(cells)
    >>> areas[["hotspot_id", "n_cells", "n_events", "z"]].to_dict("records")
    [{'hotspot_id': 1, 'n_cells': 2, 'n_events': 7, 'z': 3.1}]
    """
    cols = [
        "hotspot_id",
        "method",
        "label",
        "n_cells",
        "n_events",
        "z",
        "p_value",
        "q_value",
        "rate_ratio",
        "area_m2",
    ]
    res = _bng(result)
    if len(res) == 0 or "label" not in res.columns:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=BNG_EPSG)
    method = str(res["method"].iloc[0]) if "method" in res.columns else ""
    for c in ("n_events", "z", "p_value", "q_value", "rate_ratio"):
        if c not in res.columns:
            res[c] = np.nan
    hot = res[res["label"].isin([HOT, CLUSTER])]
    if method in _GRID_METHODS and len(hot):
        merged = shapely.union_all(hot.geometry.to_numpy())
        parts = list(getattr(merged, "geoms", [merged]))
        parts_gs = gpd.GeoSeries(parts, crs=BNG_EPSG)
        cell_pts = hot.geometry.representative_point()
        owner = np.full(len(hot), -1)
        qa, qb = shapely.STRtree(parts).query(cell_pts.to_numpy(), predicate="intersects")
        owner[qa] = qb
        frame = pd.DataFrame(hot.drop(columns=hot.geometry.name)).assign(_part=owner)
        agg = frame.groupby("_part").agg(
            n_cells=("label", "size"),
            n_events=("n_events", "sum"),
            z=("z", "max"),
            p_value=("p_value", "min"),
            q_value=("q_value", "min"),
            rate_ratio=("rate_ratio", "max"),
        )
        out = gpd.GeoDataFrame(
            agg.reset_index(drop=True),
            geometry=parts_gs.iloc[agg.index.to_numpy()].to_numpy(),
            crs=BNG_EPSG,
        )
        out["label"] = HOT
    else:
        out = gpd.GeoDataFrame(hot.copy(), geometry=hot.geometry.name, crs=BNG_EPSG)
        out["n_cells"] = 1
    out["method"] = method
    out["area_m2"] = out.geometry.area
    out["n_events"] = pd.to_numeric(out["n_events"], errors="coerce").fillna(0).astype("int64")
    out = out.sort_values(["n_events", "z"], ascending=False, na_position="last")
    out = out.reset_index(drop=True)
    out["hotspot_id"] = np.arange(1, len(out) + 1)
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    return gpd.GeoDataFrame(out[[*cols, "geometry"]], geometry="geometry", crs=BNG_EPSG)


def rank_hotspots(
    areas: gpd.GeoDataFrame,
    events: gpd.GeoDataFrame,
    *,
    date_column: str = "reported_date",
) -> gpd.GeoDataFrame:
    """Rank hotspot areas by events, significance and recency.

    Each area gets ``last_event`` (latest ``date_column`` of the events inside it) and
    ``priority`` = the mean of its three ranks (by ``n_events`` descending, by ``z`` descending
    (missing ``z`` ranks last), by ``last_event`` most recent first); the areas are returned
    sorted by ``priority`` (1 = act first), ties broken by ``n_events``.

    Examples
    --------
    >>> import shapely
    >>> from shapely.geometry import Point
    >>> areas = gpd.GeoDataFrame({"hotspot_id": [1, 2], "n_events": [5, 5], "z": [3.0, 2.0]},
    ...     geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], crs=27700)
    >>> ev = gpd.GeoDataFrame({"reported_date": pd.to_datetime(["2024-01-01", "2024-06-01"])},
    ...     geometry=[Point(5, 5), Point(25, 5)], crs=27700)
    >>> rank_hotspots(areas, ev)[["hotspot_id", "priority"]].to_dict("list")
    {'hotspot_id': [1, 2], 'priority': [1, 2]}
    """
    out = _bng(areas).copy()
    if len(out) == 0:
        out["last_event"] = pd.Series([], dtype="datetime64[ms]")
        out["priority"] = pd.Series([], dtype="int64")
        return out
    last = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ms]")
    if len(events) and date_column in events.columns:
        pairs = pairs_within(out, _bng(events), radius=0.0)
        if len(pairs):
            dates = pd.to_datetime(events.loc[pairs["right"], date_column]).to_numpy()
            latest = pd.Series(dates, index=pairs["left"].to_numpy()).groupby(level=0).max()
            last.loc[latest.index] = latest.to_numpy()
    out["last_event"] = last
    r_events = out["n_events"].rank(ascending=False, method="min")
    r_z = pd.to_numeric(out["z"], errors="coerce").rank(
        ascending=False, method="min", na_option="bottom"
    )
    r_recent = out["last_event"].rank(ascending=False, method="min", na_option="bottom")
    score = (r_events + r_z + r_recent) / 3.0
    out["_score"] = score
    out = out.sort_values(["_score", "n_events"], ascending=[True, False], kind="stable")
    out["priority"] = np.arange(1, len(out) + 1)
    return out.drop(columns="_score").reset_index(drop=True)


def venues_near_hotspots(
    areas: gpd.GeoDataFrame, venues: gpd.GeoDataFrame, *, radius: float = HOTSPOT_RADIUS
) -> pd.DataFrame:
    """Venues within ``radius`` metres of each hotspot area (0 m = inside it).

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, venue_id, name, venue_type, distance_m`` sorted by hotspot then distance.

    Examples
    --------
    >>> import shapely
    >>> from shapely.geometry import Point
    >>> a = gpd.GeoDataFrame({"hotspot_id": [1]}, geometry=[shapely.box(0, 0, 100, 100)],
    ...                      crs=27700)
    >>> v = gpd.GeoDataFrame({"venue_id": ["p", "q"], "name": ["Pub", "Far"],
    ...     "venue_type": ["licensed premises", "other"]},
    ...     geometry=[Point(50, 350), Point(50, 351)], crs=27700)
    >>> venues_near_hotspots(a, v).to_dict("records")
    [{'hotspot_id': 1, 'venue_id': 'p', 'name': 'Pub', 'venue_type': 'licensed premises', \
'distance_m': 250.0}]
    """
    pairs = pairs_within(areas, venues, radius=radius)
    out = pd.DataFrame(
        {
            "hotspot_id": areas.loc[pairs["left"], "hotspot_id"].to_numpy(),
            "venue_id": venues.loc[pairs["right"], "venue_id"].to_numpy(),
            "name": venues.loc[pairs["right"], "name"].to_numpy(),
            "venue_type": venues.loc[pairs["right"], "venue_type"].to_numpy(),
            "distance_m": pairs["distance_m"].round(1).to_numpy(),
        }
    )
    return out.sort_values(["hotspot_id", "distance_m"], kind="stable").reset_index(drop=True)


def location_type_agrees(location_type: pd.Series, venue_type: pd.Series) -> np.ndarray:
    """Whether each concern's ``location_type`` agrees with the venue's type (unknown agrees).

    Examples
    --------
    >>> location_type_agrees(pd.Series(["park", None, "hotel"]),
    ...                      pd.Series(["takeaway/food", "takeaway/food", "hotel/guest house"]))
    array([False,  True,  True])
    """
    lt = location_type.astype(object).to_numpy()
    vt = venue_type.astype(object).to_numpy()
    out = np.ones(len(lt), dtype=bool)
    for i, (loc, ven) in enumerate(zip(lt, vt, strict=True)):
        if loc is None or (isinstance(loc, float) and np.isnan(loc)) or str(loc).strip() == "":
            continue
        allowed = VENUE_LOCATION_TYPES.get(str(ven))
        out[i] = allowed is not None and str(loc) in allowed
    return out


def link_concerns(
    concerns: gpd.GeoDataFrame,
    venues: gpd.GeoDataFrame,
    *,
    radius: float = LINK_RADIUS,
    match_location_type: bool = True,
) -> pd.DataFrame:
    """Concern-venue links: within ``radius`` metres and (optionally) agreeing location type.

    Returns
    -------
    pandas.DataFrame
        ``concern`` (index label of ``concerns``), ``venue`` (index label of ``venues``),
        ``venue_id``, ``distance_m``; one row per link.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> c = gpd.GeoDataFrame({"location_type": ["park", "takeaway/food", None]},
    ...     geometry=[Point(10, 0), Point(0, 50), Point(0, 50.5)], crs=27700)
    >>> v = gpd.GeoDataFrame({"venue_id": ["kebab"], "venue_type": ["takeaway/food"]},
    ...     geometry=[Point(0, 0)], crs=27700)
    >>> link_concerns(c, v)[["concern", "venue_id", "distance_m"]].to_dict("list")
    {'concern': [1], 'venue_id': ['kebab'], 'distance_m': [50.0]}
    """
    pairs = pairs_within(concerns, venues, radius=radius)
    out = pd.DataFrame(
        {
            "concern": pairs["left"].to_numpy(),
            "venue": pairs["right"].to_numpy(),
            "venue_id": venues.loc[pairs["right"], "venue_id"].to_numpy(),
            "distance_m": pairs["distance_m"].to_numpy(),
        }
    )
    if match_location_type and len(out) and "location_type" in concerns.columns:
        keep = location_type_agrees(
            concerns.loc[out["concern"], "location_type"].reset_index(drop=True),
            venues.loc[out["venue"], "venue_type"].reset_index(drop=True),
        )
        out = out[keep].reset_index(drop=True)
    return out


def _months_before(as_of: pd.Timestamp, months: int) -> pd.Timestamp:
    return as_of - pd.DateOffset(months=months)


def watchlist(
    concerns: gpd.GeoDataFrame,
    venues: gpd.GeoDataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    radius: float = LINK_RADIUS,
    windows: Sequence[int] = WINDOWS,
    rank_by: int | None = None,
    match_location_type: bool = True,
    date_column: str = "reported_date",
    categories: Sequence[str] = CATEGORIES,
    record_keys: pd.Series | None = None,
    key_range: int = 256,
) -> pd.DataFrame:
    """Venues ranked by linked concerns in recent windows, with change and categories.

    Parameters
    ----------
    concerns : geopandas.GeoDataFrame
        Stored concerns (``reported_date``, ``category``, ``location_type``).
    venues : geopandas.GeoDataFrame
        Venues (``venue_id``, ``name``, ``venue_type``, optional ``source``).
    as_of : date, optional
        End of the windows (inclusive); default the latest concern date.
    radius : float, default 50
        Link distance in metres (inclusive).
    windows : sequence of int, default (3, 6, 12)
        Window lengths in months.
    rank_by : int, optional
        Window to rank by (default the longest), ties broken by the other windows, longest first.
    match_location_type : bool, default True
        Require an agreeing location type where the concern has one.
    categories : sequence of str
        Categories counted (in the longest window) as ``cat_<category>`` columns.
    record_keys : pandas.Series, optional
        Cell key record keys of ``concerns`` (same index, :mod:`analysis.disclosure.cell_key`).
        Given, the cell key of every count (the sum of its linked concerns' keys modulo
        ``key_range``) is put in ``attrs["cell_keys"]``: a frame like the count columns (no
        ``change_*``).
    key_range : int, default 256

    Returns
    -------
    pandas.DataFrame
        One row per venue with at least one linked concern in any current or previous window:
        ``rank, venue_id, name, venue_type, source, n_<m>m, prev_<m>m, change_<m>m`` for each
        window, then ``cat_<category>``. No record ids, child references or dates of
        individual records.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> c = gpd.GeoDataFrame({"reported_date": pd.to_datetime(["2024-12-01", "2024-05-01"]),
    ...     "category": ["CSE", "CCE"], "location_type": [None, None]},
    ...     geometry=[Point(0, 10), Point(0, 20)], crs=27700)
    >>> v = gpd.GeoDataFrame({"venue_id": ["h1"], "name": ["Hotel"],
    ...     "venue_type": ["hotel/guest house"]}, geometry=[Point(0, 0)], crs=27700)
    >>> w = watchlist(c, v, as_of="2024-12-31", windows=(3, 12))
    >>> w[["n_3m", "prev_3m", "n_12m", "prev_12m", "cat_CSE", "cat_CCE"]].iloc[0].tolist()
    [1, 0, 2, 0, 1, 1]
    """
    wins = sorted({int(w) for w in windows})
    if not wins or wins[0] <= 0:
        raise ParameterError(f"windows must be positive numbers of months, got {windows!r}")
    key = max(wins) if rank_by is None else int(rank_by)
    if key not in wins:
        raise ParameterError(f"rank_by={rank_by!r} is not one of the windows {wins}")
    dates = (
        pd.to_datetime(concerns[date_column]) if len(concerns) else pd.Series([], dtype="M8[ms]")
    )
    if as_of is None:
        latest = dates.max() if len(dates) and dates.notna().any() else pd.Timestamp.now()
        end = pd.Timestamp(latest)
    else:
        end = pd.Timestamp(as_of)
    if end == end.normalize():
        end = end + pd.Timedelta(days=1) - pd.Timedelta(milliseconds=1)  # whole day inclusive
    links = link_concerns(concerns, venues, radius=radius, match_location_type=match_location_type)
    base = pd.DataFrame(venues.drop(columns=venues.geometry.name))
    out = pd.DataFrame(index=base.index)
    link_dates = pd.to_datetime(
        pd.Series(dates.loc[links["concern"]].to_numpy() if len(links) else [], dtype="M8[ns]")
    )
    venue_of = links["venue"].to_numpy()
    selected: dict[str, np.ndarray] = {}  # count column -> the links it counts
    for m in wins:
        start = _months_before(end, m)
        prev_start = _months_before(end, 2 * m)
        selected[f"n_{m}m"] = ((link_dates > start) & (link_dates <= end)).to_numpy()
        selected[f"prev_{m}m"] = ((link_dates > prev_start) & (link_dates <= start)).to_numpy()
    longest = max(wins)
    in_long = ((link_dates > _months_before(end, longest)) & (link_dates <= end)).to_numpy()
    cats = (
        concerns.loc[links["concern"], "category"].astype(object).to_numpy()
        if len(links) and "category" in concerns.columns
        else np.array([], dtype=object)
    )
    for cat in categories:
        selected[f"cat_{cat}"] = in_long & (cats == cat) if len(cats) else in_long & False
    for column, sel in selected.items():
        out[column] = pd.Series(venue_of[sel]).value_counts().reindex(base.index, fill_value=0)
        if column.startswith("prev_"):
            window = column.removeprefix("prev_")
            out[f"change_{window}"] = out[f"n_{window}"] - out[column]
    count_cols = [c for c in out.columns if c.startswith(("n_", "prev_", "change_", "cat_"))]
    out = out.fillna(0).astype("int64")
    active = (out[[f"n_{m}m" for m in wins] + [f"prev_{m}m" for m in wins]] > 0).any(axis=1)
    ident = [c for c in ("venue_id", "name", "venue_type", "source") if c in base.columns]
    table = pd.concat([base.loc[active, ident], out.loc[active, count_cols]], axis=1)
    order = [f"n_{key}m", *[f"n_{m}m" for m in sorted(wins, reverse=True) if m != key]]
    table = table.sort_values(order, ascending=False, kind="stable")
    if record_keys is not None:  # the same cells, summing the linked concerns' keys
        link_keys = record_keys.loc[links["concern"]].to_numpy(dtype=np.int64)
        sums = {
            column: pd.Series(link_keys[sel]).groupby(venue_of[sel]).sum() % key_range
            for column, sel in selected.items()
        }
        cell_keys = pd.DataFrame(sums).reindex(table.index).fillna(0).astype("int64")
        table.attrs["cell_keys"] = cell_keys.reset_index(drop=True)
    table = table.reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table.attrs["as_of"] = str(end.date())
    table.attrs["radius_m"] = float(radius)
    return table


def within_radius(
    points: gpd.GeoDataFrame, *, centre: tuple[float, float], radius: float
) -> np.ndarray:
    """Boolean mask: points at most ``radius`` metres from ``centre`` (inclusive; null -> False).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = gpd.GeoDataFrame(geometry=[Point(300, 400), Point(300, 400.001), None], crs=27700)
    >>> within_radius(p, centre=(0.0, 0.0), radius=500).tolist()
    [True, False, False]
    """
    r = _check_radius(radius)
    geoms = _bng(points).geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.zeros(len(geoms), dtype=bool)
    if ok.any():
        xy = shapely.get_coordinates(geoms[ok])
        d = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1])
        out[np.flatnonzero(ok)] = d <= r
    return out
