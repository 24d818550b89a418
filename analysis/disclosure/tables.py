"""Count tables for the strategic views, with disclosure control applied in one way.

Every table of :mod:`analysis.views.placements`, :mod:`analysis.views.missing` and
:mod:`analysis.views.agencies`
that may reach a board goes through :func:`controlled`: counts pass through
:meth:`analysis.disclosure.control.DisclosurePolicy.table` (primary suppression of 1-4 by default
and
secondary suppression against the published total), and any rate or share computed from a count
is blanked wherever that count is suppressed (a rate would reveal the count).

Minimum distinct children: for a disclosure role a cell is shown only when at least
``policy.min_children`` distinct children are behind it. Callers pass the per-cell distinct
``child_ref`` counts as ``children=`` (:func:`distinct_children` computes them); records without a
child reference are not counted (conservative). ``children=None`` applies only the count threshold
(records that carry no child reference at all, e.g. imported venues).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.disclosure.control import TOTAL_LABEL, DisclosurePolicy

__all__ = [
    "TOTAL_LABEL",
    "cell_keys_for",
    "coarsened",
    "controlled",
    "distinct_children",
    "distinct_children_2d",
    "has_hidden",
    "hidden_legend",
    "quarter_label",
    "shown_order",
    "sorted_by_shown",
]


def distinct_children(
    records: pd.DataFrame, keys: pd.Series, *, child_col: str = "child_ref"
) -> pd.Series | None:
    """Distinct children per cell label in ``keys`` (aligned with ``records``' rows).

    Returns ``None`` when ``records`` has no ``child_col`` column (then only the count threshold
    can apply). Blank and missing references are not counted.

    Examples
    --------
    >>> r = pd.DataFrame({"ward": ["a", "a", "a", "b"], "child_ref": ["C1", "C1", "C2", None]})
    >>> distinct_children(r, r["ward"]).to_dict()
    {'a': 2, 'b': 0}
    >>> distinct_children(r.drop(columns="child_ref"), r["ward"]) is None
    True
    """
    if child_col not in records.columns:
        return None
    refs = records[child_col].astype("string").str.strip()
    refs = refs.where(refs != "")
    labels = keys.reindex(records.index).astype(object)
    known = refs.notna().to_numpy() & labels.notna().to_numpy()
    counts = refs[known].groupby(labels[known].astype(str)).nunique()
    all_labels = pd.Index(labels.dropna().astype(str).unique())
    return counts.reindex(all_labels.union(counts.index), fill_value=0).astype("int64")


def cell_keys_for(
    policy: DisclosurePolicy | None,
    records: pd.DataFrame,
    labels: pd.Series,
    *,
    like: pd.Series | pd.DataFrame,
) -> pd.Series | None:
    """Cell keys per cell label of a one-column table for :func:`controlled` (``keys=``).

    ``None`` without a policy (analyst) or with the cell key method switched off.

    Examples
    --------
    >>> r = pd.DataFrame({"record_id": ["R1", "R2"], "ward": ["a", "b"]})
    >>> t = pd.DataFrame({"n": [1, 1]}, index=["a", "b"])
    >>> cell_keys_for(DisclosurePolicy(), r, r["ward"], like=t).index.tolist()
    ['a', 'b']
    >>> cell_keys_for(None, r, r["ward"], like=t) is None
    True
    """
    if policy is None:
        return None
    index = like.index
    keys = policy.keys(records, labels.astype(object), like=pd.Series(0, index=index))
    if not isinstance(keys, pd.Series):
        return None
    return keys.set_axis(index.astype(str))


def hidden_legend(policy: DisclosurePolicy) -> str:
    """What the marker of a hidden count can mean, for tables without a reason column.

    True whichever reason applies, and it never says which (a cross-tab has no room for it).

    Examples
    --------
    >>> hidden_legend(DisclosurePolicy())  # doctest: +NORMALIZE_WHITESPACE
    "'c' marks a hidden count: a small count (under 5, before or after the adjustment of at most
    2), a count from fewer than 5 distinct children, or a count hidden so that totals cannot
    reveal another."
    """
    return (
        f"'{policy.primary_marker}' marks a hidden count: a small count (under "
        f"{policy.threshold:d}, before or after the adjustment of at most {policy.max_noise:d}), "
        f"a count from fewer than {policy.min_children:d} distinct children, or a count hidden "
        "so that totals cannot reveal another."
    )


def has_hidden(table: pd.DataFrame, *, marker: str = "c") -> bool:
    """Whether any cell of ``table`` shows the hidden-count ``marker``.

    Examples
    --------
    >>> has_hidden(pd.DataFrame({"a": ["5", "c"]})), has_hidden(pd.DataFrame({"a": [5]}))
    (True, False)
    """
    return bool((table.astype(str).to_numpy() == marker).any())


def shown_order(values: pd.Series) -> pd.Index:
    """Labels of ``values`` ordered by the shown value, most first; hidden (missing) ones last.

    Ties and hidden entries are ordered by label (as text), never by a true count: an order of
    the true counts next to perturbed or suppressed values would tell which is really larger.

    Examples
    --------
    >>> v = pd.Series([5, None, 7, None, 5], index=list("edcba"), dtype="Int64")
    >>> shown_order(v).tolist()
    ['c', 'a', 'e', 'b', 'd']
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
    frame = pd.DataFrame(
        {
            "v": numbers.to_numpy(dtype=float, na_value=np.nan),
            "label": values.index.astype(str),
        }
    )
    ranked = frame.sort_values(
        ["v", "label"], ascending=[False, True], na_position="last", kind="stable"
    )
    return values.index[ranked.index.to_numpy()]


def sorted_by_shown(
    table: pd.DataFrame, *, count: str, last: Sequence[str] = (TOTAL_LABEL,)
) -> pd.DataFrame:
    """Rows of a :func:`controlled` table ordered by the shown ``count`` (hidden rows last).

    Rows labelled in ``last`` (the total, an "Other" row) stay at the end in that order.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [9, 3, 6, 7]}, index=list("abcd"))
    >>> out = controlled(t, count="n", policy=DisclosurePolicy(cell_key=False))
    >>> sorted_by_shown(out, count="n")["n_display"].reset_index().values.tolist()
    [['a', '9'], ['d', '7'], ['b', 'c'], ['c', 'c'], ['Total', '25']]
    """
    fixed = [label for label in last if label in table.index]
    cells = table.loc[~table.index.isin(fixed)]
    return pd.concat([cells.loc[shown_order(cells[count])], table.loc[fixed]])


def quarter_label(dates: pd.Series) -> pd.Series:
    """Calendar quarter of each date as text (``"2024-Q1"``), missing stays missing.

    Examples
    --------
    >>> quarter_label(pd.Series(pd.to_datetime(["2024-02-01", "2024-11-30", None]))).tolist()
    ['2024-Q1', '2024-Q4', nan]
    """
    d = pd.to_datetime(dates, errors="coerce")
    text = d.dt.year.astype("Int64").astype(str) + "-Q" + d.dt.quarter.astype("Int64").astype(str)
    return text.where(d.notna(), np.nan)


def distinct_children_2d(
    records: pd.DataFrame, rows: pd.Series, columns: pd.Series, *, like: pd.DataFrame
) -> pd.DataFrame | None:
    """Distinct children per (row, column) cell, shaped like the count table ``like``.

    For ``DisclosurePolicy.table(like, children=...)``; ``None`` without a ``child_ref`` column.

    Examples
    --------
    >>> r = pd.DataFrame({"a": ["x", "x", "y"], "b": ["p", "p", "q"], "child_ref": ["C", "C", "D"]})
    >>> counts = pd.crosstab(r["a"], r["b"])
    >>> distinct_children_2d(r, r["a"], r["b"], like=counts).to_numpy().tolist()
    [[1, 0], [0, 1]]
    """
    if "child_ref" not in records.columns:
        return None
    refs = records["child_ref"].astype("string").str.strip()
    refs = refs.where(refs != "")
    frame = pd.DataFrame(
        {"r": rows.reindex(records.index), "c": columns.reindex(records.index), "k": refs}
    ).dropna()
    kids = frame.groupby(["r", "c"], observed=True)["k"].nunique().unstack(fill_value=0)
    return kids.reindex(index=like.index, columns=like.columns, fill_value=0).astype("int64")


def controlled(
    table: pd.DataFrame,
    *,
    count: str,
    policy: DisclosurePolicy | None,
    rates: Sequence[tuple[str, str, float]] = (),
    total: bool = True,
    children: pd.Series | None = None,
    keys: pd.Series | None = None,
) -> pd.DataFrame:
    """Add a total row, suppress ``count`` under ``policy`` and recompute rates from shown counts.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per cell (index = cell label), with an integer ``count`` column.
    count : str
        The count column.
    policy : DisclosurePolicy or None
        ``None`` (analyst) leaves counts as they are.
    rates : sequence of (name, denominator column, multiplier)
        Rates ``count / denominator * multiplier`` to (re)compute; blank where suppressed or the
        denominator is not positive.
    total : bool, default True
        Append a ``"Total"`` row (denominators summed).
    children : pandas.Series, optional
        Distinct children per cell, indexed by the cell labels (missing labels count 0): cells
        with fewer than ``policy.min_children`` are suppressed too (:func:`distinct_children`).
    keys : pandas.Series, optional
        Cell keys per cell label (:meth:`DisclosurePolicy.keys`): counts are cell-key perturbed.

    Returns
    -------
    pandas.DataFrame
        Same index (plus ``"Total"``); ``count`` is nullable ``Int64`` (``<NA>`` = suppressed);
        a ``<count>_display`` column carries the text shown (``"c"`` where suppressed) and,
        under a policy, ``<count>_why`` says why (``"small count"``, ``"fewer than 5 children"``,
        ``"secondary suppression"``; empty where shown).

    Examples
    --------
    >>> t = pd.DataFrame({"n": [3, 10, 12], "pop": [1000, 2000, 3000]}, index=list("abc"))
    >>> out = controlled(t, count="n", policy=DisclosurePolicy(), rates=[("rate", "pop", 1e4)])
    >>> out["n_display"].tolist()
    ['c', 'c', '12', '25']
    >>> out["n_why"].tolist()
    ['small count', 'secondary suppression', '', '']
    >>> out["rate"].round(1).tolist()
    [nan, nan, 40.0, 41.7]
    >>> t2 = t.assign(n=[6, 10, 12])
    >>> controlled(t2, count="n", policy=DisclosurePolicy())["n_display"].tolist()
    ['6', '10', '12', '28']
    >>> kids = pd.Series({"a": 6, "b": 2, "c": 12})  # b: 10 records of 2 children
    >>> controlled(t2, count="n", policy=DisclosurePolicy(), children=kids)["n_display"].tolist()
    ['c', 'c', '12', '28']
    """
    counts = pd.to_numeric(table[count], errors="coerce").fillna(0).astype("int64")
    name = table.index.name
    out = table.copy()
    if total:
        sums = {}
        for _, denominator, _ in rates:
            sums[denominator] = pd.to_numeric(out[denominator], errors="coerce").sum()
        total_row = pd.DataFrame({count: [int(counts.sum())], **{k: [v] for k, v in sums.items()}})
        total_row.index = pd.Index([TOTAL_LABEL])
        out = pd.concat([out, total_row])
        out.index.name = name
    if policy is None:
        values = pd.to_numeric(out[count]).astype("Int64")
        display = values.astype(str)
    else:
        kids: pd.Series | None = None
        if children is not None:
            per_cell = children.reindex(table.index.astype(str)).fillna(0).to_numpy()
            kids = pd.Series(per_cell, index=counts.index)
        cell_keys = None
        if keys is not None:
            per_key = keys.reindex(table.index.astype(str)).fillna(0).to_numpy()
            cell_keys = pd.Series(per_key, index=counts.index).astype("int64")
        suppressed = policy.table(counts.rename(count), totals=total, children=kids, keys=cell_keys)
        values = pd.Series(suppressed.values.to_numpy(), index=out.index).astype("Int64")
        display = pd.Series(suppressed.display.to_numpy(), index=out.index).astype(str)
        why = pd.Series(suppressed.reasons.to_numpy(), index=out.index).astype(str)
    out[count] = values
    out[f"{count}_display"] = display
    if policy is not None:
        out[f"{count}_why"] = why
    for name, denominator, multiplier in rates:
        den = pd.to_numeric(out[denominator], errors="coerce").astype(float)
        num = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(den.to_numpy() > 0, num / den.to_numpy() * multiplier, np.nan)
        out[name] = rate
    return out


def coarsened(
    table: pd.DataFrame,
    *,
    count: str,
    label: str,
    children: int | None = None,
    min_children: int | None = None,
) -> pd.DataFrame | None:
    """The area-wide row of a controlled table whose every non-zero cell is hidden, else None.

    When each cell (a ward, say) is suppressed, the table says nothing; its total, labelled
    ``label`` (e.g. "All wards"), may still be shown: the table is aggregated to that level.
    ``None`` too when the total is hidden (then the table with its markers is all there is), or
    when ``children`` (distinct children behind the total) is below ``min_children``.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [3, 2, 4]}, index=pd.Index(list("abc"), name="ward"))
    >>> out = coarsened(controlled(t, count="n", policy=DisclosurePolicy()), count="n",
    ...                 label="All wards")
    >>> out[["n_display", "n_why"]].reset_index().values.tolist()
    [['All wards', '9', '']]
    """
    if f"{count}_display" not in table.columns or TOTAL_LABEL not in table.index:
        return None
    cells = table.drop(index=TOTAL_LABEL)
    shown = cells[f"{count}_display"].astype(str)
    positive = shown.str.fullmatch(r"\d+") & (shown != "0")
    if not len(cells) or bool(positive.any()) or bool((shown == "0").all()):
        return None
    if not str(table.at[TOTAL_LABEL, f"{count}_display"]).isdigit():
        return None  # the total is hidden too: nothing to show at the coarser level
    if children is not None and min_children is not None and children < min_children:
        return None
    out = table.loc[[TOTAL_LABEL]].copy()
    out.index = pd.Index([label], name=table.index.name)
    return out
