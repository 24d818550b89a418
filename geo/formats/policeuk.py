"""Read police.uk street-level crime CSVs as a context layer and as evaluation data.

police.uk publishes one ``YYYY-MM-<force>-street.csv`` per force and month (data.police.uk,
Open Government Licence v3.0) with the columns of :data:`POLICE_UK_COLUMNS`. Locations are
anonymised to snap points and time is the month only, so every record keeps
``date_precision = "month"`` and ``month`` is the first day of the month.

:func:`read_police_uk` takes files, folders (every ``*.csv`` inside, recursively) or zip archives
(every ``*.csv`` member) and

* drops repeated Crime IDs within a month (the first row is kept; anti-social behaviour rows
  have no Crime ID and are never deduplicated);
* quarantines rows without usable coordinates or month, naming the reason;
* projects longitude/latitude to EPSG:27700 with :func:`geo.locate.coords.wgs84_to_bng` (OSTN15);
* asserts ``rows_read == rows_loaded + rows_quarantined + rows_duplicate``.

:func:`store_police_uk` appends the records to the ``police_uk`` layer of a
:class:`geo.store.gpkg.Store`
(rows already stored, by ``row_hash``, are skipped) and :func:`read_police_uk_layer` reads it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.errors import ReconciliationError, UnreadableFileError
from geo.locate.coords import wgs84_to_bng
from geo.store.export import write_csv
from geo.store.gpkg import Store
from geo.store.meta import clear_demo_marker
from geo.vocab import BNG_EPSG

POLICE_UK_COLUMNS: Final[tuple[str, ...]] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
#: Stored column for each police.uk column.
RENAME: Final[dict[str, str]] = {
    "Crime ID": "crime_id",
    "Month": "month_raw",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "last_outcome",
    "Context": "context",
}
LAYER: Final[str] = "police_uk"
#: Longitude/latitude box of the United Kingdom; anything outside is quarantined.
_LON, _LAT = (-9.0, 3.0), (49.0, 61.5)

__all__ = [
    "LAYER",
    "POLICE_UK_COLUMNS",
    "PoliceUkReport",
    "read_police_uk",
    "read_police_uk_layer",
    "store_police_uk",
]


@dataclass
class PoliceUkReport:
    """What :func:`read_police_uk` read, kept, quarantined and dropped as duplicates."""

    files: list[str]
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    records: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    months: list[str] = field(default_factory=list)
    quarantine_file: Path | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts (what ``csmap police-uk import`` prints)."""
        types = self.records["crime_type"].value_counts() if len(self.records) else pd.Series()
        return {
            "files": self.files,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "months": self.months,
            "quarantine_file": str(self.quarantine_file) if self.quarantine_file else None,
            "quarantine_reasons": {
                str(k): int(v) for k, v in self.quarantine["reasons"].value_counts().items()
            },
            "crime_types": {str(k): int(v) for k, v in types.items()},
        }


def _sources(paths: Iterable[str | Path]) -> Iterator[tuple[str, bytes]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".csv", ".zip"))
            if not found:
                raise UnreadableFileError(f"{path}: folder holds no .csv or .zip files")
            yield from _sources(found)
        elif path.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(path) as archive:
                    names = sorted(n for n in archive.namelist() if n.lower().endswith(".csv"))
                    if not names:
                        raise UnreadableFileError(f"{path}: zip holds no .csv files")
                    for name in names:
                        yield f"{path.name}:{name}", archive.read(name)
            except zipfile.BadZipFile as exc:
                raise UnreadableFileError(f"{path}: not a readable zip ({exc})") from exc
        elif path.is_file():
            yield path.name, path.read_bytes()
        else:
            raise UnreadableFileError(f"{path}: no such file or folder")


def _read_one(name: str, data: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise UnreadableFileError(f"{name}: not a readable police.uk CSV ({exc})") from exc
    missing = [c for c in ("Crime ID", "Month", "Longitude", "Latitude") if c not in frame]
    if missing:
        raise UnreadableFileError(
            f"{name}: not a police.uk street file (missing column(s) {', '.join(missing)})"
        )
    for col in POLICE_UK_COLUMNS:
        if col not in frame:
            frame[col] = ""
    frame = frame[list(POLICE_UK_COLUMNS)].copy()
    frame.insert(0, "source_row", np.arange(2, len(frame) + 2, dtype=np.int64))
    frame.insert(0, "source_file", name)
    return frame


def _hashes(frame: pd.DataFrame) -> list[str]:
    """sha256 of each row's stripped cells joined by U+001F (the convention of
    geo.ingest.pipeline)."""
    cols = [frame[c].to_numpy(dtype=object) for c in POLICE_UK_COLUMNS]
    return [
        hashlib.sha256("\x1f".join(str(v).strip() for v in row).encode("utf-8")).hexdigest()
        for row in zip(*cols, strict=True)
    ]


def read_police_uk(paths: str | Path | Iterable[str | Path]) -> PoliceUkReport:
    """Read police.uk street-level CSVs (files, folders or zips) into EPSG:27700 records.

    Parameters
    ----------
    paths : path or iterable of paths
        CSV files, folders or zip archives.

    Returns
    -------
    PoliceUkReport
        ``records``: GeoDataFrame (EPSG:27700, RangeIndex) with ``crime_id``, ``month``
        (datetime64, first of the month), ``date_precision`` (``"month"``), ``crime_type``,
        ``location``, ``lsoa_code``, ``lsoa_name``, ``last_outcome``, ``reported_by``,
        ``falls_within``, ``context``, ``longitude``, ``latitude``, ``easting``, ``northing``,
        ``source_file``, ``source_row``, ``row_hash``, ``ingested_at``. ``quarantine``: the
        original cells plus ``source_file``, ``source_row``, ``reasons``.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "2024-01-x-street.csv"
    >>> _ = p.write_text(",".join(POLICE_UK_COLUMNS) + "\\n"
    ...     "a1,2024-01,F,F,-3.0,51.6,On or near X,W01,N,Burglary,,\\n"
    ...     "a1,2024-01,F,F,-3.0,51.6,On or near X,W01,N,Burglary,Other,\\n"
    ...     ",2024-01,F,F,,,No Location,,,Anti-social behaviour,,\\n")
    >>> r = read_police_uk(p)
    >>> r.rows_read, r.rows_loaded, r.rows_duplicate, r.rows_quarantined
    (3, 1, 1, 1)
    >>> r.quarantine["reasons"].tolist()
    ['Longitude/Latitude: no coordinates']
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    frames = [_read_one(name, data) for name, data in _sources(items)]
    files = [str(f["source_file"].iloc[0]) for f in frames if len(f)]
    raw = pd.concat(frames, ignore_index=True) if frames else _read_one("empty", b"")
    rows_read = len(raw)
    crime_id = raw["Crime ID"].str.strip()
    month_key = raw["Month"].str.strip()
    dup = (crime_id != "") & pd.DataFrame({"m": month_key, "c": crime_id}).duplicated()
    rest = raw[~dup.to_numpy()]
    lon = pd.to_numeric(rest["Longitude"].str.strip(), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(rest["Latitude"].str.strip(), errors="coerce").to_numpy(dtype=float)
    blank = (rest["Longitude"].str.strip() == "") | (rest["Latitude"].str.strip() == "")
    month = pd.to_datetime(rest["Month"].str.strip(), format="%Y-%m", errors="coerce")
    east, north = wgs84_to_bng(lon, lat)
    reasons = np.full(len(rest), "", dtype=object)

    def add(mask: Any, text: str) -> None:
        m = np.asarray(mask, dtype=bool) & (reasons == "")
        reasons[m] = text

    add(blank, "Longitude/Latitude: no coordinates")
    add(np.isnan(lon) | np.isnan(lat), "Longitude/Latitude: not a number")
    outside = (lon < _LON[0]) | (lon > _LON[1]) | (lat < _LAT[0]) | (lat > _LAT[1])
    add(outside, "Longitude/Latitude: outside the United Kingdom")
    add(np.isnan(east) | np.isnan(north), "Longitude/Latitude: cannot be projected to EPSG:27700")
    add(month.isna().to_numpy(), "Month: not YYYY-MM")
    bad = reasons != ""
    quarantine = rest[bad].copy()
    quarantine["reasons"] = reasons[bad]
    ok = rest[~bad]
    records = ok.rename(columns=RENAME).drop(columns=["month_raw"])
    records["month"] = month[~bad].to_numpy()
    records["date_precision"] = "month"
    records["longitude"], records["latitude"] = lon[~bad], lat[~bad]
    records["easting"], records["northing"] = east[~bad], north[~bad]
    records["row_hash"] = _hashes(ok)
    records["ingested_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    records = gpd.GeoDataFrame(
        records.reset_index(drop=True),
        geometry=gpd.points_from_xy(east[~bad], north[~bad]),
        crs=BNG_EPSG,
    )
    report = PoliceUkReport(
        files=files,
        rows_read=rows_read,
        rows_loaded=len(records),
        rows_quarantined=len(quarantine),
        rows_duplicate=int(dup.sum()),
        records=records,
        quarantine=quarantine.reset_index(drop=True),
        months=sorted(records["month"].dt.strftime("%Y-%m").unique().tolist()),
    )
    if report.rows_read != report.rows_loaded + report.rows_quarantined + report.rows_duplicate:
        raise ReconciliationError(
            f"police.uk rows do not reconcile: {report.rows_read} read != {report.rows_loaded} "
            f"loaded + {report.rows_quarantined} quarantined + {report.rows_duplicate} duplicate"
        )
    return report


def read_police_uk_layer(store: Store) -> gpd.GeoDataFrame:
    """The stored ``police_uk`` layer (EPSG:27700; empty if none).

    Examples
    --------
    >>> import tempfile
    >>> len(read_police_uk_layer(Store(Path(tempfile.mkdtemp()) / "s.gpkg")))
    0
    """
    if not store.path.exists() or LAYER not in [n for n, _ in pyogrio.list_layers(store.path)]:
        return gpd.GeoDataFrame({"crime_id": [], "month": []}, geometry=[], crs=BNG_EPSG)
    frame = pyogrio.read_dataframe(store.path, layer=LAYER, use_arrow=True)
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.reset_index(drop=True)


def store_police_uk(report: PoliceUkReport, *, store: Store) -> int:
    """Append the report's records to the store's ``police_uk`` layer; return rows added.

    Rows whose ``row_hash`` is already in the layer are skipped, so importing a file twice
    adds nothing. Quarantined rows are always written to a formula-safe CSV beside the store
    (``<first file stem>_<UTC timestamp>_quarantine.csv``, as :mod:`geo.ingest.pipeline` does), set
    as
    ``report.quarantine_file`` and recorded in the ingest-log entry (one entry per call that
    adds or quarantines rows).

    Examples
    --------
    >>> import tempfile
    >>> s = Store(Path(tempfile.mkdtemp()) / "s.gpkg")
    >>> empty = read_police_uk_layer(s)
    >>> store_police_uk(PoliceUkReport([], 0, 0, 0, 0, empty, pd.DataFrame()), store=s)
    0
    """
    new = report.records
    if not report.records.empty:
        existing = read_police_uk_layer(store)
        known = set(existing["row_hash"]) if "row_hash" in existing else set()
        new = report.records[~report.records["row_hash"].isin(known)]
    if new.empty and report.quarantine.empty:
        return 0
    with store.transaction() as tx:
        if len(report.quarantine):
            stamp = pd.Timestamp.now("UTC").strftime("%Y%m%dT%H%M%S%f")
            stem = Path(report.files[0]).stem if report.files else LAYER
            qfile = store.path.parent / f"{stem}_{stamp}_quarantine.csv"
            write_csv(report.quarantine, qfile, encoding="utf-8-sig")
            report.quarantine_file = qfile
        if len(new):
            tx.append(LAYER, new)
            clear_demo_marker(tx.tmp)
        tx.log(
            {
                "file": ";".join(report.files),
                "kind": LAYER,
                "ingested_at": str(pd.Timestamp.now(tz="UTC")),
                "rows_read": report.rows_read,
                "rows_loaded": len(new),
                "rows_quarantined": report.rows_quarantined,
                "rows_duplicate": report.rows_duplicate + (report.rows_loaded - len(new)),
                "quarantine_file": str(report.quarantine_file or ""),
                "content_hash": "",
            }
        )
    return len(new)
