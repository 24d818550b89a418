"""Children placed into the area: counts, rates, placing authorities, types, trend, distance,
context, and the placements' relation to hotspots (issue #6).

Definitions (also shown on the page and in the report):

Placed in by other councils
    A stored placement whose ``placing_authority`` is known and is not the study area's own LA
    (:func:`from_other_councils`). The area tables count placements located inside the area.
Rate per 10,000 children
    Placements / Census 2021 usual residents aged **0-15** (the ``age_0_15`` band of the bundled
    six-band table; no 0-17 band exists in it) x 10,000, by ward or LSOA 2021.
Region
    The placing authority's region from the DfE tables (:func:`geo.places.dfe.la_regions`).
Distance from home
    The bundled tables hold no coordinates for other LAs, so a distance to the placing
    authority's *area* cannot be computed honestly and is not attempted. Instead, where a
    placement carries its SSDA903 home postcode (``HOME_POST`` in ``extra``, or a
    ``home_postcode`` column) and a postcode lookup is configured, the straight-line distance
    from the home postcode centroid to the placement point is measured; the share over 20 miles
    (32,186.88 m) is compared with England's share at 31 March
    (:func:`geo.places.dfe.national_distance_share`; the national figure is a stock, ours the
    placements
    given, so the comparison is indicative).
Hotspot relation
    Each located placement is ``within hotspot`` (inside a hotspot polygon), ``within 500 m``
    (outside every hotspot but within ``buffer_m`` of one) or ``further``
    (:func:`hotspot_relation`).

Board outputs: every count goes through :func:`analysis.disclosure.tables.controlled` with the
board's
:class:`~analysis.disclosure.control.DisclosurePolicy` (counts 1-4 suppressed, secondary
suppression).
"""

from __future__ import annotations

import json
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import (
    TOTAL_LABEL,
    cell_keys_for,
    controlled,
    distinct_children,
    distinct_children_2d,
    quarter_label,
    shown_order,
    sorted_by_shown,
)
from geo.errors import ParameterError
from geo.locate.geocode import Lookups
from geo.places.boundaries import StudyArea
from geo.places.dfe import la_regions, national_distance_share

__all__ = [
    "MILES_20_M",
    "area_population",
    "by_placing_authority",
    "by_quarter",
    "by_region",
    "by_type",
    "counts_by_area",
    "distance_summary",
    "from_other_councils",
    "home_distance",
    "hotspot_relation",
]

Level = Literal["ward", "lsoa"]
#: 20 miles in metres.
MILES_20_M: Final[float] = 20 * 1609.344
_LEVEL_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "ward": ("ward_cd", "ward_nm"),
    "lsoa": ("lsoa21cd", "lsoa21nm"),
}


def _check_level(level: str) -> tuple[str, str]:
    if level not in _LEVEL_COLUMNS:
        raise ParameterError(f"level must be 'ward' or 'lsoa', not {level!r}")
    return _LEVEL_COLUMNS[level]


def from_other_councils(placements: pd.DataFrame, *, lad_cd: str) -> pd.Series:
    """Mask of placements made by another council (placing authority known and not ``lad_cd``).

    Examples
    --------
    >>> f = pd.DataFrame({"placing_authority": ["E08000035", "E08000034", None]})
    >>> from_other_councils(f, lad_cd="E08000034").tolist()
    [True, False, False]
    """
    pa = placements.get("placing_authority")
    if pa is None:
        return pd.Series(False, index=placements.index)
    text = pa.astype("string")
    return (text.notna() & (text.str.strip() != "") & (text != lad_cd)).fillna(False).astype(bool)


def area_population(area: StudyArea, *, level: Level = "ward") -> pd.DataFrame:
    """Census 2021 children aged 0-15 per ward or LSOA of the study area.

    Returns
    -------
    pandas.DataFrame
        Index the area code; columns ``name``, ``children_0_15``.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> pop = area_population(load_area("kirklees"), level="ward")
    >>> total = int(load_area("kirklees").population["age_0_15"].sum())
    >>> len(pop), int(pop["children_0_15"].sum()) == total
    (23, True)
    """
    code, name = _check_level(level)
    pop = pd.DataFrame(area.population.drop(columns="geometry"))
    grouped = pop.groupby([code, name])["age_0_15"].sum().reset_index()
    out = grouped.set_index(code).rename(columns={name: "name", "age_0_15": "children_0_15"})
    out.index.name = code
    return out.sort_index()


def counts_by_area(
    placements: pd.DataFrame,
    *,
    area: StudyArea,
    level: Level = "ward",
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Placements and the rate per 10,000 children aged 0-15 by ward or LSOA (every area listed).

    Parameters
    ----------
    placements : DataFrame
        Stored placements (with ``ward_cd`` / ``lsoa21cd``).
    area : StudyArea
    level : {"ward", "lsoa"}
    policy : DisclosurePolicy, optional
        Board disclosure control (``None`` for analysts).

    Returns
    -------
    pandas.DataFrame
        Index the area code (plus ``"Total"``); columns ``name, placements, placements_display,
        children_0_15, rate_per_10k``.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> area = load_area("kirklees")
    >>> recs = pd.DataFrame({"ward_cd": ["E05001389"] * 6})
    >>> t = counts_by_area(recs, area=area)
    >>> int(t.loc["E05001389", "placements"]), int(t.loc["Total", "placements"])
    (6, 6)
    """
    code, _ = _check_level(level)
    pop = area_population(area, level=level)
    column = placements[code] if code in placements.columns else pd.Series(dtype=object)
    counts = column.dropna().astype(str).value_counts()
    table = pop.copy()
    table["placements"] = counts.reindex(table.index).fillna(0).astype(int)
    table = table[["name", "placements", "children_0_15"]]
    out = controlled(
        table,
        count="placements",
        policy=policy,
        rates=[("rate_per_10k", "children_0_15", 10_000.0)],
        children=distinct_children(placements, column) if code in placements.columns else None,
        keys=cell_keys_for(policy, placements, column, like=table)
        if code in placements.columns
        else None,
    )
    out.loc["Total", "name"] = "Total (inside the area)"
    return out


def _grouped(
    values: pd.Series,
    *,
    name: str,
    policy: DisclosurePolicy | None,
    order: list[str] | None,
    records: pd.DataFrame | None = None,
) -> pd.DataFrame:
    labels = values.fillna("(not recorded)").astype(str)
    counts = labels.value_counts()
    if order is not None:
        counts = counts.reindex(order + [i for i in counts.index if i not in order]).fillna(0)
    table = counts.astype(int).rename("placements").to_frame()
    table.index.name = name
    kids = None if records is None else distinct_children(records, labels)
    keys = None if records is None else cell_keys_for(policy, records, labels, like=table)
    return controlled(table, count="placements", policy=policy, children=kids, keys=keys)


def by_placing_authority(
    placements: pd.DataFrame, *, top: int = 10, policy: DisclosurePolicy | None = None
) -> pd.DataFrame:
    """Placements by placing authority: the ``top`` LAs by count, the rest as ``"Other LAs"``.

    Returns
    -------
    pandas.DataFrame
        Index the LA code (or ``"Other LAs"``, ``"Total"``); columns ``la_name, region_name,
        placements, placements_display``.

    Examples
    --------
    >>> f = pd.DataFrame({"placing_authority": ["E08000035"] * 3 + ["E08000036"]})
    >>> by_placing_authority(f, top=1).loc[:, "placements"].tolist()
    [3, 1, 4]
    """
    if top < 1:
        raise ParameterError(f"top must be at least 1, not {top!r}")
    counts = placements["placing_authority"].dropna().astype(str).value_counts()
    # the top LAs and their order come from the shown (perturbed, suppressed) counts: ranking by
    # the true counts would tell which of two shown values, or a hidden one, is really larger
    shown = counts
    if policy is not None:
        every = counts.rename("placements").to_frame()
        every.index.name = "placing_authority"
        codes_all = placements["placing_authority"].astype("string").astype(object)
        shown = controlled(
            every,
            count="placements",
            policy=policy,
            total=False,
            children=distinct_children(placements, codes_all),
            keys=cell_keys_for(policy, placements, codes_all, like=every),
        )["placements"]
    counts = counts.loc[shown_order(shown)]
    head = counts.iloc[:top]
    rest = int(counts.iloc[top:].sum())
    table = head.rename("placements").to_frame()
    if rest:
        table.loc["Other LAs", "placements"] = rest
    table["placements"] = table["placements"].astype(int)
    regions = la_regions().set_index("la_code")
    table.insert(0, "la_name", regions["la_name"].reindex(table.index).fillna(""))
    table.insert(1, "region_name", regions["region_name"].reindex(table.index).fillna(""))
    table.index.name = "placing_authority"
    codes = placements["placing_authority"].astype("string")
    grouped = codes.where(codes.isin(list(head.index)) | codes.isna(), "Other LAs")
    kids = distinct_children(placements, grouped.astype(object))
    keys = cell_keys_for(policy, placements, grouped.astype(object), like=table)
    out = controlled(table, count="placements", policy=policy, children=kids, keys=keys)
    return sorted_by_shown(out, count="placements", last=("Other LAs", TOTAL_LABEL))


def by_region(placements: pd.DataFrame, *, policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Placements by the placing authority's region (DfE region names).

    Examples
    --------
    >>> f = pd.DataFrame({"placing_authority": ["E08000035", "E09000001", None]})
    >>> t = by_region(f)["placements"]
    >>> [int(t[k]) for k in ("Inner London", "Yorkshire and The Humber", "(not recorded)", "Total")]
    [1, 1, 1, 3]
    """
    regions = la_regions().set_index("la_code")["region_name"]
    region = placements["placing_authority"].map(regions)
    return _grouped(
        region, name="region", policy=policy, order=sorted(regions.unique()), records=placements
    )


def by_type(placements: pd.DataFrame, *, policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Placements by placement type and provider type (a 2-D table with totals).

    Returns
    -------
    pandas.DataFrame
        Rows placement type, columns provider type, plus ``Total`` row and column; counts as
        display text when ``policy`` is given, integers otherwise.

    Examples
    --------
    >>> f = pd.DataFrame({"placement_type": ["foster care"] * 2, "provider_type": ["PR4", "PR5"]})
    >>> int(by_type(f).loc["Total", "Total"])
    2
    """
    pt = placements["placement_type"].fillna("(not recorded)").astype(str)
    pv = placements["provider_type"].fillna("(not recorded)").astype(str)
    table = pd.crosstab(pt, pv)
    table.index.name = "placement_type"
    table.columns.name = "provider_type"
    if policy is None:
        out = table.copy()
        out["Total"] = out.sum(axis=1)
        out.loc["Total"] = out.sum(axis=0)
        return out
    kids = distinct_children_2d(placements, pt, pv, like=table)
    keys = policy.keys(placements, pt, pv, like=table)
    return policy.table(table, totals="both", children=kids, keys=keys).display


def by_quarter(placements: pd.DataFrame, *, policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Placements starting in each calendar quarter (every quarter in the span listed).

    Examples
    --------
    >>> f = pd.DataFrame({"start_date": pd.to_datetime(["2024-01-05", "2024-08-01"])})
    >>> by_quarter(f)["placements"].to_dict()
    {'2024-Q1': 1, '2024-Q2': 0, '2024-Q3': 1, 'Total': 2}
    """
    start = pd.to_datetime(placements["start_date"], errors="coerce").dropna()
    if start.empty:
        table = pd.DataFrame({"placements": pd.Series(dtype=int)})
    else:
        periods = pd.period_range(start.min().to_period("Q"), start.max().to_period("Q"), freq="Q")
        labels = [f"{p.year}-Q{p.quarter}" for p in periods]
        counts = quarter_label(start).value_counts().reindex(labels).fillna(0).astype(int)
        table = counts.rename("placements").to_frame()
    table.index.name = "quarter"
    kids = distinct_children(placements.loc[start.index], quarter_label(start))
    keys = cell_keys_for(policy, placements.loc[start.index], quarter_label(start), like=table)
    return controlled(table, count="placements", policy=policy, children=kids, keys=keys)


def _home_postcodes(placements: pd.DataFrame) -> pd.Series:
    if "home_postcode" in placements.columns:
        return placements["home_postcode"].astype("string")
    if "extra" not in placements.columns:
        return pd.Series(pd.NA, index=placements.index, dtype="string")

    def pick(text: object) -> object:
        if not isinstance(text, str) or not text.strip():
            return pd.NA
        try:
            data = json.loads(text)
        except ValueError:
            return pd.NA
        value = data.get("HOME_POST") if isinstance(data, dict) else None
        return value if isinstance(value, str) and value.strip() else pd.NA

    return placements["extra"].map(pick).astype("string")


def home_distance(placements: gpd.GeoDataFrame, *, lookups: Lookups | None) -> pd.DataFrame:
    """Straight-line distance from the SSDA903 home postcode to each placement.

    Parameters
    ----------
    placements : GeoDataFrame
        Stored placements (EPSG:27700); the home postcode comes from ``home_postcode`` or
        ``HOME_POST`` inside ``extra``.
    lookups : Lookups or None
        The configured postcode lookup; without one every distance is unknown.

    Returns
    -------
    pandas.DataFrame
        Same index; ``home_postcode``, ``distance_km`` (NaN when unknown), ``over_20_miles``
        (nullable boolean), ``distance_note`` (why unknown).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from geo.locate.geocode import PostcodeLookup
    >>> lk = Lookups(postcode=PostcodeLookup.from_csv("tests/fixtures/ssda903/postcodes.csv"))
    >>> g = gpd.GeoDataFrame({"home_postcode": ["ZZ9 9HB"]}, geometry=[Point(414600, 416600)],
    ...                      crs=27700)
    >>> d = home_distance(g, lookups=lk)
    >>> round(float(d.loc[0, "distance_km"]), 1), bool(d.loc[0, "over_20_miles"])
    (35.8, True)
    """
    home = _home_postcodes(placements)
    out = pd.DataFrame(index=placements.index)
    out["home_postcode"] = home
    distance = np.full(len(placements), np.nan)
    note = np.where(home.isna().to_numpy(), "no home postcode", "").astype(object)
    if lookups is None or lookups.postcode is None:
        note[home.notna().to_numpy()] = "no postcode lookup configured"
    elif home.notna().any():
        got = lookups.postcode.lookup(home.fillna("").astype(str))
        east = pd.to_numeric(got["easting"], errors="coerce").to_numpy(dtype=float)
        north = pd.to_numeric(got["northing"], errors="coerce").to_numpy(dtype=float)
        geom = placements.geometry
        has_point = (~geom.isna() & ~geom.is_empty).to_numpy()
        px = np.where(has_point, geom.x.where(has_point, np.nan), np.nan)
        py = np.where(has_point, geom.y.where(has_point, np.nan), np.nan)
        distance = np.hypot(east - px, north - py)
        unresolved = home.notna().to_numpy() & np.isnan(east)
        note[unresolved] = "home postcode not in the lookup"
        note[home.notna().to_numpy() & ~np.isnan(east) & ~has_point] = "placement has no location"
    out["distance_km"] = distance / 1000.0
    over = pd.Series(distance > MILES_20_M, index=placements.index, dtype="boolean")
    out["over_20_miles"] = over.mask(np.isnan(distance))
    out["distance_note"] = note
    return out


def distance_summary(
    placements: gpd.GeoDataFrame,
    *,
    lookups: Lookups | None,
    policy: DisclosurePolicy | None = None,
    national_year: int | None = None,
) -> pd.DataFrame:
    """Share of placements over 20 miles from home beside England's share at 31 March.

    Returns
    -------
    pandas.DataFrame
        Rows ``distance known``, ``over 20 miles``, ``20 miles or less``, ``distance not known``
        with ``placements`` (controlled) and ``share`` (of known), plus rows for England's
        published shares (``share`` only).

    Examples
    --------
    >>> import geopandas as gpd
    >>> g = gpd.GeoDataFrame({"home_postcode": [None]}, geometry=[None], crs=27700)
    >>> int(distance_summary(g, lookups=None).loc["distance not known", "placements"])
    1
    """
    d = home_distance(placements, lookups=lookups)
    known = d["distance_km"].notna()
    is_over = (d["over_20_miles"] == True).to_numpy(dtype=bool, na_value=False)  # noqa: E712
    over = int(is_over.sum())
    groups = ["over 20 miles", "20 miles or less", "distance not known"]
    table = pd.DataFrame(
        {"placements": [over, int(known.sum()) - over, int((~known).sum())]},
        index=pd.Index(groups, name="group"),
    )
    labels = np.where(is_over, groups[0], np.where(known.to_numpy(), groups[1], groups[2]))
    kids = distinct_children(placements, pd.Series(labels, index=placements.index))
    keys = cell_keys_for(policy, placements, pd.Series(labels, index=placements.index), like=table)
    out = controlled(table, count="placements", policy=policy, children=kids, keys=keys)
    shown = out["placements"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    n_known = shown[0] + shown[1]
    share = np.full(len(out), np.nan)
    if np.isfinite(n_known) and n_known > 0:
        share[:2] = shown[:2] / n_known
    out["share"] = share
    nat = national_distance_share().set_index("year")
    year = int(nat.index.max()) if national_year is None else int(national_year)
    if year not in nat.index:
        raise ParameterError(f"no national distance figures for {year}")
    england = pd.DataFrame(
        {
            "share": [
                float(nat["share_over_20_known"].loc[year]),
                float(nat["share_over_20"].loc[year]),
            ]
        },
        index=[
            f"England {year}: over 20 miles (of known)",
            f"England {year}: over 20 miles (of all, published)",
        ],
    )
    return pd.concat([out, england])


def hotspot_relation(
    placements: gpd.GeoDataFrame,
    hotspots: gpd.GeoDataFrame,
    *,
    buffer_m: float = 500.0,
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """How many located placements lie within a hotspot, within ``buffer_m`` of one, or further.

    Parameters
    ----------
    placements : GeoDataFrame
        Placement points (EPSG:27700); rows without geometry are counted as ``no location``.
    hotspots : GeoDataFrame
        Hotspot polygons (e.g. the ``label == "hot"`` rows of
        :func:`analysis.hotspots.registry.run`).
    buffer_m : float, default 500
    policy : DisclosurePolicy, optional

    Returns
    -------
    pandas.DataFrame
        Rows ``within hotspot``, ``within 500 m``, ``further``, ``no location`` (+ ``Total``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> hs = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=27700)
    >>> pts = gpd.GeoDataFrame(geometry=[Point(50, 50), Point(400, 50), Point(900, 50)], crs=27700)
    >>> hotspot_relation(pts, hs)["placements"].tolist()
    [1, 1, 1, 0, 3]
    """
    if buffer_m < 0:
        raise ParameterError(f"buffer_m must be >= 0, not {buffer_m!r}")
    geom = placements.geometry
    located = (~geom.isna() & ~geom.is_empty).to_numpy()
    inside = np.zeros(len(placements), dtype=bool)
    near = np.zeros(len(placements), dtype=bool)
    polys = hotspots.geometry[~hotspots.geometry.isna()] if len(hotspots) else None
    if polys is not None and len(polys) and located.any():
        union = polys.union_all()
        pts = geom[located]
        inside[located] = pts.within(union).to_numpy() | pts.intersects(union).to_numpy()
        near[located] = pts.distance(union).to_numpy() <= buffer_m
    near &= ~inside
    label = f"within {buffer_m:g} m"
    table = pd.DataFrame(
        {
            "placements": [
                int(inside.sum()),
                int(near.sum()),
                int((located & ~inside & ~near).sum()),
                int((~located).sum()),
            ]
        },
        index=pd.Index(["within hotspot", label, "further", "no location"], name="relation"),
    )
    where = np.select(
        [inside, near, located], ["within hotspot", label, "further"], default="no location"
    )
    kids = distinct_children(placements, pd.Series(where, index=placements.index))
    keys = cell_keys_for(policy, placements, pd.Series(where, index=placements.index), like=table)
    return controlled(table, count="placements", policy=policy, children=kids, keys=keys)
