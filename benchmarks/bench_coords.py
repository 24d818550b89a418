"""Benchmark: geo.locate.coords.resolve_locations on 1M rows given as text (as ingest reads
them)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from geo.locate.coords import resolve_locations

ROWS = 1_000_000
TARGET = 100_000.0


def _frame(kind: str, rng: np.random.Generator) -> pd.DataFrame:
    lat = rng.uniform(53.55, 53.75, ROWS)
    lon = rng.uniform(-1.95, -1.6, ROWS)
    if kind == "latlon":
        return pd.DataFrame(
            {"latitude": lat.round(6).astype(str), "longitude": lon.round(6).astype(str)}
        )
    east = rng.uniform(405_000, 425_000, ROWS).round(1)
    north = rng.uniform(405_000, 425_000, ROWS).round(1)
    return pd.DataFrame({"easting": east.astype(str), "northing": north.astype(str)})


def run() -> list[dict]:
    rng = np.random.default_rng(20261121)
    results = []
    for kind in ("latlon", "eastnorth"):
        frame = _frame(kind, rng)
        start = time.perf_counter()
        out = resolve_locations(frame)
        seconds = time.perf_counter() - start
        assert (out["location_error"] == "").all()
        rate = ROWS / seconds
        results.append(
            {
                "benchmark": f"resolve_locations {kind} text, 1M rows",
                "metric": "throughput",
                "value": round(rate),
                "unit": "rows/s",
                "target": f">= {TARGET:,.0f} rows/s",
                "passed": bool(rate >= TARGET),
            }
        )
    return results


if __name__ == "__main__":
    for row in run():
        print(row)
