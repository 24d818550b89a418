"""Missing page: found-location hotspots, repeat missing, duration, distance, return interviews."""

from __future__ import annotations

import altair as alt
import streamlit as st

from analysis.views.missing import found_hotspots
from app.access import auth
from app.access.policy import DISCLOSURE_ROLES, apply_export_policy, can
from app.explorer.disclosure import hotspot_keys
from app.reports.strategic import MIN_HOTSPOT_EVENTS, build_report, for_display
from app.session import state
from app.session.filters import apply_filters
from app.views.escape import md_escape
from geo.store.gpkg import points

config = state.config_from_env()
filters = state.current_filters()
role = auth.page_role("missing")  # the one guard: refuses and stops

st.title("Missing episodes")

records = apply_filters(state.current_records(config), filters=filters)
area = state.load_study_area(config.area)
level = st.radio("Areas", ("ward", "lsoa"), horizontal=True, key="mis_level")
demo = state.synthetic_data(config)
policy = state.disclosure_policy(role, config)  # None for record-level roles
report = build_report(
    "missing",
    records,
    area=area,
    role=role,
    level=level,
    synthetic=demo,
    disclosure=policy,
)
for note in report.notes:
    st.caption(md_escape(note))

episodes = records.get("missing_episodes")
if can(role, "hotspot_polygons") and episodes is not None and len(episodes):
    found = points(episodes, "missing_found")
    st.subheader("Found-location hotspots (Gi*, FDR)")
    if len(found) < MIN_HOTSPOT_EVENTS:
        st.write(f"Only {len(found)} episodes have a found location: too few for hotspots.")
    else:
        result = found_hotspots(episodes, area=area, method="gi")
        if role in DISCLOSURE_ROLES:  # only cells with min_children distinct children
            keys = None if policy is None else hotspot_keys(result, events=found, policy=policy)
            result = apply_export_policy(
                result, role=role, kind="hotspots", events=found, disclosure=policy, keys=keys
            )
            st.caption(
                "Disclosure control: cells with fewer than the minimum number of distinct "
                "children are not shown."
            )
        hot = result[result["label"] == "hot"]
        st.metric("Hot cells", f"{len(hot):,}")
        outline = area.wards[["ward_nm", "geometry"]].to_crs(4326)
        base = (
            alt.Chart(alt.Data(values=outline.__geo_interface__["features"]))
            .mark_geoshape(fill="#f4f4f4", stroke="#999", strokeWidth=0.5)
            .project(type="identity", reflectY=True)
        )
        layers = base
        if len(hot):
            shapes = hot[["n_events", "geometry"]].to_crs(4326)
            layers = base + (
                alt.Chart(alt.Data(values=shapes.__geo_interface__["features"]))
                .mark_geoshape(fill="#d7301f", stroke="#d7301f")
                .project(type="identity", reflectY=True)
            )
        st.altair_chart(layers.properties(height=420), width="stretch")

for section in report.sections:
    st.subheader(md_escape(section.title))
    if section.note:
        st.caption(md_escape(section.note))
    st.dataframe(for_display(section.table), hide_index=True, width="stretch")
