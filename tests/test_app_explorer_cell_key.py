"""The Explorer's counts for partner are cell-key perturbed where the page knows the records.

``shown_count`` (events analysed, in a hotspot, per compared period), ``controlled_trend``
(events per month) and ``controlled_breakdown`` (category / agency) key each count by the sum of
its events' record keys, so two selections that differ by a few records (e.g. with and without
a category) do not give the hidden difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cell_key import PTable, record_keys_of
from analysis.disclosure import DisclosurePolicy
from app.explorer_disclosure import controlled_breakdown, controlled_trend, shown_count
from app.hotspot_detail import monthly_counts

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
