"""Hotspot accuracy metrics on hand examples, and the rolling-origin backtest."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.evaluation.accuracy import (
    backtest,
    grid_counts,
    hit_rate,
    pai,
    pei,
    rri,
    select_cells,
    summarise,
)
from geo.errors import ParameterError


def test_metrics_hand_examples() -> None:
    # 100 test events, 40 inside hotspots covering 5 km2 of a 100 km2 area
    assert float(hit_rate(40, 100)) == 0.4
    assert float(pai(40, 100, 5, 100)) == pytest.approx(8.0)
    # the best 5 km2 would have caught 50 events: PAI_max = 10, PEI = 8 / 10
    assert float(pei(40, 50)) == pytest.approx(0.8)
    assert float(pai(40, 100, 5, 100) / pai(50, 100, 5, 100)) == pytest.approx(0.8)
    # RRI: 30 events in the hotspots in training, 40 in test, area total 120 -> 100
    assert float(rri(30, 40, 120, 100)) == pytest.approx((40 / 30) / (100 / 120))
    assert np.isnan(hit_rate(0, 0))
    with pytest.raises(ParameterError):
        hit_rate(5, 3)


def test_select_cells_respects_budget_and_ties() -> None:
    chosen = select_cells([9, 9, 1, 0], [1, 1, 1, 1], share=0.5)
    assert chosen.tolist() == [True, True, False, False]
    # unequal areas: take the ranking from the top while the total stays within the budget
    chosen = select_cells([5, 4, 3], [1, 1, 3], share=0.4)
    assert chosen.tolist() == [True, True, False]
    # all-equal scores: a random half, not the first cells
    picks = [select_cells(np.zeros(100), np.ones(100), share=0.1, seed=s) for s in range(5)]
    assert all(p.sum() == 10 for p in picks)
    assert not all(p[:10].all() for p in picks)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=1, max_size=50),
    st.floats(0.01, 1.0),
)
def test_select_cells_area_property(scores: list[float], share: float) -> None:
    areas = np.linspace(1, 2, len(scores))
    chosen = select_cells(scores, areas, share=share)
    assert areas[chosen].sum() <= share * areas.sum() * (1 + 1e-9)
    if chosen.any() and (~chosen).any():
        # the prediction is the top of the ranking: no unchosen cell outscores a chosen one
        s = np.asarray(scores)
        assert s[chosen].min() >= s[~chosen].max()


def _events(rng: np.random.Generator, months: int) -> gpd.GeoDataFrame:
    frames = []
    for m in range(months):
        xy = np.r_[rng.uniform(0, 2000, (150, 2)), rng.normal([500, 1500], 40, (150, 2))]
        frames.append(
            gpd.GeoDataFrame(
                {"month": [pd.Period("2024-01", freq="M") + m] * len(xy)},
                geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                crs=27700,
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_backtest_folds_and_values() -> None:
    rng = np.random.default_rng(4)
    ev = _events(rng, 6)
    area = shapely.box(0, 0, 2000, 2000)

    def uniform(train: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> np.ndarray:
        return np.zeros(len(cells))

    res = backtest(
        ev,
        methods={"grid_counts": grid_counts, "uniform": uniform},
        study_area=area,
        cell_size=100,
        coverage=(0.01, 0.05),
    )
    # 6 months, 3 in + 1 out, sliding by one: 3 folds x 2 methods x 2 coverages
    assert len(res) == 12
    assert res["test_start"].unique().tolist() == ["2024-04", "2024-05", "2024-06"]
    assert (res["n_test"] == 300).all()
    counts = res[res["method"] == "grid_counts"]
    # a stable planted hotspot is caught: a fifth of a 2 km square's events sit in ~1 % of it
    assert (counts["pai"] > 10).all()
    assert (counts["pei"] <= 1.0 + 1e-12).all() and (counts["pei"] > 0.5).all()
    chance = res[res["method"] == "uniform"]
    assert chance["pai"].mean() < 3
    # PAI really is hit rate / area share
    np.testing.assert_allclose(res["pai"], res["hit_rate"] / res["area_share"])
    summary = summarise(res)
    assert set(summary["folds"]) == {3}


def test_backtest_on_police_uk_sample() -> None:
    from pathlib import Path

    from geo.formats.policeuk import read_police_uk

    folder = Path(__file__).resolve().parents[3] / "data" / "police_uk"
    report = read_police_uk(sorted(folder.glob("*.csv")))
    ev = report.records
    ev = ev[ev["crime_type"] == "Violence and sexual offences"]
    hull = shapely.convex_hull(shapely.MultiPoint(ev.geometry.to_numpy()))
    res = backtest(ev, study_area=hull, cell_size=500, train_months=2, coverage=(0.05,))
    assert len(res) >= 1
    # police.uk violence is concentrated: the top 5 % of cells by count hold more than 5 %
    assert res["pai"].mean() > 1.5


def test_backtest_errors() -> None:
    rng = np.random.default_rng(1)
    ev = _events(rng, 2)
    with pytest.raises(ParameterError, match="too short"):
        backtest(ev, study_area=shapely.box(0, 0, 2000, 2000), cell_size=200)
    with pytest.raises(ParameterError, match="unknown method"):
        backtest(ev, methods=["nope"], study_area=shapely.box(0, 0, 2000, 2000))
