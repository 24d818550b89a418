"""``csmap audit verify|show``: check the audit log's hash chain, or list its entries.

``csmap audit verify [--log PATH]`` prints what it found and exits 0 when the chain is intact,
1 when it is broken (the message names the first bad entry), 2 when the log cannot be read.
``csmap audit show [--log PATH] [--user U] [--role R] [--action A] [--since DATE] [--until DATE]
[--last N] [--format table|csv|json]`` lists entries (CSV output is formula-safe).
The log defaults to ``$CSMAP_AUDIT_LOG`` or ``~/.local/share/csmap/audit.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.audit import ACTIONS, AuditLog, default_audit_path
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
    verify.add_argument("--log", type=Path, default=None, help="audit log (JSON lines)")
    verify.set_defaults(func=run_verify)
    show = sub.add_parser("show", help="list audit entries")
    show.add_argument("--log", type=Path, default=None, help="audit log (JSON lines)")
    show.add_argument("--user")
    show.add_argument("--role")
    show.add_argument("--action", choices=ACTIONS)
    show.add_argument("--since", help="date or time (UTC), e.g. 2026-01-31")
    show.add_argument("--until", help="date or time (UTC)")
    show.add_argument("--last", type=int, default=None, help="only the last N entries")
    show.add_argument("--format", choices=("table", "csv", "json"), default="table")
    show.set_defaults(func=run_show)


def _log(args: argparse.Namespace) -> AuditLog:
    return AuditLog(args.log if args.log is not None else default_audit_path())


def run_verify(args: argparse.Namespace) -> int:
    """Run ``csmap audit verify``."""
    log = _log(args)
    if not log.path.exists():
        print(f"{log.path}: no audit log at this path", file=sys.stderr)
        return 2
    try:
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
    from geo.export import write_csv  # noqa: PLC0415

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
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", lines=True))
        if len(frame):
            sys.stdout.write("\n")
    else:
        shown = frame.drop(columns=["details", "hash"])
        print(shown.to_string(index=False) if len(shown) else "(no entries)")
    return 0
