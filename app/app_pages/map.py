"""Map page: concerns, missing (last seen/found) and placements over LA/ward/LSOA boundaries."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.access import auth
from app.maps import map_data
from app.maps.cells import DEFAULT_CELL, MAX_CELLS, fit_cells
from app.maps.deck import build_count_deck
from app.maps.folium_map import MAX_POINTS, POINT_STYLES, build_count_map, build_record_map
from app.maps.folium_view import show_map
from app.session import state
from app.session.filters import apply_filters
from app.session.timing import span
from app.views.escape import md_escape
from geo.store.gpkg import points
from geo.vocab import POINT_RECORD_KINDS

auth.page_role("map")  # refuses (and stops) for roles without this page
config = state.config_from_env()
filters = state.current_filters()
area = state.load_study_area(config.area)

st.title("Map")
chosen = st.multiselect(
    "Point layers",
    options=list(POINT_RECORD_KINDS),
    default=list(POINT_RECORD_KINDS),
    format_func=lambda k: POINT_STYLES[k][0],
    key="map_layers",
)
# Counts first, from cached per-store indexes (fast at a million records); above MAX_POINTS the
# map is drawn from server-side cell counts (folium cells, or the opt-in WebGL view), never one
# marker per record.
cell = float(st.session_state.get("map_cell", DEFAULT_CELL))
with span("map: point summaries"):
    summaries = {
        kind: map_data.point_summary(
            config, point_kind=kind, filters=filters, cell=cell, uploads=state.uploaded_records()
        )
        for kind in chosen
    }
summaries = {k: v for k, v in summaries.items() if v.n_records}
if sum(s.n_points for s in summaries.values()) > MAX_POINTS:
    cols = st.columns(max(len(summaries), 1))
    for col, (pkind, summary) in zip(cols, summaries.items(), strict=False):
        col.metric(POINT_STYLES[pkind][0], f"{summary.n_points:,}")
    missing_loc = {k: s.n_records - s.n_points for k, s in summaries.items()}
    if any(missing_loc.values()):
        st.caption(
            md_escape(
                "Without a usable location (not drawn): "
                + ", ".join(f"{POINT_STYLES[k][0]} {v:,}" for k, v in missing_loc.items() if v)
            )
        )
    c1, c2 = st.columns([3, 1])
    c1.select_slider(
        "Smallest cell size (m)", options=[100.0, 200.0, 500.0, 1000.0], value=cell, key="map_cell"
    )
    webgl = c2.toggle("WebGL view", key="map_webgl", help="pydeck; needs a GPU to be fast")
    tables: dict[str, pd.DataFrame] = {k: s.cells for k, s in summaries.items()}
    tiles = bool(st.session_state.get(state.KEY_TILES, False))
    if webgl:
        fitted, drawn_cell = fit_cells(tables, cell=cell, max_cells=MAX_CELLS)
        deck = build_count_deck(fitted, area=area, cell=drawn_cell)
        st.pydeck_chart(deck, height=640, key="record_deck")
    else:
        with span("map: build count map"):
            built = build_count_map(tables, area=area, cell=cell, tiles=tiles, max_cells=MAX_CELLS)
        drawn_cell = float(built.cell or cell)
        with span("map: st_folium"):
            show_map(built, key="record_map")
    st.caption(
        f"More than {MAX_POINTS:,} points: drawn as counts per {drawn_cell:g} m grid cell "
        f"(aggregated on the server, at most {MAX_CELLS:,} cells; darker = more records), "
        "not as individual markers."
    )
    if tiles and not webgl:
        st.caption("Map tiles © OpenStreetMap contributors (loaded from tile.openstreetmap.org).")
else:
    records = apply_filters(state.current_records(config), filters=filters)
    point_sets: dict[str, gpd.GeoDataFrame] = {}
    for point_kind in chosen:
        frame = records.get(POINT_RECORD_KINDS[point_kind])
        if frame is not None and len(frame):
            point_sets[point_kind] = points(frame, point_kind)

    tiles = bool(st.session_state.get(state.KEY_TILES, False))
    built = build_record_map(point_sets, area=area, tiles=tiles, max_points=MAX_POINTS)

    cols = st.columns(max(len(built.counts), 1))
    for col, (kind, n) in zip(cols, built.counts.items(), strict=False):
        col.metric(POINT_STYLES[kind][0], f"{n:,}")
    unplaced = {
        kind: len(records[src]) - built.counts.get(kind, 0)
        for kind, src in POINT_RECORD_KINDS.items()
        if kind in built.counts and src in records
    }
    missing_loc = {k: v for k, v in unplaced.items() if v > 0}
    if missing_loc:
        st.caption(
            md_escape(
                "Without a usable location (not drawn): "
                + ", ".join(f"{POINT_STYLES[k][0]} {v:,}" for k, v in missing_loc.items())
            )
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
