"""Shared argparse types (app.commands.argtypes) and event loader (app.commands.inputs)."""

from __future__ import annotations

import argparse
import doctest
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.commands import argtypes, inputs
from app.commands.argtypes import count, date, metres, positive, scale, seed, share
from geo.errors import ParameterError


@pytest.mark.parametrize(
    ("func", "text", "value"),
    [
        (positive, "250", 250.0),
        (positive, " 1e-3 ", 0.001),
        (scale, "Auto", "auto"),
        (scale, "900", 900.0),
        (metres, "0", 0.0),
        (share, "0.05", 0.05),
        (count, "1", 1),
        (seed, "0", 0),
        (date, "2025-03-31", pd.Timestamp(2025, 3, 31)),
    ],
)
def test_accepts(func, text: str, value: object) -> None:  # type: ignore[no-untyped-def]
    assert func(text) == value


@pytest.mark.parametrize(
    ("func", "text"),
    [
        (positive, "0"),
        (positive, "-2"),
        (positive, "auto"),
        (positive, "inf"),
        (positive, "nan"),
        (scale, "0"),
        (scale, "nan"),
        (scale, "inf"),
        (scale, "x"),
        (metres, "-0.5"),
        (metres, "nan"),
        (share, "0"),
        (share, "1"),
        (count, "0"),
        (count, "1.5"),
        (seed, "-1"),
        (date, "31/31/2025"),
    ],
)
def test_refuses(func, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        func(text)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_positive_is_finite_and_above_zero(x: float) -> None:
    try:
        value = positive(repr(x))
    except argparse.ArgumentTypeError:
        assert not (math.isfinite(x) and x > 0)
    else:
        assert value == x and math.isfinite(value) and value > 0


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_count_and_seed_bounds(n: int) -> None:
    for func, low in ((count, 1), (seed, 0)):
        if n >= low:
            assert func(str(n)) == n
        else:
            with pytest.raises(argparse.ArgumentTypeError):
                func(str(n))


def test_argparse_reports_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="p")
    parser.add_argument("--radius", type=positive)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["--radius", "-1"])
    assert exc.value.code == 2
    assert "--radius: expected a positive number, got '-1'" in capsys.readouterr().err


def test_load_points_needs_one_source() -> None:
    ns = argparse.Namespace(input="a.csv", store="s.gpkg", kind="concerns", mapping=None)
    with pytest.raises(ParameterError, match="not both"):
        inputs.load_points(ns, area=None, prog="p", rows=0)


def test_quarantine_note_limits_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from types import SimpleNamespace

    quarantine = pd.DataFrame(
        {"source_file": ["f.csv"] * 3, "source_row": [2, 5, 9], "reasons": ["a", "b", "c"]}
    )
    rep = SimpleNamespace(
        rows_quarantined=3, rows_duplicate=1, rows_loaded=7, quarantine=quarantine
    )
    inputs.report_quarantine("f.csv", rep, prog="p", rows=2)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "p: f.csv: 3 row(s) quarantined, 1 duplicate(s) skipped, 7 used",
        "  f.csv row 2: a",
        "  f.csv row 5: b",
        "  ... 1 more",
    ]
    inputs.report_quarantine("f.csv", rep, prog="p", rows=0)
    assert len(capsys.readouterr().err.splitlines()) == 1


@pytest.mark.parametrize("module", [argtypes, inputs])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


def test_existing_store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "none.gpkg"
    with pytest.raises(ParameterError, match="none.gpkg: store not found"):
        inputs.existing_store(str(missing))
    monkeypatch.setenv("CSMAP_STORE", str(missing))
    with pytest.raises(ParameterError, match="none.gpkg"):
        inputs.existing_store(None)  # default from $CSMAP_STORE
    there = tmp_path / "s.gpkg"
    there.write_bytes(b"")
    assert inputs.existing_store(str(there)).path == there
