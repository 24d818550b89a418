"""``csmap ssda903 import``: national tables through the CLI into a store (fixtures in
tests/fixtures/ssda903, described in its README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from geo.store.gpkg import Store

FIX = Path(__file__).resolve().parents[3] / "fixtures" / "ssda903"
LOOKUP = str(FIX / "postcodes.csv")


def test_episodes_import_into_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store.gpkg"
    argv = [
        "ssda903",
        "import",
        "ssda903-episodes",
        str(FIX / "episodes.csv"),
        "--store",
        str(store),
        "--placing-authority",
        "Leeds",
        "--postcode-lookup",
        LOOKUP,
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    # README: rows 2-6 load, rows 7-8 quarantined, row 9 a duplicate
    assert summary["format"] == "ssda903-episodes"
    assert summary["kind"] == "placements"
    assert (summary["rows_read"], summary["rows_loaded"]) == (8, 5)
    assert (summary["rows_quarantined"], summary["rows_duplicate"]) == (2, 1)
    stored = Store(store).read("placements")
    assert len(stored) == 5
    assert set(stored["child_ref"]) >= {"SSDA0001"}


def test_ssd_placements_with_episodes_and_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.gpkg"
    argv = [
        "ssda903",
        "import",
        "ssd-placements",
        str(FIX / "ssd_cla_placement.csv"),
        "--episodes",
        str(FIX / "ssd_cla_episodes.csv"),
        "--store",
        str(store),
        "--postcode-lookup",
        LOOKUP,
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows_read"] == 3
    placements = Store(store).read("placements")
    # the child comes from the episodes table (E1 -> P100)
    assert "P100" in set(placements["child_ref"])
    assert (
        main(
            [
                "ssda903",
                "import",
                "ssda903-missing",
                str(FIX / "missing.csv"),
                "--store",
                str(store),
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "missing_episodes"
    assert summary["rows_read"] == 6
    assert len(Store(store).read("missing_episodes")) == summary["rows_loaded"]


def test_dry_run_stores_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store.gpkg"
    argv = [
        "ssda903",
        "import",
        "ssd-missing",
        str(FIX / "ssd_missing.csv"),
        "--store",
        str(store),
        "--dry-run",
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["store"] is None and summary["rows_read"] == 3
    assert not store.exists()


def test_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert (
        main(
            [
                "ssda903",
                "import",
                "ssda903-missing",
                str(missing),
                "--store",
                str(tmp_path / "s.gpkg"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "nope.csv" in err and len(err.strip().splitlines()) == 1
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    assert (
        main(
            [
                "ssda903",
                "import",
                "ssda903-episodes",
                str(wrong),
                "--store",
                str(tmp_path / "s.gpkg"),
            ]
        )
        == 2
    )
    assert "wrong.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ssda903", "import", "no-such-format", str(wrong)])
