"""Real-browser test: ``csmap app`` on a demo store, headless Debian Chromium, no internet at all.

Every request that is not to the app on 127.0.0.1 is aborted (no CDN routing), so the map can only
render if the vendored Leaflet assets are served by the app itself.
"""

from __future__ import annotations

import pytest

from app.maps.vendor import missing_assets
from tests._app_store import (
    N_CONCERNS,
    N_CSE,
    N_MISSING,
    N_MISSING_FOUND,
    N_PLACEMENTS,
    build_store,
)
from tests._browser import (
    ARTIFACTS,
    CHROMIUM,
    COUNT_MARKERS,
    app_server,
    choose_sidebar_option,
    launch,
    offline_context,
    poll_folium_frames,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]


def _wait_markers(page, expected: int, *, timeout: float = 120) -> None:
    """Poll the component iframe (it may be replaced on a rerun) until the map has ``expected``."""
    ok, seen = poll_folium_frames(
        page, lambda f: f.evaluate(COUNT_MARKERS), done=lambda c: c == expected, timeout=timeout
    )
    if ok:
        return
    page.screenshot(path=str(ARTIFACTS / "browser_map_failure.png"), full_page=True)
    frames = [f.url[:80] for f in page.frames]
    raise AssertionError(f"map shows {seen} circle markers, expected {expected}; frames {frames}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor` (the browser test needs them)")
    store = build_store(tmp_path_factory.mktemp("browserstore"))
    with app_server(
        store=store,
        log_path=tmp_path_factory.mktemp("log") / "server.log",
        cwd=tmp_path_factory.mktemp("cwd"),  # safe from any working directory
    ) as url:
        yield url


def test_map_renders_offline_and_filter_changes_markers_and_counts(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:  # every non-loopback request, CDN or not, is aborted and recorded
            ctx = offline_context(browser, on_blocked=lambda r: blocked.append(r.request.url))
            page = ctx.new_page()
            page.goto(server + "/map", wait_until="domcontentloaded")
            frame_loc = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame_loc.locator(".leaflet-container").wait_for(timeout=120_000)
            total = N_CONCERNS + N_MISSING + N_MISSING_FOUND + N_PLACEMENTS
            _wait_markers(page, total)
            # the canvas renderer drew (boundaries and markers)
            expect(frame_loc.locator("canvas").first).to_be_attached()
            metrics = page.locator('[data-testid="stMetricValue"]')
            expect(metrics.first).to_have_text(str(N_CONCERNS))
            page.screenshot(path=str(ARTIFACTS / "browser_map_all.png"), full_page=True)

            # filter: only CCE concerns
            box = choose_sidebar_option(page, box_label="Category", option="CCE")
            expect(box).to_contain_text("CCE")
            expect(metrics.first).to_have_text(str(N_CONCERNS - N_CSE), timeout=120_000)
            _wait_markers(page, total - N_CSE)
            assert "child-on-child" not in box.inner_text()  # exactly one category chosen
            page.screenshot(path=str(ARTIFACTS / "browser_map_filtered.png"), full_page=True)
        finally:
            browser.close()
    # nothing needed the internet: the only blocked requests may be none at all
    assert not [u for u in blocked if "leaflet" in u or "jquery" in u or "bootstrap" in u]
