"""What the hotspot explorer shows about a hotspot and a period (pure pandas; no Streamlit).

- :func:`points_key`: a stable hash of a filtered point set, the cache key of the engine call;
- :func:`ranked_hotspots` / :func:`hotspot_at`: choose a hotspot (by rank or by a map click);
- :func:`events_in`, :func:`monthly_counts`, :func:`breakdown`: its events, trend, categories and
  agencies;
- :func:`month_options` / :func:`in_month`: the month slider;
- :func:`cell_changes`: two periods on the same grid, cell by cell (before/after an
  intervention).
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from analysis.inference import COLD, HOT, NOT_SIGNIFICANT
from geo.locate.coords import wgs84_to_bng

#: Label of the "every month" choice of the month slider.
ALL_MONTHS = "All months"


def points_key(points: gpd.GeoDataFrame, *, date_column: str | None = None) -> str:
    """A stable key of a point set: SHA-256 over its index, coordinates and dates.

    Two frames with the same rows (same index, same points, same dates) get the same key; any
    change to a row changes it.

    Examples
    --------
    >>> p = gpd.GeoDataFrame(geometry=gpd.points_from_xy([1.0, 2.0], [3.0, 4.0]), crs=27700)
    >>> points_key(p) == points_key(p.copy()), points_key(p) == points_key(p.iloc[:1])
    (True, False)
    """
    h = hashlib.sha256()
    h.update(np.asarray(points.index.to_numpy(), dtype=object).astype(str).tobytes())
    geoms = points.geometry
    ok = (geoms.notna() & ~geoms.is_empty).to_numpy()
    xy = np.full((len(points), 2), np.nan)
    if ok.any():
        xy[ok, 0] = geoms.x.to_numpy()[ok]
        xy[ok, 1] = geoms.y.to_numpy()[ok]
    h.update(xy.tobytes())
    if date_column is not None and date_column in points.columns:
        dates = pd.to_datetime(points[date_column], errors="coerce")
        h.update(dates.astype("int64").to_numpy().tobytes())
    return h.hexdigest()


def ranked_hotspots(result: gpd.GeoDataFrame) -> pd.DataFrame:
    """Hotspots (not the "not significant" cells) ranked by events, most first (index kept).

    Examples
    --------
    >>> r = gpd.GeoDataFrame({"label": ["hot", "not significant", "cold"],
    ...     "n_events": [3, 9, 0], "hotspot_id": [0, 1, 2]},
    ...     geometry=[shapely.box(0, 0, 1, 1)] * 3, crs=27700)
    >>> ranked_hotspots(r).index.tolist()
    [0, 2]
    """
    shown = result.loc[result["label"].ne(NOT_SIGNIFICANT).to_numpy()]
    cols = [
        c
        for c in ("hotspot_id", "label", "adjustment", "n_events", "expected", "rate_ratio", "z")
        if c in shown.columns
    ]
    table = pd.DataFrame(shown[cols])
    # by the shown count, hidden (missing) ones last by id: never in the order of a true count
    events = pd.to_numeric(table["n_events"], errors="coerce").to_numpy(dtype=float)
    ident = (
        pd.to_numeric(table["hotspot_id"], errors="coerce").to_numpy(dtype=float)
        if "hotspot_id" in table.columns
        else np.arange(len(table), dtype=float)
    )
    hidden = np.isnan(events)
    order = np.lexsort((ident, -np.nan_to_num(events, nan=0.0), hidden))
    return table.iloc[order]


def hotspot_at(result: gpd.GeoDataFrame, *, lon: float, lat: float) -> object | None:
    """Index label of the drawn hotspot containing a clicked WGS84 point, or None.

    Examples
    --------
    >>> from geo.locate.coords import bng_to_wgs84
    >>> r = gpd.GeoDataFrame({"label": ["hot"]},
    ...     geometry=[shapely.box(414000, 417000, 415000, 418000)], crs=27700, index=[7])
    >>> lon, lat = bng_to_wgs84(np.array([414500.0]), np.array([417500.0]))
    >>> hotspot_at(r, lon=float(lon[0]), lat=float(lat[0]))
    7
    """
    east, north = wgs84_to_bng(np.array([lon], dtype=float), np.array([lat], dtype=float))
    if not (np.isfinite(east[0]) and np.isfinite(north[0])):
        return None
    point = shapely.Point(float(east[0]), float(north[0]))
    shown = result.loc[result["label"].ne(NOT_SIGNIFICANT).to_numpy()]
    hit = shown.index[shown.geometry.covers(point).to_numpy()]
    if len(hit) == 0:
        return None
    best = hit[0]
    if len(hit) > 1 and "n_events" in shown.columns:
        best = shown.loc[hit, "n_events"].idxmax()
    return best.item() if isinstance(best, np.generic) else best


def events_in(points: gpd.GeoDataFrame, geometry: BaseGeometry) -> gpd.GeoDataFrame:
    """Points covered by a hotspot's polygon (index kept).

    Examples
    --------
    >>> p = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.5, 5.0], [0.5, 5.0]), crs=27700)
    >>> events_in(p, shapely.box(0, 0, 1, 1)).index.tolist()
    [0]
    """
    if len(points) == 0:
        return points
    return points.loc[points.geometry.covered_by(geometry).to_numpy()]


def monthly_counts(events: pd.DataFrame, *, date_column: str) -> pd.DataFrame:
    """Events per calendar month (``month`` as a timestamp, ``events``), empty months included.

    Examples
    --------
    >>> e = pd.DataFrame({"d": pd.to_datetime(["2024-01-03", "2024-03-09", "2024-03-10"])})
    >>> monthly_counts(e, date_column="d")["events"].tolist()
    [1, 0, 2]
    """
    if date_column not in events.columns or len(events) == 0:
        return pd.DataFrame({"month": pd.Series([], dtype="datetime64[ns]"), "events": []})
    months = pd.to_datetime(events[date_column], errors="coerce").dt.to_period("M").dropna()
    if len(months) == 0:
        return pd.DataFrame({"month": pd.Series([], dtype="datetime64[ns]"), "events": []})
    counts = months.value_counts()
    full = pd.period_range(months.min(), months.max(), freq="M")
    series = counts.reindex(full, fill_value=0)
    return pd.DataFrame({"month": full.to_timestamp(), "events": series.to_numpy(dtype=np.int64)})


def breakdown(events: pd.DataFrame, column: str) -> pd.DataFrame:
    """Counts of ``column``'s values (missing values as ``not recorded``), most first.

    Examples
    --------
    >>> breakdown(pd.DataFrame({"c": ["CSE", "CCE", "CSE", None]}), "c").values.tolist()
    [['CSE', 2], ['CCE', 1], ['not recorded', 1]]
    """
    if column not in events.columns:
        return pd.DataFrame({column: [], "events": []})
    values = events[column].astype("string").fillna("not recorded")
    counts = values.value_counts(sort=True)
    return pd.DataFrame({column: counts.index.astype(str), "events": counts.to_numpy()})


def month_options(points: pd.DataFrame, *, date_column: str) -> list[str]:
    """``["All months", "YYYY-MM", ...]`` covering the points' dates, for the month slider.

    Examples
    --------
    >>> month_options(pd.DataFrame({"d": pd.to_datetime(["2024-01-03", "2024-03-09"])}),
    ...     date_column="d")
    ['All months', '2024-01', '2024-02', '2024-03']
    """
    if date_column not in points.columns:
        return [ALL_MONTHS]
    dates = pd.to_datetime(points[date_column], errors="coerce").dropna()
    if len(dates) == 0:
        return [ALL_MONTHS]
    months = pd.period_range(dates.min().to_period("M"), dates.max().to_period("M"), freq="M")
    return [ALL_MONTHS, *(str(m) for m in months)]


def in_month(points: gpd.GeoDataFrame, *, date_column: str, month: str) -> gpd.GeoDataFrame:
    """Rows dated in ``month`` (``YYYY-MM``); every row for ``"All months"`` (index kept).

    Examples
    --------
    >>> p = gpd.GeoDataFrame({"d": pd.to_datetime(["2024-01-03", "2024-03-09"])})
    >>> in_month(p, date_column="d", month="2024-03").index.tolist()
    [1]
    """
    if month == ALL_MONTHS or date_column not in points.columns:
        return points
    period = pd.to_datetime(points[date_column], errors="coerce").dt.to_period("M")
    return points.loc[(period == pd.Period(month, freq="M")).fillna(False).to_numpy()]


def _change(before: str, after: str) -> str:
    if before == after:
        return f"still {after}" if after in (HOT, COLD) else "unchanged"
    if after in (HOT, COLD):
        return f"new {after}"
    return f"no longer {before}"


def cell_changes(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> pd.DataFrame:
    """Compare two grid results on the same grid, cell by cell (cells significant in either).

    Both results must come from the same grid (same study area, cell size and shape: run the
    second period with the first period's ``cell_size`` and ``band``); cells are matched on the
    index.

    Returns
    -------
    pandas.DataFrame
        ``n_before``, ``n_after``, ``difference``, ``label_before``, ``label_after``, ``change``
        (``new hot``, ``still hot``, ``no longer hot``, ...), largest change first; index = cell.

    Raises
    ------
    ValueError
        When the two results do not share the same cells.

    Examples
    --------
    >>> g = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    >>> a = gpd.GeoDataFrame({"label": ["hot", "not significant"], "n_events": [5, 1]},
    ...     geometry=g, crs=27700)
    >>> b = gpd.GeoDataFrame({"label": ["not significant", "hot"], "n_events": [1, 6]},
    ...     geometry=g, crs=27700)
    >>> cell_changes(a, b)["change"].tolist()
    ['new hot', 'no longer hot']
    """
    if not before.index.equals(after.index):
        raise ValueError("the two periods were not run on the same grid; cannot compare cells")
    table = pd.DataFrame(
        {
            "n_before": before["n_events"].to_numpy(dtype=float),
            "n_after": after["n_events"].to_numpy(dtype=float),
            "label_before": before["label"].astype(str).to_numpy(),
            "label_after": after["label"].astype(str).to_numpy(),
        },
        index=before.index,
    )
    table["difference"] = table["n_after"] - table["n_before"]
    sig = table["label_before"].ne(NOT_SIGNIFICANT) | table["label_after"].ne(NOT_SIGNIFICANT)
    table = table.loc[sig.to_numpy()].copy()
    table["change"] = [
        _change(b, a) for b, a in zip(table["label_before"], table["label_after"], strict=True)
    ]
    order = np.argsort(-np.abs(table["difference"].to_numpy()), kind="stable")
    cols = ["n_before", "n_after", "difference", "label_before", "label_after", "change"]
    return table.iloc[order][cols]
