"""Gi* with analytic p on 50 k cells vs esda ``G_Local(star=True, permutations=999, n_jobs=1)``.

csmap's time includes building the distance-band weights from the coordinates; esda's excludes
building its ``W`` (done beforehand), so the ratio is conservative. Both run in this one process
on the same 250 x 200 lattice (band 1.5 cells: the 8 queen neighbours plus self).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from analysis.hotspots.gi import GetisOrdGiStar

N_COLS, N_ROWS, CELL = 250, 200, 100.0


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20261121)
    xy = np.array([(c, r) for r in range(N_ROWS) for c in range(N_COLS)], float) * CELL
    y = rng.poisson(1.5, len(xy)).astype(float)
    hot = rng.choice(len(xy), 40, replace=False)
    for h in hot:
        near = np.hypot(*(xy - xy[h]).T) < 3 * CELL
        y[near] += rng.poisson(3.0, near.sum())
    return xy, y


def run() -> list[dict[str, Any]]:
    """Time both and compare z."""
    import esda
    import libpysal

    xy, y = _data()
    band = 1.5 * CELL
    t0 = time.perf_counter()
    g = GetisOrdGiStar(y, xy, band=band)
    t_csmap = time.perf_counter() - t0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(xy, threshold=band * (1 + 1e-9), silence_warnings=True)
        w = libpysal.weights.fill_diagonal(w, 1.0)
        t0 = time.perf_counter()
        ref = esda.G_Local(y, w, transform="B", star=None, permutations=999, n_jobs=1, seed=1)
        t_esda = time.perf_counter() - t0
    dz = float(np.max(np.abs(g.z - ref.Zs)))
    ratio = t_esda / t_csmap
    name = f"Gi* analytic, {len(y)} cells"
    return [
        {
            "benchmark": name,
            "metric": "csmap time",
            "value": round(t_csmap, 4),
            "unit": "s",
            "target": "",
            "passed": None,
        },
        {
            "benchmark": name,
            "metric": "esda G_Local(star, 999 perms, n_jobs=1) time",
            "value": round(t_esda, 3),
            "unit": "s",
            "target": "",
            "passed": None,
        },
        {
            "benchmark": name,
            "metric": "speed-up vs esda",
            "value": round(ratio, 1),
            "unit": "x",
            "target": ">= 10x",
            "passed": bool(ratio >= 10),
        },
        {
            "benchmark": name,
            "metric": "max |z csmap - z esda|",
            "value": dz,
            "unit": "",
            "target": "<= 1e-9",
            "passed": bool(dz <= 1e-9),
        },
    ]


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
