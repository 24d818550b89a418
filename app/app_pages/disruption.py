"""Disruption planner page: ranked hotspots, venues near them, the venue watchlist and exports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.disclosure.tables import has_hidden, hidden_legend
from app.access import auth
from app.reports.briefing import (
    briefing_for_role,
    briefing_html,
    build_briefing,
    write_briefing_pdf,
)
from app.reports.strategic import for_display
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


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """For the screen: a venue without a name says so; other missing values are blanks."""
    if "name" in table.columns:
        table = table.assign(name=table["name"].astype(object).where(table["name"].notna(), ""))
        table.loc[table["name"].astype(str).str.strip() == "", "name"] = "unnamed venue"
    return for_display(pd.DataFrame(table))


def _legend(table: pd.DataFrame) -> None:
    """Under a table showing a hidden count without a reason column: what the marker means."""
    if policy is not None and has_hidden(table, marker=policy.primary_marker):
        st.caption(md_escape(hidden_legend(policy)))


st.subheader("Hotspots, in priority order")
hot_table = briefing.hotspot_table()
st.dataframe(_shown(hot_table), hide_index=True, width="stretch")
_legend(hot_table)
st.subheader("Venues near each hotspot")
st.dataframe(_shown(briefing.nearby), hide_index=True, width="stretch")
_legend(briefing.nearby)
st.subheader(f"Venue watchlist (to {md_escape(briefing.as_of)})")
st.dataframe(_shown(briefing.watchlist), hide_index=True, width="stretch")
_legend(briefing.watchlist)

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
