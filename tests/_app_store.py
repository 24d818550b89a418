"""A small hand-checkable store for the app tests (AppTest and the real-browser test).

Concerns: 12 rows inside Kirklees (8 CSE, 4 CCE; 6 in 2024-01, 6 in 2024-02) plus one row with
no location (quarantined). Missing episodes: 5 (4 with a found location, 5 with last seen).
Placements: 3. Built through the real ingest (``geo.ingest.pipeline.ingest_file``).

A store built with ``demo=True`` is marked as a demo store whose generator is
:func:`fixture_csvs` (listed in ``$CSMAP_DEMO_GENERATORS`` by ``tests/conftest.py``): demo mode
checks every stored row against it (:mod:`geo.demo.check`), as it checks the real demo store
against :mod:`geo.demo.records`.
"""

from __future__ import annotations

from pathlib import Path

from geo.demo.check import DemoParams, mark_demo_store
from geo.ingest.pipeline import ingest_file

# Points around Huddersfield / Dewsbury town centres (WGS84), all inside Kirklees.
_SPOTS = [
    (53.6458, -1.7850),
    (53.6480, -1.7800),
    (53.6900, -1.6300),
    (53.6910, -1.6320),
    (53.6500, -1.7700),
    (53.6200, -1.8000),
]

N_CONCERNS = 12
N_CSE = 8
N_MISSING = 5
N_MISSING_FOUND = 4
N_PLACEMENTS = 3


def write_csvs(folder: Path) -> dict[str, Path]:
    """Write the three fixture CSVs into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        "record_id,reported_date,category,reporting_agency,risk_level,latitude,longitude,"
        "summary,place_name"
    ]
    for i in range(N_CONCERNS):
        lat, lon = _SPOTS[i % len(_SPOTS)]
        cat = "CSE" if i < N_CSE else "CCE"
        month = "01" if i % 2 == 0 else "02"
        agency = "police" if i % 3 else "education"
        rows.append(
            f"C{i:03d},2024-{month}-{10 + i:02d},{cat},{agency},medium,"
            f"{lat + i * 0.0005:.5f},{lon:.5f},<script>alert({i})</script>,<b>Bus & Rail {i}</b>"
        )
    rows.append("C999,2024-01-15,CSE,police,high,,,no location,")  # quarantined
    concerns = folder / "concerns.csv"
    concerns.write_text("\n".join(rows) + "\n", encoding="utf-8")

    rows = [
        "episode_id,child_ref,start,end,episode_type,risk_level,"
        "last_seen_latitude,last_seen_longitude,found_latitude,found_longitude"
    ]
    for i in range(N_MISSING):
        lat, lon = _SPOTS[i]
        found = f"{lat + 0.01:.5f},{lon + 0.01:.5f}" if i < N_MISSING_FOUND else ","
        rows.append(
            f"M{i:03d},CH{i % 2},2024-01-{5 + i:02d},2024-01-{6 + i:02d},missing,high,"
            f"{lat:.5f},{lon:.5f},{found}"
        )
    missing = folder / "missing_episodes.csv"
    missing.write_text("\n".join(rows) + "\n", encoding="utf-8")

    rows = ["placement_id,child_ref,placing_authority,start_date,placement_type,latitude,longitude"]
    for i in range(N_PLACEMENTS):
        lat, lon = _SPOTS[i + 2]
        rows.append(f"P{i:03d},CH{i},E08000035,2024-01-0{1 + i},K2,{lat:.5f},{lon - 0.01:.5f}")
    placements = folder / "placements.csv"
    placements.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"concerns": concerns, "missing_episodes": missing, "placements": placements}


def build_store(folder: Path, *, demo: bool = True) -> Path:
    """Ingest the fixture CSVs into ``folder/store.gpkg`` (with the demo marker if ``demo``)."""
    store = folder / "store.gpkg"
    for kind, path in write_csvs(folder / "csv").items():
        ingest_file(kind, path, store=store, area="kirklees")  # type: ignore[arg-type]
    if demo:
        mark_demo_store(store, seed=0, area="kirklees", generator=FIXTURE_GENERATOR)
    return store


#: This module's fixture data as a demo generator (``module:function``).
FIXTURE_GENERATOR = "tests._app_store:fixture_csvs"


def fixture_csvs(folder: Path, params: DemoParams) -> dict[str, Path]:
    """The fixture CSVs, as a demo generator for :mod:`geo.demo.check` (``params`` unused)."""
    del params
    return write_csvs(folder)
