"""``csmap hotspots`` end to end on synthetic demo data over real Kirklees geography."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.hotspots.result import read_hotspots
from app.cli import main


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo-data", "--out", str(out), "--seed", "7", "--scale", "0.2"]) == 0
    return out / "concerns.csv"


def test_gi_geojson_with_parameters(demo_csv: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "hot.geojson"
    status = main(
        [
            "hotspots",
            str(demo_csv),
            "--method",
            "gi",
            "--cell-size",
            "500",
            "--band",
            "1000",
            "--out",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert status == 0
    assert "hot" in text and "cell size 500 m" in text and "Adjustment: count" in text
    doc = json.loads(out.read_text())
    params = doc["csmap_parameters"]
    assert params["cell_size"] == 500 and params["band"] == 1000 and params["method"] == "gi"
    res = read_hotspots(out)
    assert res["n_events"].sum() + params["n_outside"] == params["n_points"]
    assert set(res["label"]) <= {"hot", "cold", "not significant"}


def test_population_adjusted_gpkg_with_filters(demo_csv: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "adj.gpkg"
    status = main(
        [
            "hotspots",
            str(demo_csv),
            "--adjust",
            "population",
            "--cell-size",
            "800",
            "--band",
            "1600",
            "--from",
            "2025-01-01",
            "--to",
            "2025-06-30",
            "--category",
            "CSE",
            "--category",
            "CCE",
            "--out",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert status == 0, text
    assert "population-adjusted" in text
    res = read_hotspots(out)
    assert (res["adjustment"] == "population-adjusted").all()
    assert res.attrs["csmap_params"]["adjustment"] == "population-adjusted"


def test_quarantined_rows_reported(demo_csv: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    lines = demo_csv.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("reported_date")] = "not a date"
    bad.write_text("\n".join([lines[0], ",".join(broken), *lines[2:]]) + "\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    status = main(["hotspots", str(bad), "--cell-size", "800", "--band", "1600", "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 0
    assert "1 row(s) quarantined" in err and "row " in err
    assert out.exists() and (tmp_path / "o.csv.params.json").exists()


def test_user_errors_exit_2(demo_csv: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["hotspots", str(demo_csv), "--out", str(tmp_path / "x.txt")]) == 2
    assert "x.txt" in capsys.readouterr().err
    assert (
        main(["hotspots", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "x.geojson")]) == 2
    )
    assert "missing.csv" in capsys.readouterr().err
    assert (
        main(["hotspots", str(demo_csv), "--from", "someday", "--out", str(tmp_path / "x.geojson")])
        == 2
    )
    assert "--from" in capsys.readouterr().err
    assert main(["hotspots", "--out", str(tmp_path / "x.geojson")]) == 2


METHOD_OPTIONS = {
    "gi": ["--cell-size", "800", "--band", "1600"],
    "kde": [],
    "dual-kde": [],
    "hdbscan": [],
    "dbscan": [],
    "repeat": [],
}


@pytest.mark.parametrize("method", sorted(METHOD_OPTIONS))
def test_every_method_writes_every_format(demo_csv: Path, tmp_path: Path, method: str) -> None:
    """Each method's result (datetime columns included) is written and read back in each format."""
    for suffix in (".geojson", ".gpkg", ".csv"):
        out = tmp_path / f"{method}{suffix}"
        argv = ["hotspots", str(demo_csv), "--method", method, *METHOD_OPTIONS[method]]
        assert main([*argv, "--out", str(out)]) == 0, (method, suffix)
        back = read_hotspots(out)
        params = back.attrs["csmap_params"]
        assert params["method"] == method and "datetime_columns" not in params
        assert set(back["method"]) <= {method}
        for col in ("first_date", "last_date"):
            if col in back and len(back):
                assert pd.api.types.is_datetime64_any_dtype(back[col]), (method, suffix, col)
                assert back[col].notna().all()
        if method in ("dbscan", "hdbscan", "repeat"):
            assert "first_date" in back and len(back) > 0, (method, suffix)
            assert (back["first_date"] <= back["last_date"]).all()


@pytest.mark.parametrize(
    ("method", "options", "expected"),
    [
        ("kde", ["--bandwidth", "700", "--top", "0.1"], {"bandwidth": 700.0, "top": 0.1}),
        ("dbscan", ["--eps", "250", "--min-samples", "4"], {"eps": 250.0, "min_samples": 4}),
        (
            "hdbscan",
            ["--min-cluster-size", "8", "--min-samples", "3"],
            {"min_cluster_size": 8, "min_samples": 3},
        ),
        ("repeat", ["--radius", "30", "--min-events", "3"], {"radius": 30.0, "min_events": 3}),
        ("gi", ["--shape", "hex", "--cell-size", "900", "--band", "2000"], {"shape": "hex"}),
    ],
)
def test_method_options_reach_the_result(  # type: ignore[no-untyped-def]
    demo_csv: Path, tmp_path: Path, method: str, options: list[str], expected: dict, capsys
) -> None:
    out = tmp_path / f"{method}.geojson"
    status = main(["hotspots", str(demo_csv), "--method", method, *options, "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    params = read_hotspots(out).attrs["csmap_params"]
    assert {k: params[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("method", "option"),
    [
        ("gi", ["--eps", "100"]),
        ("gi", ["--bandwidth", "300"]),
        ("kde", ["--band", "500"]),
        ("kde", ["--min-samples", "5"]),
        ("dbscan", ["--min-cluster-size", "5"]),
        ("hdbscan", ["--radius", "10"]),
        ("repeat", ["--cell-size", "200"]),
        ("repeat", ["--no-fdr"]),
        ("dual-kde", ["--top", "0.1"]),
        ("kde", ["--seed", "1"]),
    ],
)
def test_option_of_another_method_is_an_error(  # type: ignore[no-untyped-def]
    demo_csv: Path, tmp_path: Path, method: str, option: list[str], capsys
) -> None:
    out = tmp_path / "x.geojson"
    assert main(["hotspots", str(demo_csv), "--method", method, *option, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert option[0] in err and f"--method {method}" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("method", ["kde", "hdbscan", "dbscan", "repeat"])
def test_adjust_population_refused_where_meaningless(  # type: ignore[no-untyped-def]
    demo_csv: Path, tmp_path: Path, method: str, capsys
) -> None:
    out = tmp_path / "x.geojson"
    argv = ["hotspots", str(demo_csv), "--method", method, "--adjust", "population"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--adjust population" in err and method in err and "dual-kde" in err


def test_dual_kde_accepts_adjust_population(demo_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.geojson"
    argv = ["hotspots", str(demo_csv), "--method", "dual-kde", "--adjust", "population"]
    assert main([*argv, "--min-events", "3", "--out", str(out)]) == 0
    params = read_hotspots(out).attrs["csmap_params"]
    assert params["adjustment"] == "population-adjusted" and params["min_events"] == 3


def test_scan_seed_recorded(demo_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.geojson"
    argv = ["hotspots", str(demo_csv), "--method", "scan", "--seed", "5", "--cell-size", "1500"]
    assert main([*argv, "--out", str(out)]) == 0
    params = read_hotspots(out).attrs["csmap_params"]
    assert params["seed"] == 5 and params["cell_size"] == 1500


def test_bad_option_values_rejected(demo_csv: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.geojson")
    for bad in (["--method", "dbscan", "--eps", "-3"], ["--method", "kde", "--top", "1.5"]):
        with pytest.raises(SystemExit) as exc:
            main(["hotspots", str(demo_csv), *bad, "--out", out])
        assert exc.value.code == 2
