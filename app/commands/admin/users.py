"""``csmap users add|list|remove|unlock``: manage the local users file (standalone sign-in).

``csmap users add USERNAME --role ROLE [--users-file PATH] [--password-stdin] [--replace]`` asks
for the password twice (or reads one line from stdin with ``--password-stdin``) and stores only
its argon2id hash. ``csmap users list`` shows names and roles; ``csmap users remove USERNAME``
deletes one. ``csmap users unlock USERNAME`` clears the failed sign-ins and the lock-out of
a user name (:mod:`app.access.signin_guard`: back-off after 3 failures in a row, locked after 10).
Changes are written as the operating-system user to the audit log of the store the app serves
(``--store``, default ``$CSMAP_STORE``; ``--audit-log`` overrides), where its Audit page shows
them (:meth:`app.access.audit.AuditLog.for_store`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from app.access.policy import ROLES


def register(subparsers: Any) -> None:
    """Add the ``users`` sub-command with ``add``, ``list``, ``remove`` and ``unlock``."""
    parser = subparsers.add_parser(
        "users",
        help="manage local users (argon2 password hashes, roles)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--users-file", type=Path, default=None, help="users YAML file")
    common.add_argument("--audit-log", type=Path, default=None, help="audit log (JSON lines)")
    common.add_argument("--store", default=None, help="the app's store (default: $CSMAP_STORE)")
    add = sub.add_parser("add", parents=[common], help="add a user (asks for the password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--replace", action="store_true", help="reset an existing user")
    add.set_defaults(func=run_add)
    listing = sub.add_parser("list", parents=[common], help="list users and roles")
    listing.set_defaults(func=run_list)
    remove = sub.add_parser("remove", parents=[common], help="remove a user")
    remove.add_argument("username")
    remove.set_defaults(func=run_remove)
    unlock = sub.add_parser(
        "unlock", parents=[common], help="clear a user's failed sign-ins and lock-out"
    )
    unlock.add_argument("username")
    unlock.set_defaults(func=run_unlock)


def _audit(args: argparse.Namespace, action: str, details: dict[str, Any]) -> None:
    from app.access.audit import AuditLog
    from geo.store.gpkg import default_store_path

    log = AuditLog.for_store(default_store_path(args.store), log=args.audit_log)
    log.append(user=getpass.getuser(), role="admin", action=action, details=details)


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.username}: ")
    second = getpass.getpass("Repeat the password: ")
    if first != second:
        print("the two passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


def run_add(args: argparse.Namespace) -> int:
    """Run ``csmap users add``."""
    from app.access.users import UsersFileError, add_user

    password = _password(args)
    if password is None:
        return 2
    try:
        add_user(
            args.username,
            password,
            role=args.role,
            users_file=args.users_file,
            replace=args.replace,
        )
    except UsersFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    _audit(args, "user_add", {"username": args.username, "role": args.role})
    print(f"user {args.username!r} saved with role {args.role}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Run ``csmap users list``."""
    from app.access.users import UsersFileError, list_users

    try:
        users = list_users(users_file=args.users_file)
    except UsersFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not users:
        print("(no users)")
    for user in users:
        print(f"{user['username']}\t{user['role']}\t{user['created']}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Run ``csmap users remove``."""
    from app.access.users import UsersFileError, remove_user

    try:
        remove_user(args.username, users_file=args.users_file)
    except UsersFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    _audit(args, "user_remove", {"username": args.username})
    print(f"user {args.username!r} removed")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    """Run ``csmap users unlock``."""
    from app.access.signin_guard import unlock

    try:
        cleared = unlock(args.username, users_file=args.users_file)
    except OSError as exc:
        print(f"cannot update the sign-in state: {exc}", file=sys.stderr)
        return 2
    if not cleared:
        print(f"user {args.username!r} has no failed sign-ins; nothing changed")
        return 0
    _audit(args, "user_unlock", {"username": args.username})
    print(f"user {args.username!r} unlocked")
    return 0
