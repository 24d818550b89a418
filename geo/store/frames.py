"""Records as GeoPackage rows: the stored dtypes, WKB points, Arrow batches, fast SQLite writes.

Shared by the store (:mod:`geo.store.gpkg`) and its child-process writer (:mod:`geo.store.writer`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

__all__ = ["arrow_batch", "arrow_stream", "fast_sqlite", "fix_types", "for_gpkg"]

_BOOL_COLUMNS = ("looked_after", "rhi_offered", "rhi_accepted")
_DATE_COLUMNS = (
    "reported_date",
    "start",
    "end",
    "start_date",
    "end_date",
    "rhi_date",
    "ingested_at",
)


def fix_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Restore the stored dtypes GeoPackage does not keep (nullable bool/int, dates)."""
    for col in frame.columns:
        if col.endswith("in_study_area"):
            frame[col] = frame[col].fillna(False).astype(bool)
        elif col in _BOOL_COLUMNS:
            values = frame[col]
            present = values.dropna()
            if len(present) and isinstance(present.iloc[0], str):
                # A text field (made by an older csmap when the first file lacked the column).
                values = values.map(
                    {"true": True, "false": False, "1": True, "0": False}, na_action="ignore"
                )
            frame[col] = values.astype("boolean")
        elif col in _DATE_COLUMNS:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
        elif col in ("age", "source_row"):
            # ``age`` may be a text field in a store whose first file had no ages.
            values = frame[col] if col == "source_row" else pd.to_numeric(frame[col])
            frame[col] = values.astype("Int64" if col == "age" else "int64")
    return frame


def for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns in types Arrow takes without a per-value scan (text as Arrow-backed ``str``)."""
    out = frame.copy(deep=False)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        dtype = out[col].dtype
        if col in _BOOL_COLUMNS:
            # An all-null column keeps its type (typed nulls): a layer's field types must not
            # depend on which optional columns the first file happened to have.
            out[col] = out[col].astype("boolean")
        elif pd.api.types.is_object_dtype(dtype):
            # Text (None = null); an all-null column becomes a null text column, as before.
            values = out[col].to_numpy(dtype=object)
            try:
                text = pa.array(values, type=pa.large_string(), from_pandas=True)
            except (pa.ArrowTypeError, pa.ArrowInvalid, UnicodeEncodeError):
                out[col] = out[col].where(out[col].notna(), None)  # not all text: pyogrio decides
                continue
            out[col] = pd.Series(pd.arrays.ArrowStringArray(text), index=out.index)
    return out


_BATCH_ROWS = 131_072


#: 2-D WKB point, little endian: byte order 1, type 1 (Point), x, y (21 bytes, unpadded).
_WKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _wkb(geoms: np.ndarray) -> pa.Array:
    """WKB of shapely geometries as an Arrow binary array (None -> null).

    2-D points (the records' geometry) are packed by numpy, byte for byte what
    ``shapely.to_wkb`` writes (an empty point is x = y = NaN) but without a call per geometry;
    anything else goes through ``shapely.to_wkb``.
    """
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (-1, 0)).all() or shapely.has_z(geoms).any():
        return pa.array(shapely.to_wkb(geoms), type=pa.binary())
    valid = types == 0
    points = geoms[valid]
    packed = np.empty(len(points), dtype=_WKB_POINT)
    packed["order"] = 1
    packed["type"] = 1
    packed["x"] = packed["y"] = np.nan
    filled = ~shapely.is_empty(points)
    packed["x"][filled] = shapely.get_x(points[filled])
    packed["y"][filled] = shapely.get_y(points[filled])
    offsets = np.zeros(len(geoms) + 1, dtype=np.int32)
    np.cumsum(np.where(valid, _WKB_POINT.itemsize, 0), out=offsets[1:])
    nulls = len(geoms) - len(points)
    validity = pa.array(valid).buffers()[1] if nulls else None
    return pa.BinaryArray.from_buffers(
        pa.binary(),
        len(geoms),
        [validity, pa.py_buffer(offsets), pa.py_buffer(packed.tobytes())],
        null_count=nulls,
    )


def arrow_batch(
    data: gpd.GeoDataFrame, start: int, stop: int, schema: pa.Schema | None
) -> pa.Table:
    geom = data.geometry.name
    part = pd.DataFrame(data.iloc[start:stop].drop(columns=geom), copy=False)
    table = pa.Table.from_pandas(part, preserve_index=False)
    table = table.append_column(geom, _wkb(np.asarray(data.geometry.values[start:stop])))
    if schema is None:  # GDAL has no null type: all-null columns are text (as in pyogrio)
        for i, field in enumerate(table.schema):
            if pa.types.is_null(field.type):
                table = table.set_column(
                    i, field.with_type(pa.string()), table.column(i).cast(pa.string())
                )
        return table
    return table.cast(schema)


def arrow_stream(data: gpd.GeoDataFrame) -> pa.RecordBatchReader | None:
    """The records as a stream of Arrow batches of ``_BATCH_ROWS`` rows (None if not typable)."""
    if any(
        pd.api.types.is_object_dtype(t) for c, t in data.dtypes.items() if c != data.geometry.name
    ):
        return None
    first = arrow_batch(data, 0, _BATCH_ROWS, None)
    schema = first.schema

    def batches() -> Iterator[pa.RecordBatch]:
        yield from first.to_batches()
        for start in range(_BATCH_ROWS, len(data), _BATCH_ROWS):
            yield from arrow_batch(data, start, start + _BATCH_ROWS, schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


#: SQLite settings for writing the temporary copy. The copy is only swapped in after an fsync
#: (:meth:`Transaction.commit`), so SQLite's own durability is not needed. A 16 MB page cache
#: (default 2 MB) keeps the R-tree and b-tree pages being filled in memory: writing 1M rows takes
#: about a fifth less CPU (7.0 -> 5.4 s measured); 32-128 MB gained nothing more, only memory.
_FAST_SQLITE = {
    "OGR_SQLITE_SYNCHRONOUS": "OFF",
    "OGR_SQLITE_JOURNAL": "OFF",
    "OGR_SQLITE_CACHE": "16",
}


@contextlib.contextmanager
def fast_sqlite() -> Iterator[None]:
    pyogrio.set_gdal_config_options(_FAST_SQLITE)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(_FAST_SQLITE))
