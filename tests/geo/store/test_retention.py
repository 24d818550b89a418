"""Retention: cut-off, retention dates, atomic deletion, quarantine files, CLI and audit log."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.access.audit import AuditLog
from app.cli import main
from geo.errors import ParameterError, StoreError
from geo.ingest.pipeline import ingest_file
from geo.store import retention
from geo.store.gpkg import Store
from geo.store.retention import (
    apply_retention,
    cutoff_date,
    quarantine_files_before,
    retention_dates,
    retention_years,
)
from tests._demo_store import demo_store

NOW = pd.Timestamp("2026-11-21 14:00")  # cut-off for 6 years: 2020-11-21

CONCERNS = """record_id,reported_date,latitude,longitude,summary
c1,2014-05-01,53.65,-1.78,OLDMARKER-c1
c2,2020-11-20 23:59,53.65,-1.78,just before the cut-off
c3,2020-11-21,53.65,-1.78,on the cut-off day: kept
c4,2026-01-05,53.65,-1.78,recent
c5,not a date,53.65,-1.78,quarantined
"""
MISSING = """episode_id,child_ref,start,end,last_seen_latitude,last_seen_longitude
m1,K1,2015-01-01,2015-01-02,53.65,-1.78
m2,K1,2019-06-01,2021-02-01,53.65,-1.78
m3,K2,2018-03-01,,53.65,-1.78
m4,K3,2024-03-01,2024-03-02,53.65,-1.78
"""
PLACEMENTS = """placement_id,child_ref,start_date,end_date,latitude,longitude
p1,K1,2010-01-01,2012-01-01,53.65,-1.78
p2,K2,2016-01-01,,53.65,-1.78
p3,K3,2016-01-01,2023-05-01,53.65,-1.78
"""


def _store(folder: Path) -> Path:
    store = folder / "store.gpkg"
    for kind, text in (
        ("concerns", CONCERNS),
        ("missing_episodes", MISSING),
        ("placements", PLACEMENTS),
    ):
        path = folder / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        ingest_file(kind, path, store=store, area="kirklees")  # type: ignore[arg-type]
    return store


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("retention_src"))


@pytest.fixture
def store_copy(small_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.gpkg"
    shutil.copyfile(small_store, target)
    return target


def test_cutoff_reference_values() -> None:
    assert cutoff_date(years=6, now=NOW) == pd.Timestamp("2020-11-21")
    assert cutoff_date(years=1, now=pd.Timestamp("2024-02-29 23:00")) == pd.Timestamp("2023-02-28")
    aware = pd.Timestamp("2026-01-01 00:30", tz="Europe/Paris")  # 2025-12-31 23:30 UTC
    assert cutoff_date(years=2, now=aware) == pd.Timestamp("2023-12-31")
    for bad in (0, -1, 2.5, True, "6"):
        with pytest.raises(ParameterError):
            cutoff_date(years=bad, now=NOW)  # type: ignore[arg-type]


def test_retention_dates_prefer_end_and_keep_index() -> None:
    frame = pd.DataFrame(
        {
            "start_date": pd.to_datetime(pd.Series(["2010-01-01", "2016-01-01", None])),
            "end_date": pd.to_datetime(pd.Series(["2012-01-01", None, None])),
        }
    )
    frame.index = pd.Index([10, 20, 30])
    dates = retention_dates(frame, kind="placements")
    assert dates.index.tolist() == [10, 20, 30]
    assert dates.iloc[0] == pd.Timestamp("2012-01-01")
    assert dates.iloc[1] == pd.Timestamp("2016-01-01")
    assert pd.isna(dates.iloc[2])
    with pytest.raises(ParameterError):
        retention_dates(frame, kind="venues")


def test_apply_deletes_exactly_the_old_records(store_copy: Path) -> None:
    report = apply_retention(store_copy, years=6, now=NOW)
    # Hand-checked: concerns c1, c2 before 2020-11-21; missing m1 (end 2015), m3 (open, start
    # 2018); m2 ends 2021 so kept; placements p1 (end 2012), p2 (open, start 2016).
    assert report.deleted == {"concerns": 2, "missing_episodes": 2, "placements": 2}
    assert report.kept == {"concerns": 2, "missing_episodes": 2, "placements": 1}
    assert report.undated == {"concerns": 0, "missing_episodes": 0, "placements": 0}
    store = Store(store_copy)
    assert sorted(store.read("concerns")["record_id"]) == ["c3", "c4"]
    assert sorted(store.read("missing_episodes")["episode_id"]) == ["m2", "m4"]
    assert store.read("placements")["placement_id"].tolist() == ["p3"]
    assert len(store.ingest_log()) == 3  # provenance of the ingests is kept
    summary = report.summary()
    assert summary["rows_deleted"] == 6 and summary["cutoff"] == "2020-11-21"
    json.dumps(summary)  # JSON-serialisable
    # The store still takes new rows afterwards, and reports them as new.
    again = store_copy.parent / "late.csv"
    again.write_text("record_id,reported_date,latitude,longitude\nc9,2026-02-02,53.65,-1.78\n")
    assert ingest_file("concerns", again, store=store_copy, area="kirklees").rows_loaded == 1
    assert len(Store(store_copy).read("concerns")) == 3


def test_deleted_content_does_not_linger_in_the_file(store_copy: Path) -> None:
    assert b"OLDMARKER-c1" in store_copy.read_bytes()
    apply_retention(store_copy, years=6, now=NOW)
    assert b"OLDMARKER-c1" not in store_copy.read_bytes()


def test_dry_run_and_nothing_to_delete_leave_store_byte_identical(store_copy: Path) -> None:
    before = store_copy.read_bytes()
    dry = apply_retention(store_copy, years=6, now=NOW, dry_run=True)
    assert dry.dry_run and dry.deleted["concerns"] == 2
    assert store_copy.read_bytes() == before
    none = apply_retention(store_copy, years=50, now=NOW)
    assert sum(none.deleted.values()) == 0
    assert store_copy.read_bytes() == before


def test_failure_mid_delete_leaves_store_unchanged(
    store_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store_copy.read_bytes()
    real = retention._delete_rows

    def explode(path: Path, doomed: dict[str, list[int]]) -> None:
        real(path, doomed)  # the copy is changed ...
        raise OSError("disk full")  # ... then the run dies before the swap

    monkeypatch.setattr(retention, "_delete_rows", explode)
    with pytest.raises(OSError, match="disk full"):
        apply_retention(store_copy, years=6, now=NOW)
    assert store_copy.read_bytes() == before
    assert not list(store_copy.parent.glob(".*writing*"))


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store"):
        apply_retention(tmp_path / "nope.gpkg", years=6, now=NOW)
    assert not (tmp_path / "nope.gpkg").exists()


def test_quarantine_files_before_cutoff_are_removed(store_copy: Path, tmp_path: Path) -> None:
    folder = store_copy.parent
    old = folder / "concerns_20190101T101010123456_quarantine.csv"
    new = folder / "concerns_20260101T000000000000_quarantine.csv"
    unnamed_old = folder / "manual_quarantine.csv"  # no stamp: modification time decides
    for path in (old, new, unnamed_old):
        path.write_text("source_row,reasons\n2,x\n")
    os.utime(unnamed_old, (pd.Timestamp("2012-01-01").timestamp(),) * 2)
    outside = tmp_path.parent / f"{tmp_path.name}_outside_20100101T000000_quarantine.csv"
    outside.write_text("keep me\n")
    (folder / "link_20100101T000000_quarantine.csv").symlink_to(outside)
    try:
        listed = quarantine_files_before(folder, cutoff=pd.Timestamp("2020-11-21"))
        assert [p.name for p in listed] == [old.name, unnamed_old.name]
        dry = apply_retention(store_copy, years=6, now=NOW, dry_run=True)
        assert old.exists() and len(dry.quarantine_files) == 2
        report = apply_retention(store_copy, years=6, now=NOW)
        assert not old.exists() and not unnamed_old.exists()
        assert new.exists() and outside.exists()
        assert report.summary()["quarantine_files_deleted"] == [old.name, unnamed_old.name]
    finally:
        outside.unlink(missing_ok=True)


def test_retention_years_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSMAP_RETENTION_YEARS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert retention_years() is None  # no csmap.yaml: not configured
    cfg = tmp_path / "csmap.yaml"
    cfg.write_text("lookups: {}\n")
    assert retention_years(cfg) is None
    cfg.write_text("retention:\n  years: 7\n")
    assert retention_years() == 7
    monkeypatch.setenv("CSMAP_RETENTION_YEARS", "3")
    assert retention_years(cfg) == 3
    for bad in ("0", "2.5", "six", "-1"):
        monkeypatch.setenv("CSMAP_RETENTION_YEARS", bad)
        with pytest.raises(ParameterError):
            retention_years(cfg)
    monkeypatch.delenv("CSMAP_RETENTION_YEARS")
    cfg.write_text("retention: 6\n")
    with pytest.raises(ParameterError, match="mapping"):
        retention_years(cfg)


def _recent_store(folder: Path) -> Path:
    today = pd.Timestamp.now("UTC").strftime("%Y-%m-%d")
    csv = folder / "c.csv"
    csv.write_text(
        "record_id,reported_date,latitude,longitude\n"
        f"a,2001-01-01,53.65,-1.78\nb,2002-02-02,53.65,-1.78\nc,{today},53.65,-1.78\n"
    )
    store = folder / "store.gpkg"
    ingest_file("concerns", csv, store=store, area="kirklees")
    return store


def test_cli_apply_logs_to_audit_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSMAP_RETENTION_YEARS", raising=False)
    store = _recent_store(tmp_path)
    log_path = tmp_path / "audit.jsonl"
    base = ["retention", "apply", "--store", str(store), "--audit-log", str(log_path)]
    assert main([*base, "--years", "5", "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and dry["deleted"] == {"concerns": 2}
    assert len(Store(store).read("concerns")) == 3
    assert main([*base, "--years", "5"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["rows_deleted"] == 2 and done["kept"] == {"concerns": 1}
    assert Store(store).read("concerns")["record_id"].tolist() == ["c"]
    log = AuditLog(log_path)
    assert log.verify().ok
    entries = log.read(action="retention")
    assert len(entries) == 2
    details = json.loads(entries["details"].iloc[-1])
    assert details["deleted"] == {"concerns": 2} and details["dry_run"] is False
    assert details["cutoff"] == done["cutoff"]
    assert entries["rows"].tolist() == [2, 2] and entries["role"].tolist() == ["admin", "admin"]
    assert entries["user"].iloc[-1]


def test_cli_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSMAP_RETENTION_YEARS", raising=False)
    monkeypatch.chdir(tmp_path)
    log_path = tmp_path / "audit.jsonl"
    store = _recent_store(tmp_path)
    base = ["retention", "apply", "--store", str(store), "--audit-log", str(log_path)]
    assert main(base) == 2
    assert "no retention period" in capsys.readouterr().err
    assert main([*base, "--years", "0"]) == 2
    assert "years" in capsys.readouterr().err
    missing = ["retention", "apply", "--store", str(tmp_path / "x.gpkg"), "--years", "5"]
    assert main([*missing, "--audit-log", str(log_path)]) == 2
    assert "no store" in capsys.readouterr().err
    # A broken audit chain refuses a real run (deleting without a record is not allowed).
    AuditLog(log_path).append(user="x", role="admin", action="settings")
    log_path.write_text(log_path.read_text().replace('"settings"', '"sign_in"'))
    before = store.read_bytes()
    assert main([*base, "--years", "5"]) == 2
    assert "audit log broken" in capsys.readouterr().err
    assert store.read_bytes() == before
    # The setting in csmap.yaml is used when --years is absent.
    log_path.unlink()
    (tmp_path / "csmap.yaml").write_text("retention:\n  years: 5\n")
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["years"] == 5


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(years=st.integers(min_value=1, max_value=4))
def test_demo_store_counts_reconcile(years: int) -> None:
    """On the synthetic demo store: deleted + kept = stored, and the split matches pandas."""
    store = Store(demo_store())
    report = apply_retention(store, years=years, dry_run=True)
    for kind in store.kinds():
        frame = store.read(kind)
        dates = retention_dates(frame, kind=kind)
        assert report.deleted[kind] + report.kept[kind] == len(frame)
        assert report.deleted[kind] == int((dates < report.cutoff).sum())
