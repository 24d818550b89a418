"""assess_location: the one assessment entry equals period -> period_hotspots -> assess by hand."""

from __future__ import annotations

import pandas as pd

from analysis.views import assessment
from analysis.views.assessment import (
    assess,
    assess_location,
    parse_location,
    period_bounds,
    period_hotspots,
)
from analysis.views.locations import ResolvedLocation
from geo.places.boundaries import load_area
from geo.store.gpkg import Store
from tests._demo_store import demo_store


def test_reexports_are_the_same_objects() -> None:
    assert assessment.ResolvedLocation is ResolvedLocation
    assert isinstance(parse_location("414400,416400"), ResolvedLocation)


def test_entry_matches_the_pipeline_on_demo_data() -> None:
    store = Store(demo_store())
    records = {k: store.read(k) for k in ("concerns", "missing_episodes")}
    area = load_area("kirklees")
    location = parse_location("414400,416400")
    as_of = pd.Timestamp(records["concerns"]["reported_date"].max())
    result, hot = assess_location(
        location, records=records, area=area, radius=1000.0, months=12, as_of=as_of, synthetic=True
    )
    start, end = period_bounds(as_of, 12)
    ref_hot = period_hotspots(records["concerns"], area=area, start=start, end=end)
    ref = assess(
        location,
        records=records,
        area=area,
        hotspots=ref_hot,
        radius=1000.0,
        months=12,
        as_of=as_of,
        synthetic=True,
    )
    assert result.to_json() == ref.to_json()
    assert len(hot) == len(ref_hot) and list(hot.columns) == list(ref_hot.columns)
    assert result.concerns_total > 0 and result.synthetic is True
