"""Retention: delete records older than N years from the store, atomically, and say so.

Which date decides a record's age (its *retention date*):

============================  =============================================
kind                          retention date
============================  =============================================
``concerns``                  ``reported_date``
``missing_episodes``          ``end``, else ``start`` (an open episode is dated by its start)
``placements``                ``end_date``, else ``start_date``
============================  =============================================

The cut-off is today's date (UTC, midnight) minus ``years`` calendar years; a record whose
retention date is *before* the cut-off is deleted, one on or after it is kept. A record with no
retention date at all (cannot happen for ingested records, whose start date is required) is kept
and counted as ``undated``.

All deletions happen in one :meth:`geo.store.gpkg.Store.transaction`: the store is copied under its
writer lock, the rows are deleted from the copy with SQLite's ``secure_delete`` on and the copy is
``VACUUM``-ed (so the deleted records' bytes do not linger in free pages), then the copy is
swapped in. A process killed mid-way leaves the store as it was. The ingest log (file names and
counts, no record content) is kept.

Quarantine CSVs beside the store hold original input rows, so those written before the cut-off
are deleted too. A quarantine file's date is the UTC time stamp in its name
(``<file stem>_<YYYYmmddTHHMMSSffffff>_quarantine.csv``, as :mod:`geo.ingest.pipeline` writes it),
else its
modification time. Only files inside the store's folder are ever deleted.

Backups taken before a retention run still hold the deleted records: expire them on the same
schedule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyogrio
import yaml

from geo.errors import ParameterError, StoreError
from geo.store.export import PathEscapeError, resolve_inside
from geo.store.gpkg import Store
from geo.vocab import KINDS
from geo.yaml_files import load_yaml

__all__ = [
    "RETENTION_DATES",
    "RetentionReport",
    "apply_retention",
    "cutoff_date",
    "quarantine_files_before",
    "retention_dates",
    "retention_years",
]

#: The date columns deciding each kind's age, in order of preference.
RETENTION_DATES: Final[dict[str, tuple[str, ...]]] = {
    "concerns": ("reported_date",),
    "missing_episodes": ("end", "start"),
    "placements": ("end_date", "start_date"),
}
RETENTION_ENV: Final[str] = "CSMAP_RETENTION_YEARS"
_QUARANTINE_NAME = re.compile(r"_(\d{8}T\d{6})\d*_quarantine\.csv$")


@dataclass
class RetentionReport:
    """What a retention run deleted (or, for a dry run, would delete).

    Attributes
    ----------
    store : Path
        The store.
    years : int
        The retention period.
    cutoff : pandas.Timestamp
        Records dated before this are deleted.
    dry_run : bool
        True when nothing was changed.
    deleted, kept, undated : dict
        Rows per kind: deleted (or to delete), kept, and kept because they have no date.
    quarantine_files : list of Path
        Quarantine CSVs before the cut-off, deleted (or to delete).
    """

    store: Path
    years: int
    cutoff: pd.Timestamp
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    undated: dict[str, int] = field(default_factory=dict)
    quarantine_files: list[Path] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The JSON summary ``csmap retention apply`` prints (also the audit details)."""
        return {
            "store": str(self.store),
            "years": self.years,
            "cutoff": self.cutoff.strftime("%Y-%m-%d"),
            "dry_run": self.dry_run,
            "rows_deleted": sum(self.deleted.values()),
            "deleted": dict(self.deleted),
            "kept": dict(self.kept),
            "undated": dict(self.undated),
            "quarantine_files_deleted": [p.name for p in self.quarantine_files],
        }


def cutoff_date(*, years: int, now: dt.datetime | pd.Timestamp | None = None) -> pd.Timestamp:
    """The cut-off: ``now`` (default: today, UTC) at midnight minus ``years`` calendar years.

    Parameters
    ----------
    years : int
        At least 1.
    now : datetime, optional
        The reference time (naive = UTC).

    Raises
    ------
    ParameterError
        ``years`` is not a whole number >= 1.

    Examples
    --------
    >>> cutoff_date(years=6, now=pd.Timestamp("2026-11-21 15:30"))
    Timestamp('2020-11-21 00:00:00')
    >>> cutoff_date(years=1, now=pd.Timestamp("2024-02-29"))
    Timestamp('2023-02-28 00:00:00')
    """
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ParameterError(f"retention years must be a whole number >= 1, not {years!r}")
    stamp = pd.Timestamp.now("UTC") if now is None else pd.Timestamp(now)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize() - pd.DateOffset(years=years)


def retention_dates(records: pd.DataFrame, *, kind: str) -> pd.Series:
    """Each record's retention date (see the module table); NaT when it has none.

    Parameters
    ----------
    records : pandas.DataFrame
        Stored records of ``kind`` (at least the date columns present); index kept.
    kind : {"concerns", "missing_episodes", "placements"}

    Examples
    --------
    >>> ep = pd.DataFrame({"start": pd.to_datetime(["2019-01-01", "2020-05-01"]),
    ...                    "end": pd.to_datetime(["2019-01-03", None])}, index=[4, 9])
    >>> retention_dates(ep, kind="missing_episodes").dt.strftime("%Y-%m-%d").tolist()
    ['2019-01-03', '2020-05-01']
    """
    if kind not in RETENTION_DATES:
        raise ParameterError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")
    out = pd.Series(pd.NaT, index=records.index, dtype="datetime64[ms]")
    for column in RETENTION_DATES[kind]:
        if column in records.columns:
            values = pd.to_datetime(records[column], errors="coerce")
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            out = out.fillna(values.astype("datetime64[ms]"))
    return out


def quarantine_files_before(folder: str | os.PathLike[str], *, cutoff: pd.Timestamp) -> list[Path]:
    """Quarantine CSVs directly in ``folder`` written before ``cutoff`` (UTC), sorted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for stamp in ("20190101T101010123456", "20250101T000000000000"):
    ...     _ = (d / f"c_{stamp}_quarantine.csv").write_text("source_row,reasons\\n")
    >>> [p.name for p in quarantine_files_before(d, cutoff=pd.Timestamp("2020-01-01"))]
    ['c_20190101T101010123456_quarantine.csv']
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("*_quarantine.csv")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            inside = resolve_inside(root, path.name)
        except PathEscapeError:
            continue
        match = _QUARANTINE_NAME.search(path.name)
        written: pd.Timestamp | None = None
        if match:
            stamp = pd.to_datetime(match.group(1), format="%Y%m%dT%H%M%S", errors="coerce")
            written = None if pd.isna(stamp) else pd.Timestamp(stamp)
        if written is None:
            written = pd.Timestamp(path.stat().st_mtime, unit="s")
        if written < cutoff:
            found.append(inside)
    return found


def retention_years(config_path: str | os.PathLike[str] | None = None) -> int | None:
    """The configured retention period in years (env, else ``retention: {years: N}`` in YAML).

    The environment variable ``CSMAP_RETENTION_YEARS`` takes precedence over the file.

    Parameters
    ----------
    config_path : path, optional
        The YAML configuration (default ``csmap.yaml`` in the working directory, if present).

    Returns
    -------
    int or None
        None when no period is configured.

    Raises
    ------
    ParameterError
        The setting is not a whole number >= 1, or the file cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> cfg = pathlib.Path(tempfile.mkdtemp()) / "csmap.yaml"
    >>> _ = cfg.write_text("retention:\\n  years: 6\\n")
    >>> retention_years(cfg)
    6
    """
    value: Any = os.environ.get(RETENTION_ENV, "").strip() or None
    where = f"environment variable {RETENTION_ENV}"
    if value is None:
        cfg = Path(config_path) if config_path is not None else Path("csmap.yaml")
        if config_path is None and not cfg.exists():
            return None
        try:
            data: Any = load_yaml(cfg.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError(f"{cfg}: cannot read the configuration ({exc})") from exc
        section = data.get("retention") if isinstance(data, dict) else None
        if section is None:
            return None
        if not isinstance(section, dict):
            raise ParameterError(f"{cfg}: 'retention' must be a mapping with 'years'")
        value = section.get("years")
        where = f"{cfg}: retention.years"
        if value is None:
            return None
    try:
        years = int(str(value).strip())
    except ValueError as exc:
        raise ParameterError(f"{where}: {value!r} is not a whole number of years") from exc
    if years < 1 or str(value).strip() != str(years):
        raise ParameterError(f"{where}: {value!r} is not a whole number of years >= 1")
    return years


def _stored_dates(path: Path, kind: str) -> pd.DataFrame:
    """The fid and the retention date columns of one layer."""
    info = pyogrio.read_info(path, layer=kind)
    columns = [c for c in RETENTION_DATES[kind] if c in list(info["fields"])]
    frame = pyogrio.read_dataframe(
        path, layer=kind, columns=columns, read_geometry=False, fid_as_index=True
    )
    return pd.DataFrame(frame)


def _delete_rows(path: Path, doomed: dict[str, list[int]]) -> None:
    """Delete rows by fid from a GeoPackage (the transaction's copy), then VACUUM it."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA secure_delete = ON")
        for kind, fids in doomed.items():
            if not fids:
                continue
            (fid_column,) = connection.execute(
                "SELECT name FROM pragma_table_info(?) WHERE pk = 1", (kind,)
            ).fetchone()
            connection.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (fid INTEGER PRIMARY KEY)")
            connection.execute("DELETE FROM temp.doomed")
            connection.executemany("INSERT INTO temp.doomed VALUES (?)", [(f,) for f in fids])
            table = '"' + kind.replace('"', '""') + '"'
            column = '"' + str(fid_column).replace('"', '""') + '"'
            cursor = connection.execute(
                f"DELETE FROM {table} WHERE {column} IN (SELECT fid FROM temp.doomed)"  # noqa: S608
            )
            if cursor.rowcount != len(fids):
                raise StoreError(
                    f"{path}: retention deleted {cursor.rowcount} {kind} rows, expected {len(fids)}"
                )
            with contextlib.suppress(sqlite3.OperationalError):  # table absent in old files
                connection.execute(
                    "UPDATE gpkg_ogr_contents SET feature_count = "  # noqa: S608
                    f"(SELECT COUNT(*) FROM {table}) WHERE lower(table_name) = lower(?)",
                    (kind,),
                )
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()


def apply_retention(
    store: Store | str | os.PathLike[str],
    *,
    years: int,
    dry_run: bool = False,
    now: dt.datetime | pd.Timestamp | None = None,
) -> RetentionReport:
    """Delete records (and quarantine CSVs) older than ``years`` years, in one transaction.

    Parameters
    ----------
    store : Store or path
        The GeoPackage store; it must exist.
    years : int
        Retention period in whole years (>= 1); see :func:`cutoff_date`.
    dry_run : bool
        Count only; change nothing.
    now : datetime, optional
        Reference time for the cut-off (default: now, UTC).

    Returns
    -------
    RetentionReport

    Raises
    ------
    StoreError
        The store does not exist or cannot be read or written.
    ParameterError
        ``years`` is not a whole number >= 1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from geo.ingest.pipeline import ingest_file
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c.csv").write_text("id,date,lat,lon\\n1,2015-03-05,53.65,-1.78\\n"
    ...                              "2,2026-01-05,53.65,-1.78\\n")
    >>> _ = ingest_file("concerns", d / "c.csv", store=d / "s.gpkg")
    >>> r = apply_retention(d / "s.gpkg", years=6, now=pd.Timestamp("2026-11-21"))
    >>> r.deleted["concerns"], r.kept["concerns"], r.summary()["cutoff"]
    (1, 1, '2020-11-21')
    >>> Store(d / "s.gpkg").read("concerns")["record_id"].tolist()
    ['2']
    """
    cutoff = cutoff_date(years=years, now=now)
    st = store if isinstance(store, Store) else Store(store)
    if not st.path.is_file():
        raise StoreError(f"{st.path}: no store at this path")
    report = RetentionReport(store=st.path, years=years, cutoff=cutoff, dry_run=dry_run)
    with st.transaction() as tx:
        doomed: dict[str, list[int]] = {}
        for kind in st.kinds():
            frame = _stored_dates(st.path, kind)
            dates = retention_dates(frame, kind=kind)
            old = (dates < cutoff).to_numpy()
            doomed[kind] = [int(f) for f in frame.index[old]]
            report.deleted[kind] = len(doomed[kind])
            report.undated[kind] = int(dates.isna().sum())
            report.kept[kind] = len(frame) - len(doomed[kind])
        report.quarantine_files = quarantine_files_before(st.path.parent, cutoff=cutoff)
        if dry_run or not any(doomed.values()):
            tx.rollback()  # nothing to change in the store: leave it byte-identical
        else:
            tx._begin()  # the store's own copy-under-lock; swapped in by the commit
            _delete_rows(tx.tmp, doomed)
    if not dry_run:  # after the store's commit: a failed run leaves these in place too
        for path in report.quarantine_files:
            path.unlink(missing_ok=True)
    return report
