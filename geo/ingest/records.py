"""Turn canonical text columns into typed record columns, with a reason per bad value.

Used by :mod:`geo.ingest.pipeline`; the parsers live in :mod:`geo.ingest.values` and the column
types in
:data:`geo.ingest.schema.COLUMNS`. Locations are resolved separately
(:func:`geo.locate.coords.resolve_locations`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from geo.ingest.schema import COLUMNS, DATE_ORDER, LOCATION_TEXT_INPUTS, REQUIRED, Mapping
from geo.ingest.values import (
    VOCABULARIES,
    parse_age,
    parse_authority,
    parse_bool,
    parse_dates,
    parse_vocabulary,
)
from geo.vocab import MISSING_LOCATION_PREFIXES, Kind

#: Stored dtype per parser type (text-like types are stored as ``str``).
STORED_DTYPES: dict[str, str] = {
    "date": "datetime64[ms]",
    "age": "Int64",
    "bool": "boolean",
}


def reason_column(mask: np.ndarray, text: str, *, index: pd.Index) -> pd.Series:
    """Reason ``text`` where ``mask`` holds, else ``""`` (object dtype, one shared string each).

    Unlike ``np.where(mask, text, "")``, no fixed-width unicode array of ``len(mask) * len(text)``
    characters is made (380 MB for a long reason over a million rows).

    Examples
    --------
    >>> reason_column(np.array([True, False]), "age: missing", index=pd.RangeIndex(2)).tolist()
    ['age: missing', '']
    """
    out = np.full(len(mask), "", dtype=object)
    out[np.asarray(mask, dtype=bool)] = text
    return pd.Series(out, index=index, dtype=object)


class RowReasons:
    """Reasons per row, ``"; "``-joined in the order added, held as one array.

    Each check adds its reasons as it finishes, so a file of a million rows holds one array of
    reasons rather than one per check (about twenty 8 MB arrays for a concern).

    Examples
    --------
    >>> r = RowReasons(3)
    >>> r.add(pd.Series(["", "age: bad", ""]))
    >>> r.add(np.array(["", "date: bad", "id: missing"], dtype=object))
    >>> r.text.tolist()
    ['', 'age: bad; date: bad', 'id: missing']
    """

    def __init__(self, n: int) -> None:
        self.text: np.ndarray = np.full(n, "", dtype=object)

    def add(self, part: pd.Series | np.ndarray) -> None:
        """Append the non-empty reasons of ``part`` (``""`` = no reason) to their rows."""
        values = part.to_numpy(dtype=object) if isinstance(part, pd.Series) else part
        rows = np.flatnonzero(values != "")
        if len(rows) == 0:
            return
        old = self.text[rows]
        self.text[rows] = [
            f"{a}; {b}" if a else b
            for a, b in zip(old.tolist(), values[rows].tolist(), strict=True)
        ]


def _as_str(series: pd.Series) -> pd.Series:
    """Text with ``""`` for missing, as ``str`` dtype (no copy when it already is)."""
    if isinstance(series.dtype, pd.StringDtype) and not series.hasnans:
        return series.astype(str)  # the readers' Arrow-backed text: no per-value round trip
    return series.astype(object).fillna("").astype(str)


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text as Arrow-backed ``str`` (missing for empty), as the store reads it back.

    No Python object per value: a million ids and summaries as objects took about 60 bytes a
    value more, and the GeoPackage write converts them to Arrow anyway.
    """
    text = _as_str(series).str.strip()
    return text.where(text != "")


def build_records(
    kind: Kind, canon: pd.DataFrame, extra: pd.DataFrame | None, *, mapping: Mapping | None = None
) -> tuple[pd.DataFrame, RowReasons]:
    """Parse canonical text columns of one kind into typed columns.

    Parameters
    ----------
    kind : {"concerns", "missing_episodes", "placements"}
    canon : pandas.DataFrame
        Text columns named canonically (absent optional columns are allowed).
    extra : pandas.DataFrame, optional
        Unmatched input columns, stored as JSON text in ``extra``.
    mapping : Mapping, optional
        User mapping (its ``values:`` are applied before the built-in synonyms).

    Returns
    -------
    records : pandas.DataFrame
        Every canonical column of ``kind`` (typed; missing ones all-null), ``category_raw`` for
        concerns, the location text inputs and ``extra``; same index as ``canon``.
    reasons : RowReasons
        The reasons found so far, per row (``reasons.text``; ``""`` = fine).

    Examples
    --------
    >>> canon = pd.DataFrame({"placement_id": ["P1", "P2"], "start_date": ["01/02/2024", ""],
    ...                       "placement_type": ["K2", "U3"], "placing_authority": ["Leeds", "x"]})
    >>> rec, reasons = build_records("placements", canon, None)
    >>> rec["placement_type"].tolist(), rec["placing_authority"].tolist()
    (["children's home", 'foster care'], ['E08000035', None])
    >>> reasons.text[1]
    "placing_authority: unknown local authority 'x'; start_date: required value is missing"
    """
    values = (mapping.values if mapping else {}) or {}
    out: dict[str, object] = {}
    reasons = RowReasons(len(canon.index))
    index = canon.index
    for name, kind_of in COLUMNS[kind].items():
        if name not in canon:
            dtype = STORED_DTYPES.get(kind_of, "object")
            out[name] = pd.Series(pd.NA if dtype != "object" else None, index=index, dtype=dtype)
            if kind_of == "category":
                out["category_raw"] = pd.Series(None, index=index, dtype=object)
            continue
        col = _as_str(canon[name])
        if kind_of in ("id", "text"):
            parsed: pd.Series = _text(col)
            why = pd.Series("", index=index, dtype=object)
        elif kind_of == "date":
            parsed, why = parse_dates(col, field=name)
        elif kind_of == "age":
            parsed, why = parse_age(col, field=name)
        elif kind_of == "bool":
            parsed, why = parse_bool(col, field=name)
        elif kind_of == "authority":
            parsed, why = parse_authority(col, field=name, user_values=values.get(name))
        else:
            parsed, why = parse_vocabulary(
                col,
                field=name,
                vocabulary=VOCABULARIES[kind_of],
                user_values=values.get(name),
                unknown="other" if kind_of == "category" else None,
            )
        out[name] = parsed
        if kind_of == "category":
            out["category_raw"] = _text(col)
        reasons.add(why)
        if name in REQUIRED[kind]:
            empty = col.str.strip() == ""
            reasons.add(
                reason_column(
                    empty.to_numpy(dtype=bool), f"{name}: required value is missing", index=index
                )
            )
    for early, late in DATE_ORDER[kind]:
        a, b = out[early], out[late]
        assert isinstance(a, pd.Series) and isinstance(b, pd.Series)
        wrong = (a.notna() & b.notna() & (b < a)).to_numpy()
        reasons.add(reason_column(wrong, f"{late}: before {early}", index=index))
    prefixes = MISSING_LOCATION_PREFIXES if kind == "missing_episodes" else ("",)
    for prefix in prefixes:
        for name in LOCATION_TEXT_INPUTS:
            col_name = prefix + name
            out[col_name] = (
                _text(canon[col_name])
                if col_name in canon
                else pd.Series(None, index=index, dtype=object)
            )
    out["extra"] = _extra_json(extra, index)
    return pd.DataFrame(out, index=index), reasons


def _extra_json(extra: pd.DataFrame | None, index: pd.Index) -> pd.Series:
    if extra is None or extra.shape[1] == 0:
        return pd.Series(None, index=index, dtype=object)
    names = list(extra.columns)
    cols = [extra[c].astype(str).to_numpy(dtype=object) for c in names]
    texts = [
        json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
        if any(v.strip() for v in row)
        else None
        for row in zip(*cols, strict=True)
    ]
    return pd.Series(texts, index=index, dtype=object)
