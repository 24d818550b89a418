"""Global Moran's I and incremental spatial autocorrelation (the band rule of
analysis.lattice.scale).

:func:`lattice_incremental_moran` works on the grid lattice (cell rows/columns): each neighbour
offset is one shifted-array product, so it costs O(cells x offsets) time and O(cells) memory
instead of a KD-tree pair list (33 s and 1 GB for 100 k cells and 10 bands).
:mod:`analysis.lattice.scale` re-exports every public name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from analysis.lattice.grid import hex_side
from geo.errors import ParameterError


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
    >>> from analysis.hotspots.gi import band_weights
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


def lattice_incremental_moran(
    values: ArrayLike, index: ArrayLike, *, basis: ArrayLike, bands: ArrayLike
) -> list[MoranResult]:
    """Moran's I (binary band weights, no self) per band for values on a regular lattice.

    Gives the same numbers as :func:`incremental_moran` on the cell centres, without a pair list.

    Parameters
    ----------
    values : array-like, shape (n,)
        Value of each present lattice site.
    index : array-like of int, shape (n, 2)
        Lattice indices ``(i, j)`` of each site (unique).
    basis : array-like, shape (2, 2)
        ``basis[0]`` / ``basis[1]``: the displacement in metres of one step in ``i`` / ``j``.
    bands : array-like
        Distance bands in metres.

    Returns
    -------
    list of MoranResult
        One per band, in increasing band order.

    Examples
    --------
    >>> ij = [[0, 0], [0, 1], [0, 2], [0, 3]]
    >>> res = lattice_incremental_moran([1.0, 2, 3, 4], ij, basis=[[0, 1], [1, 0]], bands=[1.0])
    >>> [round(m.I, 4) for m in res]
    [0.3333]
    """
    y = np.asarray(values, dtype=float).ravel()
    ij = np.asarray(index, dtype=np.int64).reshape(-1, 2)
    B = np.asarray(basis, dtype=float).reshape(2, 2)
    b = np.sort(np.asarray(bands, dtype=float).ravel())
    n = y.size
    if n < 4:
        raise ParameterError("Moran's I needs at least four values")
    z = y - y.mean()
    ij = ij - ij.min(axis=0)
    shape = (int(ij[:, 0].max()) + 1, int(ij[:, 1].max()) + 1)
    zz = np.zeros(shape)
    zz[ij[:, 0], ij[:, 1]] = z
    mm = np.zeros(shape, dtype=bool)
    mm[ij[:, 0], ij[:, 1]] = True
    if mm.sum() != n:
        raise ParameterError("lattice indices must be unique")
    smin = float(np.linalg.svd(B, compute_uv=False).min())
    if smin <= 0:
        raise ParameterError("the lattice basis must have two independent vectors")
    reach = int(math.ceil(float(b[-1]) * (1 + 1e-9) / smin)) + 1
    offsets = []
    for di in range(0, reach + 1):
        for dj in range(-reach, reach + 1):
            if di == 0 and dj <= 0:
                continue
            d = float(np.hypot(*(di * B[0] + dj * B[1])))
            if d <= b[-1] * (1 + 1e-9):
                offsets.append((d, di, dj))
    offsets.sort()
    card = np.zeros(shape, dtype=np.int64)
    cross = 0.0
    pairs = 0
    out: list[MoranResult] = []
    k = 0
    for band in b:
        while k < len(offsets) and offsets[k][0] <= band * (1 + 1e-9):
            _, di, dj = offsets[k]
            k += 1
            n0, n1 = shape
            if di >= n0 or abs(dj) >= n1:
                continue
            a = (slice(0, n0 - di), slice(max(0, -dj), n1 - max(0, dj)))
            c = (slice(di, n0), slice(max(0, dj), n1 - max(0, -dj)))
            both = mm[a] & mm[c]
            cross += float((zz[a] * zz[c]).sum())
            pairs += int(both.sum())
            card[a] += both
            card[c] += both
        s0 = 2.0 * pairs
        out.append(
            _moran_from_sums(
                n=n,
                z=z,
                cross=2.0 * cross,
                s0=s0,
                s1=2.0 * s0,
                s2=float(((2.0 * card[mm]) ** 2).sum()),
            )
        )
    return out


def grid_lattice(
    cells: gpd.GeoDataFrame, *, cell_size: float, shape: str
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Lattice indices and basis of a :func:`analysis.lattice.grid.make_grid` grid (rows/columns).

    Square cells: ``(row, col)`` with steps of ``cell_size`` north / east. Flat-topped hexagons
    (odd columns shifted up half a row): axial ``(col, row - (col - col % 2) / 2)``.

    Examples
    --------
    >>> import shapely
    >>> from analysis.lattice.grid import make_grid
    >>> cells = make_grid(shapely.box(0, 0, 300, 200), cell_size=100, shape="square")
    >>> ij, basis = grid_lattice(cells, cell_size=100, shape="square")
    >>> ij[:2].tolist(), basis.tolist()
    ([[0, 0], [0, 1]], [[0.0, 100.0], [100.0, 0.0]])
    """
    row = cells["row"].to_numpy(dtype=np.int64)
    col = cells["col"].to_numpy(dtype=np.int64)
    if shape == "square":
        return np.column_stack([row, col]), np.array([[0.0, cell_size], [cell_size, 0.0]])
    if shape == "hex":
        s = hex_side(cell_size)
        dy = math.sqrt(3.0) * s
        axial_r = row - (col - col % 2) // 2
        return np.column_stack([col, axial_r]), np.array([[1.5 * s, dy / 2], [0.0, dy]])
    raise ParameterError(f"shape must be 'square' or 'hex', got {shape!r}")
