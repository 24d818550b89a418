"""Every page uses the one guard (``app.access.auth.page_role``): no role in the session = refused.

Before, most pages fell back to ``$CSMAP_ROLE`` or ``"analyst"`` (failing open).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.access import policy
from tests._demo_store import demo_store

PAGES_DIR = Path(__file__).resolve().parents[3] / "app" / "app_pages"
PAGES = [p for p in policy.PAGES if (PAGES_DIR / f"{p}.py").exists()]


@pytest.fixture(scope="module")
def store() -> Path:
    return demo_store()


@pytest.mark.parametrize("page", PAGES)
def test_page_without_a_signed_in_role_refuses(
    page: str, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.setenv("CSMAP_ROLE", "analyst")  # an environment role is no sign-in
    at = AppTest.from_file(str(PAGES_DIR / f"{page}.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Not signed in."], page
    assert not at.dataframe and not at.metric, f"{page}: content shown"


def test_pages_do_not_read_the_role_from_the_environment() -> None:
    for page in PAGES:
        text = (PAGES_DIR / f"{page}.py").read_text(encoding="utf-8")
        assert "CSMAP_ROLE" not in text, page
        assert f'auth.page_role("{page}")' in text, page
