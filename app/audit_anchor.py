"""The audit log's head anchored in its store (issue #12): where the log's writer cannot quietly
rewrite it alongside the log.

The head (last ``seq`` and ``hash``, the time and the log's path) is stored as JSON in the store's
metadata table (:mod:`geo.store_meta`, key :data:`ANCHOR_KEY`), written in place under the
store's writer lock. :meth:`app.audit.AuditLog.verify` compares the log against it with
:func:`disagreement`: a log with fewer entries than the anchor (truncated, wiped, rolled back to a
copy) or another hash at the anchored ``seq`` (rewritten) fails. What this proves and what it
does not is in ``docs/deployment.md`` ("Audit log").
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from geo.errors import StoreError

__all__ = ["ANCHOR_KEY", "disagreement", "read_anchor", "write_anchor"]

#: Key of the audit anchor in the store's metadata.
ANCHOR_KEY: Final[str] = "audit_anchor"


def read_anchor(store: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The anchor in the store at ``store`` (None when there is no store file or no anchor).

    Raises
    ------
    geo.errors.StoreError
        The store cannot be read, or its anchor is not an anchor (damaged).

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> read_anchor(p) is None
    True
    >>> sqlite3.connect(p).close()
    >>> write_anchor(p, seq=3, digest="ab" * 32, log=p.with_name("s.gpkg.audit.jsonl"))["seq"]
    3
    >>> read_anchor(p)["seq"]
    3
    """
    from geo.store_meta import read_meta  # noqa: PLC0415

    path = Path(store)
    if not path.is_file():
        return None
    raw = read_meta(path).get(ANCHOR_KEY)
    if raw is None:
        return None
    try:
        anchor = json.loads(raw)
        int(anchor["seq"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: the audit anchor is damaged") from exc
    return dict(anchor)


def write_anchor(
    store: str | os.PathLike[str], *, seq: int, digest: str, log: str | os.PathLike[str]
) -> dict[str, Any]:
    """Write the anchor (``seq``, ``hash``, time, log path) into the store, in place, locked.

    Raises
    ------
    geo.errors.StoreError
        The store cannot be written.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> sqlite3.connect(p).close()
    >>> sorted(write_anchor(p, seq=1, digest="0" * 64, log=p.with_name("a.jsonl")))
    ['hash', 'log', 'seq', 'time']
    """
    from geo.store import Store  # noqa: PLC0415
    from geo.store_meta import set_meta  # noqa: PLC0415

    anchor = {
        "seq": int(seq),
        "hash": str(digest),
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "log": str(Path(log).resolve()),
    }
    try:
        with Store(store).lock():
            set_meta(Path(store), key=ANCHOR_KEY, value=json.dumps(anchor), in_place=True)
    except OSError as exc:
        raise StoreError(f"{store}: {exc}") from exc
    return anchor


def disagreement(
    mark: Mapping[str, Any], hashes: Mapping[int, str], n: int, *, what: str
) -> tuple[int, str] | None:
    """Where a log of ``n`` entries disagrees with a recorded head ``mark``, else None.

    Parameters
    ----------
    mark : mapping
        A recorded head: ``seq`` and ``hash`` (the head file or the store's anchor).
    hashes : mapping
        The log's hash per ``seq`` (``0``: the genesis hash).
    n : int
        Entries in the log.
    what : str
        What recorded the head, for the message.

    Returns
    -------
    (int, str) or None
        The first bad ``seq`` and the message.

    Examples
    --------
    >>> disagreement({"seq": 5, "hash": "h5"}, {0: "g", 1: "h1"}, 1, what="the anchor")[0]
    2
    >>> disagreement({"seq": 1, "hash": "h1"}, {0: "g", 1: "h1"}, 1, what="the anchor") is None
    True
    """
    try:
        seq = int(mark.get("seq", 0))
    except (TypeError, ValueError):
        return n + 1, f"{what} is damaged"
    if seq > n:
        return (
            n + 1,
            f"entry {n + 1}: missing; {what} says {seq} entries, the log has {n} "
            "(truncated, wiped or rolled back)",
        )
    if seq < 0 or hashes.get(seq) != mark.get("hash"):
        return seq, f"entry {seq}: does not match the hash in {what} (rewritten)"
    return None
