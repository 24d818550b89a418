"""AppTest for the accuracy (backtest) page on the tests/_app_store.py store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.evaluation.accuracy import backtest, summarise
from app.maps.vendor import missing_assets
from geo.formats.policeuk import read_police_uk, store_police_uk
from geo.places.boundaries import load_area
from geo.store.gpkg import Store, points
from geo.store.meta import set_meta
from tests._app_store import N_CONCERNS
from tests._pages import ROLE_KEY, open_page, store_fixture

PAGE = "app_pages/evaluation.py"
POLICE = Path(__file__).resolve().parents[3] / "data" / "police_uk"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


store = store_fixture("appstore_evaluation")


def _open(role: str) -> AppTest:
    return open_page(PAGE, role=role, role_key=ROLE_KEY, timeout=120)


def test_backtest_runs_and_matches_the_engine(app_env: Path) -> None:
    at = _open("analyst")
    assert any(f"{N_CONCERNS:,} located events" in c.value for c in at.main.caption)
    assert any("run the backtest" in i.value for i in at.main.info)
    # the fixture spans 2024-01 and 2024-02: train on one month, test on the next
    at.number_input(key="ev_train").set_value(1)
    at.multiselect(key="ev_methods").set_value(["grid_counts", "kde"])
    at.button(key="ev_run").click().run()
    assert not at.exception, at.exception
    shown = at.main.dataframe[0].value
    assert (
        shown["method"].tolist()
        == ["grid_counts", "grid_counts", "grid_counts", "kde"] + ["kde"] * 2
    )
    assert shown["area %"].tolist() == [1.0, 3.0, 5.0] * 2
    # same numbers as calling the engine directly on the stored concerns
    concerns = points(Store(app_env).read("concerns"), "concerns")
    ref = summarise(
        backtest(
            concerns,
            methods=["grid_counts", "kde"],
            study_area=load_area("kirklees"),
            cell_size=250,
            train_months=1,
            time_col="reported_date",
        )
    )
    pd.testing.assert_series_equal(
        shown["pai"].reset_index(drop=True),
        ref["pai"].round(3).reset_index(drop=True),
        check_names=False,
    )
    assert (shown["folds"] == 1).all()
    # PAI-by-coverage chart
    charts = [e for e in at.main if type(e).__name__ == "UnknownElement"]
    assert any("PAI by coverage" in str(getattr(c, "proto", "")) for c in charts)


def test_too_short_period_is_an_error_not_a_crash(app_env: Path) -> None:
    at = _open("analyst")
    at.button(key="ev_run").click().run()  # 3 + 1 months on two months of data
    assert not at.exception
    assert any("too short" in e.value for e in at.main.error)


def test_police_uk_layer_source(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.gpkg"
    path.write_bytes(store.read_bytes())
    store_police_uk(read_police_uk(POLICE), store=Store(path))
    # Importing clears the demo marker (real data may have arrived). This sample is open police.uk
    # data beside synthetic records, so mark the store for demo sign-in again, as `make demo` does.
    set_meta(path, key="demo", value="true")
    monkeypatch.setenv("CSMAP_STORE", str(path))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    at = _open("analyst")
    at.radio(key="ev_src").set_value("police_uk").run()
    at.multiselect(key="ev_types").set_value(["Violence and sexual offences"])
    at.multiselect(key="ev_methods").set_value(["grid_counts"])
    at.number_input(key="ev_cell").set_value(500)
    at.button(key="ev_run").click().run()
    assert not at.exception, at.exception
    shown = at.main.dataframe[0].value
    assert (shown["folds"] == 1).all() and (shown["pai"] > 2).all()
    assert any("convex hull" in c.value for c in at.main.caption)


def test_refused_for_board(app_env: Path) -> None:
    at = _open("board")
    assert any("cannot open" in e.value for e in at.main.error)
