"""The files beside a store: its writer lock and the copy a transaction writes.

A write (:class:`geo.store.gpkg.Transaction`) copies the store to :func:`writing_copy` under the
exclusive lock :func:`lock_file` and swaps the copy in at the end. A process killed mid-write
leaves that copy (as large as the store) behind; :func:`remove_stale_copies` removes it when a
store is next opened, but only while no writer holds the lock (a live ingest's copy is never
touched), and says so on standard error.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

from geo.errors import StoreError


def lock_file(store: Path) -> Path:
    """The writer lock of ``store`` (``<store>.lock``).

    Examples
    --------
    >>> lock_file(Path("/d/s.gpkg"))
    PosixPath('/d/s.gpkg.lock')
    """
    return store.with_name(store.name + ".lock")


@contextlib.contextmanager
def writer_lock(store: Path) -> Iterator[None]:
    """Hold the exclusive writer lock of ``store`` (:func:`lock_file`; :meth:`Store.lock`).

    Here, not in :mod:`geo.store.gpkg`, so that :mod:`geo.store.meta` (which the store's writes
    use) can take the lock without importing the store.
    """
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file(store), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def writing_copy(store: Path) -> Path:
    """The temporary copy a transaction writes (``.<stem>.writing.gpkg`` beside the store).

    Examples
    --------
    >>> writing_copy(Path("/d/s.gpkg"))
    PosixPath('/d/.s.writing.gpkg')
    """
    return store.with_name(f".{store.stem}.writing.gpkg")


def _copy_files(store: Path) -> list[Path]:
    tmp = writing_copy(store)
    return [tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal")]


def remove_stale_copies(store: Path, *, announce: bool = True) -> list[Path]:
    """Remove a writing copy left by a killed write, if no writer is running now.

    Parameters
    ----------
    store : Path
        The store (``.gpkg``).
    announce : bool
        Print one line on standard error naming each removed file.

    Returns
    -------
    list of Path
        The files removed (none while a writer holds the lock, or when nothing is left over).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = writing_copy(d / "s.gpkg").write_bytes(b"half a store")
    >>> [p.name for p in remove_stale_copies(d / "s.gpkg", announce=False)]
    ['.s.writing.gpkg']
    """
    leftovers = [p for p in _copy_files(store) if p.exists()]
    if not leftovers:
        return []
    try:
        handle = open(lock_file(store), "a+b")  # noqa: SIM115 (closed below)
    except OSError:
        return []  # a folder we cannot write: nothing we could remove either
    removed: list[Path] = []
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return []  # a writer is running: its copy is live
        try:
            for path in leftovers:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError:
                    continue  # cannot remove (permissions): the next writer replaces it
                removed.append(path)
                if announce:
                    print(
                        f"csmap: removed {path}, a stale copy of the store left by an "
                        "interrupted write",
                        file=sys.stderr,
                    )
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return removed


@contextlib.contextmanager
def store_errors(store: Path, *, doing: str) -> Iterator[None]:
    """Turn I/O failures on the store into one-line :class:`~geo.errors.StoreError` messages.

    A read-only folder, a full disk, or a damaged store (truncated, zeroed, empty, not a
    GeoPackage) then gives an error naming the store and the cause, never a traceback.

    Parameters
    ----------
    store : Path
        The store, for the message.
    doing : str
        What was being done, e.g. ``"written"`` or ``"read"``.

    Examples
    --------
    >>> with store_errors(Path("s.gpkg"), doing="written"):  # doctest: +ELLIPSIS
    ...     raise PermissionError(13, "Permission denied", "s.gpkg.lock")
    Traceback (most recent call last):
    ...
    geo.errors.StoreError: s.gpkg: the store cannot be written (Permission denied: s.gpkg.lock)...
    """
    import pyogrio.errors

    try:
        yield
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise StoreError(
            f"{store}: the store cannot be {doing} ({exc.strerror or exc}{where}); check the "
            "folder is writable and has free space"
        ) from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.Error) as exc:
        detail = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(
            f"{store}: the store cannot be {doing}: it is damaged or not a GeoPackage "
            f"({detail[:200]}); restore it from a backup"
        ) from exc
