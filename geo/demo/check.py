"""Proof that a store holds only synthetic demo records, from the records themselves.

``csmap app --demo`` opens the store without sign-in under a banner saying nothing is real. A flag
in the store (``demo=true``, :mod:`geo.store.meta`) can be set by anyone who can write the file,
so it is not enough (issue #12, item 15). The demo generator (:func:`geo.demo.records.generate`) is
deterministic from ``(seed, scale, area)``: the store records those parameters (``demo_params``),
and :func:`check_demo_store` regenerates the records, computes the content hash of each
(``row_hash``, exactly as ``csmap ingest`` does on the CSVs ``csmap demo-data`` writes) and
refuses unless every stored row's hash is one of them. A real record cannot pass: its content
would have to equal a generated one. Rows may be missing (retention), never extra.

The check costs one generation and validation of the demo data (about 9 s at scale 1 on the
development machine, 3,000 concerns), cached per parameters in the process, plus one
``SELECT row_hash`` per record table.

Command line (used by ``make demo``): ``python -m geo.demo.check mark STORE --seed N [--scale S]
[--area A]`` records the parameters after checking the rows; ``python -m geo.demo.check check
STORE`` exits 2 with a one-line reason when the store is not a genuine demo store.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from geo.errors import StoreError
from geo.store.meta import read_meta, set_meta
from geo.vocab import KINDS

__all__ = [
    "DEFAULT_GENERATOR",
    "GENERATORS_ENV",
    "PARAMS_KEY",
    "DemoParams",
    "NotDemoStoreError",
    "check_demo_store",
    "expected_row_hashes",
    "is_synthetic_store",
    "mark_demo_store",
]

#: Metadata key holding the generator parameters (JSON).
PARAMS_KEY: Final[str] = "demo_params"
#: The demo generator of ``csmap demo-data``.
DEFAULT_GENERATOR: Final[str] = "geo.demo.records"
#: Environment variable listing other generators (``module:function``, comma-separated).
GENERATORS_ENV: Final[str] = "CSMAP_DEMO_GENERATORS"


class NotDemoStoreError(StoreError):
    """The store is not (provably) the synthetic demo store."""


@dataclass(frozen=True)
class DemoParams:
    """Parameters of :func:`geo.demo.records.generate` (the same ones give the same records).

    ``generator`` names the code that makes the records: ``geo.demo.records`` (the default), or a
    ``module:function`` listed in ``$CSMAP_DEMO_GENERATORS`` (comma-separated; the test suite's
    fixture data). Naming one is not enough: its records are made again and compared. Only
    whoever controls the server's environment and code path can add one; a store's writer cannot.

    Examples
    --------
    >>> DemoParams.from_json('{"seed": 1, "scale": 0.1, "area": "kirklees"}')
    DemoParams(seed=1, scale=0.1, area='kirklees', generator='geo.demo.records')
    """

    seed: int
    scale: float
    area: str
    generator: str = DEFAULT_GENERATOR

    @classmethod
    def from_json(cls, text: str) -> DemoParams:
        """Parse the stored ``demo_params`` value (:class:`NotDemoStoreError` when unusable)."""
        try:
            data = json.loads(text)
            return cls(
                seed=int(data["seed"]),
                scale=float(data["scale"]),
                area=str(data["area"]),
                generator=str(data.get("generator", DEFAULT_GENERATOR)),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise NotDemoStoreError(f"unusable demo parameters {text!r}") from exc

    def to_json(self) -> str:
        """The value stored under :data:`PARAMS_KEY`."""
        return json.dumps(
            {"seed": self.seed, "scale": self.scale, "area": self.area, "generator": self.generator}
        )


def _demo_csvs(folder: Path, params: DemoParams) -> dict[str, Path]:
    """The CSVs ``csmap demo-data`` writes for ``params``."""
    from geo.demo.records import as_csv_text, generate

    out = {}
    for kind, frame in generate(area=params.area, seed=params.seed, scale=params.scale).items():
        out[kind] = folder / f"{kind}.csv"
        as_csv_text(frame).to_csv(out[kind], index=False, encoding="utf-8")
    return out


def _generator(name: str) -> Callable[[Path, DemoParams], Mapping[str, Path]]:
    if name == DEFAULT_GENERATOR:
        return _demo_csvs
    listed = [g.strip() for g in os.environ.get(GENERATORS_ENV, "").split(",") if g.strip()]
    if name not in listed:
        raise NotDemoStoreError(f"demo generator {name!r} is not {DEFAULT_GENERATOR!r}")
    module, _, function = name.partition(":")
    try:
        found = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        raise NotDemoStoreError(f"demo generator {name!r} cannot be loaded ({exc})") from exc
    return found  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=4)
def expected_row_hashes(params: DemoParams) -> dict[str, frozenset[str]]:
    """The ``row_hash`` of every record the generator makes with ``params``, per kind.

    The generator writes the CSVs (``geo.demo.records``: :func:`geo.demo.records.generate` as
    ``csmap demo-data`` writes it, :func:`geo.demo.records.as_csv_text`), which go through the
    ingest's validation, as in ``make demo``.
    """
    from geo.ingest.pipeline import validate_file

    make = _generator(params.generator)
    out: dict[str, frozenset[str]] = {}
    with tempfile.TemporaryDirectory(prefix="csmap_demo_check_") as folder:
        for kind, path in make(Path(folder), params).items():
            report = validate_file(kind, path, area=params.area)  # type: ignore[arg-type]
            out[kind] = frozenset(report.records["row_hash"].astype(str))
    return out


def _stored_row_hashes(store: Path) -> dict[str, list[str | None]]:
    try:
        uri = f"file:{store}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as con:
            tables = {
                str(name)
                for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            out: dict[str, list[str | None]] = {}
            for kind in (k for k in KINDS if k in tables):
                rows = con.execute(f'SELECT row_hash FROM "{kind}"').fetchall()  # noqa: S608
                out[kind] = [r[0] for r in rows]
            return out
    except sqlite3.DatabaseError as exc:
        raise NotDemoStoreError(f"{store}: not a readable store ({exc})") from exc


def _check_rows(store: Path, params: DemoParams) -> None:
    expected = expected_row_hashes(params)
    for kind, hashes in _stored_row_hashes(store).items():
        allowed = expected.get(kind, frozenset())
        foreign = sum(1 for h in hashes if h not in allowed)
        if foreign:
            raise NotDemoStoreError(
                f"{store}: {foreign:,} of {len(hashes):,} {kind} rows were not made by the demo "
                f"generator ({params.generator}, seed {params.seed}, scale {params.scale:g}, "
                f"area {params.area}): the store may hold real records"
            )


@functools.lru_cache(maxsize=8)
def _checked(store: Path, stamp: tuple[int, int, int]) -> DemoParams:
    del stamp  # part of the cache key: a changed file is checked again
    meta = read_meta(store)
    if meta.get("demo", "").lower() != "true":
        raise NotDemoStoreError(f"{store}: no demo marker")
    if PARAMS_KEY not in meta:
        raise NotDemoStoreError(
            f"{store}: no demo generator parameters (rebuild it with `make demo`)"
        )
    params = DemoParams.from_json(meta[PARAMS_KEY])
    _check_rows(store, params)
    return params


def check_demo_store(path: str | Path) -> DemoParams:
    """Check that every record in the store was made by the demo generator.

    Parameters
    ----------
    path : str or Path
        The store (GeoPackage).

    Returns
    -------
    DemoParams
        The generator parameters the records match.

    Raises
    ------
    NotDemoStoreError
        With a one-line reason: no store, no demo marker, no parameters, or rows the generator
        did not make (real records).

    Examples
    --------
    >>> check_demo_store("/tmp/does-not-exist.gpkg")
    Traceback (most recent call last):
    ...
    geo.demo.check.NotDemoStoreError: /tmp/does-not-exist.gpkg: store not found
    """
    store = Path(path).expanduser().resolve()
    try:
        info = store.stat()
    except OSError as exc:
        raise NotDemoStoreError(f"{path}: store not found") from exc
    try:
        return _checked(store, (info.st_ino, info.st_size, info.st_mtime_ns))
    except NotDemoStoreError:
        raise
    except StoreError as exc:
        raise NotDemoStoreError(str(exc)) from exc


def is_synthetic_store(path: str | Path) -> bool:
    """True only when every record in the store was made by the demo generator.

    This, not the ``demo`` marker alone, decides whether an output is labelled synthetic: a
    "nothing here is real" notice on real records would invite them to be shared. A store
    without the marker answers at once (one metadata read); a marked store is checked
    (:func:`check_demo_store`, cached per file version in the process).

    Parameters
    ----------
    path : str or Path
        The store (GeoPackage).

    Returns
    -------
    bool
        Whether :func:`check_demo_store` passes.

    Examples
    --------
    >>> is_synthetic_store("/tmp/does-not-exist.gpkg")
    False
    """
    try:
        check_demo_store(path)
    except NotDemoStoreError:
        return False
    return True


def mark_demo_store(
    path: str | Path,
    *,
    seed: int,
    scale: float = 1.0,
    area: str,
    generator: str = DEFAULT_GENERATOR,
) -> None:
    """Record the generator parameters and the demo marker, after checking every row.

    Parameters
    ----------
    path : str or Path
        The store the demo CSVs of ``csmap demo-data --seed SEED --scale SCALE --area AREA``
        were ingested into.
    seed : int
    scale : float, default 1.0
    area : str
    generator : str, default "geo.demo.records"
        See :class:`DemoParams`.

    Raises
    ------
    NotDemoStoreError
        When a row was not made by the generator with these parameters (nothing is written).
    """
    store = Path(path)
    if not store.is_file():
        raise NotDemoStoreError(f"{store}: store not found")
    params = DemoParams(seed=int(seed), scale=float(scale), area=str(area), generator=generator)
    _check_rows(store, params)
    set_meta(store, key=PARAMS_KEY, value=params.to_json())
    set_meta(store, key="demo", value="true")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m geo.demo.check mark STORE --seed N [--scale S] [--area A]`` or ``check``."""
    parser = argparse.ArgumentParser(prog="python -m geo.demo.check")
    sub = parser.add_subparsers(dest="action", required=True)
    p_mark = sub.add_parser("mark", help="check the rows, then mark the store as the demo store")
    p_mark.add_argument("store")
    p_mark.add_argument("--seed", type=int, required=True)
    p_mark.add_argument("--scale", type=float, default=1.0)
    p_mark.add_argument("--area", default="kirklees")
    p_check = sub.add_parser("check", help="exit 2 unless the store is a genuine demo store")
    p_check.add_argument("store")
    args = parser.parse_args(argv)
    try:
        if args.action == "mark":
            mark_demo_store(args.store, seed=args.seed, scale=args.scale, area=args.area)
        else:
            check_demo_store(args.store)
    except StoreError as exc:
        print(f"csmap: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
