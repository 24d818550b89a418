"""Chunked ingest: rows validated a chunk at a time, inserted by a writer process.

The 1M-row ingest validates the next chunk while a child process inserts the previous one
(geo.store.writer). Here the chunk size is made tiny so that small, hand-checkable files take
that path; the stored layer, the report and the quarantine must equal those of the one-chunk,
in-process path, including repeated ids across chunks and ids already stored.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import geo.ingest.pipeline
from geo.errors import StoreError
from geo.ingest.pipeline import ingest_file
from geo.locate.geocode import Lookups
from geo.places.boundaries import load_area
from geo.store.gpkg import Store
from geo.store.writer import LayerWriter

ROWS = [
    "record_id,reported_date,category,latitude,longitude",
    "A1,2024-03-05,CSE,53.645,-1.785",
    "A2,2024-03-06,CCE,53.646,-1.786",
    "A3,not a date,CSE,53.647,-1.787",  # quarantined
    "A1,2024-03-05,CSE,53.645,-1.785",  # identical repeat of row 2 (a later chunk): duplicate
    "B1,2024-03-07,online,53.648,-1.788",
    "B2,2024-03-08,county lines,53.649,-1.789",  # id conflicting with row 10
    "B3,2024-03-09,CSE,,",  # no location: quarantined
    "B4,2024-03-10,other,53.650,-1.790",
    "B2,2024-03-11,CCE,53.651,-1.791",
    "B5,2024-03-12,CSE,53.652,-1.792",
]


@pytest.fixture(scope="module")
def area():
    return load_area("kirklees")


def _ingest(tmp: Path, area, *, chunk: int, monkeypatch: pytest.MonkeyPatch, files: list[str]):
    monkeypatch.setattr(geo.ingest.pipeline, "_CHUNK_ROWS", chunk)
    tmp.mkdir(parents=True, exist_ok=True)
    store = Store(tmp / "s.gpkg")
    reports = []
    for i, text in enumerate(files):
        path = tmp / f"f{i}.csv"
        path.write_text(text, encoding="utf-8")
        reports.append(ingest_file("concerns", path, store=store, lookups=Lookups(), area=area))
    return store, reports


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c != "ingested_at"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_chunked_ingest_equals_one_chunk(
    tmp_path: Path, area, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = "\n".join([ROWS[0], "A2,2024-03-06,CCE,53.646,-1.786", "C1,2024-04-01,CSE,53.6,-1.8"])
    files = ["\n".join(ROWS) + "\n", later + "\n"]
    one, one_reports = _ingest(
        tmp_path / "one", area, chunk=10_000, monkeypatch=monkeypatch, files=files
    )
    many, many_reports = _ingest(
        tmp_path / "many", area, chunk=3, monkeypatch=monkeypatch, files=files
    )
    first = many_reports[0]
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined, first.rows_duplicate) == (
        10,
        5,
        4,
        1,
    )
    assert first.records["record_id"].tolist() == ["A1", "A2", "B1", "B4", "B5"]
    assert first.duplicate_rows == [5]
    reasons = dict(zip(first.quarantine["source_row"], first.quarantine["reasons"], strict=True))
    assert sorted(reasons) == [4, 7, 8, 10]
    assert "repeated in rows 7, 10 with different content" in reasons[7]
    second = many_reports[1]  # A2 already stored (duplicate), C1 new
    assert (second.rows_loaded, second.rows_duplicate) == (1, 1)
    for a, b in zip(one_reports, many_reports, strict=True):
        assert (a.rows_loaded, a.rows_quarantined, a.rows_duplicate) == (
            b.rows_loaded,
            b.rows_quarantined,
            b.rows_duplicate,
        )
        assert a.duplicate_rows == b.duplicate_rows
        pd.testing.assert_frame_equal(a.quarantine, b.quarantine)
        _same(a.records, b.records)
    _same(one.read("concerns"), many.read("concerns"))
    assert many.read("concerns")["record_id"].tolist() == ["A1", "A2", "B1", "B4", "B5", "C1"]
    assert len(many.ingest_log()) == 2
    assert not list((tmp_path / "many").glob(".*writing*"))


def test_writer_failure_is_a_store_error(tmp_path: Path) -> None:
    w = LayerWriter(
        tmp_path / "no" / "such" / "dir" / "w.gpkg", "concerns", append=False, crs="EPSG:27700"
    )
    w.send(gpd.GeoDataFrame({"record_id": ["R0"]}, geometry=[Point(0, 0)], crs=27700))
    with pytest.raises(StoreError, match="writing layer 'concerns' failed"):
        w.close()


def test_failed_chunked_ingest_leaves_the_store_as_it_was(
    tmp_path: Path, area, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = _ingest(
        tmp_path, area, chunk=10_000, monkeypatch=monkeypatch, files=["\n".join(ROWS[:3]) + "\n"]
    )
    before = store.path.read_bytes()

    def broken(self: LayerWriter) -> None:
        self.path = tmp_path / "no" / "such" / "dir" / "w.gpkg"  # the child cannot write there
        original(self)

    original = LayerWriter.open
    monkeypatch.setattr(LayerWriter, "open", broken)
    monkeypatch.setattr(geo.ingest.pipeline, "_CHUNK_ROWS", 2)
    path = tmp_path / "more.csv"
    path.write_text("\n".join([ROWS[0], *ROWS[5:]]) + "\n", encoding="utf-8")
    with pytest.raises(StoreError):
        ingest_file("concerns", path, store=store, lookups=Lookups(), area=area)
    assert store.path.read_bytes() == before
    assert not list(tmp_path.glob(".*writing*"))


def test_chunked_ingest_with_nothing_new(
    tmp_path: Path, area, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer process starts before the first chunk; with nothing to load it gets an empty
    # input, writes nothing, and the ingest still logs the file.
    good = [r for i, r in enumerate(ROWS) if i in (0, 1, 2, 5, 8, 10)]
    store, reports = _ingest(
        tmp_path,
        area,
        chunk=2,
        monkeypatch=monkeypatch,
        files=["\n".join(good) + "\n", "\n".join([good[0], *reversed(good[1:])]) + "\n"],
    )
    assert [r.rows_loaded for r in reports] == [5, 0]
    assert reports[1].rows_duplicate == 5
    assert store.read("concerns")["record_id"].tolist() == ["A1", "A2", "B1", "B4", "B5"]
    assert len(store.ingest_log()) == 2
    assert not list(tmp_path.glob(".*writing*"))
