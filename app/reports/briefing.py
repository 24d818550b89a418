"""The disruption briefing pack: ranked hotspots, venues near them and the venue watchlist.

:func:`build_briefing` gathers the tables from the store records (through :mod:`analysis`);
:func:`briefing_html` and :func:`write_briefing_pdf` render them. Every table passes
:func:`strip_identifiers`, which removes child and record identifiers (``child_ref``,
``record_id``, ...; the columns :mod:`app.access.policy` withholds from the partner role) and any
location column of individual records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages

from analysis.disclosure.cell_key import record_keys_of
from analysis.disclosure.control import DisclosurePolicy
from analysis.hotspots.registry import run as run_hotspots
from analysis.views.proximity import (
    HOTSPOT_RADIUS,
    LINK_RADIUS,
    hotspot_areas,
    rank_hotspots,
    venues_near_hotspots,
    watchlist,
)
from app.access.policy import DISCLOSURE_ROLES, apply_export_policy, export_rules
from app.reports import figures
from app.reports.templates import render
from geo.errors import ParameterError
from geo.places.boundaries import StudyArea
from geo.store.gpkg import points

#: Columns never put in a report or watchlist export.
IDENTIFIER_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(("child_ref", *export_rules("partner").drop_columns))
)


def strip_identifiers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without child/record identifier columns (and without a geometry column).

    Examples
    --------
    >>> strip_identifiers(pd.DataFrame({"child_ref": ["C1"], "n": [1]})).columns.tolist()
    ['n']
    """
    drop = [c for c in frame.columns if c in IDENTIFIER_COLUMNS or c == "geometry"]
    return pd.DataFrame(frame.drop(columns=drop))


@dataclass
class Briefing:
    """Everything a briefing pack shows."""

    area: StudyArea
    hotspots: gpd.GeoDataFrame
    nearby: pd.DataFrame
    watchlist: pd.DataFrame
    venues: gpd.GeoDataFrame
    period: tuple[pd.Timestamp | None, pd.Timestamp | None]
    method: str
    radius: float
    link_radius: float
    as_of: str
    synthetic: bool | None = None
    caveats: list[str] = field(default_factory=list)
    #: Cell keys of the watchlist's counts (:func:`analysis.views.proximity.watchlist`), for
    #: :func:`briefing_for_role`; None once applied or when no disclosure policy was given.
    watchlist_keys: pd.DataFrame | None = field(default=None, repr=False)

    def hotspot_table(self) -> pd.DataFrame:
        """Ranked hotspots for display."""
        h = pd.DataFrame(self.hotspots.drop(columns="geometry"))
        cols = ["priority", "hotspot_id", "n_events", "z", "last_event", "n_cells", "area_m2"]
        h = h[[c for c in cols if c in h.columns]].copy()
        if "last_event" in h.columns:
            h["last_event"] = pd.to_datetime(h["last_event"]).dt.strftime("%Y-%m-%d")
        if "z" in h.columns:
            h["z"] = pd.to_numeric(h["z"], errors="coerce").round(2)
        if "area_m2" in h.columns:
            h["area_m2"] = pd.to_numeric(h["area_m2"]).round(0).astype("int64")
        return strip_identifiers(h)

    def period_text(self) -> str:
        start, end = self.period
        a = "start of records" if start is None else str(pd.Timestamp(start).date())
        b = "latest record" if end is None else str(pd.Timestamp(end).date())
        return f"{a} to {b}"


def _period_filter(concerns: gpd.GeoDataFrame, start: Any, end: Any) -> gpd.GeoDataFrame:
    dates = pd.to_datetime(concerns["reported_date"])
    keep = pd.Series(True, index=concerns.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates < pd.Timestamp(end) + pd.Timedelta(days=1)
    return concerns[keep.fillna(False).to_numpy()]


def build_briefing(
    concerns: gpd.GeoDataFrame,
    *,
    area: StudyArea,
    venues: gpd.GeoDataFrame,
    start: Any = None,
    end: Any = None,
    method: str = "gi",
    radius: float = HOTSPOT_RADIUS,
    link_radius: float = LINK_RADIUS,
    synthetic: bool | None = None,
    disclosure: DisclosurePolicy | None = None,
    **params: Any,
) -> Briefing:
    """Hotspots of the period (``method``), venues near them and the venue watchlist.

    The watchlist windows end on ``end`` (default the latest concern) and use all concerns
    (not only the period), so the previous-period comparison is available. With a
    ``disclosure`` policy (cell keys on), the watchlist's cell keys are kept for
    :func:`briefing_for_role` (each count's key: the sum of its linked concerns' record keys).

    Examples
    --------
    >>> import numpy as np
    >>> from geo.places.boundaries import load_area
    >>> from shapely.geometry import Point
    >>> area = load_area("kirklees")
    >>> c = gpd.GeoDataFrame({"reported_date": pd.to_datetime(["2024-05-01"] * 3),
    ...     "category": "CSE", "location_type": None},
    ...     geometry=[Point(414400, 416400)] * 3, crs=27700)
    >>> v = gpd.GeoDataFrame({"venue_id": ["v"], "name": ["Inn"],
    ...     "venue_type": ["hotel/guest house"]}, geometry=[Point(414410, 416400)], crs=27700)
    >>> b = build_briefing(c, area=area, venues=v, method="repeat")
    >>> int(b.watchlist["n_12m"].iloc[0])
    3
    """
    in_period = _period_filter(concerns, start, end)
    pts = points(in_period, "concerns")
    notes: list[str] = []
    areas = rank_hotspots(hotspot_areas(gpd.GeoDataFrame(geometry=[], crs=27700)), pts)
    if len(pts):
        try:
            result = run_hotspots(pts, method=method, study_area=area, **params)
            areas = rank_hotspots(hotspot_areas(result), pts)
        except ParameterError as exc:  # e.g. too few events for an automatic scale
            notes.append(f"Hotspots not computed: {exc}.")
    else:
        notes.append("No concerns with a location in the period: no hotspots.")
    nearby = venues_near_hotspots(areas, venues, radius=radius)
    if len(nearby):
        prio = dict(zip(areas["hotspot_id"], areas["priority"], strict=True))
        nearby.insert(0, "priority", nearby["hotspot_id"].map(prio))
        nearby = nearby.sort_values(["priority", "distance_m"], kind="stable")
    as_of = end if end is not None else None
    keys = None
    if disclosure is not None and disclosure.cell_key:
        keys = record_keys_of(
            concerns,
            secret=disclosure.cell_key_secret,
            key_range=disclosure.key_range,
            table=disclosure.record_key_table,
        )
    watch = watchlist(
        concerns,
        venues,
        as_of=as_of,
        radius=link_radius,
        record_keys=keys,
        key_range=disclosure.key_range if disclosure is not None else 256,
    )
    watch_keys = watch.attrs.pop("cell_keys", None)
    caveats = [
        "Hotspots are statistical summaries of recorded concerns; recording differs between "
        "agencies and areas.",
        "Venues: bundled OpenStreetMap (mid-2023; completeness varies), DfE GIAS schools, NaPTAN "
        "rail stations and imported registers. Restricted venues (children's homes) are left out.",
        f"A distance equal to the radius counts ({radius:g} m to hotspots, {link_radius:g} m "
        "for linking concerns to venues).",
    ]
    caveats = notes + caveats
    if synthetic:
        caveats.insert(0, "SYNTHETIC DEMO DATA: no real child or event is represented.")
    return Briefing(
        area=area,
        hotspots=areas,
        nearby=strip_identifiers(nearby.reset_index(drop=True)),
        watchlist=strip_identifiers(watch),
        venues=venues,
        period=(start, end),
        method=method,
        radius=float(radius),
        link_radius=float(link_radius),
        as_of=str(watch.attrs.get("as_of", "")),
        synthetic=synthetic,
        caveats=caveats,
        watchlist_keys=watch_keys,
    )


def briefing_for_role(
    b: Briefing,
    *,
    role: str,
    events: gpd.GeoDataFrame | None = None,
    disclosure: DisclosurePolicy | None = None,
) -> Briefing:
    """The briefing as ``role`` may see it (the page tables and every export are built from it).

    For disclosure roles (partner, ...) everything goes through
    :func:`app.access.policy.apply_export_policy`: hotspots with fewer than ``min_children``
    distinct children (counted from ``events``, the concern points with ``child_ref``) are
    dropped, with the venues near them; every count column (``n_*``, ``prev_*``, ``cat_*``) of the
    hotspot, nearby-venue and watchlist tables is small-count suppressed, and a ``change_*`` column
    is hidden wherever either of its counts is. The watchlist's counts are cell-key perturbed
    first when ``b`` was built with the same ``disclosure`` policy (``watchlist_keys``), and
    its ``change_*`` is then the difference of the shown counts. Other roles get ``b``
    unchanged.

    Raises
    ------
    PermissionDenied
        The role may not see venue watchlists.
    """
    rules = export_rules(role, disclosure=disclosure)
    if "venues" not in rules.kinds or "hotspots" not in rules.kinds:
        from app.access.policy import PermissionDenied

        raise PermissionDenied(f"role {role!r} may not see the disruption briefing")
    if role not in DISCLOSURE_ROLES:
        return b
    pts = None if events is None else points(events, "concerns")
    hot = apply_export_policy(
        b.hotspots, role=role, kind="hotspots", events=pts, disclosure=disclosure
    )
    hot = gpd.GeoDataFrame(hot, geometry="geometry", crs=b.hotspots.crs)
    nearby = b.nearby
    if len(nearby) and "hotspot_id" in nearby.columns:
        nearby = nearby[nearby["hotspot_id"].isin(set(hot["hotspot_id"]))]
    nearby = apply_export_policy(
        nearby.reset_index(drop=True), role=role, kind="venues", disclosure=disclosure
    )
    watch = apply_export_policy(
        b.watchlist, role=role, kind="venues", disclosure=disclosure, keys=b.watchlist_keys
    )
    watch = by_shown_counts(watch)
    dropped = len(b.hotspots) - len(hot)
    note = (
        f"Disclosure control ({role}): counts below the threshold are shown as 'c'; "
        f"{dropped} hotspot(s) with too few distinct children are not shown."
    )
    return dataclasses.replace(
        b,
        hotspots=hot,
        nearby=nearby,
        watchlist=watch,
        caveats=[note, *b.caveats],
        watchlist_keys=None,
    )


def by_shown_counts(watch: pd.DataFrame) -> pd.DataFrame:
    """The watchlist re-ranked by its *shown* window counts (longest window first), hidden ones
    last, ties by venue: the order of the true counts would tell which shown or hidden count is
    really larger. ``rank`` is renumbered.

    Examples
    --------
    >>> w = pd.DataFrame({"rank": [1, 2, 3], "venue_id": ["v1", "v2", "v3"],
    ...     "n_3m": ["c", 6, 7], "n_12m": ["c", 5, 9]})
    >>> by_shown_counts(w)[["rank", "venue_id"]].values.tolist()
    [[1, 'v3'], [2, 'v2'], [3, 'v1']]
    """
    windows = [c for c in watch.columns if re.fullmatch(r"n_\d+m", str(c))]
    if not len(watch) or not windows:
        return watch
    windows.sort(key=lambda c: -int(str(c)[2:-1]))
    keys = pd.DataFrame(
        {
            f"_k{i}": pd.to_numeric(watch[c], errors="coerce").to_numpy()
            for i, c in enumerate(windows)
        }
    )
    ties = [c for c in ("venue_id", "name") if c in watch.columns]
    for c in ties:
        keys[f"_t{c}"] = watch[c].astype(str).to_numpy()
    order = keys.sort_values(
        list(keys.columns),
        ascending=[False] * len(windows) + [True] * len(ties),
        na_position="last",
        kind="stable",
    ).index.to_numpy()
    out = watch.iloc[order].reset_index(drop=True)
    if "rank" in out.columns:
        out["rank"] = range(1, len(out) + 1)
    return out


def _near_venues(b: Briefing) -> gpd.GeoDataFrame:
    ids = set(b.nearby["venue_id"]) if len(b.nearby) else set()
    return b.venues[b.venues["venue_id"].isin(ids)]


def _map(b: Briefing) -> Any:
    return figures.briefing_map(
        area=b.area, hotspots=b.hotspots, venues=_near_venues(b), title="Hotspots (by priority)"
    )


def briefing_html(b: Briefing, *, max_rows: int = 200) -> str:
    """The briefing pack as one self-contained HTML page (map embedded as PNG)."""
    return render(
        "briefing.html",
        title="Disruption briefing pack",
        synthetic=bool(b.synthetic),
        period=b.period_text(),
        method=b.method,
        radius=f"{b.radius:g}",
        link_radius=f"{b.link_radius:g}",
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        map_uri=figures.png_data_uri(_map(b)),
        hotspots=b.hotspot_table().head(max_rows),
        nearby=b.nearby.head(max_rows),
        watchlist=b.watchlist.head(max_rows),
        as_of=b.as_of,
        caveats=b.caveats,
    )


def write_briefing_pdf(b: Briefing, path: str | os.PathLike[str], *, max_rows: int = 200) -> Path:
    """Write the briefing pack as a PDF: map page, then hotspot, venue and watchlist tables.

    Ends with the data sources and attribution; a synthetic briefing says so on every page.
    """
    out = Path(path)
    watch_cols = [c for c in b.watchlist.columns if not c.startswith("cat_")]
    with PdfPages(out) as pdf:
        header = [
            f"Period: {b.period_text()}. Method: {b.method}. Venues within {b.radius:g} m.",
            "Contains no child identifiers and no individual records.",
            *b.caveats,
        ]
        pages = [
            figures.text_page("Disruption briefing pack", header),
            _map(b),
            *figures.table_pages("Hotspots, in priority order", b.hotspot_table().head(max_rows)),
            *figures.table_pages("Venues near each hotspot", b.nearby.head(max_rows)),
            *figures.table_pages(
                f"Venue watchlist (to {b.as_of})",
                b.watchlist[watch_cols].head(max_rows),
                notes=["Linked concerns per window; prev = previous period of equal length."],
            ),
        ]
        # synthetic-data footer on every page, attribution on the last (as the HTML)
        figures.save_pages(pdf, pages, synthetic=bool(b.synthetic))
        figures.plt.close("all")
    return out
