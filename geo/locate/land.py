"""Is a national-grid point on (or near) the land of Great Britain?

A 1 km land mask (``geo/locate/_land_mask_data.py``, built by ``scripts/build_land_mask.py`` from
the
public-domain GLOBE dataset) dilated by a few km, so that coastal points, piers, estuaries and
small islands count as land while points far out at sea, in Ireland or on the Continent do not.
"""

from __future__ import annotations

import base64
import zlib
from functools import lru_cache
from typing import Any

import numpy as np

from geo.locate import _land_mask_data as _data

__all__ = ["on_land"]


@lru_cache(maxsize=1)
def _mask() -> np.ndarray:
    raw = zlib.decompress(base64.b64decode("".join(_data.MASK_B64)))
    ny, nx = _data.SHAPE
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8))[: ny * nx].reshape(ny, nx).astype(bool)


def on_land(easting: Any, northing: Any) -> np.ndarray:
    """Whether each point is on or near the land of Great Britain (or the Isle of Man).

    Parameters
    ----------
    easting, northing : array-like of float
        Metres in EPSG:27700. NaN or outside the national grid gives ``False``.

    Returns
    -------
    numpy.ndarray of bool
        Same shape as the input.

    Examples
    --------
    >>> on_land([414639.6, 200000.0], [417076.1, 440000.0]).tolist()  # Huddersfield, Irish Sea
    [True, False]
    """
    e = np.asarray(easting, dtype=np.float64)
    n = np.asarray(northing, dtype=np.float64)
    mask = _mask()
    ny, nx = mask.shape
    with np.errstate(invalid="ignore"):
        col = np.floor(e / _data.CELL_M)
        row = np.floor(n / _data.CELL_M)
        ok = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    out = np.zeros(e.shape, dtype=bool)
    out[ok] = mask[row[ok].astype(np.int64), col[ok].astype(np.int64)]
    return out
