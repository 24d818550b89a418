"""Append records to a GeoPackage layer from a child process, while the parent goes on.

GDAL's GeoPackage insert holds Python's GIL (pyogrio), so a writer *thread* cannot overlap with
validation. :class:`LayerWriter` starts ``python -m geo.store.writer`` and feeds it the records
chunk by chunk as an Arrow IPC stream on its standard input; the child writes them with one
``pyogrio.write_arrow`` call (one layer write, spatial index built once at the end), so the
parent validates chunk *k + 1* while the child inserts chunk *k*. A feeder thread in the parent
does the pipe writes (they release the GIL), so the parent never waits for the child until
:meth:`LayerWriter.close`. The child can be started before the first chunk is ready
(:meth:`LayerWriter.open`), so that its imports overlap with the parent's work; given no
records, it writes nothing.

The child writes only the transaction's temporary copy (:class:`geo.store.gpkg.Transaction`); if
either process dies, the copy is never swapped in and the store stays as it was. Column types
come from the first chunk, as for a one-frame write (:func:`geo.store.frames.arrow_batch`; an
all-null column there is text).
"""

from __future__ import annotations

import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import pyarrow as pa

from geo.errors import StoreError

_END = object()


class LayerWriter:
    """A child process appending record chunks to ``layer`` of the GeoPackage ``path``.

    Parameters
    ----------
    path : Path
        The GeoPackage (a transaction's temporary copy).
    layer : str
        The layer; created with the first chunk's columns unless ``append``.
    append : bool
        Append to the existing layer.
    crs : str
        The layer's CRS, e.g. ``"EPSG:27700"``.

    Examples
    --------
    >>> import tempfile, pyogrio
    >>> from shapely.geometry import Point
    >>> p = Path(tempfile.mkdtemp()) / "w.gpkg"
    >>> w = LayerWriter(p, "concerns", append=False, crs="EPSG:27700")
    >>> for i in range(2):
    ...     w.send(gpd.GeoDataFrame({"record_id": [f"R{i}"]}, geometry=[Point(i, i)], crs=27700))
    >>> w.close()
    >>> pyogrio.read_dataframe(p, layer="concerns")["record_id"].tolist()
    ['R0', 'R1']
    """

    def __init__(
        self, path: Path, layer: str, *, append: bool, crs: str, geometry_name: str = "geometry"
    ) -> None:
        self.path = Path(path)
        self.layer = layer
        self.append = append
        self.crs = crs
        self.geometry_name = geometry_name
        self._schema: pa.Schema | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._sink: pa.ipc.RecordBatchStreamWriter | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._feeder: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stderr: IO[bytes] | None = None

    def open(self) -> None:
        """Start the child now (its imports then overlap with the caller's first chunk)."""
        if self._proc is not None:
            return
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close/abort)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "geo.store.writer",
                str(self.path),
                self.layer,
                self.geometry_name,
                self.crs,
                "append" if self.append else "create",
            ],
            stdin=subprocess.PIPE,
            stderr=self._stderr,  # a file, not a pipe: GDAL warnings must never block the child
        )

    def send(self, records: gpd.GeoDataFrame) -> None:
        """Queue one chunk of records (stored columns, geometry in EPSG:27700) for the child."""
        from geo.store.frames import arrow_batch, for_gpkg

        if len(records) == 0:
            return
        data = for_gpkg(records)
        if data.geometry.name != self.geometry_name:
            data = data.rename_geometry(self.geometry_name)
        table = arrow_batch(data, 0, len(data), self._schema)
        self.open()
        if self._schema is None:
            assert self._proc is not None and self._proc.stdin is not None
            self._schema = table.schema
            self._sink = pa.ipc.new_stream(self._proc.stdin, self._schema)
            self._feeder = threading.Thread(
                target=self._feed, name="csmap-store-feeder", daemon=True
            )
            self._feeder.start()
        self._check()
        self._queue.put(table)

    def _feed(self) -> None:
        assert self._sink is not None
        try:
            while (item := self._queue.get()) is not _END:
                self._sink.write_table(item)
        except BaseException as exc:  # a dead child: broken pipe; reported by close()
            self._error = exc
            while self._queue.get() is not _END:  # keep the producer from blocking
                pass

    def _check(self) -> None:
        if self._proc is not None and self._proc.poll() not in (None, 0):
            self.close()  # raises with the child's message

    def close(self) -> None:
        """Finish the stream and wait for the child; raise :class:`StoreError` if it failed."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        assert proc.stdin is not None
        try:
            if self._feeder is not None and self._sink is not None:
                self._queue.put(_END)
                self._feeder.join()
                self._sink.close()
            proc.stdin.close()  # nothing sent: an empty input, on which the child writes nothing
        except (BrokenPipeError, OSError, pa.ArrowException) as exc:
            self._error = self._error or exc
        status = proc.wait()
        err = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            err = self._stderr.read().decode(errors="replace")
            self._stderr.close()
        if status != 0 or self._error is not None:
            detail = err.strip().splitlines()[-1] if err.strip() else repr(self._error)
            raise StoreError(f"{self.path}: writing layer {self.layer!r} failed ({detail})")

    def abort(self) -> None:
        """Stop the child without finishing the layer (the transaction is rolled back)."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        proc.kill()
        proc.wait()
        self._queue.put(_END)
        if self._feeder is not None:
            self._feeder.join(timeout=5)
        if self._stderr is not None:
            self._stderr.close()


def layer_schema(path: str | Path, layer: str) -> pa.Schema | None:
    """The Arrow types of the attribute fields of an existing ``layer`` (None if there is none).

    Examples
    --------
    >>> layer_schema(Path(tempfile.mkdtemp()) / "none.gpkg", "concerns") is None
    True
    """
    import pyogrio

    path = Path(path)
    if not path.exists() or layer not in [n for n, _ in pyogrio.list_layers(path)]:
        return None
    _, table = pyogrio.read_arrow(path, layer=layer, max_features=0, read_geometry=False)
    return table.schema


def conform_to_layer(table: pa.Table, target: pa.Schema | None) -> pa.Table:
    """Give each column of ``table`` the type of the same-named field of ``target``.

    A column absent from one file is written as typed nulls, and a layer made by an older
    version with an all-null column as text gets text: the values GDAL receives always match
    the field types of the layer they are appended to. Columns ``target`` lacks are unchanged.

    Examples
    --------
    >>> t = pa.table({"age": pa.nulls(2, pa.large_string()), "id": ["a", "b"]})
    >>> conform_to_layer(t, pa.schema({"age": pa.int64(), "id": pa.string()})).schema.types
    [DataType(int64), DataType(string)]
    """
    if target is None:
        return table
    for i, field in enumerate(table.schema):
        idx = target.get_field_index(field.name)
        if idx < 0:
            continue
        want = target.field(idx).type
        have = field.type
        same_family = (
            (pa.types.is_string(want) or pa.types.is_large_string(want))
            and (pa.types.is_string(have) or pa.types.is_large_string(have))
        ) or (pa.types.is_timestamp(want) and pa.types.is_timestamp(have))
        if have == want or same_family:
            continue
        column = table.column(i)
        if column.null_count == len(column):
            new = pa.chunked_array([pa.nulls(len(column), type=want)])
        else:
            new = column.cast(want)
        table = table.set_column(i, field.with_type(want), new)
    return table


def conform_stream(reader: pa.RecordBatchReader, target: pa.Schema | None) -> pa.RecordBatchReader:
    """``reader`` with each batch given the field types of ``target`` (:func:`conform_to_layer`).

    Examples
    --------
    >>> t = pa.table({"age": pa.nulls(1, pa.string())})
    >>> reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches())
    >>> s = conform_stream(reader, pa.schema({"age": pa.int64()}))
    >>> s.schema.field("age").type
    DataType(int64)
    """
    if target is None:
        return reader
    try:
        first = reader.read_next_batch()
    except StopIteration:
        return reader
    head = conform_to_layer(pa.Table.from_batches([first]), target)
    schema = head.schema

    def batches() -> Iterator[pa.RecordBatch]:
        yield from head.to_batches()
        for batch in reader:
            yield from (
                conform_to_layer(pa.Table.from_batches([batch]), target).cast(schema).to_batches()
            )

    return pa.RecordBatchReader.from_batches(schema, batches())


def _write(stream: IO[bytes], path: str, layer: str, geometry: str, crs: str, mode: str) -> None:
    import pyogrio

    from geo.store.frames import fast_sqlite

    if not stream.peek(1):  # type: ignore[attr-defined]
        return  # no records were sent (the caller opened the writer early)
    reader = pa.ipc.open_stream(stream)
    if mode == "append":
        reader = conform_stream(reader, layer_schema(path, layer))
    with fast_sqlite():
        pyogrio.write_arrow(
            reader,
            path,
            layer=layer,
            driver="GPKG",
            geometry_name=geometry,
            geometry_type="Point",
            crs=crs,
            append=mode == "append",
        )


if __name__ == "__main__":  # the child: python -m geo.store.writer PATH LAYER GEOMETRY CRS MODE
    _write(sys.stdin.buffer, *sys.argv[1:6])
