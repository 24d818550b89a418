"""Uploads: the same file twice adds nothing; records already in the store are not added."""

from __future__ import annotations

from pathlib import Path

from app.session.uploads import merge_new_records, merge_upload, validate_upload
from geo.ingest.pipeline import ingest_file
from geo.locate.geocode import Lookups

CSV = "id,date,lat,lon,category\n1,2024-03-05,53.65,-1.78,CSE\n2,2024-03-06,53.66,-1.79,CCE\n"


def test_same_upload_twice_adds_rows_once() -> None:
    r = validate_upload(kind="concerns", name="c.csv", data=CSV.encode(), lookups=Lookups())
    first = merge_new_records({}, kind="concerns", records=r.records)
    again = merge_new_records(first.uploads, kind="concerns", records=r.records)
    assert (first.added, first.duplicate) == (2, 0)
    assert (again.added, again.duplicate, again.conflict) == (0, 2, 0)
    assert len(again.uploads["concerns"]) == 2
    # the page's merge_upload uses the same rule
    assert len(merge_upload(first.uploads, kind="concerns", records=r.records)["concerns"]) == 2
    changed = CSV.replace("53.66,-1.79,CCE", "53.66,-1.79,CSE") + "3,2024-03-07,53.65,-1.78,CSE\n"
    r2 = validate_upload(kind="concerns", name="c2.csv", data=changed.encode(), lookups=Lookups())
    third = merge_new_records(first.uploads, kind="concerns", records=r2.records)
    assert (third.added, third.duplicate, third.conflict) == (1, 1, 1)
    assert third.reasons[0].startswith("record_id: '2' already stored from c.csv row 3")
    assert sorted(third.uploads["concerns"]["record_id"]) == ["1", "2", "3"]


def test_upload_of_records_already_in_the_store_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CSV, encoding="utf-8")
    store = tmp_path / "s.gpkg"
    ingest_file("concerns", path, store=store, lookups=Lookups())
    r = validate_upload(kind="concerns", name="other.csv", data=CSV.encode(), lookups=Lookups())
    m = merge_new_records({}, kind="concerns", records=r.records, store=store)
    assert (m.added, m.duplicate, m.conflict) == (0, 2, 0)
