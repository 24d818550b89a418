"""Real-browser test of the Map page above ``MAX_POINTS``: the cell layer is swapped in place.

``csmap app`` on a demo store of about 48,000 concerns (CSE alone more than
:data:`app.maps.folium_map.MAX_POINTS`, so the page draws server-side cell counts before and after
the
filter), offline headless Chromium. A filter change must redraw
the cells *inside the same map*: the component iframe keeps its document (a marker set on its
``window`` survives), exactly one legend and one layer control remain, and the legend and the
cells add up to the filtered count. Reloading the iframe for every filter change cost about a
second at a million records (issue #4: filter change to map under 1 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.maps.vendor import missing_assets
from tests._browser import (
    ARTIFACTS,
    CHROMIUM,
    SUM_CELLS,
    app_server,
    choose_sidebar_option,
    launch,
    offline_context,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]

#: what the map shows: cell total, legends, layer controls, the marker left on the window
STATE = """() => ({
  cells: window.map_div ? (SUM_CELLS)() : -1,
  legends: Array.from(document.querySelectorAll(".csmap-legend")).map(e => e.innerText),
  controls: document.querySelectorAll(".leaflet-control-layers").length,
  overlays: Array.from(document.querySelectorAll(".leaflet-control-layers-overlays label"))
    .map(e => e.innerText.trim()),
  marker: window.__csmap_marker || null,
})""".replace("SUM_CELLS", SUM_CELLS.strip())


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """(store, concerns with a location, of which CSE) of ~48,000 synthetic demo concerns.

    CSE alone (about a quarter) is still above ``MAX_POINTS``, so both maps are cell maps.
    """
    from app.maps.folium_map import MAX_POINTS
    from geo.demo.check import mark_demo_store
    from geo.demo.records import as_csv_text, generate
    from geo.ingest.pipeline import ingest_file

    folder = tmp_path_factory.mktemp("cellstore")
    concerns = generate(seed=7, scale=16)["concerns"]
    csv = folder / "concerns.csv"
    as_csv_text(concerns).to_csv(csv, index=False)
    report = ingest_file("concerns", csv, store=folder / "store.gpkg", area="kirklees")
    mark_demo_store(folder / "store.gpkg", seed=7, scale=16, area="kirklees")
    placed = report.records[report.records.geometry.notna() & ~report.records.geometry.is_empty]
    n_all, n_cse = len(placed), int((placed["category"] == "CSE").sum())
    assert MAX_POINTS < n_cse < n_all
    return folder / "store.gpkg", n_all, n_cse


@pytest.fixture(scope="module")
def server(big_store: tuple[Path, int, int], tmp_path_factory: pytest.TempPathFactory):
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor` (the browser test needs them)")
    with app_server(
        store=big_store[0],
        log_path=tmp_path_factory.mktemp("log") / "server.log",
        cwd=tmp_path_factory.mktemp("cwd"),
    ) as url:
        yield url


def _map_frames(page: Any) -> list[Any]:
    return [f for f in page.frames if "streamlit_folium" in f.url and not f.is_detached()]


def _wait_cells(page: Any, expected: int, *, timeout_ms: int = 120_000) -> tuple[Any, dict]:
    """The map frame and its state once its cells sum to ``expected``."""
    seen: list[object] = []
    for _ in range(timeout_ms // 250):
        seen = []
        for frame in _map_frames(page):
            try:
                state = frame.evaluate(STATE)
            except Exception as exc:
                seen.append(str(exc)[:120])
                continue
            seen.append(state)
            if state["cells"] == expected:
                return frame, state
        page.wait_for_timeout(250)
    page.screenshot(path=str(ARTIFACTS / "browser_cells_failure.png"), full_page=True)
    raise AssertionError(f"cells never summed to {expected}: {seen}")


def test_filter_change_swaps_cells_in_the_same_map(
    server: str, big_store: tuple[Path, int, int]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _, n_all, n_cse = big_store
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = offline_context(browser).new_page()
            page.goto(server + "/map", wait_until="domcontentloaded")
            frame, before = _wait_cells(page, n_all)
            metrics = page.locator('[data-testid="stMetricValue"]')
            expect(metrics.first).to_have_text(f"{n_all:,}")
            assert len(before["legends"]) == 1 and f"Concerns: {n_all:,}" in before["legends"][0]
            assert before["controls"] == 1
            assert any(o.startswith("Records per") for o in before["overlays"])
            frame.evaluate("() => { window.__csmap_marker = 'kept'; }")

            choose_sidebar_option(page, box_label="Category", option="CSE")
            expect(metrics.first).to_have_text(f"{n_cse:,}", timeout=120_000)
            after_frame, after = _wait_cells(page, n_cse)
            page.screenshot(path=str(ARTIFACTS / "browser_cells_filtered.png"), full_page=True)
        finally:
            browser.close()
    # the same document drew the new cells: the iframe was not reloaded
    assert after["marker"] == "kept" and after_frame == frame
    # the old layer, its legend and the old layer control are gone; the new ones are there once
    assert len(after["legends"]) == 1 and f"Concerns: {n_cse:,}" in after["legends"][0]
    assert after["controls"] == 1
    assert sum(o.startswith("Records per") for o in after["overlays"]) == 1
