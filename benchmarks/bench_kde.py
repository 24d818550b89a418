"""Benchmark: KDE of 1 M points (csmap ``KernelDensity``) vs bare KDEpy on the same grid.

Target (issue #3): csmap's KDE within 2x of bare KDEpy ``FFTKDE`` on the same grid, measured as a
ratio in one run (best of 3 each). Data: 1 M clustered points (70 % uniform, 30 % in 200 Gaussian
blobs, sd 300 m) over the Kirklees outline; quartic kernel, 500 m search radius, the default cell
size (min(extent)/250). csmap's extra work: study-area mask, grid set-up, events-per-km² scaling.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np


def _clustered(n: int, bounds: tuple[float, float, float, float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    n_blob = int(0.3 * n)
    centres = np.c_[rng.uniform(minx, maxx, 200), rng.uniform(miny, maxy, 200)]
    blob = centres[rng.integers(0, 200, n_blob)] + rng.normal(0, 300, (n_blob, 2))
    uni = np.c_[rng.uniform(minx, maxx, n - n_blob), rng.uniform(miny, maxy, n - n_blob)]
    xy = np.r_[blob, uni]
    return xy[(xy[:, 0] > minx) & (xy[:, 0] < maxx) & (xy[:, 1] > miny) & (xy[:, 1] < maxy)]


def _best(fn: Any, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run() -> list[dict[str, Any]]:
    """Time csmap's KernelDensity and bare KDEpy on the same 1 M points and grid."""
    from KDEpy import FFTKDE

    from analysis.hotspots.density.kernel_density import KernelDensity
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    xy = _clustered(1_050_000, area.polygon.bounds, seed=0)[:1_000_000]
    kd = KernelDensity(xy, study_area=area.polygon, bandwidth=500.0)  # warm-up, sets the grid
    ys = kd.y[::-1]
    grid = np.column_stack([np.repeat(kd.x, len(ys)), np.tile(ys, len(kd.x))])

    def bare() -> None:
        FFTKDE(kernel="biweight", bw=500.0 / math.sqrt(7)).fit(xy).evaluate(grid)

    def ours() -> None:
        KernelDensity(xy, study_area=area.polygon, bandwidth=500.0)

    t_bare = _best(bare)
    t_ours = _best(ours)
    ratio = t_ours / t_bare
    cells = f"{len(kd.x)} x {len(kd.y)} cells of {kd.cell_size:.0f} m"
    return [
        {
            "benchmark": "kde",
            "metric": f"csmap KernelDensity, 1M points, {cells}",
            "value": t_ours,
            "unit": "s",
            "target": "",
            "passed": None,
        },
        {
            "benchmark": "kde",
            "metric": "bare KDEpy FFTKDE, same points and grid",
            "value": t_bare,
            "unit": "s",
            "target": "",
            "passed": None,
        },
        {
            "benchmark": "kde",
            "metric": "ratio csmap / bare KDEpy",
            "value": ratio,
            "unit": "x",
            "target": "<= 2",
            "passed": bool(ratio <= 2.0),
        },
    ]
