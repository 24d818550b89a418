"""Synthetic placements and missing episodes for :mod:`geo.demo.records` (all records are
synthetic).

Placements into the area by other councils (real LA codes, synthetic children and places) and
missing episodes, many repeating from those placements.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo.demo.fields import (
    PERIOD_END,
    blank,
    event_times,
    format_refs,
    keep,
    location_columns,
    number_rows,
    pick,
)
from geo.demo.places import (
    Places,
    deprivation_weights,
    near_towns,
    near_venues,
    placing_authorities,
    points_in_lsoas,
    venue_weights,
)
from geo.vocab import EPISODE_TYPES, RISK_LEVELS

#: SSDA903 placement codes (``PLACE``) used by the demo, with their shares.
_PLACEMENT_CODES: Final[tuple[str, ...]] = (
    "K2",
    "U1",
    "U3",
    "U4",
    "U5",
    "U6",
    "H5",
    "S1",
    "K1",
    "R1",
    "P1",
    "Z1",
)
_PLACEMENT_P: Final[tuple[float, ...]] = (
    0.34,
    0.04,
    0.10,
    0.18,
    0.03,
    0.04,
    0.16,
    0.03,
    0.01,
    0.02,
    0.02,
    0.03,
)
#: Codes placed at a (synthetic) children's home or residential setting.
_HOME_CODES: Final[frozenset[str]] = frozenset({"K2", "K1", "S1"})
_PROVIDERS: Final[tuple[str, ...]] = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
_PROVIDER_P: Final[dict[str, tuple[float, ...]]] = {
    "home": (0.0, 0.04, 0.08, 0.03, 0.75, 0.10),
    "foster": (0.0, 0.30, 0.05, 0.0, 0.55, 0.10),
    "H5": (0.0, 0.05, 0.05, 0.10, 0.55, 0.25),
    "other": (0.40, 0.15, 0.10, 0.10, 0.15, 0.10),
}

#: Children's homes per area in Ofsted's 31 March 2023 table (Kirklees 34, Solihull 3).
_HOMES: Final[dict[str, int]] = {"kirklees": 34, "solihull": 3}


def placements(
    rng: np.random.Generator, places: Places, n: int, *, scale: float, child_offset: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Synthetic placements into the area by other councils.

    Returns the placements frame, their points (EPSG:27700) and the synthetic children's home
    points (about the Ofsted count of homes in the area, times ``scale``).

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> from geo.demo.places import prepare_places
    >>> p = prepare_places(load_area("kirklees"))
    >>> frame, xy, homes = placements(np.random.default_rng(0), p, 20, scale=1.0, child_offset=0)
    >>> len(frame), xy.shape, len(homes)
    (20, (20, 2), 34)
    """
    n_homes = max(3, round(_HOMES[places.area.name] * max(scale, 0.1)))
    homes, _ = points_in_lsoas(
        rng, places, weights=deprivation_weights(places, power=2.0), n=n_homes
    )
    code = pick(rng, _PLACEMENT_CODES, _PLACEMENT_P, n)
    at_home = np.isin(code, list(_HOME_CODES))
    xy = np.empty((n, 2))
    home_w = rng.pareto(1.5, size=n_homes) + 1.0
    xy[at_home] = homes[rng.choice(n_homes, size=int(at_home.sum()), p=home_w / home_w.sum())]
    xy[~at_home], _ = points_in_lsoas(
        rng, places, weights=deprivation_weights(places, power=1.5), n=int((~at_home).sum())
    )
    group = np.where(
        at_home, "home", np.where(np.char.startswith(code.astype(str), "U"), "foster", code)
    )
    group = np.where(np.isin(group, ["home", "foster", "H5"]), group, "other")
    provider = np.empty(n, dtype=object)
    for g, p in _PROVIDER_P.items():
        rows = np.flatnonzero(group == g)
        provider[rows] = pick(rng, _PROVIDERS, p, len(rows))

    authorities = placing_authorities(places.area)
    weights = authorities["weight"].to_numpy(dtype=float)
    placing = authorities["code"].to_numpy(dtype=object)[
        rng.choice(len(weights), size=n, p=weights / weights.sum())
    ]
    first = pd.Timestamp("2023-01-01")
    span = (PERIOD_END - pd.Timedelta(days=7) - first).days
    start = first + pd.to_timedelta(np.sort(rng.integers(0, span, size=n)), unit="D")
    length = pd.to_timedelta(np.round(rng.lognormal(np.log(240), 0.9, size=n)), unit="D")
    end = start + length
    ended = (rng.random(n) < 0.55) & (end <= PERIOD_END.normalize())
    frame = pd.DataFrame(
        {
            "placement_id": np.zeros(n, dtype=object),
            "child_ref": format_refs(child_offset + np.arange(n)),
            "placing_authority": placing,
            "start_date": start.astype("datetime64[s]"),
            "end_date": pd.Series(end.astype("datetime64[s]")).where(ended),
            "placement_type": code,
            "provider_type": provider,
            "ofsted_urn": np.full(n, None, dtype=object),
            **location_columns(rng, xy),
        }
    )
    return number_rows(frame, "placement_id", "PL"), xy, homes


def missing_episodes(
    rng: np.random.Generator,
    places: Places,
    n: int,
    *,
    placements: pd.DataFrame,
    placement_xy: np.ndarray,
    child_offset: int,
) -> pd.DataFrame:
    """Synthetic missing episodes: many repeat from placements, found mostly in town centres.

    Examples
    --------
    >>> from geo.places.boundaries import load_area
    >>> from geo.demo.places import prepare_places
    >>> p = prepare_places(load_area("kirklees"))
    >>> rng = np.random.default_rng(0)
    >>> placed, xy, _ = placements(rng, p, 20, scale=1.0, child_offset=0)
    >>> m = missing_episodes(rng, p, 50, placements=placed, placement_xy=xy, child_offset=20)
    >>> len(m), m["episode_id"].iloc[0]
    (50, 'ME0000001')
    """
    from_placement = rng.random(n) < (0.55 if len(placements) else 0.0)
    n_p, n_l = int(from_placement.sum()), int((~from_placement).sum())
    base = np.empty((n, 2))
    child = np.empty(n, dtype=np.int64)
    looked_after = np.empty(n, dtype=object)
    placing = np.full(n, None, dtype=object)

    rows = np.flatnonzero(from_placement)
    if n_p:
        kind = placements["placement_type"].to_numpy(dtype=str)
        pull = np.where(np.isin(kind, list(_HOME_CODES)), 4.0, np.where(kind == "H5", 2.5, 1.0))
        w = pull * (rng.pareto(1.2, size=len(kind)) + 1.0)
        which = rng.choice(len(kind), size=n_p, p=w / w.sum())
        base[rows] = placement_xy[which]
        child[rows] = placements["child_ref"].str[1:].astype(int).to_numpy()[which]
        looked_after[rows] = True
        placing[rows] = placements["placing_authority"].to_numpy(dtype=object)[which]

    rows = np.flatnonzero(~from_placement)
    if n_l:
        pool = max(int(n_l / 3), 1)
        homes, _ = points_in_lsoas(
            rng, places, weights=places.lsoa_cyp * (11.0 - places.lsoa_imd_decile), n=pool
        )
        idx = rng.choice(pool, size=n_l, p=(w := rng.pareto(1.3, size=pool) + 1.0) / w.sum())
        base[rows] = homes[idx]
        child[rows] = child_offset + idx
        local_lac = rng.random(pool) < 0.12
        looked_after[rows] = local_lac[idx]
        placing[rows] = keep(np.full(n_l, places.area.lad_cd, dtype=object), local_lac[idx])

    last_seen = base + rng.normal(0.0, 10.0, size=(n, 2))
    away = rng.random(n) < 0.25
    txy, _ = near_towns(rng, places, n=int(away.sum()), sigma=250.0)
    last_seen[away] = txy

    found = np.full((n, 2), np.nan)
    where = rng.choice(6, size=n, p=[0.38, 0.22, 0.18, 0.09, 0.05, 0.08])
    k = np.flatnonzero(where == 0)
    found[k], _ = near_towns(rng, places, n=len(k), sigma=200.0)
    k = np.flatnonzero(where == 1)
    vw = venue_weights(rng, places)
    if vw.sum() > 0:
        found[k], _ = near_venues(rng, places, weights=vw, n=len(k), sigma=30.0)
    else:
        found[k], _ = near_towns(rng, places, n=len(k), sigma=400.0)
    k = np.flatnonzero(where == 2)
    found[k] = base[k] + rng.normal(0.0, 300.0, size=(len(k), 2))
    k = np.flatnonzero(where == 3)
    found[k], _ = points_in_lsoas(rng, places, weights=places.lsoa_cyp, n=len(k))
    k = np.flatnonzero(where == 4)  # found outside the area
    spot = rng.choice(len(places.elsewhere_xy), size=len(k))
    found[k] = places.elsewhere_xy[spot] + rng.normal(0.0, 150.0, size=(len(k), 2))
    known = where != 5

    start = event_times(rng, n)
    hours = np.round(rng.lognormal(np.log(7.0), 1.1, size=n) * 60)
    end = pd.Series(start + pd.to_timedelta(hours, unit="min")).where(rng.random(n) > 0.02)
    lac = looked_after.astype(bool)
    episode_type = np.where(
        lac & (rng.random(n) < 0.35), EPISODE_TYPES[1], EPISODE_TYPES[0]
    ).astype(object)
    offered = rng.random(n) < 0.88
    accepted = offered & (rng.random(n) < 0.55)
    rhi_date = (end.dt.normalize() + pd.to_timedelta(rng.integers(0, 5, size=n), unit="D")).where(
        offered
    )
    frame = pd.DataFrame(
        {
            "episode_id": np.zeros(n, dtype=object),
            "child_ref": format_refs(child),
            "start": start,
            "end": end.astype("datetime64[s]"),
            "episode_type": episode_type,
            "looked_after": looked_after,
            "placing_authority": placing,
            "rhi_offered": blank(rng, offered, 0.04),
            "rhi_accepted": keep(accepted, offered),
            "rhi_date": rhi_date.astype("datetime64[s]"),
            "risk_level": blank(rng, pick(rng, RISK_LEVELS, (0.5, 0.33, 0.11, 0.06), n), 0.05),
            **location_columns(rng, last_seen, prefix="last_seen_"),
            **location_columns(rng, found, prefix="found_", known=known),
        }
    )
    return number_rows(frame.sort_values("start", kind="stable"), "episode_id", "ME")
