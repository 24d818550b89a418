"""The store's demo marker (``geo.store.meta.is_demo_store``) reaches every page export and
``csmap report``, so exports of the synthetic demo data say they are synthetic; the assessment
page runs the one entry ``analysis.views.assessment.assess_location``."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import analysis.views.assessment
import app.reports.briefing
import app.reports.strategic
from app.cli import main
from app.maps.vendor import missing_assets
from geo.demo.records import SYNTHETIC_NOTICE
from geo.store.meta import set_meta
from tests._app_store import build_store
from tests._demo_store import demo_store

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


@pytest.fixture(scope="module")
def upper_case_marker_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small app store marked ``demo=TRUE`` (``is_demo_store`` ignores case)."""
    store = build_store(tmp_path_factory.mktemp("notice_app"))  # a checked demo store
    set_meta(store, key="demo", value="TRUE")
    return store


def _env(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)


def _app(role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["csmap_demo_role"] = role
    return at


def _spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[dict[str, Any]]:
    """Record the keyword arguments of every call of ``module.name`` (still calling it)."""
    calls: list[dict[str, Any]] = []
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_assessment_page_uses_assess_location_and_the_demo_marker(
    upper_case_marker_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(monkeypatch, upper_case_marker_store)
    calls = _spy(monkeypatch, analysis.views.assessment, "assess_location")
    at = _app("analyst").run()
    at.switch_page("app_pages/assessment.py").run()
    at.text_input(key="ra_location").input("53.6458,-1.7850").run()
    at.date_input(key="ra_as_of").set_value(dt.date(2024, 3, 1)).run()
    assert not at.exception, at.exception
    assert calls, "the page must call analysis.views.assessment.assess_location"
    last = calls[-1]
    assert (last["radius"], last["months"], str(last["as_of"])) == (500.0, 12, "2024-03-01")
    assert last["synthetic"] is True
    assert {m.label: m.value for m in at.main.metric}["Concerns within the radius"] == "3"
    assert any(c.value.startswith("SYNTHETIC DEMO DATA") for c in at.caption)


@pytest.mark.parametrize(
    ("page", "module", "name"),
    [
        ("disruption", app.reports.briefing, "build_briefing"),
        ("missing", app.reports.strategic, "build_report"),
        ("agencies", app.reports.strategic, "build_report"),
        ("placements", app.reports.strategic, "build_report"),
    ],
)
def test_pages_pass_the_demo_marker(
    page: str,
    module: Any,
    name: str,
    upper_case_marker_store: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _env(monkeypatch, upper_case_marker_store)
    calls = _spy(monkeypatch, module, name)
    at = _app("analyst").run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    assert calls and calls[-1]["synthetic"] is True


@pytest.mark.skipif(bool(missing_assets()), reason="map assets not vendored: run `make vendor`")
def test_explorer_exports_say_synthetic(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, demo_store())
    saved: dict[str, bytes] = {}
    real = MemoryMediaFileStorage.load_and_get_id

    def keep(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: Any = None) -> str:
        if filename and isinstance(path_or_data, bytes):
            saved[str(filename)] = path_or_data
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    at = _app("analyst")
    at.switch_page("app_pages/explorer.py").run()
    at.text_input(key="exp_reason").input("test of the demo notice").run()
    at.button(key="exp_prepare").click().run()
    assert not at.exception, at.exception
    by_ext = {name.rsplit(".", 1)[1]: data for name, data in saved.items()}
    assert {"gpkg", "geojson", "zip", "html", "png"} <= set(by_ext)
    assert json.loads(by_ext["geojson"])["csmap_parameters"]["synthetic"] is True
    with zipfile.ZipFile(io.BytesIO(by_ext["zip"])) as zf:
        params = next(n for n in zf.namelist() if n.endswith(".params.json"))
        assert json.loads(zf.read(params))["synthetic"] is True
    assert SYNTHETIC_NOTICE in by_ext["html"].decode("utf-8")
    png = Image.open(io.BytesIO(by_ext["png"]))
    assert SYNTHETIC_NOTICE in str(png.info.get("Description", ""))


def test_csmap_report_on_a_demo_store_says_synthetic(
    upper_case_marker_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    store = str(upper_case_marker_store)
    html, csv = tmp_path / "r.html", tmp_path / "r.csv"
    assert main(["report", "missing", "--store", store, "--out", str(html)]) == 0
    assert SYNTHETIC_NOTICE in html.read_text(encoding="utf-8")
    assert main(["report", "agencies", "--store", store, "--out", str(csv)]) == 0
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    notice = frame[frame["section"] == "Notice"]
    assert notice["note"].tolist() == [SYNTHETIC_NOTICE]
