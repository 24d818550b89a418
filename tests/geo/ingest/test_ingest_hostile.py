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
from geo.ingest.read.readers import read_table

ROOT = Path(__file__).resolve().parents[3]
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


# -- item 3: one stray quote folds the rest of a CSV into one cell ---------------------------------

CSV_HEAD = "record_id,reported_date,place_name,latitude,longitude\n"


def _stray_quote_csv(path: Path, n: int, *, closing_row: int | None = None, blank: bool = False):
    lines = [CSV_HEAD]
    for i in range(n):
        place = "Town centre"
        if i == 0:
            place = '"Bus station'
        elif closing_row is not None and i == closing_row:
            place = '"Market, by the clock"'
        lines.append(f"Q{i},2024-03-05,{place},53.65,-1.78\n")
        if blank and i == 0:
            lines.append("\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("closing_row", "blank"), [(None, False), (None, True), (5, False), (500, True)]
)
def test_stray_quote_is_refused_naming_file_row_and_field(
    tmp_path: Path, closing_row: int | None, blank: bool
) -> None:
    path = _stray_quote_csv(tmp_path / "quote.csv", 1000, closing_row=closing_row, blank=blank)
    with pytest.raises(UnreadableFileError, match=r"quote\.csv: row 2, field place_name: a quote"):
        read_table(path)


def test_stray_quote_cli_one_line_exit_2(tmp_path: Path) -> None:
    path = _stray_quote_csv(tmp_path / "quote.csv", 1000)
    proc = run_cli("ingest", "concerns", str(path), "--store", str(tmp_path / "s.gpkg"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1
    assert "quote.csv: row 2, field place_name" in proc.stderr
    assert not (tmp_path / "s.gpkg").exists()


def test_quoted_fields_with_line_breaks_still_read(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        CSV_HEAD
        + 'M1,2024-03-05,"Bus station,\nstand B, by the\nkiosk",53.65,-1.78\n'
        + 'M2,2024-03-05,"Park\n\nnorth gate",53.65,-1.78\n'
        + "M3,2024-03-05,Market,53.65,-1.78\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.frame["record_id"].tolist() == ["M1", "M2", "M3"]
    assert table.frame["place_name"].tolist() == [
        "Bus station,\nstand B, by the\nkiosk",
        "Park\n\nnorth gate",
        "Market",
    ]


# -- item 6: a header of 200,000 columns ---------------------------------------------------------


@pytest.mark.timeout(60)
def test_too_many_columns_refused_from_the_header_line(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    width = 20_000  # small enough not to hang CI if the check regressed, wide enough to refuse
    path.write_text(
        ",".join(f"c{i}" for i in range(width)) + "\n" + ",".join("1" * width) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(UnreadableFileError, match=r"wide\.csv: row 1 \(the header\) has 20000 col"):
        read_table(path)
    proc = run_cli("ingest", "concerns", str(path), "--store", str(tmp_path / "s.gpkg"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr


def test_too_many_cells_in_a_ragged_row_refused(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(CSV_HEAD + "R1,2024-03-05,x,53.65,-1.78" + ",1" * 2000 + "\n")
    with pytest.raises(UnreadableFileError, match=r"ragged\.csv: record 2 has 2005 cells"):
        read_table(path)


# -- item 5: ids differing only by invisible characters ------------------------------------------

INVISIBLE_IDS = ["R1\u200b", "\ufeffR1", "R\u00a01", "R1\u00a0", "\u2060R1", "R1\u00ad", "Ｒ１"]


def _concerns(path: Path, ids: list[str]) -> Path:
    path.write_text(
        "record_id,reported_date,latitude,longitude\n"
        + "".join(f"{i},2024-03-05,53.65,-1.78\n" for i in ids),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def area():
    from geo.places.boundaries import load_area

    return load_area("kirklees")


@pytest.mark.parametrize("variant", INVISIBLE_IDS)
def test_invisible_characters_do_not_bypass_dedup_in_a_file(
    tmp_path: Path, area, variant: str
) -> None:
    from geo.ingest.pipeline import ingest_file
    from geo.locate.geocode import Lookups
    from geo.store.gpkg import Store

    plain = "R 1" if "\u00a0" in variant[1:-1] else "R1"
    src = _concerns(tmp_path / "c.csv", [plain, variant])
    report = ingest_file("concerns", src, store=tmp_path / "s.gpkg", lookups=Lookups(), area=area)
    assert (report.rows_loaded, report.rows_duplicate, report.rows_quarantined) == (1, 1, 0)
    assert Store(tmp_path / "s.gpkg").read("concerns")["record_id"].tolist() == [plain]


@pytest.mark.parametrize("variant", INVISIBLE_IDS)
def test_invisible_characters_do_not_bypass_dedup_against_the_store(
    tmp_path: Path, area, variant: str
) -> None:
    from geo.ingest.pipeline import ingest_file
    from geo.locate.geocode import Lookups
    from geo.store.gpkg import Store

    plain = "R 1" if "\u00a0" in variant[1:-1] else "R1"
    store = Store(tmp_path / "s.gpkg")
    ingest_file(
        "concerns",
        _concerns(tmp_path / "a.csv", [plain]),
        store=store,
        lookups=Lookups(),
        area=area,
    )
    again = ingest_file(
        "concerns",
        _concerns(tmp_path / "b.csv", [variant]),
        store=store,
        lookups=Lookups(),
        area=area,
    )
    assert (again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (0, 1, 0)
    assert store.read("concerns")["record_id"].tolist() == [plain]


# -- item 6: YAML alias bombs (--mapping and csmap.yaml) ------------------------------------------


def _alias_bomb(levels: int, *, under: str) -> str:
    """A nested-alias bomb: ``levels`` levels of nine aliases each (9**levels values)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    body = "\n".join("  " + line for line in lines)
    return f"{under}:\n{body}\n"


@pytest.mark.timeout(120)
def test_mapping_alias_bomb_refused(tmp_path: Path) -> None:
    from geo.errors import SchemaError
    from geo.ingest.schema import load_mapping

    bomb = tmp_path / "mapping.yaml"
    bomb.write_text("columns: {}\n" + _alias_bomb(4, under="values"), encoding="utf-8")
    with pytest.raises(
        SchemaError, match=r"mapping\.yaml: not valid YAML \(aliases \(\*l0\) are not"
    ):
        load_mapping(bomb)
    src = _concerns(tmp_path / "c.csv", ["R1"])
    proc = run_cli(
        "ingest", "concerns", str(src), "--store", str(tmp_path / "s.gpkg"), "--mapping", str(bomb)
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "aliases" in proc.stderr
    assert not (tmp_path / "s.gpkg").exists()


@pytest.mark.timeout(120)
def test_csmap_yaml_alias_bomb_refused(tmp_path: Path) -> None:
    (tmp_path / "csmap.yaml").write_text(_alias_bomb(4, under="lookups"), encoding="utf-8")
    src = _concerns(tmp_path / "c.csv", ["R1"])
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", "concerns", str(src)]
        + ["--store", str(tmp_path / "s.gpkg")],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # csmap.yaml is read from the working directory
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "aliases" in proc.stderr and "csmap.yaml" in proc.stderr


def test_yaml_without_aliases_still_reads(tmp_path: Path) -> None:
    from geo.ingest.schema import load_mapping

    path = tmp_path / "m.yaml"
    path.write_text("columns:\n  Incident No: record_id\nvalues:\n  category: {Ex: CSE}\n")
    assert load_mapping(path).values == {"category": {"Ex": "CSE"}}


def test_oversized_yaml_refused(tmp_path: Path) -> None:
    from geo.errors import SchemaError
    from geo.ingest.schema import load_mapping

    path = tmp_path / "big.yaml"
    path.write_text("columns: {}\n# " + "x" * 1_000_001 + "\n")
    with pytest.raises(SchemaError, match=r"big\.yaml: not valid YAML \(1,000,0\d\d characters"):
        load_mapping(path)


# -- item 4: mixed encodings -----------------------------------------------------------------------

MIXED_HEAD = "record_id,reported_date,place_name,latitude,longitude\n"


def _mixed(path: Path, *, majority: str, n: int = 20, odd_at: tuple[int, ...] = (7,)) -> Path:
    other = "cp1252" if majority == "utf-8" else "utf-8"
    data = MIXED_HEAD.encode()
    for i in range(n):
        line = f"E{i},2024-03-05,Café Röyal {i},53.65,-1.78\n"
        data += line.encode(other if i in odd_at else majority)
    path.write_bytes(data)
    return path


def test_utf8_file_with_one_invalid_row_quarantines_only_that_row(tmp_path: Path, area) -> None:
    from geo.ingest.pipeline import ingest_file
    from geo.locate.geocode import Lookups
    from geo.store.gpkg import Store

    src = _mixed(tmp_path / "mixed.csv", majority="utf-8")
    table = read_table(src)
    assert table.frame["place_name"].iloc[0] == "Café Röyal 0"
    report = ingest_file("concerns", src, store=tmp_path / "s.gpkg", lookups=Lookups(), area=area)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (20, 19, 1)
    assert report.rows_read == report.rows_loaded + report.rows_quarantined + report.rows_duplicate
    assert report.quarantine["source_row"].tolist() == [9]
    assert report.quarantine["reasons"].iloc[0].startswith("row is not valid UTF-8")
    stored = Store(tmp_path / "s.gpkg").read("concerns")
    assert sorted(stored["place_name"]) == sorted(f"Café Röyal {i}" for i in range(20) if i != 7)
    assert not stored["place_name"].str.contains("Ã").any()


def test_cp1252_file_with_one_utf8_row_flags_that_row(tmp_path: Path) -> None:
    table = read_table(_mixed(tmp_path / "mixed.csv", majority="cp1252", odd_at=(3,)))
    assert table.encoding == "cp1252 (mixed)"
    assert table.frame["place_name"].iloc[0] == "Café Röyal 0"
    assert table.reasons is not None
    flagged = [int(r) for r, why in zip(table.row_numbers(), table.reasons, strict=True) if why]
    assert flagged == [5]


def test_invalid_line_inside_a_multi_line_cell_flags_its_row(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_bytes(
        MIXED_HEAD.encode()
        + "M1,2024-03-05,Café,53.65,-1.78\n".encode()
        + b'M2,2024-03-05,"Bus station\n'
        + 'stand Röyal",53.65,-1.78\n'.encode("cp1252")
        + "M3,2024-03-05,Café,53.65,-1.78\n".encode()
        + "M4,2024-03-05,Café,53.65,-1.78\n".encode()
    )
    table = read_table(path)
    assert table.frame["record_id"].tolist() == ["M1", "M2", "M3", "M4"]
    assert table.reasons is not None and [bool(r) for r in table.reasons] == [0, 1, 0, 0]


def test_whole_cp1252_file_still_reads_as_before() -> None:
    table = read_table(BAD / "latin1.csv")
    assert table.encoding == "cp1252" and table.reasons is None
    assert table.frame["place_name"].tolist() == ["Café Röyal"]


# -- the small corpus files of issue #12, through the command line ---------------------------------


def _ingest_cli(tmp_path: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    store = tmp_path / "s.gpkg"
    return run_cli("ingest", "concerns", str(BAD / name), "--store", str(store), *extra)


def test_corpus_stray_quote(tmp_path: Path) -> None:
    proc = _ingest_cli(tmp_path, "stray_quote.csv")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("fix the file and ingest again")
    assert "stray_quote.csv: row 2, field summary: a quote opened here" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_corpus_mixed_encoding(tmp_path: Path) -> None:
    import json

    proc = _ingest_cli(tmp_path, "mixed_encoding.csv")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["rows_read"], summary["rows_loaded"], summary["rows_quarantined"]) == (6, 5, 1)
    quarantine = Path(summary["quarantine_file"]).read_text(encoding="utf-8-sig")
    assert "row is not valid UTF-8" in quarantine and "Café 6" in quarantine


def test_corpus_invisible_ids(tmp_path: Path) -> None:
    import json

    proc = _ingest_cli(tmp_path, "invisible_ids.csv")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["rows_read"], summary["rows_loaded"], summary["rows_duplicate"]) == (5, 2, 3)


@pytest.mark.timeout(60)
def test_corpus_alias_bomb_mapping(tmp_path: Path) -> None:
    assert (BAD / "alias_bomb.yaml").stat().st_size < 700
    proc = _ingest_cli(tmp_path, "bom.csv", "--mapping", str(BAD / "alias_bomb.yaml"))
    assert proc.returncode == 2
    assert "alias_bomb.yaml: not valid YAML (aliases (*l0) are not allowed" in proc.stderr
    assert proc.stderr.count("\n") == 1
