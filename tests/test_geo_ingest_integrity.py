"""Ingest integrity: nothing lost, nothing counted twice (cross-file duplicates, demo marker,
Excel sheets, physical row numbers)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from geo.boundaries import load_area
from geo.dedupe import against_store, repeats_in_file
from geo.geocode import Lookups
from geo.ingest import _content_hashes, _content_hashes_python, ingest_file
from geo.store import Store
from geo.venue_import import import_venues

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
    assert _content_hashes(canon).tolist() == [
        hashlib.sha256(b"record_id=1\x1f").hexdigest(),
        hashlib.sha256(b"age=15\x1frecord_id=2\x1f").hexdigest(),
    ]
    # a missing column and an empty one agree; column order does not matter
    assert _content_hashes(canon[["record_id"]]).tolist()[0] == _content_hashes(canon)[0]
    assert (_content_hashes(canon[["age", "record_id"]]) == _content_hashes(canon)).all()
    odd = pd.DataFrame({"a": ["\ud800z", "ok"], "b": ["1", ""]}, dtype=object)
    assert _content_hashes(odd).tolist() == _content_hashes_python(odd).tolist()


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
    from geo.store_meta import is_demo_store, set_meta

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
