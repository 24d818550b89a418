"""A small synthetic demo store (``geo.demo.records.generate`` -> ingest) shared by the venue
tests."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from geo.demo.check import mark_demo_store
from geo.demo.records import as_csv_text, generate
from geo.ingest.pipeline import ingest_file

SCALE = 0.1
SEED = 11


@lru_cache(maxsize=1)
def demo_store() -> Path:
    """Build (once per process) a demo store at scale 0.1 and return its path."""
    folder = Path(tempfile.mkdtemp(prefix="csmap_demo_"))
    store = folder / "store.gpkg"
    for kind, frame in generate(seed=SEED, scale=SCALE).items():
        path = folder / f"{kind}.csv"
        as_csv_text(frame).to_csv(path, index=False, encoding="utf-8")  # as `csmap demo-data`
        ingest_file(kind, path, store=store, area="kirklees")  # type: ignore[arg-type]
    mark_demo_store(store, seed=SEED, scale=SCALE, area="kirklees")
    return store
