"""Coordinates: WGS84 <-> British National Grid (OSTN15), grid references, location resolution.

Conversions use the Ordnance Survey's OSTN15 transformation through ``convertbng`` (never pyproj's
offline Helmert fallback, which is about 2 m off); they and the grid-reference functions live in
:mod:`geo.locate.gridref` and are re-exported here. :func:`resolve_locations` turns whatever
location
columns a row carries (``latitude``/``longitude``, ``easting``/``northing``, ``grid_ref``, ``uprn``,
``postcode``) into one point, with its precision, any repairs made (``location_flags``) and, for an
unusable location, the reason (``location_error``).

Flags written to ``location_flags`` (``;``-separated):

``swapped_latlon``
    latitude and longitude were in each other's columns.
``bng_in_latlon``
    eastings/northings were given in the latitude/longitude columns.
``swapped_eastnorth``
    easting and northing were in each other's columns.
``latlon_in_bng``
    longitude/latitude were given in the easting/northing columns.
``coarse_grid_ref``
    a grid reference of 1 km precision or coarser.
``terminated_postcode``
    the postcode is terminated in the lookup (its last centroid is used).
``fallback_location``
    a better form (e.g. latitude/longitude) was present but unusable, and a poorer one was used.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.errors import LocationError
from geo.locate.geocode import Lookups, normalise_postcodes
from geo.locate.gridref import (
    BNG_E_RANGE,
    BNG_N_RANGE,
    GB_LAT_RANGE,
    GB_LON_RANGE,
    bng_to_wgs84,
    format_grid_ref,
    parse_grid_ref,
    wgs84_to_bng,
)
from geo.locate.land import on_land
from geo.vocab import PRECISIONS

__all__ = [
    "BNG_E_RANGE",
    "BNG_N_RANGE",
    "GB_LAT_RANGE",
    "GB_LON_RANGE",
    "bng_to_wgs84",
    "format_grid_ref",
    "parse_grid_ref",
    "resolve_locations",
    "wgs84_to_bng",
]

_NULL_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "unknown", "not known"})
OUT_COLUMNS: tuple[str, ...] = (
    "easting",
    "northing",
    "latitude",
    "longitude",
    "location_precision",
    "location_flags",
    "location_error",
)


# --------------------------------------------------------------------------- resolution


def _numeric(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, present mask and bad-text mask of a possibly-text numeric column."""
    n = len(frame)
    if col not in frame.columns:
        return np.full(n, np.nan), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    s = frame[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(vals)
        bad = present & ~np.isfinite(vals)
        return np.where(bad, np.nan, vals), present, bad
    # Fast path: to_numeric accepts surrounding white space; only failures are looked at again.
    fast = _arrow_floats(s)
    if fast is not None:
        vals = fast
    else:
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(vals)
    present = finite.copy()
    bad = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(~finite & s.notna().to_numpy(dtype=bool))
    if idx.size:  # empty text and placeholder words ("N/A", "unknown") count as absent
        text = s.iloc[idx].astype("string").str.strip().str.lower()
        null = text.isin(_NULL_TOKENS).to_numpy(dtype=bool)
        present[idx[~null]] = True
        bad[idx[~null]] = True
    return np.where(finite, vals, np.nan), present, bad


def _arrow_floats(s: pd.Series) -> np.ndarray | None:
    """Arrow-backed text parsed as float64 in C, or None if any cell is not a plain number.

    Cells are trimmed of ASCII white space (as :func:`pandas.to_numeric` does); empty cells are
    NaN. Any cell Arrow cannot parse sends the whole column down the pandas path instead.
    """
    if not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        return None
    try:
        text = pc.ascii_trim_whitespace(pa.array(s))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, type=text.type), text)
        floats = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return floats.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _strings(codes: np.ndarray, categories: list[str], index: pd.Index) -> pd.Series:
    """A text column from integer codes into ``categories`` (fast: no per-row Python objects)."""
    taken = pa.array(categories, type=pa.string()).take(pa.array(codes, type=pa.int64()))
    return pd.Series(taken, index=index, dtype="str")


def _text(frame: pd.DataFrame, col: str) -> tuple[pd.Series, np.ndarray]:
    n = len(frame)
    if col not in frame.columns:
        return pd.Series(dtype="string"), np.zeros(n, bool)
    text = frame[col].astype("string").str.strip()
    present = text.notna() & (text != "") & ~text.str.lower().isin(_NULL_TOKENS)
    return text, present.to_numpy(dtype=bool)


def _raw(frame: pd.DataFrame, col: str, i: int) -> str:
    return str(frame[col].iloc[i]).strip() if col in frame.columns else ""


def _in(values: np.ndarray, lo_hi: tuple[float, float]) -> np.ndarray:
    return (values >= lo_hi[0]) & (values <= lo_hi[1])


class _Resolver:
    """Mutable state of one :func:`resolve_locations` call (arrays over the rows)."""

    def __init__(self, frame: pd.DataFrame, prefix: str) -> None:
        self.frame = frame
        self.prefix = prefix
        n = len(frame)
        self.east = np.full(n, np.nan)
        self.north = np.full(n, np.nan)
        self.lon = np.full(n, np.nan)
        self.lat = np.full(n, np.nan)
        self.precision = np.full(n, PRECISIONS.index("none"), dtype=np.int64)
        self.flags: list[tuple[str, np.ndarray]] = []
        self.error = np.full(n, "", dtype=object)
        self.has_error = np.zeros(n, dtype=bool)
        self.done = np.zeros(n, dtype=bool)
        self.tried = np.zeros(n, dtype=bool)  # some form was present but unusable

    def col(self, name: str) -> str:
        return self.prefix + name

    def fail(self, mask: np.ndarray, message: Callable[[int], str]) -> None:
        """Record the reason for rows in ``mask`` that have no reason yet."""
        todo = mask & ~self.done & ~self.has_error
        for i in np.flatnonzero(todo):
            self.error[i] = message(int(i))
        self.has_error |= todo
        self.tried |= mask & ~self.done

    def flag(self, name: str, mask: np.ndarray) -> None:
        if mask.any():
            self.flags.append((name, mask.copy()))

    def accept_bng(
        self,
        mask: np.ndarray,
        east: np.ndarray,
        north: np.ndarray,
        precision: str,
        what: Callable[[int], str],
        lonlat: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Accept grid points for rows in ``mask`` (not yet resolved) if they are in GB.

        ``lonlat`` gives WGS84 values already known for some rows (NaN elsewhere); they are
        kept as given instead of being converted back from the grid.
        """
        rows = mask & ~self.done
        if not rows.any():
            return
        e_rows, n_rows = east[rows], north[rows]
        if lonlat is None:
            lon, lat = bng_to_wgs84(e_rows, n_rows)
        else:
            lon, lat = lonlat[0][rows], lonlat[1][rows]
            back = ~np.isfinite(lon) | ~np.isfinite(lat)
            if back.any():
                lon[back], lat[back] = bng_to_wgs84(e_rows[back], n_rows[back])
        idx = np.flatnonzero(rows)
        land = (
            on_land(e_rows, n_rows) & np.isfinite(lon) & np.isfinite(e_rows) & np.isfinite(n_rows)
        )
        good = idx[land]
        self.east[good], self.north[good] = east[good], north[good]
        self.lon[good], self.lat[good] = lon[land], lat[land]
        self.precision[good] = PRECISIONS.index(precision)
        self.done[good] = True
        accepted = np.zeros(len(rows), dtype=bool)
        accepted[good] = True
        self.flag("fallback_location", accepted & self.tried)
        bad = np.zeros(len(rows), dtype=bool)
        bad[idx[~land]] = True
        self.fail(bad, lambda i: f"{what(i)} is in the sea or outside Great Britain")

    def result(self) -> pd.DataFrame:
        n = len(self.frame)
        index = self.frame.index
        # flags: each row's set of flags as a bit pattern, then one text per distinct pattern
        bits = np.zeros(n, dtype=np.int64)
        names: list[str] = []
        for name, mask in self.flags:
            if name not in names:
                names.append(name)
            bits |= mask.astype(np.int64) << names.index(name)
        patterns, flag_codes = np.unique(bits, return_inverse=True)
        flag_text = [
            ";".join(nm for k, nm in enumerate(names) if int(p) >> k & 1) for p in patterns
        ]
        # errors: only rows that have one carry a (distinct) message
        failed = np.flatnonzero(self.has_error & ~self.done)
        err_codes = np.zeros(n, dtype=np.int64)
        err_codes[failed] = np.arange(1, failed.size + 1)
        err_text = [""] + [str(self.error[i]) for i in failed]
        return pd.DataFrame(
            {
                "easting": self.east,
                "northing": self.north,
                "latitude": self.lat,
                "longitude": self.lon,
                "location_precision": _strings(self.precision, list(PRECISIONS), index),
                "location_flags": _strings(flag_codes.reshape(-1), flag_text, index),
                "location_error": _strings(err_codes, err_text, index),
            },
            index=index,
        )


def _resolve_latlon(r: _Resolver) -> None:
    lat_c, lon_c = r.col("latitude"), r.col("longitude")
    a, pa, ba = _numeric(r.frame, lat_c)
    b, pb, bb = _numeric(r.frame, lon_c)
    r.fail(ba, lambda i: f"{lat_c} {_raw(r.frame, lat_c, i)!r} is not a number")
    r.fail(bb, lambda i: f"{lon_c} {_raw(r.frame, lon_c, i)!r} is not a number")
    r.fail(pa & ~pb & ~bb, lambda i: f"{lat_c} given without {lon_c}")
    r.fail(pb & ~pa & ~ba, lambda i: f"{lon_c} given without {lat_c}")
    both = pa & pb
    normal = both & _in(a, GB_LAT_RANGE) & _in(b, GB_LON_RANGE)
    swapped = both & ~normal & _in(b, GB_LAT_RANGE) & _in(a, GB_LON_RANGE)
    degrees = (np.abs(a) <= 180) & (np.abs(b) <= 180)
    grid = both & ~normal & ~swapped & ~degrees & ((np.abs(a) > 1000) | (np.abs(b) > 1000))
    # latitude column holding the northing and longitude the easting, or the other way round
    grid_nat = grid & _in(b, BNG_E_RANGE) & _in(a, BNG_N_RANGE)
    grid_rev = grid & ~grid_nat & _in(a, BNG_E_RANGE) & _in(b, BNG_N_RANGE)
    lat = np.where(swapped, b, a)
    lon = np.where(swapped, a, b)
    ok = normal | swapped
    e, n = wgs84_to_bng(np.where(ok, lon, np.nan), np.where(ok, lat, np.nan))
    e = np.where(grid_nat, b, np.where(grid_rev, a, e))
    n = np.where(grid_nat, a, np.where(grid_rev, b, n))
    before = r.done.copy()
    r.accept_bng(
        ok | grid_nat | grid_rev,
        e,
        n,
        "exact point",
        lambda i: f"{lat_c} {a[i]:g}, {lon_c} {b[i]:g}",
        lonlat=(np.where(ok, lon, np.nan), np.where(ok, lat, np.nan)),
    )
    new = r.done & ~before
    r.flag("swapped_latlon", new & swapped)
    r.flag("bng_in_latlon", new & (grid_nat | grid_rev))
    r.flag("swapped_eastnorth", new & grid_rev)

    def why(i: int) -> str:
        if abs(a[i]) > 90 and abs(a[i]) <= 180 and not grid[i]:
            return f"{lat_c} {a[i]:g} out of range"
        if abs(b[i]) > 180 and not grid[i]:
            return f"{lon_c} {b[i]:g} out of range"
        if grid[i]:
            return f"{lat_c}/{lon_c} ({a[i]:g}, {b[i]:g}) are neither degrees nor grid metres in GB"
        return f"{lat_c} {a[i]:g}, {lon_c} {b[i]:g} is outside Great Britain"

    r.fail(both & ~ok & ~grid_nat & ~grid_rev, why)


def _resolve_eastnorth(r: _Resolver) -> None:
    e_c, n_c = r.col("easting"), r.col("northing")
    e, pe, be = _numeric(r.frame, e_c)
    n, pn, bn = _numeric(r.frame, n_c)
    r.fail(be, lambda i: f"{e_c} {_raw(r.frame, e_c, i)!r} is not a number")
    r.fail(bn, lambda i: f"{n_c} {_raw(r.frame, n_c, i)!r} is not a number")
    r.fail(pe & ~pn & ~bn, lambda i: f"{e_c} given without {n_c}")
    r.fail(pn & ~pe & ~be, lambda i: f"{n_c} given without {e_c}")
    both = pe & pn
    normal = both & _in(e, BNG_E_RANGE) & _in(n, BNG_N_RANGE) & ((e > 1000) | (n > 1000))
    swapped = both & ~normal & _in(n, BNG_E_RANGE) & _in(e, BNG_N_RANGE) & (e > 1000)
    ll = both & ~normal & ~swapped & _in(e, GB_LON_RANGE) & _in(n, GB_LAT_RANGE)
    ll_rev = both & ~normal & ~swapped & ~ll & _in(n, GB_LON_RANGE) & _in(e, GB_LAT_RANGE)
    ll_e, ll_n = wgs84_to_bng(
        np.where(ll, e, np.where(ll_rev, n, np.nan)), np.where(ll, n, np.where(ll_rev, e, np.nan))
    )
    east = np.where(swapped, n, np.where(ll | ll_rev, ll_e, e))
    north = np.where(swapped, e, np.where(ll | ll_rev, ll_n, n))
    before = r.done.copy()
    r.accept_bng(
        normal | swapped | ll | ll_rev,
        east,
        north,
        "exact point",
        lambda i: f"{e_c} {e[i]:g}, {n_c} {n[i]:g}",
    )
    new = r.done & ~before
    r.flag("swapped_eastnorth", new & swapped)
    r.flag("latlon_in_bng", new & (ll | ll_rev))
    r.flag("swapped_latlon", new & ll_rev)

    def why(i: int) -> str:
        if not _in(e[i : i + 1], BNG_E_RANGE)[0]:
            return f"{e_c} {e[i]:g} out of range"
        if not _in(n[i : i + 1], BNG_N_RANGE)[0]:
            return f"{n_c} {n[i]:g} out of range"
        return f"{e_c}/{n_c} ({e[i]:g}, {n[i]:g}) is not a usable grid point"

    r.fail(both & ~(normal | swapped | ll | ll_rev), why)


def _resolve_grid_ref(r: _Resolver) -> None:
    g_c = r.col("grid_ref")
    text, present = _text(r.frame, g_c)
    todo = present & ~r.done
    if not todo.any():
        return
    parsed: dict[str, tuple[float, float, int] | str] = {}
    for value in pd.unique(text[todo].to_numpy(dtype=object)):
        try:
            parsed[value] = parse_grid_ref(value)
        except LocationError as exc:
            parsed[value] = f"{g_c}: {exc}"
    n = len(r.frame)
    east, north, prec = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    bad = np.zeros(n, dtype=bool)
    messages: dict[int, str] = {}
    for i in np.flatnonzero(todo):
        got = parsed[text.iloc[i]]
        if isinstance(got, str):
            bad[i] = True
            messages[int(i)] = got
        else:
            east[i], north[i], prec[i] = got
    r.fail(bad, lambda i: messages[i])
    before = r.done.copy()
    r.accept_bng(todo & ~bad, east, north, "grid reference", lambda i: f"{g_c} {text.iloc[i]}")
    r.flag("coarse_grid_ref", r.done & ~before & (prec >= 1000))


def _resolve_uprn(r: _Resolver, lookups: Lookups | None) -> None:
    u_c = r.col("uprn")
    text, present = _text(r.frame, u_c)
    todo = present & ~r.done
    if not todo.any():
        return
    if lookups is None or lookups.uprn is None:
        r.fail(todo, lambda i: f"{u_c} given but no UPRN lookup is configured")
        return
    got = lookups.uprn.lookup(text)
    found = got["found"].to_numpy(dtype=bool)
    number = np.isfinite(got["uprn"].to_numpy(dtype=float))
    r.fail(todo & ~number, lambda i: f"{u_c} {text.iloc[i]!r} is not a UPRN")
    r.fail(todo & number & ~found, lambda i: f"{u_c} {text.iloc[i]} not found in the UPRN lookup")
    e = got["easting"].to_numpy(dtype=float)
    n = got["northing"].to_numpy(dtype=float)
    r.accept_bng(todo & found, e, n, "uprn", lambda i: f"{u_c} {text.iloc[i]}")


def _resolve_postcode(r: _Resolver, lookups: Lookups | None) -> None:
    p_c = r.col("postcode")
    text, present = _text(r.frame, p_c)
    todo = present & ~r.done
    if not todo.any():
        return
    shaped = normalise_postcodes(text).notna().to_numpy(dtype=bool)
    r.fail(todo & ~shaped, lambda i: f"{p_c} {text.iloc[i]!r} is not a valid UK postcode")
    if lookups is None or lookups.postcode is None:
        r.fail(todo & shaped, lambda i: f"{p_c} given but no postcode lookup is configured")
        return
    got = lookups.postcode.lookup(text)
    found = got["found"].to_numpy(dtype=bool)
    r.fail(
        todo & shaped & ~found,
        lambda i: f"{p_c} {got['postcode'].iloc[i]} not found in the postcode lookup",
    )
    e = got["easting"].to_numpy(dtype=float)
    n = got["northing"].to_numpy(dtype=float)
    before = r.done.copy()
    r.accept_bng(
        todo & found, e, n, "postcode centroid", lambda i: f"{p_c} {got['postcode'].iloc[i]}"
    )
    r.flag("terminated_postcode", r.done & ~before & got["terminated"].to_numpy(dtype=bool))


def resolve_locations(
    frame: pd.DataFrame,
    *,
    prefix: str = "",
    lookups: Lookups | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """Resolve each row's location, whatever form it is given in, to one point.

    Forms are tried best first: ``latitude``/``longitude``, ``easting``/``northing``, ``grid_ref``,
    ``uprn``, ``postcode`` (each column name with ``prefix``). Numbers given as text parse
    (``" -1.78 "``). Swapped latitude/longitude, eastings/northings in the latitude/longitude
    columns (and the reverse) and swapped easting/northing are detected, repaired and flagged.
    Points outside Great Britain or in the sea are errors. The latitude/longitude and
    easting/northing paths are vectorised.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with any of the location columns (text or numbers). Missing columns are allowed.
    prefix : str, default ""
        Column prefix, e.g. ``"found_"`` for the found location of a missing episode.
    lookups : Lookups, optional
        Postcode and UPRN lookups; without them postcode/UPRN rows get an error.
    file : str, optional
        Source file name; if given, it starts every ``location_error`` message.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``; columns ``easting, northing, latitude, longitude`` (float, NaN
        when unresolved), ``location_precision`` (one of :data:`geo.vocab.PRECISIONS`; ``"none"``
        when unresolved), ``location_flags`` (``;``-separated, may be empty) and
        ``location_error`` (empty unless a location was given but could not be used).

    Examples
    --------
    >>> rows = pd.DataFrame(
    ...     {"latitude": ["53.65", "-1.78", ""], "longitude": [" -1.78 ", "53.65", ""]}
    ... )
    >>> out = resolve_locations(rows)
    >>> out["easting"].round(2).tolist()[:2]
    [414639.63, 414639.63]
    >>> out["location_flags"].tolist()
    ['', 'swapped_latlon', '']
    >>> out["location_precision"].tolist()
    ['exact point', 'exact point', 'none']
    """
    r = _Resolver(frame, prefix)
    if len(frame):
        _resolve_latlon(r)
        _resolve_eastnorth(r)
        _resolve_grid_ref(r)
        _resolve_uprn(r, lookups)
        _resolve_postcode(r, lookups)
    out = r.result()
    if file:
        err = out["location_error"]
        has = err != ""
        if has.any():
            out.loc[has, "location_error"] = f"{file}: " + err[has]
    return out
