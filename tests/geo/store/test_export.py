"""Tests for geo.store.export: formula-injection neutralisation, safe names, contained paths."""

from __future__ import annotations

import csv
import doctest
import io
import os
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

import geo.store.export as export
from geo.store.export import (
    PathEscapeError,
    neutralise_cell,
    resolve_inside,
    safe_filename,
    to_csv_bytes,
    write_csv,
    write_xlsx,
)

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [*PAYLOADS, "plain", "-3.5"],
            "number": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, -3.5, -2.0],
        }
    )


def test_doctests_run() -> None:
    result = doctest.testmod(export)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_gets_leading_quote(payload: str) -> None:
    assert neutralise_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["-3.5", "-12", "-.5", "hello", "", "a=b", "1+1"])
def test_harmless_text_unchanged(value: str) -> None:
    assert neutralise_cell(value) == value


def test_non_text_unchanged() -> None:
    assert neutralise_cell(-3.5) == -3.5
    assert neutralise_cell(None) is None
    assert neutralise_cell(-1) == -1


def test_csv_neutralises_and_keeps_numbers() -> None:
    data = to_csv_bytes(_frame())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == ["text", "number"]
    texts = [r[0] for r in rows[1:]]
    assert texts[: len(PAYLOADS)] == ["'" + p for p in PAYLOADS]
    assert texts[-2:] == ["plain", "-3.5"]
    # the real negative number is written as a number, not quoted
    assert rows[-2][1] == "-3.5"
    assert rows[-1][1] == "-2.0"


def test_csv_header_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    write_csv(pd.DataFrame({"=evil": [1]}), path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "'=evil"


def test_xlsx_cells_are_strings_not_formulas(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    write_xlsx(_frame(), path)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    values = [ws.cell(row=r, column=1) for r in range(2, 2 + len(PAYLOADS))]
    for cell, payload in zip(values, PAYLOADS, strict=True):
        assert cell.data_type == "s"
        # XML parsers normalise a bare carriage return to a newline when reading back
        assert cell.value == ("'" + payload).replace("\r", "\n")
    last = ws.cell(row=ws.max_row, column=2)
    assert last.value == -2.0 and last.data_type == "n"
    neg = ws.cell(row=ws.max_row - 1, column=2)
    assert neg.value == -3.5


def test_xlsx_handles_dates_missing_and_control_chars() -> None:
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(pd.Series(["2024-01-02", None])),
            "count": pd.array([3, None], dtype="Int64"),
            "note": ["bell\x07here", None],
        }
    )
    buf = io.BytesIO()
    write_xlsx(frame, buf)
    buf.seek(0)
    ws = openpyxl.load_workbook(buf).active
    assert ws is not None
    assert ws["A2"].value.year == 2024
    assert ws["A3"].value is None
    assert ws["B2"].value == 3 and ws["B3"].value is None
    assert ws["C2"].value == "bellhere"


def test_geodataframe_geometry_written_as_wkt() -> None:
    gdf = gpd.GeoDataFrame({"name": ["=x"]}, geometry=[Point(1, 2)], crs=27700)
    text = to_csv_bytes(gdf).decode()
    assert "POINT (1 2)" in text
    assert "'=x" in text


@given(st.text(max_size=30))
def test_property_no_csv_cell_starts_a_formula(text: str) -> None:
    out = neutralise_cell(text)
    if out and out[0] in export.FORMULA_PREFIXES:
        # only plain negative numbers may keep a leading minus
        assert out[0] == "-"
        float(out)
    assert out.removeprefix("'") == text or out == text


def test_safe_filename_period_and_method() -> None:
    name = safe_filename(
        "hotspots",
        method="dual-kde",
        period=(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31")),
        ext="gpkg",
    )
    assert name == "hotspots_dual-kde_2024-01-01_to_2024-03-31.gpkg"


@given(st.text(max_size=60), st.text(max_size=10))
def test_property_safe_filename_has_no_path(stem: str, method: str) -> None:
    name = safe_filename(stem, method=method, ext="csv")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".")
    assert ".." not in name
    assert name.endswith(".csv")
    assert os.path.basename(name) == name


def test_resolve_inside(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    assert resolve_inside(tmp_path, "maps/m.yaml") == (tmp_path / "maps" / "m.yaml").resolve()
    for bad in ["../x", "maps/../../x", "/etc/passwd", "a\x00b"]:
        with pytest.raises(PathEscapeError):
            resolve_inside(tmp_path, bad)


def test_resolve_inside_refuses_symlink_out(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "link").symlink_to(tmp_path)
    with pytest.raises(PathEscapeError):
        resolve_inside(base, "link/other.yaml")
    assert issubclass(PathEscapeError, ValueError)
