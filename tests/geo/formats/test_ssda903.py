"""SSDA903 / SSD imports: fixtures round-trip into the #2 schema through the ordinary ingest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.errors import UnreadableFileError
from geo.formats.ssda903 import import_table, ssda903_episodes, ssda903_missing
from geo.locate.geocode import Lookups, PostcodeLookup
from geo.store.gpkg import Store

FIX = Path(__file__).parents[2] / "fixtures" / "ssda903"


@pytest.fixture(scope="module")
def lookups() -> Lookups:
    return Lookups(postcode=PostcodeLookup.from_csv(FIX / "postcodes.csv"))


def test_episodes_round_trip_into_store(tmp_path: Path, lookups: Lookups) -> None:
    store = tmp_path / "s.gpkg"
    report = import_table(
        "ssda903-episodes",
        FIX / "episodes.csv",
        store=store,
        placing_authority="Leeds",
        lookups=lookups,
        area="kirklees",
    )
    assert (report.rows_read, report.rows_loaded) == (8, 5)
    assert (report.rows_quarantined, report.rows_duplicate) == (2, 1)
    reasons = dict(zip(report.quarantine["source_row"], report.quarantine["reasons"], strict=True))
    assert "ZZ9 7ZZ not found in the postcode lookup" in reasons[7]
    assert "start_date: '31/02/2023' is not a date" in reasons[8]
    assert report.quarantine_file is not None and report.quarantine_file.exists()

    stored = Store(store).read("placements").set_index("placement_id")
    assert len(stored) == 5
    row = stored.loc["SSDA0001/01/04/2023"]
    assert row["child_ref"] == "SSDA0001"
    assert row["placing_authority"] == "E08000035"  # Leeds, normalised to the ONS code
    assert row["placement_type"] == "children's home"  # K2
    assert row["provider_type"] == "PR4"
    assert row["ofsted_urn"] == "SC999001"
    assert pd.Timestamp(row["start_date"]) == pd.Timestamp("2023-04-01")  # day first
    assert pd.Timestamp(row["end_date"]) == pd.Timestamp("2023-09-15")
    assert (row["easting"], row["northing"]) == (414600.0, 416600.0)
    assert row["location_precision"] == "postcode centroid"
    assert row["source_file"] == "episodes.csv" and row["source_row"] == 2
    assert '"HOME_POST": "ZZ9 9HB"' in row["extra"] and '"PL_LA": "E08000034"' in row["extra"]
    assert stored.loc["SSDA0001/15/09/2023", "placement_type"] == "supported/semi-independent"
    assert stored.loc["SSDA0002/10/06/2023", "placement_type"] == "foster care"
    # no placement postcode: stored without a location, not lost
    assert stored.loc["SSDA0004/02/01/2024", "location_precision"] == "none"

    again = import_table(
        "ssda903-episodes",
        FIX / "episodes.csv",
        store=store,
        placing_authority="Leeds",
        lookups=lookups,
        area="kirklees",
    )
    assert again.rows_loaded == 0 and len(Store(store).read("placements")) == 5


def test_postcodes_without_lookup_get_a_clear_reason() -> None:
    report = import_table(
        "ssda903-episodes", FIX / "episodes.csv", lookups=Lookups(), area="kirklees"
    )
    assert report.rows_read == report.rows_loaded + report.rows_quarantined + report.rows_duplicate
    assert report.rows_loaded == 1  # only the row without a placement postcode
    assert report.quarantine["reasons"].str.contains("no postcode lookup is configured").sum() == 6


def test_missing_table_counts_identical_rows_as_duplicates(tmp_path: Path) -> None:
    # rows 2 and 3 of the fixture are identical (CHILD, MISSING, MIS_START, MIS_END)
    canon = ssda903_missing(FIX / "missing.csv")
    assert canon["episode_id"].tolist()[:2] == ["SSDA0001/03/05/2023/1"] * 2
    report = import_table(
        "ssda903-missing", FIX / "missing.csv", store=tmp_path / "s.gpkg", area="kirklees"
    )
    assert (report.rows_read, report.rows_loaded, report.rows_duplicate) == (6, 5, 1)
    assert report.duplicate_rows == [3]
    stored = Store(tmp_path / "s.gpkg").read("missing_episodes").set_index("episode_id")
    assert stored["episode_type"].value_counts().to_dict() == {
        "missing": 3,
        "away without authorisation": 2,
    }
    assert stored["looked_after"].all()
    assert pd.isna(stored.loc["SSDA0003/10/08/2023/1", "end"])
    assert (stored["last_seen_location_precision"] == "none").all()


def test_ssd_tables(lookups: Lookups) -> None:
    placed = import_table(
        "ssd-placements",
        FIX / "ssd_cla_placement.csv",
        episodes=FIX / "ssd_cla_episodes.csv",
        lookups=lookups,
        area="kirklees",
    )
    recs = placed.records.set_index("placement_id")
    assert recs["child_ref"].to_dict() == {"PL1": "P100", "PL2": "P100", "PL3": "P200"}
    assert recs.loc["PL1", "placement_type"] == "children's home"
    missing = import_table("ssd-missing", FIX / "ssd_missing.csv", area="kirklees")
    got = missing.records.set_index("episode_id")
    assert got["rhi_offered"].tolist() == [True, True, False]
    assert got.loc["MS2", "rhi_accepted"] == False  # noqa: E712
    assert pd.isna(got.loc["MS3", "rhi_accepted"])


def test_rows_kept_one_to_one_and_columns_case_insensitive(tmp_path: Path) -> None:
    text = (
        (FIX / "episodes.csv").read_text().replace("PL_POST", "pl_post").replace("CHILD", "child")
    )
    (tmp_path / "ep.csv").write_text(text)
    canon = ssda903_episodes(tmp_path / "ep.csv")
    assert len(canon) == 8 and canon["postcode"].iloc[0] == "ZZ9 1AA"


def test_not_an_ssda903_table(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UnreadableFileError, match="x.csv: not an SSDA903 Episodes table"):
        ssda903_episodes(tmp_path / "x.csv")
    with pytest.raises(UnreadableFileError, match="unknown import format"):
        import_table("ssda999", tmp_path / "x.csv")


def test_missing_table_numbers_distinct_same_day_episodes(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    path.write_text(
        "CHILD,MISSING,MIS_START,MIS_END\n"
        "K1,M,03/05/2023,03/05/2023\n"
        "K1,A,03/05/2023,03/05/2023\n"
        "K1,M,03/05/2023,03/05/2023\n"
        "K1,M,03/05/2023,04/05/2023\n",
        encoding="utf-8",
    )
    ids = ssda903_missing(path)["episode_id"].tolist()
    assert ids == ["K1/03/05/2023/1", "K1/03/05/2023/2", "K1/03/05/2023/1", "K1/03/05/2023/3"]
    report = import_table("ssda903-missing", path, area="kirklees")
    assert (report.rows_loaded, report.rows_duplicate, report.rows_quarantined) == (3, 1, 0)
