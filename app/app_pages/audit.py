"""Audit page (admin): verify the store's audit log (chain, head, store anchor), read and filter it.

Only the entries of the app's store are shown (:func:`app.access.auth.audit_log`).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app.access import auth
from app.access.audit import ACTIONS
from app.access.audit_table import details_summary
from app.access.policy import ROLES
from app.views.escape import md_escape
from geo.errors import CsmapError

role = auth.page_role("audit")

st.title("Audit log")
log = auth.audit_log()
st.caption(
    f"Log file: {md_escape(log.path)} (append-only; each entry carries the previous entry's hash)."
)
if log.store is not None:
    st.caption(f"Entries of the store {md_escape(log.store)} only.")

try:
    result = log.verify()
except CsmapError as exc:
    st.error(f"The audit log cannot be checked: {md_escape(exc)}")
    st.stop()
if result.ok and result.anchor != "other log":
    st.success(f"Chain verified: {md_escape(result.message)}")
elif result.ok:
    st.warning(
        f"Chain intact, but NOT checked against the store's anchor: {md_escape(result.message)}. "
        "Truncation or a wiped log since the last anchor could not be detected."
    )
else:
    st.error(
        f"Chain BROKEN at entry {md_escape(result.first_bad_seq)}: {md_escape(result.message)}. "
        "The log has been edited, truncated or reordered; keep a copy and investigate."
    )

c1, c2, c3 = st.columns(3)
user = c1.text_input("User", key="aud_user").strip() or None
role_filter = c2.selectbox("Role", ["(all)", *ROLES], key="aud_role")
action = c3.selectbox("Action", ["(all)", *ACTIONS], key="aud_action")
c4, c5, c6 = st.columns(3)
since = c4.date_input("From", value=None, key="aud_since", format="YYYY-MM-DD")
until = c5.date_input("To", value=None, key="aud_until", format="YYYY-MM-DD")
text = c6.text_input("Search details (page, file, reason...)", key="aud_text").strip() or None

entries = log.read(
    user=user,
    role=None if role_filter == "(all)" else role_filter,
    action=None if action == "(all)" else action,
    since=dt.datetime.combine(since, dt.time.min) if isinstance(since, dt.date) else None,
    until=dt.datetime.combine(until, dt.time.max) if isinstance(until, dt.date) else None,
    text=text,
)
st.metric("Entries shown", f"{len(entries):,}")
if entries.empty:
    st.write("No entries match.")
else:
    shown = entries.sort_values("seq", ascending=False).assign(
        details=lambda f: f["details"].map(details_summary)
    )
    st.dataframe(
        shown.astype({"what": "string", "reason": "string"}).fillna({"what": "", "reason": ""}),
        hide_index=True,
        width="stretch",
        column_config={"hash": None, "rows": st.column_config.NumberColumn(format="%d")},
    )
