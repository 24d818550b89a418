"""Assessment locations: parse ``lat,lon``, ``easting,northing``, a grid reference or a postcode.

Used by :mod:`analysis.views.assessment` (which re-exports both names) for Regulation 46
assessments.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.errors import LocationError
from geo.locate.coords import resolve_locations
from geo.locate.geocode import Lookups, normalise_postcode


@dataclass(frozen=True)
class ResolvedLocation:
    """A parsed assessment location (EPSG:27700 and WGS84)."""

    text: str
    easting: float
    northing: float
    longitude: float
    latitude: float
    precision: str


def parse_location(text: str, *, lookups: Lookups | None = None) -> ResolvedLocation:
    """Parse ``lat,lon``, ``easting,northing``, a grid reference or a postcode.

    Two numbers are read as latitude/longitude when they look like degrees and as
    easting/northing otherwise (swaps are repaired as in
    :func:`geo.locate.coords.resolve_locations`).
    A postcode needs a configured offline lookup (``lookups``).

    Raises
    ------
    LocationError
        When the text cannot be placed (the message says why).

    Examples
    --------
    >>> loc = parse_location("414400,416400")
    >>> round(loc.easting), round(loc.northing), loc.precision
    (414400, 416400, 'exact point')
    >>> parse_location("SE 144 164").precision
    'grid reference'
    >>> round(parse_location("53.65,-1.78").northing, -2)
    417100.0
    """
    raw = str(text).strip()
    if not raw:
        raise LocationError("location: empty")
    parts = [p.strip() for p in raw.replace(";", ",").split(",")]
    row: dict[str, str] = {}
    numbers: list[float] = []
    if len(parts) == 2:
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
    if numbers:
        if max(abs(numbers[0]), abs(numbers[1])) <= 180:
            row = {"latitude": parts[0], "longitude": parts[1]}
        else:
            row = {"easting": parts[0], "northing": parts[1]}
    elif normalise_postcode(raw) is not None:
        row = {"postcode": raw}
    else:
        row = {"grid_ref": raw}
    out = resolve_locations(pd.DataFrame([row]), lookups=lookups).iloc[0]
    if out["location_precision"] == "none":
        why = str(out["location_error"] or "cannot be placed")
        if "postcode" in row and lookups is None:
            why += " (configure a postcode lookup: CSMAP_POSTCODE_LOOKUP or csmap.yaml)"
        raise LocationError(f"location {raw!r}: {why}")
    return ResolvedLocation(
        text=raw,
        easting=float(out["easting"]),
        northing=float(out["northing"]),
        longitude=float(out["longitude"]),
        latitude=float(out["latitude"]),
        precision=str(out["location_precision"]),
    )
