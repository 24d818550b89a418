"""``csmap report``: CSV/HTML per view and role, disclosure for board, reason and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from tests._app_store import N_CONCERNS, build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("reportstore"), demo=False)


@pytest.fixture
def audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(path))
    monkeypatch.delenv("CSMAP_POSTCODE_LOOKUP", raising=False)
    return path


@pytest.mark.parametrize("view", ["placements", "missing", "agencies"])
def test_board_csv_has_no_small_counts(view: str, store: Path, audit: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{view}.csv"
    assert main(["report", view, "--store", str(store), "--out", str(out)]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["section"].nunique() >= 3
    counts = [
        c
        for c in frame.columns
        if c
        in {
            "placements",
            "count",
            "ended",
            "offered",
            "accepted",
            "within_72h",
            "episodes",
            "police",
            "education",
            "Total",
            "missing",
            "repeat_placements",
        }
    ]
    assert counts
    for column in counts:
        assert not frame[column].isin(["1", "2", "3", "4"]).any(), column
    entry = json.loads(audit.read_text().splitlines()[-1])
    assert entry["action"] == "export" and entry["role"] == "board"
    assert entry["details"]["what"] == f"report {view}"


def test_analyst_needs_reason_and_gets_counts(
    store: Path, audit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.html"
    args = ["report", "agencies", "--store", str(store), "--role", "analyst", "--out", str(out)]
    assert main(args) == 2
    assert "--reason is required" in capsys.readouterr().err
    assert not out.exists()
    assert main([*args, "--reason", "quarterly problem profile"]) == 0
    html = out.read_text()
    assert "<script>" not in html
    assert "Risk-level history per child (analyst)" in html
    assert f"<td>{N_CONCERNS}</td>" in html  # the grand total, unsuppressed for analysts
    entry = json.loads(audit.read_text().splitlines()[-1])
    assert entry["details"]["reason"] == "quarterly problem profile"
    assert entry["details"]["record_level"] is True


def test_lsoa_level_and_errors(
    store: Path, audit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.csv"
    assert (
        main(["report", "placements", "--store", str(store), "--level", "lsoa", "--out", str(out)])
        == 0
    )
    frame = pd.read_csv(out, dtype=str)
    assert frame["lsoa21cd"].dropna().str.startswith("E0").any()
    assert (
        main(["report", "placements", "--store", str(store), "--out", str(tmp_path / "x.pdf")]) == 2
    )
    assert "must end in .csv or .html" in capsys.readouterr().err
    missing = tmp_path / "nope.gpkg"
    assert main(["report", "missing", "--store", str(missing), "--out", str(out)]) == 2
    assert "nope.gpkg does not exist" in capsys.readouterr().err
