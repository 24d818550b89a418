"""Benchmark: synthetic demo data at ``scale=300`` (~900,000 concerns) and area assignment.

Targets (from the demo-data brief): generating the ~1M-concern demo in under 60 s with modest
memory; assigning 1M points to LSOA/ward/LA (the ingest path) at >= 100,000 points/s.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import geopandas as gpd
import numpy as np


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run() -> list[dict[str, Any]]:
    """Time :func:`geo.demo.records.generate` at scale 300 and
    :func:`geo.places.boundaries.assign_areas`."""
    from geo.demo.records import generate
    from geo.places.boundaries import assign_areas, load_area

    area = load_area("kirklees")
    generate(seed=1, scale=0.01)  # warm the geography caches
    t0 = time.perf_counter()
    frames = generate(seed=20261121, scale=300)
    gen_s = time.perf_counter() - t0
    n_concerns = len(frames["concerns"])
    n_total = sum(len(f) for f in frames.values())
    peak_gen = _peak_mb()
    del frames

    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = area.polygon.bounds
    n = 1_000_000
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
        crs=27700,
    )
    t0 = time.perf_counter()
    assign_areas(pts, area)
    assign_s = time.perf_counter() - t0
    rate = n / assign_s
    return [
        {
            "benchmark": "demo-data",
            "metric": f"generate scale=300 ({n_concerns:,} concerns, {n_total:,} rows)",
            "value": round(gen_s, 1),
            "unit": "s",
            "target": "< 60 s",
            "passed": gen_s < 60,
        },
        {
            "benchmark": "demo-data",
            "metric": "peak RSS after generate scale=300",
            "value": round(peak_gen),
            "unit": "MB",
            "target": "< 2000 MB",
            "passed": peak_gen < 2000,
        },
        {
            "benchmark": "assign_areas",
            "metric": "1M uniform points in the Kirklees bbox -> LSOA/ward/LA",
            "value": round(rate),
            "unit": "points/s",
            "target": ">= 100000 points/s",
            "passed": rate >= 100_000,
        },
    ]


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
