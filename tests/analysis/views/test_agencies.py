"""Who reports: counts vs brute force, silent agencies (expected, p, FDR), risk-level history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.disclosure.control import DisclosurePolicy
from analysis.inference import fdr_bh
from analysis.views import agencies as ag


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


def _risk_concerns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_ref": ["X", "X", "X", "X", "Y", "Y"],
            "record_id": ["1", "2", "3", "4", "5", "6"],
            "reported_date": pd.to_datetime(
                ["2024-01-01", "2024-03-01", "2024-02-01", "2024-04-01", "2024-01-01", "2024-01-02"]
            ),
            "risk_level": ["low", "high", "medium", "high", "medium", "not assessed"],
            # the summary describes the concern; it is not a reason for the change of level
            "summary": ["", "seen with older males", "new intel", "", "", "x"],
            "change_reason": [None, "", " strategy meeting ", "x", "", ""],
        }
    )


def test_risk_history_moves_with_a_reason_column() -> None:
    c = _risk_concerns()
    h = ag.risk_history(c, reason_column="change_reason")
    # X in date order: low (1) -> medium (3, reason) -> high (2) -> high (4): two moves up
    assert h[["child_ref", "from_level", "to_level", "direction"]].values.tolist() == [
        ["X", "low", "medium", "up"],
        ["X", "medium", "high", "up"],
    ]
    assert h["reason_recorded"].tolist() == [True, False]
    assert h["reason"].tolist() == ["strategy meeting", "not recorded"]
    assert h["date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    s = ag.risk_moves_summary(c, reason_column="change_reason")
    assert int(s.loc["up", "reason recorded"]) == 1
    assert int(s.loc["up", "no reason recorded"]) == 1
    assert int(s.loc["Total", "Total"]) == 2
    assert "'change_reason'" in ag.risk_reason_note(c, reason_column="change_reason")


@pytest.mark.parametrize("reason_column", [None, "no_such_column"])
def test_risk_history_without_a_reason_field_counts_every_move_as_lacking_one(
    reason_column: str | None,
) -> None:
    """A non-empty summary (record 2 and 3 have one) must not count as a recorded reason."""
    c = _risk_concerns()
    h = ag.risk_history(c, reason_column=reason_column)
    assert len(h) == 2
    assert h["reason_recorded"].tolist() == [False, False]
    assert h["reason"].tolist() == [ag.NO_REASON_FIELD] * 2
    assert ag.NO_REASON_FIELD == "not recorded (no reason field in the data)"
    s = ag.risk_moves_summary(c, reason_column=reason_column)
    assert int(s.loc["Total", "reason recorded"]) == 0
    assert int(s.loc["up", "no reason recorded"]) == 2
    note = ag.risk_reason_note(c, reason_column=reason_column)
    assert "no reason field" in note and "all are counted as lacking one" in note
    if reason_column is not None:
        assert repr(reason_column) in note


def test_agencies_report_says_when_there_is_no_reason_field() -> None:
    """The strategic report (analyst role) counts every move as lacking a reason, and says why."""
    import geopandas as gpd

    from app.reports.strategic import Report, _agencies

    c = _risk_concerns().assign(reporting_agency="police", ward_nm="A")
    report = Report(view="agencies", title="Who reports", role="analyst", level="ward")
    _agencies(report, {"concerns": gpd.GeoDataFrame(c)}, policy=None, record_level=True)
    moves = report.section("risk_moves")
    assert "no reason field" in moves.note
    table = moves.table.set_index("direction")
    assert int(table.loc["Total", "reason recorded"]) == 0
    assert int(table.loc["Total", "no reason recorded"]) == 2
    history = report.section("risk_history").table
    assert history["reason"].tolist() == [ag.NO_REASON_FIELD] * 2


def test_board_silent_agencies_give_no_statistics_of_the_true_counts() -> None:
    """Issue #12: expected = row total x column share reveals the true (unperturbed) margins."""
    c = _concerns(200, 3)
    s = ag.silent_agencies(c, policy=DisclosurePolicy())
    assert not {"expected", "p_value", "q_value"} & set(s.columns)
    assert "silent" in s.columns and "observed" in s.columns
    analyst = ag.silent_agencies(c)
    assert len(s) == len(analyst)
    assert s["silent"].sum() == analyst["silent"].sum()
