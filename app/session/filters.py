"""Record filters shared by every app page (pure pandas; no Streamlit).

The sidebar (drawn once in :mod:`app.streamlit_app`) fills a :class:`Filters`; pages call
:func:`apply_filters` on the loaded records. A filter only applies to the kinds that carry its
column (category and agency exist on concerns only, risk level on concerns and missing episodes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.vocab import KINDS

#: The date column that places a record of each kind in time.
DATE_COLUMNS: dict[str, str] = {
    "concerns": "reported_date",
    "missing_episodes": "start",
    "placements": "start_date",
}

#: Labels used in the app for each kind.
KIND_LABELS: dict[str, str] = {
    "concerns": "Concerns",
    "missing_episodes": "Missing episodes",
    "placements": "Placements",
}


@dataclass(frozen=True)
class Filters:
    """What the sidebar selected. ``None`` means "no restriction" for that field.

    Examples
    --------
    >>> Filters(categories=("CSE",)).categories
    ('CSE',)
    """

    kinds: tuple[str, ...] = KINDS
    start: dt.date | None = None
    end: dt.date | None = None
    categories: tuple[str, ...] | None = None
    risk_levels: tuple[str, ...] | None = None
    agencies: tuple[str, ...] | None = None
    location_types: tuple[str, ...] | None = None
    #: Inclusive age band in years (rows without an age are dropped when set).
    age_band: tuple[int, int] | None = None
    #: Looked-after status (applies to kinds with a ``looked_after`` column).
    looked_after: bool | None = None


def _isin(frame: pd.DataFrame, column: str, values: tuple[str, ...] | None) -> pd.Series:
    if values is None or column not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame[column].isin(values)


def filter_kind(frame: gpd.GeoDataFrame, *, kind: str, filters: Filters) -> gpd.GeoDataFrame:
    """Rows of one kind's records that pass ``filters`` (index kept).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> f = gpd.GeoDataFrame({"category": ["CSE", "CCE"],
    ...                       "reported_date": pd.to_datetime(["2024-01-05", "2024-03-01"])})
    >>> filter_kind(f, kind="concerns", filters=Filters(categories=("CCE",))).index.tolist()
    [1]
    """
    keep = pd.Series(True, index=frame.index)
    date_col = DATE_COLUMNS.get(kind)
    if date_col in frame.columns:
        dates = pd.to_datetime(frame[date_col])
        if filters.start is not None:
            keep &= dates >= pd.Timestamp(filters.start)
        if filters.end is not None:
            keep &= dates < pd.Timestamp(filters.end) + pd.Timedelta(days=1)
    keep &= _isin(frame, "category", filters.categories)
    keep &= _isin(frame, "risk_level", filters.risk_levels)
    keep &= _isin(frame, "reporting_agency", filters.agencies)
    keep &= _isin(frame, "location_type", filters.location_types)
    if filters.age_band is not None and "age" in frame.columns:
        age = pd.to_numeric(frame["age"], errors="coerce").astype(float)
        keep &= (age >= filters.age_band[0]) & (age <= filters.age_band[1])
    if filters.looked_after is not None and "looked_after" in frame.columns:
        keep &= frame["looked_after"].astype("boolean").eq(filters.looked_after).fillna(False)
    return frame.loc[keep.to_numpy()]


def apply_filters(
    records: dict[str, gpd.GeoDataFrame], *, filters: Filters
) -> dict[str, gpd.GeoDataFrame]:
    """Filter every kind; kinds not selected in ``filters.kinds`` are left out.

    Examples
    --------
    >>> import geopandas as gpd
    >>> recs = {"concerns": gpd.GeoDataFrame({"category": ["CSE"]}),
    ...         "placements": gpd.GeoDataFrame({"placement_id": ["p1"]})}
    >>> sorted(apply_filters(recs, filters=Filters(kinds=("concerns",))))
    ['concerns']
    """
    return {
        kind: filter_kind(frame, kind=kind, filters=filters)
        for kind, frame in records.items()
        if kind in filters.kinds
    }


def date_bounds(records: dict[str, gpd.GeoDataFrame]) -> tuple[dt.date, dt.date] | None:
    """Earliest and latest record date over all kinds, or None when there are no dates.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> date_bounds({"concerns": gpd.GeoDataFrame(
    ...     {"reported_date": pd.to_datetime(["2024-01-05", "2024-03-01"])})})
    (datetime.date(2024, 1, 5), datetime.date(2024, 3, 1))
    """
    lows, highs = [], []
    for kind, frame in records.items():
        col = DATE_COLUMNS.get(kind)
        if col in frame.columns and frame[col].notna().any():
            dates = pd.to_datetime(frame[col])
            lows.append(dates.min())
            highs.append(dates.max())
    if not lows:
        return None
    return min(lows).date(), max(highs).date()
