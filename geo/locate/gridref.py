"""British National Grid: WGS84 <-> BNG conversions (OSTN15) and OS grid references.

Conversions use the Ordnance Survey's OSTN15 transformation through ``convertbng`` (never pyproj's
offline Helmert fallback, which is about 2 m off). Everything here is re-exported by
:mod:`geo.locate.coords`, which resolves whole location columns with these primitives.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from convertbng.cutil import convert_bng, convert_lonlat

from geo.errors import LocationError

__all__ = [
    "BNG_E_RANGE",
    "BNG_N_RANGE",
    "GB_LAT_RANGE",
    "GB_LON_RANGE",
    "bng_to_wgs84",
    "format_grid_ref",
    "parse_grid_ref",
    "wgs84_to_bng",
]

#: Latitude / longitude box of Great Britain and its islands (Scilly to Shetland, St Kilda to
#: Lowestoft).
GB_LAT_RANGE: tuple[float, float] = (49.8, 61.0)
GB_LON_RANGE: tuple[float, float] = (-8.8, 2.0)
#: Extent of the British National Grid (metres).
BNG_E_RANGE: tuple[float, float] = (0.0, 700_000.0)
BNG_N_RANGE: tuple[float, float] = (0.0, 1_300_000.0)

_GRID_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I
_GRID_RE = re.compile(r"^\s*([A-Za-z]{2})\s*(\d+)(?:\s+(\d+))?\s*$")


def _as_float(values: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    arr = np.asarray(values, dtype=np.float64)
    shape = arr.shape
    return np.ascontiguousarray(arr.reshape(-1)), shape


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(out), out, np.nan)


def wgs84_to_bng(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude to British National Grid eastings/northings (OSTN15).

    Parameters
    ----------
    lon, lat : array-like of float
        Degrees (same shape). NaN, infinite and out-of-range values (outside the OSTN15 area)
        give NaN; no exception is raised for them.

    Returns
    -------
    easting, northing : numpy.ndarray
        Metres in EPSG:27700, finite or NaN, same shape as the input.

    Examples
    --------
    >>> e, n = wgs84_to_bng([-1.78, float("nan")], [53.65, 53.0])
    >>> [round(float(e[0]), 2), round(float(n[0]), 2)]
    [414639.63, 417076.07]
    >>> bool(np.isnan(e[1]))
    True
    """
    x, shape = _as_float(lon)
    y, shape_y = _as_float(lat)
    if shape != shape_y:
        raise ValueError(f"lon and lat differ in shape: {shape} vs {shape_y}")
    if x.size == 0:
        return x.reshape(shape), y.reshape(shape)
    ok = np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
    east = np.full(x.size, np.nan)
    north = np.full(x.size, np.nan)
    if ok.any():
        e, n = convert_bng(np.ascontiguousarray(x[ok]), np.ascontiguousarray(y[ok]))
        east[ok] = _finite_or_nan(e)
        north[ok] = _finite_or_nan(n)
    return east.reshape(shape), north.reshape(shape)


def bng_to_wgs84(easting: Any, northing: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert British National Grid eastings/northings to WGS84 longitude/latitude (OSTN15).

    Parameters
    ----------
    easting, northing : array-like of float
        Metres in EPSG:27700 (same shape). NaN, infinite and out-of-range values give NaN.

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees, finite or NaN, same shape as the input.

    Examples
    --------
    >>> lon, lat = bng_to_wgs84([414639.626], [417076.073])
    >>> [round(float(lon[0]), 6), round(float(lat[0]), 6)]
    [-1.78, 53.65]
    """
    x, shape = _as_float(easting)
    y, shape_y = _as_float(northing)
    if shape != shape_y:
        raise ValueError(f"easting and northing differ in shape: {shape} vs {shape_y}")
    if x.size == 0:
        return x.reshape(shape), y.reshape(shape)
    ok = (
        np.isfinite(x)
        & np.isfinite(y)
        & (x >= BNG_E_RANGE[0])
        & (x <= BNG_E_RANGE[1])
        & (y >= BNG_N_RANGE[0])
        & (y <= BNG_N_RANGE[1])
    )
    lon = np.full(x.size, np.nan)
    lat = np.full(x.size, np.nan)
    if ok.any():
        lo, la = convert_lonlat(np.ascontiguousarray(x[ok]), np.ascontiguousarray(y[ok]))
        lon[ok] = _finite_or_nan(lo)
        lat[ok] = _finite_or_nan(la)
    return lon.reshape(shape), lat.reshape(shape)


def parse_grid_ref(text: str) -> tuple[float, float, int]:
    """Parse an Ordnance Survey grid reference such as ``"SE 14312 16452"``.

    Parameters
    ----------
    text : str
        Two letters and 2 to 10 digits (an even number), in any case and with spaces anywhere
        between the letters and the two digit groups.

    Returns
    -------
    easting, northing : float
        The centre of the referenced square (south-west corner plus half its side), in metres.
    precision_m : int
        The side of the square in metres (1 for 10 digits ... 10 000 for 2 digits).

    Raises
    ------
    LocationError
        Unknown letters, an odd number of digits, or unequal digit groups; the message names the
        text.

    Examples
    --------
    >>> parse_grid_ref("SE 14312 16452")
    (414312.5, 416452.5, 1)
    >>> parse_grid_ref("se143164")
    (414350.0, 416450.0, 100)
    >>> parse_grid_ref("SE11")
    (415000.0, 415000.0, 10000)
    """
    if not isinstance(text, str):
        raise LocationError(f"grid reference {text!r} is not text")
    match = _GRID_RE.match(text)
    if match is None:
        raise LocationError(f"grid reference {text!r} is not two letters and 2-10 digits")
    letters, first, second = match.group(1).upper(), match.group(2), match.group(3)
    if second is not None and len(first) != len(second):
        raise LocationError(f"grid reference {text!r} has digit groups of unequal length")
    digits = first + (second or "")
    if len(digits) % 2 or not 2 <= len(digits) <= 10:
        raise LocationError(f"grid reference {text!r} needs an even number of digits, 2 to 10")
    if any(ch not in _GRID_LETTERS for ch in letters):
        raise LocationError(f"grid reference {text!r} has an invalid letter (I is not used)")
    l1, l2 = _GRID_LETTERS.index(letters[0]), _GRID_LETTERS.index(letters[1])
    e100 = ((l1 - 2) % 5) * 5 + (l2 % 5)
    n100 = (19 - (l1 // 5) * 5) - (l2 // 5)
    if not (0 <= e100 < 7 and 0 <= n100 < 13):
        raise LocationError(
            f"grid reference {text!r}: square {letters} is outside the national grid"
        )
    half = len(digits) // 2
    precision = 10 ** (5 - half)
    east = e100 * 100_000 + int(digits[:half]) * precision + precision / 2
    north = n100 * 100_000 + int(digits[half:]) * precision + precision / 2
    return float(east), float(north), int(precision)


def format_grid_ref(easting: float, northing: float, *, digits: int = 10) -> str:
    """Format a British National Grid point as an OS grid reference (the square containing it).

    Parameters
    ----------
    easting, northing : float
        Metres in EPSG:27700.
    digits : int, default 10
        Total digits, even, 2 to 10 (10 = 1 m squares, 6 = 100 m, 2 = 10 km).

    Returns
    -------
    str
        For example ``"SE 14312 16452"``.

    Raises
    ------
    LocationError
        The point is outside the national grid or ``digits`` is invalid.

    Examples
    --------
    >>> format_grid_ref(414312.7, 416452.2)
    'SE 14312 16452'
    >>> format_grid_ref(414312.7, 416452.2, digits=6)
    'SE 143 164'
    """
    if digits not in (2, 4, 6, 8, 10):
        raise LocationError(f"grid reference digits must be 2, 4, 6, 8 or 10, not {digits}")
    e, n = float(easting), float(northing)
    if not (
        np.isfinite(e)
        and np.isfinite(n)
        and BNG_E_RANGE[0] <= e < BNG_E_RANGE[1]
        and BNG_N_RANGE[0] <= n < BNG_N_RANGE[1]
    ):
        raise LocationError(f"point ({easting}, {northing}) is outside the national grid")
    e100, n100 = int(e // 100_000), int(n // 100_000)
    l1 = (19 - n100) // 5 * 5 + (e100 + 10) // 5
    l2 = (19 - n100) * 5 % 25 + e100 % 5
    half = digits // 2
    scale = 10 ** (5 - half)
    ee = int((e % 100_000) // scale)
    nn = int((n % 100_000) // scale)
    return f"{_GRID_LETTERS[l1]}{_GRID_LETTERS[l2]} {ee:0{half}d} {nn:0{half}d}"
