"""Automatic scale for grid hotspots, in the manner of ArcGIS's Optimized Hot Spot Analysis (OHSA).

Rules (each overridable by passing a number; what was automatic is recorded in the result's
``params["automatic"]`` and the rule used in ``params["scale_method"]``):

Cell size (``cell_size="auto"``)
    From the nearest-neighbour (NN) distances between *unique* event locations (duplicates, e.g.
    police snap points, would make the median 0): ``max(mean, median) * max(2, mean / median)``,
    rounded to two significant figures.
Distance band (``band="auto"``)
    Incremental spatial autocorrelation: global Moran's I of the cell counts (binary band weights
    without self, z under the randomisation assumption) for bands of 1, 2, ..., 10 cell sizes. The
    band is the first peak (z higher than at the bands either side) with z > 1.96. Without such a
    peak: the mean distance from each unique event location to its K-th nearest neighbour,
    K = 5 % of the events clamped to 3-30, capped at the standard distance of the events; never
    below one cell size (so a window always holds the ring of adjacent cells).
Too few events
    With fewer than :data:`MIN_EVENTS` events the automatic rules are unreliable: a
    :class:`~geo.errors.ParameterError` asks for an explicit cell size and band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from analysis.grid import count_in_cells, make_grid
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

MIN_EVENTS: Final[int] = 30
N_BANDS: Final[int] = 10
PEAK_Z: Final[float] = 1.96


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with its moments under normality and randomisation."""

    I: float  # noqa: E741
    EI: float
    VI_norm: float
    VI_rand: float
    z_norm: float
    z_rand: float


def _moran_from_sums(
    *, n: int, z: NDArray[np.float64], cross: float, s0: float, s1: float, s2: float
) -> MoranResult:
    z2 = float((z * z).sum())
    if s0 == 0 or z2 == 0:
        nan = float("nan")
        return MoranResult(nan, -1.0 / (n - 1), nan, nan, nan, nan)
    I = n / s0 * cross / z2  # noqa: E741
    EI = -1.0 / (n - 1)
    n2, s02 = n * n, s0 * s0
    VI_norm = (n2 * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - EI**2
    k = float((z**4).sum() / n) / (z2 / n) ** 2
    A = n * ((n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    B = k * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    VI_rand = (A - B) / ((n - 1) * (n - 2) * (n - 3) * s02) - EI**2
    z_norm = (I - EI) / math.sqrt(VI_norm) if VI_norm > 0 else float("nan")
    z_rand = (I - EI) / math.sqrt(VI_rand) if VI_rand > 0 else float("nan")
    return MoranResult(float(I), EI, float(VI_norm), float(VI_rand), z_norm, z_rand)


def morans_i(values: ArrayLike, weights: sp.spmatrix) -> MoranResult:
    """Global Moran's I of ``values`` under the (unstandardised) sparse ``weights``.

    Same formulas as :class:`esda.Moran` (moments under normality and randomisation).

    Parameters
    ----------
    values : array-like, shape (n,)
        Values.
    weights : scipy.sparse matrix
        ``n x n`` weights (usually binary, zero diagonal).

    Returns
    -------
    MoranResult

    Examples
    --------
    >>> from analysis.gi import band_weights
    >>> W = band_weights([[0, 0], [1, 0], [2, 0], [3, 0]], band=1.0, self_weight=False)
    >>> round(morans_i([1.0, 2.0, 3.0, 4.0], W).I, 4)
    0.3333
    """
    y = np.asarray(values, dtype=float).ravel()
    n = y.size
    if n < 4:
        raise ParameterError("Moran's I needs at least four values")
    W = sp.csr_matrix(weights, dtype=float)
    z = y - y.mean()
    cross = float(z @ (W @ z))
    s0 = float(W.sum())
    sym = W + W.T
    s1 = 0.5 * float(sym.multiply(sym).sum())
    s2 = float(((np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()) ** 2).sum())
    return _moran_from_sums(n=n, z=z, cross=cross, s0=s0, s1=s1, s2=s2)


def incremental_moran(
    values: ArrayLike, coords: ArrayLike, *, bands: ArrayLike
) -> list[MoranResult]:
    """Moran's I (binary band weights, no self) for each distance band, in one neighbour pass.

    Examples
    --------
    >>> xy = [[0, 0], [1, 0], [2, 0], [3, 0]]
    >>> [round(m.I, 4) for m in incremental_moran([1.0, 2, 3, 4], xy, bands=[1.0])]
    [0.3333]
    """
    y = np.asarray(values, dtype=float).ravel()
    xy = np.asarray(coords, dtype=float)
    b = np.sort(np.asarray(bands, dtype=float))
    n = y.size
    z = y - y.mean()
    pairs = cKDTree(xy).query_pairs(r=float(b[-1]) * (1 + 1e-9), output_type="ndarray")
    d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    out = []
    for band in b:
        m = d <= band * (1 + 1e-9)
        pi, pj = pairs[m, 0], pairs[m, 1]
        cross = 2.0 * float((z[pi] * z[pj]).sum())
        s0 = 2.0 * pi.size
        card = np.bincount(pi, minlength=n) + np.bincount(pj, minlength=n)
        out.append(
            _moran_from_sums(
                n=n, z=z, cross=cross, s0=s0, s1=2.0 * s0, s2=float(((2.0 * card) ** 2).sum())
            )
        )
    return out


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
    return np.unique(np.round(xy, 3), axis=0)


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
    d, _ = cKDTree(u).query(u, k=2)
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
    d, _ = cKDTree(u).query(u, k=k + 1)
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
    if cs is None:
        cs = auto_cell_size(pts)
        automatic.append("cell_size")
        notes.append("cell size from nearest-neighbour distances (OHSA rule)")
    cells = make_grid(study_area, cell_size=cs, shape=shape)
    moran_z: list[float] = []
    if bd is None:
        automatic.append("band")
        if shape == "hex":
            step = math.sqrt(3.0) * cs * math.sqrt(2.0 / (3.0 * math.sqrt(3.0)))
        else:
            step = cs
        bands = step * np.arange(1, N_BANDS + 1)
        pgdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=BNG_EPSG)
        counts = count_in_cells(cells, pgdf)
        coords = cells[["cell_x", "cell_y"]].to_numpy()
        res = incremental_moran(counts, coords, bands=bands) if len(cells) >= 4 else []
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
    )
