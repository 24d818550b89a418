"""National and partner file formats: SSDA903, police.uk, venue registers.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.formats.policeuk import (
        LAYER,
        POLICE_UK_COLUMNS,
        PoliceUkReport,
        read_police_uk,
        read_police_uk_layer,
        store_police_uk,
    )
    from geo.formats.ssda903 import (
        FORMATS,
        SSD_MISSING_COLUMNS,
        SSD_PLACEMENT_COLUMNS,
        SSDA903_EPISODE_COLUMNS,
        SSDA903_MISSING_COLUMNS,
        import_table,
        ssd_missing,
        ssd_placements,
        ssda903_episodes,
        ssda903_missing,
    )
    from geo.formats.venue_registers import all_venues, import_venues, read_venues

#: Public name -> the module that defines it.
_EXPORTS = {
    "LAYER": "geo.formats.policeuk",
    "POLICE_UK_COLUMNS": "geo.formats.policeuk",
    "PoliceUkReport": "geo.formats.policeuk",
    "read_police_uk": "geo.formats.policeuk",
    "read_police_uk_layer": "geo.formats.policeuk",
    "store_police_uk": "geo.formats.policeuk",
    "FORMATS": "geo.formats.ssda903",
    "SSDA903_EPISODE_COLUMNS": "geo.formats.ssda903",
    "SSDA903_MISSING_COLUMNS": "geo.formats.ssda903",
    "SSD_MISSING_COLUMNS": "geo.formats.ssda903",
    "SSD_PLACEMENT_COLUMNS": "geo.formats.ssda903",
    "import_table": "geo.formats.ssda903",
    "ssd_missing": "geo.formats.ssda903",
    "ssd_placements": "geo.formats.ssda903",
    "ssda903_episodes": "geo.formats.ssda903",
    "ssda903_missing": "geo.formats.ssda903",
    "all_venues": "geo.formats.venue_registers",
    "import_venues": "geo.formats.venue_registers",
    "read_venues": "geo.formats.venue_registers",
}
__all__ = [
    "FORMATS",
    "LAYER",
    "POLICE_UK_COLUMNS",
    "PoliceUkReport",
    "SSDA903_EPISODE_COLUMNS",
    "SSDA903_MISSING_COLUMNS",
    "SSD_MISSING_COLUMNS",
    "SSD_PLACEMENT_COLUMNS",
    "all_venues",
    "import_table",
    "import_venues",
    "read_police_uk",
    "read_police_uk_layer",
    "read_venues",
    "ssd_missing",
    "ssd_placements",
    "ssda903_episodes",
    "ssda903_missing",
    "store_police_uk",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
