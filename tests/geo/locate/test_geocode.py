"""Tests for geo.locate.geocode: postcode normalisation and offline lookup files (made-up
fixtures)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import LookupFileError
from geo.locate.geocode import (
    Lookups,
    PostcodeLookup,
    UprnLookup,
    load_lookups,
    normalise_postcode,
    normalise_postcodes,
)

FIX = Path(__file__).parents[2] / "fixtures" / "lookups"
SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hd1 2rs", "HD1 2RS"),
        ("HD12RS", "HD1 2RS"),
        ("  hd1   2RS ", "HD1 2RS"),
        ("W1A1AA", "W1A 1AA"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("gir0aa", "GIR 0AA"),
        ("HD1 2R", None),
        ("HD1", None),
        ("123 456", None),
        ("", None),
        ("HD1 2RS X", None),
        (None, None),
        (12345, None),
    ],
)
def test_normalise_postcode_examples(raw: object, expected: str | None) -> None:
    assert normalise_postcode(raw) == expected


_letter = st.sampled_from(string.ascii_uppercase)
_digit = st.sampled_from(string.digits)


@st.composite
def _postcodes(draw: st.DrawFn) -> str:
    outward = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]))
    text = "".join(draw(_letter) if ch == "A" else draw(_digit) for ch in outward)
    return text + draw(_digit) + draw(_letter) + draw(_letter)


@given(_postcodes(), st.sampled_from(["", " ", "  "]), st.booleans())
def test_normalise_postcode_properties(compact: str, space: str, lower: bool) -> None:
    typed = compact[:-3] + space + compact[-3:]
    typed = typed.lower() if lower else typed
    out = normalise_postcode(typed)
    assert out is not None
    assert SHAPE.match(out)
    assert out.replace(" ", "") == compact
    assert normalise_postcode(out) == out  # idempotent


@given(st.text(alphabet=string.ascii_letters + string.digits + " -", max_size=12))
def test_normalise_postcode_output_shape(text: str) -> None:
    out = normalise_postcode(text)
    assert out is None or SHAPE.match(out) or out == "GIR 0AA"


def test_normalise_postcodes_keeps_index() -> None:
    s = pd.Series(["zz1 1aa", "bad"], index=[10, 3])
    out = normalise_postcodes(s)
    assert list(out.index) == [10, 3]
    assert out.iloc[0] == "ZZ1 1AA" and pd.isna(out.iloc[1])


def test_nspl_lookup() -> None:
    lk = PostcodeLookup.from_csv(FIX / "nspl_sample.csv")
    got = lk.lookup(
        pd.Series(["zz11aa", "ZZ1 1AB", "ZZ1 1AC", "ZZ1 1ZZ", "nope"], index=list("abcde"))
    )
    assert list(got.index) == list("abcde")
    assert got["found"].tolist() == [True, True, False, False, False]
    assert got.loc["a", "easting"] == 414639 and got.loc["a", "northing"] == 417076
    assert got["terminated"].tolist() == [False, True, False, False, False]
    assert np.isnan(got.loc["c", "easting"])  # osgrdind 9: no grid reference
    assert pd.isna(got.loc["e", "postcode"])


def test_onspd_upper_case_headers() -> None:
    lk = PostcodeLookup.from_csv(FIX / "onspd_upper_sample.csv")
    got = lk.lookup(pd.Series(["ZZ1 1AA"]))
    assert got["found"].iloc[0] and got["easting"].iloc[0] == 414639


def test_codepoint_headerless_detected() -> None:
    lk = PostcodeLookup.from_csv(FIX / "codepoint_sample.csv")
    got = lk.lookup(pd.Series(["ZZ2 1AA", "zz2 1ab", "ZZ2 1AC"]))
    assert got["found"].tolist() == [True, True, False]  # quality 90 dropped
    assert got["easting"].tolist()[:2] == [414000, 414100]
    assert got["northing"].tolist()[:2] == [416000, 416100]
    assert not got["terminated"].any()


def test_codepoint_directory(tmp_path: Path) -> None:
    (tmp_path / "zz.csv").write_text((FIX / "codepoint_sample.csv").read_text())
    (tmp_path / "zy.csv").write_text('"ZZ3 1AA",10,400000,400000,"E92000001"\n')
    lk = PostcodeLookup.from_csv(tmp_path)
    assert lk.lookup(pd.Series(["ZZ3 1AA", "ZZ2 1AA"]))["found"].tolist() == [True, True]


def test_postcode_lookup_errors(tmp_path: Path) -> None:
    with pytest.raises(LookupFileError, match="does not exist"):
        PostcodeLookup.from_csv(tmp_path / "missing.csv")
    with pytest.raises(LookupFileError, match=r"bad_postcode\.csv.*oseast1m, osnrth1m"):
        PostcodeLookup.from_csv(FIX / "bad_postcode.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(LookupFileError, match="empty"):
        PostcodeLookup.from_csv(empty)


def test_uprn_lookup() -> None:
    lk = UprnLookup.from_csv(FIX / "open_uprn_sample.csv")
    got = lk.lookup(pd.Series(["999000000002", " 999000000001.0 ", "999000000003", "abc", None]))
    assert got["found"].tolist() == [True, True, False, False, False]
    assert got["easting"].iloc[0] == 414312.0 and got["northing"].iloc[1] == 417076.07
    assert np.isnan(got["uprn"].iloc[3])


def test_uprn_lookup_missing_columns(tmp_path: Path) -> None:
    bad = tmp_path / "uprn.csv"
    bad.write_text("UPRN,LATITUDE,LONGITUDE\n1,53.6,-1.7\n")
    with pytest.raises(LookupFileError, match=r"uprn\.csv.*X_COORDINATE, Y_COORDINATE"):
        UprnLookup.from_csv(bad)


def test_load_lookups_yaml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSMAP_POSTCODE_LOOKUP", raising=False)
    monkeypatch.delenv("CSMAP_UPRN_LOOKUP", raising=False)
    assert load_lookups() == Lookups()  # nothing configured
    (tmp_path / "pc.csv").write_text((FIX / "nspl_sample.csv").read_text())
    cfg = tmp_path / "conf.yaml"
    cfg.write_text(f"lookups:\n  postcode: pc.csv\n  uprn: {FIX / 'open_uprn_sample.csv'}\n")
    lk = load_lookups(cfg)
    assert lk.postcode is not None and lk.uprn is not None
    assert lk.postcode.source.endswith("pc.csv")
    monkeypatch.setenv("CSMAP_POSTCODE_LOOKUP", str(FIX / "codepoint_sample.csv"))
    lk = load_lookups(cfg)
    assert lk.postcode is not None and lk.postcode.source.endswith("codepoint_sample.csv")
    # csmap.yaml in the working directory is the default configuration
    (tmp_path / "csmap.yaml").write_text("lookups:\n  uprn: missing_uprn.csv\n")
    with pytest.raises(LookupFileError, match="missing_uprn.csv"):
        load_lookups()


def test_load_lookups_bad_config(tmp_path: Path) -> None:
    with pytest.raises(LookupFileError, match="does not exist"):
        load_lookups(tmp_path / "nope.yaml")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lookups:\n  postcodes: x.csv\n")
    with pytest.raises(LookupFileError, match="unknown lookups key"):
        load_lookups(cfg)
