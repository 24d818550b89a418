"""Audit log tests: the hash chain, tampering (edit, delete, reorder, truncate), CLI, locking."""

from __future__ import annotations

import doctest
import json
import multiprocessing
import stat
from pathlib import Path

import pytest

import app.access.audit as audit
from app.access.audit import GENESIS_HASH, AuditLog, AuditLogError, ReasonRequired, entry_hash
from app.cli import main


def _log(tmp_path: Path, n: int = 6) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append(
            user=f"user{i % 2}",
            role="analyst",
            action="page_view",
            details={"page": "map", "filters": {"category": ["CSE"], "i": i}},
        )
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines()


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_doctests_run() -> None:
    result = doctest.testmod(audit)
    assert result.attempted > 0 and result.failed == 0


def test_chain_structure(tmp_path: Path) -> None:
    log = _log(tmp_path, 3)
    entries = [json.loads(line) for line in _lines(log)]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_hash"] == GENESIS_HASH
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    for e in entries:
        assert e["hash"] == entry_hash(e)
        assert e["time"].endswith("Z")
    # the hash is the sha256 of the canonical JSON without "hash"
    import hashlib

    body = {k: v for k, v in entries[2].items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == entries[2]["hash"]
    result = log.verify()
    assert result.ok and result.first_bad_seq is None and result.n_entries == 3
    assert result.head_hash == entries[2]["hash"]
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600


def test_empty_log_verifies(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "none.jsonl").verify().ok


def test_edit_detected_at_right_seq(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[3] = lines[3].replace('"user1"', '"mallory"')
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4
    assert "edited" in result.message


def test_edit_with_recomputed_hash_detected_at_next(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    entry = json.loads(lines[2])
    entry["user"] = "mallory"
    entry["hash"] = entry_hash(entry)
    lines[2] = json.dumps(entry)
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4
    assert "prev_hash" in result.message


def test_delete_detected(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    del lines[2]
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3


def test_reorder_detected(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[1], lines[4] = lines[4], lines[1]
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2


def test_truncate_mid_line_detected(tmp_path: Path) -> None:
    log = _log(tmp_path)
    data = log.path.read_bytes()
    log.path.write_bytes(data[: len(data) - 40])
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 6
    assert "JSON" in result.message
    with pytest.raises(AuditLogError):
        log.append(user="u", role="admin", action="sign_in")


def test_truncate_whole_lines_detected_by_head(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _write(log, _lines(log)[:4])
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 5
    assert "truncated" in result.message


def test_head_file_removed_detected(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.head_path.unlink()
    assert not log.verify().ok


def test_record_level_export_needs_reason(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    for reason in (None, "", "   "):
        with pytest.raises(ReasonRequired):
            log.export(user="jo", role="analyst", what="concerns", rows=5, record_level=True,
                       reason=reason)  # fmt: skip
    assert not log.path.exists() or log.path.read_text() == ""
    log.export(user="jo", role="board", what="ward table", rows=23, record_level=False)
    entry = log.export(
        user="jo",
        role="analyst",
        what="concerns",
        rows=5,
        record_level=True,
        reason="MACE meeting",
        filters={"since": "2024-01-01"},
    )
    assert entry["details"]["reason"] == "MACE meeting" and entry["seq"] == 2
    assert issubclass(ReasonRequired, ValueError)
    with pytest.raises(AuditLogError):
        log.append(user="jo", role="analyst", action="hack")


def test_read_filters(tmp_path: Path) -> None:
    log = _log(tmp_path, 4)
    log.export(user="ann", role="partner", what="hotspots", rows=7, record_level=False)
    frame = log.read()
    assert frame["seq"].tolist() == [1, 2, 3, 4, 5]
    assert str(frame["time"].dtype).startswith("datetime64")
    assert log.read(user="user0")["seq"].tolist() == [1, 3]
    exports = log.read(action="export")
    assert exports["what"].tolist() == ["hotspots"] and exports["rows"].tolist() == [7]
    assert log.read(text="CSE")["seq"].tolist() == [1, 2, 3, 4]
    assert len(log.read(since="2000-01-01", until="2100-01-01")) == 5
    assert log.read(until="2000-01-01").empty


def _append_many(path: str, who: str) -> None:
    log = AuditLog(path)
    for i in range(15):
        log.append(user=who, role="analyst", action="page_view", details={"i": i})


def test_concurrent_appends_keep_chain(tmp_path: Path) -> None:
    path = str(tmp_path / "c.jsonl")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(path, f"p{k}")) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    log = AuditLog(path)
    result = log.verify()
    assert result.ok, result.message
    assert result.n_entries == 30


def test_cli_verify_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, 3)
    log.export(user="ann", role="partner", what='=HYPERLINK("x")', rows=2, record_level=False)
    assert main(["audit", "verify", "--log", str(log.path)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["audit", "show", "--log", str(log.path), "--action", "export"]) == 0
    assert "ann" in capsys.readouterr().out
    assert main(["audit", "show", "--log", str(log.path), "--format", "csv", "--last", "1"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out
    lines = _lines(log)
    lines[1] = lines[1].replace("page_view", "export")
    _write(log, lines)
    assert main(["audit", "verify", "--log", str(log.path)]) == 1
    assert "entry 2" in capsys.readouterr().err
    assert main(["audit", "verify", "--log", str(tmp_path / "missing.jsonl")]) == 2
