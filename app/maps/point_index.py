"""A compact, precomputed index of one point kind for fast filtering of large stores.

Filtering a million-row GeoDataFrame with :func:`app.session.filters.filter_kind` takes most of a
second
(string comparisons on every rerun). A :class:`PointIndex` is built once per store version: the
point coordinates as float arrays, the date as ``datetime64[ns]``, each filterable text column
factorised to integer codes, age as float and looked-after as two boolean arrays. :meth:`mask`
then applies a :class:`~app.session.filters.Filters` with numpy only, with exactly the semantics of
``filter_kind`` (tests compare the two), and :func:`filtered_cell_counts` counts the kept points
per grid cell (:mod:`app.maps.cells`) for the aggregated map layers.

Pure (no Streamlit); the app caches indexes with ``st.cache_resource`` (read-only, shared).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from app.maps.cells import cell_counts
from app.session.filters import DATE_COLUMNS, Filters
from geo.errors import StoreError
from geo.vocab import POINT_KINDS, POINT_RECORD_KINDS

#: Text columns the sidebar filters on, and the :class:`Filters` field for each.
_TEXT_FILTERS: Final[dict[str, str]] = {
    "category": "categories",
    "risk_level": "risk_levels",
    "reporting_agency": "agencies",
    "location_type": "location_types",
}


@dataclass(frozen=True, eq=False)
class PointIndex:
    """One point kind of a record set, reduced to numpy arrays (row order of the records).

    Attributes
    ----------
    point_kind, kind : str
        Point kind and the stored kind it comes from.
    easting, northing : numpy.ndarray
        EPSG:27700 coordinates (NaN where the row has no point of this kind).
    dates : numpy.ndarray or None
        ``datetime64[ns]`` of the kind's date column (NaT when missing).
    codes : dict
        Column -> (int codes, categories); code -1 is a missing value.
    age : numpy.ndarray or None
        Age in years as float (NaN when missing or not a number).
    looked_after : tuple of numpy.ndarray or None
        (is True, is False) arrays.
    """

    point_kind: str
    kind: str
    easting: np.ndarray
    northing: np.ndarray
    dates: np.ndarray | None = None
    codes: dict[str, tuple[np.ndarray, tuple[str, ...]]] = field(default_factory=dict)
    age: np.ndarray | None = None
    looked_after: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.easting)

    @property
    def has_point(self) -> np.ndarray:
        """Rows with a usable point of this kind."""
        return np.isfinite(self.easting) & np.isfinite(self.northing)

    def mask(self, filters: Filters) -> np.ndarray:
        """Rows that pass ``filters`` (as :func:`app.session.filters.filter_kind`), as a bool array.

        Examples
        --------
        >>> import shapely
        >>> rec = gpd.GeoDataFrame({"category": ["CSE", None, "CCE"]},
        ...     geometry=[shapely.Point(0, 0)] * 3, crs=27700)
        >>> idx = build_point_index(rec, point_kind="concerns")
        >>> idx.mask(Filters(categories=("CSE", "CCE"))).tolist()
        [True, False, True]
        """
        n = len(self)
        keep = np.ones(n, dtype=bool)
        if self.kind not in filters.kinds:
            return np.zeros(n, dtype=bool)
        if self.dates is not None:
            if filters.start is not None:
                keep &= self.dates >= np.datetime64(pd.Timestamp(filters.start), "ns")
            if filters.end is not None:
                end = pd.Timestamp(filters.end) + pd.Timedelta(days=1)
                keep &= self.dates < np.datetime64(end, "ns")
        for column, attr in _TEXT_FILTERS.items():
            values = getattr(filters, attr)
            if values is None or column not in self.codes:
                continue
            codes, categories = self.codes[column]
            wanted = [i for i, c in enumerate(categories) if c in set(values)]
            keep &= np.isin(codes, np.asarray(wanted, dtype=codes.dtype))
        if filters.age_band is not None and self.age is not None:
            low, high = filters.age_band
            keep &= (self.age >= low) & (self.age <= high)
        if filters.looked_after is not None and self.looked_after is not None:
            keep &= self.looked_after[0] if filters.looked_after else self.looked_after[1]
        return keep


def build_point_index(records: gpd.GeoDataFrame, *, point_kind: str) -> PointIndex:
    """Reduce one kind's records to a :class:`PointIndex` for ``point_kind``.

    Parameters
    ----------
    records : geopandas.GeoDataFrame
        Stored records of the kind ``point_kind`` comes from
        (:data:`geo.vocab.POINT_RECORD_KINDS`).
    point_kind : {"concerns", "missing_last_seen", "missing_found", "placements"}

    Returns
    -------
    PointIndex

    Examples
    --------
    >>> import shapely
    >>> rec = gpd.GeoDataFrame({"reported_date": pd.to_datetime(["2024-01-02", None])},
    ...     geometry=[shapely.Point(1, 2), None], crs=27700)
    >>> idx = build_point_index(rec, point_kind="concerns")
    >>> idx.has_point.tolist(), len(idx)
    ([True, False], 2)
    """
    if point_kind not in POINT_KINDS:
        raise StoreError(f"unknown point kind {point_kind!r}; expected one of {POINT_KINDS}")
    kind = POINT_RECORD_KINDS[point_kind]
    n = len(records)
    if point_kind in ("missing_found", "missing_last_seen"):
        prefix = "found_" if point_kind == "missing_found" else "last_seen_"
        east = _floats(records, prefix + "easting", n)
        north = _floats(records, prefix + "northing", n)
    elif n and "geometry" in records.columns:
        geoms = records.geometry
        ok = (geoms.notna() & ~geoms.is_empty).to_numpy()
        east = np.full(n, np.nan)
        north = np.full(n, np.nan)
        east[ok] = geoms[ok].x.to_numpy()
        north[ok] = geoms[ok].y.to_numpy()
    else:
        east, north = np.full(n, np.nan), np.full(n, np.nan)
    date_col = DATE_COLUMNS.get(kind)
    dates = None
    if date_col is not None and date_col in records.columns:
        dates = pd.to_datetime(records[date_col]).to_numpy(dtype="datetime64[ns]")
    codes: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
    for column in _TEXT_FILTERS:
        if column in records.columns:
            raw, uniques = pd.factorize(records[column], use_na_sentinel=True)
            dtype = "int16" if len(uniques) < 32_000 else "int32"
            codes[column] = (raw.astype(dtype), tuple(str(u) for u in uniques))
    age = None
    if "age" in records.columns:
        age = pd.to_numeric(records["age"], errors="coerce").to_numpy(dtype="float64")
    looked_after = None
    if "looked_after" in records.columns:
        flag = records["looked_after"].astype("boolean")
        looked_after = (
            flag.eq(True).fillna(False).to_numpy(dtype=bool),
            flag.eq(False).fillna(False).to_numpy(dtype=bool),
        )
    return PointIndex(
        point_kind=point_kind,
        kind=kind,
        easting=east,
        northing=north,
        dates=dates,
        codes=codes,
        age=age,
        looked_after=looked_after,
    )


def _floats(records: pd.DataFrame, column: str, n: int) -> np.ndarray:
    if column not in records.columns:
        return np.full(n, np.nan)
    return pd.to_numeric(records[column], errors="coerce").to_numpy(dtype="float64")


@dataclass(frozen=True)
class CellSummary:
    """What a filtered point index counts: records, those with a point, and cell counts."""

    n_records: int
    n_points: int
    cells: pd.DataFrame


def filtered_cell_counts(index: PointIndex, *, filters: Filters, cell: float) -> CellSummary:
    """Filter ``index`` and count the kept points per ``cell``-metre grid cell.

    Examples
    --------
    >>> import shapely
    >>> rec = gpd.GeoDataFrame({"category": ["CSE", "CCE", "CSE"]},
    ...     geometry=[shapely.Point(10, 10), shapely.Point(20, 20), None], crs=27700)
    >>> s = filtered_cell_counts(build_point_index(rec, point_kind="concerns"),
    ...                          filters=Filters(categories=("CSE",)), cell=100)
    >>> s.n_records, s.n_points, s.cells.values.tolist()
    (2, 1, [[0, 0, 1]])
    """
    keep = index.mask(filters)
    with_point = keep & index.has_point
    return CellSummary(
        n_records=int(keep.sum()),
        n_points=int(with_point.sum()),
        cells=cell_counts(index.easting[with_point], index.northing[with_point], cell=cell),
    )
