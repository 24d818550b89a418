"""Shared real-browser helpers: ``csmap app`` on a loopback port and offline headless Chromium.

Used by ``tests/test_browser_*.py`` and by ``benchmarks/bench_browser.py`` (which puts ``tests/``
on ``sys.path``). Polling loops inside a Playwright session wait with ``page.wait_for_timeout``,
never ``time.sleep``: a sleeping thread blocks Playwright's delivery of frame and network events.
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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
#: requests allowed through (everything else is aborted: no internet, no CDN)
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)[:/]")
FOLIUM_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
#: circle markers on the folium map (-1 before the map exists); run in the component frame
COUNT_MARKERS = """() => {
  if (!window.map_div) return -1;
  let n = 0;
  window.map_div.eachLayer(l => { if (l instanceof L.CircleMarker) n += 1; });
  return n;
}"""
#: sum of the ``count`` of the aggregated cells on the folium map (-1 before the map exists)
SUM_CELLS = """() => {
  if (!window.map_div) return -1;
  let n = 0;
  window.map_div.eachLayer(l => {
    const p = l.feature && l.feature.properties;
    if (p && typeof p.count === "number" && l instanceof L.Polygon) n += p.count;
  });
  return n;
}"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], *, timeout: float = 90) -> None:
    """Wait until Streamlit's health endpoint at ``url`` answers ``ok`` (``proc`` still running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"csmap app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)  # no browser involved here
    raise AssertionError("csmap app did not become healthy in time")


def stop(proc: subprocess.Popen[bytes], *, timeout: float = 20) -> None:
    """Terminate ``proc``'s process group (started with ``start_new_session=True``)."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def start_app(
    *,
    store: Path,
    port: int,
    cwd: Path | None,
    log: Any,
    env: Mapping[str, str] | None = None,
    demo: bool = True,
) -> subprocess.Popen[bytes]:
    """Start ``csmap app --store STORE --port PORT [--demo]`` in its own session (output: log)."""
    argv = [str(Path(sys.executable).with_name("csmap")), "app", "--store", str(store)]
    argv += ["--port", str(port)] + (["--demo"] if demo else [])
    return subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=None if env is None else dict(env),
    )


@contextmanager
def app_server(
    *,
    store: Path,
    log_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    demo: bool = True,
    port: int | None = None,
    before_healthy: Callable[[], None] | None = None,
    stop_timeout: float = 20,
) -> Iterator[str]:
    """``csmap app`` on a free loopback port while the block runs; yields its base URL.

    ``before_healthy`` runs after the start and before the health wait (e.g. waiting for another
    server the app needs). The app is stopped and the log closed on exit.
    """
    port = free_port() if port is None else port
    log = log_path.open("wb")
    proc = start_app(store=store, port=port, cwd=cwd, log=log, env=env, demo=demo)
    url = f"http://127.0.0.1:{port}"
    try:
        if before_healthy is not None:
            before_healthy()
        wait_healthy(url, proc)
        yield url
    finally:
        stop(proc, timeout=stop_timeout)
        log.close()


def launch(playwright: Any) -> Any:
    """Headless Debian Chromium with :data:`ARGS`."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


def offline_context(
    browser: Any,
    *,
    width: int = 1400,
    height: int = 1000,
    on_blocked: Callable[[Any], None] | None = None,
) -> Any:
    """A context in which every non-loopback request is aborted (``on_blocked`` sees it first)."""

    def block(route: Any) -> None:
        if on_blocked is not None:
            on_blocked(route)
        route.abort()

    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.route(lambda url: not LOOPBACK.match(url), block)
    return ctx


def poll_folium_frames(
    page: Any,
    probe: Callable[[Any], object],
    *,
    done: Callable[[object], bool],
    timeout: float,
    interval_ms: float = 250,
) -> tuple[bool, list[object]]:
    """Evaluate ``probe(frame)`` in each attached streamlit-folium frame until ``done(value)``.

    The component iframe may be replaced on a rerun, so frames are listed afresh each round;
    a probe that raises (loading, detached) is recorded as ``"error: ..."``. Waits between rounds
    with ``page.wait_for_timeout`` so Playwright keeps delivering frame events.

    Returns
    -------
    (bool, list)
        Whether a value satisfied ``done``, and the values seen in the last round.
    """
    deadline = time.monotonic() + timeout
    seen: list[object] = []
    while time.monotonic() < deadline:
        seen = []
        for frame in page.frames:
            if "streamlit_folium" not in frame.url or frame.is_detached():
                continue
            try:
                value = probe(frame)
            except Exception as exc:
                value = f"error: {str(exc)[:200]}"
            seen.append(value)
            if done(value):
                return True, seen
        page.wait_for_timeout(interval_ms)
    return False, seen


def choose_sidebar_option(page: Any, *, box_label: str, option: str) -> Any:
    """Choose ``option`` in the sidebar multiselect labelled ``box_label``; return the box.

    Types the option and clicks it, retrying: a click-opened list can close again when a late
    rerun (the map component reporting its first value) redraws the sidebar.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text=box_label
    )
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        box.locator("input").click()
        box.locator("input").fill(option)
        try:
            choice.click(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    return box
