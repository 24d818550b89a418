"""Coordinate conversion of boundary layers and a council's own boundary/population files.

:func:`to_bng` puts any layer into British National Grid (EPSG:27700), converting WGS84 with OSTN15
through :func:`geo.locate.coords.wgs84_to_bng` (never pyproj's Helmert fallback).
:func:`load_user_boundaries` and :func:`load_user_population` let a council use its own boundary and
population files instead of the bundled ones. All three are re-exported by
:mod:`geo.places.boundaries`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import ParameterError, SchemaError, UnreadableFileError
from geo.locate.coords import wgs84_to_bng
from geo.vocab import BNG_EPSG, WGS84_EPSG

BoundaryLevel = Literal["lad", "ward", "lsoa", "other"]
_LEVEL_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "lad": ("lad_cd", "lad_nm"),
    "ward": ("ward_cd", "ward_nm"),
    "lsoa": ("lsoa21cd", "lsoa21nm"),
    "other": ("area_cd", "area_nm"),
}


def _lonlat_to_bng_xy(xy: np.ndarray) -> np.ndarray:
    """Convert an ``(N, 2)`` lon/lat array to eastings/northings (OSTN15)."""
    if len(xy) == 0:
        return xy
    e, n = wgs84_to_bng(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(e, dtype=float), np.asarray(n, dtype=float)])


def to_bng(frame: gpd.GeoDataFrame, *, source: str = "") -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:27700, converting WGS84 with OSTN15 (not pyproj's Helmert fallback).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any geometries with a CRS. EPSG:4326 goes through OSTN15; other CRSs through pyproj.
    source : str, optional
        File name used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:27700 with the same index.

    Raises
    ------
    SchemaError
        If the frame has no CRS.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(-1.78, 53.65)], crs=4326)
    >>> p = to_bng(g).geometry.iloc[0]
    >>> round(p.x), round(p.y)
    (414640, 417076)
    """
    if frame.crs is None:
        raise SchemaError(f"{source or 'geometry'}: no coordinate reference system (CRS) given")
    epsg = frame.crs.to_epsg()
    if epsg == BNG_EPSG:
        return frame.copy()
    if epsg != WGS84_EPSG:
        return frame.to_crs(BNG_EPSG)
    out = frame.copy()
    out.geometry = shapely.transform(frame.geometry.values, _lonlat_to_bng_xy)
    return out.set_crs(BNG_EPSG, allow_override=True)


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise UnreadableFileError(f"{path}: file not found")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableFileError(f"{path}: cannot read as a boundary file ({first})") from exc


def load_user_boundaries(
    path: str | Path, *, code_col: str, name_col: str, level: BoundaryLevel
) -> gpd.GeoDataFrame:
    """Load a council's own boundary file (GeoJSON, GeoPackage, shapefile) in EPSG:27700.

    Parameters
    ----------
    path : str or pathlib.Path
        Any vector file pyogrio reads, with a CRS.
    code_col, name_col : str
        Columns holding each area's code and name.
    level : {"lad", "ward", "lsoa", "other"}
        Decides the output column names: ``lad_cd/lad_nm``, ``ward_cd/ward_nm``,
        ``lsoa21cd/lsoa21nm`` or ``area_cd/area_nm``.

    Returns
    -------
    geopandas.GeoDataFrame
        Code, name and geometry columns, RangeIndex, EPSG:27700.

    Raises
    ------
    UnreadableFileError
        If the file is missing or unreadable.
    SchemaError
        For a missing column, duplicate or empty codes, non-polygon or missing geometry, or no CRS.

    Examples
    --------
    >>> from geo.places.datasets import get_path
    >>> w = load_user_boundaries(get_path("wards"), code_col="WD_CD", name_col="WD_NM",
    ...                          level="ward")
    >>> list(w.columns), len(w)
    (['ward_cd', 'ward_nm', 'geometry'], 40)
    """
    if level not in _LEVEL_COLUMNS:
        raise ParameterError(f"level must be one of {', '.join(_LEVEL_COLUMNS)}, not {level!r}")
    path = Path(path)
    raw = _read_vector(path)
    for col in (code_col, name_col):
        if col not in raw.columns:
            raise SchemaError(f"{path}: no column {col!r} (columns: {', '.join(raw.columns)})")
    codes = raw[code_col].astype("string").str.strip()
    bad = codes.isna() | (codes == "")
    if bad.any():
        raise SchemaError(f"{path}: row {int(np.flatnonzero(bad)[0]) + 1}: empty {code_col!r}")
    dup = codes.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise SchemaError(f"{path}: row {row + 1}: duplicate {code_col!r} value {codes[row]!r}")
    types = raw.geometry.geom_type
    not_poly = ~types.isin(["Polygon", "MultiPolygon"])
    if not_poly.any():
        row = int(np.flatnonzero(not_poly.to_numpy())[0])
        raise SchemaError(f"{path}: row {row + 1}: geometry is {types.iloc[row]}, not a polygon")
    code_out, name_out = _LEVEL_COLUMNS[level]
    frame = gpd.GeoDataFrame(
        {
            code_out: codes.to_numpy(),
            name_out: raw[name_col].astype("string").to_numpy(),
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    )
    return to_bng(frame, source=str(path)).reset_index(drop=True)


def load_user_population(path: str | Path, *, code_col: str, value_col: str) -> pd.DataFrame:
    """Load a council's own population counts by area code (CSV or Excel ``.xlsx``).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (UTF-8) or ``.xlsx`` with one row per area.
    code_col : str
        Area code column (matches the code of :func:`load_user_boundaries` or ``lsoa21cd``).
    value_col : str
        Population column: a number >= 0 (thousands separators allowed).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (string) and ``population`` (float), RangeIndex.

    Raises
    ------
    UnreadableFileError
        If the file is missing or unreadable.
    SchemaError
        For a missing column, empty or duplicate code, or a value that is not a number >= 0
        (the message names the row, counting the header as row 1).

    Examples
    --------
    >>> from geo.places.datasets import get_path
    >>> p = load_user_population(get_path("population_lsoa"), code_col="lsoa21_code",
    ...                          value_col="total")
    >>> len(p), int(p["population"].sum())
    (394, 649444)
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFileError(f"{path}: file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raw = pd.read_excel(path, dtype=str)
        else:
            raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except Exception as exc:  # pandas raises many types for unreadable files
        raise UnreadableFileError(f"{path}: cannot read as CSV/Excel ({exc})") from exc
    for col in (code_col, value_col):
        if col not in raw.columns:
            raise SchemaError(f"{path}: no column {col!r} (columns: {', '.join(raw.columns)})")
    codes = raw[code_col].astype("string").str.strip()
    text = raw[value_col].astype("string").str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text, errors="coerce")
    for i in range(len(raw)):
        if pd.isna(codes.iloc[i]) or codes.iloc[i] == "":
            raise SchemaError(f"{path}: row {i + 2}: field {code_col!r} is empty")
        if pd.isna(values.iloc[i]) or values.iloc[i] < 0:
            raise SchemaError(
                f"{path}: row {i + 2}: field {value_col!r} is not a number >= 0 "
                f"({raw[value_col].iloc[i]!r})"
            )
    dup = codes.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise SchemaError(f"{path}: row {i + 2}: duplicate {code_col!r} value {codes.iloc[i]!r}")
    return pd.DataFrame({"code": codes.to_numpy(), "population": values.astype(float).to_numpy()})
