"""``csmap hotspots`` files say whether the records are synthetic and carry the attribution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from geo.places.datasets import ATTRIBUTION_LINES
from tests._demo_store import demo_store


def test_store_demo_marker_reaches_the_written_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = demo_store()
    out = tmp_path / "rep.geojson"
    args = ["hotspots", "--store", str(store), "--kind", "concerns", "--method", "repeat"]
    status = main([*args, "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    params = json.loads(out.read_text())["csmap_parameters"]
    assert params["synthetic"] is True and "synthetic" in params["synthetic_notice"]
    assert params["attribution"] == list(ATTRIBUTION_LINES)
