"""Who reports: concerns by reporting agency, area and quarter; silent agencies; risk-level
history per child (issue #6).

Definitions:

Silent agency
    For each area (ward or LSOA) and agency: ``expected = area total x agency's share of all
    concerns``; ``p = P(X <= observed)`` for ``X ~ Poisson(expected)``
    (:func:`analysis.inference.p_poisson_lower`), Benjamini-Hochberg ``q`` over all cells
    (:func:`analysis.inference.fdr_bh`); a cell is *silent* when ``q < alpha``. The area's missing
    episodes can be shown beside it (many missing episodes but few education or health concerns).
Risk-level history
    Per ``child_ref``, concerns in date order with a risk level of low/medium/high ("not assessed"
    and empty are skipped); each change is a move ``up`` or ``down`` with its date. The schema has
    no "reason for change" field, and a concern's free-text ``summary`` describes the concern, not
    why the risk level changed, so it is not taken as a reason. A reason is read only from an
    explicit ``reason_column`` (a column the partnership keeps for it): a move has a recorded
    reason when the concern recording the new level has a non-empty value there. With no
    ``reason_column``, or one absent from the data, every move's reason is
    :data:`NO_REASON_FIELD` and every move counts as lacking a recorded reason
    (:func:`risk_reason_note` says which applies, for reports).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import distinct_children_2d, quarter_label
from analysis.inference import fdr_bh, p_poisson_lower
from geo.errors import ParameterError
from geo.vocab import AGENCIES

__all__ = [
    "NO_REASON_FIELD",
    "RISK_ORDER",
    "agency_by_area",
    "agency_by_quarter",
    "agency_counts",
    "risk_history",
    "risk_moves_summary",
    "risk_reason_note",
    "silent_agencies",
]

#: Ordered risk levels (``not assessed`` is not on the scale).
RISK_ORDER: Final[dict[str, int]] = {"low": 1, "medium": 2, "high": 3}
_LEVELS: Final[dict[str, str]] = {"ward": "ward_nm", "lsoa": "lsoa21cd"}
_NO_AREA: Final[str] = "(outside the area)"
#: The reason shown for every move when the data have no reason field.
NO_REASON_FIELD: Final[str] = "not recorded (no reason field in the data)"
#: The reason shown for a move whose reason field is empty.
NO_REASON: Final[str] = "not recorded"


def _area(concerns: pd.DataFrame, level: str) -> pd.Series:
    column = _LEVELS.get(level)
    if column is None:
        raise ParameterError(f"level must be 'ward' or 'lsoa', not {level!r}")
    if column not in concerns.columns:
        return pd.Series(_NO_AREA, index=concerns.index, name=column)
    return concerns[column].astype(object).where(concerns[column].notna(), _NO_AREA).rename(column)


def _agency(concerns: pd.DataFrame) -> pd.Series:
    return concerns["reporting_agency"].fillna("(not recorded)").astype(str).rename("agency")


def agency_counts(concerns: pd.DataFrame, *, level: str = "ward") -> pd.DataFrame:
    """Long table of concerns by area, quarter and reporting agency (analyst view).

    Examples
    --------
    >>> c = pd.DataFrame({"ward_nm": ["A", "A", "B"], "reporting_agency": ["police"] * 3,
    ...     "reported_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-05-01"])})
    >>> agency_counts(c)["concerns"].tolist()
    [2, 1]
    """
    frame = pd.DataFrame(
        {
            "area": _area(concerns, level),
            "quarter": quarter_label(concerns["reported_date"]).fillna("(no date)"),
            "agency": _agency(concerns),
        }
    )
    out = frame.value_counts().rename("concerns").reset_index()
    out = out.rename(columns={"area": _LEVELS[level]})
    return out.sort_values([_LEVELS[level], "quarter", "agency"]).reset_index(drop=True)


def agency_by_area(
    concerns: pd.DataFrame,
    *,
    level: str = "ward",
    quarter: str | None = None,
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Area x agency table of concerns (one quarter, e.g. ``"2024-Q1"``, or all), with totals.

    With ``policy`` the result is display text with small counts and their protective partners
    suppressed; without, integer counts.

    Examples
    --------
    >>> c = pd.DataFrame({"ward_nm": ["A"] * 6 + ["B"] * 6, "reporting_agency": ["police"] * 12,
    ...     "reported_date": pd.to_datetime(["2024-01-05"] * 12)})
    >>> int(agency_by_area(c).loc["Total", "Total"])
    12
    """
    frame = concerns
    if quarter is not None:
        frame = concerns[(quarter_label(concerns["reported_date"]) == quarter).to_numpy()]
    return _agency_table(frame, _area(frame, level), _agency(frame), policy=policy)


def agency_by_quarter(concerns: pd.DataFrame, *, policy: DisclosurePolicy | None = None) -> Any:
    """Quarter x agency table of concerns with totals (display text with ``policy``).

    Examples
    --------
    >>> c = pd.DataFrame({"reporting_agency": ["police", "health"],
    ...     "reported_date": pd.to_datetime(["2024-01-05", "2024-05-01"])})
    >>> agency_by_quarter(c).loc["Total"].tolist()
    [1, 1, 2]
    """
    quarters = quarter_label(concerns["reported_date"]).fillna("(no date)").rename("quarter")
    return _agency_table(concerns, quarters, _agency(concerns), policy=policy)


def _agency_table(
    frame: pd.DataFrame, rows: pd.Series, cols: pd.Series, *, policy: DisclosurePolicy | None
) -> Any:
    """``rows`` x agency crosstab of ``frame`` (known agencies first) with both totals.

    Integer counts without ``policy``; the policy's display text (children counted) with it.
    """
    table = pd.crosstab(rows, cols)
    order = [a for a in AGENCIES if a in table.columns] + [
        a for a in table.columns if a not in AGENCIES
    ]
    table = table.reindex(columns=order)
    if policy is None:
        out = table.copy()
        out["Total"] = out.sum(axis=1)
        out.loc["Total"] = out.sum(axis=0)
        return out.astype(int)
    kids = distinct_children_2d(frame, rows, cols, like=table)
    keys = policy.keys(frame, rows, cols, like=table)
    return policy.table(table, totals="both", children=kids, keys=keys).display


def silent_agencies(
    concerns: pd.DataFrame,
    *,
    level: str = "ward",
    alpha: float = 0.05,
    missing_by_area: pd.Series | None = None,
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Observed beside expected concerns per area and agency, flagged when far below expected.

    Parameters
    ----------
    concerns : DataFrame
        Stored concerns.
    level : {"ward", "lsoa"}
    alpha : float, default 0.05
        FDR level for the ``silent`` flag.
    missing_by_area : Series, optional
        Missing episodes per area (same labels), shown beside.
    policy : DisclosurePolicy, optional
        Board disclosure control: ``observed`` becomes display text (perturbed, suppressed where
        small, with secondary suppression over the area x agency table), and ``expected``,
        ``p_value`` and ``q_value`` are left out: they are computed from the true counts, and
        the expected counts give the true area and agency totals back (issue #12).

    Returns
    -------
    pandas.DataFrame
        One row per (area, agency): ``observed, expected, p_value, q_value, silent`` (and
        ``missing_episodes``), sorted by ``p_value``; with ``policy`` only ``observed, silent``
        (and ``missing_episodes``).

    Examples
    --------
    >>> c = pd.DataFrame({"ward_nm": ["A"] * 40 + ["B"] * 40,
    ...     "reporting_agency": ["police"] * 20 + ["education"] * 20 + ["police"] * 40})
    >>> s = silent_agencies(c).set_index(["ward_nm", "agency"])
    >>> float(s.loc[("B", "education"), "expected"]), bool(s.loc[("B", "education"), "silent"])
    (10.0, True)
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be in (0, 1), not {alpha!r}")
    area = _area(concerns, level)
    agency = _agency(concerns)
    table = pd.crosstab(area, agency)
    table = table.drop(index=_NO_AREA, errors="ignore")
    total = table.to_numpy().sum()
    column = _LEVELS[level]
    if total == 0:
        return pd.DataFrame(
            columns=[column, "agency", "observed", "expected", "p_value", "q_value", "silent"]
        )
    share = table.sum(axis=0) / total
    expected = np.outer(table.sum(axis=1).to_numpy(), share.to_numpy())
    observed = table.to_numpy()
    p = p_poisson_lower(observed.ravel(), expected.ravel())
    q = fdr_bh(p)
    out = pd.DataFrame(
        {
            column: np.repeat(table.index.to_numpy(), table.shape[1]),
            "agency": np.tile(table.columns.to_numpy(), table.shape[0]),
            "observed": observed.ravel(),
            "expected": expected.ravel(),
            "p_value": p,
            "q_value": q,
            "silent": q < alpha,
        }
    )
    if missing_by_area is not None:
        out["missing_episodes"] = out[column].map(missing_by_area).fillna(0).astype(int)
    if policy is not None:
        kids = distinct_children_2d(concerns, area, agency, like=table)
        keys = policy.keys(concerns, area, agency, like=table)
        shown = policy.table(table, totals="both", children=kids, keys=keys).display
        out["observed"] = [shown.loc[a, g] for a, g in zip(out[column], out["agency"], strict=True)]
        if "missing_episodes" in out.columns:
            counts = missing_by_area.reindex(table.index).fillna(0).astype(int)  # type: ignore[union-attr]
            miss = policy.table(counts.rename("missing"), totals=True).display
            out["missing_episodes"] = out[column].map(miss)
    out = out.sort_values(["p_value", column, "agency"]).reset_index(drop=True)
    if policy is not None:  # computed from the true counts, they would give them back
        out = out.drop(columns=["expected", "p_value", "q_value"])
    return out


def _reason_source(concerns: pd.DataFrame, reason_column: str | None) -> str | None:
    if reason_column is not None and reason_column in concerns.columns:
        return reason_column
    return None


def risk_reason_note(concerns: pd.DataFrame, *, reason_column: str | None = None) -> str:
    """One sentence saying where the reasons for risk-level moves come from (for reports).

    Examples
    --------
    >>> risk_reason_note(pd.DataFrame({"summary": ["x"]}))[:48]
    'The data have no reason field (none was given), '
    >>> risk_reason_note(pd.DataFrame({"why": ["x"]}), reason_column="why")[-22:]
    "has a non-empty 'why'."
    """
    source = _reason_source(concerns, reason_column)
    if source is not None:
        return (
            "A move has a recorded reason when the concern recording the new level has a "
            f"non-empty {source!r}."
        )
    why = (
        "none was given"
        if reason_column is None
        else f"the column {reason_column!r} is not in the data"
    )
    return (
        f"The data have no reason field ({why}), so no move has a recorded reason: all are "
        "counted as lacking one."
    )


def risk_history(concerns: pd.DataFrame, *, reason_column: str | None = None) -> pd.DataFrame:
    """Moves of each child's risk level, up or down, with dates (analyst view).

    Parameters
    ----------
    concerns : DataFrame
        Stored concerns with ``child_ref``, ``reported_date`` and ``risk_level``.
    reason_column : str, optional
        Column holding the reason for a change of risk level. Without it (or when the column is
        absent) every move's ``reason`` is :data:`NO_REASON_FIELD` and ``reason_recorded`` is
        False: the free-text ``summary`` is *not* a reason.

    Returns
    -------
    pandas.DataFrame
        One row per move: ``child_ref, date, from_level, to_level, direction`` (``up``/``down``),
        ``record_id`` (the concern recording the new level), ``reason`` (the recorded text,
        ``"not recorded"``, or :data:`NO_REASON_FIELD`) and ``reason_recorded`` (bool).

    Examples
    --------
    >>> c = pd.DataFrame({"child_ref": ["A"] * 4, "record_id": list("1234"),
    ...     "reported_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01",
    ...                                      "2024-04-01"]),
    ...     "risk_level": ["low", "high", "not assessed", "medium"],
    ...     "summary": ["", "seen with older males", "", ""],
    ...     "change_reason": ["", "strategy meeting", "", ""]})
    >>> h = risk_history(c, reason_column="change_reason")
    >>> h[["direction", "reason", "reason_recorded"]].values.tolist()
    [['up', 'strategy meeting', True], ['down', 'not recorded', False]]
    >>> h = risk_history(c)  # no reason field given: the summary is not a reason
    >>> h["reason"].unique().tolist(), h["reason_recorded"].any()
    (['not recorded (no reason field in the data)'], np.False_)
    """
    columns = [
        "child_ref",
        "date",
        "from_level",
        "to_level",
        "direction",
        "record_id",
        "reason",
        "reason_recorded",
    ]
    if "child_ref" not in concerns.columns or "risk_level" not in concerns.columns:
        return pd.DataFrame(columns=columns)
    source = _reason_source(concerns, reason_column)
    if source is None:
        reason_text = pd.Series(NO_REASON_FIELD, index=concerns.index, dtype=object)
        recorded = pd.Series(False, index=concerns.index)
    else:
        text = concerns[source].astype(object).where(concerns[source].notna(), "")
        text = text.astype(str).str.strip()
        recorded = text != ""
        reason_text = text.where(recorded, NO_REASON).astype(object)
    frame = pd.DataFrame(
        {
            "child_ref": concerns["child_ref"],
            "date": pd.to_datetime(concerns["reported_date"], errors="coerce"),
            "level": concerns["risk_level"].map(RISK_ORDER),
            "name": concerns["risk_level"],
            "record_id": concerns.get("record_id", pd.Series(concerns.index, index=concerns.index)),
            "reason_text": reason_text,
            "reason": recorded,
        }
    ).dropna(subset=["child_ref", "date", "level"])
    frame = frame.sort_values(["child_ref", "date", "record_id"], kind="stable")
    previous = frame.groupby("child_ref")["level"].shift()
    previous_name = frame.groupby("child_ref")["name"].shift()
    moved = previous.notna() & (previous != frame["level"])
    moves = frame[moved]
    out = pd.DataFrame(
        {
            "child_ref": moves["child_ref"].to_numpy(),
            "date": moves["date"].to_numpy(),
            "from_level": previous_name[moved].to_numpy(),
            "to_level": moves["name"].to_numpy(),
            "direction": np.where(moves["level"] > previous[moved], "up", "down"),
            "record_id": moves["record_id"].to_numpy(),
            "reason": moves["reason_text"].to_numpy(dtype=object),
            "reason_recorded": moves["reason"].astype(bool).to_numpy(),
        }
    )
    return out[columns].reset_index(drop=True)


def risk_moves_summary(
    concerns: pd.DataFrame,
    *,
    reason_column: str | None = None,
    policy: DisclosurePolicy | None = None,
) -> Any:
    """Counts of risk-level moves up/down, with and without a recorded reason (with totals).

    ``reason_column`` as in :func:`risk_history`: without a usable one, every move is in
    ``no reason recorded`` (say so beside the table with :func:`risk_reason_note`).

    Examples
    --------
    >>> c = pd.DataFrame({"child_ref": ["A", "A"], "record_id": ["1", "2"],
    ...     "reported_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...     "risk_level": ["low", "high"], "summary": ["", "new intel"]})
    >>> int(risk_moves_summary(c).loc["up", "no reason recorded"])
    1
    """
    moves = risk_history(concerns, reason_column=reason_column)
    reason = np.where(
        moves["reason_recorded"].astype(bool), "reason recorded", "no reason recorded"
    )
    table = pd.crosstab(
        pd.Categorical(moves["direction"], categories=["up", "down"]),
        pd.Categorical(reason, categories=["reason recorded", "no reason recorded"]),
        dropna=False,
    )
    table.index = pd.Index(["up", "down"], name="direction")
    table.columns = pd.Index(["reason recorded", "no reason recorded"])
    if policy is None:
        out = table.copy()
        out["Total"] = out.sum(axis=1)
        out.loc["Total"] = out.sum(axis=0)
        return out.astype(int)
    direction = pd.Series(moves["direction"].to_numpy(), index=moves.index)
    why = pd.Series(reason, index=moves.index)
    kids = distinct_children_2d(moves, direction, why, like=table)
    keys = policy.keys(moves, direction, why, like=table)
    return policy.table(table, totals="both", children=kids, keys=keys).display
