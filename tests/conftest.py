"""Shared test fixtures: paths to bundled and shared data; a per-test audit log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("MPLBACKEND", "Agg")
# Demo generators besides geo.demo.records (geo.demo.check): the fixture stores of
# tests/_app_store.py and the browser XSS test's records, named as modules of the tests package;
# the project root on the path of the app servers the tests start, so that they import the same.
os.environ["CSMAP_DEMO_GENERATORS"] = (
    "tests._app_store:fixture_csvs,tests.browser.test_xss:xss_csvs"
)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The product's bundled ``data/`` folder."""
    return DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip when it is absent."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _audit_log_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``CSMAP_AUDIT_LOG`` at a per-test temp file: no test writes the user's audit log.

    A test may still set its own path with ``monkeypatch.setenv``; it must not delete the
    variable (the app would then fall back to ``~/.local/share/csmap/audit.jsonl``).
    """
    path = tmp_path / "csmap-audit.jsonl"
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(path))
    return path
