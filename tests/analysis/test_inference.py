"""analysis.inference: normal p, Benjamini-Hochberg q-values, Monte Carlo p, labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.inference import (
    fdr_bh,
    fdr_cutoff,
    label_significance,
    make_rng,
    mc_pvalue,
    p_from_z,
)
from geo.errors import ParameterError


def reference_bh(p: np.ndarray) -> np.ndarray:
    """Textbook BH adjusted p: q_i = min over p_j >= p_i of p_j * m / rank_j (O(m^2))."""
    m = p.size
    ranks = np.argsort(np.argsort(p, kind="mergesort"), kind="mergesort") + 1
    q = np.empty(m)
    for i in range(m):
        cand = [p[j] * m / ranks[j] for j in range(m) if ranks[j] >= ranks[i]]
        q[i] = min(1.0, min(cand))
    return q


def test_p_from_z_reference_values() -> None:
    assert p_from_z(1.959963984540054) == pytest.approx(0.05, abs=1e-12)
    assert p_from_z(-1.959963984540054) == pytest.approx(0.05, abs=1e-12)
    assert p_from_z(2.326347874040841, alternative="greater") == pytest.approx(0.01, abs=1e-12)
    assert p_from_z(2.326347874040841, alternative="less") == pytest.approx(0.99, abs=1e-12)
    assert p_from_z(0.0) == pytest.approx(1.0)
    assert np.isnan(p_from_z(np.nan))
    with pytest.raises(ParameterError):
        p_from_z(1.0, alternative="sideways")


def test_fdr_bh_hand_example() -> None:
    # sorted p: 0.01 (r1), 0.03 (r2), 0.04 (r3), 0.5 (r4); m = 4
    # raw: 0.04, 0.06, 0.0533, 0.5 -> running min from the top: 0.04, 0.0533, 0.0533, 0.5
    q = fdr_bh([0.01, 0.04, 0.03, 0.5])
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_fdr_bh_matches_reference_formula() -> None:
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(size=150), rng.uniform(0, 0.002, size=20)])
    assert fdr_bh(p) == pytest.approx(reference_bh(p), abs=1e-14)


def test_fdr_bh_nan_kept_and_not_counted() -> None:
    q = fdr_bh([0.01, np.nan, 0.02])
    assert np.isnan(q[1])
    assert q[[0, 2]] == pytest.approx([0.02, 0.02])


def test_rejections_agree_with_esda_fdr_cutoff() -> None:
    esda = pytest.importorskip("esda")
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.uniform(size=500), rng.uniform(0, 1e-5, size=40)])
    for alpha in (0.01, 0.05, 0.1):
        cut = esda.fdr(p, alpha)
        q = fdr_bh(p)
        assert (q <= alpha).sum() > 0
        assert np.array_equal(q <= alpha, p <= cut)
        # esda returns the BH line k * alpha / m; csmap the largest rejected p: same rejections
        assert np.array_equal(p <= fdr_cutoff(p, alpha=alpha), p <= cut)


def test_fdr_cutoff_none_rejected_is_zero_not_bonferroni() -> None:
    assert fdr_cutoff([0.5, 0.6, 0.9], alpha=0.05) == 0.0


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 60), elements=st.floats(0, 1)))
def test_q_monotone_in_p_and_at_least_p(p: np.ndarray) -> None:
    q = fdr_bh(p)
    assert np.all(q >= p - 1e-15)
    assert np.all(q <= 1.0)
    order = np.argsort(p, kind="mergesort")
    assert np.all(np.diff(q[order]) >= -1e-15)


def test_mc_pvalue_alternatives() -> None:
    sim = np.array([1.0, 2.0, 6.0, 3.0])
    assert float(mc_pvalue(5.0, sim)) == pytest.approx(2 / 5)
    assert float(mc_pvalue(5.0, sim, alternative="less")) == pytest.approx(4 / 5)
    assert float(mc_pvalue(5.0, sim, alternative="two-sided")) == pytest.approx(0.8)
    assert float(mc_pvalue(5.0, sim, alternative="folded")) == pytest.approx(2 / 5)
    assert float(mc_pvalue(100.0, sim)) == pytest.approx(1 / 5)  # floor 1/(R+1)
    assert float(mc_pvalue(-1.0, sim, alternative="two-sided")) == pytest.approx(0.4)
    with pytest.raises(ParameterError):
        mc_pvalue(1.0, sim, alternative="bigger")
    with pytest.raises(ParameterError):
        mc_pvalue(1.0, [])


def test_mc_pvalue_vectorised_rows() -> None:
    sim = np.array([[0.0, 1.0, 2.0], [5.0, 6.0, 7.0]])
    assert mc_pvalue([2.0, 2.0], sim).tolist() == pytest.approx([0.5, 1.0])


def test_mc_pvalue_uniform_under_null() -> None:
    rng = make_rng(3)
    obs = rng.normal(size=2000)
    sim = rng.normal(size=(2000, 99))
    p = mc_pvalue(obs, sim)
    assert 0.03 < (p <= 0.05).mean() < 0.07


def test_labels() -> None:
    lab = label_significance([2.0, -2.0, 2.0, np.nan, 1.0], [0.01, 0.01, 0.2, 0.01, np.nan])
    assert lab.tolist() == ["hot", "cold", "not significant", "not significant", "not significant"]
    with pytest.raises(ParameterError):
        label_significance([1.0], [0.01], alpha=1.5)


def test_make_rng_reproducible() -> None:
    assert make_rng(5).random(3).tolist() == make_rng(5).random(3).tolist()
