"""Who reports: counts vs brute force, silent agencies (expected, p, FDR), risk-level history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import agencies as ag
from analysis.disclosure import DisclosurePolicy
from analysis.inference import fdr_bh


def _concerns(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "ward_nm": rng.choice(["A", "B", "C"], n),
            "reporting_agency": rng.choice(["police", "education", "health"], n),
            "reported_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 360, n), unit="D"),
        }
    )


def test_counts_brute_force() -> None:
    c = _concerns(400, 1)
    long = ag.agency_counts(c)
    assert long["concerns"].sum() == 400
    q = ag.quarter_label(c["reported_date"])
    row = long.iloc[0]
    brute = (
        (c["ward_nm"] == row["ward_nm"])
        & (q == row["quarter"])
        & (c["reporting_agency"] == row["agency"])
    ).sum()
    assert row["concerns"] == brute
    table = ag.agency_by_area(c, quarter="2024-Q2")
    in_q2 = c[q == "2024-Q2"]
    assert int(table.loc["B", "health"]) == int(
        ((in_q2["ward_nm"] == "B") & (in_q2["reporting_agency"] == "health")).sum()
    )
    assert int(table.loc["Total", "Total"]) == len(in_q2)
    by_q = ag.agency_by_quarter(c)
    assert int(by_q.loc["2024-Q1", "police"]) == int(
        ((q == "2024-Q1") & (c["reporting_agency"] == "police")).sum()
    )


def test_board_tables_suppressed() -> None:
    c = _concerns(30, 2)
    t = ag.agency_by_area(c, policy=DisclosurePolicy())
    cells = t.to_numpy().ravel()
    assert not set(cells) & {"1", "2", "3", "4"}
    # every row and column with a suppressed cell has at least two
    hidden = t == "c"
    assert not (hidden.sum(axis=1) == 1).any() and not (hidden.sum(axis=0) == 1).any()


def test_silent_agencies_expected_and_p() -> None:
    c = pd.DataFrame(
        {
            "ward_nm": ["A"] * 60 + ["B"] * 60,
            "reporting_agency": ["police"] * 30
            + ["education"] * 30
            + ["police"] * 58
            + ["education"] * 2,
        }
    )
    s = ag.silent_agencies(c).set_index(["ward_nm", "agency"])
    share_edu = 32 / 120
    assert s.loc[("B", "education"), "expected"] == pytest.approx(60 * share_edu)
    assert s.loc[("B", "education"), "p_value"] == pytest.approx(
        stats.poisson.cdf(2, 60 * share_edu)
    )
    assert bool(s.loc[("B", "education"), "silent"])
    assert not bool(s.loc[("A", "education"), "silent"])
    assert s["q_value"].to_numpy() == pytest.approx(fdr_bh(s["p_value"].to_numpy()))
    assert s["expected"].sum() == pytest.approx(120)


def test_silent_agencies_with_missing_and_board() -> None:
    c = _concerns(200, 3)
    miss = pd.Series({"A": 12, "B": 3, "C": 0})
    s = ag.silent_agencies(c, missing_by_area=miss, policy=DisclosurePolicy())
    assert set(s["missing_episodes"]) <= {"12", "c", "0"}
    # B (3) is primary; with the total published, A (12) is its secondary partner, zeros shown
    shown = s.drop_duplicates("ward_nm").set_index("ward_nm")["missing_episodes"].to_dict()
    assert shown == {"A": "c", "B": "c", "C": "0"}


def test_risk_history_moves_and_reasons() -> None:
    c = pd.DataFrame(
        {
            "child_ref": ["X", "X", "X", "X", "Y", "Y"],
            "record_id": ["1", "2", "3", "4", "5", "6"],
            "reported_date": pd.to_datetime(
                ["2024-01-01", "2024-03-01", "2024-02-01", "2024-04-01", "2024-01-01", "2024-01-02"]
            ),
            "risk_level": ["low", "high", "medium", "high", "medium", "not assessed"],
            "summary": ["", "", "new intel", "", "", "x"],
        }
    )
    h = ag.risk_history(c)
    # X in date order: low (1) -> medium (3, reason) -> high (2) -> high (4): two moves up
    assert h[["child_ref", "from_level", "to_level", "direction"]].values.tolist() == [
        ["X", "low", "medium", "up"],
        ["X", "medium", "high", "up"],
    ]
    assert h["reason_recorded"].tolist() == [True, False]
    assert h["date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    s = ag.risk_moves_summary(c)
    assert int(s.loc["up", "no reason recorded"]) == 1
    assert int(s.loc["Total", "Total"]) == 2
