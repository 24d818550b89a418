"""Demo mode checks the records themselves, not a flag anyone can set (issue #12 item 15).

``python -m geo.store.meta set STORE demo true`` after a real ingest used to let ``csmap app
--demo`` open real rows without sign-in under a banner saying nothing is real.
"""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import geo.demo.check
from app.cli import main
from app.maps.vendor import missing_assets
from geo.demo.check import (
    NotDemoStoreError,
    check_demo_store,
    is_synthetic_store,
    mark_demo_store,
)
from geo.demo.records import as_csv_text, generate
from geo.ingest.pipeline import ingest_file
from geo.store.meta import main as store_meta_main
from geo.store.meta import read_meta
from tests._app_store import build_store
from tests._demo_store import SCALE, SEED, demo_store

APP = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")


def _copy(tmp_path: Path) -> Path:
    store = tmp_path / "store.gpkg"
    shutil.copyfile(demo_store(), store)
    return store


def _csmap_app_demo(store: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``csmap app --store STORE --demo --port 0``: the demo check runs before the port's."""
    code = main(["app", "--store", str(store), "--demo", "--port", "0"])
    return code, capsys.readouterr().err


def test_doctests_run() -> None:
    result = doctest.testmod(geo.demo.check)
    assert result.attempted > 0 and result.failed == 0


def test_genuine_demo_store_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = _copy(tmp_path)
    params = check_demo_store(store)
    assert (params.seed, params.scale, params.area) == (SEED, SCALE, "kirklees")
    code, err = _csmap_app_demo(store, capsys)
    assert code == 2 and "--port 0" in err and "--demo refused" not in err  # got past the check
    assert geo.demo.check.main(["check", str(store)]) == 0


def test_real_row_in_a_demo_store_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _copy(tmp_path)
    # one real-looking concern with the demo file's columns (a real extract's look)
    row = as_csv_text(generate(seed=SEED, scale=SCALE)["concerns"].head(1))
    row = row.assign(record_id="R1", summary="seen with older males at the bus station")
    csv = tmp_path / "real.csv"
    row.to_csv(csv, index=False, encoding="utf-8")
    assert ingest_file("concerns", csv, store=store, area="kirklees").rows_loaded == 1
    # the ingest removed the marker; setting it again by hand is the attack
    assert store_meta_main(["set", str(store), "demo", "true"]) == 0
    assert read_meta(store)["demo"] == "true"
    code, err = _csmap_app_demo(store, capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert "--demo refused" in err and "1 of" in err and "concerns rows" in err
    with pytest.raises(NotDemoStoreError, match="not made by the demo generator"):
        check_demo_store(store)
    # marking it again (with the right parameters) is refused too, and writes nothing
    before = store.read_bytes()
    with pytest.raises(NotDemoStoreError):
        mark_demo_store(store, seed=SEED, scale=SCALE, area="kirklees")
    assert store.read_bytes() == before


def test_flag_on_a_real_store_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = build_store(tmp_path / "real", demo=False)
    assert store_meta_main(["set", str(real), "demo", "true"]) == 0
    code, err = _csmap_app_demo(real, capsys)
    assert code == 2 and err.count("\n") == 1 and "--demo refused" in err, err
    assert "no demo generator parameters" in err
    # forged parameters naming the real generator: its records are made again and compared
    forged = '{"seed": 11, "scale": 0.1, "area": "kirklees"}'
    assert store_meta_main(["set", str(real), "demo_params", forged]) == 0
    code, err = _csmap_app_demo(real, capsys)
    assert code == 2 and err.count("\n") == 1 and "were not made by the demo generator" in err
    # a generator that is not geo.demo.records nor listed in $CSMAP_DEMO_GENERATORS is refused
    other = '{"seed": 0, "scale": 1, "area": "kirklees", "generator": "os:getcwd"}'
    assert store_meta_main(["set", str(real), "demo_params", other]) == 0
    code, err = _csmap_app_demo(real, capsys)
    assert code == 2 and "'os:getcwd' is not 'geo.demo.records'" in err, err
    assert geo.demo.check.main(["check", str(real)]) == 2


def test_app_demo_mode_refuses_a_flagged_real_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app checks too (``CSMAP_DEMO=1`` without ``csmap app``)."""
    if missing_assets():
        pytest.skip("map assets not vendored: run `make vendor`")
    real = build_store(tmp_path / "real", demo=False)
    store_meta_main(["set", str(real), "demo", "true"])
    monkeypatch.setenv("CSMAP_STORE", str(real))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert any("Demo mode refused" in e.value for e in at.error)
    assert not at.main.metric and not at.dataframe and "csmap_role" not in at.session_state


def test_flag_on_a_real_store_does_not_label_outputs_synthetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A "nothing here is real" notice on real records would invite them to be shared: the
    marker alone must not put it on an export (the records are checked)."""
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    real = build_store(tmp_path / "real", demo=False)
    assert store_meta_main(["set", str(real), "demo", "true"]) == 0
    genuine = _copy(tmp_path)
    assert is_synthetic_store(genuine) and not is_synthetic_store(real)
    texts = {}
    for name, store in (("real", real), ("genuine", genuine)):
        out = tmp_path / f"{name}.html"
        assert main(["disruption", "--store", str(store), "--out", str(out)]) == 0
        texts[name] = out.read_text(encoding="utf-8")
    banner = "Synthetic demo data."  # the HTML pack's banner (app/reports/templates.py)
    assert banner in texts["genuine"]
    assert banner not in texts["real"]
