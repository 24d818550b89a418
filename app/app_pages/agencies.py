"""Who reports page: concerns by agency, area and quarter; silent agencies; risk-level moves."""

from __future__ import annotations

import os

import streamlit as st

from app import state
from app.filters import apply_filters
from app.policy import can
from app.reports.strategic import build_report

config = state.config_from_env()
filters = state.current_filters()
role = str(st.session_state.get("csmap_role") or os.environ.get("CSMAP_ROLE") or "analyst")

st.title("Who reports")
if not can(role, "aggregates"):
    st.error(f"The {role} role cannot open the who-reports view.")
    st.stop()

records = apply_filters(state.current_records(config), filters=filters)
area = state.load_study_area(config.area)
level = st.radio("Areas", ("ward", "lsoa"), horizontal=True, key="agc_level")
report = build_report("agencies", records, area=area, role=role, level=level)
for note in report.notes:
    st.caption(note)
for section in report.sections:
    st.subheader(section.title)
    if section.note:
        st.caption(section.note)
    if section.table.empty:
        st.write("None.")
    else:
        st.dataframe(section.table, hide_index=True, width="stretch")
