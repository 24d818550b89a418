"""Ingest: read a file, validate every row, and store it — losing nothing.

Every input row ends in exactly one place, and the code asserts
``rows_read == rows_loaded + rows_quarantined + rows_duplicate``:

loaded
    stored in the store layer of its kind, with ``source_file`` (file name), ``source_row``
    (the physical row a person finds in Excel or a text editor: header = row 1, so the first data
    row is 2, and blank lines *are* counted in the numbering, though a completely empty record is
    not a record and not counted in ``rows_read``; see :mod:`geo.ingest.read.readers`), ``row_hash``
    (the content hash: sha256 of ``name=value`` + U+001F for each canonical field with a
    non-empty trimmed value, in the order of the canonical names; other columns and the
    provenance do not count) and ``ingested_at`` (UTC).
quarantined
    written to a CSV beside the store (``<file stem>_<UTC timestamp>_quarantine.csv``) with
    ``source_row``, ``reasons`` (``"; "``-separated, each naming the field) and the original cells.
    Cells starting with ``=``, ``+``, ``@`` or a tab are prefixed with ``'`` there, so a spreadsheet
    never evaluates them (CSV injection); the store keeps them unchanged, as inert text.
duplicate
    a row whose id is already stored (from *any* file, e.g. last month's cumulative extract)
    with the same ``row_hash``, or a repeat, with identical content, of an earlier row of the same
    file. A repeated id with *different* content in one file is a quarantine reason for every row
    carrying it (which one is right cannot be known); an id already stored with different content
    is quarantined with a reason naming the stored file and row (see :mod:`geo.ingest.dedupe`).

Re-ingesting a file (under any name) therefore changes nothing: its rows are duplicates (or
quarantined again) and, when nothing new is loaded and the same content was ingested before, the
store is not rewritten and the earlier quarantine file is reported. A file that cannot be read at
all raises :class:`~geo.errors.UnreadableFileError` and leaves the store untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import UnreadableFileError
from geo.ingest.content_hash import content_hashes
from geo.ingest.dedupe import against_store, repeats_in_file, stored_keys
from geo.ingest.ids import normalise_ids
from geo.ingest.quarantine import IngestReport, quarantine_frame, write_quarantine
from geo.ingest.read.readers import read_table
from geo.ingest.records import build_records, reason_column
from geo.ingest.schema import (
    ID_COLUMN,
    LOCATION_INPUTS,
    REQUIRED,
    Mapping,
    load_mapping,
    match_columns,
)
from geo.locate.coords import resolve_locations
from geo.locate.geocode import Lookups, load_lookups
from geo.places.boundaries import StudyArea, assign_areas, load_area
from geo.store.files import store_errors
from geo.store.gpkg import Store
from geo.store.meta import clear_demo_marker
from geo.store.writer import LayerWriter
from geo.vocab import BNG_EPSG, KINDS, MISSING_LOCATION_PREFIXES, Kind

AREA_ENV = "CSMAP_AREA"


def resolve_area(area: str | StudyArea | None) -> StudyArea:
    """The study area: as given, else env ``CSMAP_AREA``, else ``"kirklees"``."""
    if isinstance(area, StudyArea):
        return area
    return load_area(area or os.environ.get(AREA_ENV) or "kirklees")


def _mapping(mapping: Mapping | str | os.PathLike[str] | None) -> Mapping | None:
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    return load_mapping(Path(mapping))


#: Rows validated (and, above one chunk, handed to the writer process) at a time.
_CHUNK_ROWS = 131_072


def _shared_objects(series: pd.Series) -> np.ndarray:
    """Object array of a few-valued text column (NA kept), one Python string per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = np.asarray(uniques, dtype=object)
    table[-1] = pd.NA  # code -1 -> NA (as astype(object) gives)
    return table[codes]


@dataclass
class _Prepared:
    """A file read and its columns matched: what every row range is validated from."""

    kind: Kind
    raw: pd.DataFrame
    canon: pd.DataFrame
    extra: list[str]
    ids: np.ndarray  # stripped id text of every row
    rows: np.ndarray  # physical row number of each row (header = 1)
    duplicate: np.ndarray  # bool: repeat, with identical content, of an earlier row of the file
    conflict: np.ndarray  # reason text for every copy of an id repeated with different content
    read_reasons: np.ndarray | None  # reasons found by the reader (a line not in the encoding)
    encoding: str
    content_hash: str


@dataclass
class _Validated:
    table_frame: pd.DataFrame
    records: gpd.GeoDataFrame  # the rows validated (index = position in file)
    reasons: np.ndarray
    duplicate: np.ndarray  # bool: repeat of an identical earlier row in the file
    ids: np.ndarray
    hashes: np.ndarray
    rows: np.ndarray  # physical row number of each row (header = 1)
    encoding: str
    content_hash: str


def _prepare(kind: Kind, path: Path, *, mapping: Mapping | None) -> _Prepared:
    """Read the file, match its columns, and settle repeated ids (the file-level checks)."""
    if kind not in KINDS:
        raise UnreadableFileError(f"{path}: unknown record kind {kind!r} ({', '.join(KINDS)})")
    table = read_table(path)
    raw = table.frame
    matched, extra = match_columns(list(raw.columns), kind=kind, mapping=mapping)
    if not matched:
        raise UnreadableFileError(
            f"{path}: no usable columns (found {', '.join(map(repr, raw.columns[:8]))})"
        )
    present = set(matched.values())
    missing = [c for c in REQUIRED[kind] if c not in present]
    if missing:
        raise UnreadableFileError(
            f"{path}: missing required column(s) {', '.join(missing)} for {kind} "
            f"(found {', '.join(map(repr, raw.columns[:12]))})"
        )
    if kind == "concerns" and not present & set(LOCATION_INPUTS):
        raise UnreadableFileError(
            f"{path}: no location columns for concerns (latitude/longitude, easting/northing, "
            "grid_ref, postcode or uprn)"
        )
    canon = pd.DataFrame({target: raw[name] for name, target in matched.items()}, index=raw.index)
    id_col = ID_COLUMN[kind]
    # Ids as a person reads them (invisible characters, look-alike spaces): the stored id, the
    # content hash and every duplicate check use the normalised id.
    canon[id_col] = normalise_ids(canon[id_col])
    ids = canon[id_col].to_numpy(dtype=object)
    rows = table.row_numbers()
    # Repeated ids are settled for the whole file up front (only their rows are hashed here), so
    # that any range of rows can then be validated, and loaded, on its own.
    duplicate = np.zeros(len(raw), dtype=bool)
    conflict = np.full(len(raw), "", dtype=object)
    repeated = np.flatnonzero(pd.Series(ids, dtype=object).duplicated(keep=False).to_numpy())
    if len(repeated):
        dup, why = repeats_in_file(
            ids=ids[repeated],
            hashes=content_hashes(canon.iloc[repeated]),
            rows=rows[repeated],
            label=id_col,
        )
        duplicate[repeated], conflict[repeated] = dup, why
    return _Prepared(
        kind,
        raw,
        canon,
        extra,
        ids,
        rows,
        duplicate,
        conflict,
        table.reasons,
        table.encoding,
        table.content_hash,
    )


def _validate_rows(
    prep: _Prepared,
    start: int,
    stop: int,
    *,
    mapping: Mapping | None,
    lookups: Lookups | None,
    area: StudyArea,
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Validate rows ``start:stop``: their typed records, reasons (``""`` = fine) and hashes.

    Every check here is row by row; the in-file repeats come from :func:`_prepare`. A row
    repeating an identical earlier one has no reasons (it is a duplicate, not quarantined).
    """
    kind = prep.kind
    raw = prep.raw.iloc[start:stop]
    canon = prep.canon.iloc[start:stop]
    extra = prep.extra
    # The content hashes first, while little else is held (their working memory would
    # otherwise stack on top of the typed records).
    hashes = content_hashes(canon)
    records, reasons = build_records(kind, canon, raw[extra] if extra else None, mapping=mapping)
    prefixes = MISSING_LOCATION_PREFIXES if kind == "missing_episodes" else ("",)
    any_location = pd.Series(False, index=raw.index)
    point_geoms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for prefix in prefixes:
        loc = resolve_locations(canon, prefix=prefix, lookups=lookups)
        err = loc["location_error"].fillna("").astype(str)
        location_error = err.where(err == "", f"{prefix}location: " + err)
        reasons.add(location_error)
        has = loc["location_precision"] != "none"
        any_location |= has
        has_point = has.to_numpy(dtype=bool)
        geoms = np.full(len(raw), None, dtype=object)
        geoms[has_point] = shapely.points(
            loc["easting"].to_numpy(dtype=float)[has_point],
            loc["northing"].to_numpy(dtype=float)[has_point],
        )
        point_geoms[prefix] = (has_point, geoms)
        points = gpd.GeoDataFrame(geometry=geoms, index=raw.index, crs=BNG_EPSG)
        areas = assign_areas(points, area)
        inside = areas["lad_cd"].notna().to_numpy() & has.to_numpy()
        flags = loc["location_flags"].fillna("").astype(str)
        outside = has.to_numpy() & ~inside
        flags[outside] = (flags[outside] + ";outside_study_area").str.lstrip(";")
        for col in ("easting", "northing", "latitude", "longitude", "location_precision"):
            records[prefix + col] = loc[col].to_numpy()
        records[prefix + "in_study_area"] = inside
        records[prefix + "location_flags"] = flags.to_numpy()
        for col in areas.columns:
            records[prefix + col] = _shared_objects(areas[col])
        del loc, err, has, points, areas, flags  # free before the next prefix / the frame
    if kind == "concerns":
        none = ~any_location & (location_error == "")
        reasons.add(
            reason_column(
                none.to_numpy(dtype=bool),
                "location: no location given (latitude/longitude, "
                "easting/northing, grid_ref, uprn or postcode)",
                index=raw.index,
            )
        )
    # Geometry: the (found, else last-seen) point.
    east = records[f"{prefixes[0]}easting"].to_numpy(dtype=float).copy()
    north = records[f"{prefixes[0]}northing"].to_numpy(dtype=float).copy()
    if len(prefixes) == 2:
        fe = records["found_easting"].to_numpy(dtype=float)
        fn = records["found_northing"].to_numpy(dtype=float)
        use = ~np.isnan(fe)
        east[use], north[use] = fe[use], fn[use]
    has_point, geoms = point_geoms[prefixes[0]]
    if len(prefixes) == 1 and np.array_equal(has_point, ~np.isnan(east)):
        geometry = geoms  # the points already made for the area lookup
    else:
        geometry = np.full(len(east), None, dtype=object)
        ok = ~np.isnan(east)
        geometry[ok] = shapely.points(east[ok], north[ok])
    gdf = gpd.GeoDataFrame(records, geometry=geometry, crs=BNG_EPSG)

    gdf["row_hash"] = pd.Series(hashes, index=gdf.index, dtype=object)  # no Arrow copy of 1M
    reasons.add(prep.conflict[start:stop])
    if prep.read_reasons is not None:
        reasons.add(prep.read_reasons[start:stop])
    reasons.text[prep.duplicate[start:stop]] = ""
    return gdf, reasons.text, hashes


def _validate(
    kind: Kind,
    path: Path,
    *,
    mapping: Mapping | None,
    lookups: Lookups | None,
    area: StudyArea,
) -> _Validated:
    prep = _prepare(kind, path, mapping=mapping)
    n = len(prep.raw)
    gdf, reasons, hashes = _validate_rows(prep, 0, n, mapping=mapping, lookups=lookups, area=area)
    return _Validated(
        prep.raw,
        gdf,
        reasons,
        prep.duplicate,
        prep.ids,
        hashes,
        prep.rows,
        prep.encoding,
        prep.content_hash,
    )


def _finish_records(
    gdf: gpd.GeoDataFrame,
    mask: np.ndarray,
    *,
    source: str,
    now: pd.Timestamp,
    numbers: np.ndarray,
) -> gpd.GeoDataFrame:
    rows = np.flatnonzero(mask)
    out = gdf.iloc[rows]  # a new frame already (no second copy: it would double the peak)
    out["source_file"] = source
    out["source_row"] = numbers[rows].astype("int64")
    out["ingested_at"] = now
    out["ingested_at"] = out["ingested_at"].astype("datetime64[ms]")
    return out.reset_index(drop=True)


def validate_file(
    kind: Kind,
    path: str | os.PathLike[str],
    *,
    mapping: Mapping | str | os.PathLike[str] | None = None,
    lookups: Lookups | None = None,
    area: str | StudyArea | None = None,
) -> IngestReport:
    """Validate a file without a store (duplicates only within the file).

    Parameters
    ----------
    kind : {"concerns", "missing_episodes", "placements"}
    path : str or Path
        CSV or ``.xlsx`` file.
    mapping : Mapping or path, optional
        User mapping (see :mod:`geo.ingest.schema`).
    lookups : Lookups, optional
        Postcode/UPRN lookups; default :func:`geo.locate.geocode.load_lookups`.
    area : str or StudyArea, optional
        Study area; default env ``CSMAP_AREA`` else ``"kirklees"``.

    Returns
    -------
    IngestReport

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = p.write_text("id,date,lat,lon,category\\n1,2024-03-05,53.65,-1.78,NRM\\n"
    ...                  "2,next week,53.65,-1.78,CSE\\n")
    >>> r = validate_file("concerns", p)
    >>> r.rows_loaded, r.rows_quarantined, r.records["category"].tolist()
    (1, 1, ['trafficking/modern slavery'])
    >>> r.quarantine["reasons"].tolist()
    ["reported_date: 'next week' is not a date"]
    """
    path = Path(path)
    v = _validate(
        kind,
        path,
        mapping=_mapping(mapping),
        lookups=load_lookups() if lookups is None else lookups,
        area=resolve_area(area),
    )
    now = pd.Timestamp.now("UTC").tz_localize(None)
    bad = v.reasons != ""
    loaded = ~bad & ~v.duplicate
    return IngestReport(
        kind=kind,
        file=str(path),
        rows_read=len(v.table_frame),
        rows_loaded=int(loaded.sum()),
        rows_quarantined=int(bad.sum()),
        rows_duplicate=int(v.duplicate.sum()),
        records=_finish_records(v.records, loaded, source=path.name, now=now, numbers=v.rows),
        quarantine=quarantine_frame(v.table_frame, bad, v.reasons, v.rows),
        encoding=v.encoding,
        content_hash=v.content_hash,
        duplicate_rows=v.rows[v.duplicate].tolist(),
    )


def ingest_file(
    kind: Kind,
    path: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str],
    mapping: Mapping | str | os.PathLike[str] | None = None,
    lookups: Lookups | None = None,
    area: str | StudyArea | None = None,
) -> IngestReport:
    """Validate a file and add its new rows to the store, atomically.

    Parameters are those of :func:`validate_file`, plus ``store`` (a :class:`~geo.store.gpkg.Store`
    or the GeoPackage path).

    Returns
    -------
    IngestReport

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c.csv").write_text("id,date,lat,lon\\n1,2024-03-05,53.65,-1.78\\n")
    >>> ingest_file("concerns", d / "c.csv", store=d / "s.gpkg").rows_loaded
    1
    >>> again = ingest_file("concerns", d / "c.csv", store=d / "s.gpkg")
    >>> again.rows_loaded, again.rows_duplicate
    (0, 1)
    """
    path = Path(path)
    st = store if isinstance(store, Store) else Store(store)
    mapping = _mapping(mapping)
    lookups = load_lookups() if lookups is None else lookups
    study_area = resolve_area(area)
    prep = _prepare(kind, path, mapping=mapping)
    n = len(prep.raw)
    now = pd.Timestamp.now("UTC").tz_localize(None)
    reasons = np.full(n, "", dtype=object)
    duplicate = prep.duplicate.copy()
    parts: list[gpd.GeoDataFrame] = []
    # A read-only folder or a damaged store: one line naming the store, not a traceback.
    with store_errors(st.path, doing="updated"), st.transaction() as tx:
        stored = stored_keys(st.path, layer=kind, id_column=ID_COLUMN[kind])
        previous = tx.previous_ingest(kind, prep.content_hash)
        # Above one chunk, a child process inserts each chunk while the next is validated.
        writer: LayerWriter | None = tx.writer(kind) if n > _CHUNK_ROWS else None
        for start in range(0, max(n, 1), _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, n)
            gdf, why, hashes = _validate_rows(
                prep, start, stop, mapping=mapping, lookups=lookups, area=study_area
            )
            already, changed = against_store(
                ids=prep.ids[start:stop],
                hashes=hashes,
                eligible=(why == "") & ~prep.duplicate[start:stop],
                stored=stored,
                label=ID_COLUMN[kind],
            )
            why[changed != ""] = changed[changed != ""]
            reasons[start:stop] = why
            duplicate[start:stop] |= already
            loaded = (why == "") & ~duplicate[start:stop]
            chunk = _finish_records(
                gdf, loaded, source=path.name, now=now, numbers=prep.rows[start:stop]
            )
            del gdf
            if writer is not None:
                writer.send(chunk)
            parts.append(chunk)
        del stored
        bad = reasons != ""
        loaded_rows = ~bad & ~duplicate
        quarantine = quarantine_frame(prep.raw, bad, reasons, prep.rows)
        qfile: Path | None = None
        if bad.any():
            old = previous.get("quarantine_file") if previous else None
            if previous and not loaded_rows.any() and old and Path(old).exists():
                qfile = Path(old)
            else:
                stamp = now.strftime("%Y%m%dT%H%M%S%f")
                qfile = st.path.parent / f"{path.stem}_{stamp}_quarantine.csv"
                write_quarantine(quarantine, qfile)
        records = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        del parts
        if writer is not None:  # the child finishes (its last rows, the index) meanwhile
            writer.close()  # every row is written before anything else touches the copy
        report = IngestReport(
            kind=kind,
            file=str(path),
            rows_read=n,
            rows_loaded=int(loaded_rows.sum()),
            rows_quarantined=int(bad.sum()),
            rows_duplicate=int(duplicate.sum()),
            records=records,
            quarantine=quarantine,
            quarantine_file=qfile,
            store=st.path,
            encoding=prep.encoding,
            content_hash=prep.content_hash,
            duplicate_rows=prep.rows[duplicate].tolist(),
        )
        if report.rows_loaded == 0 and previous:
            tx.rollback()  # nothing new: leave the store byte-identical
            return report
        if report.rows_loaded:
            if writer is None:
                tx.append(kind, report.records)
            clear_demo_marker(tx.tmp)  # real rows: the store is no longer the synthetic demo
        tx.log(
            {
                "file": path.name,
                "path": str(path.resolve()),
                "kind": kind,
                "ingested_at": now,
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "rows_duplicate": report.rows_duplicate,
                "quarantine_file": str(qfile) if qfile else "",
                "content_hash": prep.content_hash,
                "encoding": prep.encoding,
            }
        )
    return report
