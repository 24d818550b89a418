"""Where synthetic demo events happen: real geography, synthetic points.

Helpers for :mod:`geo.demo.records`. Every point they produce is synthetic; only the geography they
are
drawn on (LSOA polygons, Census population, IMD, bundled venues, town centres) is real.
All functions take an explicit :class:`numpy.random.Generator` and are vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import shapely

from geo.locate.coords import wgs84_to_bng
from geo.places.boundaries import StudyArea
from geo.places.venues import load_bundled_venues

#: Town centres (name, longitude, latitude) per area: concerns and found locations gather there.
TOWN_CENTRES: Final[dict[str, tuple[tuple[str, float, float], ...]]] = {
    "kirklees": (
        ("Huddersfield town centre", -1.7850, 53.6458),
        ("Dewsbury town centre", -1.6300, 53.6910),
        ("Batley town centre", -1.6340, 53.7160),
    ),
    "solihull": (
        ("Solihull town centre", -1.7780, 52.4128),
        ("Chelmsley Wood town centre", -1.7339, 52.4806),
        ("Shirley town centre", -1.8185, 52.4085),
    ),
}

#: Relative size of each town centre (same order as :data:`TOWN_CENTRES`).
TOWN_WEIGHTS: Final[tuple[float, float, float]] = (0.55, 0.3, 0.15)

#: Places outside the area where a missing child may be found (name, longitude, latitude).
ELSEWHERE: Final[dict[str, tuple[tuple[str, float, float], ...]]] = {
    "kirklees": (
        ("Leeds city centre", -1.5437, 53.7960),
        ("Bradford city centre", -1.7520, 53.7940),
        ("Manchester Piccadilly", -2.2309, 53.4774),
        ("Wakefield city centre", -1.4977, 53.6830),
    ),
    "solihull": (
        ("Birmingham New Street", -1.8990, 52.4778),
        ("Coventry city centre", -1.5120, 52.4080),
        ("Walsall town centre", -1.9820, 52.5860),
        ("Wolverhampton city centre", -2.1270, 52.5870),
    ),
}

#: Venue type -> concern ``location_type`` (see :data:`geo.vocab.LOCATION_TYPES`).
VENUE_TO_LOCATION_TYPE: Final[dict[str, str]] = {
    "licensed premises": "licensed premises",
    "takeaway/food": "takeaway/food",
    "taxi rank": "transport hub",
    "transport hub": "transport hub",
    "shopping centre": "shop/shopping centre",
    "park/playground": "park",
    "gambling": "other",
    "community centre": "other",
    "school/college": "school/college",
    "other": "other",
}

#: How strongly each venue type attracts concerns (per venue, before the venue's own draw).
VENUE_TYPE_PULL: Final[dict[str, float]] = {
    "takeaway/food": 3.0,
    "park/playground": 2.0,
    "transport hub": 8.0,
    "taxi rank": 4.0,
    "licensed premises": 1.2,
    "shopping centre": 1.5,
    "gambling": 1.5,
    "community centre": 0.6,
    "school/college": 0.8,
    "other": 0.0,
}


@dataclass(frozen=True, eq=False)
class Places:
    """Real geography prepared for sampling (all coordinates EPSG:27700 metres)."""

    area: StudyArea
    lsoa_geoms: np.ndarray
    lsoa_cyp: np.ndarray
    lsoa_total: np.ndarray
    lsoa_imd_decile: np.ndarray
    venue_xy: np.ndarray
    venue_type: np.ndarray
    venue_name: np.ndarray
    town_xy: np.ndarray
    town_name: np.ndarray
    elsewhere_xy: np.ndarray
    elsewhere_name: np.ndarray


def _lonlat_table(rows: tuple[tuple[str, float, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    e, n = wgs84_to_bng(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    return np.column_stack([e, n]), np.array([r[0] for r in rows], dtype=object)


def prepare_places(area: StudyArea) -> Places:
    """Collect the real geography the demo generator samples from.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> p = prepare_places(load_area("kirklees"))
    >>> len(p.lsoa_geoms), p.town_xy.shape
    (260, (3, 2))
    """
    pop = area.population.set_index("lsoa21cd")
    imd = area.imd.set_index("lsoa21cd")
    codes = area.lsoas["lsoa21cd"].to_numpy()
    venues = load_bundled_venues(area.name)
    town_xy, town_name = _lonlat_table(TOWN_CENTRES[area.name])
    else_xy, else_name = _lonlat_table(ELSEWHERE[area.name])
    return Places(
        area=area,
        lsoa_geoms=np.asarray(area.lsoas.geometry.values, dtype=object),
        lsoa_cyp=pop.loc[codes, "children_young_people"].to_numpy(dtype=float),
        lsoa_total=pop.loc[codes, "total"].to_numpy(dtype=float),
        lsoa_imd_decile=imd.loc[codes, "imd_decile"].to_numpy(dtype=float),
        venue_xy=shapely.get_coordinates(venues.geometry.values),
        venue_type=venues["venue_type"].to_numpy(dtype=object),
        venue_name=venues["name"].astype(object).where(venues["name"].notna(), None).to_numpy(),
        town_xy=town_xy,
        town_name=town_name,
        elsewhere_xy=else_xy,
        elsewhere_name=else_name,
    )


def points_in_lsoas(
    rng: np.random.Generator, places: Places, *, weights: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` uniform points inside LSOAs chosen with probability proportional to ``weights``.

    Returns the ``(n, 2)`` coordinates and each point's LSOA position.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> p = prepare_places(load_area("solihull"))
    >>> xy, which = points_in_lsoas(np.random.default_rng(1), p, weights=p.lsoa_cyp, n=50)
    >>> bool(shapely.contains_xy(p.area.polygon, xy[:, 0], xy[:, 1]).all())
    True
    """
    prob = np.asarray(weights, dtype=float)
    prob = prob / prob.sum()
    which = rng.choice(len(prob), size=n, p=prob)
    xy = np.empty((n, 2))
    order = np.argsort(which, kind="stable")
    counts = np.bincount(which, minlength=len(prob))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    for k in np.flatnonzero(counts):
        geom = places.lsoa_geoms[k]
        minx, miny, maxx, maxy = geom.bounds
        need = int(counts[k])
        got: list[np.ndarray] = []
        have = 0
        fill = max(shapely.area(geom) / ((maxx - minx) * (maxy - miny)), 0.05)
        while have < need:
            m = int((need - have) / fill * 1.3) + 8
            cand = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
            cand = cand[shapely.contains_xy(geom, cand[:, 0], cand[:, 1])]
            got.append(cand)
            have += len(cand)
        xy[order[starts[k] : starts[k] + need]] = np.concatenate(got)[:need]
    return xy, which


def venue_weights(rng: np.random.Generator, places: Places) -> np.ndarray:
    """Per-venue attraction: type pull x a heavy-tailed venue draw x nearness to a town centre.

    A few venues get most of the weight, as real hotspots do.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> p = prepare_places(load_area("kirklees"))
    >>> w = venue_weights(np.random.default_rng(0), p)
    >>> len(w) == len(p.venue_xy), bool((w >= 0).all())
    (True, True)
    """
    pull = np.array([VENUE_TYPE_PULL.get(t, 0.0) for t in places.venue_type])
    own = rng.lognormal(mean=0.0, sigma=1.3, size=len(pull))
    if len(places.venue_xy):
        d = np.min(
            np.hypot(
                places.venue_xy[:, None, 0] - places.town_xy[None, :, 0],
                places.venue_xy[:, None, 1] - places.town_xy[None, :, 1],
            ),
            axis=1,
        )
    else:
        d = np.zeros(0)
    return pull * own * (1.0 + 4.0 * np.exp(-d / 1200.0))


def near_venues(
    rng: np.random.Generator, places: Places, *, weights: np.ndarray, n: int, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points around venues chosen by ``weights`` (Gaussian offset ``sigma`` metres,
    kept inside the LA).

    Returns coordinates and the chosen venue positions.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> p = prepare_places(load_area("kirklees"))
    >>> rng = np.random.default_rng(0)
    >>> xy, which = near_venues(rng, p, weights=venue_weights(rng, p), n=5, sigma=30.0)
    >>> xy.shape, len(which)
    ((5, 2), 5)
    """
    prob = weights / weights.sum()
    which = rng.choice(len(prob), size=n, p=prob)
    xy = _jitter_inside(rng, places, places.venue_xy[which], sigma=sigma)
    return xy, which


def near_towns(
    rng: np.random.Generator, places: Places, *, n: int, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points around the area's town centres (weights :data:`TOWN_WEIGHTS`), inside
    the LA.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> p = prepare_places(load_area("kirklees"))
    >>> xy, which = near_towns(np.random.default_rng(0), p, n=4, sigma=200.0)
    >>> bool(shapely.contains_xy(p.area.polygon, xy[:, 0], xy[:, 1]).all())
    True
    """
    which = rng.choice(len(places.town_xy), size=n, p=np.array(TOWN_WEIGHTS))
    xy = _jitter_inside(rng, places, places.town_xy[which], sigma=sigma)
    return xy, which


def _jitter_inside(
    rng: np.random.Generator, places: Places, centres: np.ndarray, *, sigma: float
) -> np.ndarray:
    """Gaussian offsets around ``centres``, redrawn (up to 20 times) while outside the LA."""
    xy = centres + rng.normal(0.0, sigma, size=centres.shape)
    polygon = places.area.polygon
    shapely.prepare(polygon)
    for _ in range(20):
        out = np.flatnonzero(~shapely.contains_xy(polygon, xy[:, 0], xy[:, 1]))
        if not len(out):
            break
        xy[out] = centres[out] + rng.normal(0.0, sigma, size=(len(out), 2))
    return xy


def deprivation_weights(places: Places, *, power: float) -> np.ndarray:
    """LSOA weights favouring cheaper housing: ``(11 - IMD decile) ** power`` x residents.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> p = prepare_places(load_area("kirklees"))
    >>> w = deprivation_weights(p, power=2.0)
    >>> bool(w[p.lsoa_imd_decile == 1].mean() > w[p.lsoa_imd_decile == 10].mean())
    True
    """
    return (11.0 - places.lsoa_imd_decile) ** power * places.lsoa_total


def placing_authorities(area: StudyArea) -> pd.DataFrame:
    """Real English LAs that place children elsewhere, with demo weights.

    From the DfE 2024 table of children placed outside their LA boundary (``cla_netgain``): the
    weight is that number, x4 for LAs in the same region as the study area and x1.5 in a
    neighbouring region. The study area itself is left out (placements *into* the area).

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> t = placing_authorities(load_area("kirklees"))
    >>> "E08000034" in set(t["code"]), bool((t["weight"] > 0).all())
    (False, True)
    """
    from geo.places.datasets import get_path

    raw = pd.read_csv(get_path("cla_netgain"), dtype=str)
    raw = raw[
        (raw["geographic_level"] == "Local authority")
        & (raw["time_period"] == raw["time_period"].max())
        & raw["characteristic"].str.startswith("2.")
    ]
    number = pd.to_numeric(raw["number"], errors="coerce")
    table = pd.DataFrame(
        {
            "code": raw["new_la_code"].to_numpy(),
            "name": raw["la_name"].to_numpy(),
            "region": raw["region_name"].to_numpy(),
            "number": number.to_numpy(),
        }
    ).dropna(subset=["number"])
    own_region = table.loc[table["code"] == area.lad_cd, "region"]
    region = own_region.iloc[0] if len(own_region) else ""
    nearby = _NEIGHBOUR_REGIONS.get(region, ())
    factor = np.where(
        table["region"] == region, 4.0, np.where(table["region"].isin(nearby), 1.5, 1)
    )
    table["weight"] = table["number"] * factor
    table = table[(table["code"] != area.lad_cd) & (table["weight"] > 0)]
    return table.sort_values("code").reset_index(drop=True)


_NEIGHBOUR_REGIONS: Final[dict[str, tuple[str, ...]]] = {
    "Yorkshire and The Humber": ("North West", "North East", "East Midlands"),
    "West Midlands": ("East Midlands", "North West", "South West", "South East"),
}
