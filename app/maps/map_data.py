"""Cached data of the Map page for large stores: point indexes and filtered cell counts.

The store's :class:`~app.maps.point_index.PointIndex` of each point kind is built once per store
version (path + modification time) and shared read-only (``st.cache_resource``); the filtered cell
counts are cached with ``st.cache_data`` keyed by the store version, point kind, filter values and
cell size, so going back to an earlier filter is instant. Session uploads never enter either
cache: :func:`point_summary` counts them separately (they are small) and adds the cells up.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import streamlit as st

from app.maps.cells import merge_counts
from app.maps.point_index import (
    CellSummary,
    PointIndex,
    build_point_index,
    filtered_cell_counts,
)
from app.session import state
from app.session.filters import Filters
from geo.vocab import POINT_RECORD_KINDS, PointKind


@st.cache_resource(max_entries=8, show_spinner=False)
def store_point_index(store_path: str, mtime: float, point_kind: PointKind) -> PointIndex:
    """The store's point index of ``point_kind`` (shared, read-only)."""
    records = state.load_store_records(store_path, mtime)
    return build_point_index(records[POINT_RECORD_KINDS[point_kind]], point_kind=point_kind)


@st.cache_data(max_entries=48, show_spinner=False)
def store_cell_summary(
    store_path: str, mtime: float, point_kind: PointKind, filters: Filters, cell: float
) -> CellSummary:
    """Filtered record/point counts and cell counts of the store's ``point_kind``."""
    index = store_point_index(store_path, mtime, point_kind)
    return filtered_cell_counts(index, filters=filters, cell=cell)


def point_summary(
    config: state.AppConfig,
    *,
    point_kind: PointKind,
    filters: Filters,
    cell: float,
    uploads: dict[str, gpd.GeoDataFrame],
) -> CellSummary:
    """Store (cached) plus this session's uploads (uncached) for one point kind."""
    parts: list[CellSummary] = []
    path: Path | None = config.store_path
    if path is not None and path.exists():
        parts.append(
            store_cell_summary(str(path), state.store_mtime(path), point_kind, filters, cell)
        )
    upload = uploads.get(POINT_RECORD_KINDS[point_kind])
    if upload is not None and len(upload):
        index = build_point_index(upload, point_kind=point_kind)
        parts.append(filtered_cell_counts(index, filters=filters, cell=cell))
    return CellSummary(
        n_records=sum(p.n_records for p in parts),
        n_points=sum(p.n_points for p in parts),
        cells=merge_counts(*(p.cells for p in parts)),
    )
