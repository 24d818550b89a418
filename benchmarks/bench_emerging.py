"""Benchmark: emerging hot spots (cube + space-time Gi* + Mann-Kendall + categories) on Kirklees.

Data: synthetic, seeded; 100 k events over 24 months inside the Kirklees outline (60 % uniform,
40 % in 150 Gaussian clusters of sd 150 m, a third of which start in the final 3 months).
Rows: the whole analysis with automatic scale, and with a fixed 250 m grid / 500 m band (the
cube's size drives the time). Target: a two-year monthly analysis of a borough well under a
minute on the project's 2-core machine.
"""

from __future__ import annotations

import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def _events(n: int = 100_000) -> tuple[gpd.GeoDataFrame, Any]:
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    poly = area.polygon
    rng = np.random.default_rng(20261121)
    minx, miny, maxx, maxy = poly.bounds
    n_uniform = int(0.6 * n)
    cand = rng.uniform((minx, miny), (maxx, maxy), (3 * n_uniform, 2))
    inside = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
    uniform = cand[inside][:n_uniform]
    days_u = rng.integers(0, 730, len(uniform))
    centres = uniform[rng.choice(len(uniform), 150, replace=False)]
    per = (n - len(uniform)) // 150
    xy, days = [uniform], [days_u]
    for i, c in enumerate(centres):
        xy.append(rng.normal(c, 150, (per, 2)))
        lo = 640 if i % 3 == 0 else 0  # a third emerge in the final three months
        days.append(rng.integers(lo, 730, per))
    all_xy = np.vstack(xy)
    dates = pd.Timestamp("2024-11-01") + pd.to_timedelta(np.concatenate(days), unit="D")
    pts = gpd.GeoDataFrame(
        {"reported_date": dates},
        geometry=gpd.points_from_xy(all_xy[:, 0], all_xy[:, 1]),
        crs=27700,
    )
    return pts, area


def run() -> list[dict[str, Any]]:
    """Time the emerging hot spot analysis twice (automatic and fixed scale)."""
    from analysis.spacetime.emerging import emerging_hotspots

    pts, area = _events()
    rows = []
    scales: tuple[tuple[str, float | str, float | str], ...] = (
        ("automatic scale", "auto", "auto"),
        ("250 m cells, 500 m band", 250.0, 500.0),
    )
    for label, cell_size, band in scales:
        start = time.perf_counter()
        res = emerging_hotspots(pts, study_area=area.polygon, cell_size=cell_size, band=band)
        secs = time.perf_counter() - start
        p = res.attrs["csmap_params"]
        rows.append(
            {
                "benchmark": (
                    f"Emerging hot spots, {len(pts) // 1000}k events x {p['n_steps']} months, "
                    f"{label} ({p['n_cells']} cells of {p['cell_size']:g} m, band "
                    f"{p['band']:g} m, {p['n_bins']} bins)"
                ),
                "metric": "wall time",
                "value": round(secs, 2),
                "unit": "s",
                "target": "<= 60 s",
                "passed": secs <= 60,
            }
        )
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run():
        print(row)
