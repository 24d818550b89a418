"""Tables seen under disclosure control are ordered by the shown values, never the true ones.

A table sorted by the true count but showing perturbed or suppressed values leaks: a 'c'
ranked above rows showing 5, 6, 7 says that it is really 5 or more.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.disclosure.control import SMALL_COUNT_REASON, DisclosurePolicy, suppress_counts
from analysis.disclosure.tables import TOTAL_LABEL
from analysis.views import placements as pl
from app.explorer.detail import ranked_hotspots
from app.explorer.disclosure import controlled_breakdown

CODES = [
    "E08000035", "E08000036", "E09000001", "E08000034", "E08000032", "E08000033",
    "E08000031", "E06000001", "E06000002", "E06000003", "E06000004", "E06000005",
]  # fmt: skip
SIZES = [14, 12, 9, 8, 7, 6, 6, 5, 5, 4, 3, 2]


def _labelled(labels: list[str], sizes: list[int], column: str, prefix: str) -> pd.DataFrame:
    values = [label for label, n in zip(labels, sizes, strict=True) for _ in range(n)]
    n = len(values)
    return pd.DataFrame(
        {
            f"{prefix}_id": [f"{prefix}{i}" for i in range(n)],
            column: values,
            "child_ref": [f"C{i}" for i in range(n)],
        }
    )


def _assert_shown_order(shown: pd.Series, labels: pd.Series) -> None:
    """Shown numbers non-increasing, then the hidden rows, by name."""
    numbers = pd.to_numeric(shown.astype(str), errors="coerce")
    hidden = numbers.isna().to_numpy()
    first_hidden = int(np.argmax(hidden)) if hidden.any() else len(hidden)
    assert not hidden[:first_hidden].any() and hidden[first_hidden:].all(), shown.tolist()
    assert (np.diff(numbers.to_numpy()[:first_hidden]) <= 0).all(), shown.tolist()
    names = labels.astype(str).tolist()[first_hidden:]
    assert names == sorted(names)


def test_placing_authority_top_n_is_ranked_and_chosen_by_shown_counts() -> None:
    f = _labelled(CODES, SIZES, "placing_authority", "P")
    t = pl.by_placing_authority(f, top=10, policy=DisclosurePolicy())
    cells = t.drop(index=["Other LAs", TOTAL_LABEL], errors="ignore")
    truth = f["placing_authority"].value_counts()
    # the fixture is one where the true order differs from the shown one
    assert list(truth.loc[cells.index]) != sorted(truth.loc[cells.index], reverse=True)
    _assert_shown_order(cells["placements_display"], cells.index.to_series())
    assert list(t.index[-2:]) == ["Other LAs", TOTAL_LABEL]
    # the top 10 are the 10 LAs with the largest shown counts over all LAs
    shown_all = pl.by_placing_authority(f, top=len(CODES), policy=DisclosurePolicy())
    ranked = shown_all.drop(index=TOTAL_LABEL)
    assert list(cells.index) == list(ranked.index[:10])


def test_analyst_placing_authority_order_is_the_true_order() -> None:
    f = _labelled(CODES, SIZES, "placing_authority", "P")
    t = pl.by_placing_authority(f, top=3)
    assert t["placements"].tolist() == [14, 12, 9, sum(SIZES) - 35, sum(SIZES)]


def test_hotspot_breakdown_is_ranked_by_shown_counts_with_reasons() -> None:
    cats = [f"cat{i:02d}" for i in range(len(SIZES))]
    events = _labelled(cats, SIZES, "category", "R").rename(columns={"R_id": "record_id"})
    out = controlled_breakdown(events, "category", policy=DisclosurePolicy())
    truth = events["category"].value_counts()
    assert list(truth.loc[out["category"]]) != sorted(truth.loc[out["category"]], reverse=True)
    _assert_shown_order(out["events"], out["category"])
    assert "hidden_because" in out.columns
    hidden = out["events"] == "c"
    assert (out.loc[hidden, "hidden_because"] != "").all()
    assert not out["hidden_because"].str.contains("1-4").any()


def test_ranked_hotspots_hidden_last_by_id_not_true_order() -> None:
    r = gpd.GeoDataFrame(
        {
            "hotspot_id": [3, 2, 1, 4],
            "label": ["hot"] * 4,
            "n_events": [np.nan, 7.0, np.nan, 9.0],  # 3 and 1 hidden, in their true order
        },
        geometry=[shapely.box(0, 0, 1, 1)] * 4,
        crs=27700,
    )
    out = ranked_hotspots(r)
    assert out["hotspot_id"].tolist() == [4, 2, 1, 3]


def test_small_count_reason_is_the_same_for_true_and_perturbed_small_counts() -> None:
    counts = pd.Series([3, 6, 40], index=["a", "b", "c"])
    # find keys for which b (true 6) is perturbed into 1-4
    for key in range(256):
        t = suppress_counts(counts, totals=False, keys=pd.Series([0, key, 0], index=counts.index))
        if pd.isna(t.values["b"]) and t.primary["b"]:
            break
    else:  # pragma: no cover - the p-table has such keys
        raise AssertionError("no key perturbs 6 into 1-4")
    assert t.reasons["a"] == t.reasons["b"] == SMALL_COUNT_REASON


def test_watchlist_is_reranked_by_shown_counts_hidden_last() -> None:
    from app.reports.briefing import by_shown_counts

    # as ranked by the true counts (v1 truly 9, v2 truly 7), then perturbed / suppressed
    watch = pd.DataFrame(
        {
            "rank": [1, 2, 3, 4],
            "venue_id": ["v1", "v2", "v3", "v4"],
            "n_12m": ["c", 6, 8, 6],
            "n_3m": ["c", 5, 0, 6],
        }
    )
    out = by_shown_counts(watch)
    assert out["venue_id"].tolist() == ["v3", "v4", "v2", "v1"]
    assert out["rank"].tolist() == [1, 2, 3, 4]
