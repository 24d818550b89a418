"""The store under hostile conditions (issue #12): stale copies, damaged or read-only stores."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo.store import Store
from geo.store_files import lock_file, writing_copy

ROOT = Path(__file__).resolve().parents[1]
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


# -- item 7: a killed ingest's copy of the store ---------------------------------------------------


def test_stale_copy_removed_on_start_up_with_one_line(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    src = tmp_path / "c.csv"
    src.write_text(CSV, encoding="utf-8")
    assert run_cli("ingest", "concerns", str(src), "--store", str(store)).returncode == 0
    copy = writing_copy(store)
    copy.write_bytes(store.read_bytes())  # what a killed ingest leaves
    before = store.read_bytes()
    proc = run_cli("ingest", "concerns", str(src), "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert not copy.exists()
    lines = [line for line in proc.stderr.splitlines() if str(copy) in line]
    assert len(lines) == 1 and "stale copy" in lines[0], proc.stderr
    assert store.read_bytes() == before  # nothing new: the store is untouched


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
