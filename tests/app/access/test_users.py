"""Local users file tests: argon2 hashes, no plaintext, 0600, CLI add/list/remove."""

from __future__ import annotations

import doctest
import io
import stat
from pathlib import Path

import pytest
import yaml

import app.access.users as users
from app.access.audit import AuditLog
from app.access.users import UsersFileError, add_user, list_users, remove_user, verify
from app.cli import main

PASSWORD = "a long enough passphrase"


def test_doctests_run() -> None:
    result = doctest.testmod(users)
    assert result.attempted > 0 and result.failed == 0


def test_add_and_verify(tmp_path: Path) -> None:
    f = tmp_path / "users.yaml"
    add_user("jo.analyst", PASSWORD, role="analyst", users_file=f)
    add_user("bo", PASSWORD + "!", role="board", users_file=f)
    assert verify("jo.analyst", PASSWORD, users_file=f) == "analyst"
    assert verify("bo", PASSWORD + "!", users_file=f) == "board"
    assert verify("jo.analyst", PASSWORD + "x", users_file=f) is None
    assert verify("nobody", PASSWORD, users_file=f) is None
    assert verify("bo", PASSWORD, users_file=f) is None
    text = f.read_text(encoding="utf-8")
    assert PASSWORD not in text
    data = yaml.safe_load(text)
    h1 = data["users"]["jo.analyst"]["hash"]
    assert h1.startswith("$argon2id$")
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    # salted: the same password twice gives different hashes
    add_user("twin", PASSWORD, role="partner", users_file=f)
    assert yaml.safe_load(f.read_text())["users"]["twin"]["hash"] != h1


def test_rules(tmp_path: Path) -> None:
    f = tmp_path / "users.yaml"
    with pytest.raises(UsersFileError, match="at least"):
        add_user("jo", "short", role="analyst", users_file=f)
    with pytest.raises(UsersFileError, match="role"):
        add_user("jo", PASSWORD, role="superuser", users_file=f)
    for bad in ["", "../etc", "a b", "x" * 65, "-x"]:
        with pytest.raises(UsersFileError):
            add_user(bad, PASSWORD, role="analyst", users_file=f)
    add_user("jo", PASSWORD, role="analyst", users_file=f)
    with pytest.raises(UsersFileError, match="exists"):
        add_user("jo", PASSWORD, role="admin", users_file=f)
    add_user("jo", PASSWORD + "2", role="admin", users_file=f, replace=True)
    assert verify("jo", PASSWORD + "2", users_file=f) == "admin"
    remove_user("jo", users_file=f)
    assert list_users(users_file=f) == []
    with pytest.raises(UsersFileError):
        remove_user("jo", users_file=f)
    assert issubclass(UsersFileError, ValueError)


def test_damaged_file_named(tmp_path: Path) -> None:
    f = tmp_path / "users.yaml"
    f.write_text("users:\n  jo: {role: analyst}\n", encoding="utf-8")
    with pytest.raises(UsersFileError, match="users.yaml"):
        verify("jo", PASSWORD, users_file=f)
    f.write_text("users: [\n", encoding="utf-8")
    with pytest.raises(UsersFileError, match="users.yaml"):
        list_users(users_file=f)


def test_outdated_hash_is_upgraded(tmp_path: Path) -> None:
    from argon2 import PasswordHasher

    f = tmp_path / "users.yaml"
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    f.write_text(yaml.safe_dump({"users": {"jo": {"role": "analyst", "hash": weak}}}))
    assert verify("jo", PASSWORD, users_file=f) == "analyst"
    new = yaml.safe_load(f.read_text())["users"]["jo"]["hash"]
    assert new != weak and verify("jo", PASSWORD, users_file=f) == "analyst"


def test_cli_add_list_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "users.yaml"
    log = tmp_path / "audit.jsonl"
    common = ["--users-file", str(f), "--audit-log", str(log)]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "jo", "--role", "partner", "--password-stdin", *common]) == 0
    assert verify("jo", PASSWORD, users_file=f) == "partner"
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    assert main(["users", "add", "al", "--role", "admin", *common]) == 0
    capsys.readouterr()
    assert main(["users", "list", *common]) == 0
    out = capsys.readouterr().out
    assert "jo\tpartner" in out and "al\tadmin" in out and "argon2" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "x", "--role", "board", "--password-stdin", *common]) == 2
    assert "at least" in capsys.readouterr().err
    assert main(["users", "remove", "jo", *common]) == 0
    assert main(["users", "remove", "jo", *common]) == 2
    entries = AuditLog(log).read()
    assert entries["action"].tolist() == ["user_add", "user_add", "user_remove"]
    assert PASSWORD not in log.read_text()
    assert AuditLog(log).verify().ok
