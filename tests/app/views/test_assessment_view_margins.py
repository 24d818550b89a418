"""A practitioner's assessment: the precision mix is suppressed with the concerns total (#12, 9).

``csmap assess ... --role practitioner`` showed concerns_total 278 and precision_mix
{"exact point": 276, "grid reference": "c"}: the hidden count was 278 - 276 = 2.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.disclosure.control import DisclosurePolicy
from analysis.views.assessment import Assessment
from analysis.views.locations import ResolvedLocation
from app.views.assessment import controlled_assessment


def _assessment(*, total: int, mix: dict[str, int]) -> Assessment:
    loc = ResolvedLocation.__new__(ResolvedLocation)
    return Assessment(
        location=loc,
        radius_m=500.0,
        period_from=pd.Timestamp("2024-01-01"),
        period_to=pd.Timestamp("2024-12-31"),
        months=12,
        concerns_total=total,
        concerns_by_category={"CSE": total},
        concerns_by_year={"2024": total},
        circle_km2=0.785,
        rate_per_km2=total / 0.785,
        borough_concerns=5000,
        borough_km2=400.0,
        borough_rate_per_km2=12.5,
        missing_found=10,
        missing_last_seen=12,
        missing_either=15,
        hotspots=pd.DataFrame(),
        venues=pd.DataFrame(),
        venues_by_type={},
        schools=pd.DataFrame(),
        lsoa21cd=None,
        ward_nm=None,
        imd_decile=None,
        crime_decile=None,
        precision_mix=mix,
        synthetic=None,
    )


@pytest.mark.parametrize("hidden", [2, 4, 1])
def test_precision_mix_is_not_total_minus_shown(hidden: int) -> None:
    a = _assessment(total=278, mix={"exact point": 278 - hidden, "grid reference": hidden})
    out = controlled_assessment(a, policy=DisclosurePolicy())
    assert out.precision_mix["grid reference"] == "c"
    total, exact = out.concerns_total, out.precision_mix["exact point"]
    assert total == "c" or exact == "c", (total, exact)


def test_mix_without_small_counts_is_shown() -> None:
    a = _assessment(total=278, mix={"exact point": 270, "grid reference": 8})
    out = controlled_assessment(a, policy=DisclosurePolicy())
    assert out.precision_mix == {"exact point": 270, "grid reference": 8}
    assert out.concerns_total == 278
