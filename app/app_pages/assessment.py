"""Regulation 46 location assessment page: counts, venues, deprivation and caveats for a place."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import streamlit as st

from analysis.views.assessment import RADII, assess_location, parse_location
from app.access import auth
from app.reports.assessment_report import assessment_html, summary_table, write_assessment_pdf
from app.reports.briefing import strip_identifiers
from app.session import state
from app.views.assessment import assessed_location, controlled_assessment, json_safe
from app.views.escape import md_escape
from geo.errors import CsmapError
from geo.formats.venue_registers import all_venues
from geo.locate.geocode import load_lookups

config = state.config_from_env()
role = auth.page_role("assessment")  # the one guard: refuses and stops

st.title("Location assessment (Regulation 46)")

c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
text = c1.text_input(
    "Location: lat,lon · easting,northing · grid reference · postcode", key="ra_location"
)
radius = c2.selectbox("Radius (m)", RADII, index=RADII.index(500), key="ra_radius")
months = c3.number_input("Months", 1, 60, 12, key="ra_months")
as_of = c4.date_input("As of", value=dt.date.today(), key="ra_as_of")
if not text.strip():
    st.info("Enter a location to assess.")
    st.stop()
try:
    location = parse_location(text, lookups=load_lookups())
except CsmapError as exc:
    st.error(md_escape(exc))
    st.stop()

records = state.current_records(config)
area = state.load_study_area(config.area)
store = config.store_path if config.store_path is not None and config.store_path.exists() else None
venues = all_venues(area=config.area, store=store, include_restricted=False)
result, hot = assess_location(
    location,
    records=records,
    area=area,
    venues=venues,
    radius=float(radius),
    months=int(months),
    as_of=as_of,
    synthetic=state.synthetic_data(config),
)
disclosure = state.disclosure_policy(role, config)
if disclosure is not None:  # practitioners: every count through the disclosure policy
    result = controlled_assessment(result, policy=disclosure)
audited = {
    **assessed_location(result),
    "months": int(months),
    "as_of": str(as_of),
}
if st.session_state.get("ra_audited") != audited:  # once per location/parameters assessed
    auth.log_page_view("assessment", audited)  # the location assessed, as text
    st.session_state["ra_audited"] = audited


def _shown(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


m = st.columns(4)
m[0].metric("Concerns within the radius", _shown(result.concerns_total))
m[1].metric("Missing: found within", _shown(result.missing_found))
m[2].metric("Missing: last seen within", _shown(result.missing_last_seen))
m[3].metric("Hotspots intersecting", f"{len(result.hotspots):,}")
st.dataframe(summary_table(result), hide_index=True, width="stretch")
left, right = st.columns(2)
with left:
    st.subheader("Concerns by category")
    st.dataframe(
        [{"category": k, "concerns": v} for k, v in result.concerns_by_category.items()],
        hide_index=True,
    )
    st.subheader("Venues by type")
    st.dataframe(
        [{"venue_type": k, "n": v} for k, v in result.venues_by_type.items()], hide_index=True
    )
with right:
    st.subheader("Concerns by year")
    st.dataframe(
        [{"year": k, "concerns": v} for k, v in result.concerns_by_year.items()], hide_index=True
    )
    st.subheader("Hotspots intersecting the radius")
    st.dataframe(strip_identifiers(result.hotspots), hide_index=True)
st.subheader("Venues within the radius")
st.dataframe(strip_identifiers(result.venues), hide_index=True, width="stretch")
st.subheader("Data caveats")
for line in result.caveats:
    st.caption(md_escape(line))

auth.export_download(
    "Assessment (JSON)",
    json.dumps(json_safe(result.to_json()), indent=2, ensure_ascii=False),
    file_name="location_assessment.json",
    mime="application/json",
    what="location_assessment",
    rows=1,
    key="ra_json",
    filters=audited,
)
if st.button("Prepare report (HTML and PDF)", key="ra_pack"):
    html = assessment_html(result, area=area, hotspots=hot, venues=venues)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_assessment_pdf(
            result, Path(tmp) / "assessment.pdf", area=area, hotspots=hot, venues=venues
        ).read_bytes()
    for label, data, name, mime in (
        ("Report (HTML)", html, "location_assessment.html", "text/html"),
        ("Report (PDF)", pdf, "location_assessment.pdf", "application/pdf"),
    ):
        auth.export_download(
            label,
            data,
            file_name=name,
            mime=mime,
            what="location_assessment",
            rows=1,
            key=f"ra_{name}",
            confirmed=True,
            filters=audited,
        )
