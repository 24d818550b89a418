"""Who reports page: concerns by agency, area and quarter; silent agencies; risk-level moves."""

from __future__ import annotations

import streamlit as st

from app.access import auth
from app.reports.strategic import build_report
from app.session import state
from app.session.filters import apply_filters
from app.views.escape import md_escape

config = state.config_from_env()
filters = state.current_filters()
role = auth.page_role("agencies")  # the one guard: refuses and stops

st.title("Who reports")

records = apply_filters(state.current_records(config), filters=filters)
area = state.load_study_area(config.area)
level = st.radio("Areas", ("ward", "lsoa"), horizontal=True, key="agc_level")
demo = state.synthetic_data(config)
report = build_report(
    "agencies",
    records,
    area=area,
    role=role,
    level=level,
    synthetic=demo,
    disclosure=state.disclosure_policy(role, config),
)
for note in report.notes:
    st.caption(md_escape(note))
for section in report.sections:
    st.subheader(md_escape(section.title))
    if section.note:
        st.caption(md_escape(section.note))
    if section.table.empty:
        st.write("None.")
    else:
        st.dataframe(section.table, hide_index=True, width="stretch")
