"""analysis.lattice.scale: Moran's I against esda, OHSA cell size and band rules."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analysis.hotspots.gi import band_weights, gi_hotspots
from analysis.lattice import scale
from analysis.lattice.grid import make_grid
from analysis.lattice.scale import (
    MIN_EVENTS,
    auto_cell_size,
    capped_grid,
    choose_scale,
    grid_lattice,
    incremental_moran,
    k_neighbour_band,
    lattice_incremental_moran,
    morans_i,
    round_sig,
    round_up_sig,
)
from geo.errors import ParameterError


def test_morans_i_matches_esda() -> None:
    libpysal = pytest.importorskip("libpysal")
    esda = pytest.importorskip("esda")
    rng = np.random.default_rng(9)
    xy = rng.uniform(0, 1000, (300, 2))
    y = rng.poisson(2, 300).astype(float) + (xy[:, 0] > 600) * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(xy, threshold=120.0, silence_warnings=True)
        ref = esda.Moran(y, w, transformation="B", permutations=0)
    mine = morans_i(y, band_weights(xy, band=120.0, self_weight=False))
    assert abs(mine.I - ref.I) < 1e-12
    assert abs(mine.EI - ref.EI) < 1e-12
    assert mine.z_norm == pytest.approx(ref.z_norm, abs=1e-9)
    assert mine.z_rand == pytest.approx(ref.z_rand, abs=1e-9)


def test_incremental_equals_direct() -> None:
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 1000, (200, 2))
    y = rng.poisson(2, 200).astype(float)
    bands = [80.0, 150.0, 300.0]
    inc = incremental_moran(y, xy, bands=bands)
    for band, m in zip(bands, inc, strict=True):
        d = morans_i(y, band_weights(xy, band=band, self_weight=False))
        assert abs(m.I - d.I) < 1e-12
        assert m.z_rand == pytest.approx(d.z_rand, abs=1e-9)


def test_auto_cell_size_regular_lattice() -> None:
    # all NN distances 100: max(mean, median) = 100, ratio 1 -> x2 = 200
    g = np.array([[x, y] for x in range(0, 1000, 100) for y in range(0, 1000, 100)], float)
    assert auto_cell_size(g) == 200.0
    # duplicates (snap points) are ignored
    assert auto_cell_size(np.vstack([g, g, g])) == 200.0


def test_auto_cell_size_skewed_distances() -> None:
    # pairs 10 m apart, pairs spaced far apart: NN distances all 10 -> 20
    xy = np.array([[i * 1000.0, 0.0] for i in range(10)] + [[i * 1000.0, 10.0] for i in range(10)])
    assert auto_cell_size(xy) == 20.0


def test_k_neighbour_band_capped_at_standard_distance() -> None:
    # 4 points: K = min(3, n-1) = 3 -> mean 3rd-NN distance far exceeds the standard distance
    xy = np.array([[0, 0], [1, 0], [0, 1], [100, 100]], float)
    sd = np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=1).mean())
    assert k_neighbour_band(xy) == pytest.approx(min(sd, k_neighbour_band(xy)))
    assert k_neighbour_band(xy) <= sd + 1e-9


def test_round_sig() -> None:
    assert round_sig(137.4) == 140.0
    assert round_sig(0.0123) == pytest.approx(0.012)
    with pytest.raises(ParameterError):
        round_sig(0.0)


def test_too_few_events_needs_explicit_scale() -> None:
    xy = np.random.default_rng(0).uniform(0, 100, (MIN_EVENTS - 1, 2))
    area = shapely.box(0, 0, 100, 100)
    with pytest.raises(ParameterError, match="give both a cell size and a band"):
        choose_scale(xy, study_area=area)
    with pytest.raises(ParameterError):
        choose_scale(xy, study_area=area, cell_size=10)
    ch = choose_scale(xy, study_area=area, cell_size=10, band=25)
    assert (ch.cell_size, ch.band, ch.automatic) == (10.0, 25.0, [])


def test_clustered_pattern_band_from_moran_peak() -> None:
    rng = np.random.default_rng(4)
    centres = rng.uniform(1000, 9000, (12, 2))
    xy = np.vstack(
        [c + rng.normal(0, 250, (60, 2)) for c in centres] + [rng.uniform(0, 1e4, (200, 2))]
    )
    ch = choose_scale(xy, study_area=shapely.box(0, 0, 1e4, 1e4))
    assert ch.automatic == ["cell_size", "band"]
    assert "peak" in ch.notes, (ch.notes, ch.moran_z)
    k = int(round(ch.band / ch.cell_size))
    assert ch.moran_z[k - 1] > 1.96
    assert ch.moran_z[k - 1] > ch.moran_z[k - 2]


def test_csr_band_from_k_neighbour_rule() -> None:
    xy = np.random.default_rng(8).uniform(0, 5000, (400, 2))
    ch = choose_scale(xy, study_area=shapely.box(0, 0, 5000, 5000), cell_size=250)
    assert ch.automatic == ["band"]
    if "K-th" in ch.notes:
        assert ch.band == pytest.approx(round_sig(max(k_neighbour_band(xy), 250.0)))
    assert ch.band >= 250.0


def test_bad_values() -> None:
    area = shapely.box(0, 0, 100, 100)
    xy = np.zeros((40, 2))
    with pytest.raises(ParameterError):
        choose_scale(xy, study_area=area, cell_size="big", band=10)
    with pytest.raises(ParameterError):
        choose_scale(xy, study_area=area, cell_size=-5, band=10)


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_lattice_moran_equals_pairwise(shape: str) -> None:
    area = shapely.Point(1000, 1000).buffer(700).union(shapely.box(1500, 200, 2600, 600))
    cells = make_grid(area, cell_size=70, shape=shape)
    y = np.random.default_rng(11).poisson(2.0, len(cells)).astype(float)
    step = 70.0 if shape == "square" else 70.0 * np.sqrt(3) * np.sqrt(2 / (3 * np.sqrt(3)))
    bands = step * np.arange(1, 11)
    ref = incremental_moran(y, cells[["cell_x", "cell_y"]].to_numpy(), bands=bands)
    ij, basis = grid_lattice(cells, cell_size=70, shape=shape)
    got = lattice_incremental_moran(y, ij, basis=basis, bands=bands)
    assert [g.I for g in got] == pytest.approx([r.I for r in ref], abs=1e-12)
    assert [g.z_rand for g in got] == pytest.approx([r.z_rand for r in ref], abs=1e-9)
    assert [g.z_norm for g in got] == pytest.approx([r.z_norm for r in ref], abs=1e-9)


def test_round_up_sig() -> None:
    assert round_up_sig(40.01) == 41.0
    assert round_up_sig(41.0) == 41.0
    assert round_up_sig(0.123) == pytest.approx(0.13)


def test_capped_grid_keeps_small_grids_and_coarsens_large() -> None:
    area = shapely.box(0, 0, 2000, 2000)
    size, cells, why = capped_grid(area, cell_size=100, max_cells=400)
    assert (size, len(cells), why) == (100.0, 400, "")
    size, cells, why = capped_grid(area, cell_size=20, max_cells=400)
    assert size == 100.0 and len(cells) == 400 and "20 m" in why


def _pts(xy: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


def test_dense_data_auto_cell_size_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    area = shapely.box(0, 0, 10_000, 10_000)
    rng = np.random.default_rng(6)
    xy = np.vstack([rng.uniform(0, 10_000, (20_000, 2)), rng.normal(3000, 200, (2000, 2))])
    free = gi_hotspots(_pts(xy), study_area=area)
    fp = free.attrs["csmap_params"]
    assert fp["cell_size_capped"] is False and fp["cell_size"] == fp["cell_size_rule"]
    assert "cell_size_cap_reason" not in fp
    monkeypatch.setattr(scale, "MAX_AUTO_CELLS", 1500)
    res = gi_hotspots(_pts(xy), study_area=area)
    p = res.attrs["csmap_params"]
    assert p["cell_size_capped"] is True and p["max_auto_cells"] == 1500
    assert p["cell_size_rule"] == fp["cell_size_rule"] and p["cell_size"] > p["cell_size_rule"]
    assert len(res) == p["n_cells"] <= 1500
    assert "coarsened" in p["cell_size_cap_reason"] and "capped" in p["scale_method"]
    assert (res["label"] == "hot").any()


def test_given_cell_size_never_capped_and_too_fine_errors() -> None:
    area = shapely.box(0, 0, 30_000, 30_000)
    xy = np.random.default_rng(2).uniform(0, 30_000, (200, 2))
    with pytest.raises(ParameterError, match=r"cell size 10 m.*at least ~\d+ m"):
        gi_hotspots(_pts(xy), study_area=area, cell_size=10, band=100)
