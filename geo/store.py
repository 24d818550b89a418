"""The record store: one GeoPackage (opens in QGIS) with atomic writes.

Layers: ``concerns``, ``missing_episodes``, ``placements`` (EPSG:27700 points, null geometry
allowed) and ``ingest_log`` (a table: file, kind, time, counts, quarantine file, content hash).

Writes are atomic: under an exclusive lock (``<store>.lock``, ``fcntl.flock``, released by the
kernel if the writer dies), the store is copied to a temporary file in the same folder, the new
rows are appended to the copy, the copy is flushed to disk, and ``os.replace`` swaps it in. A
process killed at any point leaves the previous store byte-identical; the stale temporary copy
is removed (with one line on stderr) when the store is next opened and no writer holds the lock
(:mod:`geo.store_files`).

Path: ``--store``, else env ``CSMAP_STORE``, else ``~/.local/share/csmap/store.gpkg``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from geo.errors import StoreError
from geo.schema import COLUMNS, ID_COLUMN
from geo.store_files import lock_file, remove_stale_copies, store_errors, writing_copy
from geo.store_meta import ensure_cell_key_secret
from geo.store_writer import LayerWriter, conform_stream, layer_schema
from geo.vocab import BNG_EPSG, KINDS, POINT_KINDS, PROVENANCE_COLUMNS, PointKind

STORE_ENV = "CSMAP_STORE"
LOG_LAYER = "ingest_log"
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


def default_store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The store path: ``path``, else env ``CSMAP_STORE``, else ``~/.local/share/csmap/store.gpkg``.

    Examples
    --------
    >>> default_store_path("/tmp/x.gpkg")
    PosixPath('/tmp/x.gpkg')
    """
    if path:
        return Path(path)
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "csmap" / "store.gpkg"


def _fix_types(frame: pd.DataFrame) -> pd.DataFrame:
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


def _for_gpkg(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
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


def _arrow_batch(
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


def _arrow_stream(data: gpd.GeoDataFrame) -> pa.RecordBatchReader | None:
    """The records as a stream of Arrow batches of ``_BATCH_ROWS`` rows (None if not typable)."""
    if any(
        pd.api.types.is_object_dtype(t) for c, t in data.dtypes.items() if c != data.geometry.name
    ):
        return None
    first = _arrow_batch(data, 0, _BATCH_ROWS, None)
    schema = first.schema

    def batches() -> Iterator[pa.RecordBatch]:
        yield from first.to_batches()
        for start in range(_BATCH_ROWS, len(data), _BATCH_ROWS):
            yield from _arrow_batch(data, start, start + _BATCH_ROWS, schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


class Store:
    """A GeoPackage record store.

    Parameters
    ----------
    path : str or Path
        The ``.gpkg`` file (created on the first write).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> s = Store(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg")
    >>> s.kinds(), len(s.read("concerns")), s.read("concerns").crs.to_epsg()
    ([], 0, 27700)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        remove_stale_copies(self.path)  # left by a killed write; never a live writer's copy

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _layers(self) -> list[str]:
        if not self.path.exists():
            return []
        try:
            return [str(name) for name, _ in pyogrio.list_layers(self.path)]
        except Exception as exc:  # pyogrio raises DataSourceError and friends
            raise StoreError(f"{self.path}: not a readable GeoPackage ({exc})") from exc

    def kinds(self) -> list[str]:
        """The record kinds the store holds."""
        layers = self._layers()
        return [k for k in KINDS if k in layers]

    def read(self, kind: str) -> gpd.GeoDataFrame:
        """All stored records of ``kind`` (EPSG:27700, RangeIndex; empty if none).

        Parameters
        ----------
        kind : {"concerns", "missing_episodes", "placements"}
        """
        if kind not in KINDS:
            raise StoreError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind not in self._layers():
            cols = [*COLUMNS[kind], *PROVENANCE_COLUMNS]
            return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=BNG_EPSG)
        with store_errors(self.path, doing="read"):
            frame = pyogrio.read_dataframe(
                self.path, layer=kind, use_arrow=True, fid_as_index=False
            )
        frame = _fix_types(frame)
        if frame.crs is None:
            frame = frame.set_crs(BNG_EPSG)
        return frame.reset_index(drop=True)

    def ingest_log(self) -> pd.DataFrame:
        """The ingest log (one row per ingest that changed the store)."""
        if LOG_LAYER not in self._layers():
            return pd.DataFrame(
                columns=[
                    "file",
                    "kind",
                    "ingested_at",
                    "rows_read",
                    "rows_loaded",
                    "rows_quarantined",
                    "rows_duplicate",
                    "quarantine_file",
                    "content_hash",
                ]
            )
        with store_errors(self.path, doing="read"):
            log = pyogrio.read_dataframe(self.path, layer=LOG_LAYER, read_geometry=False)
        return pd.DataFrame(log)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's exclusive writer lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = lock_file(self.path)
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """An atomic write: all appends land together on normal exit, or not at all."""
        with self.lock():
            tx = Transaction(self)
            try:
                yield tx
                tx.commit()
            except BaseException:
                tx.rollback()
                raise


class Transaction:
    """Writes to a temporary copy of the store, swapped in by :meth:`commit`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tmp = writing_copy(store.path)
        self._started = False
        self._done = False
        self._writers: list[LayerWriter] = []

    def _begin(self) -> None:
        if self._started:
            return
        for stale in (self.tmp, Path(str(self.tmp) + "-journal"), Path(str(self.tmp) + "-wal")):
            stale.unlink(missing_ok=True)
        if self.store.path.exists():
            shutil.copyfile(self.store.path, self.tmp)
        self._started = True

    def existing_ids(self, kind: str, *, source_file: str) -> set[str]:
        """Ids already stored for ``kind`` from a file named ``source_file``."""
        if kind not in self.store._layers():
            return set()
        quoted = source_file.replace("'", "''")
        frame = pyogrio.read_dataframe(
            self.store.path,
            layer=kind,
            columns=[ID_COLUMN[kind]],
            read_geometry=False,
            where=f"source_file = '{quoted}'",
        )
        return set(frame[ID_COLUMN[kind]].astype(str))

    def previous_ingest(self, kind: str, content_hash: str) -> dict[str, Any] | None:
        """The last log entry for the same kind and file content, if any."""
        log = self.store.ingest_log()
        if log.empty:
            return None
        same = log[(log["kind"] == kind) & (log["content_hash"] == content_hash)]
        return None if same.empty else dict(same.iloc[-1])

    def append(self, kind: str, records: gpd.GeoDataFrame) -> None:
        """Append records to the layer ``kind`` of the temporary copy."""
        self._begin()
        exists = self.tmp.exists() and kind in [n for n, _ in pyogrio.list_layers(self.tmp)]
        data = _for_gpkg(records)
        if data.crs is None:
            data = data.set_crs(BNG_EPSG)
        target = layer_schema(self.tmp, kind) if exists else None
        stream = _arrow_stream(data) if len(data) else None
        if stream is not None and target is not None:
            stream = conform_stream(stream, target)
        with _fast_sqlite():
            if stream is None:  # empty, or columns Arrow cannot type up front: pyogrio decides
                pyogrio.write_dataframe(
                    data,
                    self.tmp,
                    layer=kind,
                    driver="GPKG",
                    append=exists,
                    use_arrow=True,
                    geometry_type="Point",
                    promote_to_multi=False,
                )
            else:
                # One layer write fed batch by batch: the layer (and its spatial index, built
                # once at the end) is written in one go, but only one batch is held as Arrow.
                pyogrio.write_arrow(
                    stream,
                    self.tmp,
                    layer=kind,
                    driver="GPKG",
                    geometry_name=data.geometry.name,
                    geometry_type="Point",
                    crs=f"EPSG:{data.crs.to_epsg()}",
                    append=exists,
                )

    def writer(self, kind: str) -> LayerWriter:
        """A child process appending record chunks to ``kind`` of the temporary copy.

        For large ingests: the parent validates the next chunk while the child inserts this one
        (:mod:`geo.store_writer`). :meth:`commit` waits for it; :meth:`rollback` stops it.
        """
        self._begin()
        exists = self.tmp.exists() and kind in [n for n, _ in pyogrio.list_layers(self.tmp)]
        w = LayerWriter(self.tmp, kind, append=exists, crs=f"EPSG:{BNG_EPSG}")
        self._writers.append(w)
        w.open()
        return w

    def log(self, entry: dict[str, Any]) -> None:
        """Append one row to the ingest log of the temporary copy."""
        self._begin()
        exists = self.tmp.exists() and LOG_LAYER in [n for n, _ in pyogrio.list_layers(self.tmp)]
        with _fast_sqlite():
            pyogrio.write_dataframe(
                pd.DataFrame([entry]), self.tmp, layer=LOG_LAYER, driver="GPKG", append=exists
            )

    def commit(self) -> None:
        """Flush the copy to disk and swap it in (``os.replace``)."""
        if self._done:
            return
        while self._writers:  # a writer that failed raises here, before anything is swapped in
            self._writers.pop(0).close()
        self._done = True
        if not self._started:
            return
        if self.tmp.exists():  # a new store gets its cell key secret with its first rows
            ensure_cell_key_secret(self.tmp)
        with open(self.tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(self.tmp, self.store.path)
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.store.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def rollback(self) -> None:
        """Discard the copy; the store is unchanged."""
        while self._writers:
            self._writers.pop(0).abort()
        self._done = True
        self.tmp.unlink(missing_ok=True)


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
def _fast_sqlite() -> Iterator[None]:
    pyogrio.set_gdal_config_options(_FAST_SQLITE)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(_FAST_SQLITE))


def points(records: gpd.GeoDataFrame, point_kind: PointKind) -> gpd.GeoDataFrame:
    """The point set of one kind: rows with a location, geometry set accordingly.

    ``missing_found`` and ``missing_last_seen`` use the ``found_``/``last_seen_`` coordinates of
    missing episodes; the others use the record geometry. Rows without a point are dropped; the
    index is kept.

    Parameters
    ----------
    records : geopandas.GeoDataFrame
        Stored records (from :meth:`Store.read`).
    point_kind : {"concerns", "missing_found", "missing_last_seen", "placements"}

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> rec = gpd.GeoDataFrame({"found_easting": [1.0, np.nan], "found_northing": [2.0, np.nan],
    ...                         "last_seen_easting": [5.0, 6.0], "last_seen_northing": [5.0, 6.0]},
    ...                        geometry=[Point(1, 2), Point(6, 6)], crs=27700, index=[7, 8])
    >>> points(rec, "missing_found").index.tolist()
    [7]
    >>> points(rec, "missing_last_seen").geometry.x.tolist()
    [5.0, 6.0]
    """
    if point_kind not in POINT_KINDS:
        raise StoreError(f"unknown point kind {point_kind!r}; expected one of {POINT_KINDS}")
    if point_kind in ("missing_found", "missing_last_seen"):
        prefix = "found_" if point_kind == "missing_found" else "last_seen_"
        east = records[prefix + "easting"].to_numpy(dtype=float)
        north = records[prefix + "northing"].to_numpy(dtype=float)
        keep = ~(np.isnan(east) | np.isnan(north))
        out = records.loc[keep].copy()
        out = out.set_geometry(gpd.points_from_xy(east[keep], north[keep]), crs=BNG_EPSG)
        return out
    geoms = records.geometry
    keep_mask = ~(geoms.isna() | geoms.is_empty)
    return records.loc[keep_mask.to_numpy()].copy()
