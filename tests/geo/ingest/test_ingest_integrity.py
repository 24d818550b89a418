"""Ingest integrity: nothing lost, nothing counted twice (cross-file duplicates, demo marker,
Excel sheets, physical row numbers)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from geo.formats.venue_registers import import_venues
from geo.ingest.content_hash import content_hashes, content_hashes_python
from geo.ingest.dedupe import against_store, repeats_in_file
from geo.ingest.pipeline import ingest_file
from geo.locate.geocode import Lookups
from geo.places.boundaries import load_area
from geo.store.gpkg import Store

HEADER = "ID,Date,Category,Lat,Lon,Risk\n"
JAN = HEADER + "C1,2024-01-02,CSE,53.65,-1.78,high\nC2,2024-01-03,CCE,53.66,-1.79,low\n"


@pytest.fixture(scope="module")
def area():
    return load_area("kirklees")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cumulative_extract_under_a_new_name_adds_only_new_records(tmp_path: Path, area) -> None:
    store = Store(tmp_path / "s.gpkg")
    jan = ingest_file(
        "concerns", write(tmp_path / "jan.csv", JAN), store=store, lookups=Lookups(), area=area
    )
    assert jan.rows_loaded == 2
    # February's extract repeats January's records (columns in another order, an extra column)
    feb_text = (
        "Risk,ID,Lat,Lon,Date,Category,Extract batch\n"
        "high,C1,53.65,-1.78,2024-01-02,CSE,x\n"
        "low,C2,53.66,-1.79,2024-01-03,CCE,y\n"
        "medium,C3,53.67,-1.80,2024-02-01,CSE,z\n"
    )
    feb = ingest_file(
        "concerns", write(tmp_path / "feb.csv", feb_text), store=store, lookups=Lookups(), area=area
    )
    assert (feb.rows_loaded, feb.rows_duplicate, feb.rows_quarantined) == (1, 2, 0)
    assert feb.duplicate_rows == [2, 3]
    stored = store.read("concerns")
    assert sorted(stored["record_id"]) == ["C1", "C2", "C3"]
    assert stored["record_id"].is_unique


def test_same_id_with_changed_content_from_another_file_is_quarantined(
    tmp_path: Path, area
) -> None:
    store = Store(tmp_path / "s.gpkg")
    ingest_file(
        "concerns", write(tmp_path / "jan.csv", JAN), store=store, lookups=Lookups(), area=area
    )
    changed = HEADER + "C1,2024-01-02,CSE,53.65,-1.78,medium\n"
    r = ingest_file(
        "concerns", write(tmp_path / "feb.csv", changed), store=store, lookups=Lookups(), area=area
    )
    assert (r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (0, 0, 1)
    reason = r.quarantine["reasons"].iloc[0]
    assert reason.startswith(
        "record_id: 'C1' already stored from jan.csv row 2 with different content; to replace it"
    )
    assert r.quarantine_file is not None and r.quarantine_file.exists()
    assert store.read("concerns").set_index("record_id").loc["C1", "risk_level"] == "high"


def test_content_hash_is_of_canonical_fields_only() -> None:
    import pandas as pd

    canon = pd.DataFrame({"record_id": [" 1 ", "2"], "age": ["", "15"]}, dtype=str)
    assert content_hashes(canon).tolist() == [
        hashlib.sha256(b"record_id=1\x1f").hexdigest(),
        hashlib.sha256(b"age=15\x1frecord_id=2\x1f").hexdigest(),
    ]
    # a missing column and an empty one agree; column order does not matter
    assert content_hashes(canon[["record_id"]]).tolist()[0] == content_hashes(canon)[0]
    assert (content_hashes(canon[["age", "record_id"]]) == content_hashes(canon)).all()
    odd = pd.DataFrame({"a": ["\ud800z", "ok"], "b": ["1", ""]}, dtype=object)
    assert content_hashes(odd).tolist() == content_hashes_python(odd).tolist()


def test_dedupe_helper_rules() -> None:
    import pandas as pd

    ids = np.array(["a", "a", "b", "b", "", ""], dtype=object)
    dup, why = repeats_in_file(
        ids=ids, hashes=np.array(list("xxyzqr"), dtype=object), rows=np.arange(2, 8), label="id"
    )
    assert dup.tolist() == [False, True, False, False, False, False]
    assert why.tolist()[2:4] == ["id: 'b' repeated in rows 4, 5 with different content"] * 2
    stored = pd.DataFrame(
        {"id": ["a"], "row_hash": ["x"], "source_file": ["old.csv"], "source_row": [9]}
    )
    dup, why = against_store(
        ids=np.array(["a", "a", "c"], dtype=object),
        hashes=np.array(["x", "y", "x"], dtype=object),
        eligible=np.array([True, True, True]),
        stored=stored,
        label="id",
    )
    assert dup.tolist() == [True, False, False]
    assert why[1].startswith("id: 'a' already stored from old.csv row 9 with different content")
    assert why[2] == ""


def test_venue_register_under_a_new_name_is_not_stored_twice(tmp_path: Path, area) -> None:
    text = "name,licence no,lat,lon\nThe Inn,H1,53.65,-1.78\nThe Bell,H2,53.66,-1.79\n"
    store = tmp_path / "s.gpkg"
    first = import_venues(
        write(tmp_path / "hotels_jan.csv", text),
        kind="hotel",
        store=store,
        lookups=Lookups(),
        area=area,
    )
    assert first.rows_loaded == 2
    again = import_venues(
        write(tmp_path / "hotels_feb.csv", text + "The Crown,H3,53.67,-1.80\n"),
        kind="hotel",
        store=store,
        lookups=Lookups(),
        area=area,
    )
    assert (again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (1, 2, 0)


def test_ingest_of_real_rows_clears_the_demo_marker(tmp_path: Path, area) -> None:
    from geo.store.meta import is_demo_store, set_meta

    store = Store(tmp_path / "s.gpkg")
    ingest_file(
        "concerns", write(tmp_path / "demo.csv", JAN), store=store, lookups=Lookups(), area=area
    )
    set_meta(store.path, key="demo", value="true")  # as `make demo` does after loading
    assert is_demo_store(store.path)
    # re-ingesting the same rows loads nothing: the store (and marker) are untouched
    ingest_file("concerns", tmp_path / "demo.csv", store=store, lookups=Lookups(), area=area)
    assert is_demo_store(store.path)
    real = HEADER + "R1,2024-03-02,CSE,53.65,-1.78,high\n"
    r = ingest_file(
        "concerns", write(tmp_path / "real.csv", real), store=store, lookups=Lookups(), area=area
    )
    assert r.rows_loaded == 1
    assert not is_demo_store(store.path)
    # venue registers too
    set_meta(store.path, key="demo", value="true")
    import_venues(
        write(tmp_path / "h.csv", "name,licence no,lat,lon\nInn,H9,53.65,-1.78\n"),
        kind="hotel",
        store=store,
        lookups=Lookups(),
        area=area,
    )
    assert not is_demo_store(store.path)


def test_source_row_counts_blank_lines_in_csv(tmp_path: Path, area) -> None:
    text = (
        "\n"  # row 1: blank
        + HEADER  # row 2: header
        + "C1,2024-01-02,CSE,53.65,-1.78,high\n"  # row 3
        + "\n"  # row 4: blank
        + ",,,,,\n"  # row 5: only separators (not a record)
        + "C2,2024-01-03,CCE,53.66,-1.79,purple\n"  # row 6: quarantined
        + "   \n"  # row 7: white space
        + "C3,2024-01-04,CCE,53.66,-1.79,low\n"  # row 8
        + "C3,2024-01-04,CCE,53.66,-1.79,low\n"  # row 9: duplicate of row 8
    )
    r = ingest_file(
        "concerns",
        write(tmp_path / "gaps.csv", text),
        store=Store(tmp_path / "s.gpkg"),
        lookups=Lookups(),
        area=area,
    )
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate) == (4, 2, 1, 1)
    assert r.records["source_row"].tolist() == [3, 8]
    assert r.quarantine["source_row"].tolist() == [6]
    assert r.duplicate_rows == [9]


def test_all_empty_rows_are_counted_alike_by_fast_and_fallback_readers(tmp_path: Path) -> None:
    from geo.ingest.read.readers import read_table

    # fast (Arrow) path: a clean rectangle; fallback: the same with a ragged row
    clean = "id,x\n1,a\n,\n2,b\n"
    ragged = "id,x\n1,a\n,\n2,b,extra\n"
    fast = read_table(write(tmp_path / "clean.csv", clean))
    slow = read_table(write(tmp_path / "ragged.csv", ragged))
    assert fast.frame["id"].tolist() == slow.frame["id"].tolist() == ["1", "2"]
    assert fast.row_numbers().tolist() == slow.row_numbers().tolist() == [2, 4]


def test_source_row_in_xlsx_counts_empty_rows(tmp_path: Path, area) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Date", "Category", "Lat", "Lon", "Risk"])
    ws.append(["C1", "2024-01-02", "CSE", 53.65, -1.78, "high"])
    ws.append([])  # row 3 empty
    ws.append(["C2", "2024-01-03", "CCE", 53.66, -1.79, "purple"])  # row 4: quarantined
    ws.append(["C3", "2024-01-04", "CCE", 53.66, -1.79, "low"])  # row 5
    wb.save(tmp_path / "c.xlsx")
    r = ingest_file(
        "concerns",
        tmp_path / "c.xlsx",
        store=Store(tmp_path / "s.gpkg"),
        lookups=Lookups(),
        area=area,
    )
    assert r.rows_read == 3
    assert r.records["source_row"].tolist() == [2, 5]
    assert r.quarantine["source_row"].tolist() == [4]


def test_workbook_with_two_sheets_of_data_is_refused(tmp_path: Path, area) -> None:
    import openpyxl

    from geo.errors import UnreadableFileError

    wb = openpyxl.Workbook()
    wb.active.title = "Jan"
    wb.active.append(["ID", "Date", "Lat", "Lon"])
    wb.active.append(["C1", "2024-01-02", 53.65, -1.78])
    feb = wb.create_sheet("Feb")
    feb.append(["ID", "Date", "Lat", "Lon"])
    feb.append(["C2", "2024-02-02", 53.65, -1.78])
    wb.create_sheet("Notes")  # empty sheets are fine
    wb.save(tmp_path / "two.xlsx")
    store = Store(tmp_path / "s.gpkg")
    with pytest.raises(UnreadableFileError, match=r"2 worksheets with data \('Jan', 'Feb'\)"):
        ingest_file("concerns", tmp_path / "two.xlsx", store=store, lookups=Lookups(), area=area)
    assert not store.path.exists()
    del wb["Feb"]
    wb.save(tmp_path / "one.xlsx")
    r = ingest_file("concerns", tmp_path / "one.xlsx", store=store, lookups=Lookups(), area=area)
    assert r.rows_loaded == 1
