"""A small synthetic demo store (``geo.demo.records.generate`` -> ingest) shared by the venue
tests."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from geo.demo.records import generate
from geo.ingest.pipeline import ingest_file
from geo.store.meta import set_meta

SCALE = 0.1
SEED = 11


@lru_cache(maxsize=1)
def demo_store() -> Path:
    """Build (once per process) a demo store at scale 0.1 and return its path."""
    folder = Path(tempfile.mkdtemp(prefix="csmap_demo_"))
    store = folder / "store.gpkg"
    for kind, frame in generate(seed=SEED, scale=SCALE).items():
        path = folder / f"{kind}.csv"
        frame.to_csv(path, index=False)
        ingest_file(kind, path, store=store, area="kirklees")  # type: ignore[arg-type]
    set_meta(store, key="demo", value="true")
    return store
