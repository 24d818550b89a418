"""Data page (uploads): AppTest on the small store, plus the pure upload helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.access.audit import AuditLog
from app.maps.vendor import missing_assets
from app.session.uploads import UploadError, max_upload_mb, validate_upload
from geo.errors import UnreadableFileError
from tests._app_store import N_CONCERNS, build_store

APP = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")

# 3 valid concerns (2 CSE, 1 CCE) inside Kirklees, 1 without location, 1 with a bad date and
# a formula in a text cell: 3 accepted, 2 quarantined.
UPLOAD_CSV = (
    b"record_id,reported_date,category,reporting_agency,risk_level,latitude,longitude,summary\n"
    b"U1,2024-01-20,CSE,police,high,53.6458,-1.7850,a\n"
    b"U2,2024-01-21,CSE,police,high,53.6480,-1.7800,b\n"
    b"U3,2024-02-02,CCE,education,low,53.6900,-1.6300,c\n"
    b"U4,2024-02-03,CSE,police,high,,,no location\n"
    b'U5,not a date,CSE,police,high,53.6500,-1.7700,"=HYPERLINK(""http://x"")"\n'
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("datastore"))


@pytest.fixture
def app_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if missing_assets():
        pytest.skip("map assets not vendored: run `make vendor`")
    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.delenv("CSMAP_ROLE", raising=False)
    monkeypatch.delenv("CSMAP_MAX_UPLOAD_MB", raising=False)
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(store.parent / "audit.jsonl"))
    return store


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def _data_page(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    return at


def test_upload_validates_shows_quarantine_and_adds_to_session_only(app_env: Path) -> None:
    at = _data_page(AppTest.from_file(APP, default_timeout=60))
    assert any("No uploaded records" in m.value for m in at.main.markdown)
    at.file_uploader[0].set_value(("my concerns.csv", UPLOAD_CSV, "text/csv")).run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert metrics["Rows read"] == "5"
    assert metrics["Accepted"] == "3"
    assert metrics["Quarantined"] == "2"
    assert metrics["Duplicates"] == "0"
    quarantine = at.main.dataframe[0].value
    assert sorted(quarantine["source_row"].tolist()) == [5, 6]
    reasons = " | ".join(quarantine["reasons"].astype(str))
    assert "reported_date" in reasons and "location" in reasons
    # the quarantine report is downloadable (written by geo.store.export.to_csv_bytes)
    assert any(getattr(e, "type", "") == "download_button" for e in at.main)
    # nothing in the session yet: the overview still shows the store's count
    assert "csmap_uploaded_records" not in at.session_state

    add = next(b for b in at.main.button if b.label.startswith("Add 3 accepted"))
    add.click().run()
    assert not at.exception, at.exception
    uploads = at.session_state["csmap_uploaded_records"]
    assert len(uploads["concerns"]) == 3
    assert set(uploads["concerns"]["source_file"]) == {"my_concerns.csv"}
    summary = at.main.dataframe[-1].value
    assert summary["rows"].tolist() == [3]
    # records brought into the app are in the audit log like a CLI ingest
    ingests = AuditLog(app_env.parent / "audit.jsonl").read(action="ingest")
    assert len(ingests) == 1 and ingests["rows"].tolist() == [3]
    details = json.loads(ingests["details"].iloc[0])
    assert details["into"] == "session" and details["rows_quarantined"] == 2

    # every page now shows store + session records
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    assert _metrics(at)["Concerns"] == str(N_CONCERNS + 3)

    # clear my uploads: back to the store only
    at.switch_page("app_pages/data.py").run()
    next(b for b in at.main.button if b.label == "Clear my uploads").click().run()
    assert not at.exception, at.exception
    assert "csmap_uploaded_records" not in at.session_state
    at.switch_page("app_pages/overview.py").run()
    assert _metrics(at)["Concerns"] == str(N_CONCERNS)


def test_uploads_are_not_shared_between_sessions(app_env: Path) -> None:
    first = _data_page(AppTest.from_file(APP, default_timeout=60))
    first.file_uploader[0].set_value(("c.csv", UPLOAD_CSV, "text/csv")).run()
    next(b for b in first.main.button if b.label.startswith("Add 3")).click().run()
    assert len(first.session_state["csmap_uploaded_records"]["concerns"]) == 3

    second = AppTest.from_file(APP, default_timeout=60).run()
    assert not second.exception, second.exception
    assert _metrics(second)["Concerns"] == str(N_CONCERNS)


def test_oversized_upload_is_refused_with_a_clear_message(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSMAP_MAX_UPLOAD_MB", "0.0001")  # ~105 bytes
    at = _data_page(AppTest.from_file(APP, default_timeout=60))
    at.file_uploader[0].set_value(("big.csv", UPLOAD_CSV, "text/csv")).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.main.error]
    assert any("big.csv" in e and "limit" in e for e in errors), errors
    assert "csmap_uploaded_records" not in at.session_state


def test_board_role_cannot_upload(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSMAP_ROLE", "board")
    at = _data_page(AppTest.from_file(APP, default_timeout=60))
    assert any("cannot open this page" in e.value for e in at.main.error)
    assert len(at.file_uploader) == 0


def test_validate_upload_matches_the_cli_ingest(tmp_path: Path) -> None:
    from geo.ingest.pipeline import validate_file

    path = tmp_path / "same.csv"
    path.write_bytes(UPLOAD_CSV)
    cli = validate_file("concerns", path, area="kirklees")
    up = validate_upload(kind="concerns", name="same.csv", data=UPLOAD_CSV, area="kirklees")
    assert (up.rows_read, up.rows_loaded, up.rows_quarantined) == (
        cli.rows_read,
        cli.rows_loaded,
        cli.rows_quarantined,
    )
    assert (
        up.records["record_id"].tolist()
        == cli.records["record_id"].tolist()
        == [
            "U1",
            "U2",
            "U3",
        ]
    )
    assert up.quarantine["reasons"].tolist() == cli.quarantine["reasons"].tolist()
    assert json.dumps(up.summary())  # serialisable, names the upload not the temp path
    assert up.summary()["file"] == "same.csv"


def test_validate_upload_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    validate_upload(kind="concerns", name="x.csv", data=UPLOAD_CSV, area="kirklees")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kind", "name", "data", "match"),
    [
        ("concerns", "x.pdf", b"a,b\n1,2\n", "not accepted"),
        ("concerns", "noext", b"a,b\n1,2\n", "not accepted"),
        ("crimes", "x.csv", b"a,b\n1,2\n", "unknown record kind"),
        ("concerns", "x.csv", b"a" * 2000, "limit"),
    ],
)
def test_validate_upload_refusals(kind: str, name: str, data: bytes, match: str) -> None:
    with pytest.raises(UploadError, match=match):
        validate_upload(kind=kind, name=name, data=data, max_mb=0.001)


def test_unreadable_upload_raises_the_ingest_error() -> None:
    with pytest.raises(UnreadableFileError):
        validate_upload(kind="concerns", name="x.csv", data=b"%PDF-1.4 binary", area="kirklees")


def test_max_upload_mb_rejects_nonsense() -> None:
    with pytest.raises(UploadError):
        max_upload_mb({"CSMAP_MAX_UPLOAD_MB": "lots"})
    with pytest.raises(UploadError):
        max_upload_mb({"CSMAP_MAX_UPLOAD_MB": "-1"})
