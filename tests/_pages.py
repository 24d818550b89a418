"""Shared AppTest setup for the page tests (tests/app/app_pages/).

A page test module binds its ``store`` fixture (``app_env`` comes from
tests/app/app_pages/conftest.py) and opens pages through :func:`open_page`::

    store = store_fixture("appstore_agencies")

    def test_x(app_env: Path) -> None:
        at = open_page("app_pages/agencies.py", role="analyst")
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests._app_store import build_store

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")

#: session-state key the role picker reads (``csmap_role``) and the demo sign-in key
ROLE_KEY = "csmap_role"
DEMO_ROLE_KEY = "csmap_demo_role"


def store_fixture(prefix: str) -> Any:
    """A module-scoped ``store`` fixture: the tests/_app_store.py store in a fresh directory."""

    @pytest.fixture(scope="module")
    def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return build_store(tmp_path_factory.mktemp(prefix))

    return store


def app_env_fixture() -> Any:
    """An ``app_env`` fixture for a module outside tests/app/app_pages (its conftest.py has one)."""

    @pytest.fixture
    def app_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        monkeypatch.setenv("CSMAP_STORE", str(store))
        monkeypatch.setenv("CSMAP_AREA", "kirklees")
        monkeypatch.setenv("CSMAP_DEMO", "1")
        monkeypatch.delenv("CSMAP_ROLE", raising=False)
        yield store

    return app_env


def new_app(
    *, role: str | None = None, role_key: str = DEMO_ROLE_KEY, timeout: int = 60
) -> AppTest:
    """The app (not yet run), signed in as ``role`` through ``role_key`` when given."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if role is not None:
        at.session_state[role_key] = role
    return at


def open_page(
    page: str,
    *,
    role: str | None = None,
    role_key: str = DEMO_ROLE_KEY,
    timeout: int = 60,
) -> AppTest:
    """Run the app as ``role``, switch to ``page`` and assert that it raised nothing."""
    at = new_app(role=role, role_key=role_key, timeout=timeout)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def tables(at: AppTest) -> list[Any]:
    """The main-area dataframes' values."""
    return [df.value for df in at.main.dataframe]


def subheaders(at: AppTest) -> list[str]:
    """The main-area subheaders' texts."""
    return [s.value for s in at.main.subheader]
