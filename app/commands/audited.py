"""Audit entries of the ``csmap`` commands: every ingest, file written from records, deletion.

Each command that adds to the store (``ingest``, ``venues import``, ``ssda903 import``,
``police-uk import``), writes records or results to a file (``hotspots``, ``spacetime emerging``,
``evaluate``, ``disruption``, ``assess``, ``report``) or deletes (``retention apply``) appends one
entry to the store's audit log (:meth:`app.access.audit.AuditLog.for_store`; ``--audit-log``
overrides)
through :func:`record`, and then anchors the log's head in the store
(:meth:`app.access.audit.AuditLog.anchor`). The entry holds the operating-system user
(:func:`getpass.getuser`), a role, the store, ``what``, ``rows``, the ``reason`` given with
``--reason`` (required only for record-level exports: ``csmap report --role analyst``), and
``result``: ``ok``, or ``error`` with the ``error`` message (failed runs are logged too).

Role: the command's ``--role`` where it has one (whose view the file is); otherwise ``analyst``
for files (whoever runs the CLI can read the store file itself) and ``admin`` for changes to the
store. A file whose export cannot be logged is deleted and the command fails (exit 2): nothing
leaves unrecorded.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from app.access.audit import AuditLog
from geo.errors import CsmapError

Action = Literal["export", "ingest", "retention"]


def add_audit_options(parser: argparse.ArgumentParser, *, reason: bool) -> None:
    """Add ``--audit-log`` (and ``--reason`` when a file leaves the machine).

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_audit_options(p, reason=True)
    >>> vars(p.parse_args(["--reason", "strategy meeting"]))
    {'audit_log': None, 'reason': 'strategy meeting'}
    """
    parser.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        help="audit log (default: $CSMAP_AUDIT_LOG, else STORE.audit.jsonl beside the store)",
    )
    if reason:
        parser.add_argument(
            "--reason",
            default=None,
            help="why the file is written (recorded in the audit log; required for "
            "record-level files)",
        )


def record(
    args: argparse.Namespace,
    *,
    action: Action,
    store: str | os.PathLike[str] | None,
    what: str,
    rows: int | None,
    role: str,
    error: BaseException | str | None = None,
    record_level: bool = False,
    file_name: str | os.PathLike[str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Append the command's audit entry (and anchor it in the store); return the entry.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``audit_log`` and ``reason`` are read when present).
    action : {"export", "ingest", "retention"}
        What kind of action.
    store : path or None
        The store read or changed (None when the input was a file).
    what : str
        What was exported, ingested or deleted.
    rows : int or None
        Rows written, loaded or deleted (None when the command failed before knowing).
    role : str
        The role of the entry (see the module docstring).
    error : exception or str, optional
        The failure; the entry then has ``result="error"`` and the first line of ``error``.
    record_level : bool, default False
        One row per record (exports): a reason is then required.
    file_name : path, optional
        The file written.
    details : mapping, optional
        More fields (counts, parameters).

    Raises
    ------
    app.access.audit.AuditLogError, app.access.audit.ReasonRequired
        The entry could not be written.

    Examples
    --------
    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> ns = argparse.Namespace(audit_log=log, reason="board")
    >>> e = record(ns, action="export", store=None, what="hotspots", rows=3, role="analyst")
    >>> e["details"]["result"], e["details"]["reason"], e["details"]["rows"]
    ('ok', 'board', 3)
    """
    store_path = None if store is None else Path(store)
    missing = store_path is not None and action != "ingest" and not store_path.is_file()
    # a store that is not there (a mistyped --store) gets no log beside it: the default log
    log = AuditLog.for_store(None if missing else store_path, log=getattr(args, "audit_log", None))
    reason = (getattr(args, "reason", None) or "").strip() or None
    entry_details: dict[str, Any] = {
        **({"store": str(store_path)} if missing else {}),
        "what": what,
        "rows": None if rows is None else int(rows),
        "reason": reason,
        **dict(details or {}),
        "result": "ok" if error is None else "error",
    }
    if action == "export":
        entry_details["record_level"] = bool(record_level)
        entry_details["file_name"] = None if file_name is None else str(file_name)
    if error is not None:
        entry_details["error"] = (str(error).splitlines() or [type(error).__name__])[0]
    entry = log.append(user=getpass.getuser(), role=role, action=action, details=entry_details)
    if error is not None:
        # a failed command leaves the store as it was (byte for byte; it may be damaged or
        # read-only): its entry is anchored by the next command that succeeds
        return entry
    try:
        log.anchor()
    except CsmapError as exc:  # the entry is written; the anchor only adds protection
        print(f"csmap: warning: {exc}", file=sys.stderr)
    return entry


def record_failure(
    args: argparse.Namespace,
    error: BaseException,
    *,
    action: Action,
    store: str | os.PathLike[str] | None,
    what: str,
    role: str,
    file_name: str | os.PathLike[str] | None = None,
) -> None:
    """Log a failed run (``result="error"``); a log that cannot be written is reported on stderr.

    Examples
    --------
    >>> import tempfile
    >>> ns = argparse.Namespace(audit_log=Path(tempfile.mkdtemp()) / "a.jsonl")
    >>> record_failure(ns, ValueError("bad"), action="ingest", store=None, what="x", role="admin")
    """
    try:
        record(
            args,
            action=action,
            store=store,
            what=what,
            rows=None,
            role=role,
            error=error,
            file_name=file_name,
        )
    except (CsmapError, OSError) as exc:
        print(f"csmap: warning: the failure was not logged: {exc}", file=sys.stderr)


def record_export(
    args: argparse.Namespace,
    *,
    out: str | os.PathLike[str],
    prog: str,
    store: str | os.PathLike[str] | None,
    what: str,
    rows: int | None,
    role: str,
    record_level: bool = False,
    details: Mapping[str, Any] | None = None,
) -> bool:
    """Log a file written; when it cannot be logged, delete the file and say so on stderr.

    Returns
    -------
    bool
        Whether the export is logged (else the command should exit 2).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> out = folder / "h.geojson"
    >>> _ = out.write_text("{}")
    >>> ns = argparse.Namespace(audit_log=folder / "a.jsonl", reason=None)
    >>> record_export(ns, out=out, prog="csmap x", store=None, what="hotspots", rows=2,
    ...               role="analyst")
    True
    >>> record_export(ns, out=out, prog="csmap x", store=None, what="concerns", rows=2,
    ...               role="analyst", record_level=True)  # no reason: not logged, file deleted
    False
    >>> out.exists()
    False
    """
    try:
        record(
            args,
            action="export",
            store=store,
            what=what,
            rows=rows,
            role=role,
            record_level=record_level,
            file_name=out,
            details=details,
        )
    except (CsmapError, OSError) as exc:
        Path(out).unlink(missing_ok=True)
        print(
            f"{prog}: {out}: not written, the audit log could not record it: {exc}", file=sys.stderr
        )
        return False
    return True
