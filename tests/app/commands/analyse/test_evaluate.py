"""``csmap evaluate`` end to end: police.uk sample, a hand-built concerns CSV, the store, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.commands.analyse.evaluate import is_police_uk
from geo.formats.policeuk import read_police_uk, store_police_uk
from geo.store.gpkg import Store

POLICE = Path(__file__).resolve().parents[4] / "data" / "police_uk"
FOLD_COLUMNS = {
    "train_start",
    "test_start",
    "method",
    "coverage",
    "area_share",
    "n_hit",
    "hit_rate",
    "pai",
    "pei",
    "rri",
}
# Huddersfield town centre and a point ~5 km away, both inside Kirklees (WGS84 lat, lon).
HOT = (53.6458, -1.7850)
ELSEWHERE = (53.6900, -1.6300)


def _json(capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_police_uk_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "folds.csv"
    status = main(
        [
            "evaluate",
            str(POLICE),
            "--crime-type",
            "Violence and sexual offences",
            "--methods",
            "grid_counts,kde",
            "--train-months",
            "2",
            "--coverage",
            "0.01,0.05",
            "--cell-size",
            "500",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    report = json.loads(captured.out)
    # 4 months (2024-03..06), 2 train + 1 test sliding by one: folds test 2024-05 and 2024-06
    assert report["folds"] == 2 and report["source"] == "police_uk"
    violence = read_police_uk(sorted(POLICE.glob("*.csv"))).records
    n_violence = int((violence["crime_type"] == "Violence and sexual offences").sum())
    assert report["n_events"] == n_violence
    assert len(report["summary"]) == 2 * 2
    folds = pd.read_csv(out)
    assert set(folds.columns) >= FOLD_COLUMNS
    assert len(folds) == 2 * 2 * 2
    assert folds["test_start"].unique().tolist() == ["2024-05", "2024-06"]
    np.testing.assert_allclose(folds["pai"], folds["hit_rate"] / folds["area_share"])
    assert (folds["area_share"] <= folds["coverage"] + 1e-9).all()
    # violence is concentrated: both methods beat chance (PAI 1) clearly
    assert (folds["pai"] > 2).all()
    # the quarantined rows (no coordinates) are reported on stderr with file and row
    assert "quarantined" in captured.err and "row 882" in captured.err


def _concerns_csv(path: Path) -> Path:
    """Per month 2024-01..04: 6 CSE concerns at one spot, 2 CCE elsewhere."""
    rows = ["record_id,reported_date,category,reporting_agency,risk_level,latitude,longitude"]
    i = 0
    for month in range(1, 5):
        for k in range(8):
            lat, lon = HOT if k < 6 else ELSEWHERE
            cat = "CSE" if k < 6 else "CCE"
            rows.append(f"C{i:03d},2024-{month:02d}-{10 + k:02d},{cat},police,medium,{lat},{lon}")
            i += 1
    rows.append("C999,2024-01-15,CSE,police,high,,")  # no location: quarantined
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_concerns_csv_hand_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = _concerns_csv(tmp_path / "concerns.csv")
    out = tmp_path / "folds.csv"
    args = ["evaluate", str(csv), "--methods", "grid_counts", "--coverage", "0.01"]
    status = main([*args, "--cell-size", "500", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "1 row(s) quarantined" in captured.err
    report = json.loads(captured.out)
    assert report["study_area"].lower() == "kirklees"
    assert report["folds"] == 1 and report["n_events"] == 32
    row = report["summary"][0]
    # the test month's events sit in two cells, both busiest in training, both inside 1 % of
    # Kirklees: every test event is caught, as many as hindsight could catch
    assert row["hit_rate"] == pytest.approx(1.0)
    assert row["pei"] == pytest.approx(1.0)
    assert row["rri"] == pytest.approx(1.0)  # 24 -> 8 in the hotspots and everywhere
    # --category keeps the CSE events only: 6 per month
    status = main([*args, "--category", "CSE", "--cell-size", "500", "--out", str(out)])
    report = _json(capsys)
    assert status == 0 and report["n_events"] == 24
    folds = pd.read_csv(out)
    assert folds["n_test"].tolist() == [6.0] and folds["n_hit"].tolist() == [6.0]


def test_store_police_uk_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(tmp_path / "store.gpkg")
    assert store_police_uk(read_police_uk(POLICE), store=store) > 0
    out = tmp_path / "folds.csv"
    status = main(
        [
            "evaluate",
            "--store",
            str(store.path),
            "--kind",
            "police_uk",
            "--crime-type",
            "Anti-social behaviour",
            "--methods",
            "grid_counts",
            "--train-months",
            "3",
            "--out",
            str(out),
        ]
    )
    report = _json(capsys)
    assert status == 0
    assert report["folds"] == 1 and len(pd.read_csv(out)) == 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--methods", "nope"], "unknown method 'nope'"),
        (["--crime-type", "Burglary"], "--crime-type applies to police.uk data only"),
        (["--category", "online"], "--category: no events match"),
        (["--train-months", "4"], "too short"),
    ],
)
def test_errors_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    csv = _concerns_csv(tmp_path / "concerns.csv")
    out = tmp_path / "folds.csv"
    status = main(["evaluate", str(csv), "--cell-size", "500", *extra, "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1].startswith("csmap evaluate: ") and message in err[-1]
    assert not out.exists()


def test_missing_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["evaluate", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "none.csv" in err[0]


def test_is_police_uk(tmp_path: Path) -> None:
    assert is_police_uk(POLICE) and is_police_uk(next(POLICE.glob("*.csv")))
    assert not is_police_uk(_concerns_csv(tmp_path / "c.csv"))
