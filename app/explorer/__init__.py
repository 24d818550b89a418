"""The hotspot explorer: parameters, cache, what a role sees, exports.

Every public name below is re-exported here and imported from its module on first use, so
importing one module of the package does not import the rest (and the sub-packages, which
use each other, have no import-order cycles)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.explorer.cache import SESSION_CACHE_KEY, SESSION_CACHE_MAX, result_key, run_hotspots
    from app.explorer.detail import (
        ALL_MONTHS,
        breakdown,
        cell_changes,
        events_in,
        hotspot_at,
        in_month,
        month_options,
        monthly_counts,
        points_key,
        ranked_hotspots,
    )
    from app.explorer.disclosure import (
        GRID_METHODS,
        controlled_breakdown,
        controlled_result,
        controlled_trend,
        shown_count,
    )
    from app.explorer.exports import (
        FORMATS,
        MAX_INLINE_BYTES,
        Export,
        hotspot_export,
        inline_assets,
        notice_lines,
        standalone_map_html,
        trend_png,
    )
    from app.explorer.params import (
        ADJUSTED_METHODS,
        METHOD_NOTES,
        PARAM_SPECS,
        ParamSpec,
        automatic_params,
        build_params,
        fixed_scale,
        is_overridden,
        specs,
    )

#: Public name -> the module that defines it.
_EXPORTS = {
    "SESSION_CACHE_KEY": "app.explorer.cache",
    "SESSION_CACHE_MAX": "app.explorer.cache",
    "result_key": "app.explorer.cache",
    "run_hotspots": "app.explorer.cache",
    "ALL_MONTHS": "app.explorer.detail",
    "breakdown": "app.explorer.detail",
    "cell_changes": "app.explorer.detail",
    "events_in": "app.explorer.detail",
    "hotspot_at": "app.explorer.detail",
    "in_month": "app.explorer.detail",
    "month_options": "app.explorer.detail",
    "monthly_counts": "app.explorer.detail",
    "points_key": "app.explorer.detail",
    "ranked_hotspots": "app.explorer.detail",
    "GRID_METHODS": "app.explorer.disclosure",
    "controlled_breakdown": "app.explorer.disclosure",
    "controlled_result": "app.explorer.disclosure",
    "controlled_trend": "app.explorer.disclosure",
    "shown_count": "app.explorer.disclosure",
    "Export": "app.explorer.exports",
    "FORMATS": "app.explorer.exports",
    "MAX_INLINE_BYTES": "app.explorer.exports",
    "hotspot_export": "app.explorer.exports",
    "inline_assets": "app.explorer.exports",
    "notice_lines": "app.explorer.exports",
    "standalone_map_html": "app.explorer.exports",
    "trend_png": "app.explorer.exports",
    "ADJUSTED_METHODS": "app.explorer.params",
    "METHOD_NOTES": "app.explorer.params",
    "PARAM_SPECS": "app.explorer.params",
    "ParamSpec": "app.explorer.params",
    "automatic_params": "app.explorer.params",
    "build_params": "app.explorer.params",
    "fixed_scale": "app.explorer.params",
    "is_overridden": "app.explorer.params",
    "specs": "app.explorer.params",
}
__all__ = [
    "ADJUSTED_METHODS",
    "ALL_MONTHS",
    "Export",
    "FORMATS",
    "GRID_METHODS",
    "MAX_INLINE_BYTES",
    "METHOD_NOTES",
    "PARAM_SPECS",
    "ParamSpec",
    "SESSION_CACHE_KEY",
    "SESSION_CACHE_MAX",
    "automatic_params",
    "breakdown",
    "build_params",
    "cell_changes",
    "controlled_breakdown",
    "controlled_result",
    "controlled_trend",
    "events_in",
    "fixed_scale",
    "hotspot_at",
    "hotspot_export",
    "in_month",
    "inline_assets",
    "is_overridden",
    "month_options",
    "monthly_counts",
    "notice_lines",
    "points_key",
    "ranked_hotspots",
    "result_key",
    "run_hotspots",
    "shown_count",
    "specs",
    "standalone_map_html",
    "trend_png",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
