"""Real-browser XSS test: records whose text fields carry script payloads never run a script.

Concerns are ingested (the ordinary ingest) into a temporary demo store with payloads in
``record_id``, ``place_name`` and ``summary``, plus a quarantined row whose category is a payload.
The Overview, Map and Explorer pages are opened in headless Chromium (no internet); in the page
and in every frame (the map iframe) ``window.__xss`` stays undefined, and a map popup shows the
payload as text (escaped), with no element created from it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.maps.vendor import missing_assets
from geo.demo.check import mark_demo_store
from geo.ingest.pipeline import ingest_file
from tests._browser import ARTIFACTS, CHROMIUM, app_server, launch, offline_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]

SCRIPT = "<script>window.__xss=1</script>"
IMG = "<img src=x onerror=window.__xss=1>"


def xss_csvs(folder: Path, params: object = None) -> dict[str, Path]:
    """The hostile concerns CSV; also the store's demo generator (tests/conftest.py lists it)."""
    del params
    rows = [
        "record_id,reported_date,category,reporting_agency,risk_level,latitude,longitude,"
        "summary,place_name"
    ]
    for i in range(40):
        lat, lon = 53.6458 + (i % 8) * 0.0007, -1.7850 + (i // 8) * 0.0009
        rows.append(
            f'"{SCRIPT}{i}",2024-0{1 + i % 3}-1{i % 9},CSE,police,medium,{lat:.5f},{lon:.5f},'
            f'"{SCRIPT}","{IMG}"'
        )
    rows.append(f'"X1",2024-01-10,"{IMG}",police,medium,53.65,-1.78,"{SCRIPT}","{IMG}"')
    csv = folder / "concerns.csv"
    folder.mkdir(parents=True, exist_ok=True)
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"concerns": csv}


def _store(folder: Path) -> Path:
    csv = xss_csvs(folder)["concerns"]
    store = folder / "store.gpkg"
    report = ingest_file("concerns", csv, store=store, area="kirklees")
    assert report.rows_loaded == 41, report.summary()  # unknown category kept as raw text
    mark_demo_store(store, seed=0, area="kirklees", generator="tests.browser.test_xss:xss_csvs")
    return store


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor`")
    base = tmp_path_factory.mktemp("xss")
    store = _store(base / "data")
    env = dict(os.environ, CSMAP_AUDIT_LOG=str(base / "audit.jsonl"))
    env.pop("CSMAP_ROLE", None)
    with app_server(store=store, log_path=base / "server.log", cwd=base, env=env) as url:
        yield url


def _no_xss(page) -> None:
    for frame in page.frames:
        try:
            value = frame.evaluate("() => window.__xss")
        except Exception:
            continue
        assert value is None, f"a payload ran in {frame.url[:80]}"


OPEN_POPUP = """() => {
  let opened = null;
  window.map_div.eachLayer(l => {
    if (!opened && l.getPopup && l.getPopup()) { l.openPopup(); opened = l; }
  });
  const el = document.querySelector('.leaflet-popup-content');
  return el ? [el.textContent, el.querySelectorAll('img, script').length] : null;
}"""


def test_payloads_never_run(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx = offline_context(browser)
            page = ctx.new_page()
            page.goto(server + "/overview", wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=90_000)
            expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("41")
            page.wait_for_timeout(1500)
            _no_xss(page)

            for path in ("/map", "/explorer"):
                page.goto(server + path, wait_until="domcontentloaded")
                frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first
                frame.locator(".leaflet-container").wait_for(timeout=120_000, state="attached")
                page.wait_for_timeout(2000)
                _no_xss(page)
                page.screenshot(path=str(ARTIFACTS / f"browser_xss{path.replace('/', '_')}.png"))
            # the Map page's popups show the payload as text
            page.goto(server + "/map", wait_until="domcontentloaded")
            frame_loc = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            frame_loc.locator(".leaflet-container").wait_for(timeout=120_000)
            map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
            map_frame.wait_for_function("() => window.map_div !== undefined", timeout=60_000)
            popup = map_frame.evaluate(OPEN_POPUP)
            assert popup is not None, "no popup on the map"
            text, n_elements = popup
            assert IMG in text and SCRIPT in text  # shown as text
            assert n_elements == 0  # nothing built from the payload
            page.wait_for_timeout(500)
            _no_xss(page)
        finally:
            browser.close()
