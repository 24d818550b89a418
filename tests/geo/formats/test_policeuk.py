"""police.uk reader: dedupe, quarantine, projection, reconciliation, store layer, CLI."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from geo.errors import UnreadableFileError
from geo.formats.policeuk import (
    POLICE_UK_COLUMNS,
    read_police_uk,
    read_police_uk_layer,
    store_police_uk,
)
from geo.locate.coords import wgs84_to_bng
from geo.store.gpkg import Store

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "police_uk"
HEADER = ",".join(POLICE_UK_COLUMNS)


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_hand_file(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "2024-01-f-street.csv",
        [
            "c1,2024-01,F,F,-2.95,51.61,On or near A,W01,Newport 001A,Burglary,Pending,",
            "c1,2024-01,F,F,-2.95,51.61,On or near A,W01,Newport 001A,Burglary,Status update,",
            "c1,2024-02,F,F,-2.95,51.61,On or near A,W01,Newport 001A,Burglary,Later month,",
            ",2024-01,F,F,-2.96,51.62,On or near B,W02,Newport 002A,Anti-social behaviour,,",
            ",2024-01,F,F,-2.96,51.62,On or near B,W02,Newport 002A,Anti-social behaviour,,",
            "c2,2024-01,F,F,,,No Location,,,Drugs,,",
            "c3,2024-01,F,F,abc,51.6,X,W03,N,Drugs,,",
            "c4,2024-13,F,F,-2.9,51.6,X,W03,N,Drugs,,",
        ],
    )
    r = read_police_uk(f)
    assert (r.rows_read, r.rows_duplicate, r.rows_quarantined, r.rows_loaded) == (8, 1, 3, 4)
    # the first of a repeated Crime ID is kept; the same ID in another month is not a repeat
    kept = r.records[r.records["crime_id"] == "c1"]
    assert kept["last_outcome"].tolist() == ["Pending", "Later month"]
    # ASB rows have no Crime ID and are never deduplicated
    assert (r.records["crime_type"] == "Anti-social behaviour").sum() == 2
    reasons = dict(zip(r.quarantine["Crime ID"], r.quarantine["reasons"], strict=True))
    assert reasons["c2"] == "Longitude/Latitude: no coordinates"
    assert reasons["c3"] == "Longitude/Latitude: not a number"
    assert reasons["c4"] == "Month: not YYYY-MM"
    assert r.quarantine["source_row"].tolist() == [7, 8, 9]
    # month precision and OSTN15 projection
    assert (r.records["date_precision"] == "month").all()
    assert r.records["month"].iloc[0] == pd.Timestamp("2024-01-01")
    e, n = wgs84_to_bng([-2.95], [51.61])
    assert r.records["easting"].iloc[0] == pytest.approx(float(e[0]))
    assert r.records.geometry.iloc[0].y == pytest.approx(float(n[0]))
    assert r.records.crs.to_epsg() == 27700
    assert list(r.records.index) == list(range(4))


def test_real_sample_reconciles_and_matches_raw_counts() -> None:
    raw = pd.read_csv(next(SAMPLE.glob("*.csv")), dtype=str, keep_default_na=False)
    r = read_police_uk(SAMPLE)
    assert r.rows_read == len(raw) == 3600
    assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_duplicate
    has_id = raw["Crime ID"] != ""
    expected_dups = raw[has_id].duplicated(["Month", "Crime ID"]).sum()
    assert r.rows_duplicate == expected_dups > 0
    assert r.rows_quarantined == (raw["Longitude"] == "").sum() == 80
    assert r.months == ["2024-03", "2024-04", "2024-05", "2024-06"]
    # Newport lies around E 330 000, N 188 000
    assert np.all(np.abs(r.records["easting"] - 331_000) < 15_000)
    assert np.all(np.abs(r.records["northing"] - 188_000) < 15_000)


def test_zip_and_many_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", ["x1,2024-01,F,F,-3.0,51.6,L,W,N,Drugs,,"])
    b = _write(tmp_path / "b.csv", ["x1,2024-01,F,F,-3.0,51.6,L,W,N,Drugs,,"])
    z = tmp_path / "both.zip"
    with zipfile.ZipFile(z, "w") as archive:
        archive.write(a, "2024-01/a.csv")
        archive.write(b, "2024-01/b.csv")
    r = read_police_uk([z])
    # the same Crime ID in the same month across two files is one crime
    assert (r.rows_read, r.rows_loaded, r.rows_duplicate) == (2, 1, 1)
    assert r.records["source_file"].iloc[0] == "both.zip:2024-01/a.csv"
    assert read_police_uk([a, b]).rows_loaded == 1


def test_unreadable_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n")
    with pytest.raises(UnreadableFileError, match="bad.csv"):
        read_police_uk(bad)
    with pytest.raises(UnreadableFileError, match="no such file"):
        read_police_uk(tmp_path / "missing.csv")


def test_store_layer_roundtrip_and_no_double_import(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.gpkg")
    r = read_police_uk(SAMPLE)
    assert store_police_uk(r, store=store) == r.rows_loaded
    assert store_police_uk(r, store=store) == 0
    layer = read_police_uk_layer(store)
    assert len(layer) == r.rows_loaded
    assert layer.crs.to_epsg() == 27700
    assert layer["month"].min() == pd.Timestamp("2024-03-01")
    assert store.kinds() == []  # the record kinds are untouched
    assert "police_uk" in store.ingest_log()["kind"].tolist()


def test_cli_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["police-uk", "import", str(SAMPLE), "--store", str(tmp_path / "s.gpkg")])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert out["rows_read"] == 3600 and out["rows_added_to_store"] == out["rows_loaded"]
    assert main(["police-uk", "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_cli_knox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import geopandas as gpd
    import libpysal

    df = gpd.read_file(libpysal.examples.get_path("burkitt.shp"))
    path = tmp_path / "burkitt.csv"
    df[["X", "Y", "T"]].to_csv(path, index=False)
    args = ["spacetime", "knox", str(path), "--delta", "20", "--tau", "5"]
    assert main([*args, "--permutations", "99", "--seed", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["statistic"] == 13
    assert out["expected"] == pytest.approx(10.1438, abs=1e-4)
    assert out["p_poisson"] == pytest.approx(0.14625, abs=1e-5)
    assert 0 < out["p_sim"] <= 1
    assert main([*args, "--x-col", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_cli_import_always_writes_the_quarantine_beside_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.gpkg"
    assert main(["police-uk", "import", str(SAMPLE), "--store", str(store)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows_quarantined"] > 0
    qfile = Path(out["quarantine_file"])
    assert qfile.parent == tmp_path and qfile.exists()
    written = pd.read_csv(qfile, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(written) == out["rows_quarantined"]
    assert (written["reasons"] != "").all()
    log = Store(store).ingest_log()
    assert log.loc[log["kind"] == "police_uk", "quarantine_file"].tolist() == [str(qfile)]
