"""Files without some optional columns, ingested into one store in any order (issue #12, item 1).

A layer's field types must not depend on which optional columns the first file had: an absent
column is written as typed nulls of the store's type.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.ingest.pipeline import ingest_file
from geo.ingest.schema import COLUMNS, ID_COLUMN, REQUIRED
from geo.locate.geocode import Lookups
from geo.places.boundaries import load_area
from geo.store.gpkg import Store
from geo.vocab import Kind

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "optional_columns"
KINDS = ("concerns", "missing_episodes", "placements")


@pytest.fixture(scope="module")
def area():
    return load_area("kirklees")


def _source(kind: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{kind}.csv", dtype=str, keep_default_na=False)


def _optional(kind: str) -> list[str]:
    return [c for c in COLUMNS[kind] if c not in REQUIRED[kind]]


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_optional_columns_in_any_order(kind: Kind, area, data) -> None:
    source = _source(kind)
    optional = _optional(kind)
    subsets = data.draw(
        st.lists(st.sets(st.sampled_from(optional)), min_size=2, max_size=3), label="subsets"
    )
    id_col = ID_COLUMN[kind]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(folder / "s.gpkg")
        expected: dict[str, pd.DataFrame] = {}
        for i, keep in enumerate(subsets):
            frame = source[[c for c in source.columns if c not in optional or c in keep]].copy()
            frame[id_col] = f"F{i}-" + frame[id_col]
            path = folder / f"file{i}.csv"
            frame.to_csv(path, index=False)
            report = ingest_file(kind, path, store=store, lookups=Lookups(), area=area)
            assert report.rows_read == len(frame)
            assert report.rows_loaded == len(frame), report.quarantine["reasons"].tolist()
            assert (
                report.rows_read
                == report.rows_loaded + report.rows_quarantined + report.rows_duplicate
            )
            expected[path.name] = frame
        stored = store.read(kind)
        assert len(stored) == sum(len(f) for f in expected.values())
        for name, frame in expected.items():
            rows = stored[stored["source_file"] == name]
            assert sorted(rows[id_col]) == sorted(frame[id_col])
            for col in optional:
                given_values = int((frame[col] != "").sum()) if col in frame else 0
                assert int(rows[col].notna().sum()) == given_values, (name, col)


def test_cli_minimal_file_after_full_demo(tmp_path: Path) -> None:
    """The reported case: the demo concerns, then a file of only the required columns."""
    store = tmp_path / "s.gpkg"
    full = FIXTURES / "concerns.csv"
    minimal = tmp_path / "min.csv"
    minimal.write_text("record_id,reported_date,latitude,longitude\nX1,2024-03-05,53.65,-1.78\n")
    for path in (full, minimal):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "ingest",
                "concerns",
                str(path),
                "--store",
                str(store),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    stored = Store(store).read("concerns")
    assert len(stored) == 4
    assert stored["age"].dtype == "Int64"
    assert stored["age"].isna().sum() == 1


def test_chunked_ingest_without_optional_columns_into_a_full_store(
    tmp_path: Path, area, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer-process path (above one chunk) conforms to the layer's types too."""
    import geo.ingest.pipeline

    store = Store(tmp_path / "s.gpkg")
    ingest_file("concerns", FIXTURES / "concerns.csv", store=store, lookups=Lookups(), area=area)
    monkeypatch.setattr(geo.ingest.pipeline, "_CHUNK_ROWS", 2)
    minimal = tmp_path / "min.csv"
    minimal.write_text(
        "record_id,reported_date,latitude,longitude\n"
        + "".join(f"M{i},2024-03-05,53.65,-1.78\n" for i in range(5))
    )
    report = ingest_file("concerns", minimal, store=store, lookups=Lookups(), area=area)
    assert report.rows_loaded == 5
    stored = store.read("concerns")
    assert len(stored) == 8 and stored["age"].dtype == "Int64"


def test_store_made_by_an_older_version_with_text_fields(tmp_path: Path, area) -> None:
    """Before typed nulls, a first file without ``age``/``looked_after`` made them text fields."""
    import pyogrio

    store = Store(tmp_path / "s.gpkg")
    src = _source("missing_episodes")
    first = tmp_path / "first.csv"
    src.drop(columns=["looked_after", "rhi_offered", "rhi_accepted"]).to_csv(first, index=False)
    ingest_file("missing_episodes", first, store=store, lookups=Lookups(), area=area)
    old = store.read("missing_episodes")
    for col in ("looked_after", "rhi_offered", "rhi_accepted"):
        old[col] = pd.Series([None] * len(old), dtype=object)  # as the older version wrote them
    old.to_file(store.path, layer="missing_episodes", driver="GPKG")
    meta = pyogrio.read_info(store.path, layer="missing_episodes")
    fields = dict(zip(meta["fields"], meta["dtypes"], strict=True))
    assert fields["looked_after"] == "object"
    later = tmp_path / "later.csv"
    renamed = src.assign(episode_id="L" + src["episode_id"])
    renamed.to_csv(later, index=False)
    report = ingest_file("missing_episodes", later, store=store, lookups=Lookups(), area=area)
    assert report.rows_loaded == 3
    stored = store.read("missing_episodes")
    new = stored[stored["source_file"] == "later.csv"].sort_values("episode_id")
    expected = renamed.sort_values("episode_id")["looked_after"].map({"True": True, "False": False})
    assert new["looked_after"].tolist() == expected.tolist()
