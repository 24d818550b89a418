"""Real-browser test of the hotspot explorer: ``csmap app`` on a demo store, offline Chromium.

Launch pattern copied from ``tests/browser/test_map.py``: every request that is not to the app on
127.0.0.1 is aborted, so the map renders only from the app's own vendored assets. The explorer
opens with Gi* (automatic scale); the test waits until the hot cells are drawn in the component
iframe, checks their number against the engine run directly, and saves screenshots.

"Drawn" means seen on screen, not only present in the component's arguments: the iframe has a
height, the map script raised no error, and inside each hot cell's pixel bounds the map's canvas
(``prefer_canvas``: polygons are not SVG ``path`` elements) holds pixels of the hot fill colour.
Issue #4: the layer control's script ran before the hotspot layers were declared and threw, so no
hot cell was added and streamlit-folium never set the iframe's height.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.maps.vendor import missing_assets
from tests._browser import (
    ARTIFACTS,
    CHROMIUM,
    app_server,
    launch,
    offline_context,
    poll_folium_frames,
)
from tests._demo_store import demo_store

HOT_COLOUR = "#d7191c"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]

# Hot-fill polygons on the map, and how many of them have hot-coloured pixels on screen: on the
# canvas renderer, pixels inside the cell's pixel bounds (2 px in from the edge) whose colour is
# the hot fill (the canvas is transparent elsewhere; record dots, #c0392b, are outside the
# tolerance); on the SVG renderer, a path with the hot fill and a non-empty box.
HOT_CELLS_DRAWN = """(colour) => {
  if (!window.map_div || !window.L) return {n: -1, drawn: -1};
  const want = [1, 3, 5].map(i => parseInt(colour.slice(i, i + 2), 16));
  const near = (d, i) => d[i + 3] > 0 && [0, 1, 2].every(k => Math.abs(d[i + k] - want[k]) <= 12);
  let n = 0, drawn = 0;
  window.map_div.eachLayer(l => {
    if (!(l instanceof L.Polygon) || !l.options || l.options.fillColor !== colour) return;
    n += 1;
    const r = l._renderer;
    if (r instanceof L.Canvas && l._pxBounds) {
      const canvas = r._container, dpr = L.Browser.retina ? 2 : 1, min = r._bounds.min;
      const x0 = Math.max(0, Math.floor((l._pxBounds.min.x - min.x + 2) * dpr));
      const y0 = Math.max(0, Math.floor((l._pxBounds.min.y - min.y + 2) * dpr));
      const x1 = Math.min(canvas.width, Math.ceil((l._pxBounds.max.x - min.x - 2) * dpr));
      const y1 = Math.min(canvas.height, Math.ceil((l._pxBounds.max.y - min.y - 2) * dpr));
      if (x1 <= x0 || y1 <= y0) return;
      const d = canvas.getContext("2d").getImageData(x0, y0, x1 - x0, y1 - y0).data;
      for (let i = 0; i < d.length; i += 4) { if (near(d, i)) { drawn += 1; break; } }
    } else if (l._path) {
      const b = l._path.getBoundingClientRect();
      if (l._path.getAttribute("fill") === colour && b.width > 0 && b.height > 0) drawn += 1;
    }
  });
  return {n, drawn};
}"""


def _wait_hot_cells(page, expected: int, errors: list[str], *, timeout: float = 180) -> dict:
    """Poll the component iframe until ``expected`` hot cells are on the map and drawn."""
    want = {"n": expected, "drawn": expected}
    ok, seen = poll_folium_frames(
        page,
        lambda f: f.evaluate(HOT_CELLS_DRAWN, HOT_COLOUR),
        done=lambda v: v == want,
        timeout=timeout,
    )
    if ok:
        return want
    page.screenshot(path=str(ARTIFACTS / "browser_explorer_failure.png"), full_page=True)
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').first.bounding_box()
    raise AssertionError(
        f"map shows {seen} hot cells (n on the map, drawn on screen), expected {expected}; "
        f"iframe box {box}; page errors {errors[:5]}"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor` (the browser test needs them)")
    store = demo_store()
    env = {k: v for k, v in os.environ.items() if k != "CSMAP_ROLE"}
    env["CSMAP_AUDIT_LOG"] = str(tmp_path_factory.mktemp("audit") / "audit.jsonl")
    with app_server(
        store=store,
        log_path=tmp_path_factory.mktemp("log") / "server.log",
        cwd=tmp_path_factory.mktemp("cwd"),
        env=env,
    ) as url:
        yield url, store


def _expected_hot(store: Path) -> int:
    from analysis.hotspots import registry as hotspots
    from app.explorer.params import automatic_params
    from geo.places.boundaries import load_area
    from geo.store.gpkg import Store, points

    pts = points(Store(store).read("concerns"), "concerns")
    res = hotspots.run(pts, method="gi", study_area=load_area("kirklees"), **automatic_params("gi"))
    return int((res["label"] == "hot").sum())


def test_explorer_runs_gi_and_draws_hot_cells_offline(server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = server
    n_hot = _expected_hot(store)
    assert n_hot > 0
    blocked: list[str] = []

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:  # every non-loopback request, CDN or not, is aborted and recorded
            ctx = offline_context(
                browser, height=1100, on_blocked=lambda r: blocked.append(r.request.url)
            )
            page = ctx.new_page()
            errors: list[str] = []  # uncaught exceptions, the component iframe's included
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url + "/explorer", wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Hotspot explorer")).to_be_visible(
                timeout=120_000
            )
            frame_loc = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
            frame_loc.locator(".leaflet-container").wait_for(state="attached", timeout=180_000)
            iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').first
            iframe.scroll_into_view_if_needed()
            _wait_hot_cells(page, n_hot, errors)
            # the map is visible: the iframe has its height (set by the component's script)
            expect(iframe).to_be_visible()
            box = iframe.bounding_box()
            assert box is not None and box["height"] >= 600 and box["width"] > 300, box
            expect(frame_loc.locator(".leaflet-container")).to_be_visible()
            assert errors == [], errors
            hot_metric = page.locator('[data-testid="stMetric"]').filter(
                has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(r"^Hot$"))
            )
            expect(hot_metric.locator('[data-testid="stMetricValue"]')).to_have_text(
                f"{n_hot:,}", timeout=60_000
            )
            # the legend names the layer and says it is a count result
            expect(frame_loc.locator(".csmap-hotspot-legend")).to_contain_text("Gi* cells (count)")
            iframe.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser_explorer_gi.png"))
            iframe.screenshot(path=str(ARTIFACTS / "browser_explorer_gi_map.png"))
        finally:
            browser.close()
    assert not [u for u in blocked if "leaflet" in u or "jquery" in u or "bootstrap" in u]
