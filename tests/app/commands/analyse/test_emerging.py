"""``csmap spacetime emerging`` end to end on synthetic demo data over real Kirklees geography."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.hotspots.result import read_hotspots
from analysis.spacetime.emerging import CATEGORIES
from app.cli import main


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo_em")
    assert main(["demo-data", "--out", str(out), "--seed", "7", "--scale", "0.2"]) == 0
    return out / "concerns.csv"


def test_emerging_csv_output_with_categories(
    demo_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "em.csv"
    capsys.readouterr()
    status = main(
        [
            "spacetime",
            "emerging",
            str(demo_csv),
            "--cell-size",
            "800",
            "--band",
            "1200",
            "--neighbourhood-steps",
            "1",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["cell_size"] == 800 and summary["band"] == 1200
    # demo data run Nov 2024 - Oct 2026, but their last event is on 30 October: without --to
    # October counts as partial and is left out, with a warning
    assert summary["n_steps"] == 23 and summary["time_step"] == "month"
    assert summary["final_period"] == "2026-09" and "2026-10" in summary["warning"]
    res = read_hotspots(out)
    assert set(res["category"]) <= set(CATEGORIES)
    assert sum(summary["category_counts"].values()) == len(res)
    assert res.attrs["csmap_params"]["method"] == "emerging"
    assert res.attrs["csmap_params"]["dropped_period"] == "2026-10"
    assert int(res["n_events"].sum()) == summary["n_counted"]
    # --to states the end of the data: all 24 months
    args = ["spacetime", "emerging", str(demo_csv), "--cell-size", "800", "--band", "1200"]
    assert main([*args, "--to", "2026-10-31", "--out", str(tmp_path / "full.csv")]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["n_steps"] == 24 and full["final_period"] == "2026-10"


def test_emerging_quarterly_from_to(demo_csv: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "em.geojson"
    status = main(
        [
            "spacetime",
            "emerging",
            str(demo_csv),
            "--cell-size",
            "1000",
            "--band",
            "1500",
            "--time-step",
            "quarter",
            "--from",
            "2025-01-01",
            "--to",
            "2026-06-30",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    params = read_hotspots(out).attrs["csmap_params"]
    assert params["periods"] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert params["n_outside_period"] > 0  # demo data run Nov 2024 - Oct 2026
    assert "warning" in params  # fewer than 10 steps


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--alpha", "2"], "--alpha"),
        (["--neighbourhood-steps", "-1"], "neighbourhood"),
        (["--out", "x.txt"], "output must end"),
    ],
)
def test_emerging_errors_are_one_line(
    demo_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    needle: str,
) -> None:
    args = ["spacetime", "emerging", str(demo_csv), "--cell-size", "1000", "--band", "1500"]
    if "--out" not in extra:
        extra = [*extra, "--out", str(tmp_path / "x.geojson")]
    else:
        extra = ["--out", str(tmp_path / extra[1])]
    status = main(args + extra)
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1 and needle in err and err.startswith("csmap spacetime")


def test_emerging_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["spacetime", "emerging", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]
    )
    err = capsys.readouterr().err
    assert status == 2 and "nope.csv" in err
