"""Copies of the audit log's head kept outside the log (issue #12): in the store, and in a witness.

**Store anchor.**
The head (last ``seq`` and ``hash``, the time and the log's path) is stored as JSON in the store's
metadata table (:mod:`geo.store.meta`, key :data:`ANCHOR_KEY`), written in place under the
store's writer lock. :meth:`app.access.audit.AuditLog.verify` compares the log against it with
:func:`disagreement`: a log with fewer entries than the anchor (truncated, wiped, rolled back to a
copy) or another hash at the anchored ``seq`` (rewritten) fails.

**Witness file** (optional, ``$CSMAP_AUDIT_WITNESS``): every append also adds one JSON line
(``log``, ``seq``, ``hash``) to this file, opened append-only. Put it where the account running
csmap can append but not rewrite (``chattr +a``, which only root lifts, or a file on another
machine's append-only share); :meth:`app.access.audit.AuditLog.verify` compares the log with the
last
line for it. Because each entry's hash chains all earlier ones, matching the last recorded
``seq`` and ``hash`` vouches for the whole log up to there.

What this proves and what it does not is in ``docs/deployment.md`` ("Audit").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from geo.errors import StoreError

__all__ = [
    "ANCHOR_KEY",
    "WITNESS_ENV",
    "append_witness",
    "disagreement",
    "last_witness",
    "read_anchor",
    "witness_path",
    "write_anchor",
]

#: Key of the audit anchor in the store's metadata.
ANCHOR_KEY: Final[str] = "audit_anchor"
#: Environment variable naming the witness file.
WITNESS_ENV: Final[str] = "CSMAP_AUDIT_WITNESS"
_BLOCK: Final[int] = 1 << 16


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
    >>> con = sqlite3.connect(p)  # as in a GeoPackage
    >>> _ = con.execute("CREATE TABLE gpkg_contents (table_name TEXT)"); con.close()
    >>> write_anchor(p, seq=3, digest="ab" * 32, log=p.with_name("s.gpkg.audit.jsonl"))["seq"]
    3
    >>> read_anchor(p)["seq"]
    3
    """
    from geo.store.meta import read_meta

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


def is_geopackage(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an SQLite database holding a GeoPackage (read-only check).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "empty.gpkg"
    >>> _ = p.write_bytes(b"")
    >>> is_geopackage(p), p.stat().st_size
    (False, 0)
    """
    target = Path(path)
    if not target.is_file() or target.stat().st_size == 0:
        return False
    try:
        with contextlib.closing(
            sqlite3.connect(f"{target.resolve().as_uri()}?mode=ro", uri=True)
        ) as con:
            row = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'"
            ).fetchone()
    except sqlite3.Error:
        return False
    return row is not None


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
    >>> con = sqlite3.connect(p)  # a GeoPackage has this table (csmap's stores are GeoPackages)
    >>> _ = con.execute("CREATE TABLE gpkg_contents (table_name TEXT)"); con.close()
    >>> sorted(write_anchor(p, seq=1, digest="0" * 64, log=p.with_name("a.jsonl")))
    ['hash', 'log', 'seq', 'time']
    """
    from geo.store.gpkg import Store
    from geo.store.meta import set_meta

    if not is_geopackage(store):
        # never make a database out of an empty or foreign file to hold the anchor
        raise StoreError(f"{store}: not a csmap store (GeoPackage); no audit anchor written")
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


def witness_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The witness file (``$CSMAP_AUDIT_WITNESS``), or None when none is configured.

    Examples
    --------
    >>> witness_path({"CSMAP_AUDIT_WITNESS": "/var/lib/csmap-witness/audit"})
    PosixPath('/var/lib/csmap-witness/audit')
    >>> witness_path({}) is None
    True
    """
    value = (os.environ if environ is None else environ).get(WITNESS_ENV)
    return Path(value).expanduser() if value else None


def append_witness(
    witness: str | os.PathLike[str], *, log: str | os.PathLike[str], seq: int, digest: str
) -> None:
    """Append one line (``log``, ``seq``, ``hash``) to the witness file (created 0600), synced.

    Raises
    ------
    OSError
        The witness cannot be appended to.

    Examples
    --------
    >>> import tempfile
    >>> w = Path(tempfile.mkdtemp()) / "witness"
    >>> append_witness(w, log="/srv/a.jsonl", seq=1, digest="ab")
    >>> last_witness(w, log="/srv/a.jsonl")
    {'log': '/srv/a.jsonl', 'seq': 1, 'hash': 'ab'}
    """
    line = json.dumps({"log": str(Path(log).resolve()), "seq": int(seq), "hash": str(digest)})
    fd = os.open(witness, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def last_witness(
    witness: str | os.PathLike[str], *, log: str | os.PathLike[str]
) -> dict[str, Any] | None:
    """The last line of the witness for ``log`` (None when it has none), read from the end.

    Raises
    ------
    FileNotFoundError
        No witness file.

    Examples
    --------
    >>> import tempfile
    >>> w = Path(tempfile.mkdtemp()) / "witness"
    >>> for n, name in enumerate(["/a", "/b", "/a"], start=1):
    ...     append_witness(w, log=name, seq=n, digest=f"h{n}")
    >>> [last_witness(w, log=name)["seq"] for name in ("/a", "/b")], last_witness(w, log="/c")
    ([3, 2], None)
    """
    wanted = str(Path(log).resolve())
    with open(witness, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        position, rest = handle.tell(), b""
        while True:
            lines = rest.split(b"\n")
            for raw in reversed(lines[1:] if position > 0 else lines):
                try:
                    mark = json.loads(raw) if raw.strip() else None
                except ValueError:
                    continue  # a damaged line; the chain check finds real damage
                if isinstance(mark, dict) and mark.get("log") == wanted:
                    return mark
            if position == 0:
                return None
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            rest = handle.read(step) + lines[0]
