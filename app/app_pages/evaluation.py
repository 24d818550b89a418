"""Accuracy page: rolling-origin backtest of hotspot methods on the user's data, PAI by coverage."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analysis.evaluation.accuracy import DEFAULT_METHOD, METHODS, backtest, hull_area, summarise
from app.access import auth
from app.explorer.disclosure import shown_count
from app.session import state
from app.session.filters import apply_filters
from app.views.escape import md_escape
from geo.errors import CsmapError
from geo.store.gpkg import points

#: session_state key of the last backtest run in this session: ``(parameters, per-fold table)``.
RESULT_KEY = "eval_result"
SOURCES = {"concerns": "Concerns (store and uploads)", "police_uk": "police.uk layer (store)"}

config = state.config_from_env()
filters = state.current_filters()
role = auth.page_role("evaluation")  # the one guard: refuses and stops

st.title("Hotspot accuracy")
st.caption(
    "Train each method on some months, flag the top cells up to a share of the area, and count "
    "how many of the next month's events fall there; slide one month and repeat. "
    "PAI = share of events caught / share of area flagged (1 = no better than chance); "
    "PEI = events caught / the most any choice of that area could catch; RRI = how well the "
    f"flagged cells keep their events. 'default' is csmap's default method ({DEFAULT_METHOD}, "
    "Gi* with automatic scale) as the map page shows it."
)

source = "concerns"
police_uk = None
if config.store_path is not None and config.store_path.exists():
    from geo.formats.policeuk import read_police_uk_layer
    from geo.store.gpkg import Store

    police_uk = read_police_uk_layer(Store(config.store_path))
    if len(police_uk):
        source = st.radio(
            "Events", list(SOURCES), format_func=SOURCES.__getitem__, horizontal=True, key="ev_src"
        )

if source == "police_uk" and police_uk is not None:
    types = sorted(police_uk["crime_type"].dropna().unique())
    chosen = st.multiselect("Crime types", types, key="ev_types", placeholder="All")
    events = police_uk[police_uk["crime_type"].isin(chosen)] if chosen else police_uk
    time_col = "month"
    area = hull_area(events) if len(events) >= 3 else None
    area_note = "study area: convex hull of the events (less the 0.5 % farthest) + 500 m"
else:
    records = apply_filters(state.current_records(config), filters=filters)
    concerns = records.get("concerns")
    events = points(concerns, "concerns") if concerns is not None and len(concerns) else None
    time_col = "reported_date"
    area = state.load_study_area(config.area).polygon
    area_note = f"study area: {config.area.title()} (sidebar filters apply)"

if events is None or len(events) == 0:
    st.write("No located events to evaluate.")
    st.stop()
# the count as the role may see it (perturbed and suppressed for disclosure roles, like the
# Overview's): an exact count beside the perturbed one would undo the protection
shown_events = shown_count(
    len(events), policy=state.disclosure_policy(role, config), records=events
)
st.caption(f"{md_escape(shown_events)} located events; {md_escape(area_note)}.")

left, right = st.columns(2)
with left:
    methods = st.multiselect("Methods", list(METHODS), default=list(METHODS), key="ev_methods")
    coverage_pct = st.multiselect(
        "Shares of area (%)",
        [0.5, 1.0, 2.0, 3.0, 5.0, 10.0],
        default=[1.0, 3.0, 5.0],
        key="ev_cov",
    )
with right:
    train_months = int(st.number_input("Training months", 1, 24, 3, key="ev_train"))
    test_months = int(st.number_input("Test months", 1, 12, 1, key="ev_test"))
    cell_size = float(st.number_input("Cell size (m)", 50, 2000, 250, step=50, key="ev_cell"))

params = (source, tuple(methods), tuple(sorted(coverage_pct)), train_months, test_months, cell_size)
if st.button("Run backtest", type="primary", key="ev_run"):
    if not methods or not coverage_pct:
        st.warning("Pick at least one method and one share of area.")
    elif area is None:
        st.warning("Too few events to outline a study area.")
    else:
        try:
            with st.spinner("Backtesting"):
                folds = backtest(
                    events,
                    methods=methods,
                    study_area=area,
                    cell_size=cell_size,
                    train_months=train_months,
                    test_months=test_months,
                    coverage=[c / 100 for c in sorted(coverage_pct)],
                    time_col=time_col,
                )
            st.session_state[RESULT_KEY] = (params, folds)
        except CsmapError as exc:
            st.session_state.pop(RESULT_KEY, None)
            st.error(md_escape(str(exc).splitlines()[0]))

stored = st.session_state.get(RESULT_KEY)
if stored is None:
    st.info("Choose the methods and windows, then run the backtest.")
    st.stop()
ran_with, folds = stored
if ran_with != params:
    st.caption("The settings changed since this run: run the backtest again to update.")

summary = summarise(folds)
st.subheader(f"Mean over {folds['test_start'].nunique():,} test period(s)")
table = summary.assign(coverage=summary["coverage"] * 100).rename(
    columns={"coverage": "area %", "hit_rate": "hit rate"}
)
st.dataframe(table.round(3), hide_index=True, width="stretch")

plot = summary.assign(coverage=summary["coverage"] * 100)
chart = (
    alt.Chart(plot)
    .mark_line(point=True)
    .encode(
        x=alt.X("coverage:Q", title="share of area flagged (%)"),
        y=alt.Y("pai:Q", title="PAI (mean over test periods)"),
        color=alt.Color("method:N", title="method"),
        tooltip=["method", "coverage", alt.Tooltip("pai:Q", format=".2f"), "folds"],
    )
    .properties(height=360, title="PAI by coverage")
)
st.altair_chart(chart, width="stretch")
with st.expander("Every fold"):
    st.dataframe(pd.DataFrame(folds), hide_index=True, width="stretch")
