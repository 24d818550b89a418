"""Locate: coordinates, grid references and offline geocoding of records.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.locate.coords import resolve_locations
    from geo.locate.geocode import Lookups, load_lookups
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
    from geo.locate.lookup_files import (
        PostcodeLookup,
        UprnLookup,
        normalise_postcode,
        normalise_postcodes,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "resolve_locations": "geo.locate.coords",
    "Lookups": "geo.locate.geocode",
    "load_lookups": "geo.locate.geocode",
    "BNG_E_RANGE": "geo.locate.gridref",
    "BNG_N_RANGE": "geo.locate.gridref",
    "GB_LAT_RANGE": "geo.locate.gridref",
    "GB_LON_RANGE": "geo.locate.gridref",
    "bng_to_wgs84": "geo.locate.gridref",
    "format_grid_ref": "geo.locate.gridref",
    "parse_grid_ref": "geo.locate.gridref",
    "wgs84_to_bng": "geo.locate.gridref",
    "on_land": "geo.locate.land",
    "PostcodeLookup": "geo.locate.lookup_files",
    "UprnLookup": "geo.locate.lookup_files",
    "normalise_postcode": "geo.locate.lookup_files",
    "normalise_postcodes": "geo.locate.lookup_files",
}
__all__ = [
    "BNG_E_RANGE",
    "BNG_N_RANGE",
    "GB_LAT_RANGE",
    "GB_LON_RANGE",
    "Lookups",
    "PostcodeLookup",
    "UprnLookup",
    "bng_to_wgs84",
    "format_grid_ref",
    "load_lookups",
    "normalise_postcode",
    "normalise_postcodes",
    "on_land",
    "parse_grid_ref",
    "resolve_locations",
    "wgs84_to_bng",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
