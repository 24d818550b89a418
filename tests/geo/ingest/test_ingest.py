"""Ingest: provenance, idempotent re-ingest, the three kinds, Excel, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.ingest.pipeline import ingest_file, validate_file
from geo.locate.geocode import Lookups
from geo.places.boundaries import load_area
from geo.store.gpkg import Store, points

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def area():
    return load_area("kirklees")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


CONCERNS = (
    "ID,Date,Category,Lat,Lon,Risk,Age\n"
    "C1,2024-01-02,CSE,53.65,-1.78,high,15\n"
    "C2,03/01/2024,county lines,53.66,-1.79,Amber,16\n"
    "C3,2024-01-04,CCE,53.67,-1.80,purple,17\n"
)


def test_provenance_and_idempotent_reingest(tmp_path: Path, area):
    src = write(tmp_path / "concerns.csv", CONCERNS)
    store = Store(tmp_path / "s.gpkg")
    first = ingest_file("concerns", src, store=store, lookups=Lookups(), area=area)
    assert (first.rows_loaded, first.rows_quarantined) == (2, 1)
    assert first.quarantine["reasons"].tolist() == ["risk_level: unknown value 'purple'"]
    stored = store.read("concerns")
    assert isinstance(stored.index, pd.RangeIndex)
    assert stored.crs.to_epsg() == 27700
    assert stored["source_file"].tolist() == ["concerns.csv"] * 2
    assert stored["source_row"].tolist() == [2, 3]
    assert stored["row_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert stored["row_hash"].nunique() == 2
    assert stored["risk_level"].tolist() == ["high", "medium"]
    assert stored["age"].tolist() == [15, 16]
    assert str(stored["reported_date"].dtype).startswith("datetime64")
    assert stored["lsoa21cd"].str.startswith("E01").all()
    before = store.path.read_bytes()
    again = ingest_file("concerns", src, store=store, lookups=Lookups(), area=area)
    assert (again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (0, 2, 1)
    assert again.quarantine_file == first.quarantine_file
    assert store.path.read_bytes() == before
    assert len(store.ingest_log()) == 1


def test_same_ids_from_a_changed_file_are_duplicates(tmp_path: Path, area):
    src = write(tmp_path / "concerns.csv", CONCERNS)
    store = Store(tmp_path / "s.gpkg")
    ingest_file("concerns", src, store=store, lookups=Lookups(), area=area)
    write(src, CONCERNS + "C4,2024-01-05,online,53.65,-1.78,low,14\n")
    r = ingest_file("concerns", src, store=store, lookups=Lookups(), area=area)
    assert (r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (1, 2, 1)
    assert sorted(store.read("concerns")["record_id"]) == ["C1", "C2", "C4"]
    assert len(store.ingest_log()) == 2


def test_missing_episodes_two_locations(tmp_path: Path, area):
    src = write(
        tmp_path / "missing.csv",
        "episode_id,child_ref,start,end,episode_type,last_seen_lat,last_seen_lon,found_easting,"
        "found_northing,looked_after,placing_authority,rhi_offered\n"
        "E1,K1,2024-01-02,2024-01-03,M,53.65,-1.78,414000,417000,Y,Leeds,yes\n"
        "E2,K1,2024-01-05,,A,53.65,-1.78,,,n,E08000034,\n"
        "E3,K2,2024-01-05,,A,,,,,,,\n"
        "E4,K2,2024-01-09,2024-01-08,M,,,,,,,\n",
    )
    store = Store(tmp_path / "s.gpkg")
    r = ingest_file("missing_episodes", src, store=store, lookups=Lookups(), area=area)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 1)
    assert r.quarantine["reasons"].tolist() == ["end: before start"]
    m = store.read("missing_episodes")
    assert m["episode_type"].tolist() == ["missing", "away without authorisation"] * 1 + [
        "away without authorisation"
    ]
    assert m["placing_authority"].tolist()[:2] == ["E08000035", "E08000034"]
    assert m["looked_after"].tolist()[:2] == [True, False]
    assert m["found_location_precision"].tolist() == ["exact point", "none", "none"]
    assert m["last_seen_location_precision"].tolist() == ["exact point", "exact point", "none"]
    # Geometry: found point, else last-seen point, else null.
    assert m.geometry.iloc[0].x == pytest.approx(414000)
    assert m.geometry.iloc[1].x == pytest.approx(m["last_seen_easting"].iloc[1])
    assert m.geometry.iloc[2] is None
    assert points(m, "missing_found").index.tolist() == [0]
    assert points(m, "missing_last_seen").index.tolist() == [0, 1]


def test_placements_and_excel(tmp_path: Path, area):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["Placement Ref", "DECOM", "PLACE", "PLACE_PROVIDER", "LA", "Easting", "Northing", "Note"]
    )
    sheet.append(
        [
            "P1",
            pd.Timestamp("2024-02-01").to_pydatetime(),
            "K2",
            "PR4",
            "Bradford",
            414639.6,
            417076.1,
            "=1+1",
        ]
    )
    sheet.append(["P2", "01/03/2024", "U3", "private", "Manchester", None, None, None])
    path = tmp_path / "placements.xlsx"
    book.save(path)
    report = validate_file("placements", path, lookups=Lookups(), area=area)
    assert report.encoding == "xlsx" and report.rows_loaded == 2
    rec = report.records
    assert rec["placement_type"].tolist() == ["children's home", "foster care"]
    assert rec["provider_type"].tolist() == ["PR4", "PR4"]
    assert rec["placing_authority"].tolist() == ["E08000032", "E08000003"]
    assert rec["start_date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    assert json.loads(rec["extra"].iloc[0]) == {"Note": "=1+1"}  # formula text, not evaluated
    assert rec["location_precision"].tolist() == ["exact point", "none"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_cli(tmp_path: Path):
    src = write(tmp_path / "concerns.csv", CONCERNS)
    store = tmp_path / "s.gpkg"
    done = run_cli("concerns", str(src), "--store", str(store))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["rows_read"] == 3 and summary["rows_loaded"] == 2
    assert summary["rows_quarantined"] == 1 and summary["rows_duplicate"] == 0
    assert summary["kind"] == "concerns" and summary["store"] == str(store)
    assert Path(summary["quarantine_file"]).parent == tmp_path
    bad = write(tmp_path / "bad.csv", "colour\nred\n")
    before = store.read_bytes()
    failed = run_cli("concerns", str(bad), "--store", str(store))
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and "bad.csv" in failed.stderr
    assert store.read_bytes() == before
