"""The record store: one GeoPackage (opens in QGIS) with atomic writes.

Layers: ``concerns``, ``missing_episodes``, ``placements`` (EPSG:27700 points, null geometry
allowed) and ``ingest_log`` (a table: file, kind, time, counts, quarantine file, content hash).

Writes are atomic: under an exclusive lock (``<store>.lock``, ``fcntl.flock``, released by the
kernel if the writer dies), the store is copied to a temporary file in the same folder, the new
rows are appended to the copy, the copy is flushed to disk, and ``os.replace`` swaps it in. A
process killed at any point leaves the previous store byte-identical; the stale temporary copy
is removed (with one line on stderr) when the store is next opened and no writer holds the lock
(:mod:`geo.store.files`).

Path: ``--store``, else env ``CSMAP_STORE``, else ``~/.local/share/csmap/store.gpkg``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.errors import StoreError
from geo.ingest.schema import COLUMNS, ID_COLUMN
from geo.store.files import (
    remove_stale_copies,
    store_errors,
    writer_lock,
    writing_copy,
)
from geo.store.frames import arrow_stream, fast_sqlite, fix_types, for_gpkg
from geo.store.meta import ensure_cell_key_secret
from geo.store.writer import LayerWriter, conform_stream, layer_schema
from geo.vocab import BNG_EPSG, KINDS, POINT_KINDS, PROVENANCE_COLUMNS, PointKind

STORE_ENV = "CSMAP_STORE"
LOG_LAYER = "ingest_log"


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
        frame = fix_types(frame)
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
        with writer_lock(self.path):
            yield

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
        data = for_gpkg(records)
        if data.crs is None:
            data = data.set_crs(BNG_EPSG)
        target = layer_schema(self.tmp, kind) if exists else None
        stream = arrow_stream(data) if len(data) else None
        if stream is not None and target is not None:
            stream = conform_stream(stream, target)
        with fast_sqlite():
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
        (:mod:`geo.store.writer`). :meth:`commit` waits for it; :meth:`rollback` stops it.
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
        with fast_sqlite():
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
