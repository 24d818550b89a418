"""Value normalisers for record fields (vectorised over pandas text Series).

Each parser takes a Series of text (``""`` = missing) and returns ``(values, reasons)``: the
parsed values (same index) and a Series of reason texts (``""`` where the value is fine) that name
the field and the offending value, e.g. ``"reported_date: 'next tuesday' is not a date"``. Parsing
is done once per *distinct* value (``pandas.factorize``), so a million rows with a few thousand
distinct values
cost a few thousand parses. The policy for unknown values is described in :mod:`geo.ingest.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo.ingest.synonyms import AGENCY, CATEGORY, EPISODE, LOCATION_TYPE, PLACEMENT, PROVIDER, RISK
from geo.vocab import AGE_MAX, AGE_MIN

_WS = re.compile(r"\s+")


def value_key(text: str) -> str:
    """Matching key of a vocabulary value: lower case, trimmed, single spaces, ``_`` -> space.

    Examples
    --------
    >>> value_key("  Child  Sexual_Exploitation ")
    'child sexual exploitation'
    """
    return _WS.sub(" ", str(text).replace("_", " ").strip().lower())


#: Vocabulary per parser type (see :data:`geo.ingest.schema.COLUMNS`).
VOCABULARIES: Final[dict[str, dict[str, str]]] = {
    "category": CATEGORY,
    "location_type": LOCATION_TYPE,
    "reporting_agency": AGENCY,
    "risk_level": RISK,
    "episode_type": EPISODE,
    "placement_type": PLACEMENT,
    "provider_type": PROVIDER,
}

_NETGAIN = "dfe_cla_31march_placed_in_out_of_la_netgain_la_2020_2024.csv"
_LA_CODE = re.compile(r"^[EWSN]\d{8}$")


def _data_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "childrens_social_care"


def _authority_key(text: str) -> str:
    key = value_key(text).replace("&", " and ").replace(".", "")
    key = re.sub(r"\b(council|metropolitan|borough|county|city|of|the|mbc|mdc)\b", " ", key)
    return _WS.sub(" ", re.sub(r"[^a-z0-9 ]", " ", key)).strip()


@cache
def authority_table() -> dict[str, str]:
    """Matching key of an English LA name, old DfE number or ONS code -> ONS code (``E0...``).

    Built from the DfE looked-after-children table bundled in ``data/childrens_social_care``.

    Examples
    --------
    >>> authority_table()["kirklees"]
    'E08000034'
    """
    frame = pd.read_csv(_data_dir() / _NETGAIN, dtype=str, keep_default_na=False)
    frame = frame[frame["geographic_level"] == "Local authority"]
    table: dict[str, str] = {}
    for old, name, code in (
        frame[["old_la_code", "la_name", "new_la_code"]].drop_duplicates().itertuples(index=False)
    ):
        if not code:
            continue
        table[code.lower()] = code
        table[_authority_key(name)] = code
        table[value_key(name)] = code
        if old:
            table[old] = code
    return table


def _factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values (object array); Arrow-backed text is encoded without objects."""
    if isinstance(series.dtype, pd.StringDtype) and not series.hasnans:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        return np.asarray(codes), np.asarray(uniques, dtype=object)
    raw_codes, raw_uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    return np.asarray(raw_codes), np.asarray(raw_uniques, dtype=object)


def _per_unique(
    series: pd.Series, func: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
) -> tuple[pd.Series, pd.Series]:
    """Apply ``func`` to the distinct values of ``series`` and broadcast back."""
    codes, uniques = _factorize(series)
    values, reasons = func(uniques)
    out_values = np.asarray(values, dtype=object)[codes] if len(codes) else np.array([])
    out_reasons = np.asarray(reasons, dtype=object)[codes] if len(codes) else np.array([])
    return (
        pd.Series(out_values, index=series.index, dtype=object),
        pd.Series(out_reasons, index=series.index, dtype=object),
    )


def parse_vocabulary(
    series: pd.Series,
    *,
    field: str,
    vocabulary: dict[str, str],
    user_values: dict[str, str] | None = None,
    unknown: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Map text onto a controlled vocabulary.

    Parameters
    ----------
    series : pandas.Series
        Text values (``""`` = missing, returned as None with no reason).
    field : str
        Field name used in reasons.
    vocabulary : dict
        :func:`value_key` of an accepted spelling -> canonical value.
    user_values : dict, optional
        The mapping file's ``values:`` for this field (their value -> our value or a synonym).
    unknown : str, optional
        Value for an unknown spelling (``"other"`` for category); None makes it a reason.

    Examples
    --------
    >>> s = pd.Series(["Child Sexual Exploitation", "NRM", "", "purple"])
    >>> v, r = parse_vocabulary(s, field="category", vocabulary=CATEGORY, unknown="other")
    >>> list(v), list(r)
    (['CSE', 'trafficking/modern slavery', None, 'other'], ['', '', '', ''])
    >>> v, r = parse_vocabulary(s.iloc[3:], field="risk_level", vocabulary=RISK)
    >>> r.iloc[0]
    "risk_level: unknown value 'purple'"
    """
    user = {value_key(k): v for k, v in (user_values or {}).items()}

    def convert(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.empty(len(uniques), dtype=object)
        reasons = np.full(len(uniques), "", dtype=object)
        for i, raw in enumerate(uniques):
            key = value_key(raw)
            if not key:
                values[i] = None
                continue
            if key in user:
                key = value_key(user[key])
            hit = vocabulary.get(key)
            if hit is None:
                hit = next((v for v in vocabulary.values() if value_key(v) == key), None)
            if hit is None:
                hit = unknown
                if unknown is None:
                    reasons[i] = f"{field}: unknown value {_show(raw)}"
            values[i] = hit
        return values, reasons

    return _per_unique(series, convert)


def parse_authority(
    series: pd.Series,
    *,
    field: str = "placing_authority",
    user_values: dict[str, str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Normalise a local authority name, old DfE number or ONS code to the ONS code.

    Examples
    --------
    >>> names = ["Kirklees Council", "e08000034", "382", "Bristol, City of", "Atlantis"]
    >>> v, r = parse_authority(pd.Series(names))
    >>> list(v)
    ['E08000034', 'E08000034', 'E08000034', 'E06000023', None]
    >>> r.iloc[4]
    "placing_authority: unknown local authority 'Atlantis'"
    """
    table = authority_table()
    user = {value_key(k): v for k, v in (user_values or {}).items()}

    def convert(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.empty(len(uniques), dtype=object)
        reasons = np.full(len(uniques), "", dtype=object)
        for i, raw in enumerate(uniques):
            text = str(raw).strip()
            if not text:
                values[i] = None
                continue
            text = user.get(value_key(text), text)
            code = table.get(value_key(text)) or table.get(_authority_key(text))
            if code is None and _LA_CODE.match(text.upper()):
                code = text.upper()  # a valid-looking ONS code not in the DfE table (new LA)
            if code is None:
                reasons[i] = f"{field}: unknown local authority {_show(raw)}"
            values[i] = code
        return values, reasons

    return _per_unique(series, convert)


_BOOL: Final[dict[str, bool]] = {
    **dict.fromkeys(["yes", "y", "true", "t", "1", "1.0"], True),
    **dict.fromkeys(["no", "n", "false", "f", "0", "0.0"], False),
}


def parse_bool(series: pd.Series, *, field: str) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no/y/n/true/false/1/0 (any case) into a nullable boolean.

    Examples
    --------
    >>> v, r = parse_bool(pd.Series(["Yes", "n", "", "maybe"]), field="rhi_offered")
    >>> v.tolist(), r.iloc[3]
    ([True, False, <NA>, <NA>], "rhi_offered: 'maybe' is not yes/no")
    """

    def convert(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.empty(len(uniques), dtype=object)
        reasons = np.full(len(uniques), "", dtype=object)
        for i, raw in enumerate(uniques):
            key = value_key(raw)
            values[i] = _BOOL.get(key)
            if key and values[i] is None:
                reasons[i] = f"{field}: {_show(raw)} is not yes/no"
        return values, reasons

    values, reasons = _per_unique(series, convert)
    return values.astype("boolean"), reasons


def parse_age(series: pd.Series, *, field: str = "age") -> tuple[pd.Series, pd.Series]:
    """Parse an age in whole years within ``AGE_MIN``-``AGE_MAX`` (0-25).

    Examples
    --------
    >>> v, r = parse_age(pd.Series(["14", " 17.0", "", "31", "ten"]))
    >>> v.tolist()
    [14, 17, <NA>, <NA>, <NA>]
    >>> list(r)[3:]
    ["age: '31' is outside 0-25", "age: 'ten' is not a whole number of years"]
    """
    text = series.astype(object).fillna("").astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    whole = numbers.notna() & (numbers == np.floor(numbers))
    in_range = whole & (numbers >= AGE_MIN) & (numbers <= AGE_MAX)
    reasons = np.full(len(text), "", dtype=object)
    bad_number = ((text != "") & ~whole).to_numpy()
    out = (whole & ~in_range).to_numpy()
    raw = text.to_numpy(dtype=object)
    for i in np.flatnonzero(bad_number):
        reasons[i] = f"{field}: {_show(raw[i])} is not a whole number of years"
    for i in np.flatnonzero(out):
        reasons[i] = f"{field}: {_show(raw[i])} is outside {AGE_MIN}-{AGE_MAX}"
    values = numbers.where(in_range).astype("Int64")
    return values, pd.Series(reasons, index=series.index, dtype=object)


_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_UK = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2}(:\d{2})?)?$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")
_WORDS_FORMATS: Final[tuple[str, ...]] = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")
EXCEL_EPOCH: Final[pd.Timestamp] = pd.Timestamp("1899-12-30")


def parse_dates(
    series: pd.Series, *, field: str, now: pd.Timestamp | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse ISO, UK ``dd/mm/yyyy`` (``-`` and ``.`` separators too), ``12 March 2024`` and
    Excel serial dates (with optional times) into ``datetime64``.

    Unparseable values and dates after ``now`` (default: the current time) are reasons;
    American ``mm/dd/yyyy`` is never guessed (a UK day-first reading is used, and an impossible
    one, like ``03/25/2024``, is a reason).

    Examples
    --------
    >>> v, r = parse_dates(pd.Series(["2024-03-05", "05/03/2024 14:30", "45356", "5 March 2024",
    ...                               "", "31/02/2024", "2999-01-01"]), field="reported_date")
    >>> [str(x) for x in v[:4]]
    ['2024-03-05 00:00:00', '2024-03-05 14:30:00', '2024-03-05 00:00:00', '2024-03-05 00:00:00']
    >>> for reason in r[4:]:
    ...     print(reason)
    <BLANKLINE>
    reported_date: '31/02/2024' is not a date
    reported_date: '2999-01-01' is in the future
    """
    limit = pd.Timestamp.now() if now is None else now

    def convert(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        text = pd.Series(uniques, dtype=object).astype(str).str.strip()
        text = text.str.replace(r"\s+", " ", regex=True)
        result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ms]")
        iso = text.str.match(_ISO)
        if iso.any():
            result[iso] = pd.to_datetime(
                text[iso].str.replace("T", " "), format="ISO8601", errors="coerce"
            )
        uk_text = text.str.replace(r"^(\d{1,2})[-.](\d{1,2})[-.](\d{4})", r"\1/\2/\3", regex=True)
        uk = ~iso & uk_text.str.match(_UK)
        for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
            todo = uk & result.isna()
            if todo.any():
                result[todo] = pd.to_datetime(uk_text[todo], format=fmt, errors="coerce")
        serial = ~iso & ~uk & text.str.match(_SERIAL)
        if serial.any():
            days = pd.to_numeric(text[serial], errors="coerce")
            days = days.where((days >= 1) & (days < 2958466))
            result[serial] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D").dt.round("s")
        for fmt in _WORDS_FORMATS:
            todo = result.isna() & ~iso & ~uk & ~serial & (text != "")
            if todo.any():
                cleaned = text[todo].str.replace(r"(\d)(st|nd|rd|th)\b", r"\1", regex=True)
                result[todo] = pd.to_datetime(
                    cleaned.str.replace(",", ""), format=fmt, errors="coerce"
                )
        reasons = np.full(len(text), "", dtype=object)
        bad = (text != "") & result.isna()
        future = result > limit
        old = result < pd.Timestamp("1900-01-01")
        for i in np.flatnonzero(bad.to_numpy()):
            reasons[i] = f"{field}: {_show(uniques[i])} is not a date"
        for i in np.flatnonzero(future.to_numpy()):
            reasons[i] = f"{field}: {_show(uniques[i])} is in the future"
        for i in np.flatnonzero(old.to_numpy()):
            reasons[i] = f"{field}: {_show(uniques[i])} is before 1900"
        return result.to_numpy(dtype="datetime64[ms]", copy=True), reasons

    # Broadcast datetime64 values by code (no per-row Timestamp objects).
    codes, uniques = _factorize(series)
    parsed_u, reasons_u = convert(uniques)
    parsed_u[reasons_u != ""] = np.datetime64("NaT", "ms")
    parsed = parsed_u[codes] if len(codes) else np.array([], dtype="datetime64[ms]")
    if len(codes):
        parsed[codes < 0] = np.datetime64("NaT", "ms")
    reasons = np.asarray(reasons_u, dtype=object)[codes] if len(codes) else np.array([], object)
    if len(codes):
        reasons[codes < 0] = ""
    return (
        pd.Series(parsed, index=series.index, dtype="datetime64[ms]"),
        pd.Series(reasons, index=series.index, dtype=object),
    )


def _show(value: object, limit: int = 60) -> str:
    """Quote a raw value for a reason, shortened and with control characters escaped."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + f"...({len(str(value))} characters)"
    return repr(text)
