"""Throttling of local sign-in: exponential back-off per user and per address, and lock-out.

Local sign-in (:mod:`app.access.users`) had no limit on guesses (issue #12, item 17). Every attempt
now goes through :func:`attempt_sign_in`:

- after :attr:`Throttle.free_failures` failed attempts in a row, a user name (and, separately,
  a client address) must wait ``base_delay * 2 ** (failures - free_failures)`` seconds (at most
  :attr:`Throttle.max_delay`) before the next attempt is even checked;
- after :attr:`Throttle.lock_after` failures in a row the user name is locked: even the right
  password is refused until an administrator runs ``csmap users unlock USER``
  (:func:`unlock`). Addresses are only slowed, never locked (one office shares an address);
- a successful sign-in clears the user's and the address's failures.

The state is a JSON file beside the users file (``<users file>.signin.json``, mode 0600,
written atomically under an exclusive lock), so it survives restarts and is shared by every
app process. Unknown user names are throttled exactly like known ones (no hint of which names
exist). The clock is a parameter, so tests never sleep.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.access.users import default_users_path, verify

__all__ = [
    "SignInResult",
    "Throttle",
    "attempt_sign_in",
    "state_path",
    "status",
    "unlock",
]

#: Entries of names/addresses whose last failure is older than this (and not locked) are dropped.
FORGET_AFTER_S: Final[float] = 24 * 3600.0


@dataclass(frozen=True)
class Throttle:
    """Back-off and lock-out settings.

    Attributes
    ----------
    free_failures : int
        Failures in a row allowed without any delay.
    base_delay : float
        Seconds to wait after the first failure beyond ``free_failures``; doubles each time.
    max_delay : float
        Longest wait, seconds.
    lock_after : int
        Failures in a row that lock the user name until an administrator unlocks it.
    """

    free_failures: int = 3
    base_delay: float = 1.0
    max_delay: float = 900.0
    lock_after: int = 10

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row.

        Examples
        --------
        >>> [Throttle().delay(n) for n in (1, 3, 4, 5, 9)]
        [0.0, 1.0, 2.0, 4.0, 64.0]
        """
        if failures < self.free_failures:
            return 0.0
        return float(min(self.base_delay * 2.0 ** (failures - self.free_failures), self.max_delay))


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one sign-in attempt.

    Attributes
    ----------
    role : str or None
        The user's role when signed in, else None.
    refused : str or None
        Why it was refused: ``"wrong"`` (name or password), ``"backoff"`` (too soon after
        failures; the password was not checked), ``"locked"``; None when signed in.
    wait_s : float
        Seconds until the next attempt will be checked (0 when none is needed).
    locked_now : bool
        This attempt's failure locked the user name (log it).
    failures : int
        The user name's failures in a row after this attempt.
    """

    role: str | None
    refused: str | None
    wait_s: float = 0.0
    locked_now: bool = False
    failures: int = 0


def state_path(users_file: str | os.PathLike[str]) -> Path:
    """The throttle state file of ``users_file`` (beside it).

    Examples
    --------
    >>> state_path("/srv/csmap/users.yaml").name
    'users.yaml.signin.json'
    """
    path = Path(users_file)
    return path.with_name(path.name + ".signin.json")


@contextlib.contextmanager
def _state(path: Path) -> Iterator[dict[str, dict[str, Any]]]:
    """Read, lock and (on exit) atomically rewrite the state file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError):
            data = {}  # a damaged state file must not stop sign-in; it is rewritten below
        state: dict[str, dict[str, Any]] = data if isinstance(data, dict) else {}
        yield state
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(tmp_fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, sort_keys=True, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _forget_old(state: dict[str, dict[str, Any]], now: float) -> None:
    for key in [k for k, v in state.items() if not v.get("locked")]:
        if now - float(state[key].get("last", 0.0)) > FORGET_AFTER_S:
            del state[key]


def attempt_sign_in(
    username: str,
    password: str,
    *,
    address: str | None = None,
    users_file: str | os.PathLike[str] | None = None,
    throttle: Throttle | None = None,
    clock: Callable[[], float] = time.time,
) -> SignInResult:
    """Check a local sign-in, applying back-off and lock-out.

    Parameters
    ----------
    username, password : str
        What was typed.
    address : str, optional
        The client's address (throttled separately; None = not known, not throttled).
    users_file : path, optional
        Default :func:`app.access.users.default_users_path`.
    throttle : Throttle, optional
        Settings (default :class:`Throttle()`).
    clock : callable, default time.time
        Seconds since the epoch (tests pass a fake clock).

    Returns
    -------
    SignInResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from app.access.users import add_user
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "users.yaml"
    >>> add_user("jo", "correct horse battery", role="board", users_file=f)
    >>> t = [0.0]
    >>> [attempt_sign_in("jo", "guess", users_file=f, clock=lambda: t[0]).refused
    ...  for _ in range(4)]
    ['wrong', 'wrong', 'wrong', 'backoff']
    >>> t[0] = 1.0
    >>> attempt_sign_in("jo", "correct horse battery", users_file=f, clock=lambda: t[0]).role
    'board'
    """
    rules = throttle or Throttle()
    path = Path(users_file) if users_file is not None else default_users_path()
    keys = [f"user:{username}"] + ([f"addr:{address}"] if address else [])
    with _state(state_path(path)) as state:
        now = clock()
        _forget_old(state, now)
        user = state.get(keys[0], {})
        if user.get("locked"):
            return SignInResult(None, "locked", failures=int(user.get("failures", 0)))
        wait = max(float(state.get(k, {}).get("next", 0.0)) - now for k in keys)
        if wait > 0:
            return SignInResult(None, "backoff", wait_s=wait, failures=int(user.get("failures", 0)))
        role = verify(username, password, users_file=path)
        if role is not None:
            for key in keys:
                state.pop(key, None)
            return SignInResult(role, None)
        locked_now = False
        for key in keys:
            entry = state.setdefault(key, {})
            failures = int(entry.get("failures", 0)) + 1
            entry.update(failures=failures, last=now, next=now + rules.delay(failures))
            entry.setdefault("delays", []).append(rules.delay(failures))
            del entry["delays"][: -rules.lock_after]  # the recent back-off delays, for review
            if key == keys[0] and failures >= rules.lock_after:
                entry["locked"] = locked_now = True
        user = state[keys[0]]
        return SignInResult(
            None,
            "locked" if locked_now else "wrong",
            wait_s=max(float(state[k]["next"]) - now for k in keys),
            locked_now=locked_now,
            failures=int(user["failures"]),
        )


def unlock(username: str, *, users_file: str | os.PathLike[str] | None = None) -> bool:
    """Clear a user name's failures and lock; return whether there was anything to clear.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "users.yaml"
    >>> unlock("jo", users_file=f)
    False
    """
    path = Path(users_file) if users_file is not None else default_users_path()
    with _state(state_path(path)) as state:
        return state.pop(f"user:{username}", None) is not None


def status(
    username: str,
    *,
    users_file: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The stored throttle entry of ``username`` (failures, last, next, delays, locked) or {}.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> status("jo", users_file=pathlib.Path(tempfile.mkdtemp()) / "users.yaml")
    {}
    """
    path = Path(users_file) if users_file is not None else default_users_path()
    with _state(state_path(path)) as state:
        return dict(state.get(f"user:{username}", {}))
