"""Venue register import: validation, quarantine, reconciliation, duplicates, restricted homes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.errors import ParameterError, UnreadableFileError
from geo.formats.venue_registers import (
    ALL_VENUE_TYPES,
    all_venues,
    import_venues,
    read_venues,
    register_type,
)

REGISTER = (
    "Premises Name,Licence No,Licence Holder,Postcode,Latitude,Longitude,venue_type\n"
    "The Kings Head,PL/001,Ale Co,,53.6458,-1.7850,\n"
    'Kebab <script>alert(1)</script>,PL/002,=HYPERLINK("x"),,53.6480,-1.7800,takeaway/food\n'
    "No Location Bar,PL/003,,,,,\n"
    "Bad Type,PL/004,,,53.65,-1.78,spaceport\n"
    "The Kings Head,PL/001,Ale Co,,53.6458,-1.7850,\n"
    "Clash,PL/005,,,53.65,-1.78,\n"
    "Clash,PL/005,Other Ltd,,53.66,-1.78,\n"
)


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "premises.csv"
    path.write_text(REGISTER, encoding="utf-8")
    return path


def test_import_reconciles_and_quarantines_with_reasons(register: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.gpkg"
    r = import_venues(register, kind="premises licence", store=store, area="kirklees")
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate) == (7, 2, 4, 1)
    reasons = dict(zip(r.quarantine["source_row"], r.quarantine["reasons"], strict=True))
    assert reasons[4].startswith("location: no location given")
    assert "venue_type: 'spaceport'" in reasons[5]
    assert reasons[7] == "licence_number: 'PL/005' repeated in rows 7, 8 with different content"
    assert reasons[8] == reasons[7]
    stored = read_venues(store)
    assert sorted(stored["name"]) == ["Kebab <script>alert(1)</script>", "The Kings Head"]
    assert set(stored["venue_type"]) == {"licensed premises", "takeaway/food"}
    assert stored.crs.to_epsg() == 27700 and bool(stored["in_study_area"].all())
    # quarantine file is formula-safe
    assert r.quarantine_file is not None
    text = r.quarantine_file.read_text(encoding="utf-8-sig")
    assert "PL/003" in text
    # re-import: nothing new, every valid row is a duplicate
    again = import_venues(register, kind="premises", store=store, area="kirklees")
    assert (again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (0, 3, 4)
    assert len(read_venues(store)) == 2


def test_formula_cells_neutralised_in_quarantine(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("name,licence no,lat,lon\n=cmd|' /C calc'!A0,H1,,\n", encoding="utf-8")
    r = import_venues(path, kind="hotel", store=tmp_path / "s.gpkg", area="kirklees")
    assert r.rows_quarantined == 1 and r.quarantine_file is not None
    body = r.quarantine_file.read_text(encoding="utf-8-sig")
    assert "'=cmd" in body


def test_childrens_homes_restricted(tmp_path: Path) -> None:
    path = tmp_path / "homes.csv"
    path.write_text("home name,ofsted urn,easting,northing\nOak House,SC1,414400,416400\n")
    store = tmp_path / "s.gpkg"
    r = import_venues(path, kind="children's home", store=store, area="kirklees")
    assert r.rows_loaded == 1
    assert len(read_venues(store)) == 0
    full = read_venues(store, include_restricted=True)
    assert full["restricted"].tolist() == [True]
    assert full["venue_type"].tolist() == ["children's home"]
    assert not all_venues(area="kirklees", store=store)["restricted"].any()


def test_validation_only_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "taxi.csv"
    path.write_text("operator,name,grid ref\nAB Cars,AB Cars,SE 144 164\n")
    r = import_venues(path, kind="taxi", area="kirklees")
    assert r.rows_loaded == 1 and r.store is None
    assert r.records["venue_type"].tolist() == ["taxi/private hire"]
    with pytest.raises(ParameterError, match="unknown venue register type"):
        register_type("nightclub")
    bad = tmp_path / "nolocation.csv"
    bad.write_text("name,address\nA,1 High St\n")
    with pytest.raises(UnreadableFileError, match="no location columns"):
        import_venues(bad, kind="hotel", area="kirklees")
    assert set(pd.Series(ALL_VENUE_TYPES)) >= {"hotel/guest house", "children's home"}
