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
  :data:`NEW_LSOA21_IMD_SOURCE` and ``tests/geo/places/test_boundaries.py``):

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
>>> from geo.places.boundaries import load_area
>>> area = load_area("kirklees")
>>> area.lad_cd, len(area.lsoas), int(area.population["total"].sum())
('E08000034', 260, 433206)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.errors import ParameterError, SchemaError
from geo.places.boundaries_user import (
    BoundaryLevel,
    load_user_boundaries,
    load_user_population,
    to_bng,
)
from geo.places.datasets import get_path
from geo.vocab import BNG_EPSG

__all__ = [
    "AREAS",
    "AREA_COLUMNS",
    "NEW_LSOA21_IMD_SOURCE",
    "BoundaryLevel",
    "StudyArea",
    "assign_areas",
    "load_area",
    "load_user_boundaries",
    "load_user_population",
    "to_bng",
]

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
    outline["geometry"] = outline.geometry.map(_clean_outline)

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


#: Interior rings smaller than this (m2) in a dissolved LA outline are slivers between generalised
#: LSOA polygons, not real holes: an LA outline has no holes of its own at this scale.
SLIVER_HOLE_M2: float = 10_000.0


def _clean_outline(geom: shapely.Geometry) -> shapely.Geometry:
    """Repair a dissolved outline: make it valid and drop sliver holes under ``SLIVER_HOLE_M2``."""
    geom = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    cleaned = [
        shapely.Polygon(
            p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= SLIVER_HOLE_M2]
        )
        for p in parts
        if p.area > 0
    ]
    out = shapely.union_all(cleaned) if len(cleaned) > 1 else cleaned[0]
    return out if out.is_valid else shapely.make_valid(out)


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

    columns: dict[str, pd.api.extensions.ExtensionArray] = {}
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
        codes = np.full(len(geoms), -1, dtype=np.int64)
        codes[valid[found]] = hit[found]
        for col in cols:
            columns[col] = _take_text(layer[col].to_numpy(dtype=object), codes)
    lad = np.full(len(geoms), -1, dtype=np.int64)
    lad[valid[in_la | (lsoa_hit >= 0)]] = 0
    columns["lad_cd"] = _take_text(np.array([area.lad_cd], dtype=object), lad)
    return pd.DataFrame({col: columns[col] for col in AREA_COLUMNS}, index=points.index)


def _take_text(values: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[codes]`` as a ``string`` array (code -1 = missing), without per-row objects."""
    table = pa.array(values, type=pa.large_string(), from_pandas=True)
    taken = table.take(pa.array(codes, mask=codes < 0))
    return pd.arrays.ArrowStringArray(taken)
