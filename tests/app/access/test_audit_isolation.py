"""The test suite never writes the user's real audit log (``~/.local/share/csmap``)."""

from __future__ import annotations

from pathlib import Path

from app.access.audit import AuditLog, default_audit_path


def test_audit_log_points_at_a_per_test_temp_file(tmp_path: Path) -> None:
    path = default_audit_path()
    home_log = Path.home() / ".local" / "share" / "csmap" / "audit.jsonl"
    assert path != home_log
    assert path.parent == tmp_path  # the autouse fixture in conftest.py
    AuditLog(path).append(user="t", role="analyst", action="page_view", details={})
    assert path.is_file()


def test_each_test_gets_its_own_log(tmp_path: Path) -> None:
    assert default_audit_path().parent == tmp_path
    assert not default_audit_path().exists()
