"""Hotspot explorer: filters, method and parameters (automatic values shown), layers, a month
slider, hotspot details, two periods side by side, and exports.

Only :func:`analysis.hotspots.registry.run` is cached (emerging hot spots included), through
:func:`app.explorer.cache.run_hotspots`: keyed on every column of the filtered points, in the
shared cache for store data and in the session's own cache when the session has uploads.

Roles without record-level access (partner) get only the grid/density methods (no cluster or
repeat-location methods, which draw exact places), only the record kinds the policy allows, and
every result passes :func:`app.access.policy.apply_export_policy` (``kind="hotspots"``: min distinct
children, small counts suppressed) before it is drawn, tabled or exported; detail panels show no
counts 1-4 and no date spans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import hidden_legend
from analysis.hotspots import registry as hotspots
from app.access import auth
from app.access.policy import can, export_rules
from app.explorer.cache import result_key, run_hotspots
from app.explorer.detail import (
    ALL_MONTHS,
    cell_changes,
    events_in,
    hotspot_at,
    in_month,
    month_options,
    monthly_counts,
    ranked_hotspots,
)
from app.explorer.disclosure import (
    GRID_METHODS,
    controlled_breakdown,
    controlled_result,
    controlled_trend,
    shown_count,
)
from app.explorer.exports import hotspot_export, standalone_map_html, trend_png
from app.explorer.params import (
    ADJUSTED_METHODS,
    METHOD_NOTES,
    automatic_params,
    build_params,
    fixed_scale,
    specs,
)
from app.maps.cells import DEFAULT_CELL, MAX_CELLS, fit_cells, points_cell_counts
from app.maps.deck import build_count_deck
from app.maps.folium_map import MAX_POINTS, POINT_STYLES
from app.maps.layers import METHOD_LAYERS, build_explorer_map, hotspot_deck_layers
from app.reports.strategic import for_display
from app.session import state
from app.session.filters import DATE_COLUMNS, filter_kind
from app.views.escape import md_escape
from geo.errors import CsmapError
from geo.places.boundaries import StudyArea
from geo.store.gpkg import points as point_set
from geo.vocab import LOCATION_TYPES, POINT_RECORD_KINDS


def run_method(
    pts: gpd.GeoDataFrame, *, method: str, area: StudyArea, key: str, params: dict[str, Any]
) -> gpd.GeoDataFrame | None:
    """Run (cached) and report a user-facing error instead of raising.

    For roles without record-level access the result passes the export policy here, before
    anything draws or tables it.
    """
    try:
        res = run_hotspots(
            pts,
            method=method,
            area=area,
            key=key,
            params=params,
            session_only=bool(state.uploaded_records()),
        )
        return (
            res if record_access else controlled_result(res, role=role, events=pts, policy=policy)
        )
    except (CsmapError, ValueError) as exc:  # fails closed: nothing shown
        st.warning(f"{md_escape(METHOD_LAYERS.get(method, method))}: {md_escape(exc)}")
        return None


config = state.config_from_env()
base_filters = state.current_filters()
role = auth.page_role("explorer")  # the one guard: refuses and stops
record_access = can(role, "record_points")
policy: DisclosurePolicy = state.disclosure_policy(role, config) or DisclosurePolicy()
#: None for record-level roles (nothing suppressed), else the role's disclosure policy.
shown_policy: DisclosurePolicy | None = None if record_access else policy

st.title("Hotspot explorer")
records = state.current_records(config)
area = state.load_study_area(config.area)

# ---------------------------------------------------------------- filters
with st.expander("Filters", expanded=True):
    st.caption("Period, category, risk level and reporting agency: the sidebar.")
    f1, f2, f3, f4 = st.columns(4)
    allowed_kinds = export_rules(role).kinds
    point_kind = f1.selectbox(
        "Record kind",
        [
            k
            for k, source_kind in POINT_RECORD_KINDS.items()
            if source_kind in allowed_kinds
            and (source_kind != "placements" or can(role, "childrens_home_addresses"))
        ],
        format_func=lambda k: POINT_STYLES[k][0],
        key="exp_kind",
    )
    loc_types = f2.multiselect("Location type", LOCATION_TYPES, key="exp_loc", placeholder="All")
    age_band = f3.slider("Age band", 0, 25, (0, 25), key="exp_age")
    looked_after = f4.radio("Looked after", ("any", "yes", "no"), horizontal=True, key="exp_la")
filters = dataclasses.replace(
    base_filters,
    location_types=tuple(loc_types) or None,
    age_band=None if tuple(age_band) == (0, 25) else (int(age_band[0]), int(age_band[1])),
    looked_after=None if looked_after == "any" else looked_after == "yes",
)
source = POINT_RECORD_KINDS[point_kind]
date_col = DATE_COLUMNS[source]
frame = filter_kind(records[source], kind=source, filters=filters)
all_pts = point_set(frame, point_kind) if len(frame) else frame
unlocated = frame.loc[~frame.index.isin(all_pts.index)]  # filtered records without a point

# ---------------------------------------------------------------- method and parameters
available = [
    m
    for m in hotspots.available_methods()
    if m in METHOD_NOTES and (record_access or m in GRID_METHODS)
]
m1, m2 = st.columns([1, 3])
method = str(m1.selectbox("Method", available, key="exp_method"))
m2.caption(METHOD_NOTES[method])
values: dict[str, Any] = {}
overridden: dict[str, bool] = {}
param_cols = st.columns(len(specs(method)))
auto_slots: dict[str, Any] = {}
for col, spec in zip(param_cols, specs(method), strict=True):
    wkey = f"exp_{method}_{spec.name}"
    if spec.auto:
        overridden[spec.name] = col.checkbox(
            f"Override {md_escape(spec.label.lower())}", key=wkey + "_ovr"
        )
        auto_slots[spec.name] = col.empty()
        values[spec.name] = col.number_input(
            md_escape(spec.label),
            min_value=spec.minimum,
            max_value=spec.maximum,
            value=float(spec.default),
            step=spec.step,
            disabled=not overridden[spec.name],
            key=wkey,
        )
    elif spec.kind == "choice":
        values[spec.name] = col.selectbox(
            md_escape(spec.label), spec.choices, key=wkey, help=spec.help
        )
    elif spec.kind == "bool":
        values[spec.name] = col.checkbox(md_escape(spec.label), value=bool(spec.default), key=wkey)
    elif spec.kind == "int":
        values[spec.name] = col.number_input(
            md_escape(spec.label),
            min_value=int(spec.minimum or 1),
            value=int(spec.default),
            step=1,
            key=wkey,
        )
    else:
        values[spec.name] = col.number_input(
            md_escape(spec.label),
            min_value=spec.minimum,
            max_value=spec.maximum,
            value=float(spec.default),
            step=spec.step,
            format="%.3f" if float(spec.default) < 1 else "%.1f",
            key=wkey,
        )
params = build_params(method, values, overridden=overridden)

# ---------------------------------------------------------------- month slider and layers
months = month_options(all_pts, date_column=date_col)
month = str(st.select_slider("Month shown", options=months, value=ALL_MONTHS, key="exp_month"))
month_hot = st.checkbox("Run the hotspots on the month shown only", key="exp_month_hot")
month_pts = in_month(all_pts, date_column=date_col, month=month)
pts = month_pts if month_hot else all_pts
layer_options = ["Records", "Emerging hot spots", "Venues", "LSOA boundaries"]
layer_options += [METHOD_LAYERS[m] for m in available if m != method and m != "scan"]
chosen_layers = st.multiselect(
    "Layers (besides the method's hotspots and the LA/ward boundaries)",
    layer_options,
    default=["Records"] if record_access else [],
    key="exp_layers",
)

key = result_key(pts, date_column=date_col)
n_points = len(pts)
shown_points = shown_count(n_points, policy=shown_policy, records=pts)
st.caption(
    f"{md_escape(shown_points)} {md_escape(POINT_STYLES[point_kind][0].lower())} "
    "with a location after filters"
    + (f" in {md_escape(month)}" if month_hot and month != ALL_MONTHS else "")
    + f" ({shown_count(len(unlocated), policy=shown_policy, records=unlocated)} filtered records "
    "have no usable location)."
    + (
        ""
        if record_access
        else f" Disclosure control: hotspots with fewer than {policy.min_children:d} distinct "
        f"children are not shown; counts below {policy.threshold:d} are shown as "
        f"'{md_escape(policy.primary_marker)}'."
    )
)
result: gpd.GeoDataFrame | None = None
auto_result: gpd.GeoDataFrame | None = None
extra_results: list[tuple[str, gpd.GeoDataFrame]] = []
emerging: gpd.GeoDataFrame | None = None
with st.status("Running the hotspot analysis", expanded=False) as status:
    if n_points == 0:
        st.write("No events after filters.")
    else:
        auto_result = run_method(
            pts, method=method, area=area, key=key, params=automatic_params(method)
        )
        result = (
            auto_result
            if params == automatic_params(method)
            else run_method(pts, method=method, area=area, key=key, params=params)
        )
        for m in available:
            if METHOD_LAYERS[m] in chosen_layers:
                extra = run_method(pts, method=m, area=area, key=key, params=automatic_params(m))
                if extra is not None:
                    extra_results.append((m, extra))
        if "Emerging hot spots" in chosen_layers and date_col in pts.columns:
            used_scale = (
                fixed_scale("gi", result.attrs.get("csmap_params", {}))
                if (method == "gi" and result is not None)
                else {}
            )
            emerging = run_method(
                pts,
                method="emerging",
                area=area,
                key=key,
                params={"time_column": date_col, **used_scale},
            )
    status.update(label="Hotspot analysis done", state="complete")

used: dict[str, Any] = dict(result.attrs.get("csmap_params", {})) if result is not None else {}
auto_used: dict[str, Any] = (
    dict(auto_result.attrs.get("csmap_params", {})) if auto_result is not None else {}
)
for name, slot in auto_slots.items():
    value = auto_used.get(name)
    slot.caption(f"automatic: {value:,.0f} m" if isinstance(value, int | float) else "automatic")

# ---------------------------------------------------------------- result summary
c1, c2, c3, c4 = st.columns(4)
c1.metric("Events analysed", shown_points)
if result is not None:
    adjustment = str(used.get("adjustment", "count"))
    if adjustment == "population-adjusted" or method in ADJUSTED_METHODS:
        st.info(
            "**Population-adjusted result**: places with more events than the resident children "
            "and young people (Census 2021, ages 0-24) predict."
        )
    else:
        st.info("**Count result**: places with many events, whatever their population.")
    labels = result["label"].value_counts()
    c2.metric("Hot", f"{int(labels.get('hot', 0)):,}")
    c3.metric("Cold", f"{int(labels.get('cold', 0)):,}")
    c4.metric("Clusters", f"{int(labels.get('cluster', 0)):,}")
    with st.expander("Parameters used"):
        shown = {s.name: used.get(s.name) for s in specs(method)}
        table = pd.DataFrame(
            {
                "parameter": list(shown),
                "used": [str(v) for v in shown.values()],
                "automatic": [str(auto_used.get(n, "")) for n in shown],
                "chosen automatically": [n in (used.get("automatic") or []) for n in shown],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
        st.json(used, expanded=False)

# ---------------------------------------------------------------- map
draw_pts: dict[str, gpd.GeoDataFrame] = (
    {point_kind: month_pts} if record_access and "Records" in chosen_layers else {}
)
results = ([(method, result)] if result is not None else []) + extra_results
venues = None
if "Venues" in chosen_layers:
    from geo.places.venues import load_bundled_venues

    venues = load_bundled_venues(config.area)
tiles = bool(st.session_state.get(state.KEY_TILES, False))
webgl = False
if len(month_pts) > MAX_POINTS:  # records aggregated per grid cell on the server either way
    webgl = st.toggle("WebGL view", key="exp_webgl", help="pydeck; needs a GPU to be fast")
with st.spinner("Drawing the map"):
    built = build_explorer_map(
        draw_pts,
        area=area,
        results=results,
        emerging=emerging,
        venues=venues,
        tiles=tiles,
        show_lsoas="LSOA boundaries" in chosen_layers,
    )
clicked: dict[str, Any] | None = None
if webgl:
    cells, drawn_cell = fit_cells(
        {k: points_cell_counts(p, cell=DEFAULT_CELL) for k, p in draw_pts.items()},
        cell=DEFAULT_CELL,
        max_cells=MAX_CELLS,
    )
    st.pydeck_chart(
        build_count_deck(
            cells, area=area, cell=drawn_cell, extra_layers=hotspot_deck_layers(results)
        )
    )
else:
    if built.mode == "cells":
        st.caption(
            f"More than {MAX_POINTS:,} records: drawn as counts per {built.cell:g} m grid cell "
            f"(aggregated on the server, {built.n_cells:,} cells)."
        )
    out = st_folium(
        built.fmap,
        height=620,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
        key="explorer_map",
    )
    clicked = (out or {}).get("last_object_clicked")
if tiles:
    st.caption("Map tiles © OpenStreetMap contributors (loaded from tile.openstreetmap.org).")

# ---------------------------------------------------------------- hotspot detail
selected: Any = None
if result is not None:
    ranked = ranked_hotspots(result)
    st.subheader("Hotspot details")
    if len(ranked) == 0:
        st.write("No hotspots in this result.")
    else:
        if clicked and "lat" in clicked and "lng" in clicked:
            hit = hotspot_at(result, lon=float(clicked["lng"]), lat=float(clicked["lat"]))
            if hit is not None and st.session_state.get("exp_last_click") != clicked:
                st.session_state["exp_last_click"] = clicked
                st.session_state["exp_hotspot"] = hit
        if st.session_state.get("exp_hotspot") not in ranked.index:
            st.session_state.pop("exp_hotspot", None)
        selected = st.selectbox(
            "Hotspot (ranked by events; or click one on the map)",
            list(ranked.index),
            format_func=lambda i: (
                f"#{ranked.loc[i, 'hotspot_id']} · {ranked.loc[i, 'label']} · "
                + (
                    f"{ranked.loc[i, 'n_events']:,.0f} events"
                    if pd.notna(ranked.loc[i, "n_events"])
                    else f"{policy.primary_marker} events"
                )
            ),
            key="exp_hotspot",
        )
        events = events_in(pts, result.geometry.loc[selected])
        d1, d2, d3 = st.columns(3)
        d1.metric(
            "Events in this hotspot", shown_count(len(events), policy=shown_policy, records=events)
        )
        if "child_ref" in events.columns and can(role, "child_references"):
            d2.metric("Distinct children", f"{events['child_ref'].nunique():,}")
        if record_access and date_col in events.columns and len(events):
            dates = pd.to_datetime(events[date_col])  # exact dates: record-level roles only
            d3.metric("Date span", f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}")
        trend = controlled_trend(
            monthly_counts(events, date_column=date_col),
            policy=shown_policy,
            events=events,
            date_column=date_col,
        )
        t1, t2, t3 = st.columns([3, 2, 2])
        if not record_access:
            t1.caption(
                f"Months with a small count (under {policy.threshold:d}, before or after the "
                f"adjustment of at most {policy.max_noise:d}) are not shown."
            )
        if len(trend):
            t1.altair_chart(
                alt.Chart(trend)
                .mark_line(point=True)
                .encode(
                    x=alt.X("month:T", title="Month"),
                    y=alt.Y("events:Q", title="Events"),
                    tooltip=["month:T", "events:Q"],
                )
                .properties(height=240, title="Events per month"),
                width="stretch",
            )
        t2.dataframe(
            controlled_breakdown(events, "category", policy=shown_policy),
            hide_index=True,
            width="stretch",
        )
        t3.dataframe(
            controlled_breakdown(events, "reporting_agency", policy=shown_policy),
            hide_index=True,
            width="stretch",
        )
        # the id is a column already (no index), and columns the role's result never fills
        # (expected, rate_ratio for partner) are left out rather than shown as "None"
        listed = ranked.head(50).dropna(axis=1, how="all")
        if shown_policy is not None and "n_events" in listed.columns:
            events_text = listed["n_events"].map(
                lambda v: shown_policy.primary_marker if pd.isna(v) else f"{v:,.0f}"
            )
            listed = listed.assign(n_events=events_text)
        st.dataframe(for_display(listed), hide_index=True, width="stretch")
        if shown_policy is not None:
            st.caption(md_escape(hidden_legend(shown_policy)))

# ---------------------------------------------------------------- two periods
with st.expander("Compare two periods (before / after an intervention)"):
    dates = pd.to_datetime(all_pts[date_col]) if date_col in all_pts.columns else pd.Series()
    if result is None or len(dates.dropna()) == 0:
        st.write("Run a method on dated events first.")
    else:
        lo, hi = dates.min().date(), dates.max().date()
        mid = lo + (hi - lo) / 2
        p1, p2 = st.columns(2)
        before = p1.date_input("Before", (lo, mid), min_value=lo, max_value=hi, key="exp_before")
        after = p2.date_input(
            "After", (mid + dt.timedelta(days=1), hi), min_value=lo, max_value=hi, key="exp_after"
        )
        if st.toggle("Compare", key="exp_compare"):
            fixed = {**params, **fixed_scale(method, used)}
            compared: list[gpd.GeoDataFrame | None] = []
            for col, period in ((p1, before), (p2, after)):
                if not (isinstance(period, list | tuple) and len(period) == 2):
                    compared.append(None)
                    continue
                period_filters = dataclasses.replace(filters, start=period[0], end=period[1])
                sub = filter_kind(records[source], kind=source, filters=period_filters)
                sub_pts = point_set(sub, point_kind) if len(sub) else sub
                res = run_method(
                    sub_pts,
                    method=method,
                    area=area,
                    key=result_key(sub_pts, date_column=date_col),
                    params=fixed,
                )
                compared.append(res)
                with col:
                    if res is not None:
                        st.metric(
                            "Events",
                            shown_count(len(sub_pts), policy=shown_policy, records=sub_pts),
                        )
                        n_hot = int(res["label"].isin(["hot", "cluster"]).sum())
                        st.metric("Hotspots (hot cells or clusters)", f"{n_hot:,}")
                        small = build_explorer_map({}, area=area, results=[(method, res)])
                        st_folium(
                            small.fmap,
                            height=380,
                            use_container_width=True,
                            returned_objects=[],
                            key=f"exp_cmp_map_{len(compared)}",
                        )
            first, second = compared
            if not record_access:
                st.caption("Cell-by-cell changes are shown to record-level roles only.")
            elif first is not None and second is not None and first.index.equals(second.index):
                st.markdown("**Cell changes** (cells significant in either period)")
                st.dataframe(cell_changes(first, second), width="stretch")

# ---------------------------------------------------------------- exports
st.subheader("Exports")
export_period = (filters.start, filters.end)
if result is None:
    st.write("Nothing to export yet.")
else:
    reason = st.text_input("Reason (recorded in the audit log)", key="exp_reason")
    if st.button("Prepare exports", key="exp_prepare"):
        export_result = result  # already reduced by the policy for roles without records
        demo = state.synthetic_data(config)
        with st.spinner("Writing files"):
            files = [
                hotspot_export(
                    export_result, fmt=f, method=method, period=export_period, synthetic=demo
                )
                for f in ("gpkg", "geojson", "csv")
            ]
            files.append(
                standalone_map_html(built.fmap, method=method, period=export_period, synthetic=demo)
            )
            trend_all = controlled_trend(
                monthly_counts(pts, date_column=date_col),
                policy=shown_policy,
                events=pts,
                date_column=date_col,
            )
            files.append(
                trend_png(
                    trend_all,
                    title="Events per month",
                    method=method,
                    period=export_period,
                    synthetic=demo,
                )
            )
        for export in files:
            # through the one export gate: policy check, reason for record points, audit entry
            auth.export_download(
                export.file_name,
                export.data,
                file_name=export.file_name,
                mime=export.mime,
                what="hotspots",
                rows=len(export_result),
                record_level=export.file_name.endswith(".html") and bool(draw_pts),
                reason=reason,
                confirmed=True,
                filters={"method": method, "period": [str(p) for p in export_period]},
                key=f"exp_dl_{export.file_name}",
            )
