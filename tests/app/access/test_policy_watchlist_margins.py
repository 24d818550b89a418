"""Watchlist windows are suppressed together (issue #12, item 9).

``n_6m = n_3m + prev_3m`` (and ``n_12m = n_6m + prev_6m``): a hidden ``n_3m`` must not be
``n_6m - prev_3m`` of the shown values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure.control import recoverable_cells, window_relations
from app.access.policy import apply_export_policy

WINDOWS = ["n_3m", "prev_3m", "n_6m", "prev_6m", "n_12m", "prev_12m"]


def _rows(n3: list[int], p3: list[int], p6: list[int], p12: list[int]) -> pd.DataFrame:
    n6 = [a + b for a, b in zip(n3, p3, strict=True)]
    n12 = [a + b for a, b in zip(n6, p6, strict=True)]
    frame = pd.DataFrame(
        {
            "venue_id": [f"V{i}" for i in range(len(n3))],
            "n_3m": n3,
            "prev_3m": p3,
            "n_6m": n6,
            "prev_6m": p6,
            "n_12m": n12,
            "prev_12m": p12,
        }
    )
    for m in (3, 6, 12):
        frame[f"change_{m}m"] = frame[f"n_{m}m"] - frame[f"prev_{m}m"]
    return frame


def _exposed(out: pd.DataFrame, truth: pd.DataFrame) -> list[tuple[int, str]]:
    """Hidden window counts that the shown ones give back by the window sums."""
    position = {c: j for j, c in enumerate(WINDOWS)}
    lines = [[(0, position[c]) for c in rel] for rel in window_relations(WINDOWS)]
    found = []
    for i in range(len(out)):
        mask = np.array([[str(out.iloc[i][c]) == "c" for c in WINDOWS]])
        for _, j in recoverable_cells(mask, lines):
            found.append((i, WINDOWS[j]))
    return found


def test_hidden_three_month_count_is_not_six_months_minus_previous() -> None:
    truth = _rows([3], [12], [20], [8])  # n_6m 15, n_12m 35
    out = apply_export_policy(truth, role="partner", kind="venues")
    assert out.loc[0, "n_3m"] == "c"
    assert "c" in (out.loc[0, "prev_3m"], out.loc[0, "n_6m"])
    assert _exposed(out, truth) == []
    shown = {c: out.loc[0, c] for c in WINDOWS if out.loc[0, c] != "c"}
    if "n_6m" in shown and "prev_3m" in shown:  # pragma: no cover - the bug of the issue
        raise AssertionError(shown)


def test_rows_without_small_counts_are_unchanged() -> None:
    truth = _rows([9], [12], [20], [8])
    out = apply_export_policy(truth, role="partner", kind="venues")
    assert [out.loc[0, c] for c in WINDOWS] == [str(truth.loc[0, c]) for c in WINDOWS]


small_or_not = st.integers(0, 30)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(small_or_not, small_or_not, small_or_not, small_or_not), min_size=1, max_size=12
    )
)
def test_no_hidden_window_count_follows_from_the_shown_ones(rows: list) -> None:
    n3, p3, p6, p12 = (list(x) for x in zip(*rows, strict=True))
    truth = _rows(n3, p3, p6, p12)
    out = apply_export_policy(truth, role="partner", kind="venues")
    assert _exposed(out, truth) == []
    for m in (3, 6, 12):  # a change is shown only with both of its counts
        hidden = (out[f"n_{m}m"] == "c") | (out[f"prev_{m}m"] == "c")
        assert (out.loc[hidden, f"change_{m}m"] == "c").all()
