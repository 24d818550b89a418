"""Real-browser OIDC sign-in, fully offline: ``oidc-provider-mock`` on 127.0.0.1 and ``csmap app``.

The secrets file (``[auth]``) is written into ``.streamlit/`` of a temporary working directory
(never into the repository); the role mapping comes from ``CSMAP_ROLE_MAPPING``. The store has no
demo marker, so OIDC is the sign-in. A mapped account lands on its role's pages; an unmapped
account is refused; both are in the audit log.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.access.audit import AuditLog
from app.maps.vendor import missing_assets
from tests._app_store import build_store
from tests._browser import CHROMIUM, app_server, free_port, launch, offline_context, stop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]

USERS = [
    {"sub": "an1", "email": "analyst@example.org", "name": "Ann Analyst"},
    {"sub": "out1", "email": "someone@elsewhere.com", "name": "Out Sider"},
]


def _wait_port(port: int, proc: subprocess.Popen[bytes], *, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"oidc-provider-mock exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("oidc-provider-mock did not start")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if missing_assets():
        pytest.fail("map assets not vendored: run `make vendor`")
    base = tmp_path_factory.mktemp("oidc")
    store = build_store(base / "store", demo=False)
    oport, port = free_port(), free_port()
    provider_cmd = [str(Path(sys.executable).with_name("oidc-provider-mock")), "--port", str(oport)]
    for user in USERS:
        provider_cmd += ["--user-claims", json.dumps(user)]
    plog = (base / "provider.log").open("wb")
    provider = subprocess.Popen(
        provider_cmd, stdout=plog, stderr=subprocess.STDOUT, start_new_session=True
    )
    cwd = base / "cwd"
    (cwd / ".streamlit").mkdir(parents=True)
    (cwd / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "csmap-test"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{oport}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    roles = base / "roles.yaml"
    roles.write_text("roles:\n  analyst: {emails: [analyst@example.org]}\n", encoding="utf-8")
    audit = base / "audit.jsonl"
    env = dict(os.environ)
    env.update(
        CSMAP_ROLE_MAPPING=str(roles),
        CSMAP_AUDIT_LOG=str(audit),
        CSMAP_USERS_FILE=str(base / "no-users.yaml"),
    )
    env.pop("CSMAP_ROLE", None)
    try:
        with app_server(
            store=store,
            log_path=base / "server.log",
            cwd=cwd,
            env=env,
            demo=False,
            port=port,
            before_healthy=lambda: _wait_port(oport, provider),
        ) as url:
            yield url, audit
    finally:
        stop(provider)
        plog.close()


def _sign_in(url: str, sub: str):
    from playwright.sync_api import sync_playwright

    p = sync_playwright().start()
    browser = launch(p)
    ctx = offline_context(browser, width=1300, height=900)
    page = ctx.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Log in").click(timeout=60_000)
    page.locator(f'button[name="sub"][value="{sub}"]').click(timeout=60_000)
    return p, browser, page


def test_mapped_account_gets_its_role(servers: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    url, audit = servers
    p, browser, page = _sign_in(url, "an1")
    try:
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_contain_text(
            "Signed in as analyst@example.org (analyst)", timeout=60_000
        )
        expect(sidebar.get_by_role("link", name="Map")).to_be_visible()
        expect(sidebar.get_by_role("link", name="Audit log")).to_have_count(0)
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        page.screenshot(path=str(Path("test-artifacts").resolve() / "browser_oidc_analyst.png"))
        # the audit page is refused even by URL
        page.goto(url + "/audit", wait_until="domcontentloaded")
        expect(page.get_by_text("cannot open this page")).to_be_visible(timeout=60_000)
    finally:
        browser.close()
        p.stop()
    entries = AuditLog(audit).read(action="sign_in")
    assert ["analyst@example.org", "analyst"] in entries[["user", "role"]].values.tolist()
    assert AuditLog(audit).verify().ok


def test_unmapped_account_is_refused(servers: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    url, audit = servers
    p, browser, page = _sign_in(url, "out1")
    try:
        expect(page.get_by_text("has no role in csmap")).to_be_visible(timeout=60_000)
        expect(page.locator('[data-testid="stMetricValue"]')).to_have_count(0)
    finally:
        browser.close()
        p.stop()
    failed = AuditLog(audit).read(action="sign_in_failed")
    assert "someone@elsewhere.com" in failed["user"].tolist()
