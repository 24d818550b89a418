"""Real-browser test: ``csmap app`` on a demo store, headless Debian Chromium, no internet at all.

Every request that is not to the app on 127.0.0.1 is aborted (no CDN routing), so the map can only
render if the vendored Leaflet assets are served by the app itself.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _app_store import N_CONCERNS, N_CSE, N_MISSING, N_MISSING_FOUND, N_PLACEMENTS, build_store

from app.vendor import missing_assets

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)[:/]")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]

COUNT_MARKERS = """() => {
  if (!window.map_div) return -1;
  let n = 0;
  window.map_div.eachLayer(l => { if (l instanceof L.CircleMarker) n += 1; });
  return n;
}"""


def _wait_markers(page, expected: int, *, timeout: float = 120) -> None:
    """Poll the component iframe (it may be replaced on a rerun) until the map has ``expected``."""
    deadline = time.monotonic() + timeout
    seen: list[object] = []
    while time.monotonic() < deadline:
        seen = []
        for frame in page.frames:
            if "streamlit_folium" not in frame.url or frame.is_detached():
                continue
            try:
                count = frame.evaluate(COUNT_MARKERS)
            except Exception as exc:  # still loading; try again
                count = f"error: {str(exc)[:200]}"
            seen.append(count)
            if count == expected:
                return
        page.wait_for_timeout(250)  # lets Playwright deliver frame events meanwhile
    page.screenshot(path=str(ARTIFACTS / "browser_map_failure.png"), full_page=True)
    frames = [f.url[:80] for f in page.frames]
    raise AssertionError(f"map shows {seen} circle markers, expected {expected}; frames {frames}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"csmap app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:  # noqa: S310
                if r.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("csmap app did not become healthy in time")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor` (the browser test needs them)")
    store = build_store(tmp_path_factory.mktemp("browserstore"))
    port = _free_port()
    csmap = Path(sys.executable).with_name("csmap")
    log = (tmp_path_factory.mktemp("log") / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(csmap), "app", "--store", str(store), "--port", str(port), "--demo"],
        cwd=tmp_path_factory.mktemp("cwd"),  # safe from any working directory
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_map_renders_offline_and_filter_changes_markers_and_counts(server: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []

    def block(route) -> None:  # every non-loopback request, CDN or not
        blocked.append(route.request.url)
        route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            ctx.route(lambda url: not LOOPBACK.match(url), block)
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
            box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
                has_text="Category"
            )
            # Type and choose the option: a click-opened list can close again when a late rerun
            # (the map component reporting its first value) redraws the sidebar.
            option = page.get_by_role("option", name="CCE", exact=True)
            for _ in range(5):
                box.locator("input").click()
                box.locator("input").fill("CCE")
                try:
                    option.click(timeout=10_000)
                    break
                except PlaywrightTimeoutError:
                    page.keyboard.press("Escape")
            page.keyboard.press("Escape")
            expect(box).to_contain_text("CCE")
            expect(metrics.first).to_have_text(str(N_CONCERNS - N_CSE), timeout=120_000)
            _wait_markers(page, total - N_CSE)
            assert "child-on-child" not in box.inner_text()  # exactly one category chosen
            page.screenshot(path=str(ARTIFACTS / "browser_map_filtered.png"), full_page=True)
        finally:
            browser.close()
    # nothing needed the internet: the only blocked requests may be none at all
    assert not [u for u in blocked if "leaflet" in u or "jquery" in u or "bootstrap" in u]
