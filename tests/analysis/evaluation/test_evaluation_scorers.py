"""The backtest's kde / gi / default scorers against direct computations, and hull_area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analysis.evaluation.accuracy import (
    METHODS,
    backtest,
    default_scorer,
    gi_scorer,
    grid_counts,
    hull_area,
    kde_scorer,
)
from analysis.hotspots.gi import GetisOrdGiStar
from analysis.hotspots.registry import run
from analysis.lattice.grid import fishnet
from geo.errors import ParameterError


def _pts(x: list[float], y: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700)


def _quartic_per_km2(sx: np.ndarray, sy: np.ndarray, ev: np.ndarray, r: float) -> np.ndarray:
    d2 = (sx[:, None] - ev[None, :, 0]) ** 2 + (sy[:, None] - ev[None, :, 1]) ** 2
    k = np.where(d2 < r * r, 3 / (np.pi * r * r) * (1 - d2 / (r * r)) ** 2, 0.0)
    return np.asarray(k.sum(axis=1) * 1e6)


def test_kde_scorer_is_the_cell_mean_of_the_quartic_density() -> None:
    # a 300 m x 200 m area with the top-right corner cut off (an edge cell is partial)
    area = shapely.Polygon([(0, 0), (300, 0), (300, 100), (250, 200), (0, 200)])
    cells = fishnet(area, cell_size=100)
    ev = np.array([[150.0, 50.0], [170.0, 70.0], [50.0, 150.0]])  # on 20 m sub-cell centres
    got = kde_scorer(bandwidth=120, subdivisions=5)(_pts(*ev.T.tolist()), cells)
    want = []
    off = np.arange(5) * 20 + 10.0
    for geom, cx, cy in zip(cells.geometry, cells["cell_x"], cells["cell_y"], strict=True):
        sx, sy = np.meshgrid(cx - 50 + off, cy - 50 + off)
        sx, sy = sx.ravel(), sy.ravel()
        inside = shapely.contains_xy(geom, sx, sy)
        want.append(_quartic_per_km2(sx[inside], sy[inside], ev, 120.0).mean())
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-6)


def test_gi_scorer_is_gi_star_z_of_the_counts() -> None:
    rng = np.random.default_rng(2)
    xy = np.r_[rng.uniform(0, 1000, (80, 2)), rng.normal(300, 40, (40, 2))]
    ev = _pts(xy[:, 0].tolist(), xy[:, 1].tolist())
    cells = fishnet(shapely.box(0, 0, 1000, 1000), cell_size=100)
    z = gi_scorer(band=250)(ev, cells)
    ref = GetisOrdGiStar(grid_counts(ev, cells), cells[["cell_x", "cell_y"]].to_numpy(), band=250)
    np.testing.assert_allclose(z, ref.z)
    assert np.argmax(z) in np.flatnonzero(
        np.hypot(cells["cell_x"] - 300, cells["cell_y"] - 300) <= 250  # within one band
    )


def test_default_scorer_reads_the_default_map() -> None:
    rng = np.random.default_rng(5)
    xy = np.r_[rng.uniform(0, 2000, (150, 2)), rng.normal(1500, 40, (80, 2))]
    ev = _pts(xy[:, 0].tolist(), xy[:, 1].tolist())
    cells = fishnet(shapely.box(0, 0, 2000, 2000), cell_size=250)
    scores = default_scorer(ev, cells)
    result = run(ev, method="gi", study_area=shapely.box(0, 0, 2000, 2000))
    for i in (0, 17, len(cells) - 1):
        centre = shapely.point_on_surface(cells.geometry.iloc[i])
        holder = result[result.geometry.intersects(centre)].iloc[0]
        assert scores[i] == pytest.approx(holder["z"])


def test_every_named_method_backtests_on_police_like_data() -> None:
    rng = np.random.default_rng(9)
    import pandas as pd

    frames = []
    for m in range(4):
        xy = np.r_[rng.uniform(0, 3000, (120, 2)), rng.normal([800, 2200], 60, (120, 2))]
        frames.append(
            gpd.GeoDataFrame(
                {"month": [pd.Period("2024-01", freq="M") + m] * len(xy)},
                geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                crs=27700,
            )
        )
    ev = pd.concat(frames, ignore_index=True)
    res = backtest(ev, methods=list(METHODS), study_area=shapely.box(0, 0, 3000, 3000))
    assert set(res["method"]) == {"grid_counts", "kde", "gi", "default"}
    # a stable planted hotspot: every method beats chance by far at 1-5 % of the area
    assert (res["pai"] > 4).all()


def test_hull_area_trims_far_outliers() -> None:
    x = [0.0, 1000, 0, 1000, 500, 4e5]
    y = [0.0, 0, 1000, 1000, 500, 4e5]
    ev = _pts(x, y)
    # untrimmed, the far event stretches the hull to the kite (0,0),(1000,0),(4e5,4e5),(0,1000)
    assert hull_area(ev, buffer=0, trim=0.0).area == pytest.approx(1000 * 4e5)
    assert hull_area(ev, buffer=0, trim=0.1).area == pytest.approx(1e6)
    assert hull_area(ev, buffer=100, trim=0.1).area > 1e6
    with pytest.raises(ParameterError, match="at least 3"):
        hull_area(_pts([0.0, 1.0], [0.0, 1.0]))
