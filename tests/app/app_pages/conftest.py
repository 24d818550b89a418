"""The app pointed at the test module's ``store`` fixture (Kirklees, demo sign-in, no role).

Each page test module defines a module-scoped ``store`` (``store = store_fixture("appstore_x")``
from :mod:`tests._pages`) and asks for ``app_env``; a module with more to set up defines its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def app_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    yield store
