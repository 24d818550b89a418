"""Overview page: counts by kind, monthly trend by category, top wards, data quality."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app.access import auth
from app.access.policy import can
from app.session import state
from app.session.filters import DATE_COLUMNS, KIND_LABELS, apply_filters
from app.views.escape import md_escape
from app.views.summaries import (
    controlled_kind_counts,
    controlled_missing_shares,
    controlled_monthly,
    controlled_precision_mix,
    controlled_top_wards,
    missing_shares,
    monthly_by_category,
    precision_mix,
    quarantine_reasons,
    top_wards,
)

role = auth.page_role("overview")  # refuses (and stops) for roles without this page
#: The role's disclosure policy (board, partner), or None for record-level roles.
config = state.config_from_env()
policy = state.disclosure_policy(role, config)  # the store's cell key secret
filters = state.current_filters()
records = apply_filters(state.current_records(config), filters=filters)

st.title("Overview")
st.caption(
    "Counts for the period and filters chosen in the sidebar. "
    f"Dates: {md_escape(', '.join(f'{KIND_LABELS[k]} by {c}' for k, c in DATE_COLUMNS.items()))}."
)

if policy is not None:
    st.caption(
        f"Disclosure control: counts below {policy.threshold:d}, cells with fewer than "
        f"{policy.min_children:d} distinct children, and counts that would reveal one by "
        f"subtraction are shown as '{md_escape(policy.primary_marker)}' (the hidden_because "
        f"column says why). Counts are slightly perturbed (by at most {policy.max_noise:d}, the "
        "same way every time) so that comparing two selections cannot reveal a small number; "
        "see docs/disclosure.md."
    )
shown = (
    controlled_kind_counts(records, policy=policy)
    if policy is not None
    else {kind: f"{len(frame):,}" for kind, frame in records.items()}
)
cols = st.columns(max(len(records), 1))
for col, kind in zip(cols, records, strict=False):
    col.metric(KIND_LABELS.get(kind, kind), shown[kind])

concerns = records.get("concerns")
left, right = st.columns([3, 2])
with left:
    st.subheader("Concerns per month by category")
    if concerns is None:
        trend = pd.DataFrame()
    elif policy is not None:
        trend = controlled_monthly(concerns, policy=policy)  # suppressed months: gaps
    else:
        trend = monthly_by_category(concerns)
    if trend.empty:
        st.write("No concerns in the selection.")
    else:
        chart = (
            alt.Chart(trend)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title="Month"),
                y=alt.Y("count:Q", title="Concerns"),
                color=alt.Color("category:N", title="Category"),
                tooltip=["month:T", "category:N", "count:Q"],
            )
            .properties(height=320)
        )
        st.altair_chart(chart, use_container_width=True)
with right:
    st.subheader("Top wards (concerns)")
    if concerns is None:
        wards = pd.DataFrame()
    elif policy is not None:
        wards = controlled_top_wards(concerns, policy=policy, n=10)
    else:
        wards = top_wards(concerns, n=10)
    if wards.empty:
        st.write("No concerns with a ward in the selection.")
    else:
        st.dataframe(wards, hide_index=True, use_container_width=True)

st.subheader("Data quality")
st.caption(
    "Partnership records are often incomplete: these shares say how far the maps can be trusted."
)
q1, q2 = st.columns(2)
with q1:
    st.markdown("**Share of rows missing a value**")
    shares = (
        controlled_missing_shares(records, policy=policy)
        if policy is not None
        else missing_shares(records)
    )
    st.dataframe(shares, hide_index=True, use_container_width=True)
with q2:
    st.markdown("**Location precision**")
    mix = (
        controlled_precision_mix(records, policy=policy)
        if policy is not None
        else precision_mix(records)
    )
    st.dataframe(mix, hide_index=True, use_container_width=True)

if can(role, "record_points"):  # the ingest log (server paths) and quarantine reasons
    st.markdown("**Quarantined rows** (not loaded; each with its reasons)")
    if config.store_path is not None and config.store_path.exists():
        log = state.load_ingest_log(str(config.store_path), state.store_mtime(config.store_path))
        reasons = quarantine_reasons(log, base=Path(config.store_path).parent)
        if log.empty:
            st.write("The store has no ingest log yet.")
        else:
            st.dataframe(log, hide_index=True, use_container_width=True)
        if reasons.empty:
            st.write("No quarantined rows.")
        else:
            st.dataframe(reasons, hide_index=True, use_container_width=True)
    else:
        st.write("No store loaded.")
