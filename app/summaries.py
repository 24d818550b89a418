"""Tables the Overview page shows (pure pandas; no Streamlit).

Every function takes already-filtered records and returns a small DataFrame ready to display.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from app.filters import KIND_LABELS
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
            values = frame[name]
            missing = values.isna()
            if name == "risk_level":
                missing |= values.astype("string").str.lower().eq("not assessed").fillna(False)
            if name.endswith("location_precision"):
                missing |= values.astype("string").eq("none").fillna(False)
            n_missing = int(missing.sum())
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
