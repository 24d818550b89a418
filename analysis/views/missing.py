"""Missing episodes for the strategic view: found-location hotspots, repeat missing, duration,
missing vs away, distance found from home, return home interviews (issue #6).

Definitions:

Repeat missing
    A child with at least ``min_episodes`` (3) episodes *starting* within any ``window_days`` (90)
    day window (:func:`repeat_children`). By placement: each episode is attached to the stored
    placement the child was in when it started (same ``child_ref``, ``start_date <= start`` and
    ``end_date`` empty or after the start; the latest such placement), and a placement is a repeat
    placement when its episodes meet the same rule (:func:`repeat_placements`). Placements are
    shown only as aggregates outside the analyst role (the app and report decide by role).
Duration
    ``end - start`` in hours (SSDA903 gives dates only, so same-day episodes have 0 hours);
    episodes without an end are "still open / no end".
Distance found from home
    Straight line from the last-seen point (else the point of the placement the child was in) to
    the found point.
Return home interviews
    Among ended episodes: offered (``rhi_offered``), accepted (``rhi_accepted``), completed
    within 72 hours (``rhi_date - end <= 72 h``; with date-only values, within 3 days). An
    episode's ward is the last-seen ward, else the found ward. "Placed from other councils":
    ``placing_authority`` known and not the study area's LA.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import (
    cell_keys_for,
    controlled,
    distinct_children,
    distinct_children_2d,
)
from analysis.hotspots.registry import run as run_hotspots
from geo.errors import ParameterError
from geo.store.gpkg import points

__all__ = [
    "DISTANCE_BANDS",
    "DURATION_BANDS",
    "attach_placements",
    "duration_table",
    "found_distance",
    "found_distance_table",
    "found_hotspots",
    "repeat_children",
    "repeat_placements",
    "rhi_by_month",
    "rhi_by_ward",
]

DURATION_BANDS: Final[tuple[str, ...]] = (
    "under 24 hours",
    "1 to 3 days",
    "over 3 days",
    "still open / no end",
)
DISTANCE_BANDS: Final[tuple[str, ...]] = (
    "under 1 km",
    "1 to 5 km",
    "5 to 20 miles",
    "over 20 miles",
    "not known",
)
_MILE_M: Final[float] = 1609.344


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the frame lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=float)


def _window_max(starts: np.ndarray, window: np.timedelta64) -> int:
    """Most starts falling in any window [t, t + window] (t a start)."""
    s = np.sort(starts)
    ends = np.searchsorted(s, s + window, side="right")
    return int((ends - np.arange(len(s))).max()) if len(s) else 0


def _repeat(frame: pd.DataFrame, key: str, *, min_episodes: int, window_days: int) -> pd.DataFrame:
    if min_episodes < 1 or window_days < 1:
        raise ParameterError("min_episodes and window_days must be positive")
    window = np.timedelta64(int(window_days), "D")
    data = frame[[key, "start"]].copy()
    data["start"] = pd.to_datetime(data["start"], errors="coerce")
    data = data.dropna()
    rows = []
    for value, group in data.groupby(key, sort=True):
        starts = group["start"].to_numpy(dtype="datetime64[ns]")
        most = _window_max(starts, window)
        rows.append(
            {
                key: value,
                "episodes": len(starts),
                "most_in_window": most,
                "repeat": most >= min_episodes,
                "first_start": starts.min(),
                "last_start": starts.max(),
            }
        )
    columns = [key, "episodes", "most_in_window", "repeat", "first_start", "last_start"]
    return pd.DataFrame(rows, columns=columns).set_index(key)


def repeat_children(
    episodes: pd.DataFrame, *, min_episodes: int = 3, window_days: int = 90
) -> pd.DataFrame:
    """Per child: episodes, most starts in any ``window_days`` window, repeat flag.

    Examples
    --------
    >>> e = pd.DataFrame({"child_ref": ["A"] * 3 + ["B"] * 3,
    ...     "start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-30",
    ...                              "2024-01-01", "2024-03-01", "2024-05-01"])})
    >>> repeat_children(e)["repeat"].to_dict()
    {'A': True, 'B': False}
    """
    return _repeat(episodes, "child_ref", min_episodes=min_episodes, window_days=window_days)


def attach_placements(episodes: pd.DataFrame, placements: pd.DataFrame) -> pd.Series:
    """The ``placement_id`` each episode's child was in when the episode started (else NA).

    Examples
    --------
    >>> e = pd.DataFrame({"child_ref": ["A", "A"], "start": pd.to_datetime(["2024-02-01",
    ...                   "2024-06-01"])})
    >>> p = pd.DataFrame({"placement_id": ["P1", "P2"], "child_ref": ["A", "A"],
    ...     "start_date": pd.to_datetime(["2024-01-01", "2024-05-01"]),
    ...     "end_date": pd.to_datetime(["2024-05-01", None])})
    >>> attach_placements(e, p).tolist()
    ['P1', 'P2']
    """
    out = pd.Series(pd.NA, index=episodes.index, dtype="string")
    if placements is None or len(placements) == 0 or "child_ref" not in episodes.columns:
        return out
    pl = placements[["placement_id", "child_ref", "start_date", "end_date"]].copy()
    pl["start_date"] = pd.to_datetime(pl["start_date"], errors="coerce")
    pl["end_date"] = pd.to_datetime(pl["end_date"], errors="coerce")
    ep = pd.DataFrame(
        {
            "child_ref": episodes["child_ref"],
            "start": pd.to_datetime(episodes["start"], errors="coerce"),
            "pos": np.arange(len(episodes)),
        }
    ).dropna(subset=["child_ref", "start"])
    pairs = ep.merge(pl.dropna(subset=["child_ref", "start_date"]), on="child_ref")
    ok = (pairs["start_date"] <= pairs["start"]) & (
        pairs["end_date"].isna() | (pairs["end_date"] > pairs["start"])
    )
    pairs = pairs[ok].sort_values(["pos", "start_date"])
    chosen = pairs.drop_duplicates("pos", keep="last")
    values = out.to_numpy(dtype=object)
    values[chosen["pos"].to_numpy(dtype=int)] = chosen["placement_id"].astype(str).to_numpy()
    return pd.Series(values, index=episodes.index, dtype="string")


def repeat_placements(
    episodes: pd.DataFrame,
    placements: pd.DataFrame,
    *,
    min_episodes: int = 3,
    window_days: int = 90,
) -> pd.DataFrame:
    """Per placement: episodes started while a child was there, repeat flag (analyst view).

    Returns
    -------
    pandas.DataFrame
        Index ``placement_id``; ``episodes, children, most_in_window, repeat, ward_nm``.

    Examples
    --------
    >>> e = pd.DataFrame({"child_ref": ["A"] * 3, "start": pd.to_datetime(
    ...     ["2024-02-01", "2024-02-10", "2024-03-01"])})
    >>> p = pd.DataFrame({"placement_id": ["P1"], "child_ref": ["A"], "ward_nm": ["Batley East"],
    ...     "start_date": pd.to_datetime(["2024-01-01"]), "end_date": [pd.NaT]})
    >>> r = repeat_placements(e, p).loc["P1"]
    >>> int(r["episodes"]), bool(r["repeat"])
    (3, True)
    """
    frame = pd.DataFrame(
        {
            "placement_id": attach_placements(episodes, placements),
            "start": episodes["start"],
            "child_ref": episodes.get("child_ref"),
        }
    ).dropna(subset=["placement_id"])
    out = _repeat(frame, "placement_id", min_episodes=min_episodes, window_days=window_days)
    out.insert(1, "children", frame.groupby("placement_id")["child_ref"].nunique())
    if "ward_nm" in placements.columns:
        wards = placements.drop_duplicates("placement_id").set_index("placement_id")["ward_nm"]
        out["ward_nm"] = wards.reindex(out.index).to_numpy()
    return out


def _duration_band(episodes: pd.DataFrame) -> pd.Series:
    start = pd.to_datetime(episodes["start"], errors="coerce")
    end = pd.to_datetime(episodes["end"], errors="coerce")
    hours = (end - start).dt.total_seconds() / 3600.0
    band = np.select(
        [hours.isna().to_numpy(), (hours < 24).to_numpy(), (hours <= 72).to_numpy()],
        [DURATION_BANDS[3], DURATION_BANDS[0], DURATION_BANDS[1]],
        default=DURATION_BANDS[2],
    )
    return pd.Series(band, index=episodes.index)


def duration_table(episodes: pd.DataFrame, *, policy: DisclosurePolicy | None = None) -> Any:
    """Episodes by duration band (rows) and type, missing vs away (columns), with totals.

    Examples
    --------
    >>> e = pd.DataFrame({"episode_type": ["missing", "away without authorisation"],
    ...     "start": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...     "end": pd.to_datetime(["2024-01-01 05:00", None])})
    >>> int(duration_table(e).loc["under 24 hours", "missing"])
    1
    """
    band = pd.Categorical(_duration_band(episodes), categories=list(DURATION_BANDS))
    kind = episodes["episode_type"].fillna("(not recorded)").astype(str)
    table = pd.crosstab(pd.Series(band, index=episodes.index, name="duration"), kind, dropna=False)
    table = table.reindex(list(DURATION_BANDS)).fillna(0).astype(int)
    if policy is None:
        out = table.copy()
        out["Total"] = out.sum(axis=1)
        out.loc["Total"] = out.sum(axis=0)
        return out
    rows = pd.Series(band, index=episodes.index).astype(object)
    kids = distinct_children_2d(episodes, rows, kind, like=table)
    keys = policy.keys(episodes, rows, kind, like=table)
    return policy.table(table, totals="both", children=kids, keys=keys).display


def found_distance(episodes: pd.DataFrame, placements: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distance (km) from the last-seen point, else the placement's point, to the found point.

    Examples
    --------
    >>> e = pd.DataFrame({"last_seen_easting": [0.0, np.nan], "last_seen_northing": [0.0, np.nan],
    ...     "found_easting": [3000.0, 10.0], "found_northing": [4000.0, 10.0]})
    >>> found_distance(e)["distance_km"].tolist()
    [5.0, nan]
    """
    fx = pd.to_numeric(_col(episodes, "found_easting"), errors="coerce").to_numpy(dtype=float)
    fy = pd.to_numeric(_col(episodes, "found_northing"), errors="coerce").to_numpy(dtype=float)
    hx = pd.to_numeric(_col(episodes, "last_seen_easting"), errors="coerce").to_numpy(dtype=float)
    hy = pd.to_numeric(_col(episodes, "last_seen_northing"), errors="coerce").to_numpy(dtype=float)
    origin = np.where(np.isnan(hx), "", "last seen").astype(object)
    if placements is not None and len(placements) and "child_ref" in episodes.columns:
        pid = attach_placements(episodes, placements)
        located = placements.drop_duplicates("placement_id").set_index("placement_id")
        geom = located.geometry if isinstance(located, gpd.GeoDataFrame) else None
        if geom is not None:
            ok = ~(geom.isna() | geom.is_empty)
            px = pd.Series(np.where(ok, geom.x.where(ok), np.nan), index=located.index)
            py = pd.Series(np.where(ok, geom.y.where(ok), np.nan), index=located.index)
            use = np.isnan(hx) & pid.notna().to_numpy()
            hx = np.where(use, px.reindex(pid).to_numpy(dtype=float), hx)
            hy = np.where(use, py.reindex(pid).to_numpy(dtype=float), hy)
            origin[use & ~np.isnan(hx)] = "placement"
    distance = np.hypot(fx - hx, fy - hy) / 1000.0
    origin[np.isnan(distance)] = ""
    return pd.DataFrame({"distance_km": distance, "from": origin}, index=episodes.index)


def found_distance_table(
    episodes: pd.DataFrame,
    placements: pd.DataFrame | None = None,
    *,
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Episodes by distance band between home (last seen / placement) and where found.

    Examples
    --------
    >>> e = pd.DataFrame({"last_seen_easting": [0.0], "last_seen_northing": [0.0],
    ...     "found_easting": [3000.0], "found_northing": [0.0]})
    >>> found_distance_table(e)["episodes"].to_dict()["1 to 5 km"]
    1
    """
    km = found_distance(episodes, placements)["distance_km"]
    band = pd.cut(
        km,
        bins=[-np.inf, 1.0, 5.0, 20 * _MILE_M / 1000.0, np.inf],
        labels=list(DISTANCE_BANDS[:4]),
        right=False,
    )
    labels = band.astype(object).where(km.notna(), DISTANCE_BANDS[4])
    counts = labels.value_counts().reindex(list(DISTANCE_BANDS)).fillna(0).astype(int)
    table = counts.rename("episodes").to_frame()
    table.index.name = "distance"
    where = pd.Series(labels, index=km.index)
    kids = distinct_children(episodes, where)
    keys = cell_keys_for(policy, episodes, where, like=table)
    return controlled(table, count="episodes", policy=policy, children=kids, keys=keys)


def _rhi_frame(episodes: pd.DataFrame) -> pd.DataFrame:
    end = pd.to_datetime(episodes["end"], errors="coerce")
    rhi = pd.to_datetime(_col(episodes, "rhi_date"), errors="coerce")
    offered = episodes.get("rhi_offered")
    accepted = episodes.get("rhi_accepted")
    delay = rhi - end
    within = delay.notna() & (delay >= pd.Timedelta(0)) & (delay <= pd.Timedelta(hours=72))
    return pd.DataFrame(
        {
            "ended": end.notna(),
            "offered": end.notna()
            & (offered.astype("boolean").fillna(False) if offered is not None else False),
            "accepted": end.notna()
            & (accepted.astype("boolean").fillna(False) if accepted is not None else False),
            "within_72h": end.notna() & within,
        },
        index=episodes.index,
    ).astype(bool)


_RHI_COUNTS: Final[tuple[str, ...]] = ("ended", "offered", "accepted", "within_72h")


def _rhi_table(
    flags: pd.DataFrame,
    groups: pd.Series,
    policy: DisclosurePolicy | None,
    records: pd.DataFrame | None = None,
) -> pd.DataFrame:
    table = flags.groupby(groups).sum().astype(int)
    table = table.reindex(columns=list(_RHI_COUNTS))
    parts = []
    for column in _RHI_COUNTS:
        kids = keys = None
        if records is not None:  # distinct children among the episodes counted in the column
            mask = flags[column].to_numpy(dtype=bool)
            counted = records.loc[flags.index[mask]]
            kids = distinct_children(counted, groups[flags.index[mask]])
            keys = cell_keys_for(policy, counted, groups[flags.index[mask]], like=table)
        part = controlled(table[[column]], count=column, policy=policy, children=kids, keys=keys)
        parts.append(part[[c for c in part.columns if str(c).startswith(column)]])
    out = pd.concat(parts, axis=1)
    ended = out["ended"].astype("Float64")
    for column in ("offered", "accepted", "within_72h"):
        share = out[column].astype("Float64") / ended.where(ended > 0)
        out[f"{column}_share"] = share.astype(float)
    return out


def rhi_by_ward(
    episodes: pd.DataFrame, *, level: str = "ward", policy: DisclosurePolicy | None = None
) -> pd.DataFrame:
    """Return home interviews offered, accepted and within 72 h by ward (or LSOA).

    Examples
    --------
    >>> e = pd.DataFrame({"last_seen_ward_nm": ["Batley East"] * 2, "end": pd.to_datetime(
    ...     ["2024-01-02", "2024-01-03"]), "rhi_offered": [True, True],
    ...     "rhi_accepted": [True, False], "rhi_date": pd.to_datetime(["2024-01-04", None])})
    >>> rhi_by_ward(e).loc["Batley East", ["ended", "offered", "accepted", "within_72h"]].tolist()
    [2, 2, 1, 1]
    """
    column = {"ward": "ward_nm", "lsoa": "lsoa21cd"}.get(level)
    if column is None:
        raise ParameterError(f"level must be 'ward' or 'lsoa', not {level!r}")
    seen = episodes.get(f"last_seen_{column}")
    found = episodes.get(f"found_{column}")
    empty = pd.Series(pd.NA, index=episodes.index, dtype=object)
    where = (seen if seen is not None else empty).astype(object)
    where = where.where(where.notna(), found if found is not None else empty)
    groups = where.fillna("(no location in the area)").astype(str).rename(column)
    return _rhi_table(_rhi_frame(episodes), groups, policy, records=episodes)


def rhi_by_month(
    episodes: pd.DataFrame,
    *,
    lad_cd: str | None = None,
    other_councils_only: bool = False,
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Return home interviews by month the episode ended (all, or children placed from other
    councils: ``placing_authority`` known and not ``lad_cd``).

    Examples
    --------
    >>> e = pd.DataFrame({"end": pd.to_datetime(["2024-01-02", "2024-02-03"]),
    ...     "rhi_offered": [True, False], "rhi_accepted": [True, False],
    ...     "rhi_date": pd.to_datetime(["2024-01-09", None]),
    ...     "placing_authority": ["E08000035", "E08000034"]})
    >>> rhi_by_month(e, lad_cd="E08000034", other_councils_only=True)["ended"].to_dict()
    {'2024-01': 1, 'Total': 1}
    """
    frame = episodes
    if other_councils_only:
        if lad_cd is None:
            raise ParameterError("lad_cd is required with other_councils_only")
        pa = episodes.get("placing_authority")
        if pa is None:
            frame = episodes.iloc[0:0]
        else:
            text = pa.astype("string")
            frame = episodes[(text.notna() & (text != lad_cd)).fillna(False).to_numpy(dtype=bool)]
    end = pd.to_datetime(frame["end"], errors="coerce")
    flags = _rhi_frame(frame)[end.notna().to_numpy()]
    month = end.dropna().dt.strftime("%Y-%m").rename("month")
    return _rhi_table(flags, month, policy, records=frame)


def found_hotspots(
    episodes: gpd.GeoDataFrame, *, area: Any, method: str = "kde", **params: Any
) -> gpd.GeoDataFrame:
    """Hotspots of found locations through the one engine (:func:`analysis.hotspots.registry.run`).

    Parameters
    ----------
    episodes : GeoDataFrame
        Stored missing episodes.
    area : StudyArea or geometry
        The study area.
    method : str, default "kde"
        Any method of :func:`analysis.hotspots.registry.run`.
    **params
        Passed to the method.

    Returns
    -------
    GeoDataFrame
        The engine's standard result.
    """
    found = points(episodes, "missing_found")
    return run_hotspots(found, method=method, study_area=area, **params)
