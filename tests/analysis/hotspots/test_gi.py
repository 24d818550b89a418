"""analysis.hotspots.gi: Getis-Ord Gi* against esda and hand-computed values; gi_hotspots
properties."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.hotspots.gi import GetisOrdGiStar, band_weights, gi_hotspots
from analysis.lattice.grid import fishnet
from geo.errors import ParameterError

TOY_POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
TOY_Y = np.array([2, 3, 3.2, 5, 8, 7])
TOY_Z = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]


def esda_gi_star(y: np.ndarray, coords: np.ndarray, band: float) -> np.ndarray:
    libpysal = pytest.importorskip("libpysal")
    esda = pytest.importorskip("esda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(coords, threshold=band, silence_warnings=True)
        w = libpysal.weights.fill_diagonal(w, 1.0)
        g = esda.G_Local(y, w, transform="B", star=None, permutations=0)
    return np.asarray(g.Zs)


def test_esda_docstring_toy_case() -> None:
    g = GetisOrdGiStar(TOY_Y, TOY_POINTS, band=15)
    assert g.z == pytest.approx(TOY_Z, abs=1e-8)  # the published 8-decimal values
    ref = esda_gi_star(TOY_Y, np.asarray(TOY_POINTS, float), 15)
    assert np.max(np.abs(g.z - ref)) < 1e-9


def test_random_5k_grid_matches_esda() -> None:
    rng = np.random.default_rng(42)
    xy = np.array([(x, y) for x in range(50) for y in range(100)], float) * 100.0
    xy += rng.uniform(-20, 20, xy.shape)  # jitter: no distance sits exactly on the band
    y = rng.poisson(2.0, len(xy)).astype(float)
    y[:300] += rng.poisson(3.0, 300)
    g = GetisOrdGiStar(y, xy, band=250.0)
    ref = esda_gi_star(y, xy, 250.0)
    assert len(y) == 5000
    assert np.max(np.abs(g.z - ref)) < 1e-9


def test_hand_computed_3x3_grid() -> None:
    # 3x3 lattice, spacing 1, band 1 (rook + self), y = 1..9 row by row.
    # n = 9, ybar = 5, s^2 = 285/9 - 25 = 20/3, sum y = 45.
    xy = np.array([(c, r) for r in range(3) for c in range(3)], float)
    y = np.arange(1, 10, dtype=float)
    g = GetisOrdGiStar(y, xy, band=1.0)
    # corner (value 1): window {1,2,4} = 7, W = 3: G = 7/45, E = 3/9,
    # V = 3*6/8/81 * (20/3)/25 = 1/135 -> z = (7/45 - 15/45) * sqrt(135)
    assert g.z[0] == pytest.approx(-8 / 45 * math.sqrt(135), abs=1e-12)
    assert g.z[8] == pytest.approx(8 / 45 * math.sqrt(135), abs=1e-12)
    # edge (value 2): window {1,2,3,5} = 11, W = 4: V = 4*5/8/81 * 4/15 = 2/243
    assert g.z[1] == pytest.approx((11 / 45 - 20 / 45) / math.sqrt(2 / 243), abs=1e-12)
    # centre: window {2,4,5,6,8} = 25 = 5 * ybar -> z = 0
    assert g.z[4] == pytest.approx(0.0, abs=1e-12)
    assert g.cardinality.tolist() == [3, 4, 3, 4, 5, 4, 3, 4, 3]
    assert g.p_norm[4] == pytest.approx(1.0)
    assert g.labels(0.05, fdr=False)[[0, 4, 8]].tolist() == ["cold", "not significant", "hot"]


def test_constant_values_give_zero_z() -> None:
    g = GetisOrdGiStar(np.ones(9), [(i, 0) for i in range(9)], band=1.5)
    assert np.all(g.z == 0.0)
    assert np.all(g.labels(0.05) == "not significant")


def test_band_weights_symmetric_binary_with_self() -> None:
    W = band_weights([[0, 0], [100, 0], [200, 0]], band=100.0)
    assert W.toarray().tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    W0 = band_weights([[0, 0], [100, 0]], band=100.0, self_weight=False)
    assert W0.toarray().tolist() == [[0, 1], [1, 0]]


@settings(max_examples=25, deadline=None)
@given(dx=st.floats(-1e6, 1e6), dy=st.floats(-1e6, 1e6), seed=st.integers(0, 1000))
def test_translation_invariance(dx: float, dy: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (60, 2)).round(1)
    y = rng.poisson(3, 60).astype(float)
    z0 = GetisOrdGiStar(y, xy, band=230.0).z
    z1 = GetisOrdGiStar(y, xy + [dx, dy], band=230.0).z
    assert np.max(np.abs(z0 - z1)) < 1e-9


def _points(xy: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def test_gi_hotspots_rows_equal_cells_and_planted_cluster_found() -> None:
    area = shapely.Point(2500, 2500).buffer(2500)
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 5000, (600, 2))
    xy = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
    xy = np.vstack([xy, rng.normal([1500, 3000], 80, (60, 2))])
    res = gi_hotspots(_points(xy), study_area=area, cell_size=250, band=400)
    cells = fishnet(area, cell_size=250)
    assert len(res) == len(cells)
    assert isinstance(res.index, pd.RangeIndex)
    assert res["area_m2"].to_numpy() == pytest.approx(cells["area_m2"].to_numpy())
    assert res["n_events"].sum() == len(xy)
    hot = res[res["label"] == "hot"]
    assert len(hot) > 0
    assert hot.geometry.union_all().distance(shapely.Point(1500, 3000)) == 0
    assert (res["adjustment"] == "count").all()
    params = res.attrs["csmap_params"]
    assert params["cell_size"] == 250 and params["band"] == 400
    assert params["automatic"] == [] and params["fdr"] is True
    assert (res.loc[res["label"] != "not significant", "q_value"] <= 0.05).all()


def test_csr_rarely_significant() -> None:
    area = shapely.box(0, 0, 6000, 6000)
    n_sig = []
    for seed in range(5):
        xy = np.random.default_rng(seed).uniform(0, 6000, (1500, 2))
        res = gi_hotspots(_points(xy), study_area=area, cell_size=300, band=450)
        n_sig.append(int((res["label"] != "not significant").sum()))
    # 400 cells x 5 maps; with FDR at 0.05 a CSR map should almost never show a significant cell
    assert sum(n_sig) <= 2, n_sig


def test_auto_scale_recorded() -> None:
    area = shapely.box(0, 0, 5000, 5000)
    rng = np.random.default_rng(5)
    xy = np.vstack([rng.uniform(0, 5000, (300, 2)), rng.normal([2500, 2500], 150, (100, 2))])
    res = gi_hotspots(_points(xy), study_area=area)
    params = res.attrs["csmap_params"]
    assert params["automatic"] == ["cell_size", "band"]
    assert params["cell_size"] > 0 and params["band"] >= params["cell_size"]
    assert (res["label"] == "hot").any()


def test_parameter_errors() -> None:
    pts = _points(np.random.default_rng(0).uniform(0, 100, (10, 2)))
    with pytest.raises(ParameterError, match="at least 30"):
        gi_hotspots(pts, study_area=shapely.box(0, 0, 100, 100))
    with pytest.raises(ParameterError):
        gi_hotspots(
            pts, study_area=shapely.box(0, 0, 100, 100), cell_size=10, band=20, adjust="population"
        )
    with pytest.raises(ParameterError):
        gi_hotspots(pts, study_area=shapely.box(0, 0, 100, 100), cell_size=10, band=20, alpha=2)
    # explicit scale works with few events
    res = gi_hotspots(pts, study_area=shapely.box(0, 0, 100, 100), cell_size=10, band=20)
    assert len(res) == 100
