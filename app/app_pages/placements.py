"""Placements page: children placed into the area by other councils (counts, rates, context)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app.access import auth
from app.reports.strategic import build_report, for_display
from app.session import state
from app.session.filters import apply_filters
from app.views.escape import md_escape
from geo.locate.geocode import Lookups, load_lookups

config = state.config_from_env()
filters = state.current_filters()
role = auth.page_role("placements")  # the one guard: refuses and stops

st.title("Placements into the area")

records = apply_filters(state.current_records(config), filters=filters)
area = state.load_study_area(config.area)
level = st.radio("Areas", ("ward", "lsoa"), horizontal=True, key="plc_level")
lookups: Lookups | None
try:
    lookups = load_lookups()
except ValueError as exc:
    st.warning(f"Postcode lookup not loaded: {md_escape(exc)}")
    lookups = None
demo = state.synthetic_data(config)
report = build_report(
    "placements",
    records,
    area=area,
    role=role,
    level=level,
    lookups=lookups,
    synthetic=demo,
    disclosure=state.disclosure_policy(role, config),
)
for note in report.notes:
    st.caption(md_escape(note))
if not report.sections:
    st.write("No placements to show.")
    st.stop()

by_area = report.section("by_area").table
code = by_area.columns[0]
shapes = area.wards if level == "ward" else area.lsoas
key = "ward_cd" if level == "ward" else "lsoa21cd"
rates = by_area[[code, "placements", "rate_per_10k"]].rename(columns={code: key})
choro = shapes[[key, "geometry"]].merge(rates, on=key, how="left").to_crs(4326)
choro["rate_per_10k"] = pd.to_numeric(choro["rate_per_10k"], errors="coerce")
st.subheader("Rate per 10,000 children aged 0-15")
chart = (
    alt.Chart(alt.Data(values=choro.__geo_interface__["features"]))
    .mark_geoshape(stroke="white", strokeWidth=0.5)
    .encode(
        color=alt.Color(
            "properties.rate_per_10k:Q", title="per 10,000", scale=alt.Scale(scheme="oranges")
        ),
        tooltip=[
            alt.Tooltip(f"properties.{key}:N", title="area"),
            alt.Tooltip("properties.placements:N", title="placements"),
            alt.Tooltip("properties.rate_per_10k:Q", title="rate", format=".1f"),
        ],
    )
    .project(type="identity", reflectY=True)
    .properties(height=420)
)
st.altair_chart(chart, width="stretch")
st.caption("Suppressed areas (shown as 'c' in the table) have no colour.")

for section in report.sections:
    st.subheader(md_escape(section.title))
    if section.note:
        st.caption(md_escape(section.note))
    st.dataframe(for_display(section.table), hide_index=True, width="stretch")
