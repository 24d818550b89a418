"""Roles wired through the whole app (issue #7): role matrix, sign-in, audit, export gate.

Every page of :data:`app.access.policy.PAGES` is walked with AppTest for every role (demo mode,
where
the role picker sets the role): allowed pages render without exception; forbidden pages are not
in the menu and refuse when opened anyway (through the entry point, and as a page script on
its own); partner and board never get a child reference, a record id, a record's text or a
record's point in any element (dataframes, map/chart JSON, text). The fixture store is
tests/_app_store.py (12 concerns, 5 missing episodes, 3 placements; child refs CH0-CH2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from google.protobuf.json_format import MessageToJson
from streamlit.testing.v1 import AppTest

from app.access import policy
from app.access.audit import AuditLog
from app.access.users import add_user
from app.maps.vendor import missing_assets
from geo.store.gpkg import Store
from tests._app_store import build_store
from tests._demo_store import demo_store

ROOT = Path(__file__).resolve().parents[3]
APP = str(ROOT / "app" / "streamlit_app.py")
PAGES_DIR = ROOT / "app" / "app_pages"
PAGES = [p for p in policy.PAGES if (PAGES_DIR / f"{p}.py").exists()]
CHILD_REFS = {"CH0", "CH1", "CH2"}
#: 53.6458,-1.7850 is the first fixture concern (C000)
LOCATION = "53.6458,-1.7850"

pytestmark = pytest.mark.skipif(
    bool(missing_assets()), reason="map assets not vendored: run `make vendor`"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("rolestore"))


def _store_points(store: Path) -> np.ndarray:
    """(lon, lat) of every stored record location (all kinds, last seen and found)."""
    s = Store(store)
    pairs = []
    for kind in s.kinds():
        frame = s.read(kind)
        for prefix in ("", "last_seen_", "found_"):
            lon, lat = f"{prefix}longitude", f"{prefix}latitude"
            if lon in frame.columns:
                pairs.append(frame[[lon, lat]].dropna().to_numpy(dtype=float))
    return np.vstack(pairs)


def _store_ids(store: Path) -> set[str]:
    """Record ids and child references of every stored record."""
    s = Store(store)
    ids: set[str] = set()
    for kind in s.kinds():
        frame = s.read(kind)
        for column in ("record_id", "episode_id", "placement_id", "child_ref"):
            if column in frame.columns:
                ids |= set(frame[column].dropna().astype(str))
    return ids


@pytest.fixture(scope="module")
def record_points(store: Path) -> np.ndarray:
    return _store_points(store)


@pytest.fixture(scope="module")
def record_ids(store: Path) -> set[str]:
    ids = _store_ids(store)
    assert ids >= CHILD_REFS
    return ids


@pytest.fixture
def env(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(log))
    return log


def _app(role: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if role is not None:
        at.session_state["csmap_demo_role"] = role
    return at


def _payloads(at: AppTest) -> str:
    """Everything non-tabular the page sent: map/component JSON, chart specs, texts."""
    parts = []
    for element in at.main:
        if type(element).__name__ == "UnknownElement":
            parts.append(MessageToJson(element.proto))
        elif hasattr(element, "value") and isinstance(element.value, str):
            parts.append(element.value)
    return "\n".join(parts)


_PAIR = re.compile(r"\[\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)")


def _n_record_points(text: str, points: np.ndarray) -> int:
    """How many coordinate pairs in ``text`` sit on a record location (either order, ~1 m)."""
    found = np.array([(float(a), float(b)) for a, b in _PAIR.findall(text)])
    if not len(found):
        return 0
    hits = 0
    for pair in (found, found[:, ::-1]):
        d = np.abs(pair[:, None, :] - points[None, :, :]).max(axis=2)
        hits += int((d.min(axis=1) < 2e-5).sum())
    return hits


def _leaks(at: AppTest, points: np.ndarray, ids: set[str]) -> list[str]:
    problems = []
    for frame in at.dataframe:
        table = pd.DataFrame(frame.value)
        bad_cols = set(map(str, table.columns)) & {"child_ref", "summary", "place_name", *ids}
        if bad_cols:
            problems.append(f"dataframe columns {sorted(bad_cols)}")
        values = {str(v) for v in table.astype(str).to_numpy().ravel()}
        values |= {str(v) for v in table.index}
        if values & ids:
            problems.append(f"dataframe values {sorted(values & ids)[:5]}")
    text = _payloads(at)
    tokens = set(re.findall(r"[A-Za-z0-9_./-]+", text))
    if tokens & ids:
        problems.append(f"{sorted(tokens & ids)[:5]} in the page")
    if "alert(" in text or "Bus &" in text or "Bus \\u0026" in text:
        problems.append("record text in the page")
    n = _n_record_points(text, points)
    if n:
        problems.append(f"{n} record points in map/chart JSON")
    return problems


def _menu(at: AppTest, allowed: list[str]) -> list[str]:
    pages = [link.proto.page for link in at.sidebar.get("page_link")]
    return [p or allowed[0] for p in pages]  # the landing page links to ""


@pytest.mark.parametrize("role", policy.ROLES)
def test_role_matrix_every_page(
    role: str, env: Path, record_points: np.ndarray, record_ids: set[str]
) -> None:
    allowed = policy.allowed_pages(role)
    at = _app(role).run()
    assert not at.exception, at.exception
    assert at.session_state["csmap_role"] == role
    assert _menu(at, allowed) == [p for p in allowed if p in PAGES]
    assert any(f"Viewing as: **{role}**" in i.value for i in at.info)
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        where = f"{role} on {page}"
        assert not at.exception, f"{where}: {at.exception}"
        if page in allowed:
            assert at.title, f"{where}: nothing rendered"
            assert not [e.value for e in at.error if "cannot" in e.value], where
            if page == "assessment":
                at.text_input(key="ra_location").input(LOCATION).run()
                assert not at.exception, f"{where}: {at.exception}"
                assert at.main.metric, f"{where}: no assessment shown"
            if role in ("partner", "board"):
                assert not _leaks(at, record_points, record_ids), (
                    where,
                    _leaks(at, record_points, record_ids),
                )
        else:
            assert any("cannot" in e.value for e in at.error), f"{where}: not refused"
            assert not at.dataframe and not at.main.metric, f"{where}: content shown"
            assert not [e for e in at.main if type(e).__name__ == "UnknownElement"], where


def test_leak_detector_finds_analyst_points(
    env: Path, record_points: np.ndarray, record_ids: set[str]
) -> None:
    """The detector used above is not blind: the analyst's map shows record points."""
    at = _app("analyst").run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    assert _n_record_points(_payloads(at), record_points) >= 12
    assert _leaks(at, record_points, record_ids)


@pytest.mark.parametrize("role", policy.ROLES)
def test_forbidden_page_scripts_refuse_when_run_directly(role: str, env: Path) -> None:
    allowed = policy.allowed_pages(role)
    for page in PAGES:
        if page in allowed:
            continue
        at = AppTest.from_file(str(PAGES_DIR / f"{page}.py"), default_timeout=120)
        at.session_state["csmap_role"] = role
        at.session_state["csmap_user"] = "someone"
        at.run()
        assert not at.exception, f"{role} {page}: {at.exception}"
        assert any("cannot" in e.value for e in at.error), f"{role} {page}: not refused"
        assert not at.dataframe and not at.metric, f"{role} {page}: content shown"


def test_sign_in_and_page_views_are_audited(env: Path) -> None:
    at = _app("partner").run()
    at.switch_page("app_pages/placements.py").run()
    cat = next(m for m in at.sidebar.multiselect if m.label.startswith("Category"))
    cat.set_value(["CSE"]).run()
    at.run()  # a rerun with the same page and filters is not logged again
    log = AuditLog(env)
    assert log.verify().ok
    entries = log.read()
    sign_ins = entries[entries["action"] == "sign_in"]
    assert sign_ins[["user", "role"]].values.tolist() == [["demo", "partner"]]
    views = entries[entries["action"] == "page_view"]
    details = [json.loads(d) for d in views["details"]]
    assert [d["page"] for d in details] == ["overview", "placements", "placements"]
    assert details[-1]["filters"]["categories"] == ["CSE"]
    assert set(views["role"]) == {"partner"}
    # switching the demo role is a new sign-in
    at.selectbox(key="csmap_demo_role").set_value("board").run()
    assert AuditLog(env).read(action="sign_in")["role"].tolist() == ["partner", "board"]


def test_export_gate_logs_before_offering(env: Path) -> None:
    at = _app("partner").run()
    at.switch_page("app_pages/disruption.py").run()
    assert not at.exception, at.exception
    assert not at.get("download_button")  # nothing offered before it is logged
    at.button(key="dis_csv__prepare").click().run()
    assert not at.exception, at.exception
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Watchlist (CSV)"]
    exports = AuditLog(env).read(action="export")
    assert exports[["user", "role", "what"]].values.tolist() == [["demo", "partner", "venues"]]
    assert json.loads(exports["details"][0])["file_name"] == "venue_watchlist.csv"


def test_partner_explorer_on_demo_data_has_hotspots_but_no_records(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = demo_store()
    monkeypatch.setenv("CSMAP_STORE", str(store))
    at = _app("partner").run()
    at.switch_page("app_pages/explorer.py").run()
    assert not at.exception, at.exception
    scripts = [
        json.loads(e.proto.json_args).get("script", "")
        for e in at.main
        if "streamlit_folium" in getattr(e.proto, "component_name", "")
    ]
    assert scripts and '"label": "hot"' in scripts[0]  # hotspot polygons are drawn
    assert not _leaks(at, _store_points(store), _store_ids(store))
    at.button(key="exp_prepare").click().run()
    assert not at.exception, at.exception
    assert at.get("download_button")  # hotspot files without records are offered


def test_record_level_export_needs_a_reason(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSMAP_STORE", str(demo_store()))
    at = _app("analyst").run()
    at.switch_page("app_pages/explorer.py").run()
    assert not at.exception, at.exception
    at.button(key="exp_prepare").click().run()
    assert not at.exception, at.exception
    labels = [d.proto.label for d in at.get("download_button")]
    # the standalone map carries record points: refused without a reason, the rest offered
    assert labels and not [x for x in labels if x.endswith(".html")]
    assert any("state a reason" in c.value for c in at.caption)
    assert not AuditLog(env).read(action="export").query("what == 'hotspots'").empty
    assert not any(
        json.loads(d)["record_level"]
        for d in AuditLog(env).read()["details"]
        if "record_level" in d
    )
    at.text_input(key="exp_reason").input("strategy meeting 3 Dec").run()
    at.button(key="exp_prepare").click().run()
    labels = [d.proto.label for d in at.get("download_button")]
    assert any(x.endswith(".html") for x in labels)
    exports = AuditLog(env).read(action="export")
    record = exports[exports["reason"] == "strategy meeting 3 Dec"]
    assert len(record) >= 1 and AuditLog(env).verify().ok


def test_audit_page_verifies_and_filters(env: Path) -> None:
    at = _app("admin").run()
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    assert any("Chain verified" in s.value for s in at.success)
    at.selectbox(key="aud_action").set_value("sign_in").run()
    table = at.dataframe[0].value
    assert set(table["action"]) == {"sign_in"} and set(table["role"]) == {"admin"}
    # tamper with the log: the page says the chain is broken
    lines = env.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"admin"', '"analyst"')
    env.write_text("\n".join(lines) + "\n", encoding="utf-8")
    at.run()
    assert any("Chain BROKEN at entry 1" in e.value for e in at.error)


def test_demo_mode_refused_on_a_real_store(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = build_store(tmp_path / "real", demo=False)
    monkeypatch.setenv("CSMAP_STORE", str(real))
    at = _app("analyst").run()
    assert not at.exception
    assert any("Demo mode refused" in e.value for e in at.error)
    assert not at.dataframe and not at.main.metric
    assert "csmap_role" not in at.session_state


@pytest.fixture
def real_env(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    real = build_store(tmp_path / "real", demo=False)
    monkeypatch.setenv("CSMAP_STORE", str(real))
    monkeypatch.setenv("CSMAP_DEMO", "0")
    users = tmp_path / "users.yaml"
    monkeypatch.setenv("CSMAP_USERS_FILE", str(users))
    roles = tmp_path / "roles.yaml"
    roles.write_text(
        "roles:\n  analyst: {emails: [analyst@example.org]}\n  board: {domains: [example.org]}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CSMAP_ROLE_MAPPING", str(roles))
    return users


def test_local_sign_in(real_env: Path, env: Path) -> None:
    at = _app().run()
    assert any("No sign-in is configured" in e.value for e in at.error)
    add_user("jo.board", "correct horse battery", role="board", users_file=real_env)
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "csmap: sign in" and not at.main.metric
    at.text_input(key="csmap_login_user").input("jo.board")
    at.text_input(key="csmap_login_password").input("wrong password!!")
    at.button[0].click().run()
    assert any("Wrong username or password" in e.value for e in at.error)
    assert "csmap_role" not in at.session_state
    at.text_input(key="csmap_login_password").input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["csmap_role"] == "board"
    assert at.title[0].value == "Overview"
    at.switch_page("app_pages/map.py").run()
    assert any("cannot" in e.value for e in at.error)
    log = AuditLog(env).read()
    assert log["action"].tolist()[:2] == ["sign_in_failed", "sign_in"]
    assert log["user"].tolist()[:2] == ["jo.board", "jo.board"]
    at.sidebar.button(key="csmap_sign_out").click().run()
    assert "csmap_role" not in at.session_state
    assert AuditLog(env).read(action="sign_out")["user"].tolist() == ["jo.board"]


def test_oidc_roles_from_the_mapping(real_env: Path, env: Path) -> None:
    secrets = {
        "auth": {
            "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
            "cookie_secret": "test-only-cookie-secret-not-real",
            "client_id": "csmap-test",
            "client_secret": "test-secret",
            "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
        }
    }
    at = _app()
    at.secrets = secrets
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"] and not at.main.metric

    for email, role in (("analyst@example.org", "analyst"), ("lead@example.org", "board")):
        at = _app()
        at.secrets = secrets
        at.user = {"is_logged_in": True, "email": email}
        at.run()
        assert not at.exception, at.exception
        assert at.session_state["csmap_role"] == role
        assert at.session_state["csmap_user"] == email

    at = _app()
    at.secrets = secrets
    at.user = {"is_logged_in": True, "email": "someone@elsewhere.com"}
    at.run()
    assert any("has no role" in e.value for e in at.error)
    assert "csmap_role" not in at.session_state and not at.main.metric
    failed = AuditLog(env).read(action="sign_in_failed")
    assert failed["user"].tolist() == ["someone@elsewhere.com"]
