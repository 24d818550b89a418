"""Bundled venues: OpenStreetMap points (Kirklees), schools (GIAS) and rail stations (NaPTAN).

:func:`load_bundled_venues` maps every bundled point to one of a small set of venue types
(:data:`VENUE_TYPES`), keeping the original category as ``subtype``.

Coverage differs by area (read :data:`VENUE_NOTES`, also in ``frame.attrs["notes"]``):

- **Kirklees**: OSM pubs, bars, nightclubs, social clubs, takeaways/restaurants/cafes, taxi ranks,
  bus stations, shopping areas and malls, parks, playgrounds and commons, gambling venues,
  community centres and libraries (OSM snapshot mid-2023, completeness varies), plus DfE GIAS open
  schools (May 2025) and NaPTAN rail stations inside the LA (2017; newer stations missing).
- **Solihull**: only schools and rail stations; no OSM venues are bundled for it.
- Neither area has hotels/guest houses or premises-licence registers; councils import their own.

OSM ``school`` and ``college`` points are left out in favour of the GIAS register (one record per
open establishment, with its URN), so schools are not counted twice. An OSM feature that appears in
two source layers is kept once.

Examples
--------
>>> from geo.places.venues import load_bundled_venues
>>> v = load_bundled_venues("kirklees")
>>> sorted(set(v["source"]))
['gias', 'naptan', 'osm']
>>> bool(v["venue_type"].isin(VENUE_TYPES).all())
True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import geopandas as gpd
import pandas as pd

from geo.errors import ParameterError
from geo.places.boundaries import AREAS, load_area, to_bng
from geo.places.datasets import get_path
from geo.vocab import BNG_EPSG

#: The venue types csmap uses (bundled venues and imported registers).
VENUE_TYPES: Final[tuple[str, ...]] = (
    "licensed premises",
    "takeaway/food",
    "taxi rank",
    "transport hub",
    "shopping centre",
    "park/playground",
    "gambling",
    "community centre",
    "school/college",
    "other",
)

#: OSM ``category`` -> venue type. Categories not listed map to ``"other"``.
OSM_CATEGORY_TYPES: Final[dict[str, str]] = {
    "pub": "licensed premises",
    "bar": "licensed premises",
    "nightclub": "licensed premises",
    "social_club": "licensed premises",
    "fast_food": "takeaway/food",
    "restaurant": "takeaway/food",
    "cafe": "takeaway/food",
    "taxi": "taxi rank",
    "bus_station": "transport hub",
    "mall": "shopping centre",
    "retail": "shopping centre",
    "marketplace": "shopping centre",
    "park": "park/playground",
    "playground": "park/playground",
    "common": "park/playground",
    "adult_gaming_centre": "gambling",
    "gambling": "gambling",
    "casino": "gambling",
    "community_centre": "community centre",
    "social_centre": "community centre",
    "library": "community centre",
    "sports_centre": "community centre",
}

#: OSM categories dropped because GIAS covers them.
_OSM_DROPPED: Final[frozenset[str]] = frozenset({"school", "college"})

#: What each area's bundled venues cover.
VENUE_NOTES: Final[dict[str, str]] = {
    "kirklees": (
        "OpenStreetMap venues (mid-2023 snapshot; completeness varies), DfE GIAS open schools "
        "(May 2025) and NaPTAN rail stations (2017). No hotels, guest houses or licence registers."
    ),
    "solihull": (
        "Only DfE GIAS open schools (May 2025) and NaPTAN rail stations (2017) are bundled: no "
        "OpenStreetMap venues, taxi ranks, bus stations, hotels or licence registers."
    ),
}

_COLUMNS: Final[list[str]] = ["venue_id", "name", "venue_type", "source", "subtype", "geometry"]


def _osm(lad_cd: str) -> gpd.GeoDataFrame:
    if lad_cd != AREAS["kirklees"][0]:
        return gpd.GeoDataFrame(columns=_COLUMNS, geometry="geometry", crs=BNG_EPSG)
    raw = gpd.read_file(get_path("osm_poi_points"))
    raw = raw[~raw["category"].isin(_OSM_DROPPED)]
    ref = raw["osm_ref"].astype(str).str.replace(r"\.0$", "", regex=True)
    frame = gpd.GeoDataFrame(
        {
            "venue_id": ("osm:" + ref).to_numpy(),
            "name": raw["name"].to_numpy(),
            "venue_type": raw["category"].map(OSM_CATEGORY_TYPES).fillna("other").to_numpy(),
            "source": "osm",
            "subtype": raw["category"].to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    frame = frame.drop_duplicates("venue_id", keep="first")
    return to_bng(frame, source="osm_poi_points")


def _schools(lad_nm: str) -> gpd.GeoDataFrame:
    raw = gpd.read_file(get_path("schools"))
    raw = raw[raw["la_name"] == lad_nm]
    subtype = raw["establishment_type"].astype(str)
    phase = raw["education_phase"].astype(str)
    subtype = subtype.where(phase.isin(["Not applicable", "nan"]), subtype + " (" + phase + ")")
    frame = gpd.GeoDataFrame(
        {
            "venue_id": ("gias:" + raw["urn"].astype(str)).to_numpy(),
            "name": raw["establishment_name"].to_numpy(),
            "venue_type": "school/college",
            "source": "gias",
            "subtype": subtype.to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    return to_bng(frame, source="schools")


def _stations(lad_cd: str) -> gpd.GeoDataFrame:
    raw = gpd.read_file(get_path("rail_stations"))
    inside = raw["inside_la"].astype(str).str.lower().isin(["true", "1"])
    raw = raw[inside & (raw["LAD_CD"] == lad_cd)]
    frame = gpd.GeoDataFrame(
        {
            "venue_id": ("naptan:" + raw["AtcoCode"].astype(str)).to_numpy(),
            "name": raw["StationName"].to_numpy(),
            "venue_type": "transport hub",
            "source": "naptan",
            "subtype": "rail_station",
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    return to_bng(frame, source="rail_stations")


@lru_cache(maxsize=4)
def _load(area: str) -> gpd.GeoDataFrame:
    lad_cd, lad_nm = AREAS[area]
    parts = [_osm(lad_cd), _schools(lad_nm), _stations(lad_cd)]
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out = gpd.GeoDataFrame(frame[_COLUMNS], geometry="geometry", crs=BNG_EPSG)
    # Keep only venues inside (or within 50 m of) the LA: the sources were clipped with
    # slightly different outlines.
    outline = load_area(area).polygon
    out = out[out.geometry.dwithin(outline, 50.0)].reset_index(drop=True)
    for col in ("venue_id", "name", "venue_type", "source", "subtype"):
        out[col] = out[col].astype("string")
    out.attrs["notes"] = VENUE_NOTES[area]
    return out


def load_bundled_venues(area: str = "kirklees") -> gpd.GeoDataFrame:
    """Load the bundled venues of a study area, each mapped to a venue type.

    Parameters
    ----------
    area : {"kirklees", "solihull"}
        Short area name (as :func:`geo.places.boundaries.load_area`).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700 points, RangeIndex, columns ``venue_id`` (unique; ``osm:node/...``,
        ``gias:<URN>``, ``naptan:<AtcoCode>``), ``name`` (may be null for OSM), ``venue_type``
        (one of :data:`VENUE_TYPES`), ``source`` (``osm``, ``gias``, ``naptan``), ``subtype``
        (the source category, e.g. ``fast_food``, ``rail_station``). ``attrs["notes"]`` says
        what the area's venues cover: Solihull has only schools and rail stations.
        A fresh copy on every call.

    Raises
    ------
    ParameterError
        For an unknown area.

    Examples
    --------
    >>> s = load_bundled_venues("solihull")
    >>> sorted(set(s["venue_type"]))
    ['school/college', 'transport hub']
    >>> "Only" in s.attrs["notes"]
    True
    """
    key = area.strip().lower()
    if key not in AREAS:
        raise ParameterError(f"unknown study area {area!r}; choose one of {', '.join(AREAS)}")
    out = _load(key).copy()
    out.attrs["notes"] = VENUE_NOTES[key]
    return out
