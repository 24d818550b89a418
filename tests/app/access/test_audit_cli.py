"""Issue #12 item 11: every CLI ingest, file export and deletion writes one audit entry.

Each entry names the operating-system user, a role, the store, what was done, how many rows, the
reason given (``--reason``) and the result (``ok``, or ``error`` with the error).
"""

from __future__ import annotations

import getpass
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.access.audit import AuditLog, default_audit_path
from app.cli import main
from tests._app_store import build_store, write_csvs

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ssda903"
POLICE = Path(__file__).resolve().parents[3] / "data" / "police_uk"
REGISTER = (
    "premises_name,licence_number,licence_holder,address,latitude,longitude,venue_type\n"
    "The Kings Head,PL/001,Ale Co,,53.6458,-1.7850,\n"
    "No Location Bar,PL/003,,,,,\n"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("auditcli"), demo=False)


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store" / "store.gpkg"
    path.parent.mkdir()
    shutil.copyfile(built, path)
    return path


def _entries() -> list[dict[str, Any]]:
    path = default_audit_path()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _last(action: str) -> dict[str, Any]:
    found = [e for e in _entries() if e["action"] == action]
    assert found, f"no {action} entry in the audit log"
    return found[-1]


def _check(entry: dict[str, Any], *, what: str, rows: int | None, store: Path | None) -> None:
    assert entry["user"] == getpass.getuser()
    assert entry["role"]
    details = entry["details"]
    assert details["what"] == what
    if rows is not None:
        assert details["rows"] == rows
    assert details["result"] == "ok"
    assert "reason" in details
    if store is not None:
        assert entry["store"] == str(store.resolve())
        # anchored in the store (which the command may have rewritten since: retention)
        anchor = AuditLog.for_store(store).read_anchor()
        assert anchor is not None and anchor["seq"] == entry["seq"]
        assert main(["audit", "verify", "--store", str(store)]) == 0
    assert AuditLog(default_audit_path()).verify().ok


def test_ingest_is_logged(tmp_path: Path) -> None:
    csvs = write_csvs(tmp_path / "csv")
    store = tmp_path / "s.gpkg"
    assert main(["ingest", "concerns", str(csvs["concerns"]), "--store", str(store)]) == 0
    entry = _last("ingest")
    _check(entry, what="concerns", rows=12, store=store)
    assert entry["details"]["rows_quarantined"] == 1
    assert entry["details"]["file"] == str(csvs["concerns"])


def test_failed_ingest_is_logged_with_the_error(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    assert main(["ingest", "concerns", str(tmp_path / "none.csv"), "--store", str(store)]) == 2
    entry = _last("ingest")
    assert entry["details"]["result"] == "error"
    assert "none.csv" in entry["details"]["error"]
    assert entry["user"] == getpass.getuser()


def test_venues_import_is_logged(tmp_path: Path) -> None:
    register = tmp_path / "premises.csv"
    register.write_text(REGISTER, encoding="utf-8")
    store = tmp_path / "s.gpkg"
    argv = ["venues", "import", str(register), "--type", "premises licence", "--store", str(store)]
    assert main(argv) == 0
    entry = _last("ingest")
    _check(entry, what="venues (premises licence)", rows=1, store=store)
    assert entry["details"]["rows_quarantined"] == 1


def test_ssda903_import_is_logged(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    argv = [
        *("ssda903", "import", "ssda903-episodes", str(FIX / "episodes.csv")),
        *("--store", str(store), "--placing-authority", "Leeds"),
        *("--postcode-lookup", str(FIX / "postcodes.csv")),
    ]
    assert main(argv) == 0
    _check(_last("ingest"), what="placements (ssda903-episodes)", rows=5, store=store)


def test_policeuk_import_is_logged(tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    assert main(["police-uk", "import", str(POLICE), "--store", str(store)]) == 0
    entry = _last("ingest")
    _check(entry, what="police_uk", rows=None, store=store)
    assert entry["details"]["rows"] > 0


def test_hotspots_out_is_logged_with_reason(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.geojson"
    argv = ["hotspots", "--store", str(store), "--method", "kde", "--out", str(out)]
    assert main([*argv, "--reason", "tasking meeting 4 Dec"]) == 0
    entry = _last("export")
    n = len(json.loads(out.read_text())["features"])
    _check(entry, what="hotspots kde (concerns)", rows=n, store=store)
    assert entry["details"]["reason"] == "tasking meeting 4 Dec"
    assert entry["details"]["file_name"] == str(out)
    assert entry["details"]["record_level"] is False


def test_failed_hotspots_out_is_logged(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.geojson"
    argv = ["hotspots", "--store", str(store), "--method", "kde", "--out", str(out)]
    assert main([*argv, "--from", "2030-01-01"]) == 2
    entry = _last("export")
    assert entry["details"]["result"] == "error"
    assert "no events" in entry["details"]["error"]
    assert not out.exists()


def test_disruption_out_is_logged(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    assert main(["disruption", "--store", str(store), "--out", str(out), "--reason", "op x"]) == 0
    entry = _last("export")
    _check(entry, what="disruption watchlist", rows=None, store=store)
    assert entry["role"] == "partner" and entry["details"]["reason"] == "op x"


def test_assess_out_is_logged(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    argv = ["assess", "53.6458,-1.785", "--store", str(store), "--out", str(out)]
    assert main(argv) == 0
    entry = _last("export")
    _check(entry, what="location assessment", rows=None, store=store)
    assert entry["role"] == "analyst" and entry["details"]["reason"] is None


def test_report_out_is_logged_with_result(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert main(["report", "placements", "--store", str(store), "--out", str(out)]) == 0
    entry = _last("export")
    _check(entry, what="report placements", rows=None, store=store)


def test_refused_record_level_report_is_logged(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    argv = ["report", "placements", "--store", str(store), "--role", "analyst"]
    assert main([*argv, "--out", str(out)]) == 2
    entry = _last("export")
    assert entry["details"]["result"] == "error" and not out.exists()
    assert "--reason is required" in entry["details"]["error"]
    assert main([*argv, "--out", str(out), "--reason", "case review 5 Dec"]) == 0
    entry = _last("export")
    assert entry["details"]["record_level"] is True
    assert entry["details"]["reason"] == "case review 5 Dec"
    _check(entry, what="report placements", rows=None, store=store)


def test_emerging_out_is_logged(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.geojson"
    argv = [
        "spacetime",
        "emerging",
        "--store",
        str(store),
        "--cell-size",
        "1000",
        "--band",
        "2000",
        "--time-step",
        "week",
    ]
    assert main([*argv, "--out", str(out)]) == 0
    _check(_last("export"), what="emerging hot spots (concerns)", rows=None, store=store)


def test_evaluate_out_is_logged(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev.csv"
    argv = ["evaluate", "--store", str(store), "--methods", "grid_counts", "--out", str(out)]
    assert main([*argv, "--train-months", "1"]) == 0
    _check(_last("export"), what="evaluation (concerns)", rows=None, store=store)


def test_retention_is_logged_with_result(store: Path) -> None:
    assert main(["retention", "apply", "--years", "1", "--store", str(store)]) == 0
    entry = _last("retention")
    _check(entry, what="retention", rows=None, store=store)
    assert entry["details"]["rows"] > 0


def test_failure_on_a_missing_store_creates_nothing_beside_it(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "store.gpkg"
    out = tmp_path / "w.csv"
    assert main(["disruption", "--store", str(missing), "--out", str(out)]) == 2
    assert not missing.parent.exists()
    entry = _last("export")
    assert entry["details"]["result"] == "error" and "store not found" in entry["details"]["error"]
    assert entry["details"]["store"] == str(missing)
