"""Real-browser test of the hotspot explorer: ``csmap app`` on a demo store, offline Chromium.

Launch pattern copied from ``tests/test_browser_map.py``: every request that is not to the app on
127.0.0.1 is aborted, so the map renders only from the app's own vendored assets. The explorer
opens with Gi* (automatic scale); the test waits until the hot cells are drawn in the component
iframe, checks their number against the engine run directly, and saves a screenshot.
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
from _demo_store import demo_store

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
HOT_COLOUR = "#d7191c"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]

COUNT_HOT_CELLS = """(colour) => {
  if (!window.map_div) return -1;
  let n = 0;
  window.map_div.eachLayer(l => {
    if (l instanceof L.Polygon && l.options && l.options.fillColor === colour) n += 1;
  });
  return n;
}"""


def _wait_hot_cells(page, expected: int, *, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" not in frame.url:
                continue
            try:
                seen = frame.evaluate(COUNT_HOT_CELLS, HOT_COLOUR)
            except Exception as exc:  # detached or still loading; try again
                seen = f"error: {str(exc)[:200]}"
            if seen == expected:
                return
        time.sleep(0.25)
    page.screenshot(path=str(ARTIFACTS / "browser_explorer_failure.png"), full_page=True)
    raise AssertionError(f"map shows {seen} hot cells, expected {expected}")


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
    store = demo_store()
    port = _free_port()
    csmap = Path(sys.executable).with_name("csmap")
    log = (tmp_path_factory.mktemp("log") / "server.log").open("wb")
    env = {k: v for k, v in os.environ.items() if k != "CSMAP_ROLE"}
    env["CSMAP_AUDIT_LOG"] = str(tmp_path_factory.mktemp("audit") / "audit.jsonl")
    proc = subprocess.Popen(
        [str(csmap), "app", "--store", str(store), "--port", str(port), "--demo"],
        cwd=tmp_path_factory.mktemp("cwd"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url, store
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _expected_hot(store: Path) -> int:
    from analysis import hotspots
    from app.explorer_params import automatic_params
    from geo.boundaries import load_area
    from geo.store import Store, points

    pts = points(Store(store).read("concerns"), "concerns")
    res = hotspots.run(pts, method="gi", study_area=load_area("kirklees"), **automatic_params("gi"))
    return int((res["label"] == "hot").sum())


def test_explorer_runs_gi_and_draws_hot_cells_offline(server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = server
    n_hot = _expected_hot(store)
    assert n_hot > 0
    blocked: list[str] = []

    def block(route) -> None:  # every non-loopback request, CDN or not
        blocked.append(route.request.url)
        route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
            ctx.route(lambda u: not LOOPBACK.match(u), block)
            page = ctx.new_page()
            page.goto(url + "/explorer", wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Hotspot explorer")).to_be_visible(
                timeout=120_000
            )
            frame_loc = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
            frame_loc.locator(".leaflet-container").wait_for(state="attached", timeout=180_000)
            page.locator(
                'iframe[title="streamlit_folium.st_folium"]'
            ).first.scroll_into_view_if_needed()
            _wait_hot_cells(page, n_hot)
            hot_metric = page.locator('[data-testid="stMetric"]').filter(
                has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(r"^Hot$"))
            )
            expect(hot_metric.locator('[data-testid="stMetricValue"]')).to_have_text(
                f"{n_hot:,}", timeout=60_000
            )
            # the legend names the layer and says it is a count result
            expect(frame_loc.locator(".csmap-hotspot-legend")).to_contain_text("Gi* cells (count)")
            page.screenshot(path=str(ARTIFACTS / "browser_explorer_gi.png"), full_page=True)
        finally:
            browser.close()
    assert not [u for u in blocked if "leaflet" in u or "jquery" in u or "bootstrap" in u]
