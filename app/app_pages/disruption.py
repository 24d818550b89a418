"""Disruption planner page: ranked hotspots, venues near them, the venue watchlist and exports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from app.access import auth
from app.reports.briefing import (
    briefing_for_role,
    briefing_html,
    build_briefing,
    write_briefing_pdf,
)
from app.session import state
from app.views.escape import md_escape
from geo.formats.venue_registers import all_venues
from geo.store.export import to_csv_bytes

METHODS = ("gi", "kde", "dual-kde", "dbscan", "hdbscan", "repeat")

config = state.config_from_env()
filters = state.current_filters()
role = auth.page_role("disruption")  # the one guard: refuses and stops

st.title("Disruption planner")

records = state.current_records(config)
concerns = records.get("concerns")
area = state.load_study_area(config.area)
c1, c2, c3 = st.columns(3)
method = c1.selectbox("Hotspot method", METHODS, index=0, key="dis_method")
radius = c2.number_input("Venues within (m) of a hotspot", 0, 2000, 250, step=50, key="dis_r")
link = c3.number_input("Concern-venue link distance (m)", 0, 500, 50, step=10, key="dis_link")
st.caption(
    "Period: the sidebar period. Concerns are linked to a venue within the link distance when "
    "their recorded location type agrees with the venue type (or is not recorded)."
)
if concerns is None or len(concerns) == 0 or "reported_date" not in concerns.columns:
    st.info("No concerns in the store.")
    st.stop()

store = config.store_path if config.store_path is not None and config.store_path.exists() else None
venues = all_venues(area=config.area, store=store, include_restricted=False)
synthetic = state.synthetic_data(config)
policy = state.disclosure_policy(role, config)  # None for analysts
briefing = build_briefing(
    concerns,
    area=area,
    venues=venues,
    start=filters.start,
    end=filters.end,
    method=str(method),
    radius=float(radius),
    link_radius=float(link),
    synthetic=synthetic,
    disclosure=policy,
)
# partners: min distinct children per hotspot, counts suppressed (page tables and every export)
briefing = briefing_for_role(
    briefing,
    role=role,
    events=concerns,
    disclosure=policy,
)
for line in briefing.caveats[:1]:
    if line.startswith("Disclosure control"):
        st.caption(md_escape(line))

m1, m2, m3 = st.columns(3)
m1.metric("Hotspots", f"{len(briefing.hotspots):,}")
m2.metric(
    "Venues near hotspots",
    f"{briefing.nearby['venue_id'].nunique() if len(briefing.nearby) else 0:,}",
)
m3.metric("Watchlist venues", f"{len(briefing.watchlist):,}")

st.subheader("Hotspots, in priority order")
st.dataframe(briefing.hotspot_table(), hide_index=True, width="stretch")
st.subheader("Venues near each hotspot")
st.dataframe(briefing.nearby, hide_index=True, width="stretch")
st.subheader(f"Venue watchlist (to {md_escape(briefing.as_of)})")
st.dataframe(briefing.watchlist, hide_index=True, width="stretch")

st.subheader("Exports")
auth.export_download(
    "Watchlist (CSV)",
    to_csv_bytes(briefing.watchlist),
    file_name="venue_watchlist.csv",
    mime="text/csv",
    what="venues",
    rows=len(briefing.watchlist),
    key="dis_csv",
    filters={"method": str(method), "radius": float(radius), "link": float(link)},
)
if st.button("Prepare briefing pack (HTML and PDF)", key="dis_pack"):
    html = briefing_html(briefing)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_briefing_pdf(briefing, Path(tmp) / "briefing.pdf").read_bytes()
    for label, data, name, mime in (
        ("Briefing pack (HTML)", html, "briefing_pack.html", "text/html"),
        ("Briefing pack (PDF)", pdf, "briefing_pack.pdf", "application/pdf"),
    ):
        auth.export_download(
            label,
            data,
            file_name=name,
            mime=mime,
            what="venues",
            rows=len(briefing.watchlist),
            key=f"dis_{name}",
            confirmed=True,
        )
