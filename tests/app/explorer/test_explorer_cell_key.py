"""The Explorer's counts for partner are cell-key perturbed where the page knows the records.

``shown_count`` (events analysed, in a hotspot, per compared period), ``controlled_trend``
(events per month) and ``controlled_breakdown`` (category / agency) key each count by the sum of
its events' record keys, so two selections that differ by a few records (e.g. with and without
a category) do not give the hidden difference.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from analysis.disclosure.cell_key import PTable, record_keys_of
from analysis.disclosure.control import DisclosurePolicy
from app.explorer.detail import monthly_counts
from app.explorer.disclosure import (
    controlled_breakdown,
    controlled_result,
    controlled_trend,
    hotspot_keys,
    shown_count,
)

POLICY = DisclosurePolicy(cell_key_secret="e" * 64)
N_AREAS = 30


def _events(i: int) -> pd.DataFrame:
    n_cce = 1 + i % 4  # the hidden count
    return pd.DataFrame(
        {
            "record_id": [f"E{i}-{j}" for j in range(10 + n_cce)],
            "child_ref": [f"K{i}-{j}" for j in range(10 + n_cce)],
            "category": ["CSE"] * 10 + ["CCE"] * n_cce,
            "reported_date": pd.Timestamp("2024-03-01")
            + pd.to_timedelta(np.arange(10 + n_cce) * 9, unit="D"),
        }
    )


def test_differencing_two_selections_of_explorer_counts_gives_noise() -> None:
    exact = 0
    for i in range(N_AREAS):
        every = _events(i)
        cse = every[every["category"] == "CSE"]
        a = shown_count(len(every), policy=POLICY, records=every)
        b = shown_count(len(cse), policy=POLICY, records=cse)
        assert abs(int(a) - len(every)) <= POLICY.max_noise
        exact += int(a) - int(b) == 1 + i % 4
    assert exact <= N_AREAS // 2, exact
    # without the records (as before) the difference is exact everywhere
    plain = [
        int(shown_count(len(_events(i)), policy=POLICY)) - int(shown_count(10, policy=POLICY))
        for i in range(N_AREAS)
    ]
    assert plain == [1 + i % 4 for i in range(N_AREAS)]


def test_trend_months_are_perturbed_by_their_events_keys() -> None:
    events = pd.concat([_events(i) for i in range(6)], ignore_index=True)
    trend = monthly_counts(events, date_column="reported_date")
    shown = controlled_trend(trend, policy=POLICY, events=events, date_column="reported_date")
    keys = record_keys_of(events, secret=POLICY.cell_key_secret)
    month = events["reported_date"].dt.to_period("M").dt.to_timestamp()
    cell = (keys.groupby(month).sum() % 256).reindex(trend["month"]).to_numpy()
    expected = PTable().perturb(trend["events"].to_numpy(dtype=np.int64), cell)
    visible = ~np.isnan(shown["events"].to_numpy())
    assert visible.sum() >= 3
    assert (shown["events"].to_numpy()[visible] == expected[visible]).all()
    assert (expected[visible] != trend["events"].to_numpy()[visible]).any()
    assert shown.index.equals(trend.index)


def test_breakdown_rows_are_perturbed() -> None:
    events = pd.concat([_events(i) for i in range(6)], ignore_index=True)
    table = controlled_breakdown(events, "category", policy=POLICY)
    keys = record_keys_of(events, secret=POLICY.cell_key_secret)
    cell = keys.groupby(events["category"]).sum() % 256
    true = events["category"].value_counts()
    expected = {
        c: int(PTable().perturb(np.array([true[c]]), np.array([cell[c]]))[0]) for c in true.index
    }
    shown = dict(zip(table["category"], table["events"], strict=True))
    assert {c: int(v) for c, v in shown.items()} == expected


def _grid(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A grid result: one 100 m cell per area, ``n_events`` = events inside (as the methods)."""
    cells = [box(1000 * i, 0, 1000 * i + 100, 100) for i in range(N_AREAS)]
    counts = [int(events.geometry.within(c).sum()) for c in cells]
    return gpd.GeoDataFrame(
        {"label": "hot", "n_events": counts, "z": 3.0}, geometry=cells, crs=27700
    )


def _points() -> gpd.GeoDataFrame:
    frames = []
    for i in range(N_AREAS):
        e = _events(i)
        xy = [Point(1000 * i + 10 + j, 50) for j in range(len(e))]
        frames.append(gpd.GeoDataFrame(e, geometry=xy, crs=27700))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=27700)


def test_differencing_two_grid_results_does_not_recover_hidden_cell_counts() -> None:
    every = _points()
    cse = every[every["category"] == "CSE"]
    a = controlled_result(_grid(every), role="partner", events=every, policy=POLICY)
    b = controlled_result(_grid(cse), role="partner", events=cse, policy=POLICY)
    diff = (a["n_events"] - b["n_events"]).to_numpy()
    hidden = np.array([1 + i % 4 for i in range(N_AREAS)])
    assert len(a) == len(b) == N_AREAS
    assert (np.abs(a["n_events"].to_numpy() - _grid(every)["n_events"].to_numpy()) <= 2).all()
    assert int((diff == hidden).sum()) <= N_AREAS // 2, diff
    keys = hotspot_keys(_grid(every), events=every, policy=POLICY)
    assert keys is not None and keys.index.equals(_grid(every).index)
