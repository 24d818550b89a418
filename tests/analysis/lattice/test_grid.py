"""analysis.lattice.grid: clipped fishnet / hex grids and counts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.lattice.grid import count_in_cells, fishnet, hexgrid, make_grid, points_outside
from geo.errors import ParameterError


def test_fishnet_hand_checked() -> None:
    cells = fishnet(shapely.box(0, 0, 250, 100), cell_size=100)
    assert isinstance(cells.index, pd.RangeIndex)
    assert cells.crs.to_epsg() == 27700
    assert cells["area_m2"].tolist() == [10000.0, 10000.0, 5000.0]
    # centres of the unclipped cells
    assert cells["cell_x"].tolist() == [50.0, 150.0, 250.0]
    assert cells["cell_y"].tolist() == [50.0, 50.0, 50.0]


def test_fishnet_lattice_anchored_on_multiples() -> None:
    cells = fishnet(shapely.box(30, 30, 170, 90), cell_size=100)
    assert sorted(cells["cell_x"].tolist()) == [50.0, 150.0]
    assert cells["area_m2"].sum() == pytest.approx(140 * 60)


@settings(max_examples=25, deadline=None)
@given(
    w=st.floats(50, 3000),
    h=st.floats(50, 3000),
    cs=st.floats(40, 600),
    shape=st.sampled_from(["square", "hex"]),
)
def test_cells_tile_the_area(w: float, h: float, cs: float, shape: str) -> None:
    poly = shapely.Point(0, 0).buffer(1).union(shapely.box(0, 0, w, h))
    cells = make_grid(poly, cell_size=cs, shape=shape)
    assert cells["area_m2"].sum() == pytest.approx(poly.area, rel=1e-9)
    assert (cells["area_m2"] > 0).all()
    assert (
        shapely.union_all(cells.geometry.values).symmetric_difference(poly).area < 1e-6 * poly.area
    )


def test_hexgrid_cell_area_equals_square_area() -> None:
    cells = hexgrid(shapely.box(0, 0, 3000, 3000), cell_size=100)
    full = cells["area_m2"].max()
    assert full == pytest.approx(100 * 100)
    # neighbouring hex centres are sqrt(3) * side apart
    from scipy.spatial import cKDTree

    xy = cells[["cell_x", "cell_y"]].to_numpy()
    d, _ = cKDTree(xy).query(xy, k=2)
    side = 100 * np.sqrt(2 / (3 * np.sqrt(3)))
    assert np.median(d[:, 1]) == pytest.approx(np.sqrt(3) * side)


def test_count_in_cells_counts_each_point_once() -> None:
    cells = fishnet(shapely.box(0, 0, 200, 100), cell_size=100)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([10, 100, 150, 500, 20], [10, 50, 50, 5, 20]), crs=27700
    )
    counts = count_in_cells(cells, pts)
    assert counts.sum() == 4  # the point on the shared edge counts once; x=500 is outside
    assert counts.tolist() == [3.0, 1.0]
    assert points_outside(cells, pts) == 1
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert count_in_cells(cells, pts, weights=w).sum() == 11.0


def test_count_ignores_null_geometry() -> None:
    cells = fishnet(shapely.box(0, 0, 100, 100), cell_size=100)
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(5, 5), None], crs=27700)
    assert count_in_cells(cells, pts).tolist() == [1.0]
    assert points_outside(cells, pts) == 1


def test_real_kirklees_grid(data_dir) -> None:  # type: ignore[no-untyped-def]
    from geo.places.boundaries import load_area

    area = load_area("kirklees")
    cells = fishnet(area.polygon, cell_size=1000)
    assert cells["area_m2"].sum() == pytest.approx(shapely.make_valid(area.polygon).area, rel=1e-9)
    assert 400 < len(cells) < 520


def test_invalid_area_is_repaired() -> None:
    bow = shapely.Polygon([(0, 0), (200, 200), (200, 0), (0, 200)])  # self-intersecting
    cells = fishnet(bow, cell_size=100)
    assert cells["area_m2"].sum() == pytest.approx(20000.0)


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError):
        fishnet(shapely.box(0, 0, 10, 10), cell_size=0)
    with pytest.raises(ParameterError):
        make_grid(shapely.box(0, 0, 10, 10), cell_size=1, shape="triangle")
    with pytest.raises(ParameterError):
        fishnet(shapely.box(0, 0, 1e6, 1e6), cell_size=1)
