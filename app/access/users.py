"""Local users for standalone deployments: a YAML file of argon2id password hashes and roles.

Used when no OIDC provider is configured (see ``docs/deployment.md``). The file looks like::

    users:
      jo.analyst:
        role: analyst
        hash: $argon2id$v=19$m=65536,t=3,p=4$...
        created: 2026-11-21T10:00:00Z

Passwords are never stored, only salted argon2id hashes (argon2-cffi defaults). The file is
written atomically with mode 0600 under an exclusive lock. Passwords must be at least
:data:`MIN_PASSWORD_LENGTH` characters. :func:`verify` spends the same argon2 work whether or not
the user exists, and upgrades a hash whose parameters are out of date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.access.policy import ROLES
from geo.errors import CsmapError
from geo.yaml_files import load_yaml

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "UsersFileError",
    "add_user",
    "default_users_path",
    "list_users",
    "remove_user",
    "verify",
]

MIN_PASSWORD_LENGTH: Final[int] = 12
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A real hash of a random password, checked when the user is unknown (equal timing)."""
    return _HASHER.hash(os.urandom(16).hex())


class UsersFileError(CsmapError):
    """The users file is unreadable, or a user/role/password is not acceptable."""


def default_users_path() -> Path:
    """``$CSMAP_USERS_FILE``, else ``~/.local/share/csmap/users.yaml``."""
    env = os.environ.get("CSMAP_USERS_FILE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "csmap" / "users.yaml"


def _path(users_file: str | os.PathLike[str] | None) -> Path:
    return Path(users_file) if users_file is not None else default_users_path()


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsersFileError(f"{path}: cannot read the users file: {exc}") from exc
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise UsersFileError(f"{path}: not valid YAML: {exc}") from exc
    users = data.get("users") if isinstance(data, dict) else None
    if users is None:
        return {}
    if not isinstance(users, dict):
        raise UsersFileError(f"{path}: 'users' must be a mapping of username to settings")
    for name, entry in users.items():
        if not isinstance(entry, dict) or "hash" not in entry or "role" not in entry:
            raise UsersFileError(f"{path}: user {name!r} needs a role and a hash")
    return {str(k): dict(v) for k, v in users.items()}


def _save(path: Path, users: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"users": users}, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username or ""):
        raise UsersFileError(
            f"username {username!r}: use 1-64 letters, digits, '.', '_', '@' or '-'"
        )
    return username


def add_user(
    username: str,
    password: str,
    *,
    role: str,
    users_file: str | os.PathLike[str] | None = None,
    replace: bool = False,
) -> None:
    """Add (or with ``replace=True`` reset) a local user.

    Parameters
    ----------
    username : str
        Letters, digits, ``.``, ``_``, ``@``, ``-`` (1-64).
    password : str
        At least :data:`MIN_PASSWORD_LENGTH` characters; only its argon2id hash is stored.
    role : str
        One of :data:`app.access.policy.ROLES`.
    users_file : path, optional
        Default :func:`default_users_path`.
    replace : bool, default False
        Allow replacing an existing user's password and role.

    Raises
    ------
    UsersFileError
        Bad username, role or password; user exists and ``replace`` is False.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "users.yaml"
    >>> add_user("jo", "correct horse battery", role="analyst", users_file=f)
    >>> verify("jo", "correct horse battery", users_file=f), verify("jo", "wrong", users_file=f)
    ('analyst', None)
    """
    _check_username(username)
    if role not in ROLES:
        raise UsersFileError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersFileError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    path = _path(users_file)
    with _locked(path):
        users = _load(path)
        if username in users and not replace:
            raise UsersFileError(f"{path}: user {username!r} exists (use --replace to reset)")
        users[username] = {
            "role": role,
            "hash": _HASHER.hash(password),
            "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        _save(path, users)


def remove_user(username: str, *, users_file: str | os.PathLike[str] | None = None) -> None:
    """Remove a user; raises :class:`UsersFileError` when there is no such user."""
    path = _path(users_file)
    with _locked(path):
        users = _load(path)
        if username not in users:
            raise UsersFileError(f"{path}: no user {username!r}")
        del users[username]
        _save(path, users)


def list_users(*, users_file: str | os.PathLike[str] | None = None) -> list[dict[str, str]]:
    """Users with their role and creation time (never the hashes), sorted by name."""
    users = _load(_path(users_file))
    return [
        {"username": name, "role": str(u["role"]), "created": str(u.get("created", ""))}
        for name, u in sorted(users.items())
    ]


def verify(
    username: str, password: str, *, users_file: str | os.PathLike[str] | None = None
) -> str | None:
    """Check a password; return the user's role, or None when the name or password is wrong.

    An unknown user costs the same argon2 work as a known one. A hash made with outdated
    parameters is replaced after a successful check.
    """
    path = _path(users_file)
    users = _load(path)
    entry = users.get(username)
    stored = str(entry["hash"]) if entry else _dummy_hash()
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if entry is None:
        return None
    role = str(entry["role"])
    if role not in ROLES:
        return None
    if _HASHER.check_needs_rehash(stored):
        with _locked(path):
            current = _load(path)
            if username in current and current[username]["hash"] == stored:
                current[username]["hash"] = _HASHER.hash(password)
                _save(path, current)
    return role
