"""Real geography for a study area: LA outline, wards, LSOA 2021, population and deprivation.

:func:`load_area` reads the bundled open data (see ``data/README.md``) for one of the supported
areas and returns a :class:`StudyArea` with every layer in British National Grid (EPSG:27700),
converted from WGS84 with OSTN15 (``convertbng``). Loads are cached: treat the returned frames as
read-only and ``.copy()`` them before changing anything.

Notes on the data
-----------------
- Boundaries are ONS *generalised clipped* polygons: fine for neighbourhood-scale point-in-polygon
  work, but a point within a few metres of an edge can land in the neighbouring polygon.
- Wards carry 2013 codes (spot-checked unchanged up to 2023). Each LSOA 2021 is given the ward its
  representative point lies in (a best-fit lookup, not an official ONS one).
- Population is Census 2021 (usual residents on 21 March 2021) by LSOA 2021 in six age bands. The
  youngest band is 0-15; there is **no 0-17 band** in this source, so
  ``children_young_people = age_0_15 + age_16_24`` (children and young people up to 24, in line
  with transitional safeguarding to 25), not "children under 18".
- IMD 2019 is published by LSOA **2011**. 389 of the 394 LSOAs in the two areas kept their code in
  2021 and take their 2011 values directly. The 5 new Kirklees 2021 LSOAs replaced four retired 2011
  codes; by area of overlap (computed in EPSG:27700 on the bundled polygons, see
  :data:`NEW_LSOA21_IMD_SOURCE` and ``tests/test_geo_boundaries.py``):

  ========== ============= ========== ============== ===========================================
  LSOA 2021  name          LSOA 2011  name           overlap
  ========== ============= ========== ============== ===========================================
  E01034584  Kirklees 017F E01033542  Kirklees 017E  split: 99.5 % of the new LSOA
  E01034585  Kirklees 017G E01033542  Kirklees 017E  split: 99.7 %
  E01034586  Kirklees 030E E01011209  Kirklees 030C  split: 99.6 %
  E01034587  Kirklees 030F E01011209  Kirklees 030C  split: 99.7 %
  E01034588  Kirklees 053G E01011171  Kirklees 053C  merge: 76.5 % (+ 22.9 % E01011172, 053D)
  ========== ============= ========== ============== ===========================================

  A split LSOA inherits its parent's ranks and deciles; the merged E01034588 takes those of the
  2011 LSOA with the largest overlap (E01011171). The ``imd_lsoa11cd`` and ``imd_mapping`` columns
  of :attr:`StudyArea.imd` say which.

Examples
--------
>>> from geo.boundaries import load_area
>>> area = load_area("kirklees")
>>> area.lad_cd, len(area.lsoas), int(area.population["total"].sum())
('E08000034', 260, 433206)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coords import wgs84_to_bng
from geo.datasets import get_path
from geo.errors import ParameterError, SchemaError, UnreadableFileError
from geo.vocab import BNG_EPSG, WGS84_EPSG

#: Supported study areas: short name -> (LAD code, LAD name).
AREAS: Final[dict[str, tuple[str, str]]] = {
    "kirklees": ("E08000034", "Kirklees"),
    "solihull": ("E08000029", "Solihull"),
}

#: New LSOA 2021 code -> (LSOA 2011 code whose IMD 2019 values it takes, how it was mapped).
NEW_LSOA21_IMD_SOURCE: Final[dict[str, tuple[str, str]]] = {
    "E01034584": ("E01033542", "split"),
    "E01034585": ("E01033542", "split"),
    "E01034586": ("E01011209", "split"),
    "E01034587": ("E01011209", "split"),
    "E01034588": ("E01011171", "merge (largest overlap; also E01011172)"),
}

#: IMD 2019 source column -> column name in :attr:`StudyArea.imd`.
_IMD_RENAME: Final[dict[str, str]] = {
    "index_of_multiple_deprivation_imd_rank": "imd_rank",
    "index_of_multiple_deprivation_imd_decile": "imd_decile",
    "income_rank": "income_rank",
    "income_decile": "income_decile",
    "employment_rank": "employment_rank",
    "employment_decile": "employment_decile",
    "education_skills_and_training_rank": "education_rank",
    "education_skills_and_training_decile": "education_decile",
    "health_deprivation_and_disability_rank": "health_rank",
    "health_deprivation_and_disability_decile": "health_decile",
    "crime_rank": "crime_rank",
    "crime_decile": "crime_decile",
    "barriers_to_housing_and_services_rank": "barriers_rank",
    "barriers_to_housing_and_services_decile": "barriers_decile",
    "living_environment_rank": "living_environment_rank",
    "living_environment_decile": "living_environment_decile",
}

_AGE_BANDS: Final[tuple[str, ...]] = (
    "age_0_15",
    "age_16_24",
    "age_25_34",
    "age_35_49",
    "age_50_64",
    "age_65_plus",
)

#: A point inside the LA but in a gap between generalised polygons takes the nearest within this.
_SLIVER_M: Final[float] = 250.0

#: Area columns :func:`assign_areas` returns (and stored records carry).
AREA_COLUMNS: Final[tuple[str, ...]] = ("lsoa21cd", "ward_cd", "ward_nm", "lad_cd")

BoundaryLevel = Literal["lad", "ward", "lsoa", "other"]
_LEVEL_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "lad": ("lad_cd", "lad_nm"),
    "ward": ("ward_cd", "ward_nm"),
    "lsoa": ("lsoa21cd", "lsoa21nm"),
    "other": ("area_cd", "area_nm"),
}


@dataclass(frozen=True, eq=False)
class StudyArea:
    """One local authority's geography, population and deprivation, all in EPSG:27700.

    Attributes
    ----------
    name : str
        Short name (``"kirklees"``).
    lad_cd : str
        ONS local authority district code.
    outline : geopandas.GeoDataFrame
        One row: ``lad_cd``, ``lad_nm``, geometry.
    wards : geopandas.GeoDataFrame
        ``ward_cd``, ``ward_nm``, ``lad_cd``, geometry.
    lsoas : geopandas.GeoDataFrame
        LSOA 2021: ``lsoa21cd``, ``lsoa21nm``, ``ward_cd``, ``ward_nm`` (best fit), ``lad_cd``.
    population : geopandas.GeoDataFrame
        LSOA 2021 polygons with Census 2021 ``age_0_15`` ... ``age_65_plus``,
        ``children_young_people`` (= 0-15 + 16-24; no 0-17 band exists) and ``total``.
    imd : geopandas.GeoDataFrame
        LSOA 2021 polygons with IMD 2019 ranks and deciles (``imd_rank``, ``imd_decile``,
        ``crime_rank``, ``crime_decile``, ...; decile 1 = most deprived), plus ``imd_lsoa11cd``
        and ``imd_mapping`` (``unchanged``, ``split``, ``merge ...``).

    Examples
    --------
    >>> area = load_area("solihull")
    >>> area.name, area.polygon.geom_type in ("Polygon", "MultiPolygon")
    ('solihull', True)
    """

    name: str
    lad_cd: str
    outline: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    imd: gpd.GeoDataFrame

    @property
    def polygon(self) -> shapely.Geometry:
        """The LA outline as one shapely geometry (EPSG:27700)."""
        return self.outline.geometry.iloc[0]


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


def _check_area(area: str) -> tuple[str, str]:
    key = area.strip().lower()
    if key not in AREAS:
        raise ParameterError(f"unknown study area {area!r}; choose one of {', '.join(AREAS)}")
    return AREAS[key]


@lru_cache(maxsize=1)
def _all_lsoa21() -> gpd.GeoDataFrame:
    path = get_path("lsoa2021")
    raw = to_bng(gpd.read_file(path), source=str(path))
    lookup = pd.read_csv(get_path("lsoa2021_ward_lookup"), dtype=str)
    frame = raw.rename(columns={"LSOA21CD": "lsoa21cd", "LSOA21NM": "lsoa21nm", "LAD_CD": "lad_cd"})
    wards = lookup.rename(columns={"LSOA21CD": "lsoa21cd", "WD_CD": "ward_cd", "WD_NM": "ward_nm"})
    frame = frame.merge(wards[["lsoa21cd", "ward_cd", "ward_nm"]], on="lsoa21cd", how="left")
    cols = ["lsoa21cd", "lsoa21nm", "ward_cd", "ward_nm", "lad_cd", "geometry"]
    return gpd.GeoDataFrame(frame[cols], geometry="geometry", crs=BNG_EPSG)


def _imd_by_lsoa21(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    imd = pd.read_csv(get_path("imd2019"), dtype={"lsoa11_code": str})
    imd = imd.rename(columns=_IMD_RENAME).set_index("lsoa11_code")
    source = lsoas["lsoa21cd"].map(
        lambda code: NEW_LSOA21_IMD_SOURCE.get(code, (code, "unchanged"))[0]
    )
    mapping = lsoas["lsoa21cd"].map(
        lambda code: NEW_LSOA21_IMD_SOURCE.get(code, (code, "unchanged"))[1]
    )
    values = imd.reindex(source.to_numpy())[list(_IMD_RENAME.values())]
    values.index = lsoas.index
    out = lsoas[["lsoa21cd", "lsoa21nm", "geometry"]].copy()
    out["imd_lsoa11cd"] = source
    out["imd_mapping"] = mapping
    out = pd.concat([out, values.astype("Int64")], axis=1)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=BNG_EPSG)


@lru_cache(maxsize=8)
def load_area(area: str = "kirklees") -> StudyArea:
    """Load a study area's bundled geography, Census 2021 population and IMD 2019.

    Parameters
    ----------
    area : {"kirklees", "solihull"}
        Short name of the local authority.

    Returns
    -------
    StudyArea
        Cached; every frame is EPSG:27700 with a RangeIndex. Treat as read-only.

    Raises
    ------
    ParameterError
        For an unknown area.

    Examples
    --------
    >>> k = load_area("kirklees")
    >>> int(k.population["age_0_15"].sum()), len(k.wards)
    (86938, 23)
    >>> bool(k.imd["imd_decile"].notna().all())
    True
    """
    lad_cd, lad_nm = _check_area(area)
    name = area.strip().lower()

    outline_path = get_path("lad_outline")
    outline = to_bng(gpd.read_file(outline_path), source=str(outline_path))
    outline = outline.rename(columns={"LAD_CD": "lad_cd", "LAD_NM": "lad_nm"})
    outline = outline[outline["lad_cd"] == lad_cd][["lad_cd", "lad_nm", "geometry"]]
    outline = outline.reset_index(drop=True)

    wards_path = get_path("wards")
    wards = to_bng(gpd.read_file(wards_path), source=str(wards_path))
    wards = wards.rename(columns={"WD_CD": "ward_cd", "WD_NM": "ward_nm", "LAD_CD": "lad_cd"})
    wards = wards[wards["lad_cd"] == lad_cd][["ward_cd", "ward_nm", "lad_cd", "geometry"]]
    wards = wards.sort_values("ward_cd").reset_index(drop=True)

    lsoas = _all_lsoa21()
    lsoas = lsoas[lsoas["lad_cd"] == lad_cd].sort_values("lsoa21cd").reset_index(drop=True)

    pop = pd.read_csv(get_path("population_lsoa"), dtype={"lsoa21_code": str})
    pop = pop.rename(columns={"lsoa21_code": "lsoa21cd"})
    pop = pop[["lsoa21cd", *_AGE_BANDS, "total"]]
    population = lsoas.merge(pop, on="lsoa21cd", how="left", validate="one_to_one")
    population["children_young_people"] = population["age_0_15"] + population["age_16_24"]
    population = gpd.GeoDataFrame(population, geometry="geometry", crs=BNG_EPSG)

    return StudyArea(
        name=name,
        lad_cd=lad_cd,
        outline=gpd.GeoDataFrame(outline, geometry="geometry", crs=BNG_EPSG),
        wards=gpd.GeoDataFrame(wards, geometry="geometry", crs=BNG_EPSG),
        lsoas=gpd.GeoDataFrame(lsoas, geometry="geometry", crs=BNG_EPSG),
        population=population,
        imd=_imd_by_lsoa21(lsoas),
    )


def _first_hit(points: np.ndarray, polygons: gpd.GeoSeries) -> np.ndarray:
    """For each point, the positional index of the first polygon covering it, else -1."""
    hit = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return hit
    geoms = np.asarray(polygons.values, dtype=object)
    shapely.prepare(geoms)
    # Bounding-box candidates, then one vectorised test with prepared polygons: about 3x faster
    # than STRtree.query(predicate=...), which does not reuse the prepared geometries.
    pt_idx, poly_idx = shapely.STRtree(geoms).query(points)
    inside = shapely.intersects(geoms[poly_idx], points[pt_idx])
    pt_idx, poly_idx = pt_idx[inside], poly_idx[inside]
    if len(pt_idx):
        # Keep the lowest polygon index per point (deterministic at slivers/overlaps).
        order = np.lexsort((poly_idx, pt_idx))
        pt_sorted, poly_sorted = pt_idx[order], poly_idx[order]
        first = np.r_[True, pt_sorted[1:] != pt_sorted[:-1]]
        hit[pt_sorted[first]] = poly_sorted[first]
    return hit


@lru_cache(maxsize=8)
def _ward_covering_lsoa(area: StudyArea) -> np.ndarray:
    """Per LSOA (position), the position of the one ward covering it entirely, else -1."""
    wards = np.asarray(area.wards.geometry.values, dtype=object)
    lsoas = np.asarray(area.lsoas.geometry.values, dtype=object)
    out = np.full(len(lsoas), -1, dtype=np.int64)
    l_idx, w_idx = shapely.STRtree(wards).query(lsoas, predicate="intersects")
    touching = np.bincount(l_idx, minlength=len(lsoas))
    l_cov, w_cov = shapely.STRtree(wards).query(lsoas, predicate="covered_by")
    only = touching[l_cov] == 1  # covered by, and meeting no other ward's interior or edge
    out[l_cov[only]] = w_cov[only]
    return out


@lru_cache(maxsize=8)
def _outline_pieces(area: StudyArea, *, tile: float = 2000.0) -> np.ndarray:
    """The LA outline cut into ``tile``-metre squares (prepared): fast exact point-in-outline."""
    minx, miny, maxx, maxy = area.polygon.bounds
    xs = np.arange(minx, maxx + tile, tile)
    ys = np.arange(miny, maxy + tile, tile)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + tile, gy.ravel() + tile)
    pieces = shapely.intersection(area.polygon, boxes)
    pieces = pieces[~shapely.is_empty(pieces)]
    shapely.prepare(pieces)
    return np.asarray(pieces, dtype=object)


def assign_areas(points: gpd.GeoDataFrame, area: StudyArea) -> pd.DataFrame:
    """Find each point's LSOA 2021, ward and local authority.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Point geometries with a CRS (EPSG:27700, or WGS84 which is converted with OSTN15).
        Null or empty geometries get null areas.
    area : StudyArea
        From :func:`load_area`.

    Returns
    -------
    pandas.DataFrame
        Same index as ``points``; columns ``lsoa21cd, ward_cd, ward_nm, lad_cd``, null outside the
        study area. The ward is the ward polygon the point falls in; a point inside the LA outline
        that falls in a sliver between generalised polygons gets the nearest one (within 250 m).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> area = load_area("kirklees")
    >>> pts = gpd.GeoDataFrame(geometry=[Point(414400, 416400), Point(0, 0)], crs=27700,
    ...                        index=[10, 20])
    >>> assign_areas(pts, area)[["ward_nm", "lad_cd"]].to_dict("index")[10]
    {'ward_nm': 'Newsome', 'lad_cd': 'E08000034'}
    >>> assign_areas(pts, area).loc[20].isna().all()
    np.True_
    """
    if points.crs is None:
        raise SchemaError("points: no coordinate reference system (CRS) given")
    pts = to_bng(points) if points.crs.to_epsg() != BNG_EPSG else points
    geoms = np.asarray(pts.geometry.values, dtype=object)
    valid = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    good = geoms[valid]

    lsoa_hit = _first_hit(good, area.lsoas.geometry)
    # LSOAs tile the LA, so only points outside every LSOA need the (slower) outline test.
    in_la = lsoa_hit >= 0
    unknown = np.flatnonzero(~in_la)
    if len(unknown):
        pieces = _outline_pieces(area)
        pt_idx, piece_idx = shapely.STRtree(pieces).query(good[unknown])
        hit_piece = shapely.intersects(pieces[piece_idx], good[unknown][pt_idx])
        in_la[unknown[np.unique(pt_idx[hit_piece])]] = True
    # Points in an LSOA lying wholly inside one ward take that ward without a polygon test.
    cover = _ward_covering_lsoa(area)
    ward_hit = np.where(lsoa_hit >= 0, cover[np.maximum(lsoa_hit, 0)], -1)
    rest = np.flatnonzero(ward_hit < 0)
    ward_hit[rest] = _first_hit(good[rest], area.wards.geometry)

    columns: dict[str, np.ndarray] = {}
    for layer, hit, cols in (
        (area.lsoas, lsoa_hit, ("lsoa21cd",)),
        (area.wards, ward_hit, ("ward_cd", "ward_nm")),
    ):
        missing = np.flatnonzero((hit < 0) & in_la)
        if len(missing):
            tree = shapely.STRtree(layer.geometry.values)
            near_pt, near_poly = tree.query_nearest(
                good[missing], max_distance=_SLIVER_M, all_matches=False
            )
            hit[missing[near_pt]] = near_poly
        found = hit >= 0
        for col in cols:
            values = np.full(len(geoms), None, dtype=object)
            values[valid[found]] = layer[col].to_numpy(dtype=object)[hit[found]]
            columns[col] = values
    lad = np.full(len(geoms), None, dtype=object)
    lad[valid[in_la | (lsoa_hit >= 0)]] = area.lad_cd
    columns["lad_cd"] = lad
    return pd.DataFrame(
        {col: pd.array(columns[col], dtype="string") for col in AREA_COLUMNS},
        index=points.index,
    )


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
    >>> from geo.datasets import get_path
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
    >>> from geo.datasets import get_path
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
