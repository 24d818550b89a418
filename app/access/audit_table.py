"""The audit log's entries as a filtered table (the Audit page and ``csmap audit show``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd

__all__ = ["COLUMNS", "details_summary", "entries_table"]

#: Columns of :func:`entries_table`.
COLUMNS = ("seq", "time", "user", "role", "action", "what", "rows", "reason", "details", "hash")


def _utc(value: str | dt.datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def entries_table(
    lines: Iterable[bytes | str],
    *,
    store: str | None = None,
    user: str | None = None,
    role: str | None = None,
    action: str | None = None,
    since: str | dt.datetime | None = None,
    until: str | dt.datetime | None = None,
    text: str | None = None,
) -> pd.DataFrame:
    """Audit log lines as a DataFrame, filtered (``text`` searches the details JSON).

    Parameters
    ----------
    lines : iterable of bytes or str
        The log's JSON lines; unreadable ones are skipped (verify the log for damage).
    store : str, optional
        Keep only this store's entries (and entries that name no store, written before entries
        recorded it).
    user, role, action : str, optional
        Exact matches.
    since, until : str or datetime, optional
        Time bounds (UTC when naive), inclusive.
    text : str, optional
        Case-insensitive search in the details JSON.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: ``time`` as UTC datetime, ``details`` as JSON text.

    Examples
    --------
    >>> rows = ['{"seq": 1, "time": "2026-01-02T10:00:00.000000Z", "user": "jo", "store": "/a",'
    ...         ' "action": "export", "details": {"what": "concerns", "reason": "board"}}',
    ...         '{"seq": 2, "user": "sam", "store": "/b", "action": "export", "details": {}}']
    >>> entries_table(rows, store="/a")[["seq", "user", "reason"]].to_dict("records")
    [{'seq': 1, 'user': 'jo', 'reason': 'board'}]
    """
    records = []
    for raw in lines:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        if store is not None and entry.get("store", store) != store:
            continue  # another store's entry in a shared log
        details = entry.get("details") or {}
        if not isinstance(details, dict):
            details = {"value": details}
        records.append(
            {
                "seq": entry.get("seq"),
                "time": entry.get("time"),
                "user": entry.get("user"),
                "role": entry.get("role"),
                "action": entry.get("action"),
                "what": details.get("what"),
                "rows": details.get("rows"),
                "reason": details.get("reason"),
                "details": json.dumps(details, sort_keys=True, ensure_ascii=False),
                "hash": entry.get("hash"),
            }
        )
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], utc=True, errors="coerce")
    keep = pd.Series(True, index=frame.index)
    for column, value in (("user", user), ("role", role), ("action", action)):
        if value is not None:
            keep &= frame[column] == value
    if since is not None:
        keep &= frame["time"] >= _utc(since)
    if until is not None:
        keep &= frame["time"] <= _utc(until)
    if text:
        keep &= frame["details"].str.contains(text, case=False, regex=False)
    return frame[keep].reset_index(drop=True)


def _plain(value: object) -> str | None:
    """A details value as short text; None for empty values (left out of the summary)."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, dict):
        parts = [f"{k} {v}" for k, v in ((k, _plain(v)) for k, v in value.items()) if v]
        return "(" + ", ".join(parts) + ")" if parts else None
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def details_summary(details: str) -> str:
    """An entry's details JSON as one readable line for people (the Audit page).

    ``page`` and ``result`` come first, empty values are left out, and ``what``, ``rows`` and
    ``reason`` (their own columns) are not repeated.

    Examples
    --------
    >>> details_summary('{"filters": {"age_band": null, "categories": ["CSE"]}, "page": "map"}')
    'page: map; filters: (categories CSE)'
    >>> details_summary('{"what": "concerns", "rows": 3, "result": "ok"}')
    'result: ok'
    >>> details_summary("not json")
    'not json'
    """
    try:
        data = json.loads(details)
    except (TypeError, ValueError):
        return str(details)
    if not isinstance(data, dict):
        return str(data)
    first = [k for k in ("page", "result", "error") if k in data]
    keys = first + sorted(k for k in data if k not in first and k not in {"what", "rows", "reason"})
    parts = [(k, _plain(data[k])) for k in keys]
    return "; ".join(f"{k}: {v}" for k, v in parts if v is not None)
