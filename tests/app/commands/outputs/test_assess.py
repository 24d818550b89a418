"""csmap assess: JSON numbers, HTML escaping, PDF renders; errors are one line and exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from geo.store.gpkg import Store
from tests._demo_store import demo_store
from tests._report_checks import pdf_page_ink


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("assess") / "store.gpkg"
    shutil.copyfile(demo_store(), path)
    return path


def _as_of(store: Path) -> str:
    return str(pd.to_datetime(Store(store).read("concerns")["reported_date"]).max().date())


def test_json_numbers(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    args = ["assess", "414400,416400", "--store", str(store), "--as-of", _as_of(store)]
    assert main([*args, "--radius", "1000", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    for key in ("concerns_total", "missing_found", "missing_last_seen", "hotspots"):
        assert isinstance(data[key], int)
    assert data["radius_m"] == 1000 and data["period"]["months"] == 12
    assert sum(data["concerns_by_category"].values()) == data["concerns_total"]
    assert all(isinstance(v, int) for v in data["venues_by_type"].values())
    assert isinstance(data["imd_decile"], int) and isinstance(data["crime_decile"], int)
    assert any("SYNTHETIC" in c for c in data["caveats"])
    assert "child_ref" not in out.read_text(encoding="utf-8")


def test_html_and_pdf(store: Path, tmp_path: Path) -> None:
    html = tmp_path / "a.html"
    assert main(["assess", "SE 1440 1640", "--store", str(store), "--out", str(html)]) == 0
    text = html.read_text(encoding="utf-8")
    assert "Regulation 46" in text and "data:image/png;base64," in text
    pdf = tmp_path / "a.pdf"
    assert main(["assess", "53.6458,-1.785", "--store", str(store), "--out", str(pdf)]) == 0
    pages, ink = pdf_page_ink(pdf, page=1)  # the map page
    assert pages >= 4 and ink > 0.01


def test_errors(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "a.json")
    assert main(["assess", "nowhere", "--store", str(store), "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("csmap assess: location 'nowhere'") and err.count("\n") == 1
    assert main(["assess", "414400,416400", "--store", str(store), "--out", "a.docx"]) == 2


def test_role_gate_and_practitioner_suppression(store: Path, tmp_path: Path) -> None:
    """The CLI asks app.access.policy: board may not assess; practitioner counts are suppressed."""
    base = ["assess", "414400,416400", "--store", str(store), "--as-of", _as_of(store)]
    refused = tmp_path / "board.json"
    assert main([*base, "--role", "board", "--out", str(refused)]) == 2
    assert not refused.exists()
    analyst, practitioner = tmp_path / "an.json", tmp_path / "pr.json"
    assert main([*base, "--radius", "250", "--out", str(analyst)]) == 0
    assert (
        main([*base, "--radius", "250", "--role", "practitioner", "--out", str(practitioner)]) == 0
    )
    raw = json.loads(analyst.read_text(encoding="utf-8"))
    safe = json.loads(practitioner.read_text(encoding="utf-8"))
    small = [k for k, v in raw["concerns_by_category"].items() if 1 <= v <= 4]
    assert small, "the fixture must have a small count (else this test is blind)"
    for key in small:
        assert not (
            isinstance(safe["concerns_by_category"][key], int)
            and 1 <= safe["concerns_by_category"][key] <= 4
        )
