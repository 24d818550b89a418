"""Every documented example runs: the doctests of each module of geo, analysis and app.

App pages and the entry script are Streamlit scripts (they run when imported) and are left out;
their behaviour is covered by the AppTests.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("geo", "analysis", "app")
SCRIPTS = ("app.app_pages", "app.streamlit_app")


def _modules() -> list[str]:
    names: set[str] = set()
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        names.add(package)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
            if not info.name.startswith(SCRIPTS):
                names.add(info.name)
    return sorted(names)


MODULES = _modules()


def test_modules_found() -> None:
    assert {"geo.ingest.pipeline", "analysis.hotspots.geojson_file", "app.cli"} <= set(MODULES)
    assert not [m for m in MODULES if m.startswith(SCRIPTS)]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
