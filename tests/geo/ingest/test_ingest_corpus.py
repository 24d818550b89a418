"""The bad-input corpus (tests/fixtures/bad_inputs): every file, every row accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import UnreadableFileError
from geo.ingest.pipeline import IngestReport, ingest_file
from geo.locate.geocode import Lookups
from geo.places.boundaries import load_area
from geo.store.gpkg import Store

CORPUS = Path(__file__).parents[2] / "fixtures" / "bad_inputs"


@pytest.fixture(scope="module")
def area():
    return load_area("kirklees")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.gpkg")


def ingest(name: str, store: Store, area) -> IngestReport:
    report = ingest_file("concerns", CORPUS / name, store=store, lookups=Lookups(), area=area)
    assert report.rows_read == (
        report.rows_loaded + report.rows_quarantined + report.rows_duplicate
    )
    return report


def reasons(report: IngestReport) -> dict[int, str]:
    return dict(zip(report.quarantine["source_row"], report.quarantine["reasons"], strict=True))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty"),
        ("missing_required.csv", "missing required column(s) reported_date"),
        ("no_usable_columns.csv", "no usable columns"),
        ("not_csv.pdf", "PDF"),
        ("binary.csv", "binary"),
        ("does_not_exist.csv", "not found"),
    ],
)
def test_unreadable_files_raise_and_leave_store_untouched(name, message, store, area):
    ingest("bom.csv", store, area)
    before = store.path.read_bytes()
    with pytest.raises(UnreadableFileError) as err:
        ingest(name, store, area)
    text = str(err.value)
    assert name in text and message in text
    assert "\n" not in text
    assert store.path.read_bytes() == before


def test_header_only(store, area):
    r = ingest("header_only.csv", store, area)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate) == (0, 0, 0, 0)
    assert r.quarantine_file is None


def test_bom_header_is_clean(store, area):
    r = ingest("bom.csv", store, area)
    assert r.encoding == "utf-8-sig"
    assert r.rows_loaded == 2
    stored = store.read("concerns")
    assert stored["record_id"].tolist() == ["B1", "B2"]
    assert stored["category"].tolist() == ["CSE", "CCE"]


def test_latin1_detected(store, area):
    r = ingest("latin1.csv", store, area)
    assert r.encoding == "cp1252"
    stored = store.read("concerns")
    assert stored["place_name"].iloc[0] == "Café Röyal"
    assert stored["summary"].iloc[0] == "cost £5"
    assert stored["reported_date"].iloc[0] == pd.Timestamp("2024-03-05")


def test_extra_columns_kept_as_json(store, area):
    r = ingest("extra_columns.csv", store, area)
    assert r.rows_loaded == 2
    extra = store.read("concerns")["extra"]
    assert json.loads(extra.iloc[0]) == {"Officer notes": "seen twice", "Colour": "blue"}
    assert pd.isna(extra.iloc[1])


def test_swapped_latlon_fixed_and_flagged(store, area):
    r = ingest("swapped_latlon.csv", store, area)
    row = store.read("concerns").iloc[0]
    assert r.rows_loaded == 1
    assert "swapped_latlon" in row["location_flags"]
    assert row["easting"] == pytest.approx(414639.63, abs=0.1)
    assert row.geometry.y == pytest.approx(417076.07, abs=0.1)
    assert bool(row["in_study_area"]) and row["lad_cd"] == "E08000034"


def test_eastings_in_latlon_columns(store, area):
    ingest("eastings_in_latlon.csv", store, area)
    row = store.read("concerns").iloc[0]
    assert "bng_in_latlon" in row["location_flags"]
    assert row["latitude"] == pytest.approx(53.65, abs=1e-5)
    assert row["longitude"] == pytest.approx(-1.78, abs=1e-5)


def test_sea_outside_and_missing_locations(store, area):
    r = ingest("sea_and_outside.csv", store, area)
    why = reasons(r)
    assert r.rows_loaded == 1 and r.rows_quarantined == 3
    assert "location:" in why[2] and "sea" in why[2]
    assert "latitude 91.2 out of range" in why[4]
    assert "no location given" in why[5]
    leeds = store.read("concerns").iloc[0]
    assert leeds["record_id"] == "W2"
    assert not bool(leeds["in_study_area"])
    assert pd.isna(leeds["lad_cd"]) and "outside_study_area" in leeds["location_flags"]
    saved = pd.read_csv(r.quarantine_file, dtype=str, keep_default_na=False)
    assert saved["source_row"].tolist() == ["2", "4", "5"]
    assert saved["record_id"].tolist() == ["W1", "W3", "W4"]


def test_dates(store, area):
    r = ingest("dates.csv", store, area)
    why = reasons(r)
    assert why[2] == "reported_date: 'not a date' is not a date"
    assert why[3] == "reported_date: '31/02/2024' is not a date"
    assert why[4] == "reported_date: '2099-01-01' is in the future"
    assert why[7] == "reported_date: required value is missing"
    stored = store.read("concerns")
    assert stored["record_id"].tolist() == ["D4", "D5"]
    assert (stored["reported_date"] == pd.Timestamp("2024-03-05")).all()
    assert stored["source_row"].tolist() == [5, 6]


def test_duplicate_ids(store, area):
    r = ingest("duplicate_ids.csv", store, area)
    assert (r.rows_loaded, r.rows_quarantined, r.rows_duplicate) == (2, 2, 1)
    assert r.duplicate_rows == [4]
    why = reasons(r)
    assert set(why) == {3, 5}
    assert why[3] == "record_id: 'B' repeated in rows 3, 5 with different content"
    assert sorted(store.read("concerns")["record_id"]) == ["A", "C"]


def test_nul_bytes_stored_inert(store, area):
    r = ingest("nul_bytes.csv", store, area)
    assert r.rows_loaded == 1
    assert store.read("concerns")["summary"].iloc[0] == "before\ufffdafter"


def test_long_field_round_trips(store, area):
    ingest("long_field.csv", store, area)
    assert store.read("concerns")["summary"].iloc[0] == "a" * 100_000


def test_formula_and_script_text_is_inert(store, area):
    r = ingest("formula_and_script.csv", store, area)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 1)
    stored = store.read("concerns").set_index("record_id")
    assert stored.loc["H1", "summary"] == '=HYPERLINK("http://example.invalid","click")'
    assert stored.loc["H2", "summary"] == "<script>alert('x')</script>"
    assert stored.loc["H4", "summary"] == "@SUM(1)"
    assert stored.loc["H4", "category"] == "other"
    assert stored.loc["H4", "category_raw"] == "+cmd"
    # In the quarantine CSV a spreadsheet must not evaluate the formula.
    saved = pd.read_csv(r.quarantine_file, dtype=str, keep_default_na=False)
    assert saved["summary"].iloc[0] == '\'=HYPERLINK("http://example.invalid","q")'
    assert saved["reasons"].iloc[0] == "reported_date: 'never' is not a date"


def test_whole_corpus_reconciles_into_one_store(store, area):
    total_read = total = 0
    for path in sorted(CORPUS.glob("*.csv")):
        try:
            r = ingest(path.name, store, area)
        except UnreadableFileError:
            continue
        total_read += r.rows_read
        total += r.rows_loaded
    assert len(store.read("concerns")) == total
    log = store.ingest_log()
    assert int(log["rows_read"].sum()) == total_read
    assert int(log["rows_loaded"].sum()) == total
