"""Cell key perturbation of the venue watchlist (partner) and of grouped record exports.

The attack (issue #12, on the watchlist): the watchlist of all concerns minus the watchlist of
CSE concerns gives each venue's CCE count, 1-4 at every venue here. Without perturbation every
one is recovered exactly; with cell keys (each count's key: the sum of its linked concerns'
record keys) the difference is the true count plus the difference of two noises.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from analysis.disclosure.cell_key import PTable, record_keys_of
from analysis.disclosure.control import DisclosurePolicy
from analysis.views.proximity import watchlist
from app.access.policy import apply_export_policy
from app.reports.briefing import briefing_for_role, build_briefing
from geo.places.boundaries import load_area

POLICY = DisclosurePolicy(cell_key_secret="s" * 64)
N_VENUES = 30
AS_OF = "2024-12-31"


def _hidden_cce(i: int) -> int:
    return 1 + i % 4


def _data() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rows, geoms = [], []
    for i in range(N_VENUES):
        for j in range(10 + _hidden_cce(i)):
            day = pd.Timestamp("2024-10-05") + pd.Timedelta(days=(7 * j + i) % 80)
            cat = "CSE" if j < 10 else "CCE"
            rows.append(
                {"record_id": f"C{i}-{j}", "child_ref": f"K{i}-{j}", "reported_date": day}
                | {"category": cat}
            )
            geoms.append(Point(1000 * i + 5, 5))
    concerns = gpd.GeoDataFrame(rows, geometry=geoms, crs=27700)
    concerns["location_type"] = None
    venues = gpd.GeoDataFrame(
        {
            "venue_id": [f"v{i}" for i in range(N_VENUES)],
            "name": [f"Venue {i}" for i in range(N_VENUES)],
            "venue_type": "hotel/guest house",
        },
        geometry=[Point(1000 * i, 0) for i in range(N_VENUES)],
        crs=27700,
    )
    return concerns, venues


def _partner_watchlist(
    concerns: gpd.GeoDataFrame, venues: gpd.GeoDataFrame, *, keyed: bool
) -> pd.Series:
    keys = record_keys_of(concerns, secret=POLICY.cell_key_secret) if keyed else None
    table = watchlist(concerns, venues, as_of=AS_OF, record_keys=keys)
    cell_keys = table.attrs.pop("cell_keys", None)
    shown = apply_export_policy(
        table, role="partner", kind="venues", disclosure=POLICY, keys=cell_keys
    )
    return shown.set_index("venue_id")["n_12m"]


def _exact_recoveries(keyed: bool) -> tuple[int, int]:
    concerns, venues = _data()
    both = _partner_watchlist(concerns, venues, keyed=keyed)
    cse = _partner_watchlist(concerns[concerns["category"] == "CSE"], venues, keyed=keyed)
    exact = shown = 0
    for i in range(N_VENUES):
        a, b = both.get(f"v{i}"), cse.get(f"v{i}")
        if a is None or b is None or "c" in (a, b):
            continue
        shown += 1
        exact += int(a) - int(b) == _hidden_cce(i)
    return exact, shown


def test_differencing_two_watchlists_recovers_hidden_counts_without_cell_keys() -> None:
    assert _exact_recoveries(keyed=False) == (N_VENUES, N_VENUES)  # the attack works


def test_differencing_two_watchlists_does_not_recover_the_hidden_counts() -> None:
    exact, shown = _exact_recoveries(keyed=True)
    assert shown >= N_VENUES - 2
    assert exact <= shown // 2, (exact, shown)  # about 1 in 5 by chance (noise difference 0)


def test_watchlist_counts_are_the_ptable_values_and_change_is_of_shown_counts() -> None:
    concerns, venues = _data()
    keys = record_keys_of(concerns, secret=POLICY.cell_key_secret)
    table = watchlist(concerns, venues, as_of=AS_OF, record_keys=keys)
    cell_keys = table.attrs["cell_keys"]
    true = table["n_12m"].to_numpy()
    expected = PTable().perturb(true, cell_keys["n_12m"].to_numpy())
    shown = apply_export_policy(
        table, role="partner", kind="venues", disclosure=POLICY, keys=cell_keys
    )
    assert shown["n_12m"].astype(int).tolist() == expected.tolist()
    assert (np.abs(expected - true) <= POLICY.max_noise).all() and (expected != true).any()
    n3, p3 = shown["n_3m"].astype(int), shown["prev_3m"].astype(str)
    visible = p3 != "c"
    change = shown.loc[visible, "change_3m"].astype(int)
    assert (change == n3[visible] - p3[visible].astype(int)).all()
    assert not set(shown[["n_3m", "n_6m", "n_12m"]].astype(str).stack()) & {"1", "2", "3", "4"}


def test_the_briefing_carries_watchlist_keys_to_the_partner_view_only() -> None:
    concerns, venues = _data()
    area = load_area("kirklees")
    analyst = build_briefing(concerns, area=area, venues=venues, method="repeat", end=AS_OF)
    assert analyst.watchlist_keys is None and "cell_keys" not in analyst.watchlist.attrs
    b = build_briefing(
        concerns, area=area, venues=venues, method="repeat", end=AS_OF, disclosure=POLICY
    )
    assert b.watchlist_keys is not None
    out = briefing_for_role(b, role="partner", events=concerns, disclosure=POLICY)
    assert out.watchlist_keys is None
    true = b.watchlist.set_index("venue_id")["n_12m"]
    key = b.watchlist_keys.set_axis(b.watchlist["venue_id"])["n_12m"]
    expected = pd.Series(PTable().perturb(true.to_numpy(), key.to_numpy()), index=true.index)
    # each venue shows its perturbed count (the partner's rows are ranked by the shown counts,
    # so the order differs from the true ranking: compare venue by venue)
    shown = out.watchlist.set_index("venue_id")["n_12m"].astype(int)
    assert len(shown) == len(expected)
    assert shown.sort_index().tolist() == expected.sort_index().tolist()


def test_grouped_record_export_is_perturbed_and_differencing_gives_noise() -> None:
    wards = [f"W{i}" for i in range(N_VENUES)]
    rows = [
        {"record_id": f"R{i}-{j}", "ward_nm": w, "category": "CSE" if j < 10 else "CCE"}
        for i, w in enumerate(wards)
        for j in range(10 + _hidden_cce(i))
    ]
    records = pd.DataFrame(rows)
    both = apply_export_policy(records, role="board", kind="concerns", disclosure=POLICY)
    cse = apply_export_policy(
        records[records["category"] == "CSE"], role="board", kind="concerns", disclosure=POLICY
    )
    a = both.set_index("ward_nm")["records"]
    b = cse.set_index("ward_nm")["records"]
    exact = sum(int(a[w]) - int(b[w]) == _hidden_cce(i) for i, w in enumerate(wards))
    assert exact <= N_VENUES // 2, exact
    assert all(abs(int(a[w]) - (10 + _hidden_cce(i))) <= 2 for i, w in enumerate(wards))
