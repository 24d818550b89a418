"""Store: GeoPackage round trips, atomic writes, a real kill -9 mid-ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.errors import StoreError
from geo.store.gpkg import Store, default_store_path, points

ROOT = Path(__file__).resolve().parents[3]


def sample() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "episode_id": ["a", "b", "c"],
            "start": pd.to_datetime(
                ["2024-01-01 10:30", "2024-02-01 00:00", "2024-03-01 00:00"]
            ).astype("datetime64[ms]"),
            "looked_after": pd.array([True, None, False], dtype="boolean"),
            "found_in_study_area": [True, False, False],
            "summary": ["x" * 100_000, None, "<script>"],
            "found_easting": [414000.0, np.nan, np.nan],
            "found_northing": [417000.0, np.nan, np.nan],
            "source_row": [2, 3, 4],
        },
        geometry=[Point(414000, 417000), None, None],
        crs=27700,
    )


def test_round_trip_quirks(tmp_path: Path):
    store = Store(tmp_path / "s.gpkg")
    with store.transaction() as tx:
        tx.append("missing_episodes", sample())
    back = store.read("missing_episodes")
    assert store.kinds() == ["missing_episodes"]
    assert back["start"].tolist() == sample()["start"].tolist()
    assert back["looked_after"].tolist()[0] is True or back["looked_after"].iloc[0]
    assert pd.isna(back["looked_after"].iloc[1]) and not back["looked_after"].iloc[2]
    assert back["found_in_study_area"].dtype == bool
    assert back["summary"].iloc[0] == "x" * 100_000 and pd.isna(back["summary"].iloc[1])
    assert back.geometry.iloc[0].equals(Point(414000, 417000))
    assert back.geometry.iloc[1] is None
    assert points(back, "missing_found").index.tolist() == [0]


def test_failed_transaction_leaves_store_unchanged(tmp_path: Path):
    store = Store(tmp_path / "s.gpkg")
    with store.transaction() as tx:
        tx.append("missing_episodes", sample())
    before = store.path.read_bytes()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.append("missing_episodes", sample())
        raise RuntimeError("boom")
    assert store.path.read_bytes() == before
    assert list(tmp_path.glob(".*writing*")) == []


def test_default_store_path(monkeypatch):
    monkeypatch.setenv("CSMAP_STORE", "/tmp/env.gpkg")
    assert default_store_path() == Path("/tmp/env.gpkg")
    assert default_store_path("/x/y.gpkg") == Path("/x/y.gpkg")
    monkeypatch.delenv("CSMAP_STORE")
    assert default_store_path().name == "store.gpkg"


def test_unknown_kind(tmp_path: Path):
    with pytest.raises(StoreError):
        Store(tmp_path / "s.gpkg").read("venues")


def big_csv(path: Path, n: int) -> Path:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "record_id": [f"K{i}" for i in range(n)],
            "reported_date": "2024-03-05",
            "category": "CSE",
            "latitude": np.round(rng.uniform(53.60, 53.70, n), 6),
            "longitude": np.round(rng.uniform(-1.85, -1.70, n), 6),
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_kill_minus_9_mid_ingest_leaves_store_identical(tmp_path: Path):
    store = tmp_path / "s.gpkg"
    small = big_csv(tmp_path / "small.csv", 5)
    env = {**os.environ, "CSMAP_AREA": "kirklees"}
    cmd = [sys.executable, "-m", "app.cli", "ingest", "concerns"]
    done = subprocess.run(
        [*cmd, str(small), "--store", str(store)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    before = store.read_bytes()
    big = big_csv(tmp_path / "big.csv", 300_000)
    proc = subprocess.Popen(
        [*cmd, str(big), "--store", str(store)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    temp = tmp_path / ".s.writing.gpkg"
    try:
        deadline = time.monotonic() + 240
        while not temp.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert temp.exists(), "the ingest never started writing"
        time.sleep(0.3)  # well inside the write of 300k rows
        assert proc.poll() is None, "the ingest finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert store.read_bytes() == before
    assert Store(store).read("concerns")["record_id"].tolist() == [f"K{i}" for i in range(5)]
    # The next writer cleans up and works.
    again = subprocess.run(
        [*cmd, str(small), "--store", str(store)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0
    assert not temp.exists()
