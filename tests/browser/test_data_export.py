"""Issue #12 item 13: a child-level table offers no download of its own in a real browser.

``csmap app`` runs with ``client.disableDataExport`` on, so ``st.dataframe``'s toolbar has no
"Download as CSV" button: the analyst's per-child placements table (child references) can leave
only through the audited export gate. The toolbar itself still appears (search, full screen).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.commands.admin import serve
from app.maps.vendor import missing_assets
from tests._app_store import build_store
from tests._browser import ARTIFACTS, CHROMIUM, app_server, launch, offline_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]


def test_app_command_switches_the_toolbar_download_off() -> None:
    cmd = serve.streamlit_command(host="127.0.0.1", port=8600)
    flag = cmd.index("--client.disableDataExport")
    assert cmd[flag + 1] == "true"
    config = (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text()
    assert "disableDataExport = true" in config


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor`")
    base = tmp_path_factory.mktemp("dataexport")
    store = build_store(base / "data")
    env = dict(os.environ, CSMAP_AUDIT_LOG=str(base / "audit.jsonl"))
    env.pop("CSMAP_ROLE", None)  # demo mode: the analyst view (child references) by default
    with app_server(store=store, log_path=base / "server.log", cwd=base, env=env) as url:
        yield url


def test_child_level_table_has_no_toolbar_download(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = offline_context(browser, height=1400).new_page()
        try:
            page.goto(server + "/placements", wait_until="domcontentloaded")
            tables = page.locator('[data-testid="stDataFrame"]')
            expect(tables.first).to_be_visible(timeout=120_000)
            expect(page.get_by_text("child", exact=False).first).to_be_visible()
            n = tables.count()
            assert n >= 2
            for i in range(n):
                table = tables.nth(i)
                table.scroll_into_view_if_needed()
                table.hover()
                toolbar = page.locator('[data-testid="stElementToolbar"]').filter(
                    has=page.get_by_role("button", name="Search")
                )
                expect(toolbar.first).to_be_visible(timeout=10_000)
                assert page.get_by_role("button", name="Download as CSV").count() == 0
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "data_export.png"), full_page=True)
            raise
        finally:
            browser.close()
