"""App configuration, cached data loading and the session's filters.

Configuration comes from environment variables that ``csmap app`` sets: ``CSMAP_STORE`` (the
store), ``CSMAP_AREA`` (the study area) and ``CSMAP_DEMO`` (``1`` when the store holds the
synthetic demo data). Store records are cached with ``st.cache_data`` keyed on the store path and
its modification time (a re-ingest invalidates the cache). Uploaded case data never enter a shared
cache: they live in ``st.session_state`` only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from analysis.disclosure.cell_key import RecordKeyTable, secret_digest
from analysis.disclosure.control import DisclosurePolicy
from app.access.store_policy import disclosure_for_store
from app.session.filters import Filters
from geo.demo.check import is_synthetic_store
from geo.places.boundaries import StudyArea, load_area
from geo.vocab import BNG_EPSG, KINDS

#: session_state key holding records uploaded in this session: ``{kind: GeoDataFrame}``.
UPLOADED_KEY = "csmap_uploaded_records"

#: Widget keys of the sidebar filters (the entry point draws them; pages read them).
KEY_KINDS = "flt_kinds"
KEY_PERIOD = "flt_period"
KEY_CATEGORIES = "flt_categories"
KEY_RISK = "flt_risk"
KEY_AGENCIES = "flt_agencies"
KEY_TILES = "opt_tiles"


@dataclass(frozen=True)
class AppConfig:
    """Where the app's data come from."""

    store_path: Path | None
    area: str
    demo: bool


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def config_from_env(environ: dict[str, str] | None = None) -> AppConfig:
    """Read the app's configuration from the environment.

    Examples
    --------
    >>> config_from_env({"CSMAP_STORE": "/tmp/s.gpkg", "CSMAP_DEMO": "1"})
    AppConfig(store_path=PosixPath('/tmp/s.gpkg'), area='kirklees', demo=True)
    """
    env = os.environ if environ is None else environ
    store = env.get("CSMAP_STORE")
    return AppConfig(
        store_path=Path(store) if store else None,
        area=(env.get("CSMAP_AREA") or "kirklees").strip().lower(),
        demo=_truthy(env.get("CSMAP_DEMO")),
    )


def store_mtime(path: Path | None) -> float:
    """Modification time of the store file (0.0 when absent), used as a cache key."""
    if path is None or not path.exists():
        return 0.0
    return path.stat().st_mtime


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=BNG_EPSG))


@st.cache_resource(max_entries=2, show_spinner="Loading records from the store")
def load_store_records(store_path: str, mtime: float) -> dict[str, gpd.GeoDataFrame]:
    """Every kind's stored records (empty frames for kinds not in the store).

    ``mtime`` is only part of the cache key. Cached as a shared resource, not with
    ``st.cache_data``: with a million records ``cache_data`` spent ~4 s unpickling a copy on
    every rerun (and held a pickled copy besides). The frames are the store's (shared by every
    session, like the store file itself; never session uploads) and are read-only: callers filter
    into new frames and never modify them in place.
    """
    del mtime
    from geo.store.gpkg import Store

    store = Store(store_path)
    present = set(store.kinds())
    return {kind: store.read(kind) if kind in present else _empty() for kind in KINDS}


@st.cache_resource(max_entries=2, show_spinner="Preparing disclosure control")
def store_record_keys(store_path: str, mtime: float, digest: str, _secret: str) -> RecordKeyTable:
    """The cell key record keys of every stored record, computed once per loaded store.

    Keyed like :func:`load_store_records` plus ``digest``
    (:func:`analysis.disclosure.cell_key.secret_digest` of the secret): the secret itself
    (``_secret``, not hashed by Streamlit) is never part of a cache key. Store records only (never
    session uploads, which are hashed when used); the keys are the same for every role.
    """
    del digest
    frames = load_store_records(store_path, mtime)
    return RecordKeyTable.build(list(frames.values()), secret=_secret)


def disclosure_policy(role: str, config: AppConfig) -> DisclosurePolicy | None:
    """The role's disclosure policy for the app's store: its secret, its precomputed record keys.

    ``None`` for roles without disclosure control. Pages build every controlled table with it
    (:func:`app.access.store_policy.disclosure_for_store`).
    """
    policy = disclosure_for_store(role, store=config.store_path)
    path = config.store_path
    if policy is None or not policy.cell_key or path is None or not path.exists():
        return policy
    secret = policy.cell_key_secret
    digest = secret_digest(secret, key_range=policy.key_range)
    table = store_record_keys(str(path), store_mtime(path), digest, secret)
    if table.digest != digest:  # pragma: no cover - a policy with another key range
        return policy
    return dataclasses.replace(policy, record_key_table=table)


@st.cache_data(max_entries=4, show_spinner=False)
def load_ingest_log(store_path: str, mtime: float) -> pd.DataFrame:
    """The store's ingest log (empty frame when the store has none)."""
    del mtime
    from geo.store.gpkg import Store

    try:
        return Store(store_path).ingest_log()
    except Exception:
        return pd.DataFrame()


@st.cache_resource(max_entries=2, show_spinner="Loading boundaries")
def load_study_area(area: str) -> StudyArea:
    """The bundled geography of the study area (shared, read-only)."""
    return load_area(area)


def uploaded_records() -> dict[str, gpd.GeoDataFrame]:
    """Records uploaded in this session (never shared between sessions)."""
    value: dict[str, gpd.GeoDataFrame] = st.session_state.get(UPLOADED_KEY, {})
    return value


def synthetic_data(config: AppConfig) -> bool:
    """True when everything this session sees is synthetic: a demo store and no uploads.

    Exports use it to carry the synthetic-data notice; records uploaded on top of the demo store
    may be real, so a session holding uploads is never labelled synthetic.
    """
    if config.store_path is None or not config.store_path.exists():
        return False
    if any(len(frame) for frame in uploaded_records().values()):
        return False
    return is_synthetic_store(config.store_path)


def current_records(config: AppConfig) -> dict[str, gpd.GeoDataFrame]:
    """Store records plus this session's uploads, one GeoDataFrame per kind."""
    if config.store_path is not None and config.store_path.exists():
        records = dict(load_store_records(str(config.store_path), store_mtime(config.store_path)))
    else:
        records = {kind: _empty() for kind in KINDS}
    for kind, frame in uploaded_records().items():
        if len(frame):
            base = records.get(kind)
            joined = pd.concat([base, frame], ignore_index=True) if base is not None else frame
            records[kind] = gpd.GeoDataFrame(joined, geometry="geometry", crs=BNG_EPSG)
    return records


def _tuple_or_none(value: Any) -> tuple[str, ...] | None:
    """An empty selection means "no restriction" (rows with missing values are kept)."""
    if not value:
        return None
    return tuple(value)


def current_filters() -> Filters:
    """The filters selected in the sidebar (defaults when the sidebar has not run)."""
    ss = st.session_state
    period = ss.get(KEY_PERIOD)
    start: dt.date | None = None
    end: dt.date | None = None
    if isinstance(period, list | tuple) and len(period) == 2:
        start, end = period[0], period[1]
    kinds = ss.get(KEY_KINDS)
    return Filters(
        kinds=tuple(kinds) if kinds is not None else KINDS,
        start=start,
        end=end,
        categories=_tuple_or_none(ss.get(KEY_CATEGORIES)),
        risk_levels=_tuple_or_none(ss.get(KEY_RISK)),
        agencies=_tuple_or_none(ss.get(KEY_AGENCIES)),
    )
