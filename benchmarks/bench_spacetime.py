"""Benchmark: Knox on 100 k events (KD-tree pairs) and the Kulldorff scan on Kirklees.

Targets (brief for issue #8): Knox scales to 10^5 events (KD-tree pair finding; here with 99
permutations); the Poisson scan with 999 replicates on a 1 km Kirklees grid in well under a
minute. The space-time permutation scan is reported without a target (it is the slow one).
Data: synthetic, seeded; 50 km square, one year of daily times.
"""

from __future__ import annotations

import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd


def _knox_row() -> dict[str, Any]:
    from analysis.spacetime.knox import Knox

    rng = np.random.default_rng(1)
    n = 100_000
    xy = rng.uniform(0, 50_000, (n, 2))
    t = rng.uniform(0, 365, n)
    start = time.perf_counter()
    k = Knox(xy, t, delta=100, tau=7, permutations=99, seed=1)
    secs = time.perf_counter() - start
    return {
        "benchmark": f"Knox 100k events, delta 100 m, tau 7 d, 99 permutations ({k.ns} pairs)",
        "metric": "wall time",
        "value": round(secs, 2),
        "unit": "s",
        "target": "<= 60 s",
        "passed": secs <= 60,
    }


def _scan_rows() -> list[dict[str, Any]]:
    from analysis.hotspots.scan import scan_hotspots
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    pop = area.population
    rng = np.random.default_rng(2)
    share = pop["children_young_people"].to_numpy(float)
    counts = rng.multinomial(5000, share / share.sum())
    pts = pop.geometry.sample_points(counts, rng=rng).explode(index_parts=False)
    months = pd.period_range("2024-01", periods=12, freq="M").to_timestamp()
    gdf = gpd.GeoDataFrame(
        {"month": months[rng.integers(0, 12, len(pts))]}, geometry=pts.to_numpy(), crs=27700
    )
    rows = []
    for model, perms, target in (
        ("poisson", 999, 60.0),
        ("space-time-permutation", 99, None),
    ):
        start = time.perf_counter()
        scan_hotspots(gdf, study_area=area, model=model, cell_size=1000, permutations=perms, seed=1)
        secs = time.perf_counter() - start
        rows.append(
            {
                "benchmark": f"scan {model}, 5k events, Kirklees 1 km grid, {perms} replicates",
                "metric": "wall time",
                "value": round(secs, 2),
                "unit": "s",
                "target": f"<= {target:.0f} s" if target else "none (reported)",
                "passed": (secs <= target) if target else None,
            }
        )
    return rows


def run() -> list[dict[str, Any]]:
    """Run the space-time benchmarks."""
    return [_knox_row(), *_scan_rows()]


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
