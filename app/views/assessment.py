"""A location assessment as a disclosure role (practitioner) may see it, and its audit text.

Practitioners are a disclosure role (:data:`app.access.policy.DISCLOSURE_ROLES`): the counts around
a
home are small-area counts, so :func:`controlled_assessment` passes every count through the
role's :class:`~analysis.disclosure.control.DisclosurePolicy` (the one mechanism, via
:func:`app.access.policy.export_rules`) before the page, the JSON and the HTML/PDF report show it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.disclosure.control import DisclosurePolicy
from analysis.views.assessment import Assessment
from app.access.policy import apply_export_policy
from geo.locate.coords import format_grid_ref

__all__ = ["assessed_location", "controlled_assessment", "json_safe"]


def assessed_location(a: Assessment) -> dict[str, str]:
    """The location assessed as text for the audit log: what was typed and its grid reference.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> loc = SimpleNamespace(text="HD1 2AB", easting=414400.0, northing=416400.0)
    >>> assessed_location(SimpleNamespace(location=loc, radius_m=250.0))["grid_ref"]
    'SE 1440 1640'
    """
    loc = a.location
    return {
        "location": str(loc.text),
        "grid_ref": format_grid_ref(loc.easting, loc.northing, digits=8),
        "radius_m": f"{a.radius_m:g}",
    }


def _suppressed(
    counts: Mapping[str, int], total: int, policy: DisclosurePolicy
) -> tuple[dict[str, Any], bool]:
    """Breakdown cells suppressed against their published total; whether the total is hidden."""
    if not counts:
        shown = policy.table(pd.Series([int(total)]), totals="none")
        return {}, bool(shown.suppressed.iloc[0])
    series = pd.Series({str(k): int(v) for k, v in counts.items()}, dtype="int64")
    table = policy.table(series, totals=True)
    display = table.display
    hidden_total = bool(table.suppressed.iloc[-1])
    return {k: _number(display[k]) for k in series.index}, hidden_total


def _number(text: Any) -> Any:
    return int(text) if str(text).lstrip("-").isdigit() else str(text)


def controlled_assessment(a: Assessment, *, policy: DisclosurePolicy) -> Assessment:
    """``a`` with every count suppressed under ``policy`` (suppressed: the marker text).

    Concern counts by category, by year and by location precision are each suppressed with
    their total, the concerns count (secondary suppression); the local rate and the rate
    ratio are blanked (NaN) whenever the total is hidden, since rate x circle area gives the
    count back. Missing-episode counts and the
    hotspot table's count columns are suppressed too. A caveat says so.
    Venue counts (public places) are not changed.
    """
    marker = policy.primary_marker
    by_category, hidden_c = _suppressed(a.concerns_by_category, a.concerns_total, policy)
    by_year, hidden_y = _suppressed(a.concerns_by_year, a.concerns_total, policy)
    # the precision mix adds up to the total too: suppressed with it (issue #12)
    precision, hidden_p = _suppressed(a.precision_mix, a.concerns_total, policy)
    hidden = hidden_c or hidden_y or hidden_p
    singles = pd.Series(
        [a.missing_found, a.missing_last_seen, a.missing_either, a.borough_concerns],
        dtype="int64",
    )
    single = policy.table(singles, totals="none").display.tolist()
    hotspots = (
        apply_export_policy(
            a.hotspots, role="practitioner", kind="location_assessment", disclosure=policy
        )
        if len(a.hotspots)
        else a.hotspots
    )
    note = (
        f"Disclosure control: counts below {policy.threshold} are shown as '{marker}' (with "
        "other counts hidden where they would reveal one); rates are blank where their count is."
    )
    changes: dict[str, Any] = {
        "concerns_total": marker if hidden else a.concerns_total,
        "concerns_by_category": by_category,
        "concerns_by_year": by_year,
        "rate_per_km2": math.nan if hidden else a.rate_per_km2,
        "missing_found": _number(single[0]),
        "missing_last_seen": _number(single[1]),
        "missing_either": _number(single[2]),
        "borough_concerns": _number(single[3]),
        "precision_mix": precision,
        "hotspots": hotspots,
        "caveats": [note, *a.caveats],
    }
    return dataclasses.replace(a, **changes)


def json_safe(value: Any) -> Any:
    """Replace NaN (blanked rates) by None, recursively, so the JSON export is valid JSON.

    Examples
    --------
    >>> json_safe({"a": float("nan"), "b": [1, float("nan")]})
    {'a': None, 'b': [1, None]}
    """
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
