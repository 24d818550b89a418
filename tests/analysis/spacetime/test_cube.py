"""Space-time cube: periods, counts per (step, cell), reconciliation, space-time weights."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.hotspots.gi import band_weights
from analysis.lattice.grid import fishnet
from analysis.spacetime.cube import (
    build_cube,
    partial_final_period,
    spacetime_weights,
    spacetime_window_sums,
    time_steps,
    time_window,
)
from geo.errors import ParameterError


def _pts(x: list[float], y: list[float], dates: list[str | None]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"reported_date": pd.to_datetime(pd.Series(dates, dtype=object), format="mixed")},
        geometry=gpd.points_from_xy(x, y),
        crs=27700,
    )


def test_time_steps_cover_gaps_and_flag_missing() -> None:
    times = pd.Series(["2025-03-31 23:59", "2025-01-01", None, "2025-06-15"])  # mixed text
    periods, step = time_steps(times)
    assert [str(p) for p in periods] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05",
                                         "2025-06"]  # fmt: skip
    assert step.tolist() == [2, 0, -1, 5]


def test_time_steps_given_range_excludes_outside() -> None:
    times = pd.Series(pd.to_datetime(["2024-12-31", "2025-02-10", "2025-05-01"]))
    periods, step = time_steps(times, start="2025-01-15", end="2025-04-30")
    assert [str(p) for p in periods] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert step.tolist() == [-1, 1, -1]


def test_time_steps_quarters() -> None:
    times = pd.Series(pd.to_datetime(["2025-01-05", "2025-08-01"]))
    periods, step = time_steps(times, time_step="quarter")
    assert [str(p) for p in periods] == ["2025Q1", "2025Q2", "2025Q3"]
    assert step.tolist() == [0, 2]


def test_time_steps_errors() -> None:
    with pytest.raises(ParameterError, match="time_step"):
        time_steps(pd.Series(pd.to_datetime(["2025-01-01"])), time_step="day")
    with pytest.raises(ParameterError, match="usable date"):
        time_steps(pd.Series([None, "not a date"]))
    with pytest.raises(ParameterError, match="before it starts"):
        time_steps(pd.Series(pd.to_datetime(["2025-01-01"])), start="2025-05-01", end="2025-01-01")


def test_build_cube_hand_counts() -> None:
    cells = fishnet(shapely.box(0, 0, 300, 100), cell_size=100)  # 3 cells in a row
    pts = _pts(
        [10, 20, 150, 250, 250, 50, 900],
        [10, 20, 50, 50, 60, 50, 50],
        ["2025-01-02", "2025-01-30", "2025-01-15", "2025-03-01", "2025-03-31", None, "2025-02-01"],
    )
    cube = build_cube(pts, cells=cells)
    assert cube.period_labels() == ["2025-01", "2025-02", "2025-03"]
    assert cube.counts.tolist() == [[2, 1, 0], [0, 0, 0], [0, 0, 2]]
    assert (cube.n_steps, cube.n_cells) == (3, 3)
    assert cube.n_no_time == 1
    assert cube.n_outside_area == 1  # the point at x=900
    assert cube.n_outside_period == 0
    assert cube.n_counted == 5


def test_partial_final_month_is_dropped_and_counted() -> None:
    """An extract taken on 14 March: March is partial, so it is left out and reported."""
    cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    pts = _pts(
        [10, 20, 150, 150, 50, 150],
        [10, 20, 50, 50, 50, 50],
        ["2025-01-03", "2025-02-10", "2025-02-28", "2025-03-02", "2025-03-14 10:00", None],
    )
    cube = build_cube(pts, cells=cells)
    assert cube.period_labels() == ["2025-01", "2025-02"]
    assert cube.dropped_partial_step == "2025-03"
    assert cube.n_dropped_partial == 2
    assert cube.n_outside_period == 2
    assert cube.counts.tolist() == [[1, 0], [1, 1]]
    assert cube.n_counted + cube.n_no_time + cube.n_outside_period + cube.n_outside_area == 6
    # explicit end: the caller states where the data end, the step is kept
    kept = build_cube(pts, cells=cells, end="2025-03-14")
    assert kept.period_labels() == ["2025-01", "2025-02", "2025-03"]
    assert kept.dropped_partial_step is None and kept.n_outside_period == 0
    assert kept.counts[2].tolist() == [1, 1]
    off = build_cube(pts, cells=cells, drop_partial_step=False)
    assert off.n_steps == 3 and off.dropped_partial_step is None


def test_complete_final_steps_are_kept() -> None:
    cells = fishnet(shapely.box(0, 0, 100, 100), cell_size=100)
    # last event on the last day of March (any time of day): complete
    cube = build_cube(_pts([10, 10], [10, 10], ["2025-01-03", "2025-03-31 00:00"]), cells=cells)
    assert cube.n_steps == 3 and cube.dropped_partial_step is None
    # month-precision dates (police.uk 'month', first of the month) cover their whole month
    monthly = _pts([10, 10, 10], [10, 10, 10], ["2025-01-01", "2025-02-01", "2025-03-01"])
    assert build_cube(monthly, cells=cells).n_steps == 3
    # ... but March alone does not complete the second quarter's April-June
    quarterly = _pts([10, 10], [10, 10], ["2025-01-01", "2025-04-01"])
    q = build_cube(quarterly, cells=cells, time_step="quarter")
    assert q.period_labels() == ["2025Q1"] and q.dropped_partial_step == "2025Q2"
    # a single (partial) step is never dropped
    single = build_cube(_pts([10], [10], ["2025-03-14"]), cells=cells)
    assert single.period_labels() == ["2025-03"] and single.dropped_partial_step is None


def test_partial_final_period_weeks_and_quarters() -> None:
    sunday = pd.Series(["2025-03-03", "2025-03-09 23:00"])  # Mon .. Sun, as text
    assert partial_final_period(sunday, time_step="week") is None
    saturday = pd.Series(pd.to_datetime(["2025-03-03", "2025-03-08"]))
    assert str(partial_final_period(saturday, time_step="week")) == "2025-03-03/2025-03-09"
    assert str(partial_final_period(saturday, time_step="quarter")) == "2025Q1"
    assert partial_final_period(pd.Series([None, "nope"])) is None


def test_build_cube_requires_date_column_and_bng() -> None:
    cells = fishnet(shapely.box(0, 0, 100, 100), cell_size=100)
    pts = _pts([10], [10], ["2025-01-01"])
    with pytest.raises(ParameterError, match="no 'start' column"):
        build_cube(pts, cells=cells, time_column="start")
    with pytest.raises(ParameterError, match="EPSG:27700"):
        build_cube(pts.set_crs(4326, allow_override=True), cells=cells)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-100, 500),
            st.floats(-100, 300),
            st.one_of(st.none(), st.integers(0, 400)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_cube_reconciles_every_point(rows: list[tuple[float, float, int | None]]) -> None:
    """Every point is counted once or reported as no date / outside period / outside area."""
    if all(d is None for _, _, d in rows):
        rows = [*rows, (10.0, 10.0, 0)]
    cells = fishnet(shapely.box(0, 0, 400, 200), cell_size=100)
    base = pd.Timestamp("2025-01-01")
    dates = [None if d is None else str(base + pd.Timedelta(days=d)) for _, _, d in rows]
    pts = _pts([r[0] for r in rows], [r[1] for r in rows], dates)
    cube = build_cube(pts, cells=cells, start="2025-02-01", end="2025-10-31")
    assert cube.n_steps == 9
    assert (cube.counts >= 0).all()
    total = cube.n_counted + cube.n_no_time + cube.n_outside_period + cube.n_outside_area
    assert total == len(pts)


def test_time_window_backward_and_both() -> None:
    back = time_window(4, steps=2).toarray().astype(int)
    assert back.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]]
    both = time_window(4, steps=1, direction="both").toarray().astype(int)
    assert both.tolist() == [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]]
    assert time_window(3, steps=0).toarray().tolist() == np.eye(3).tolist()
    with pytest.raises(ParameterError):
        time_window(3, steps=-1)
    with pytest.raises(ParameterError):
        time_window(3, direction="forward")


def test_spacetime_weights_match_definition() -> None:
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 1000, (12, 2))
    S = band_weights(xy, band=300)
    n_steps, k = 5, 1
    W = spacetime_weights(S, n_steps=n_steps, steps=k).toarray()
    n = len(xy)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    for t in range(n_steps):
        for c in range(n):
            row = W[t * n + c].reshape(n_steps, n)
            for t2 in range(n_steps):
                expected = (d[c] <= 300) & (t - k <= t2 <= t)
                assert row[t2].astype(bool).tolist() == expected.tolist()
    assert isinstance(spacetime_weights(S, n_steps=2), sp.csr_matrix)


@pytest.mark.parametrize(("k", "direction"), [(0, "backward"), (1, "backward"), (3, "both")])
def test_window_sums_equal_the_explicit_matrix(k: int, direction: str) -> None:
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 1000, (15, 2))
    S = band_weights(xy, band=350)
    counts = rng.poisson(2.0, (6, 15)).astype(float)
    W = spacetime_weights(S, n_steps=6, steps=k, direction=direction)
    sums, card = spacetime_window_sums(counts, S, steps=k, direction=direction)
    np.testing.assert_allclose(sums.ravel(), W @ counts.ravel())
    np.testing.assert_allclose(card.ravel(), np.asarray(W.sum(axis=1)).ravel())
    with pytest.raises(ParameterError):
        spacetime_window_sums(counts[:, :3], S)
