"""Local sign-in throttling (issue #12 item 17): back-off, lock-out, admin unlock, audit.

A fake clock is passed in; nothing sleeps.
"""

from __future__ import annotations

import doctest
import json
import stat
import time
from pathlib import Path

import pytest

import app.access.signin_guard as guard
from app.access.audit import AuditLog
from app.access.signin_guard import Throttle, attempt_sign_in, state_path, status
from app.access.users import add_user
from app.cli import main

PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    f = tmp_path / "users.yaml"
    add_user("jo", PASSWORD, role="board", users_file=f)
    return f


def test_doctests_run() -> None:
    result = doctest.testmod(guard)
    assert result.attempted > 0 and result.failed == 0


def test_thirty_wrong_then_right_is_refused_until_unlocked(
    users_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()
    outcomes = []
    for _ in range(30):
        clock.now += 10_000  # always past any back-off: only the lock-out can stop this
        outcomes.append(attempt_sign_in("jo", "wrong guess", users_file=users_file, clock=clock))
    assert [r.refused for r in outcomes[:9]] == ["wrong"] * 9
    assert outcomes[9].refused == "locked" and outcomes[9].locked_now
    assert [r.refused for r in outcomes[10:]] == ["locked"] * 20
    assert not any(r.locked_now for r in outcomes[10:])
    clock.now += 10_000
    right = attempt_sign_in("jo", PASSWORD, users_file=users_file, clock=clock)
    assert right.role is None and right.refused == "locked"
    # the lock is in a file beside the users file (persistent, not in memory), mode 0600
    state = state_path(users_file)
    assert state.parent == users_file.parent
    assert json.loads(state.read_text())["user:jo"]["locked"] is True
    assert stat.S_IMODE(state.stat().st_mode) == 0o600

    log = tmp_path / "audit.jsonl"
    common = ["--users-file", str(users_file), "--audit-log", str(log)]
    assert main(["users", "unlock", "jo", *common]) == 0
    assert "unlocked" in capsys.readouterr().out
    entries = AuditLog(log).read()
    assert entries["action"].tolist() == ["user_unlock"]
    assert json.loads(entries["details"].iloc[0]) == {"username": "jo"}
    right = attempt_sign_in("jo", PASSWORD, users_file=users_file, clock=clock)
    assert right.role == "board" and right.refused is None
    assert main(["users", "unlock", "jo", *common]) == 0  # nothing left to clear
    assert "nothing changed" in capsys.readouterr().out


def test_backoff_delays_are_recorded_and_enforced(users_file: Path) -> None:
    clock = Clock()
    waits = []
    for _ in range(9):
        result = attempt_sign_in("jo", "wrong guess", users_file=users_file, clock=clock)
        assert result.refused == "wrong"
        waits.append(result.wait_s)
        # an attempt before the wait is over is refused without checking the password
        if result.wait_s:
            early = attempt_sign_in("jo", PASSWORD, users_file=users_file, clock=clock)
            assert early.refused == "backoff" and early.wait_s == result.wait_s
        clock.now += result.wait_s
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    assert status("jo", users_file=users_file)["delays"] == waits
    # the right password after waiting: signed in, and the failures are cleared
    assert attempt_sign_in("jo", PASSWORD, users_file=users_file, clock=clock).role == "board"
    assert status("jo", users_file=users_file) == {}


def test_address_backoff_spans_user_names_but_never_locks(users_file: Path) -> None:
    clock = Clock()
    rules = Throttle(lock_after=10)
    for i in range(3):
        result = attempt_sign_in(
            f"guess{i}", "x", address="10.0.0.9", users_file=users_file, clock=clock, throttle=rules
        )
        assert result.refused == "wrong"
    # a fourth name from the same address must wait; another address need not
    slow = attempt_sign_in("jo", PASSWORD, address="10.0.0.9", users_file=users_file, clock=clock)
    assert slow.refused == "backoff" and slow.wait_s == 1.0
    ok = attempt_sign_in("jo", PASSWORD, address="10.0.0.7", users_file=users_file, clock=clock)
    assert ok.role == "board"
    for i in range(20):  # many failures from one address: slowed (capped), not locked
        clock.now += Throttle().max_delay
        result = attempt_sign_in(
            f"other{i}", "x", address="10.0.0.9", users_file=users_file, clock=clock
        )
        assert result.refused == "wrong"
    entry = json.loads(state_path(users_file).read_text())["addr:10.0.0.9"]
    assert "locked" not in entry and max(entry["delays"]) == Throttle().max_delay


def test_unknown_names_are_throttled_like_known_ones(users_file: Path) -> None:
    clock = Clock()
    for _ in range(10):
        clock.now += 10_000
        last = attempt_sign_in("nobody", "x", users_file=users_file, clock=clock)
    assert last.refused == "locked" and last.locked_now


def test_app_sign_in_refused_while_locked_and_logged(
    users_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sign-in form uses the throttle; the lock-out goes to the audit log."""
    from streamlit.testing.v1 import AppTest

    from app.maps.vendor import missing_assets

    if missing_assets():
        pytest.skip("map assets not vendored: run `make vendor`")
    from tests._app_store import build_store

    store = build_store(tmp_path / "real", demo=False)
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "0")
    monkeypatch.setenv("CSMAP_USERS_FILE", str(users_file))
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(log))
    clock = Clock(time.time() - 5_000)  # 9 earlier failures, their back-off long over
    for _ in range(9):
        attempt_sign_in("jo", "wrong guess", users_file=users_file, clock=clock)
        clock.now += 200

    app = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=120).run()
    for password, message in (
        ("wrong guess again", "locked"),
        (PASSWORD, "locked"),
    ):
        at.text_input(key="csmap_login_user").input("jo")
        at.text_input(key="csmap_login_password").input(password)
        at.button[0].click().run()
        assert not at.exception, at.exception
        assert any(message in e.value for e in at.error), [e.value for e in at.error]
        assert "csmap_role" not in at.session_state and not at.main.metric
    entries = AuditLog(log).read()
    assert entries["action"].tolist() == ["sign_in_locked", "sign_in_failed"]
    assert set(entries["user"]) == {"jo"}
    details = [json.loads(d) for d in entries["details"]]
    assert [d.get("why") for d in details] == ["locked_out", "locked"]
    assert details[0]["failures"] == 10
