"""Knox test: reproduces pointpats on Burkitt, hand examples, properties."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pointpats.spacetime import Knox as PPKnox
from pointpats.spacetime import KnoxLocal as PPKnoxLocal

from analysis.spacetime.knox import Knox, KnoxLocal, numeric_times
from geo.errors import ParameterError


@pytest.fixture(scope="module")
def burkitt() -> gpd.GeoDataFrame:
    return gpd.read_file(libpysal.examples.get_path("burkitt.shp"))


def test_global_matches_documented_burkitt_values(burkitt: gpd.GeoDataFrame) -> None:
    k = Knox(burkitt[["X", "Y"]].to_numpy(), burkitt["T"], delta=20, tau=5, permutations=0)
    assert k.statistic == 13
    assert k.expected == pytest.approx(10.1438, abs=1e-4)
    assert k.p_poisson == pytest.approx(0.14625, abs=1e-5)
    assert k.observed.tolist() == [[13, 3416], [39, 14110]]
    assert k.p_sim is None


def test_both_poisson_conventions_on_burkitt(burkitt: gpd.GeoDataFrame) -> None:
    """p_poisson is pointpats' P(X > 13); p_poisson_inclusive is the usual P(X >= 13)."""
    from scipy.stats import poisson

    k = Knox(burkitt[["X", "Y"]].to_numpy(), burkitt["T"], delta=20, tau=5, permutations=0)
    mu = k.expected
    assert k.p_poisson == pytest.approx(poisson.sf(13, mu), rel=1e-12)
    assert k.p_poisson == pytest.approx(0.14625, abs=1e-5)
    # reference: 1 - P(X <= 12), summed by hand from the pmf
    inclusive = 1.0 - sum(poisson.pmf(i, mu) for i in range(13))
    assert k.p_poisson_inclusive == pytest.approx(inclusive, rel=1e-9)
    assert k.p_poisson_inclusive == pytest.approx(0.2220, abs=5e-4)
    assert k.p_poisson_inclusive - k.p_poisson == pytest.approx(poisson.pmf(13, mu), rel=1e-9)
    summary = k.summary()
    assert summary["p_poisson"] == k.p_poisson
    assert summary["p_poisson_inclusive"] == k.p_poisson_inclusive


def test_cli_json_has_both_poisson_p(
    burkitt: gpd.GeoDataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    path = tmp_path / "burkitt.csv"
    burkitt[["X", "Y", "T"]].to_csv(path, index=False)
    args = ["spacetime", "knox", str(path), "--delta", "20", "--tau", "5", "--permutations", "0"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["p_poisson"] == pytest.approx(0.14625, abs=1e-5)
    assert out["p_poisson_inclusive"] == pytest.approx(0.2220, abs=5e-4)
    with pytest.raises(SystemExit):
        main(["spacetime", "knox", "--help"])
    helptext = capsys.readouterr().out
    assert "p_poisson_inclusive" in helptext and "pointpats" in helptext


def test_global_matches_pointpats(burkitt: gpd.GeoDataFrame) -> None:
    xy = burkitt[["X", "Y"]].to_numpy()
    for delta, tau in [(20, 5), (50, 30), (10, 100)]:
        ref = PPKnox(xy, burkitt[["T"]], delta=delta, tau=tau, permutations=0)
        k = Knox(xy, burkitt["T"], delta=delta, tau=tau, permutations=0)
        assert k.statistic == ref.statistic_
        np.testing.assert_allclose(k.observed, ref.observed)
        np.testing.assert_allclose(k.expected_table, ref.expected)
        assert k.p_poisson == pytest.approx(ref.p_poisson, rel=1e-12)


def test_local_counts_and_hypergeom_match_pointpats(burkitt: gpd.GeoDataFrame) -> None:
    xy = burkitt[["X", "Y"]].to_numpy()
    ref = PPKnoxLocal(xy, burkitt[["T"]].to_numpy(), delta=20, tau=5, permutations=0)
    k = KnoxLocal(xy, burkitt["T"], delta=20, tau=5, permutations=199, seed=3)
    np.testing.assert_array_equal(k.nsti, ref.nsti)
    np.testing.assert_allclose(k.p_hypergeom, ref.p_hypergeom, atol=1e-12)
    assert int((k.nsti > 0).sum()) == 26
    assert k.p_sims is not None
    # events with no space-time neighbour can never be significant
    assert np.all(k.p_sims[k.nsti == 0] == 1.0)


def test_local_sim_p_agrees_with_exact_conditional_p(burkitt: gpd.GeoDataFrame) -> None:
    """The conditional-permutation p is Hypergeom(n-1, nt_i, ns_i); simulation must agree."""
    from scipy.stats import hypergeom

    xy = burkitt[["X", "Y"]].to_numpy()
    k = KnoxLocal(xy, burkitt["T"], delta=20, tau=5, permutations=4999, seed=7)
    exact = hypergeom.sf(k.nsti - 1, k.n - 1, k.nti, k.nsi)
    assert k.p_sims is not None
    np.testing.assert_allclose(k.p_sims, exact, atol=0.03)


def test_monte_carlo_is_seeded_and_bounded(burkitt: gpd.GeoDataFrame) -> None:
    xy = burkitt[["X", "Y"]].to_numpy()
    a = Knox(xy, burkitt["T"], delta=20, tau=5, permutations=199, seed=5)
    b = Knox(xy, burkitt["T"], delta=20, tau=5, permutations=199, seed=5)
    assert a.p_sim == b.p_sim
    assert a.p_sim is not None and 1 / 200 <= a.p_sim <= 1
    # the documented pointpats p_sim is 0.21 (99 permutations); ours must be in the same range
    assert 0.1 < a.p_sim < 0.35


def test_hand_example_strong_interaction() -> None:
    # two tight space-time groups far apart in space and time, plus isolated events
    xy = np.array([[0, 0], [1, 0], [0, 1], [500, 500], [501, 500], [900, 0], [0, 900]], float)
    t = [0, 1, 2, 100, 101, 50, 200]
    k = Knox(xy, t, delta=2, tau=2, permutations=0)
    # spatial pairs: (0,1),(0,2),(1,2),(3,4) = 4; all of them also within 2 days
    assert k.ns == 4 and k.nst == 4
    # temporal pairs: (0,1),(0,2),(1,2),(3,4) = 4
    assert k.nt == 4
    assert k.expected == pytest.approx(4 * 4 / 21)


def test_dates_and_months() -> None:
    dates = pd.to_datetime(["2024-01-01", "2024-01-03", "2024-03-01", "2024-03-02"])
    xy = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)
    days = Knox(xy, dates, delta=20, tau=2, permutations=0)
    assert days.nst == 2  # (0,1) 2 days apart, (2,3) 1 day
    months = Knox(xy, dates, delta=20, tau=1, time_unit="months", permutations=0)
    assert months.nst == 2  # Jan-Jan and Mar-Mar only; Jan-Mar is 2 months
    assert numeric_times(pd.PeriodIndex(["2024-01", "2024-03"], freq="M")).tolist() == [
        648.0,
        650.0,
    ]


def test_bad_input_raises() -> None:
    with pytest.raises(ParameterError):
        Knox([[0, 0], [1, 1]], [0, 1], delta=-1, tau=1)
    with pytest.raises(ParameterError):
        Knox([[0, 0], [1, 1]], [0], delta=1, tau=1)
    with pytest.raises(ParameterError):
        Knox([[0, 0], [np.nan, 1]], [0, 1], delta=1, tau=1)
    pts = gpd.GeoSeries(gpd.points_from_xy([0, 1], [50, 51]), crs=4326)
    with pytest.raises(ParameterError):
        Knox(pts, [0, 1], delta=1, tau=1)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 30)),
        min_size=2,
        max_size=40,
    ),
    st.integers(1, 20),
    st.integers(0, 10),
)
def test_counts_equal_brute_force(events: list[tuple[int, int, int]], delta: int, tau: int) -> None:
    arr = np.array(events, dtype=float)
    xy, t = arr[:, :2], arr[:, 2]
    k = KnoxLocal(xy, t, delta=delta, tau=tau, permutations=0)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    dt = np.abs(t[:, None] - t[None, :])
    off = ~np.eye(len(t), dtype=bool)
    s = (d <= delta) & off
    tt = (dt <= tau) & off
    assert k.ns == s.sum() // 2
    assert k.nt == tt.sum() // 2
    assert k.nst == (s & tt).sum() // 2
    np.testing.assert_array_equal(k.nsti, (s & tt).sum(axis=1))
    # translation invariance in space and time
    k2 = Knox(xy + 12345.0, t + 7.0, delta=delta, tau=tau, permutations=0)
    assert k2.nst == k.nst
