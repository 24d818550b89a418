"""Data page: upload CSV/Excel for any kind through the CLI's ingest; uploads stay in the session.

The upload is validated by :func:`app.session.uploads.validate_upload` (the same
:func:`geo.ingest.pipeline.validate_file` as ``csmap ingest``/``csmap hotspots``); the quarantine
report is
shown and downloadable (formula-safe CSV). Valid records are added to
``st.session_state[app.session.state.UPLOADED_KEY]`` only when the user asks, and every page then
shows
them with the store's records (:func:`app.session.state.current_records`). Nothing is written to the
store and nothing is shared with other sessions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from app.access import auth
from app.session import state
from app.session.filters import KIND_LABELS
from app.session.uploads import (
    UPLOAD_TYPES,
    max_upload_mb,
    merge_upload,
    upload_summary,
    validate_upload,
)
from app.views.escape import md_escape
from geo.errors import CsmapError
from geo.store.export import safe_filename, to_csv_bytes
from geo.vocab import KINDS

#: session_state key of the last validation: ``{"file_id", "kind", "report", "added"}``.
REPORT_KEY = "csmap_upload_report"

auth.page_role("data")  # refuses (and stops) for roles without record-level access
config = state.config_from_env()

st.title("Data")

try:
    limit_mb = max_upload_mb()
except CsmapError as exc:
    st.error(md_escape(exc))
    st.stop()

st.caption(
    "Upload a CSV or Excel (.xlsx) file of one record kind. It is checked by the same ingest as "
    "`csmap ingest`: every row is either accepted or quarantined with its reason. Accepted "
    "records are kept **in this browser session only** (never written to the store, never "
    f"shared with other users) until you clear them or close the session. Limit: {limit_mb:g} MB."
)

left, right = st.columns([1, 2])
kind = left.selectbox(
    "Record kind",
    options=list(KINDS),
    format_func=lambda k: KIND_LABELS.get(k, k),
    key="data_kind",
)
uploaded = right.file_uploader(
    "CSV or Excel file", type=list(UPLOAD_TYPES), key="data_file", accept_multiple_files=False
)

last: dict[str, Any] | None = st.session_state.get(REPORT_KEY)
if uploaded is not None:
    file_key = f"{uploaded.file_id}:{kind}"
    if last is None or last.get("file_key") != file_key:
        with st.status(f"Checking {md_escape(uploaded.name)} ...", expanded=False) as status:
            try:
                report = validate_upload(
                    kind=kind,
                    name=uploaded.name,
                    data=uploaded.getvalue(),
                    area=state.load_study_area(config.area),
                    max_mb=limit_mb,
                )
            except CsmapError as exc:
                status.update(label="Refused", state="error")
                st.error(md_escape(exc))
                st.session_state.pop(REPORT_KEY, None)
                last = None
            else:
                status.update(label=f"Checked {md_escape(report.file)}", state="complete")
                last = {"file_key": file_key, "kind": kind, "report": report, "added": False}
                st.session_state[REPORT_KEY] = last

if last is not None:
    report = last["report"]
    label = KIND_LABELS.get(last["kind"], last["kind"])
    st.subheader(f"{md_escape(report.file)} ({md_escape(label)})")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rows read", f"{report.rows_read:,}")
    c2.metric("Accepted", f"{report.rows_loaded:,}")
    c3.metric("Quarantined", f"{report.rows_quarantined:,}")
    c4.metric("Duplicates", f"{report.rows_duplicate:,}")
    if report.rows_quarantined:
        st.markdown("**Quarantined rows** (row numbers count the header as row 1)")
        st.dataframe(report.quarantine, hide_index=True, width="stretch")
        # the user's own uploaded rows handed back (nothing from the store): logged, no reason
        auth.export_download(
            "Download the quarantine report (CSV)",
            to_csv_bytes(report.quarantine),
            file_name=safe_filename(f"{Path(report.file).stem}_quarantine", ext="csv"),
            mime="text/csv",
            what="table",
            rows=len(report.quarantine),
            record_level=False,
            confirmed=True,
            key="data_quarantine_download",
        )
    else:
        st.success("No row was quarantined.")
    if last["added"]:
        st.info(
            f"{report.rows_loaded:,} records from {md_escape(report.file)} are in this session."
        )
    elif report.rows_loaded and st.button(
        f"Add {report.rows_loaded:,} accepted records to my session",
        type="primary",
        key="data_add",
    ):
        uploads = merge_upload(state.uploaded_records(), kind=last["kind"], records=report.records)
        st.session_state[state.UPLOADED_KEY] = uploads
        auth.log_session_upload(
            file=report.file,
            kind=last["kind"],
            rows_read=report.rows_read,
            rows_loaded=report.rows_loaded,
            rows_quarantined=report.rows_quarantined,
        )
        last["added"] = True
        st.rerun()

st.divider()
st.subheader("My uploads (this session only)")
held = upload_summary(state.uploaded_records())
if held.empty:
    st.write("No uploaded records in this session.")
else:
    held["kind"] = held["kind"].map(lambda k: KIND_LABELS.get(k, k))
    st.dataframe(held, hide_index=True, width="stretch")
    st.caption(
        f"{int(held['rows'].sum()):,} uploaded records are shown with the store's records on "
        "every page. They disappear when this session ends."
    )
    if st.button("Clear my uploads", key="data_clear"):
        st.session_state.pop(state.UPLOADED_KEY, None)
        st.session_state.pop(REPORT_KEY, None)
        st.rerun()
