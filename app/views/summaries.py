"""Tables the Overview page shows (pure pandas; no Streamlit).

Every function takes already-filtered records and returns a small DataFrame ready to display.
For disclosure roles (board, partner) the Overview builds its count tables with
:func:`controlled_kind_counts`, :func:`controlled_monthly`, :func:`controlled_top_wards`,
:func:`controlled_missing_shares` and :func:`controlled_precision_mix`, which go through the
role's :class:`~analysis.disclosure.control.DisclosurePolicy`: counts cell-key perturbed (the same
records
always give the same value; ``docs/disclosure.md``), small counts and cells with fewer than
``min_children`` distinct ``child_ref`` suppressed, breakdowns suppressed together with the kind
total they add up to, shares computed from shown counts. The ingest log and quarantine reasons
are for record-level roles only (the page decides).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.control import TOTAL_LABEL, DisclosurePolicy
from app.session.filters import KIND_LABELS
from geo.vocab import PRECISIONS

#: Fields whose completeness the data-quality panel reports, per kind.
QUALITY_FIELDS: dict[str, tuple[str, ...]] = {
    "concerns": ("category", "risk_level", "reporting_agency", "location_type", "age"),
    "missing_episodes": ("risk_level", "end", "found_location_precision"),
    "placements": ("placement_type", "placing_authority", "end_date"),
}


def monthly_by_category(concerns: pd.DataFrame) -> pd.DataFrame:
    """Concerns per calendar month and category (long format: ``month, category, count``).

    Examples
    --------
    >>> f = pd.DataFrame({"reported_date": pd.to_datetime(["2024-01-05", "2024-01-20",
    ...                   "2024-02-01"]), "category": ["CSE", "CSE", "CCE"]})
    >>> monthly_by_category(f).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[Timestamp('2024-01-01 00:00:00'), 'CSE', 2], [Timestamp('2024-02-01 00:00:00'), 'CCE', 1]]
    """
    if concerns is None or concerns.empty or "reported_date" not in concerns.columns:
        return pd.DataFrame(columns=["month", "category", "count"])
    dates = pd.to_datetime(concerns["reported_date"])
    month = dates.dt.to_period("M").dt.to_timestamp()
    category = (
        concerns["category"].fillna("(missing)")
        if "category" in concerns.columns
        else pd.Series("(missing)", index=concerns.index)
    )
    out = (
        pd.DataFrame({"month": month, "category": category.astype(str)})
        .dropna(subset=["month"])
        .groupby(["month", "category"], observed=True)
        .size()
        .rename("count")
        .reset_index()
    )
    return out.sort_values(["month", "category"]).reset_index(drop=True)


def top_wards(concerns: pd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """The ``n`` wards with most concerns (``ward``, ``concerns``, ``share``).

    Examples
    --------
    >>> f = pd.DataFrame({"ward_nm": ["A", "A", "B", None]})
    >>> top_wards(f).values.tolist()
    [['A', 2, 0.5], ['B', 1, 0.25]]
    """
    if concerns is None or concerns.empty or "ward_nm" not in concerns.columns:
        return pd.DataFrame(columns=["ward", "concerns", "share"])
    counts = concerns["ward_nm"].dropna().value_counts().head(n)
    return pd.DataFrame(
        {
            "ward": counts.index.astype(str),
            "concerns": counts.to_numpy(),
            "share": (counts.to_numpy() / len(concerns)).round(3),
        }
    )


def missing_shares(records: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of rows with no value, per kind and field (``not assessed`` counts as missing risk).

    Examples
    --------
    >>> f = pd.DataFrame({"category": ["CSE", None], "risk_level": ["not assessed", "low"]})
    >>> missing_shares({"concerns": f})[["field", "missing", "share"]].values.tolist()
    [['category', 1, 0.5], ['risk_level', 1, 0.5]]
    """
    rows = []
    for kind, frame in records.items():
        for name in QUALITY_FIELDS.get(kind, ()):
            if name not in frame.columns:
                continue
            n_missing = int(_missing(frame, name).sum())
            rows.append(
                {
                    "kind": KIND_LABELS.get(kind, kind),
                    "field": name,
                    "rows": len(frame),
                    "missing": n_missing,
                    "share": round(n_missing / len(frame), 3) if len(frame) else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["kind", "field", "rows", "missing", "share"])


def _missing(frame: pd.DataFrame, name: str) -> pd.Series:
    """Rows with no value in ``name`` (``not assessed`` risk and precision ``none`` count)."""
    values = frame[name]
    missing = values.isna()
    if name == "risk_level":
        missing |= values.astype("string").str.lower().eq("not assessed").fillna(False)
    if name.endswith("location_precision"):
        missing |= values.astype("string").eq("none").fillna(False)
    return missing.astype(bool)


def precision_mix(records: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows per location precision and kind (missing episodes: the found location, then last seen).

    Examples
    --------
    >>> f = pd.DataFrame({"location_precision": ["exact point", "postcode centroid",
    ...                                         "exact point"]})
    >>> precision_mix({"concerns": f}).values.tolist()
    [['Concerns', 'exact point', 2], ['Concerns', 'postcode centroid', 1]]
    """
    rows = []
    for kind, frame in records.items():
        for prefix in ("", "found_", "last_seen_"):
            col = f"{prefix}location_precision"
            if col not in frame.columns:
                continue
            label = KIND_LABELS.get(kind, kind) + (f" ({prefix.rstrip('_')})" if prefix else "")
            counts = frame[col].fillna("none").value_counts()
            order = [p for p in PRECISIONS if p in counts.index] + [
                p for p in counts.index if p not in PRECISIONS
            ]
            rows += [{"kind": label, "precision": p, "rows": int(counts[p])} for p in order]
    return pd.DataFrame(rows, columns=["kind", "precision", "rows"])


def quarantine_reasons(log: pd.DataFrame, *, base: Path) -> pd.DataFrame:
    """Count quarantined rows by reason, from the quarantine files named in the ingest log.

    Reasons in a quarantine file's ``reasons`` column may be ``;``-separated. Relative file
    names are taken relative to ``base`` (the store's folder).

    Examples
    --------
    >>> quarantine_reasons(pd.DataFrame(), base=Path(".")).empty
    True
    """
    columns = ["file", "reason", "rows"]
    if log is None or log.empty or "quarantine_file" not in log.columns:
        return pd.DataFrame(columns=columns)
    rows = []
    for name in log["quarantine_file"].dropna().astype(str).unique():
        if not name:
            continue
        path = Path(name) if Path(name).is_absolute() else base / name
        if not path.is_file():
            continue
        try:
            quarantined = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        reason_col = next((c for c in ("reasons", "reason") if c in quarantined.columns), None)
        if reason_col is None:
            continue
        reasons = quarantined[reason_col].str.split(";").explode().str.strip()
        for reason, count in reasons[reasons != ""].value_counts().items():
            rows.append({"file": path.name, "reason": str(reason), "rows": int(count)})
    return pd.DataFrame(rows, columns=columns)


def _children(frame: pd.DataFrame, keys: list[pd.Series]) -> pd.Series:
    """Distinct ``child_ref`` per group of ``keys`` (records without one are not counted)."""
    refs = frame["child_ref"].astype("string").str.strip()
    refs = refs.where(refs != "")
    return refs.groupby(keys, observed=True).nunique()


def controlled_kind_counts(
    records: Mapping[str, pd.DataFrame], *, policy: DisclosurePolicy
) -> dict[str, str]:
    """Records per kind as display text under ``policy`` (min distinct children per kind).

    Counts are cell-key perturbed: the key of a kind is the key of all its records, so every
    table whose total covers the same records shows the same total.

    Examples
    --------
    >>> r = {"concerns": pd.DataFrame({"child_ref": list("ABCDEFG")}),
    ...      "placements": pd.DataFrame({"child_ref": list("AB")})}
    >>> controlled_kind_counts(r, policy=DisclosurePolicy(cell_key=False))
    {'concerns': '7', 'placements': 'c'}
    """
    shown = _kind_table(records, policy)
    return {} if shown is None else {k: str(v) for k, v in shown.display.items()}


def _kind_table(records: Mapping[str, pd.DataFrame], policy: DisclosurePolicy) -> Any:
    kinds = list(records)
    if not kinds:
        return None
    counts = pd.Series([len(records[k]) for k in kinds], index=kinds, dtype="int64")
    # where a kind has no child_ref column, only the small-count threshold applies
    kids = pd.Series(
        [
            int(records[k]["child_ref"].dropna().nunique())
            if "child_ref" in records[k]
            else policy.min_children
            for k in kinds
        ],
        index=kinds,
    )
    return policy.table(counts, totals="none", children=kids, keys=_kind_keys(records, policy))


def _kind_keys(records: Mapping[str, pd.DataFrame], policy: DisclosurePolicy) -> pd.Series | None:
    """Cell key of each kind's whole set of records (the key of every table's grand total)."""
    parts: list[pd.Series] = []
    for kind, frame in records.items():
        label = pd.Series(kind, index=frame.index, dtype=object)
        keys = policy.keys(frame, label, like=pd.Series([0], index=[kind]))
        if not isinstance(keys, pd.Series):
            return None
        parts.append(keys)
    return pd.concat(parts) if parts else None


def controlled_monthly(concerns: pd.DataFrame, *, policy: DisclosurePolicy) -> pd.DataFrame:
    """:func:`monthly_by_category` with cells suppressed under ``policy``.

    The month x category table is suppressed with secondary suppression against month and
    category totals (the page shows the grand total); suppressed cells have a missing ``count``
    and ``count_display`` = the marker.

    Examples
    --------
    >>> f = pd.DataFrame({"reported_date": pd.to_datetime(["2024-01-05"] * 7 + ["2024-02-01"]),
    ...     "category": ["CSE"] * 7 + ["CCE"], "child_ref": list("ABCDEFGH")})
    >>> controlled_monthly(f, policy=DisclosurePolicy())["count_display"].tolist()
    ['c', 'c']
    """
    long = monthly_by_category(concerns)
    if long.empty:
        return long.assign(count_display=pd.Series(dtype=str))
    wide = long.pivot(index="month", columns="category", values="count").fillna(0).astype("int64")
    dates = pd.to_datetime(concerns["reported_date"])
    month = pd.Series(dates.dt.to_period("M").dt.to_timestamp(), index=concerns.index)
    category = (
        concerns["category"].fillna("(missing)").astype(str)
        if "category" in concerns.columns
        else pd.Series("(missing)", index=concerns.index)
    )
    kids = (
        _children(concerns, [month, category])
        .unstack(fill_value=0)
        .reindex(index=wide.index, columns=wide.columns, fill_value=0)
        if "child_ref" in concerns.columns
        else None  # no child references: only the small-count threshold applies
    )
    keys = policy.keys(concerns, month, category, like=wide)
    table = policy.table(wide, totals="both", children=kids, keys=keys)
    values = table.values.loc[wide.index, wide.columns]
    display = table.display.loc[wide.index, wide.columns]
    out = long.copy()
    pairs = list(zip(out["month"], out["category"], strict=True))
    out["count"] = [values.at[m, c] for m, c in pairs]
    out["count_display"] = [str(display.at[m, c]) for m, c in pairs]
    out["count"] = pd.to_numeric(out["count"], errors="coerce").astype(float)
    return out


def controlled_top_wards(
    concerns: pd.DataFrame, *, policy: DisclosurePolicy, n: int = 10
) -> pd.DataFrame:
    """:func:`top_wards` with counts suppressed under ``policy`` and shares blanked with them.

    Counts and distinct children are taken over all wards (with the total, so secondary
    suppression protects the shown ones) before the top ``n`` are kept. Counts are cell-key
    perturbed (:mod:`analysis.disclosure.cell_key`), so filters that differ by a few records give
    ward
    counts whose differences are noisy; wards are ranked, and shares computed, from the shown
    counts.

    Examples
    --------
    >>> f = pd.DataFrame({"ward_nm": ["A"] * 6 + ["B"] * 2, "child_ref": list("ABCDEFGH")})
    >>> controlled_top_wards(f, policy=DisclosurePolicy()).values.tolist()
    [['A', 'c', nan, 'secondary suppression'], ['B', 'c', nan, 'small count']]
    """
    columns = ["ward", "concerns", "share", "hidden_because"]
    if concerns is None or concerns.empty or "ward_nm" not in concerns.columns:
        return pd.DataFrame(columns=columns)
    wards = concerns["ward_nm"].dropna()
    counts = wards.value_counts()
    kids = (
        _children(concerns.loc[wards.index], [wards]).reindex(counts.index, fill_value=0)
        if "child_ref" in concerns.columns
        else None  # no child references: only the small-count threshold applies
    )
    keys = policy.keys(concerns.loc[wards.index], wards, like=counts)
    table = policy.table(counts.astype("int64"), totals=True, children=kids, keys=keys)
    # the share's denominator is the page's (perturbed) concerns total, its numerator the shown
    # count: a share of true counts would give the true counts back
    whole = controlled_kind_counts({"concerns": concerns}, policy=policy)["concerns"]
    denominator = float(whole) if whole.isdigit() and int(whole) > 0 else np.nan
    # ranked by the shown counts (hidden ones last, by name): an order of the true counts
    # would tell which of two shown values is really the larger
    ranked = pd.DataFrame(
        {"v": table.values.loc[counts.index].astype("Float64"), "w": counts.index}
    )
    ranked = ranked.sort_values(["v", "w"], ascending=[False, True], na_position="last")
    top = pd.Index(ranked["w"].head(n))
    values = table.values.loc[top]
    shown = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    share = shown / denominator
    return pd.DataFrame(
        {
            "ward": top.astype(str),
            "concerns": table.display.loc[top].astype(str).to_numpy(),
            "share": np.round(share.astype(float), 3),
            "hidden_because": table.reasons.loc[top].astype(str).to_numpy(),
        }
    )


def controlled_precision_mix(
    records: Mapping[str, pd.DataFrame], *, policy: DisclosurePolicy
) -> pd.DataFrame:
    """:func:`precision_mix` under ``policy``, each kind's breakdown checked with its total.

    The rows of one kind (and location) add up to the kind's count, which the page shows: so the
    breakdown is suppressed *with* that total (secondary suppression across the margin; with one
    cell hidden, another is too), and the total is shown as an ``all`` row with the same
    (perturbed) value as the kind's count. When the kind's count is hidden, its whole breakdown
    is. A ``hidden_because`` column says why each ``c`` is there.

    Examples
    --------
    >>> f = pd.DataFrame({"location_precision": ["exact point"] * 109 + ["grid reference"] * 4})
    >>> policy = DisclosurePolicy(cell_key=False)
    >>> controlled_precision_mix({"concerns": f}, policy=policy).values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['Concerns', 'exact point', 'c', 'secondary suppression'],
     ['Concerns', 'grid reference', 'c', 'small count'], ['Concerns', 'all', '113', '']]
    """
    columns = ["kind", "precision", "rows", "hidden_because"]
    kind_table = _kind_table(records, policy)
    rows: list[dict[str, str]] = []
    for kind, frame in records.items():
        for prefix in ("", "found_", "last_seen_"):
            col = f"{prefix}location_precision"
            if col not in frame.columns:
                continue
            label = KIND_LABELS.get(kind, kind) + (f" ({prefix.rstrip('_')})" if prefix else "")
            levels = frame[col].fillna("none").astype(str)
            counts = levels.value_counts()
            order = [p for p in PRECISIONS if p in counts.index] + [
                p for p in counts.index if p not in PRECISIONS
            ]
            counts = counts.reindex(order).astype("int64")
            kids = (
                _children(frame, [levels]).reindex(order, fill_value=0)
                if "child_ref" in frame.columns
                else None
            )
            keys = policy.keys(frame, levels, like=counts)
            table = policy.table(counts, totals=True, children=kids, keys=keys)
            display = table.display.astype(str).to_dict()
            reasons = table.reasons.astype(str).to_dict()
            if kind_table is not None and bool(kind_table.suppressed[kind]):
                why = str(kind_table.reasons[kind])
                display = dict.fromkeys(display, policy.primary_marker)
                reasons = {k: why if k == TOTAL_LABEL else "total hidden" for k in reasons}
            elif kind_table is not None:  # the same records: the same shown total
                display[TOTAL_LABEL] = str(kind_table.display[kind])
            rows += [
                {
                    "kind": label,
                    "precision": "all" if p == TOTAL_LABEL else str(p),
                    "rows": display[p],
                    "hidden_because": reasons[p],
                }
                for p in [*order, TOTAL_LABEL]
            ]
    return pd.DataFrame(rows, columns=columns)


def controlled_missing_shares(
    records: Mapping[str, pd.DataFrame], *, policy: DisclosurePolicy
) -> pd.DataFrame:
    """:func:`missing_shares` under ``policy``: perturbed, suppressed, shares from shown counts.

    ``rows`` is the kind's count exactly as the page's metric shows it; each ``missing`` count
    is perturbed with the key of the records missing the field; ``share`` is shown missing over
    shown rows (blank where either is hidden). ``hidden_because`` says why a count is hidden.

    Examples
    --------
    >>> f = pd.DataFrame({"category": ["CSE"] * 7 + [None] * 2, "child_ref": list("ABCDEFGHI")})
    >>> controlled_missing_shares({"concerns": f}, policy=DisclosurePolicy(cell_key=False))
    ...     # doctest: +NORMALIZE_WHITESPACE
           kind     field rows missing  share hidden_because
    0  Concerns  category    9       c    NaN    small count
    """
    columns = ["kind", "field", "rows", "missing", "share", "hidden_because"]
    kind_table = _kind_table(records, policy)
    rows = []
    for kind, frame in records.items():
        fields = [name for name in QUALITY_FIELDS.get(kind, ()) if name in frame.columns]
        if not fields or kind_table is None:
            continue
        flags = pd.DataFrame({name: _missing(frame, name) for name in fields})
        counts = flags.sum().astype("int64")
        kids = (
            pd.Series({n: frame.loc[flags[n], "child_ref"].dropna().nunique() for n in fields})
            if "child_ref" in frame.columns
            else None
        )
        keys = None
        if policy.cell_key:
            parts = {}
            for name in fields:
                part = frame.loc[flags[name]]
                cell = policy.keys(part, pd.Series(name, index=part.index), like=counts.loc[[name]])
                parts[name] = 0 if cell is None else int(cell.to_numpy().ravel()[0])
            keys = pd.Series(parts).reindex(counts.index)
        table = policy.table(counts, totals="none", children=kids, keys=keys)
        total = str(kind_table.display[kind])
        for name in fields:
            shown = str(table.display[name])
            share = (
                round(int(shown) / int(total), 3)
                if shown.isdigit() and total.isdigit() and int(total) > 0
                else np.nan
            )
            rows.append(
                {
                    "kind": KIND_LABELS.get(kind, kind),
                    "field": name,
                    "rows": total,
                    "missing": shown,
                    "share": share,
                    "hidden_because": str(table.reasons[name]),
                }
            )
    return pd.DataFrame(rows, columns=columns)
