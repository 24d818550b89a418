"""Dual KDE population raster: what the docstring says is what population_cells does."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import analysis.hotspots.density.dual_kde as dual_kde
from analysis.hotspots.density.dual_kde import population_cells
from analysis.hotspots.density.kernel_density import KernelDensity


def _grid() -> KernelDensity:
    # 10 x 10 cells of 10 m over (0, 0)-(100, 100): centres at 5, 15, ..., 95
    return KernelDensity(
        [[10.0, 10.0]], study_area=shapely.box(0, 0, 100, 100), bandwidth=20, cell_size=10
    )


def test_split_equally_by_cell_centre_not_by_area() -> None:
    """LSOA A covers x < 52 (centres x = 5..45: 50 cells), B covers x >= 52 (x = 55..95: 50).

    The column of cells centred on x = 55 lies 70 % in B and 30 % in A (from 50 to 60, split at
    52) but gets B's full per-cell share and nothing of A: assignment by centre, not by area.
    """
    pop = gpd.GeoDataFrame(
        {"children_young_people": [100.0, 300.0]},
        geometry=[shapely.box(0, 0, 52, 100), shapely.box(52, 0, 100, 100)],
        crs=27700,
    )
    xy, people = population_cells(pop, grid=_grid())
    assert len(xy) == 100
    by_x = {float(x): float(p) for x, p in zip(xy[:, 0], people, strict=True)}
    assert by_x[45.0] == pytest.approx(100 / 50)  # A: 100 people over its 50 centres
    assert by_x[55.0] == pytest.approx(300 / 50)  # straddling cell: all B, nothing of A
    # area weighting would have given 0.3 * 2 + 0.7 * 6 = 4.8 to that column's cells
    assert people.sum() == pytest.approx(400.0)


def test_small_lsoa_to_its_point_and_off_grid_dropped() -> None:
    pop = gpd.GeoDataFrame(
        {"children_young_people": [100.0, 7.0, 9.0]},
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(21, 21, 24, 24),  # holds no cell centre (centres at 15 and 25)
            shapely.box(500, 500, 510, 510),  # off the grid
        ],
        crs=27700,
    )
    xy, people = population_cells(pop, grid=_grid())
    at = {(float(x), float(y)): float(p) for (x, y), p in zip(xy, people, strict=True)}
    # the small LSOA's 7 people go to the cell (20-30, 20-30) holding its representative point,
    # on top of the big LSOA's equal share (it overlaps the big one, so 100 / 100 cells)
    assert at[(25.0, 25.0)] == pytest.approx(1.0 + 7.0)
    assert people.sum() == pytest.approx(107.0)  # the off-grid LSOA's 9 are dropped
    assert np.count_nonzero(people) == 100


def test_docstring_describes_centre_assignment_not_area() -> None:
    doc = dual_kde.__doc__ or ""
    assert "rasterised by area" not in doc
    assert "by cell centre, not by area" in doc
    assert "equally" in doc
