"""Small key/value metadata inside a csmap store (a ``csmap_meta`` table in the GeoPackage).

Used to mark the synthetic demo store (``demo=true``, and the generator's ``demo_params``), and
to hold the store's cell key secret (``cell_key_secret``, :func:`cell_key_secret`: the hashing
key of the disclosure-control record keys, random per store, never printed). The demo marker
alone proves nothing (:func:`is_demo_store` only reads it): anyone who can write the file can set
a key, so opening a store without sign-in (``csmap app --demo``) and labelling an output
synthetic both need :mod:`geo.demo.check`, which checks that every row was made by the demo
generator. The table is a plain SQLite table, which the GeoPackage format allows beside its
feature layers (QGIS ignores it). Writes go to a copy in the same folder that then replaces the
store (atomic, like :mod:`geo.store.gpkg`).

Command line: ``python -m geo.store.meta set STORE KEY VALUE`` or
``python -m geo.store.meta get STORE`` (secrets shown as ``(hidden)``; they cannot be set).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from geo.errors import StoreError
from geo.store.files import writer_lock

META_TABLE = "csmap_meta"
#: Metadata key of the store's cell key secret (:func:`cell_key_secret`).
CELL_KEY_SECRET = "cell_key_secret"  # noqa: S105 (the key's name, not a secret)
#: Metadata keys whose values are never printed (``get`` shows them as ``(hidden)``).
SECRET_KEYS = frozenset({CELL_KEY_SECRET})
#: Shortest acceptable stored secret (``secrets.token_hex(32)`` gives 64 characters).
_MIN_SECRET_CHARS = 32


def read_meta(path: str | Path) -> dict[str, str]:
    """All metadata of the store at ``path`` (empty when it has none).

    Raises
    ------
    StoreError
        If ``path`` does not exist or is not a SQLite/GeoPackage file.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> sqlite3.connect(p).close()
    >>> set_meta(p, key="demo", value="true")
    >>> read_meta(p)
    {'demo': 'true'}
    """
    store = Path(path)
    if not store.is_file():
        raise StoreError(f"{store}: store not found")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as con:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (META_TABLE,)
            ).fetchone()
            if not exists:
                return {}
            rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()  # noqa: S608
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{store}: not a readable GeoPackage ({exc})") from exc
    return {str(k): str(v) for k, v in rows}


def set_meta(path: str | Path, *, key: str, value: str, in_place: bool = False) -> None:
    """Set one metadata key in the store at ``path`` (atomic replace of the file).

    Parameters
    ----------
    path : str or Path
        The store.
    key, value : str
        What to set.
    in_place : bool, default False
        Update the file itself in one SQLite transaction instead of replacing it with an
        updated copy (cheap for a large store). The caller holds the store's writer lock
        (:meth:`geo.store.gpkg.Store.lock`) so that no ingest is copying the store meanwhile.

    Examples
    --------
    >>> set_meta("/tmp/does-not-exist.gpkg", key="demo", value="true")
    Traceback (most recent call last):
    ...
    geo.errors.StoreError: /tmp/does-not-exist.gpkg: store not found
    """
    store = Path(path)
    if not store.is_file():
        raise StoreError(f"{store}: store not found")
    if in_place:
        _write_meta(store, key=key, value=value)
        return
    fd, tmp_name = tempfile.mkstemp(dir=store.parent, prefix=f".{store.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(store, tmp)
        shutil.copymode(store, tmp)  # mkstemp creates 0600; keep the store's permissions
        _write_meta(tmp, key=key, value=value)
        os.replace(tmp, store)
    except StoreError as exc:
        raise StoreError(str(exc).replace(str(tmp), str(store))) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _write_meta(path: Path, *, key: str, value: str) -> None:
    try:
        with contextlib.closing(sqlite3.connect(path)) as con, con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT)"
            )
            con.execute(
                f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)",  # noqa: S608
                (key, value),
            )
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a writable GeoPackage ({exc})") from exc


def clear_demo_marker(path: str | Path) -> None:
    """Remove the demo marker from the GeoPackage file at ``path``, in place.

    Every ingest or import that loads rows calls this on its transaction's copy of the store
    (so it lands atomically with the rows): real records must never sit in a store labelled
    synthetic, where ``csmap app --demo`` would serve them without sign-in. The Makefile's demo
    target sets the marker again after loading the demo CSVs.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> sqlite3.connect(p).close()
    >>> set_meta(p, key="demo", value="true")
    >>> clear_demo_marker(p)
    >>> is_demo_store(p)
    False
    """
    store = Path(path)
    if not store.is_file():
        return
    try:
        with contextlib.closing(sqlite3.connect(store)) as con, con:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (META_TABLE,)
            ).fetchone()
            if exists:
                con.execute(f"DELETE FROM {META_TABLE} WHERE key = 'demo'")  # noqa: S608
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{store}: not a writable GeoPackage ({exc})") from exc


def is_demo_store(path: str | Path) -> bool:
    """True when the store carries the demo marker (``demo=true``); not proof of anything.

    Whether the records are synthetic is :func:`geo.demo.check.is_synthetic_store`.

    Examples
    --------
    >>> is_demo_store("/tmp/does-not-exist.gpkg")
    False
    """
    try:
        return read_meta(path).get("demo", "").lower() == "true"
    except StoreError:
        return False


class SecretError(StoreError):
    """The store's cell key secret is damaged or cannot be written."""


def _stored_secret(meta: dict[str, str], store: Path) -> str | None:
    value = meta.get(CELL_KEY_SECRET)
    if value is None:
        return None
    if len(value) < _MIN_SECRET_CHARS:
        raise SecretError(f"{store}: the stored cell key secret is damaged (too short)")
    return value


def ensure_cell_key_secret(path: str | Path) -> None:
    """Give the GeoPackage file at ``path`` a random cell key secret if it has none, in place.

    Every store write calls this on its transaction's copy
    (:meth:`geo.store.gpkg.Transaction.commit`), so a store gets its secret when it is created,
    atomically with its first rows. An existing secret is never changed: the same records must keep
    showing the same perturbed counts.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> sqlite3.connect(p).close()
    >>> ensure_cell_key_secret(p)
    >>> first = read_meta(p)[CELL_KEY_SECRET]
    >>> ensure_cell_key_secret(p)
    >>> read_meta(p)[CELL_KEY_SECRET] == first, len(first)
    (True, 64)
    """
    store = Path(path)
    if _stored_secret(read_meta(store), store) is None:
        _write_meta(store, key=CELL_KEY_SECRET, value=secrets.token_hex(32))


def cell_key_secret(
    path: str | Path, *, lock: Callable[[], AbstractContextManager[None]] | None = None
) -> str:
    """The cell key secret of the store at ``path`` (generated on first use for older stores).

    A store written before secrets existed gets one here, under the store's writer lock (so no
    ingest copies the store meanwhile), written in place. Never print or log the result.

    Parameters
    ----------
    path : str or pathlib.Path
        The store.
    lock : callable, optional
        Returns the store's writer lock (the app passes :meth:`geo.store.gpkg.Store.lock`);
        default :func:`geo.store.files.writer_lock`, the same lock.

    Raises
    ------
    SecretError
        The stored secret is damaged, or the store has none and cannot be written (then no
        perturbed counts can be shown: refusing is safer than a public key).
    StoreError
        The store does not exist or is not readable.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.gpkg"
    >>> sqlite3.connect(p).close()
    >>> secret = cell_key_secret(p)
    >>> secret == cell_key_secret(p) == read_meta(p)[CELL_KEY_SECRET]
    True
    """
    store = Path(path)
    found = _stored_secret(read_meta(store), store)
    if found is not None:
        return found
    try:
        with lock() if lock is not None else writer_lock(store):
            ensure_cell_key_secret(store)  # checks again under the lock
    except (OSError, StoreError) as exc:
        raise SecretError(
            f"{store}: the store has no cell key secret and one cannot be written ({exc}); "
            "run any csmap command that writes the store as its owner first"
        ) from exc
    found = _stored_secret(read_meta(store), store)
    if found is None:  # pragma: no cover - written just above
        raise SecretError(f"{store}: the cell key secret could not be stored")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m geo.store.meta set STORE KEY VALUE`` or ``get STORE``."""
    parser = argparse.ArgumentParser(prog="python -m geo.store.meta")
    sub = parser.add_subparsers(dest="action", required=True)
    p_set = sub.add_parser("set")
    p_set.add_argument("store")
    p_set.add_argument("key")
    p_set.add_argument("value")
    p_get = sub.add_parser("get")
    p_get.add_argument("store")
    args = parser.parse_args(argv)
    try:
        if args.action == "set":
            if args.key in SECRET_KEYS:
                raise SecretError(f"{args.key} is generated by csmap and cannot be set")
            set_meta(args.store, key=args.key, value=args.value)
        else:
            meta = read_meta(args.store)
            print(json.dumps({k: "(hidden)" if k in SECRET_KEYS else v for k, v in meta.items()}))
    except StoreError as exc:
        print(f"csmap: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
