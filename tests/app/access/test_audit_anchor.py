"""Issue #12 items 12 and 14: the store anchors its audit log; one log per store.

12: truncating the log and rewriting its head file, wiping both, or rolling both back to an earlier
copy must fail ``csmap audit verify``: the head is anchored in the store's metadata.
14: two stores keep two logs; entries of one never show for the other (also with a shared log).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.access.audit import AuditLog, entry_hash
from app.access.audit_anchor import ANCHOR_KEY
from app.cli import main
from geo.store.meta import read_meta
from tests._app_store import write_csvs


@pytest.fixture
def own_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No explicit log: each store's log is derived from its path (HOME is a temp folder)."""
    monkeypatch.delenv("CSMAP_AUDIT_LOG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _store_with_log(folder: Path, *, exports: int = 6) -> tuple[Path, AuditLog]:
    csvs = write_csvs(folder / "csv")
    store = folder / "store.gpkg"
    for kind in ("concerns", "missing_episodes"):
        assert main(["ingest", kind, str(csvs[kind]), "--store", str(store)]) == 0
    for i in range(exports):
        out = folder / f"h{i}.geojson"
        argv = ["hotspots", "--store", str(store), "--method", "repeat", "--out", str(out)]
        assert main([*argv, "--reason", f"check {i}"]) == 0
    log = AuditLog.for_store(store)
    assert log.path == folder / "store.gpkg.audit.jsonl"
    return store, log


def _verify(store: Path) -> int:
    return main(["audit", "verify", "--store", str(store)])


def test_anchor_is_in_the_store(own_logs: None, tmp_path: Path) -> None:
    store, log = _store_with_log(tmp_path, exports=2)
    anchor = json.loads(read_meta(store)[ANCHOR_KEY])
    last = json.loads(log.path.read_text().splitlines()[-1])
    assert (anchor["seq"], anchor["hash"]) == (last["seq"], last["hash"]) == (4, last["hash"])
    assert _verify(store) == 0


def test_truncate_and_reset_head_fails_verify(
    own_logs: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, log = _store_with_log(tmp_path)
    lines = log.path.read_text().splitlines()
    kept = lines[:-5]
    log.path.write_text("".join(line + "\n" for line in kept))
    head = json.loads(log.head_path.read_text())
    head["seq"] = 1
    log.head_path.write_text(json.dumps(head))
    capsys.readouterr()
    assert _verify(store) == 1
    assert "truncated" in capsys.readouterr().err
    # the careful version: a head that matches the shortened log exactly
    last = json.loads(kept[-1])
    log.head_path.write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))
    assert _verify(store) == 1
    assert "store's anchor" in capsys.readouterr().err


def test_wipe_log_and_head_fails_verify(
    own_logs: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, log = _store_with_log(tmp_path, exports=1)
    log.path.write_text("")
    log.head_path.unlink()
    capsys.readouterr()
    assert _verify(store) == 1
    assert "store's anchor" in capsys.readouterr().err
    log.path.unlink()  # no log file at all: still broken, not "nothing to check"
    assert _verify(store) == 1


def test_rollback_of_log_and_head_fails_verify(own_logs: None, tmp_path: Path) -> None:
    store, log = _store_with_log(tmp_path, exports=1)
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(log.path, saved / "log")
    shutil.copy(log.head_path, saved / "head")
    out = tmp_path / "later.geojson"
    argv = ["hotspots", "--store", str(store), "--method", "repeat", "--out", str(out)]
    assert main([*argv, "--reason", "later"]) == 0
    shutil.copy(saved / "log", log.path)
    shutil.copy(saved / "head", log.head_path)
    assert _verify(store) == 1


def test_rewritten_chain_fails_against_the_anchor(own_logs: None, tmp_path: Path) -> None:
    """A writer who recomputes every hash after an edit still disagrees with the anchor."""
    store, log = _store_with_log(tmp_path, exports=1)
    entries = [json.loads(line) for line in log.path.read_text().splitlines()]
    entries[0]["details"]["rows"] = 0
    prev = "0" * 64
    for entry in entries:
        entry["prev_hash"] = prev
        entry["hash"] = prev = entry_hash(entry)
    log.path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    log.head_path.write_text(json.dumps({"seq": len(entries), "hash": prev}))
    assert AuditLog(log.path).verify().ok  # the chain alone cannot tell
    assert not log.verify().ok
    assert _verify(store) == 1


def test_two_stores_two_logs(own_logs: None, tmp_path: Path) -> None:
    store_a, log_a = _store_with_log(tmp_path / "a", exports=1)
    store_b, log_b = _store_with_log(tmp_path / "b", exports=2)
    assert log_a.path != log_b.path
    a = [json.loads(line) for line in log_a.path.read_text().splitlines()]
    b = [json.loads(line) for line in log_b.path.read_text().splitlines()]
    assert {e["store"] for e in a} == {str(store_a.resolve())}
    assert {e["store"] for e in b} == {str(store_b.resolve())}
    assert (len(a), len(b)) == (3, 4)
    assert len(log_a.read()) == 3 and len(log_b.read()) == 4
    assert _verify(store_a) == 0 and _verify(store_b) == 0


def test_shared_log_shows_each_store_its_own_entries(tmp_path: Path) -> None:
    shared = tmp_path / "shared.jsonl"
    a = AuditLog.for_store(tmp_path / "a.gpkg", log=shared)
    b = AuditLog.for_store(tmp_path / "b.gpkg", log=shared)
    a.append(user="jo", role="analyst", action="page_view", details={"page": "map"})
    b.append(user="sam", role="analyst", action="page_view", details={"page": "overview"})
    b.append(user="sam", role="admin", action="page_view", details={"page": "audit"})
    assert a.read()["user"].tolist() == ["jo"]
    assert b.read()["user"].tolist() == ["sam", "sam"]
    assert a.verify().ok and b.verify().ok  # one chain, shared


def test_audit_show_reads_the_stores_log(
    own_logs: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_a, _ = _store_with_log(tmp_path / "a", exports=1)
    store_b, _ = _store_with_log(tmp_path / "b", exports=0)
    capsys.readouterr()
    assert main(["audit", "show", "--store", str(store_b), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["action"] for r in rows] == ["ingest", "ingest"]


def test_audit_page_shows_only_its_stores_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests._app_store import build_store

    store = build_store(tmp_path / "mine")
    other = tmp_path / "other.gpkg"
    shared = tmp_path / "shared.jsonl"
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(shared))
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    AuditLog.for_store(other, log=shared).append(
        user="someone-else", role="analyst", action="export", details={"what": "concerns"}
    )
    app = Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.session_state["csmap_demo_role"] = "admin"
    at.run()
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) >= 1 and "someone-else" not in set(table["user"])
    assert any("Chain verified" in s.value for s in at.success)
    entries = [json.loads(line) for line in shared.read_text().splitlines()]
    assert {e["store"] for e in entries[1:]} == {str(store.resolve())}


def _append_slowly(path: str) -> None:
    log = AuditLog(path)
    for i in range(60):
        log.append(user="w", role="analyst", action="page_view", details={"i": i})


def test_verify_during_appends_never_reports_truncation(tmp_path: Path) -> None:
    """The Audit page verifies while others append: log, head and anchor are read consistently."""
    import multiprocessing

    path = tmp_path / "busy.jsonl"
    AuditLog(path).append(user="w", role="analyst", action="page_view")
    proc = multiprocessing.get_context("fork").Process(target=_append_slowly, args=(str(path),))
    proc.start()
    results = []
    while proc.is_alive() or not results:
        results.append(AuditLog(path).verify())
    proc.join(60)
    assert all(r.ok for r in results), next(r.message for r in results if not r.ok)
    assert AuditLog(path).verify().n_entries == 61


@pytest.fixture
def witness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "elsewhere" / "audit.witness"
    path.parent.mkdir()
    monkeypatch.setenv("CSMAP_AUDIT_WITNESS", str(path))
    return path


def _app_entries(store: Path, n: int) -> AuditLog:
    """Entries as the app writes them: through AuditLog.for_store, never anchored in the store."""
    log = AuditLog.for_store(store)
    for i in range(n):
        log.append(user="jo", role="analyst", action="page_view", details={"i": i})
    return log


def test_witness_catches_truncation_of_app_entries(
    own_logs: None, witness: Path, tmp_path: Path
) -> None:
    store, _ = _store_with_log(tmp_path, exports=0)
    log = _app_entries(store, 8)  # after the last anchor: only the witness covers these
    assert _verify(store) == 0
    kept = log.path.read_text().splitlines()[:-5]
    log.path.write_text("".join(line + "\n" for line in kept))
    last = json.loads(kept[-1])
    log.head_path.write_text(json.dumps({"seq": last["seq"], "hash": last["hash"]}))
    assert AuditLog(log.path, store=store).verify().ok  # head and store anchor cannot tell
    result = log.verify()
    assert not result.ok and "witness" in result.message
    assert _verify(store) == 1


def test_witness_catches_a_wipe_and_its_own_removal(
    own_logs: None, witness: Path, tmp_path: Path
) -> None:
    store, _ = _store_with_log(tmp_path, exports=0)
    log = _app_entries(store, 2)
    saved = log.path.read_bytes(), log.head_path.read_bytes()
    log.path.write_text("")
    log.head_path.unlink()
    result = log.verify()
    assert not result.ok and "witness" in result.message
    log.path.write_bytes(saved[0])
    log.head_path.write_bytes(saved[1])
    assert log.verify().ok
    witness.unlink()
    result = log.verify()
    assert not result.ok and "witness file" in result.message and "missing" in result.message


def test_one_witness_for_two_stores(own_logs: None, witness: Path, tmp_path: Path) -> None:
    store_a, _ = _store_with_log(tmp_path / "a", exports=0)
    store_b, _ = _store_with_log(tmp_path / "b", exports=0)
    a, b = _app_entries(store_a, 3), _app_entries(store_b, 1)
    assert a.verify().ok and b.verify().ok
    assert len(witness.read_text().splitlines()) == 2 + 2 + 3 + 1


def test_anchor_of_another_log_is_not_held_against_this_one(
    own_logs: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``csmap audit verify --log OTHER`` (e.g. an old log) is not compared with the store's
    anchor of its own log; the store's own log still is."""
    store, log = _store_with_log(tmp_path, exports=0)
    other = AuditLog(tmp_path / "old.jsonl", store=store)
    other.append(user="jo", role="admin", action="sign_in")
    capsys.readouterr()
    assert main(["audit", "verify", "--store", str(store), "--log", str(other.path)]) == 0
    assert "another log" in capsys.readouterr().out
    log.path.write_text("")
    log.head_path.unlink()
    assert _verify(store) == 1


def test_audit_page_warns_when_the_anchor_is_for_another_log(
    own_logs: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store copied elsewhere keeps an anchor naming its old log: the page must not show a
    green "verified" for a check it could not do; entries' details are readable text."""
    from streamlit.testing.v1 import AppTest

    from app.access.audit_table import details_summary
    from tests._app_store import build_store

    store = build_store(tmp_path / "orig")  # a (test-generator) demo store
    out = tmp_path / "h.geojson"
    argv = ["hotspots", "--store", str(store), "--method", "repeat", "--out", str(out)]
    assert main([*argv, "--reason", "check"]) == 0  # anchors the store's log in the store
    assert AuditLog.for_store(store).verify().anchor == "matched"
    (tmp_path / "copy").mkdir()
    copy = Path(shutil.copyfile(store, tmp_path / "copy" / "store.gpkg"))
    result = AuditLog.for_store(copy).verify()
    assert result.ok and result.anchor == "other log"
    monkeypatch.setenv("CSMAP_STORE", str(copy))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    app = Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.session_state["csmap_demo_role"] = "admin"
    at.run()
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    assert not any("Chain verified" in s.value for s in at.success)
    assert any("NOT checked against the store's anchor" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert len(table) and not table["details"].str.startswith("{").any()
    assert details_summary('{"page": "map", "filters": {"a": null}}') == "page: map"
