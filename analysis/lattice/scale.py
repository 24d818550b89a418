"""Automatic scale for grid hotspots, in the manner of ArcGIS's Optimized Hot Spot Analysis (OHSA).

Rules (each overridable by passing a number; what was automatic is recorded in the result's
``params["automatic"]`` and the rule used in ``params["scale_method"]``):

Cell size (``cell_size="auto"``)
    From the nearest-neighbour (NN) distances between *unique* event locations (duplicates, e.g.
    police snap points, would make the median 0): ``max(mean, median) * max(2, mean / median)``,
    rounded to two significant figures. With more than :data:`NN_SAMPLE` (100 000) distinct
    locations, the mean and median (here and for the K-th neighbour band) are estimated from a
    fixed-seed random sample of that many locations, each queried against all of them.
Distance band (``band="auto"``)
    Incremental spatial autocorrelation: global Moran's I of the cell counts (binary band weights
    without self, z under the randomisation assumption) for bands of 1, 2, ..., 10 cell sizes. The
    band is the first peak (z higher than at the bands either side) with z > 1.96. Without such a
    peak: the mean distance from each unique event location to its K-th nearest neighbour,
    K = 5 % of the events clamped to 3-30, capped at the standard distance of the events; never
    below one cell size (so a window always holds the ring of adjacent cells).
Grid size cap (dense data)
    The NN rule shrinks with density: ~900 k events over Kirklees give ~13 m cells, a grid of
    ~2.5 M cells that says more about geocoding precision than about places. An automatic cell size
    therefore never gives more than :data:`MAX_AUTO_CELLS` (250 000) study-area cells: when the
    rule's size would, the cell is coarsened to the smallest size (rounded *up* to two significant
    figures) whose grid stays within the cap. The result records ``cell_size_rule`` (what the
    NN rule gave), ``cell_size_capped`` (True/False) and ``cell_size_cap_reason``. A cell size
    *given* by the user is never changed; grids over :data:`analysis.lattice.grid.MAX_CELLS` raise a
    :class:`~geo.errors.ParameterError` naming the smallest usable size.
Too few events
    With fewer than :data:`MIN_EVENTS` events the automatic rules are unreliable: a
    :class:`~geo.errors.ParameterError` asks for an explicit cell size and band.

Moran's I and incremental spatial autocorrelation are in :mod:`analysis.lattice.moran` (re-exported
here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from analysis.lattice.grid import count_in_cells, make_grid, valid_area
from analysis.lattice.moran import MoranResult as MoranResult
from analysis.lattice.moran import grid_lattice as grid_lattice
from analysis.lattice.moran import incremental_moran as incremental_moran
from analysis.lattice.moran import lattice_incremental_moran as lattice_incremental_moran
from analysis.lattice.moran import morans_i as morans_i
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

MIN_EVENTS: Final[int] = 30
N_BANDS: Final[int] = 10
PEAK_Z: Final[float] = 1.96
#: Most study-area cells an *automatic* cell size may produce (see the module docstring).
MAX_AUTO_CELLS: Final[int] = 250_000
#: Above this many distinct locations, neighbour distances are averaged over a fixed-seed sample.
NN_SAMPLE: Final[int] = 100_000


def round_up_sig(x: float, *, digits: int = 2) -> float:
    """Round *up* to ``digits`` significant figures.

    Examples
    --------
    >>> round_up_sig(40.01), round_up_sig(1201.0)
    (41.0, 1300.0)
    """
    if x <= 0 or not math.isfinite(x):
        raise ParameterError(f"cannot round {x!r} to a scale")
    mag = math.floor(math.log10(x)) - digits + 1
    return float(math.ceil(x / 10**mag - 1e-9) * 10**mag)


def capped_grid(
    study_area: BaseGeometry,
    *,
    cell_size: float,
    shape: str = "square",
    max_cells: int = MAX_AUTO_CELLS,
) -> tuple[float, gpd.GeoDataFrame, str]:
    """The grid of ``cell_size``, coarsened when it would have more than ``max_cells`` cells.

    Returns
    -------
    cell_size : float
        ``cell_size``, or the smallest two-significant-figure size within the cap.
    cells : geopandas.GeoDataFrame
        The grid.
    reason : str
        Empty when not coarsened, else why.

    Examples
    --------
    >>> import shapely
    >>> size, cells, why = capped_grid(shapely.box(0, 0, 1000, 1000), cell_size=10, max_cells=400)
    >>> size, len(cells) <= 400, bool(why)
    (50.0, True, True)
    """
    area = float(valid_area(study_area).area)
    size = float(cell_size)
    if area / (size * size) <= max_cells:
        cells = make_grid(study_area, cell_size=size, shape=shape)
        if len(cells) <= max_cells:
            return size, cells, ""
    size = max(size, round_up_sig(math.sqrt(area / max_cells)))
    while True:
        cells = make_grid(study_area, cell_size=size, shape=shape)
        if len(cells) <= max_cells:
            break
        size = round_up_sig(size * 1.02)
    reason = (
        f"the nearest-neighbour rule gave {cell_size:g} m cells, a grid of about "
        f"{area / cell_size**2:,.0f} cells; coarsened to {size:g} m so the grid keeps at most "
        f"{max_cells:,} cells ({len(cells):,})"
    )
    return size, cells, reason


def round_sig(x: float, *, digits: int = 2) -> float:
    """Round to ``digits`` significant figures.

    Examples
    --------
    >>> round_sig(137.4), round_sig(1234.0)
    (140.0, 1200.0)
    """
    if x <= 0 or not math.isfinite(x):
        raise ParameterError(f"cannot round {x!r} to a scale")
    mag = math.floor(math.log10(x)) - digits + 1
    return float(round(x / 10**mag) * 10**mag)


def _unique_xy(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distinct locations (millimetre rounding), by hashing (``np.unique(axis=0)`` sorts: slow)."""
    rounded = np.round(np.asarray(xy, dtype=float).reshape(-1, 2), 3)
    return pd.DataFrame(rounded).drop_duplicates().to_numpy(dtype=float)


def _query_sample(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """The locations whose neighbour distances are averaged: all of them, or a fixed-seed random
    sample of :data:`NN_SAMPLE` when there are more (queried against *all* locations, so the
    mean and median are unbiased estimates)."""
    if len(u) <= NN_SAMPLE:
        return u
    rng = np.random.default_rng(0)
    return u[rng.choice(len(u), NN_SAMPLE, replace=False)]


def auto_cell_size(xy: ArrayLike) -> float:
    """OHSA cell size: ``max(mean, median NN distance) * max(2, mean / median)``, 2 sig. figures.

    Examples
    --------
    >>> g = np.array([[x, y] for x in range(0, 1000, 100) for y in range(0, 1000, 100)], float)
    >>> auto_cell_size(g)
    200.0
    """
    u = _unique_xy(np.asarray(xy, dtype=float))
    if len(u) < 2:
        raise ParameterError(
            "need at least two distinct event locations for an automatic cell size"
        )
    d, _ = cKDTree(u).query(_query_sample(u), k=2)
    nn = d[:, 1]
    mean, median = float(nn.mean()), float(np.median(nn))
    ratio = mean / median if median > 0 else 2.0
    return round_sig(max(mean, median) * max(2.0, ratio))


def k_neighbour_band(xy: ArrayLike) -> float:
    """Mean distance to the K-th neighbour (K = 5 % of N, clamped 3-30), capped at the standard
    distance of the points.

    Examples
    --------
    >>> g = np.array([[x, y] for x in range(0, 1000, 100) for y in range(0, 1000, 100)], float)
    >>> round(k_neighbour_band(g), 1)  # K = 5: mostly the diagonal neighbour at 141.4 m
    143.8
    """
    pts = np.asarray(xy, dtype=float)
    u = _unique_xy(pts)
    k = int(min(30, max(3, round(0.05 * len(pts)))))
    k = min(k, len(u) - 1)
    if k < 1:
        raise ParameterError("need at least two distinct event locations for an automatic band")
    d, _ = cKDTree(u).query(_query_sample(u), k=k + 1)
    kth = float(d[:, k].mean())
    sd = float(np.sqrt(((pts - pts.mean(axis=0)) ** 2).sum(axis=1).mean()))
    return min(kth, sd) if sd > 0 else kth


@dataclass
class ScaleChoice:
    """Cell size, band and grid chosen for an analysis."""

    cell_size: float
    band: float
    cells: gpd.GeoDataFrame
    automatic: list[str] = field(default_factory=list)
    notes: str = ""
    moran_z: list[float] = field(default_factory=list)
    counts: NDArray[np.float64] | None = None
    cell_size_rule: float | None = None
    cell_size_capped: bool = False
    cap_reason: str = ""


def _number(value: float | str, name: str) -> float | None:
    if isinstance(value, str):
        if value == "auto":
            return None
        try:
            value = float(value)
        except ValueError:
            raise ParameterError(
                f"{name} must be a number of metres or 'auto', got {value!r}"
            ) from None
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ParameterError(f"{name} must be a positive number of metres, got {value!r}")
    return v


def choose_scale(
    xy: ArrayLike,
    *,
    study_area: BaseGeometry,
    cell_size: float | str = "auto",
    band: float | str = "auto",
    shape: str = "square",
) -> ScaleChoice:
    """Pick (or take) the cell size and band, and build the grid (see the module docstring).

    Examples
    --------
    >>> import shapely
    >>> rng = np.random.default_rng(1)
    >>> xy = rng.uniform(0, 3000, (300, 2))
    >>> ch = choose_scale(xy, study_area=shapely.box(0, 0, 3000, 3000))
    >>> ch.automatic, ch.cell_size > 0, ch.band >= ch.cell_size
    (['cell_size', 'band'], True, True)
    """
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    cs = _number(cell_size, "cell_size")
    bd = _number(band, "band")
    automatic: list[str] = []
    notes: list[str] = []
    if (cs is None or bd is None) and len(pts) < MIN_EVENTS:
        raise ParameterError(
            f"only {len(pts)} events: automatic scale needs at least {MIN_EVENTS}; "
            "give both a cell size and a band in metres"
        )
    rule: float | None = None
    cap_reason = ""
    if cs is None:
        rule = auto_cell_size(pts)
        automatic.append("cell_size")
        notes.append("cell size from nearest-neighbour distances (OHSA rule)")
        cs, cells, cap_reason = capped_grid(
            study_area, cell_size=rule, shape=shape, max_cells=MAX_AUTO_CELLS
        )
        if cap_reason:
            notes.append(f"cell size capped at {MAX_AUTO_CELLS:,} cells")
    else:
        cells = make_grid(study_area, cell_size=cs, shape=shape)
    moran_z: list[float] = []
    counts: NDArray[np.float64] | None = None
    if bd is None:
        automatic.append("band")
        if shape == "hex":
            step = math.sqrt(3.0) * cs * math.sqrt(2.0 / (3.0 * math.sqrt(3.0)))
        else:
            step = cs
        bands = step * np.arange(1, N_BANDS + 1)
        pgdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=BNG_EPSG)
        counts = count_in_cells(cells, pgdf)
        ij, basis = grid_lattice(cells, cell_size=cs, shape=shape)
        res = (
            lattice_incremental_moran(counts, ij, basis=basis, bands=bands)
            if len(cells) >= 4
            else []
        )
        moran_z = [r.z_rand for r in res]
        zs = np.nan_to_num(np.asarray(moran_z, dtype=float), nan=-np.inf)
        peak = next(
            (
                k
                for k in range(1, len(zs) - 1)
                if zs[k] > zs[k - 1] and zs[k] >= zs[k + 1] and zs[k] > PEAK_Z
            ),
            None,
        )
        if peak is not None:
            bd = float(bands[peak])
            notes.append(f"band at the first peak of incremental Moran's I z ({zs[peak]:.2f})")
        else:
            bd = max(k_neighbour_band(pts), step)
            bd = round_sig(bd)
            notes.append("band from the mean distance to the K-th neighbour (no Moran's I peak)")
    return ScaleChoice(
        cell_size=float(cs),
        band=float(bd),
        cells=cells,
        automatic=automatic,
        notes="; ".join(notes) or "cell size and band given",
        moran_z=moran_z,
        counts=counts,
        cell_size_rule=rule,
        cell_size_capped=bool(cap_reason),
        cap_reason=cap_reason,
    )
