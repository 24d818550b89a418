"""Hostile input found by testing (issue #12): every row read, or a one-line refusal."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from geo.errors import UnreadableFileError
from geo.readers import read_table

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "fixtures" / "bad_inputs"
HEAD = ["record_id", "reported_date", "category", "latitude", "longitude"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def _rewrite_part(path: Path, part: str, edit) -> None:
    """Rewrite one member of a zip archive (the others copied unchanged)."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            out.writestr(info, edit(data) if info.filename == part else data)
        if part not in [info.filename for info, _ in members]:  # e.g. no shared strings yet
            out.writestr(part, edit(b""))


def _workbook(path: Path, n: int, *, dimension: str) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEAD)
    for i in range(n):
        sheet.append([f"X{i}", "2024-03-05", "CSE", 53.65, -1.78])
    book.save(path)
    _rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda data: re.sub(
            rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data
        ),
    )
    return path


# -- item 2: rows beyond the sheet's declared dimension ------------------------------------------


@pytest.mark.parametrize("dimension", ["A1:E11", "A1:L1", "A1"])
def test_xlsx_rows_beyond_a_stale_dimension_are_read(tmp_path: Path, dimension: str) -> None:
    path = _workbook(tmp_path / "c.xlsx", 1000, dimension=dimension)
    with zipfile.ZipFile(path) as z:
        assert f'<dimension ref="{dimension}"'.encode() in z.read("xl/worksheets/sheet1.xml")
    table = read_table(path)
    assert len(table.frame) == 1000
    assert list(table.frame.columns) == HEAD
    assert table.frame["record_id"].iloc[-1] == "X999"
    assert table.row_numbers()[-1] == 1001


# -- item 6: XML entity bomb in an .xlsx -----------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n"
)


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_xlsx_entity_bomb_is_refused_before_parsing(tmp_path: Path, part: str) -> None:
    path = _workbook(tmp_path / "bomb.xlsx", 3, dimension="A1:E4")

    def plant(data: bytes) -> bytes:
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        if not body:  # openpyxl wrote no shared strings: a table of one
            body = (
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                b'count="1" uniqueCount="1"><si><t>CSE</t></si></sst>'
            )
        return LAUGHS + body.replace(b"CSE", b"&lol9;", 1)

    _rewrite_part(path, part, plant)
    with pytest.raises(UnreadableFileError, match=f"{part} declares a DOCTYPE"):
        read_table(path)
    proc = run_cli("ingest", "concerns", str(path), "--store", str(tmp_path / "s.gpkg"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "bomb.xlsx" in proc.stderr
    assert not (tmp_path / "s.gpkg").exists()
