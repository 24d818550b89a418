"""Benchmark: the Map page in a real browser with 10k, 100k and 1M demo concerns.

For each size, demo concerns (``geo.demo.records.generate(scale=n / 3000)``, concerns only) are
ingested
with :func:`geo.ingest.pipeline.ingest_file` into a temporary store; ``csmap app --demo`` is started
on a
free loopback port and headless Debian Chromium (Playwright, every non-loopback request aborted)
opens ``/map``.

Measured (targets from issue #4 for 1M records: filter change to map < 1 s, payload < 5 MB):

time to first map
    from ``page.goto`` until the map is drawn inside the streamlit-folium iframe: up to
    ``app.maps.folium_map.MAX_POINTS`` points, the expected number of circle markers; above, the
    cell layer
    (:mod:`app.maps.cell_map`) whose cell counts add up to the expected number of records. A cold
    server (first session loads the store, builds the point index).
time from a filter change to the new map
    from the click on the option ``CSE`` of the sidebar's category filter until the Concerns
    metric shows the new value and the map holds the new markers / cells summing to the number
    of CSE concerns. Measured once cold (first time this filter is used) and once warm (the same
    filter chosen again after clearing it, which hits the cached cell counts).
page payload bytes
    every HTTP response as transferred (CDP ``Network.loadingFinished.encodedDataLength``, so
    compressed where the server compressed) plus every websocket frame received (Playwright's
    ``page.on("websocket")`` -> ``ws.on("framereceived")``; text frames counted as UTF-8).
    Reported for the first load (HTML, Streamlit's JS bundle, map assets, the script's deltas)
    and for the filter change alone.

History: the previous large-data map (pydeck) made headless Chromium (software WebGL, no GPU)
stop responding at 100k/1M; since the folium cell layer replaced it as the default (2026-11-21)
the browser only draws at most ``app.maps.cells.MAX_CELLS`` squares on a canvas. Since 2026-11-22 a
filter change on the cell map swaps only the cell layer inside the same component iframe
(:mod:`app.maps.folium_view`); before, the iframe was reloaded with the whole map (2.53 s at 1M).
Start the app with ``CSMAP_TIMINGS=1`` to log the server's time spans (:mod:`app.session.timing`).

Environment: ``CSMAP_BENCH_BROWSER_SIZES`` (default ``10000,100000,1000000``) and
``CSMAP_BENCH_BROWSER_STORES`` (the folder in which built stores are kept and reused between runs;
default ``benchmarks/.work/browser``, git-ignored; the 1M ingest takes minutes).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tests._browser import (
    CHROMIUM,
    COUNT_MARKERS,
    SUM_CELLS,
    free_port,
    launch,
    offline_context,
    start_app,
    stop,
    wait_healthy,
)

SEED = 20261121
METRIC_IS = (
    "n => { const m = document.querySelector('[data-testid=\"stMetricValue\"]');"
    " return m && m.innerText.replace(/,/g, '') === String(n); }"
)


def _sizes() -> list[int]:
    raw = os.environ.get("CSMAP_BENCH_BROWSER_SIZES", "10000,100000,1000000")
    return [int(s) for s in raw.split(",") if s.strip()]


def _build_store(folder: Path, n: int) -> tuple[Path, int, int]:
    """Ingest ~n demo concerns into folder/store_<n>.gpkg; (store, loaded, loaded CSE)."""
    from geo.demo.records import generate
    from geo.ingest.pipeline import ingest_file
    from geo.store.meta import set_meta

    store = folder / f"store_{n}.gpkg"
    meta = folder / f"store_{n}.json"
    if store.exists() and meta.exists():
        info = json.loads(meta.read_text())
        return store, int(info["loaded"]), int(info["cse"])
    concerns = generate(seed=SEED, scale=n / 3000)["concerns"]
    csv = folder / f"concerns_{n}.csv"
    concerns.to_csv(csv, index=False)
    del concerns
    report = ingest_file("concerns", csv, store=store, area="kirklees")
    set_meta(store, key="demo", value="true")
    cse = int((report.records["category"] == "CSE").sum())
    meta.write_text(json.dumps({"loaded": report.rows_loaded, "cse": cse}))
    csv.unlink()
    return store, report.rows_loaded, cse


def _rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB, from /proc."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = float(rest.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("VmHWM", float("nan"))


class _Bytes:
    """Bytes a page receives: HTTP (DevTools protocol) and websocket frames (Playwright)."""

    def __init__(self, page: Any, cdp: Any) -> None:
        self.http = 0
        self.ws = 0
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._http)
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _http(self, event: dict[str, Any]) -> None:
        self.http += int(event.get("encodedDataLength", 0))

    def _frame(self, payload: str | bytes) -> None:
        self.ws += len(payload.encode("utf-8") if isinstance(payload, str) else payload)

    @property
    def total(self) -> int:
        return self.http + self.ws


def _wait_run_over(page: Any, *, timeout: float) -> None:
    page.locator('[data-testid="stStatusWidgetRunningIcon"]').wait_for(
        state="detached", timeout=timeout * 1000
    )


def _wait_map(page: Any, *, expected: int, cells: bool, timeout: float) -> None:
    """Wait until the folium map shows ``expected`` markers, or cells whose counts sum to it."""
    deadline = time.monotonic() + timeout
    container = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
        ".leaflet-container"
    )
    script = SUM_CELLS if cells else COUNT_MARKERS
    while time.monotonic() < deadline:
        try:  # a locator evaluate has a timeout (a raw frame.evaluate can hang on a reload)
            if container.evaluate(script, timeout=10_000) == expected:
                return
        except Exception:
            pass
        page.wait_for_timeout(50)  # not time.sleep: Playwright keeps delivering events
    what = "cells summing to" if cells else "markers:"
    raise RuntimeError(f"folium map did not show {what} {expected} in {timeout} s")


def _choose_category(page: Any, name: str) -> float:
    """Pick the option ``name`` in the sidebar's category filter; the click's start time.

    The dropdown sometimes closes or re-renders before the click lands (a busy page); it is
    opened again, and the time returned is that of the click that worked.
    """
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Category"
    )
    option = page.get_by_role("option", name=name, exact=True)
    for attempt in range(6):
        box.locator("input").click()
        try:
            option.wait_for(state="visible", timeout=5_000)
            started = time.perf_counter()
            option.click(timeout=5_000)
        except Exception:
            page.keyboard.press("Escape")
            if attempt == 5:
                raise
            continue
        page.keyboard.press("Escape")
        return started
    raise RuntimeError("unreachable")


def _clear_category(page: Any) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Category"
    )
    box.get_by_role("button", name=re.compile(r"(remove|delete|clear)", re.I)).first.click()


def _log(message: str) -> None:
    print(f"bench_browser: {message}", file=sys.stderr, flush=True)


def _measure(url: str, *, n_points: int, n_cse: int, max_points: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            ctx = offline_context(browser)
            page = ctx.new_page()
            counter = _Bytes(page, ctx.new_cdp_session(page))
            t0 = time.perf_counter()
            page.goto(url + "/map", wait_until="domcontentloaded")
            _wait_map(page, expected=n_points, cells=n_points > max_points, timeout=600)
            page.wait_for_function(METRIC_IS, arg=n_points, timeout=600_000)
            out["first_map_s"] = time.perf_counter() - t0
            _log(f"{n_points:,}: first map after {out['first_map_s']:.1f} s")
            out["first_payload_b"] = counter.total
            out["first_payload_ws_b"] = counter.ws

            _wait_run_over(page, timeout=600)
            for label in ("cold", "warm"):
                if label == "warm":
                    _clear_category(page)
                    page.wait_for_function(METRIC_IS, arg=n_points, timeout=600_000)
                    _wait_run_over(page, timeout=600)
                before = counter.total
                t1 = _choose_category(page, "CSE")
                page.wait_for_function(METRIC_IS, arg=n_cse, timeout=600_000)
                _wait_map(page, expected=n_cse, cells=n_points > max_points, timeout=600)
                out[f"filter_{label}_s"] = time.perf_counter() - t1
                out[f"filter_{label}_payload_b"] = counter.total - before
                _log(f"{n_points:,}: filter change ({label}) {out[f'filter_{label}_s']:.2f} s")
            shots = Path(__file__).resolve().parents[1] / "test-artifacts"
            shots.mkdir(exist_ok=True)
            page.screenshot(path=str(shots / f"bench_browser_{n_points}.png"))
        finally:
            browser.close()
    return out


def _serve(store: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, CSMAP_AUDIT_LOG=str(log.with_suffix(".audit.jsonl")))
    proc = start_app(store=store, port=port, cwd=None, log=log.open("wb"), env=env)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, timeout=120)
    return proc, url


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop(proc, timeout=30)


def _row(metric: str, value: float, unit: str, target: str = "", ok: bool | None = None) -> dict:
    return {
        "benchmark": "browser map",
        "metric": metric,
        "value": round(value, 3) if unit == "s" else round(value, 1),
        "unit": unit,
        "target": target,
        "passed": ok,
    }


def run() -> list[dict[str, Any]]:
    """Measure the Map page in Chromium at each size (see the module docstring)."""
    from app.maps.folium_map import MAX_POINTS
    from app.maps.vendor import missing_assets

    if not CHROMIUM.exists() or missing_assets():
        why = "no Chromium at /usr/bin/chromium" if not CHROMIUM.exists() else "no map assets"
        return [_row(f"skipped: {why}", float("nan"), "", "", None)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the app server is stopped
    default = Path(__file__).resolve().parent / ".work" / "browser"
    folder = Path(os.environ.get("CSMAP_BENCH_BROWSER_STORES") or default)
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    try:
        for n in _sizes():
            t_build = time.perf_counter()
            store, loaded, cse = _build_store(folder, n)
            _log(
                f"{n:,}: store ready ({loaded:,} concerns) in {time.perf_counter() - t_build:.0f} s"
            )
            proc, url = _serve(store, folder / f"server_{n}.log")
            try:
                got = _measure(url, n_points=loaded, n_cse=cse, max_points=MAX_POINTS)
                rss, peak = _rss_mb(proc.pid)
            finally:
                _stop(proc)
            big = n >= 1_000_000
            mode = "folium points" if loaded <= MAX_POINTS else "folium cell counts"
            tag = f"{loaded:,} concerns ({mode})"
            mb = 1024 * 1024
            rows += [
                _row(f"{tag}: time to first map (cold server)", got["first_map_s"], "s"),
                _row(
                    f"{tag}: filter change (category CSE, {cse:,}) to new map, first time",
                    got["filter_cold_s"],
                    "s",
                    "< 1 s" if big else "",
                    (got["filter_cold_s"] < 1.0) if big else None,
                ),
                _row(
                    f"{tag}: filter change to new map, filter used before (cached)",
                    got["filter_warm_s"],
                    "s",
                    "< 1 s" if big else "",
                    (got["filter_warm_s"] < 1.0) if big else None,
                ),
                _row(
                    f"{tag}: page payload, first load (HTTP as transferred + websocket)",
                    got["first_payload_b"] / mb,
                    "MB",
                    "< 5 MB" if big else "",
                    (got["first_payload_b"] < 5 * mb) if big else None,
                ),
                _row(
                    f"{tag}: of which websocket deltas (script output)",
                    got["first_payload_ws_b"] / mb,
                    "MB",
                ),
                _row(
                    f"{tag}: payload of the filter change",
                    got["filter_cold_payload_b"] / mb,
                    "MB",
                ),
                _row(f"{tag}: app server resident memory after the run", rss, "MiB"),
                _row(f"{tag}: app server peak resident memory", peak, "MiB"),
            ]
    finally:
        for log in folder.glob("server_*.audit.jsonl"):
            log.unlink()
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run():
        print(json.dumps(r))
