"""Field helpers for the synthetic demo records of :mod:`geo.demo.records` (all output is
synthetic).

Value draws with explicit generators, seasonal event times over the demo period, pseudonymous child
references and the mix of location forms (lat/lon, easting/northing, grid reference).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from geo.locate.coords import bng_to_wgs84, format_grid_ref

#: Default period: two years ending 31 October 2026.
PERIOD_START: Final[pd.Timestamp] = pd.Timestamp("2024-11-01")
PERIOD_END: Final[pd.Timestamp] = pd.Timestamp("2026-10-31 23:59:59")


def pick(
    rng: np.random.Generator, values: tuple[str, ...], p: tuple[float, ...], n: int
) -> np.ndarray:
    """Draw ``n`` of ``values`` with probabilities proportional to ``p`` (object array).

    Examples
    --------
    >>> list(pick(np.random.default_rng(0), ("a", "b"), (1.0, 0.0), 3))
    ['a', 'a', 'a']
    """
    prob = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=prob / prob.sum())]


def blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """Copy ``values`` as objects with about ``share`` of them set to None (incomplete data).

    Examples
    --------
    >>> blank(np.random.default_rng(0), np.array(["x"] * 4), 1.0).tolist()
    [None, None, None, None]
    """
    out = values.astype(object).copy()
    out[rng.random(len(out)) < share] = None
    return out


def keep(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` as objects, with None where ``mask`` is False.

    Examples
    --------
    >>> keep(np.array([1, 2]), np.array([True, False])).tolist()
    [1, None]
    """
    out = values.astype(object)
    out[~mask] = None
    return out


def event_times(rng: np.random.Generator, n: int, *, evening: bool = True) -> pd.DatetimeIndex:
    """Seasonal event times over the period: summer/holiday peaks, weekend and evening excess.

    Examples
    --------
    >>> t = event_times(np.random.default_rng(0), 100)
    >>> bool(t.min() >= PERIOD_START and t.max() <= PERIOD_END)
    True
    """
    days = pd.date_range(PERIOD_START, PERIOD_END.normalize(), freq="D")
    doy = days.day_of_year.to_numpy()
    month, day = days.month.to_numpy(), days.day.to_numpy()
    w = 1.0 + 0.25 * np.cos(2 * np.pi * (doy - 200) / 365.25)  # peak in mid-July
    summer_hols = ((month == 7) & (day >= 22)) | (month == 8)
    other_hols = (
        ((month == 10) & (day >= 26)) | ((month == 4) & (day <= 14)) | ((month == 12) & (day >= 20))
    )
    w = w * np.where(summer_hols, 1.35, np.where(other_hols, 1.15, 1.0))
    w = w * np.where(days.day_of_week.to_numpy() >= 4, 1.2, 1.0)  # Friday-Sunday
    w = w * np.linspace(0.9, 1.1, len(days))  # slow rise in reporting
    which = rng.choice(len(days), size=n, p=w / w.sum())
    if evening:
        hours_p = np.array(
            [2, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 5, 7, 8, 8, 9, 9, 8, 6, 4, 3.0]
        )
    else:
        hours_p = np.ones(24)
    hours = rng.choice(24, size=n, p=hours_p / hours_p.sum())
    minutes = rng.integers(0, 60, size=n)
    stamps = days.to_numpy()[which] + (hours * 60 + minutes).astype("timedelta64[m]")
    return pd.DatetimeIndex(stamps.astype("datetime64[s]"))


def format_refs(index: np.ndarray) -> np.ndarray:
    """Pseudonymous child references ``C000123`` from integer indices.

    Examples
    --------
    >>> format_refs(np.array([123, 7])).tolist()
    ['C000123', 'C000007']
    """
    return np.char.add("C", np.char.zfill(index.astype(str), 6)).astype(object)


def location_columns(
    rng: np.random.Generator, xy: np.ndarray, *, prefix: str = "", known: np.ndarray | None = None
) -> dict[str, Any]:
    """Split points into lat/lon (85 %), easting/northing (12 %) and grid refs (3 %).

    Rows where ``known`` is False get no location. Latitude/longitude are rounded to 5 dp.

    Examples
    --------
    >>> cols = location_columns(np.random.default_rng(0), np.array([[414310.0, 416830.0]]))
    >>> sorted(cols)
    ['easting', 'grid_ref', 'latitude', 'longitude', 'northing']
    """
    n = len(xy)
    form = rng.choice(3, size=n, p=[0.85, 0.12, 0.03])
    if known is not None:
        form = np.where(known, form, -1)
    lon, lat = bng_to_wgs84(xy[:, 0], xy[:, 1])
    latlon = form == 0
    bng = form == 1
    grid = np.flatnonzero(form == 2)
    cols: dict[str, Any] = {
        f"{prefix}latitude": np.where(latlon, np.round(lat, 5), np.nan),
        f"{prefix}longitude": np.where(latlon, np.round(lon, 5), np.nan),
        f"{prefix}easting": pd.array(np.where(bng, np.round(xy[:, 0]), np.nan), dtype="Int64"),
        f"{prefix}northing": pd.array(np.where(bng, np.round(xy[:, 1]), np.nan), dtype="Int64"),
    }
    refs = np.full(n, None, dtype=object)
    for i in grid:
        refs[i] = format_grid_ref(float(xy[i, 0]), float(xy[i, 1]), digits=10)
    cols[f"{prefix}grid_ref"] = refs
    return cols


def number_rows(frame: pd.DataFrame, column: str, prefix: str) -> pd.DataFrame:
    """Reset the index and give rows ids ``<prefix>0000001`` in their (sorted) order.

    Examples
    --------
    >>> number_rows(pd.DataFrame({"id": [0, 0]}, index=[5, 3]), "id", "CN")["id"].tolist()
    ['CN0000001', 'CN0000002']
    """
    frame = frame.reset_index(drop=True)
    frame[column] = np.char.add(prefix, np.char.zfill(np.arange(1, len(frame) + 1).astype(str), 7))
    frame[column] = frame[column].astype(object)
    return frame
