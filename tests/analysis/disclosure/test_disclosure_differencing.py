"""Differencing attacks on the Overview's board tables must give noise (issue #12, items 8-9).

The attack of the issue: as board, ward counts for categories {CSE, trafficking} minus ward
counts for {CSE} gave every ward's hidden trafficking count. With the cell key method the two
queries' cells have different keys, so each difference is the true count plus noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure.control import DisclosurePolicy
from app.session.filters import Filters, filter_kind
from app.views.summaries import (
    controlled_kind_counts,
    controlled_monthly,
    controlled_precision_mix,
    controlled_top_wards,
)


def _concerns(seed: int = 12) -> tuple[pd.DataFrame, pd.Series]:
    """23 wards, 8-29 CSE concerns and 1-6 trafficking concerns each, one child per concern."""
    rng = np.random.default_rng(seed)
    rows = []
    trafficking = {}
    for w in range(23):
        ward = f"Ward {w:02d}"
        n_cse, n_traf = int(rng.integers(8, 30)), int(rng.integers(1, 7))
        trafficking[ward] = n_traf
        rows += [(ward, "CSE")] * n_cse + [(ward, "trafficking")] * n_traf
    frame = pd.DataFrame(rows, columns=["ward_nm", "category"])
    frame["record_id"] = [f"C{i:05d}" for i in range(len(frame))]
    frame["child_ref"] = [f"K{i:05d}" for i in range(len(frame))]
    frame["reported_date"] = pd.Timestamp("2024-03-01") + pd.to_timedelta(
        rng.integers(0, 300, len(frame)), unit="D"
    )
    frame["location_precision"] = "exact point"
    return frame, pd.Series(trafficking)


def _ward_counts(concerns: pd.DataFrame, categories: tuple[str, ...]) -> pd.Series:
    chosen = filter_kind(concerns, kind="concerns", filters=Filters(categories=categories))
    table = controlled_top_wards(chosen, policy=DisclosurePolicy(), n=100)
    return pd.to_numeric(table.set_index("ward")["concerns"], errors="coerce")


def test_differencing_two_category_filters_does_not_recover_the_hidden_counts() -> None:
    concerns, truth = _concerns()
    both = _ward_counts(concerns, ("CSE", "trafficking"))
    cse = _ward_counts(concerns, ("CSE",))
    recovered = (both - cse).dropna()
    assert len(recovered) >= 20  # the attack has material: most wards show both counts
    exact = int((recovered == truth.reindex(recovered.index)).sum())
    assert exact <= len(recovered) // 3, (exact, len(recovered))
    ones = truth[truth == 1].index.intersection(recovered.index)
    assert len(ones) >= 2
    assert (recovered.loc[ones] != 1).sum() >= len(ones) // 2
    # still useful: every shown count is within the p-table's noise of the truth
    true_both = concerns["ward_nm"].value_counts()
    assert ((both.dropna() - true_both.reindex(both.dropna().index)).abs() <= 2).all()


def test_the_same_query_always_shows_the_same_counts() -> None:
    concerns, _ = _concerns()
    first = controlled_top_wards(concerns, policy=DisclosurePolicy(), n=100)
    shuffled = concerns.sample(frac=1.0, random_state=3)  # another order, another index
    shuffled.index = np.arange(len(shuffled)) + 10_000
    second = controlled_top_wards(shuffled, policy=DisclosurePolicy(), n=100)
    pd.testing.assert_frame_equal(
        first.sort_values("ward").reset_index(drop=True),
        second.sort_values("ward").reset_index(drop=True),
    )


def test_share_is_computed_from_the_shown_counts() -> None:
    concerns, _ = _concerns()
    table = controlled_top_wards(concerns, policy=DisclosurePolicy(), n=100)
    total = controlled_kind_counts({"concerns": concerns}, policy=DisclosurePolicy())["concerns"]
    shown = pd.to_numeric(table["concerns"], errors="coerce")
    expected = (shown / int(total)).round(3)
    pd.testing.assert_series_equal(table["share"], expected, check_names=False)


def test_month_filter_differencing_is_noisy_too() -> None:
    concerns, _ = _concerns()
    policy = DisclosurePolicy()
    full = controlled_monthly(concerns, policy=policy)
    later = controlled_monthly(concerns[concerns["reported_date"] >= "2024-06-01"], policy=policy)
    assert full["count"].notna().any()
    months = later.dropna(subset=["count"]).set_index(["month", "category"])["count"]
    whole = full.set_index(["month", "category"])["count"].reindex(months.index)
    # identical records (whole months) give identical cells: the same cell, the same value
    assert (months == whole).all()


@pytest.mark.parametrize("hidden", [4, 1])
def test_precision_mix_cannot_be_recovered_from_the_kind_total(hidden: int) -> None:
    """Issue #12 item 9: Concerns 113, exact point 109, grid reference c (so 4)."""
    n = 113
    frame = pd.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "child_ref": [f"K{i}" for i in range(n)],
            "location_precision": ["exact point"] * (n - hidden) + ["grid reference"] * hidden,
        }
    )
    policy = DisclosurePolicy()
    total = controlled_kind_counts({"concerns": frame}, policy=policy)["concerns"]
    assert total != "c"
    mix = controlled_precision_mix({"concerns": frame}, policy=policy)
    rows = mix.set_index("precision")["rows"]
    assert rows["grid reference"] == "c"
    assert rows["exact point"] == "c"  # otherwise total - exact = the hidden count
    assert rows.loc["all"] == total  # the same records: the same (perturbed) total
    assert mix.set_index("precision").loc["grid reference", "hidden_because"] == "small count"
