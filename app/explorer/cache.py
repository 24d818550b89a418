"""Hotspot results for the explorer: a shared cache for store data, a per-session one for uploads.

``st.cache_data`` is shared by every session of the server, so a result computed from a
session's uploaded case data must never enter it (DEVELOPERS.md: uploaded case data stays in
``session_state``). :func:`run_hotspots` therefore uses the shared cache only when the session
has no uploads, and otherwise keeps a small cache in the session's own ``session_state``.

Either cache is keyed by :func:`result_key` (every column of the points, not only their
coordinates and dates: ``n_children`` and ``top_categories`` of cluster results depend on
``child_ref`` and ``category``), the method, the study area and the parameters.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import streamlit as st

from analysis.hotspots import registry as hotspots
from app.explorer.detail import points_key
from geo.places.boundaries import StudyArea

__all__ = ["SESSION_CACHE_KEY", "SESSION_CACHE_MAX", "result_key", "run_hotspots"]

#: session_state key of the per-session result cache (sessions with uploads).
SESSION_CACHE_KEY: Final[str] = "csmap_explorer_results"
#: Results kept per session (oldest dropped first).
SESSION_CACHE_MAX: Final[int] = 8


def result_key(points: gpd.GeoDataFrame, *, date_column: str | None = None) -> str:
    """A key of everything in ``points`` a hotspot result can depend on.

    :func:`app.explorer.detail.points_key` (index, coordinates, dates) plus a hash of every other
    column (names and values).

    Examples
    --------
    >>> p = gpd.GeoDataFrame({"child_ref": ["A", "B"]},
    ...     geometry=gpd.points_from_xy([1.0, 2.0], [3.0, 4.0]), crs=27700)
    >>> q = p.assign(child_ref=["A", "A"])
    >>> result_key(p) == result_key(p.copy()), result_key(p) == result_key(q)
    (True, False)
    """
    h = hashlib.sha256(points_key(points, date_column=date_column).encode())
    attrs = pd.DataFrame(points.drop(columns=points.geometry.name))
    h.update(json.dumps([str(c) for c in attrs.columns]).encode())
    if len(attrs.columns) and len(attrs):
        try:
            hashed = pd.util.hash_pandas_object(attrs, index=False)
        except TypeError:  # unhashable cells (lists, dicts): hash their text
            hashed = pd.util.hash_pandas_object(attrs.astype(str), index=False)
        h.update(hashed.to_numpy().tobytes())
    return h.hexdigest()


@st.cache_data(max_entries=24, show_spinner=False)
def _shared(
    key: str, method: str, area_name: str, params_json: str, _points: Any, _area: Any
) -> gpd.GeoDataFrame:
    """``analysis.hotspots.registry.run`` in the server-wide cache (store data only)."""
    del key, area_name
    return hotspots.run(_points, method=method, study_area=_area, **json.loads(params_json))


def run_hotspots(
    points: gpd.GeoDataFrame,
    *,
    method: str,
    area: StudyArea,
    key: str,
    params: dict[str, Any],
    session_only: bool,
) -> gpd.GeoDataFrame:
    """Run :func:`analysis.hotspots.registry.run`, cached.

    Parameters
    ----------
    points : GeoDataFrame
        The filtered points.
    method : str
        Hotspot method.
    area : StudyArea
        Study area (keyed by name).
    key : str
        :func:`result_key` of ``points``.
    params : dict
        Method parameters (JSON-serialisable).
    session_only : bool
        The points include this session's uploads: never use the shared cache.

    Returns
    -------
    GeoDataFrame
        The method's result.
    """
    params_json = json.dumps(params, sort_keys=True)
    if not session_only:
        return _shared(key, method, area.name, params_json, points, area)
    cache: dict[tuple[str, str, str, str], gpd.GeoDataFrame] = st.session_state.setdefault(
        SESSION_CACHE_KEY, {}
    )
    slot = (key, method, area.name, params_json)
    if slot not in cache:
        cache[slot] = hotspots.run(points, method=method, study_area=area, **params)
        while len(cache) > SESSION_CACHE_MAX:
            cache.pop(next(iter(cache)))
    return cache[slot]
