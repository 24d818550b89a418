"""AppTest: the location assessment page on the small app store (tests/_app_store.py)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests._pages import new_app, store_fixture

store = store_fixture("ra_app")


def _app(role: str = "practitioner") -> AppTest:
    """The app signed in through the demo sign-in as ``role`` (as test_roles.py does)."""
    return new_app(role=role, timeout=90)


def test_assessment_counts(app_env: Path) -> None:
    import datetime as dt

    at = _app("analyst").run()
    at.switch_page("app_pages/assessment.py").run()
    assert not at.exception, at.exception
    assert any("Enter a location" in i.value for i in at.info)
    at.text_input(key="ra_location").input("53.6458,-1.7850").run()
    at.date_input(key="ra_as_of").set_value(dt.date(2024, 3, 1)).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.main.metric}
    # the fixture has 12 concerns in Jan-Feb 2024; those within 500 m of this spot:
    # rows i = 0 and 6 at (53.6458 + i*0.0005, -1.785): 0 m and ~334 m away; row 1 at
    # (53.6485, -1.78): ~300 m north and ~330 m east, ~446 m away; row 7 is ~680 m away -> 3
    assert metrics["Concerns within the radius"] == "3"
    assert any("exactly on the radius" in c.value for c in at.caption)


def test_bad_location_and_role(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/assessment.py").run()
    at.text_input(key="ra_location").input("nowhere at all").run()
    assert not at.exception
    assert any("nowhere at all" in e.value for e in at.error)
    at2 = _app("partner").run()
    at2.switch_page("app_pages/assessment.py").run()
    assert any("partner role cannot open this page" in e.value for e in at2.error)


def test_practitioner_counts_are_suppressed_and_the_location_is_audited(app_env: Path) -> None:
    import datetime as dt
    import json

    from app.access.audit import AuditLog, default_audit_path

    at = _app("practitioner").run()
    at.switch_page("app_pages/assessment.py").run()
    at.text_input(key="ra_location").input("53.6458,-1.7850").run()
    at.date_input(key="ra_as_of").set_value(dt.date(2024, 3, 1)).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Concerns within the radius"] == "c"  # 3 for the analyst (test above)
    for frame in at.dataframe:
        for column in ("concerns", "value"):
            if column in frame.value.columns and "measure" not in frame.value.columns:
                assert not {"1", "2", "3", "4"} & set(frame.value[column].astype(str))
    summary = next(f.value for f in at.dataframe if "measure" in f.value.columns)
    values = dict(zip(summary["measure"], summary["value"], strict=True))
    assert values["Concerns within the radius"] == "c"
    assert values["Concerns per km² (circle within the area)"] == "nan"  # rate x area = count
    assert any("Disclosure control" in c.value for c in at.caption)
    at.button(key="ra_json__prepare").click().run()
    assert not at.exception, at.exception
    log = AuditLog(default_audit_path())
    views = [json.loads(d) for d in log.read(action="page_view")["details"]]
    assessed = [
        v["filters"] for v in views if v["page"] == "assessment" and "grid_ref" in v["filters"]
    ]
    assert assessed and assessed[-1]["location"] == "53.6458,-1.7850"
    assert assessed[-1]["grid_ref"].startswith("SE ")
    exports = [json.loads(d) for d in log.read(action="export")["details"]]
    assert exports and exports[-1]["filters"]["grid_ref"] == assessed[-1]["grid_ref"]
    at.button(key="ra_pack").click().run()  # the HTML/PDF report from the controlled result
    assert not at.exception, at.exception
    html = next(d for d in at.get("download_button") if d.proto.label == "Report (HTML)")
    assert html is not None
