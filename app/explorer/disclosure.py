"""What the hotspot explorer shows a role without record-level access (pure; no streamlit).

Every function goes through the one mechanism, :mod:`app.access.policy` (``apply_export_policy`` and
the
role's :class:`~analysis.disclosure.control.DisclosurePolicy`); ``policy=None`` means a record-level
role
(analyst, admin) and returns the input unchanged.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.disclosure.cell_key import record_keys_of
from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import shown_order
from app.access.policy import apply_export_policy, is_count_column
from app.explorer.detail import breakdown

__all__ = [
    "GRID_METHODS",
    "controlled_breakdown",
    "controlled_result",
    "controlled_trend",
    "hotspot_keys",
    "shown_count",
]

#: Methods that aggregate to grid cells or smoothed surfaces (no exact places): the only ones
#: offered to roles without ``record_points``.
GRID_METHODS: Final[tuple[str, ...]] = ("gi", "kde", "dual-kde", "emerging", "scan")


def controlled_result(
    result: gpd.GeoDataFrame, *, role: str, events: gpd.GeoDataFrame, policy: DisclosurePolicy
) -> gpd.GeoDataFrame:
    """``result`` reduced by the export policy, ready to draw (suppressed counts missing).

    Hotspots with fewer than ``policy.min_children`` distinct children among ``events`` are
    dropped; count columns suppressed by the policy become missing values (not the marker
    text), so layers and tables that expect numbers still work. ``attrs`` are kept.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> r = gpd.GeoDataFrame({"label": ["hot", "hot"], "n_events": [6, 6]},
    ...     geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)], crs=27700)
    >>> ev = gpd.GeoDataFrame({"child_ref": list("ABCDEFabcdef")},
    ...     geometry=[Point(5, 5)] * 6 + [Point(25, 5)] * 6, crs=27700)
    >>> ev.loc[6:, "child_ref"] = "a"  # the second cell: one child
    >>> controlled_result(r, role="partner", events=ev, policy=DisclosurePolicy()).index.tolist()
    [0]
    """
    keys = hotspot_keys(result, events=events, policy=policy)
    shown = apply_export_policy(
        result, role=role, kind="hotspots", events=events, disclosure=policy, keys=keys
    )
    out = gpd.GeoDataFrame(shown, geometry=result.geometry.name, crs=result.crs)
    for column in out.columns:
        if is_count_column(column):
            out[column] = pd.to_numeric(out[column], errors="coerce")  # "c" -> missing
    out.attrs = dict(result.attrs)
    return out


def hotspot_keys(
    result: gpd.GeoDataFrame, *, events: gpd.GeoDataFrame, policy: DisclosurePolicy
) -> pd.DataFrame | None:
    """Cell keys of each hotspot's ``n_events``: the sum of the keys of the events inside it.

    ``None`` when there is nothing to key (no ``n_events``, no events, cell keys off). Events
    on a shared edge of two cells count for both keys (the key only needs the same events to
    give the same key, not to match the method's assignment exactly).

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> r = gpd.GeoDataFrame({"n_events": [2]}, geometry=[box(0, 0, 10, 10)], crs=27700)
    >>> ev = gpd.GeoDataFrame({"record_id": ["a", "b", "c"]},
    ...     geometry=[Point(1, 1), Point(2, 2), Point(50, 50)], crs=27700)
    >>> policy = DisclosurePolicy()
    >>> k = record_keys_of(ev, secret=policy.cell_key_secret)
    >>> cell = int(hotspot_keys(r, events=ev, policy=policy).loc[0, "n_events"])
    >>> cell == int(k[0] + k[1]) % 256
    True
    """
    if (
        not policy.cell_key
        or "n_events" not in result.columns
        or not len(result)
        or not len(events)
    ):
        return None
    rkeys = record_keys_of(
        events,
        secret=policy.cell_key_secret,
        key_range=policy.key_range,
        table=policy.record_key_table,
    ).to_numpy(dtype=np.int64)
    event_pos, cell_pos = result.sindex.query(events.geometry.to_crs(result.crs), "intersects")
    sums = np.bincount(cell_pos, weights=rkeys[event_pos], minlength=len(result))
    keys = sums.astype(np.int64) % policy.key_range
    return pd.DataFrame({"n_events": keys}, index=result.index)


def controlled_trend(
    trend: pd.DataFrame,
    *,
    policy: DisclosurePolicy | None,
    events: pd.DataFrame | None = None,
    date_column: str | None = None,
) -> pd.DataFrame:
    """Monthly counts (``month``, ``events``) with suppressed months as missing values.

    Given the ``events`` behind the trend (with their ``date_column``), each month's count is
    cell-key perturbed first (its key: the sum of its events' record keys).

    Examples
    --------
    >>> t = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...     "events": [3, 8]})
    >>> controlled_trend(t, policy=DisclosurePolicy())["events"].tolist()
    [nan, 8.0]
    """
    if policy is None or len(trend) == 0:
        return trend
    counts = pd.Series(trend["events"].to_numpy(dtype="int64"), index=trend["month"])
    keys = None
    if events is not None and date_column is not None and date_column in events.columns:
        dates = pd.to_datetime(events[date_column], errors="coerce")
        month = pd.Series(dates.dt.to_period("M").dt.to_timestamp(), index=events.index)
        keys = policy.keys(events, month, like=counts)  # NaT: in no month
    shown = policy.table(counts, totals="none", keys=keys)
    return trend.assign(events=shown.values.to_numpy(dtype=float, na_value=float("nan")))


def shown_count(
    n: int, *, policy: DisclosurePolicy | None, records: pd.DataFrame | None = None
) -> str:
    """A count as the role may see it (the marker for 1-4 under disclosure control).

    Given the ``records`` counted (``n == len(records)``), the count is cell-key perturbed.

    Examples
    --------
    >>> shown_count(3, policy=DisclosurePolicy()), shown_count(1234, policy=None)
    ('c', '1,234')
    """
    if policy is None:
        return f"{n:,}"
    counts = pd.Series([int(n)], index=["all"])
    keys = None
    if records is not None:
        if len(records) != n:
            raise ValueError(f"shown_count: {n} is not the number of records ({len(records)})")
        keys = policy.keys(records, pd.Series("all", index=records.index), like=counts)
    return str(policy.table(counts, totals="none", keys=keys).display.iloc[0])


def controlled_breakdown(
    events: pd.DataFrame, column: str, *, policy: DisclosurePolicy | None
) -> pd.DataFrame:
    """:func:`app.explorer.detail.breakdown`, suppressed per row for disclosure roles.

    Each row needs ``threshold`` events and ``min_children`` distinct children (``child_ref``;
    without it no row qualifies); counts are cell-key perturbed, and secondary suppression runs
    against the hotspot's total (which the page shows), so one hidden row cannot be found by
    subtraction.

    Examples
    --------
    >>> e = pd.DataFrame({"category": ["CSE"] * 6 + ["CCE"] * 2,
    ...                   "child_ref": list("ABCDEF") + ["A", "B"]})
    >>> controlled_breakdown(e, "category", policy=DisclosurePolicy()).values.tolist()
    [['CCE', 'c', 'small count'], ['CSE', 'c', 'secondary suppression']]
    """
    table = breakdown(events, column)
    if policy is None or len(table) == 0:
        return table
    values = events[column].astype("string").fillna("not recorded")
    if "child_ref" in events.columns:
        kids = (
            events.assign(_v=values.to_numpy())
            .groupby("_v")["child_ref"]
            .nunique()
            .reindex(table[column])
            .fillna(0)
        )
    else:
        kids = pd.Series(0, index=table[column])
    counts = pd.Series(table["events"].to_numpy(dtype="int64"), index=table[column])
    children = pd.Series(kids.to_numpy(), index=counts.index)
    keys = policy.keys(events, values, like=counts)  # each row: the sum of its events' keys
    shown = policy.table(counts, totals=True, children=children, keys=keys)
    out = pd.DataFrame(
        {
            column: table[column].to_numpy(),
            "events": shown.display.to_numpy()[:-1],
            "hidden_because": shown.reasons.to_numpy()[:-1],
        }
    )
    # ordered by the shown counts, hidden rows last by name: the true order would tell which
    # of two shown values, or a hidden one, is really larger
    order = shown_order(pd.Series(shown.values.to_numpy()[:-1], index=table[column].to_numpy()))
    return out.set_index(column).loc[order].reset_index()
