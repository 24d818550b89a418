"""What the Overview page and a location assessment show a role (pure).

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.views.assessment import assessed_location, controlled_assessment, json_safe
    from app.views.summaries import (
        QUALITY_FIELDS,
        controlled_kind_counts,
        controlled_missing_shares,
        controlled_monthly,
        controlled_precision_mix,
        controlled_top_wards,
        missing_shares,
        monthly_by_category,
        precision_mix,
        quarantine_reasons,
        top_wards,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "assessed_location": "app.views.assessment",
    "controlled_assessment": "app.views.assessment",
    "json_safe": "app.views.assessment",
    "QUALITY_FIELDS": "app.views.summaries",
    "controlled_kind_counts": "app.views.summaries",
    "controlled_missing_shares": "app.views.summaries",
    "controlled_monthly": "app.views.summaries",
    "controlled_precision_mix": "app.views.summaries",
    "controlled_top_wards": "app.views.summaries",
    "missing_shares": "app.views.summaries",
    "monthly_by_category": "app.views.summaries",
    "precision_mix": "app.views.summaries",
    "quarantine_reasons": "app.views.summaries",
    "top_wards": "app.views.summaries",
}
__all__ = [
    "QUALITY_FIELDS",
    "assessed_location",
    "controlled_assessment",
    "controlled_kind_counts",
    "controlled_missing_shares",
    "controlled_monthly",
    "controlled_precision_mix",
    "controlled_top_wards",
    "json_safe",
    "missing_shares",
    "monthly_by_category",
    "precision_mix",
    "quarantine_reasons",
    "top_wards",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
