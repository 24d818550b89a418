"""The cell key method (analysis/disclosure/cell_key.py) and its use in suppress_counts (issue #12,
item 8)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure.cell_key import (
    CellKeyError,
    PTable,
    cell_keys,
    record_keys,
    record_keys_of,
)
from analysis.disclosure.control import DisclosurePolicy, suppress_counts
from geo.errors import ParameterError


def test_record_key_is_the_keyed_blake2b_of_the_id_mod_the_range() -> None:
    keys = record_keys(pd.Series(["C-0001", "C-0002", None]), secret="store-secret", key_range=97)
    for n, rid in enumerate(["C-0001", "C-0002"]):
        digest = hashlib.blake2b(rid.encode(), key=b"store-secret", digest_size=8).digest()
        assert keys.iloc[n] == int.from_bytes(digest, "big") % 97
    assert keys.iloc[2] == 0  # no id: key 0


def test_record_keys_depend_on_the_secret() -> None:
    ids = pd.Series([f"R{i}" for i in range(200)])
    a = record_keys(ids, secret="one")
    b = record_keys(ids, secret="two")
    assert float((a != b).mean()) > 0.9
    assert a.between(0, 255).all()


def test_record_keys_of_uses_the_stored_id_column() -> None:
    r = pd.DataFrame({"episode_id": ["E1", "E2"], "row_hash": ["h1", "h2"]})
    assert record_keys_of(r, secret="s").equals(record_keys(r["episode_id"], secret="s"))


def test_cell_keys_by_hand() -> None:
    keys = pd.Series([10, 200, 100, 7, 255], index=[5, 6, 7, 8, 9])
    rows = pd.Series(["a", "a", "a", "b", None], index=[5, 6, 7, 8, 9])
    out = cell_keys(keys, rows, like=pd.Series([0, 0, 0], index=["a", "b", "z"]))
    assert out.to_dict() == {"a": (10 + 200 + 100) % 256, "b": 7, "z": 0}


def test_ptable_by_hand() -> None:
    p = PTable()
    # value 10, key 3: u = (151*3 + 211*10) % 256 = 2563 % 256 = 3; floor(3*5/256) - 2 = -2
    assert p.noise(np.array([10]), np.array([3])).tolist() == [-2]
    assert p.perturb(np.array([10]), np.array([3])).tolist() == [8]
    assert p.noise(np.array([0, 1, 2]), np.array([17, 17, 17])).tolist() == [0, 0, 0]


def test_ptable_rows_are_balanced_and_bounded() -> None:
    p = PTable()
    table = p.rows(range(0, 60))
    assert table.loc[0].eq(0).all()
    for v in range(3, 60):
        counts = table.loc[v].value_counts()
        assert sorted(counts.index) == [-2, -1, 0, 1, 2]
        assert counts.max() - counts.min() <= 1  # 256 keys over 5 noise values
        assert abs(float(table.loc[v].to_numpy().mean())) < 0.01


def test_bad_parameters_are_value_errors() -> None:
    with pytest.raises(CellKeyError):
        PTable(key_range=1)
    with pytest.raises(ValueError):
        record_keys(pd.Series(["a"]), secret="")
    with pytest.raises(ParameterError):
        DisclosurePolicy(max_noise=5)  # noise could take a shown count to zero
    with pytest.raises(ParameterError):
        suppress_counts(pd.Series([5, 6]), keys=pd.Series([1, 2, 3]))


def test_suppression_applies_to_true_and_perturbed_counts() -> None:
    counts = pd.Series([3, 6, 40], index=list("abc"))
    # find a key that takes 6 below the threshold: 6 - 2 = 4 -> c
    p = PTable()
    k_low = int(np.flatnonzero(p.noise(np.full(256, 6), np.arange(256)) == -2)[0])
    k_high = int(np.flatnonzero(p.noise(np.full(256, 3), np.arange(256)) == 0)[0])
    keys = pd.Series([k_high, k_low, 0], index=list("abc"))
    t = suppress_counts(counts, keys=keys, totals="none")
    assert t.display.tolist()[:2] == ["c", "c"]
    assert t.perturbed
    assert abs(int(t.values["c"]) - 40) <= 2


def test_total_key_is_the_sum_of_its_cell_keys() -> None:
    counts = pd.DataFrame({"x": [20, 30], "y": [25, 35]}, index=["a", "b"])
    keys = pd.DataFrame({"x": [100, 200], "y": [50, 250]}, index=["a", "b"])
    t = suppress_counts(counts, keys=keys, totals="both")
    p = PTable()
    assert t.values.loc["Total", "Total"] == p.perturb(np.array([110]), np.array([600 % 256]))[0]
    assert t.values.loc["a", "Total"] == p.perturb(np.array([45]), np.array([150]))[0]
    assert t.values.loc["Total", "x"] == p.perturb(np.array([50]), np.array([300 % 256]))[0]


records = st.lists(
    st.tuples(st.text(min_size=1, max_size=6), st.sampled_from(["a", "b", "c"])),
    min_size=1,
    max_size=40,
    unique_by=lambda t: t[0],
)


@settings(max_examples=60, deadline=None)
@given(records, st.randoms(use_true_random=False))
def test_cell_keys_do_not_depend_on_record_order(rows: list, rnd: object) -> None:
    frame = pd.DataFrame(rows, columns=["record_id", "ward"])
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 10_000))  # type: ignore[attr-defined]
    shuffled = shuffled.reset_index(drop=True)
    policy = DisclosurePolicy()
    like = frame["ward"].value_counts().sort_index()
    one = policy.keys(frame, frame["ward"], like=like)
    two = policy.keys(shuffled, shuffled["ward"], like=like)
    assert one is not None and two is not None
    assert one.equals(two)  # type: ignore[arg-type]
    assert policy.table(like, keys=one).display.equals(policy.table(like, keys=two).display)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=30),
    st.lists(st.integers(0, 255), min_size=30, max_size=30),
)
def test_perturbation_is_deterministic_and_bounded(values: list, keys: list) -> None:
    v = np.array(values)
    k = np.array(keys[: len(values)])
    p = PTable()
    first = p.perturb(v, k)
    assert np.array_equal(first, p.perturb(v.copy(), k.copy()))
    assert (np.abs(first - v) <= 2).all()
    assert ((first == 0) == (v == 0)).all()  # zero stays zero, non-zero stays non-zero


def test_the_secret_is_not_in_the_policy_repr() -> None:
    policy = DisclosurePolicy(cell_key_secret="do-not-print-me")
    assert "do-not-print-me" not in repr(policy)
    assert (
        policy.keys(
            pd.DataFrame({"record_id": ["R1"]}), pd.Series(["a"]), like=pd.Series([1], index=["a"])
        )
        is not None
    )
