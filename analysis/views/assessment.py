"""Regulation 46 location assessment: what happened around a children's home's location.

Children's homes must review the suitability of their location at least yearly (Children's Homes
(England) Regulations 2015, regulation 46), using local data. :func:`assess` gathers, for a point,
a radius (default 500 m; 250/1000/2000 offered) and a period (default the 12 months up to
``as_of``):

- concerns within the radius, by category (``not recorded`` for a missing one) and by calendar
  year, and their rate per km² against the borough rate per km² over the same period;
- missing episodes whose found or last-seen location lies within the radius (counted apart);
- hotspot areas that intersect the circle;
- venues by type with their distances, and schools;
- the IMD 2019 decile and crime-domain decile of the LSOA (2021) the point is in;
- data caveats (period, synthetic or real data, location precision mix).

**Radius edge**: a point exactly ``radius`` metres away counts (``distance <= radius``), the rule of
:mod:`analysis.views.proximity`. The period is ``(as_of - months, as_of]`` with ``as_of`` a whole
day.
The local rate divides by the part of the circle inside the study area (a home near the boundary
is not diluted by area where no records can be), and the borough rate divides the concerns inside
the study area by its area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from analysis.views.locations import ResolvedLocation as ResolvedLocation
from analysis.views.locations import parse_location as parse_location
from analysis.views.proximity import within_radius
from geo.errors import ParameterError
from geo.locate.coords import format_grid_ref
from geo.places.boundaries import StudyArea
from geo.vocab import BNG_EPSG, CATEGORIES

#: Radii offered in the app and CLI (metres); other positive values are accepted.
RADII: Final[tuple[int, ...]] = (250, 500, 1000, 2000)
DEFAULT_RADIUS: Final[int] = 500
DEFAULT_MONTHS: Final[int] = 12


@dataclass
class Assessment:
    """The result of :func:`assess` (numbers as attributes, tables as DataFrames)."""

    location: ResolvedLocation
    radius_m: float
    period_from: pd.Timestamp
    period_to: pd.Timestamp
    months: int
    concerns_total: int
    concerns_by_category: dict[str, int]
    concerns_by_year: dict[str, int]
    circle_km2: float
    rate_per_km2: float
    borough_concerns: int
    borough_km2: float
    borough_rate_per_km2: float
    missing_found: int
    missing_last_seen: int
    missing_either: int
    hotspots: pd.DataFrame
    venues: pd.DataFrame
    venues_by_type: dict[str, int]
    schools: pd.DataFrame
    lsoa21cd: str | None
    ward_nm: str | None
    imd_decile: int | None
    crime_decile: int | None
    precision_mix: dict[str, int]
    synthetic: bool | None
    caveats: list[str] = field(default_factory=list)

    @property
    def rate_ratio(self) -> float | None:
        """Local rate / borough rate (None when the borough rate is 0)."""
        if self.borough_rate_per_km2 <= 0:
            return None
        return self.rate_per_km2 / self.borough_rate_per_km2

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: counts are numbers (the ``csmap assess --out FILE.json`` content)."""
        loc = self.location
        return {
            "location": {
                "input": loc.text,
                "easting": round(loc.easting, 1),
                "northing": round(loc.northing, 1),
                "latitude": round(loc.latitude, 6),
                "longitude": round(loc.longitude, 6),
                "grid_ref": format_grid_ref(loc.easting, loc.northing, digits=8),
                "precision": loc.precision,
                "lsoa21cd": self.lsoa21cd,
                "ward_nm": self.ward_nm,
            },
            "radius_m": self.radius_m,
            "period": {
                "from": str(self.period_from.date()),
                "to": str(self.period_to.date()),
                "months": self.months,
                "rule": "reported after 'from' and on or before 'to'",
            },
            "concerns_total": self.concerns_total,
            "concerns_by_category": dict(self.concerns_by_category),
            "concerns_by_year": dict(self.concerns_by_year),
            "rate_per_km2": round(self.rate_per_km2, 3),
            "borough_rate_per_km2": round(self.borough_rate_per_km2, 3),
            "rate_ratio": None if self.rate_ratio is None else round(self.rate_ratio, 3),
            "circle_km2_in_area": round(self.circle_km2, 4),
            "missing_found": self.missing_found,
            "missing_last_seen": self.missing_last_seen,
            "missing_either": self.missing_either,
            "hotspots": int(len(self.hotspots)),
            "hotspot_list": _records(self.hotspots),
            "venues_by_type": dict(self.venues_by_type),
            "venues": _records(self.venues),
            "schools": _records(self.schools),
            "imd_decile": self.imd_decile,
            "crime_decile": self.crime_decile,
            "precision_mix": dict(self.precision_mix),
            "synthetic": self.synthetic,
            "caveats": list(self.caveats),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, float | np.floating) and not np.isfinite(value):
                clean[str(key)] = None
            elif isinstance(value, np.integer):
                clean[str(key)] = int(value)
            elif isinstance(value, np.floating):
                clean[str(key)] = float(value)
            elif value is None or value is pd.NA or value is pd.NaT:
                clean[str(key)] = None
            else:
                clean[str(key)] = (
                    value if isinstance(value, int | float | str | bool) else str(value)
                )
        out.append(clean)
    return out


def period_bounds(as_of: Any, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period ``(start, end]``: ``end`` is the last millisecond of ``as_of`` (default today).

    Examples
    --------
    >>> [str(t) for t in period_bounds("2024-12-31", 12)]
    ['2023-12-31 23:59:59.999000', '2024-12-31 23:59:59.999000']
    """
    end = pd.Timestamp.now().normalize() if as_of is None else pd.Timestamp(as_of).normalize()
    end = end + pd.Timedelta(days=1) - pd.Timedelta(milliseconds=1)
    start = end - pd.DateOffset(months=int(months))
    return pd.Timestamp(start), end


def _in_period(frame: pd.DataFrame, column: str, start: pd.Timestamp, end: pd.Timestamp) -> Any:
    if column not in frame.columns or len(frame) == 0:
        return np.zeros(len(frame), dtype=bool)
    d = pd.to_datetime(frame[column])
    return ((d > start) & (d <= end)).fillna(False).to_numpy(dtype=bool)


def _xy_points(frame: pd.DataFrame, prefix: str) -> gpd.GeoDataFrame:
    east = pd.to_numeric(frame[prefix + "easting"], errors="coerce").to_numpy(dtype=float)
    north = pd.to_numeric(frame[prefix + "northing"], errors="coerce").to_numpy(dtype=float)
    geoms = gpd.points_from_xy(east, north)
    geoms[np.isnan(east) | np.isnan(north)] = None
    return gpd.GeoDataFrame(geometry=geoms, index=frame.index, crs=BNG_EPSG)


def _distance_table(frame: gpd.GeoDataFrame, centre: Point, cols: list[str]) -> pd.DataFrame:
    dist = frame.geometry.distance(centre).round(1)
    out = pd.DataFrame({c: frame[c].to_numpy() for c in cols if c in frame.columns})
    out["distance_m"] = dist.to_numpy()
    return out.sort_values("distance_m", kind="stable").reset_index(drop=True)


def assess(
    location: ResolvedLocation,
    *,
    records: dict[str, gpd.GeoDataFrame],
    area: StudyArea,
    venues: gpd.GeoDataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    radius: float = DEFAULT_RADIUS,
    months: int = DEFAULT_MONTHS,
    as_of: Any = None,
    synthetic: bool | None = None,
) -> Assessment:
    """Assess one location (see the module notes for the rules).

    Parameters
    ----------
    location : ResolvedLocation
        From :func:`parse_location`.
    records : dict of str to GeoDataFrame
        Stored records by kind (``concerns``, ``missing_episodes``; missing kinds count 0).
    area : StudyArea
        The study area (outline, LSOAs with IMD).
    venues : GeoDataFrame, optional
        Venues (``venue_id, name, venue_type``; restricted venues should already be removed for
        roles that may not see them).
    hotspots : GeoDataFrame, optional
        Hotspot areas (:func:`analysis.views.proximity.hotspot_areas`).
    radius : float, default 500
        Metres (> 0); a record exactly on the radius counts.
    months : int, default 12
        Period length, ending on ``as_of`` (default today).
    as_of : date, optional
    synthetic : bool, optional
        Whether the store holds synthetic demo data (stated in the caveats).

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> from shapely.geometry import Point
    >>> area = load_area("kirklees")
    >>> c = gpd.GeoDataFrame({"reported_date": pd.to_datetime(["2024-05-01", "2024-05-02"]),
    ...     "category": ["CSE", "CCE"], "location_precision": "exact point",
    ...     "in_study_area": True},
    ...     geometry=[Point(414400, 416900), Point(414400, 416901)], crs=27700)
    >>> a = assess(parse_location("414400,416400"), records={"concerns": c}, area=area,
    ...            as_of="2024-12-31")
    >>> a.concerns_total, a.concerns_by_category["CSE"], a.concerns_by_category["CCE"]
    (1, 1, 0)
    """
    r = float(radius)
    if not math.isfinite(r) or r <= 0:
        raise ParameterError(f"radius must be a positive number of metres, got {radius!r}")
    if int(months) <= 0:
        raise ParameterError(f"months must be a positive whole number, got {months!r}")
    start, end = period_bounds(as_of, int(months))
    centre = (location.easting, location.northing)
    centre_pt = Point(*centre)
    circle = centre_pt.buffer(r, quad_segs=64)
    outline = area.polygon
    circle_km2 = float(shapely.area(shapely.intersection(circle, outline))) / 1e6
    borough_km2 = float(shapely.area(outline)) / 1e6

    concerns = records.get("concerns")
    if concerns is None or len(concerns) == 0:
        concerns = gpd.GeoDataFrame(
            {"reported_date": pd.Series([], dtype="M8[ms]"), "category": []},
            geometry=[],
            crs=BNG_EPSG,
        )
    period_mask = _in_period(concerns, "reported_date", start, end)
    near_mask = within_radius(concerns, centre=centre, radius=r)
    local = concerns[period_mask & near_mask]
    by_cat = (
        local["category"].astype(object).fillna("not recorded").value_counts()
        if len(local)
        else pd.Series(dtype="int64")
    )
    categories = {c: int(by_cat.get(c, 0)) for c in CATEGORIES}
    for extra in by_cat.index:
        if extra not in categories:
            categories[str(extra)] = int(by_cat[extra])
    years = pd.to_datetime(local["reported_date"]).dt.year.value_counts().sort_index()
    by_year = {str(int(y)): int(n) for y, n in years.items()}
    inside = (
        concerns["in_study_area"].fillna(False).to_numpy(dtype=bool)
        if "in_study_area" in concerns.columns
        else np.ones(len(concerns), dtype=bool)
    )
    borough = int((period_mask & inside).sum())
    precision = (
        local["location_precision"].astype(object).value_counts().to_dict()
        if "location_precision" in local.columns
        else {}
    )

    missing = records.get("missing_episodes")
    found = last_seen = either = 0
    if missing is not None and len(missing):
        m_period = _in_period(missing, "start", start, end)
        f_in = within_radius(_xy_points(missing, "found_"), centre=centre, radius=r)
        l_in = within_radius(_xy_points(missing, "last_seen_"), centre=centre, radius=r)
        found = int((m_period & f_in).sum())
        last_seen = int((m_period & l_in).sum())
        either = int((m_period & (f_in | l_in)).sum())

    hot = pd.DataFrame(columns=["hotspot_id", "n_events", "z", "distance_m"])
    if hotspots is not None and len(hotspots):
        hs = hotspots[hotspots.geometry.distance(centre_pt) <= r]
        hot = _distance_table(hs, centre_pt, ["hotspot_id", "method", "n_events", "z"])

    near_venues = pd.DataFrame(columns=["name", "venue_type", "source", "distance_m"])
    by_type: dict[str, int] = {}
    schools = near_venues.copy()
    if venues is not None and len(venues):
        vmask = within_radius(venues, centre=centre, radius=r)
        nv = venues[vmask]
        near_venues = _distance_table(nv, centre_pt, ["name", "venue_type", "source", "subtype"])
        by_type = {str(k): int(v) for k, v in near_venues["venue_type"].value_counts().items()}
        schools = near_venues[near_venues["venue_type"] == "school/college"].reset_index(drop=True)

    lsoa = imd = crime = ward = None
    imd_frame = area.imd
    hit = imd_frame[imd_frame.geometry.covers(centre_pt)]
    if len(hit):
        row = hit.iloc[0]
        lsoa = str(row["lsoa21cd"])
        imd = None if pd.isna(row.get("imd_decile")) else int(row["imd_decile"])
        crime = None if pd.isna(row.get("crime_decile")) else int(row["crime_decile"])
        wards = area.lsoas[area.lsoas["lsoa21cd"] == lsoa]
        ward = str(wards["ward_nm"].iloc[0]) if len(wards) else None

    result = Assessment(
        location=location,
        radius_m=r,
        period_from=start,
        period_to=end,
        months=int(months),
        concerns_total=len(local),
        concerns_by_category=categories,
        concerns_by_year=by_year,
        circle_km2=circle_km2,
        rate_per_km2=len(local) / circle_km2 if circle_km2 > 0 else 0.0,
        borough_concerns=borough,
        borough_km2=borough_km2,
        borough_rate_per_km2=borough / borough_km2 if borough_km2 > 0 else 0.0,
        missing_found=found,
        missing_last_seen=last_seen,
        missing_either=either,
        hotspots=hot,
        venues=near_venues,
        venues_by_type=by_type,
        schools=schools,
        lsoa21cd=lsoa,
        ward_nm=ward,
        imd_decile=imd,
        crime_decile=crime,
        precision_mix={str(k): int(v) for k, v in precision.items()},
        synthetic=synthetic,
    )
    result.caveats = caveats(result, area=area)
    if hotspots is not None and hotspots.attrs.get("note"):
        result.caveats.insert(2, str(hotspots.attrs["note"]))
    return result


def caveats(result: Assessment, *, area: StudyArea) -> list[str]:
    """The data caveats printed with an assessment."""
    out = [
        f"Period: concerns reported after {result.period_from.date()} and on or before "
        f"{result.period_to.date()} ({result.months} months); missing episodes by start date.",
        f"Radius {result.radius_m:g} m: a record exactly on the radius is counted.",
    ]
    if result.synthetic:
        out.append("SYNTHETIC DEMO DATA: no real child or event is represented.")
    elif result.synthetic is False:
        out.append("Real partnership records: only as complete as partners' recording.")
    else:
        out.append("Data source not marked as synthetic or real.")
    full = math.pi * (result.radius_m / 1000.0) ** 2
    if result.circle_km2 < 0.99 * full:
        out.append(
            f"Only {result.circle_km2:.2f} of {full:.2f} km² of the circle lies in "
            f"{area.name.title()}; records outside the study area are not held."
        )
    if result.precision_mix:
        mix = ", ".join(f"{k} {v}" for k, v in result.precision_mix.items())
        out.append(f"Location precision of the concerns counted: {mix}.")
        coarse = result.precision_mix.get("postcode centroid", 0)
        if coarse:
            out.append(
                f"{coarse} concern(s) are placed at a postcode centroid, which can be 100 m or "
                "more from the real place: counts near the radius edge are approximate."
            )
    out.append(
        "Venues: bundled OpenStreetMap (mid-2023, completeness varies), DfE GIAS schools and "
        "NaPTAN rail stations, plus any imported registers. IMD 2019 deciles (1 = most "
        "deprived) mapped to LSOA 2021."
    )
    if result.concerns_total and result.concerns_total < 5:
        out.append("Small numbers: fewer than 5 concerns; treat changes with caution.")
    return out


def period_hotspots(concerns: Any, *, area: Any, start: Any, end: Any) -> gpd.GeoDataFrame:
    """Gi* hot areas of the concerns reported in ``(start, end]`` (empty frame when none).

    Examples
    --------
    >>> len(period_hotspots(gpd.GeoDataFrame(geometry=[], crs=27700), area=None, start=None,
    ...                     end=None))
    0
    """
    from analysis.hotspots.registry import run as run_hotspots
    from analysis.views.proximity import hotspot_areas
    from geo.store.gpkg import points

    dates = pd.to_datetime(concerns["reported_date"]) if len(concerns) else None
    empty = gpd.GeoDataFrame(geometry=[], crs=27700)
    if dates is None:
        return hotspot_areas(empty)
    sel = concerns[((dates > start) & (dates <= end)).fillna(False).to_numpy()]
    pts = points(sel, "concerns")
    try:
        return hotspot_areas(run_hotspots(pts, method="gi", study_area=area))
    except ParameterError as exc:  # e.g. too few events for an automatic scale
        out = hotspot_areas(empty)
        out.attrs["note"] = f"Hotspots not computed: {exc}."
        return out


class AssessedLocation(NamedTuple):
    """What :func:`assess_location` returns: the assessment and the period's hotspot areas."""

    assessment: Assessment
    #: All hot areas of the period (:func:`period_hotspots`), for the report's map.
    hotspots: gpd.GeoDataFrame


def assess_location(
    location: ResolvedLocation,
    *,
    records: dict[str, gpd.GeoDataFrame],
    area: StudyArea,
    venues: gpd.GeoDataFrame | None = None,
    radius: float = DEFAULT_RADIUS,
    months: int = DEFAULT_MONTHS,
    as_of: Any = None,
    synthetic: bool | None = None,
) -> AssessedLocation:
    """The whole assessment: period, the period's Gi* hot areas, then :func:`assess`.

    The entry point for the app page and ``csmap assess``; parameters as for :func:`assess`
    (``records`` must hold ``concerns``).

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> none = gpd.GeoDataFrame({"reported_date": pd.to_datetime([])}, geometry=[], crs=27700)
    >>> result, hot = assess_location(parse_location("414400,416400"),
    ...     records={"concerns": none}, area=load_area("kirklees"), as_of="2024-12-31")
    >>> result.concerns_total, len(hot), str(result.period_to.date())
    (0, 0, '2024-12-31')
    """
    start, end = period_bounds(as_of, months)
    hot = period_hotspots(records["concerns"], area=area, start=start, end=end)
    result = assess(
        location,
        records=records,
        area=area,
        venues=venues,
        hotspots=hot,
        radius=radius,
        months=months,
        as_of=as_of,
        synthetic=synthetic,
    )
    return AssessedLocation(result, hot)
