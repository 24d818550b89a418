"""The store under hostile conditions (issue #12): stale copies, damaged or read-only stores."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from geo.store.files import lock_file, writing_copy
from geo.store.gpkg import Store

ROOT = Path(__file__).resolve().parents[3]
CSV = "record_id,reported_date,latitude,longitude\nS1,2024-03-05,53.65,-1.78\n"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={**os.environ, "CSMAP_AREA": "kirklees"},
    )


def _contents(store: Path) -> list[str]:
    """The store as SQL, without the audit anchor's metadata row."""
    with contextlib.closing(sqlite3.connect(store)) as con:
        return [line for line in con.iterdump() if "audit_anchor" not in line]


# -- item 7: a killed ingest's copy of the store ---------------------------------------------------


def test_stale_copy_removed_on_start_up_with_one_line(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    src = tmp_path / "c.csv"
    src.write_text(CSV, encoding="utf-8")
    assert run_cli("ingest", "concerns", str(src), "--store", str(store)).returncode == 0
    copy = writing_copy(store)
    copy.write_bytes(store.read_bytes())  # what a killed ingest leaves
    before = _contents(store)
    proc = run_cli("ingest", "concerns", str(src), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert not copy.exists()
    lines = [line for line in proc.stderr.splitlines() if str(copy) in line]
    assert len(lines) == 1 and "stale copy" in lines[0], proc.stderr
    # nothing new: the store's records are untouched (the ingest's audit entry is anchored in
    # the store's metadata, so the file's bytes change by that one row)
    assert _contents(store) == before


def test_live_writers_copy_is_not_removed(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    copy = writing_copy(store)
    copy.write_bytes(b"a live ingest is writing this")
    with open(lock_file(store), "a+b") as handle:  # as Store.lock holds it during a write
        fcntl.flock(handle, fcntl.LOCK_EX)
        Store(store).kinds()
        assert copy.exists()
        fcntl.flock(handle, fcntl.LOCK_UN)
    Store(store)
    assert not copy.exists()


def test_no_message_when_nothing_is_left_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    Store(tmp_path / "s.gpkg")
    assert capsys.readouterr().err == ""


# -- item 6: damaged and read-only stores: one line, exit 2 --------------------------------------


def _damage(store: Path, how: str) -> None:
    data = store.read_bytes()
    if how == "truncated":
        store.write_bytes(data[: len(data) // 3])
    elif how == "zeroed header":
        store.write_bytes(b"\0" * 100 + data[100:])
    elif how == "empty":
        store.write_bytes(b"")
    else:  # not a GeoPackage at all
        store.write_bytes(b"record_id,reported_date\n")


@pytest.mark.parametrize("how", ["truncated", "zeroed header", "empty", "text"])
def test_damaged_store_one_line_exit_2(tmp_path: Path, how: str) -> None:
    store = tmp_path / "s.gpkg"
    src = tmp_path / "c.csv"
    src.write_text(CSV, encoding="utf-8")
    assert run_cli("ingest", "concerns", str(src), "--store", str(store)).returncode == 0
    _damage(store, how)
    damaged = store.read_bytes()
    src.write_text(CSV.replace("S1", "S2"), encoding="utf-8")
    proc = run_cli("ingest", "concerns", str(src), "--store", str(store))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert f"{store}: the store cannot be updated" in proc.stderr
    assert store.read_bytes() == damaged
    assert not writing_copy(store).exists()


def test_read_only_store_folder_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Root ignores permission bits (CI runs as root): the copy is refused as the OS would."""
    import shutil

    import geo.store.gpkg
    from app.cli import main

    store = tmp_path / "s.gpkg"
    src = tmp_path / "c.csv"
    src.write_text(CSV, encoding="utf-8")
    assert main(["ingest", "concerns", str(src), "--store", str(store)]) == 0
    before = store.read_bytes()
    capsys.readouterr()

    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(shutil, "copyfile", refuse)
    assert geo.store.gpkg.shutil.copyfile is refuse
    src.write_text(CSV.replace("S1", "S2"), encoding="utf-8")
    assert main(["ingest", "concerns", str(src), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Permission denied" in err and str(store) in err
    assert store.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_store_folder_for_real(tmp_path: Path) -> None:
    store = tmp_path / "ro" / "s.gpkg"
    store.parent.mkdir()
    src = tmp_path / "c.csv"
    src.write_text(CSV, encoding="utf-8")
    assert run_cli("ingest", "concerns", str(src), "--store", str(store)).returncode == 0
    store.parent.chmod(0o555)
    try:
        src.write_text(CSV.replace("S1", "S2"), encoding="utf-8")
        proc = run_cli("ingest", "concerns", str(src), "--store", str(store))
    finally:
        store.parent.chmod(0o755)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
