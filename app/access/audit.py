"""Append-only, tamper-evident audit log (JSON lines, hash-chained).

Each line is one entry::

    {"seq": 7, "time": "2026-11-21T10:02:03.123456Z", "user": "jo", "role": "analyst",
     "action": "export", "details": {"what": "concerns", "rows": 120, "reason": "..."},
     "prev_hash": "<hash of entry 6>", "hash": "<sha256 of this entry without 'hash'>"}

``hash`` is the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the entry
including ``prev_hash``; the first entry's ``prev_hash`` is 64 zeros. Editing, deleting,
reordering or truncating lines breaks the chain, and :meth:`AuditLog.verify` names the first bad
``seq``. Removing whole lines from the *end* leaves a valid chain, so every append also writes
the head (last ``seq`` and ``hash``) to a sidecar ``<log>.head``; a log shorter than its head is
reported as truncated. A hash chain detects changes made without recomputing the hashes.

One log per store (issue #12): :func:`default_audit_path` derives the log from the store's path
(``<store>.audit.jsonl`` beside it) unless ``$CSMAP_AUDIT_LOG`` names one, and every entry of an
:class:`AuditLog` opened for a store records the store (``"store"``: its absolute path);
:meth:`AuditLog.read` then shows only that store's entries. :meth:`AuditLog.anchor` copies the
head (``seq``, ``hash``) into the store's own metadata (:mod:`app.access.audit_anchor`): every CLI
command that ingests, exports or deletes does it after logging, and :meth:`AuditLog.verify`
fails when the log holds fewer entries than the anchor or another hash at the anchored ``seq``
(truncation, a wiped log and head, a log rolled back from a copy, a rewritten chain). With
``$CSMAP_AUDIT_WITNESS`` set, every append also goes to that append-only witness file and verify
checks it the same way. What this does and does not prove: ``docs/deployment.md`` ("Audit").

Appends take an exclusive ``flock`` on the log, write one line and ``fsync``; the file is created
with mode 0600. Record-level exports need a stated reason (:class:`ReasonRequired`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import pandas as pd

from app.access.audit_anchor import (
    append_witness,
    disagreement,
    last_witness,
    read_anchor,
    witness_path,
    write_anchor,
)
from app.access.audit_table import entries_table
from geo.errors import CsmapError

__all__ = [
    "ACTIONS",
    "GENESIS_HASH",
    "AuditLog",
    "AuditLogError",
    "ReasonRequired",
    "VerifyResult",
    "default_audit_path",
    "entry_hash",
]

#: Actions the app and CLI log.
ACTIONS: Final[tuple[str, ...]] = (
    "sign_in",
    "sign_out",
    "sign_in_failed",
    "sign_in_locked",
    "page_view",
    "export",
    "ingest",
    "retention",
    "user_add",
    "user_remove",
    "user_unlock",
    "settings",
)
GENESIS_HASH: Final[str] = "0" * 64


class AuditLogError(CsmapError):
    """The audit log cannot be read or appended to."""


class ReasonRequired(CsmapError):  # noqa: N818 (name fixed by the shared contract)
    """A record-level export was attempted without a stated reason."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`AuditLog.verify`.

    Attributes
    ----------
    ok : bool
        The whole chain checks out.
    first_bad_seq : int or None
        The first sequence number (1-based line position) that fails, else None.
    message : str
        What is wrong, or a summary with the head hash.
    n_entries : int
        Lines read.
    head_hash : str
        Hash of the last valid entry.
    anchor : {"matched", "none", "other log"}
        The store's anchor agrees with the log; there is no store or no anchor in it yet; or the
        store's anchor was taken from another log (e.g. a store restored or copied elsewhere), so
        the log could not be checked against it.
    """

    ok: bool
    first_bad_seq: int | None
    message: str
    n_entries: int = 0
    head_hash: str = GENESIS_HASH
    anchor: str = "none"


def default_audit_path(
    *, store: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """``$CSMAP_AUDIT_LOG``, else ``<store>.audit.jsonl`` beside the store, else the user's log.

    Parameters
    ----------
    store : path, optional
        The store the log belongs to (one log per store).
    environ : mapping, optional
        Environment to read (default ``os.environ``).

    Examples
    --------
    >>> default_audit_path(store="/srv/csmap/kirklees.gpkg", environ={})
    PosixPath('/srv/csmap/kirklees.gpkg.audit.jsonl')
    >>> default_audit_path(store="/srv/a.gpkg", environ={"CSMAP_AUDIT_LOG": "/var/log/a.jsonl"})
    PosixPath('/var/log/a.jsonl')
    """
    env = (os.environ if environ is None else environ).get("CSMAP_AUDIT_LOG")
    if env:
        return Path(env).expanduser()
    if store is not None:
        path = Path(store).expanduser()
        return path.with_name(path.name + ".audit.jsonl")
    return Path.home() / ".local" / "share" / "csmap" / "audit.jsonl"


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(
        entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True
    ).encode("utf-8")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``entry`` without its ``hash`` key.

    Examples
    --------
    >>> len(entry_hash({"seq": 1, "prev_hash": GENESIS_HASH}))
    64
    """
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _last_line(handle: IO[bytes]) -> bytes:
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    if end == 0:
        return b""
    block = 4096
    data = b""
    position = end
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
        if data.rstrip(b"\n").count(b"\n") >= 1:
            break
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1]


class AuditLog:
    """The audit log at ``path`` (created on first append).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
    >>> _ = log.append(user="jo", role="analyst", action="sign_in")
    >>> _ = log.export(user="jo", role="analyst", what="concerns", rows=12,
    ...                record_level=True, reason="strategy meeting 3 Dec")
    >>> log.verify().ok, len(log.read())
    (True, 2)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        store: str | os.PathLike[str] | None = None,
        witness: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.store = None if store is None else Path(store).expanduser().resolve()
        self.witness = None if witness is None else Path(witness)

    @classmethod
    def for_store(
        cls, store: str | os.PathLike[str] | None, *, log: str | os.PathLike[str] | None = None
    ) -> AuditLog:
        """The audit log of ``store``: ``log`` if given, else :func:`default_audit_path`.

        The witness file is ``$CSMAP_AUDIT_WITNESS`` when set (:mod:`app.access.audit_anchor`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> AuditLog.for_store(folder / "s.gpkg", log=folder / "a.jsonl").path.name
        'a.jsonl'
        """
        path = Path(log) if log is not None else default_audit_path(store=store)
        return cls(path, store=store, witness=witness_path())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def append(
        self,
        *,
        user: str,
        role: str,
        action: str,
        details: Mapping[str, Any] | None = None,
        time: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Append one entry and return it (with ``seq`` and ``hash``).

        Parameters
        ----------
        user, role : str
            Who acted.
        action : str
            One of :data:`ACTIONS`.
        details : mapping, optional
            Filters, what, rows, reason... (JSON; other values are written as text).
        time : datetime, optional
            When (default now, UTC).

        Raises
        ------
        ReasonRequired
            ``action="export"`` with ``details["record_level"]`` true and no ``reason``.
        AuditLogError
            Unknown action, or the log's last line is damaged (verify it first).
        """
        if action not in ACTIONS:
            raise AuditLogError(f"unknown audit action {action!r}; actions: {', '.join(ACTIONS)}")
        clean = json.loads(json.dumps(dict(details or {}), default=str))
        reason = str(clean.get("reason") or "").strip()
        if action == "export" and clean.get("record_level") and not reason:
            raise ReasonRequired("a record-level export needs a stated reason")
        when = (time or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        with self._locked() as handle:
            last = _last_line(handle)
            if last:
                try:
                    previous = json.loads(last)
                    seq, prev_hash = int(previous["seq"]) + 1, str(previous["hash"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise AuditLogError(
                        f"{self.path}: the last line is damaged; run `csmap audit verify`"
                    ) from exc
            else:
                seq, prev_hash = 1, GENESIS_HASH
            entry: dict[str, Any] = {
                "seq": seq,
                "time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "user": str(user),
                "role": str(role),
                "action": action,
                "details": clean,
                "prev_hash": prev_hash,
            }
            if self.store is not None:
                entry["store"] = str(self.store)
            entry["hash"] = entry_hash(entry)
            handle.seek(0, os.SEEK_END)
            handle.write(_canonical(entry) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            self._write_head(seq, entry["hash"])
            if self.witness is not None:
                try:
                    append_witness(self.witness, log=self.path, seq=seq, digest=entry["hash"])
                except OSError as exc:
                    raise AuditLogError(
                        f"entry {seq} written, but not to the witness {self.witness}: {exc}"
                    ) from exc
        return entry

    def _write_head(self, seq: int, digest: str) -> None:
        tmp = self.head_path.with_name(self.head_path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"seq": seq, "hash": digest}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.head_path)

    def export(
        self,
        *,
        user: str,
        role: str,
        what: str,
        rows: int,
        record_level: bool,
        reason: str | None = None,
        filters: Mapping[str, Any] | None = None,
        file_name: str | None = None,
    ) -> dict[str, Any]:
        """Log an export (what, how many rows, filters, reason); record level needs a reason."""
        details = {
            "what": what,
            "rows": int(rows),
            "record_level": bool(record_level),
            "reason": (reason or "").strip() or None,
            "filters": dict(filters or {}),
            "file_name": file_name,
        }
        return self.append(user=user, role=role, action="export", details=details)

    def _lines(self) -> list[bytes]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AuditLogError(f"{self.path}: cannot read the audit log: {exc}") from exc
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines

    def verify(self) -> VerifyResult:
        """Check the chain, the head file and the store's anchor; report the first bad ``seq``.

        The log, its head and the anchor are read under a shared lock on the log, so an append
        (or an anchor) made meanwhile is not mistaken for truncation.

        Returns
        -------
        VerifyResult
        """
        if not self.path.exists():
            return self._verify()
        with open(self.path, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            try:
                return self._verify()
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _verify(self) -> VerifyResult:
        prev = GENESIS_HASH
        lines = self._lines()
        hashes: dict[int, str] = {}
        for position, raw in enumerate(lines, start=1):

            def bad(why: str, position: int = position, prev: str = prev) -> VerifyResult:
                return VerifyResult(False, position, f"entry {position}: {why}", len(lines), prev)

            try:
                entry = json.loads(raw)
            except ValueError:
                return bad("not valid JSON (edited or truncated)")
            if not isinstance(entry, dict) or "hash" not in entry:
                return bad("not an audit entry")
            if entry.get("seq") != position:
                return bad(f"has seq {entry.get('seq')!r} (lines deleted, inserted or reordered)")
            if entry.get("prev_hash") != prev:
                return bad("prev_hash does not match the previous entry (chain broken)")
            if entry_hash(entry) != entry["hash"]:
                return bad("content does not match its hash (edited)")
            prev = entry["hash"]
            hashes[position] = prev
        hashes[0] = GENESIS_HASH
        n = len(lines)
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            head = None
        except (OSError, ValueError):
            return VerifyResult(False, n + 1, f"{self.head_path}: head file damaged", n, prev)
        if self.witness is not None:
            try:
                mark = last_witness(self.witness, log=self.path)
            except FileNotFoundError:
                mark = None
                if n:
                    why = f"the witness file {self.witness} is missing"
                    return VerifyResult(False, n + 1, why, n, prev)
            except OSError as exc:
                return VerifyResult(False, n + 1, f"{self.witness}: unreadable: {exc}", n, prev)
            if mark is not None:
                broken = disagreement(mark, hashes, n, what="the witness file")
                if broken is not None:
                    return VerifyResult(False, broken[0], broken[1], n, prev)
        anchor = self.read_anchor()
        note = ""
        anchored = "none"
        if anchor is not None and anchor.get("log", str(self.path.resolve())) != str(
            self.path.resolve()
        ):
            note = f"; the store's anchor is for another log ({anchor['log']}), not checked"
            anchored = "other log"
        elif anchor is not None:
            what = f"the store's anchor ({anchor.get('time', 'time unknown')})"
            broken = disagreement(anchor, hashes, n, what=what)
            if broken is not None:
                return VerifyResult(False, broken[0], broken[1], n, prev)
            note = f"; matches the store's anchor at entry {anchor.get('seq')}"
            anchored = "matched"
        elif self.store is not None:
            note = "; no anchor in the store yet"
        if head is not None:
            broken = disagreement(head, hashes, n, what="the head file")
            if broken is not None:
                return VerifyResult(False, broken[0], broken[1], n, prev)
        elif n:
            return VerifyResult(False, n + 1, f"{self.head_path}: head file missing", n, prev)
        message = f"{n} entries, chain intact, head {prev}{note}"
        return VerifyResult(True, None, message, n, prev, anchor=anchored)

    def read_anchor(self) -> dict[str, Any] | None:
        """The head anchored in the store (:func:`app.access.audit_anchor.read_anchor`), or None.

        Raises
        ------
        AuditLogError
            The store or its anchor cannot be read.
        """
        if self.store is None:
            return None
        try:
            return read_anchor(self.store)
        except CsmapError as exc:
            raise AuditLogError(f"cannot read the audit anchor: {exc}") from exc

    def anchor(self) -> dict[str, Any] | None:
        """Copy the log's head into the store (:func:`app.access.audit_anchor.write_anchor`).

        Nothing is written without a store file, or while the log is empty.

        Returns
        -------
        dict or None
            The anchor written.

        Raises
        ------
        AuditLogError
            The log's last line is damaged, or the store cannot be written.

        Examples
        --------
        >>> import sqlite3, tempfile, pathlib
        >>> store = pathlib.Path(tempfile.mkdtemp()) / "s.gpkg"
        >>> con = sqlite3.connect(store)  # as in a GeoPackage
        >>> _ = con.execute("CREATE TABLE gpkg_contents (table_name TEXT)"); con.close()
        >>> log = AuditLog.for_store(store, log=store.with_name("a.jsonl"))
        >>> _ = log.append(user="jo", role="admin", action="ingest")
        >>> log.anchor()["seq"], log.read_anchor()["seq"], log.verify().ok
        (1, 1, True)
        """
        if self.store is None or not self.store.is_file():
            return None
        with self._locked() as handle:
            last = _last_line(handle)
        if not last:
            return None
        try:
            entry = json.loads(last)
            seq, digest = int(entry["seq"]), str(entry["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditLogError(f"{self.path}: the last line is damaged") from exc
        try:
            return write_anchor(self.store, seq=seq, digest=digest, log=self.path)
        except CsmapError as exc:
            raise AuditLogError(f"audit anchor not written: {exc}") from exc

    def read(
        self,
        *,
        user: str | None = None,
        role: str | None = None,
        action: str | None = None,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
        text: str | None = None,
    ) -> pd.DataFrame:
        """Entries as a DataFrame, filtered (``text`` searches the details JSON).

        Columns: ``seq, time`` (UTC datetime), ``user, role, action, what, rows, reason,
        details`` (JSON text), ``hash``. Unreadable lines are skipped (use :meth:`verify`).
        A log opened for a store shows that store's entries only (and entries that name no
        store, written before entries recorded it).
        """
        return entries_table(
            self._lines(),
            store=None if self.store is None else str(self.store),
            user=user,
            role=role,
            action=action,
            since=since,
            until=until,
            text=text,
        )
