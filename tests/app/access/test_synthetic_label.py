"""Only wholly synthetic sessions are labelled synthetic (demo store and no uploads)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import streamlit as st
from shapely.geometry import Point

from app.session import state
from geo.store.meta import set_meta
from tests._app_store import build_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("synthetic_label"))


def _config(path: Path) -> state.AppConfig:
    return state.config_from_env({"CSMAP_STORE": str(path), "CSMAP_AREA": "kirklees"})


def test_demo_store_without_uploads_is_synthetic(store: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo.gpkg"
    demo.write_bytes(store.read_bytes())
    set_meta(demo, key="demo", value="true")
    st.session_state.pop(state.UPLOADED_KEY, None)
    assert state.synthetic_data(_config(demo)) is True
    real = tmp_path / "real.gpkg"
    real.write_bytes(store.read_bytes())
    set_meta(real, key="demo", value="false")  # not a demo store: its data may be real
    assert state.synthetic_data(_config(real)) is False


def test_uploads_on_a_demo_store_are_not_labelled_synthetic(store: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo.gpkg"
    demo.write_bytes(store.read_bytes())
    set_meta(demo, key="demo", value="true")
    upload = gpd.GeoDataFrame({"record_id": ["U1"]}, geometry=[Point(414400, 416400)], crs=27700)
    st.session_state[state.UPLOADED_KEY] = {"concerns": upload}
    try:
        assert state.synthetic_data(_config(demo)) is False
    finally:
        st.session_state.pop(state.UPLOADED_KEY, None)
