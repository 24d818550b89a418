"""Map page: concerns, missing (last seen/found) and placements over LA/ward/LSOA boundaries."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from app import auth, state
from app.filters import apply_filters
from app.maps import MAX_POINTS, POINT_STYLES, build_record_map
from geo.store import points
from geo.vocab import PointKind

#: Which stored kind each point kind comes from.
POINT_SOURCES: dict[PointKind, str] = {
    "concerns": "concerns",
    "missing_last_seen": "missing_episodes",
    "missing_found": "missing_episodes",
    "placements": "placements",
}

auth.page_role("map")  # refuses (and stops) for roles without this page
config = state.config_from_env()
filters = state.current_filters()
records = apply_filters(state.current_records(config), filters=filters)
area = state.load_study_area(config.area)

st.title("Map")
chosen = st.multiselect(
    "Point layers",
    options=list(POINT_SOURCES),
    default=list(POINT_SOURCES),
    format_func=lambda k: POINT_STYLES[k][0],
    key="map_layers",
)
point_sets: dict[str, gpd.GeoDataFrame] = {}
for point_kind in chosen:
    frame = records.get(POINT_SOURCES[point_kind])
    if frame is not None and len(frame):
        point_sets[point_kind] = points(frame, point_kind)

tiles = bool(st.session_state.get(state.KEY_TILES, False))
built = build_record_map(point_sets, area=area, tiles=tiles, max_points=MAX_POINTS)

cols = st.columns(max(len(built.counts), 1))
for col, (kind, n) in zip(cols, built.counts.items(), strict=False):
    col.metric(POINT_STYLES[kind][0], f"{n:,}")
unplaced = {
    kind: len(records[src]) - built.counts.get(kind, 0)
    for kind, src in POINT_SOURCES.items()
    if kind in built.counts and src in records
}
if built.mode == "heatmap":
    st.caption(
        f"More than {MAX_POINTS:,} points: layers are drawn as heat maps (aggregated), "
        "not as individual markers."
    )
missing_loc = {k: v for k, v in unplaced.items() if v > 0}
if missing_loc:
    st.caption(
        "Without a usable location (not drawn): "
        + ", ".join(f"{POINT_STYLES[k][0]} {v:,}" for k, v in missing_loc.items())
    )

st_folium(
    built.fmap,
    height=640,
    use_container_width=True,
    returned_objects=[],
    key="record_map",
)
if tiles:
    st.caption("Map tiles © OpenStreetMap contributors (loaded from tile.openstreetmap.org).")
