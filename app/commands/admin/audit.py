"""``csmap audit verify|show``: check a store's audit log, or list its entries.

``csmap audit verify [--store PATH] [--log PATH]`` checks the hash chain, the head file and the
head anchored in the store (:meth:`app.access.audit.AuditLog.verify`); it prints what it found and
exits
0 when all agree, 1 when the log is broken, truncated, wiped or rolled back (the message names the
first bad entry), 2 when the log cannot be read or there is nothing to check.
``csmap audit show [--store PATH] [--log PATH] [--user U] [--role R] [--action A] [--since DATE]
[--until DATE] [--last N] [--format table|csv|json]`` lists the store's entries (CSV output is
formula-safe). The store defaults to ``$CSMAP_STORE``; its log to ``$CSMAP_AUDIT_LOG``, else
``STORE.audit.jsonl`` beside the store (:func:`app.access.audit.default_audit_path`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.access.audit import ACTIONS, AuditLog
from geo.errors import CsmapError


def register(subparsers: Any) -> None:
    """Add the ``audit`` sub-command with ``verify`` and ``show``."""
    parser = subparsers.add_parser(
        "audit",
        help="verify or show the tamper-evident audit log",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check the hash chain; non-zero exit when broken")
    show = sub.add_parser("show", help="list audit entries")
    for p in (verify, show):
        p.add_argument("--store", default=None, help="the store (default: $CSMAP_STORE)")
        p.add_argument("--log", type=Path, default=None, help="audit log (JSON lines)")
    verify.set_defaults(func=run_verify)
    show.add_argument("--user")
    show.add_argument("--role")
    show.add_argument("--action", choices=ACTIONS)
    show.add_argument("--since", help="date or time (UTC), e.g. 2026-01-31")
    show.add_argument("--until", help="date or time (UTC)")
    show.add_argument("--last", type=int, default=None, help="only the last N entries")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show.set_defaults(func=run_show)


def _log(args: argparse.Namespace) -> AuditLog:
    from geo.store.gpkg import default_store_path

    return AuditLog.for_store(default_store_path(args.store), log=args.log)


def run_verify(args: argparse.Namespace) -> int:
    """Run ``csmap audit verify``."""
    log = _log(args)
    try:
        if not log.path.exists() and log.read_anchor() is None:
            print(f"{log.path}: no audit log at this path", file=sys.stderr)
            return 2
        result = log.verify()
    except CsmapError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if result.ok:
        print(f"{log.path}: OK, {result.message}")
        return 0
    print(f"{log.path}: BROKEN at entry {result.first_bad_seq}: {result.message}", file=sys.stderr)
    return 1


def run_show(args: argparse.Namespace) -> int:
    """Run ``csmap audit show``."""
    from geo.store.export import write_csv

    log = _log(args)
    if not log.path.exists():
        print(f"{log.path}: no audit log at this path", file=sys.stderr)
        return 2
    try:
        frame = log.read(
            user=args.user, role=args.role, action=args.action, since=args.since, until=args.until
        )
    except (CsmapError, ValueError) as exc:
        print(f"{log.path}: {exc}", file=sys.stderr)
        return 2
    if args.last is not None:
        frame = frame.tail(max(args.last, 0))
    if args.format == "csv":
        write_csv(frame, sys.stdout)
    elif args.format == "json":
        text = frame.to_json(orient="records", date_format="iso", lines=True)
        sys.stdout.write(text if not text or text.endswith("\n") else text + "\n")
    else:
        shown = frame.drop(columns=["details", "hash"])
        print(shown.to_string(index=False) if len(shown) else "(no entries)")
    return 0
