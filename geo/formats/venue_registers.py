"""Import council and police venue registers into the ``venues`` layer of the store.

A register is a CSV or ``.xlsx`` file with one venue per row: a name, an address/postcode or
coordinates (any form :func:`geo.locate.coords.resolve_locations` reads: latitude/longitude,
easting/northing, grid reference, UPRN, postcode via the configured offline lookup), a licence
number and optionally an operator. The whole file has one register type (``--type``; the types,
their venue types and which are restricted are listed in :mod:`geo.places.venue_schema`, whose
public
names are re-exported here).

The bundled venue types (:data:`geo.places.venues.VENUE_TYPES`) have no hotel, private-hire or
children's-home type, so registers add :data:`REGISTER_VENUE_TYPES`; :data:`ALL_VENUE_TYPES` is
the union. A premises-licence row may carry a ``venue_type`` column with one of
:data:`geo.places.venues.VENUE_TYPES` (e.g. ``takeaway/food`` for a late-night refreshment licence).

The same rules as record ingest (:mod:`geo.ingest.pipeline`) hold: every row is loaded, quarantined
(with
``;``-separated reasons naming the field, written to a formula-safe CSV beside the store) or a
duplicate (the same licence number already stored from any file with the same content, or repeated
in the file with identical content; the rule of :mod:`geo.ingest.dedupe`, shared with record
ingest),
and ``rows_read == rows_loaded + rows_quarantined + rows_duplicate`` is asserted.
Children's homes are stored with ``restricted = True``: :mod:`app.access.policy` shows their
addresses
to the analyst and admin roles only, and :func:`read_venues` leaves them out unless asked.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.ingest.content_hash import content_hashes
from geo.ingest.dedupe import against_store, repeats_in_file, stored_keys
from geo.ingest.pipeline import IngestReport, resolve_area
from geo.ingest.quarantine import quarantine_frame
from geo.ingest.read.readers import read_table
from geo.ingest.schema import normalise_name
from geo.locate.coords import resolve_locations
from geo.locate.geocode import Lookups, load_lookups
from geo.places.boundaries import StudyArea, assign_areas
from geo.places.venue_schema import ALL_VENUE_TYPES as ALL_VENUE_TYPES
from geo.places.venue_schema import COLUMN_SYNONYMS as COLUMN_SYNONYMS
from geo.places.venue_schema import REGISTER_TYPES as REGISTER_TYPES
from geo.places.venue_schema import REGISTER_VENUE_TYPES as REGISTER_VENUE_TYPES
from geo.places.venue_schema import RESTRICTED_TYPES as RESTRICTED_TYPES
from geo.places.venue_schema import VENUE_COLUMNS as VENUE_COLUMNS
from geo.places.venue_schema import VENUES_LAYER as VENUES_LAYER
from geo.places.venue_schema import match_columns
from geo.places.venue_schema import register_type as register_type
from geo.places.venues import VENUE_TYPES
from geo.store.export import write_csv
from geo.store.gpkg import Store
from geo.store.meta import clear_demo_marker
from geo.vocab import BNG_EPSG


def _empty_venues() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in VENUE_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=BNG_EPSG), crs=BNG_EPSG)


def _validate(
    path: Path, kind: str, *, lookups: Lookups, area: StudyArea
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, np.ndarray, np.ndarray, str, str, np.ndarray]:
    table = read_table(path)
    raw = table.frame
    matched = match_columns(list(raw.columns), path)
    canon = pd.DataFrame({t: raw[c].astype(str).str.strip() for c, t in matched.items()})
    n = len(raw)
    blank = pd.Series([""] * n, index=raw.index, dtype=object)

    def col(name: str) -> pd.Series:
        return canon[name] if name in canon.columns else blank

    reasons: list[list[str]] = [[] for _ in range(n)]
    name = col("name")
    for i in np.flatnonzero((name == "").to_numpy()).tolist():
        reasons[i].append("name: empty")
    venue_type = np.full(n, REGISTER_TYPES[kind], dtype=object)
    if "venue_type" in canon.columns:
        given = col("venue_type")
        allowed = VENUE_TYPES if kind == "premises licence" else (REGISTER_TYPES[kind],)
        lower = given.str.lower()
        for i in range(n):
            value = lower.iloc[i]
            if value == "":
                continue
            if value in allowed:
                venue_type[i] = value
            else:
                reasons[i].append(
                    f"venue_type: {given.iloc[i]!r} is not one of {', '.join(allowed)}"
                )
    loc = resolve_locations(canon, lookups=lookups)
    has = (loc["location_precision"] != "none").to_numpy()
    err = loc["location_error"].fillna("").astype(str).to_numpy()
    for i in range(n):
        if err[i]:
            reasons[i].append(f"location: {err[i]}")
        elif not has[i]:
            reasons[i].append(
                "location: no location given (latitude/longitude, easting/northing, grid_ref, "
                "uprn or postcode)"
            )
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(loc["easting"], loc["northing"]), index=raw.index, crs=BNG_EPSG
    )
    pts.loc[~has, "geometry"] = None
    areas = assign_areas(pts, area)
    hashes = content_hashes(canon)
    licence = col("licence_number")
    ids = np.where(
        licence != "",
        "lic:" + licence.str.upper().to_numpy(dtype=object),
        np.array(["row:" + str(h)[:16] for h in hashes], dtype=object) if n else [],
    )
    prefix = normalise_name(kind).replace("_", "-")
    venue_id = np.array([f"{prefix}:{v}" for v in ids], dtype=object)
    inside = areas["lad_cd"].notna().to_numpy() & has
    flags = loc["location_flags"].fillna("").astype(str).to_numpy(dtype=object)
    for i in np.flatnonzero(has & ~inside).tolist():
        flags[i] = ";".join(f for f in (flags[i], "outside_study_area") if f)
    records = pd.DataFrame(
        {
            "venue_id": venue_id,
            "name": name.to_numpy(dtype=object),
            "venue_type": venue_type,
            "register_type": kind,
            "source": "register",
            "subtype": col("subtype").to_numpy(dtype=object),
            "licence_number": licence.to_numpy(dtype=object),
            "operator": col("operator").to_numpy(dtype=object),
            "address": col("address").to_numpy(dtype=object),
            "postcode": col("postcode").to_numpy(dtype=object),
            "restricted": kind in RESTRICTED_TYPES,
            "easting": loc["easting"].to_numpy(dtype=float),
            "northing": loc["northing"].to_numpy(dtype=float),
            "latitude": loc["latitude"].to_numpy(dtype=float),
            "longitude": loc["longitude"].to_numpy(dtype=float),
            "location_precision": loc["location_precision"].to_numpy(dtype=object),
            "location_flags": flags,
            "in_study_area": inside,
            **{c: areas[c].astype(object).to_numpy() for c in ("lsoa21cd", "ward_cd", "ward_nm")},
            "lad_cd": areas["lad_cd"].astype(object).to_numpy(),
            "row_hash": hashes,
        },
        index=raw.index,
    )
    gdf = gpd.GeoDataFrame(records, geometry=pts.geometry.to_numpy(), crs=BNG_EPSG)
    # Repeated ids in the file: identical content -> duplicate, else quarantine every copy.
    dup, conflict = repeats_in_file(
        ids=venue_id,
        hashes=hashes,
        rows=table.row_numbers(),
        label="licence_number",
        shown=licence.to_numpy(dtype=object),
    )
    for i in np.flatnonzero(conflict != "").tolist():
        reasons[i].append(conflict[i])
    joined = np.array(["; ".join(r) for r in reasons], dtype=object)
    joined[dup] = ""
    return raw, gdf, joined, dup, table.encoding, table.content_hash, table.row_numbers()


def import_venues(
    path: str | os.PathLike[str],
    *,
    kind: str,
    store: Store | str | os.PathLike[str] | None = None,
    lookups: Lookups | None = None,
    area: str | StudyArea | None = None,
) -> IngestReport:
    """Validate a venue register and (with ``store``) add its new venues to the ``venues`` layer.

    Parameters
    ----------
    path : str or Path
        CSV or ``.xlsx`` register.
    kind : str
        Register type, one of :data:`REGISTER_TYPES` (a few spellings accepted).
    store : Store or path, optional
        Without it nothing is written (validation only).
    lookups : Lookups, optional
        Postcode/UPRN lookups; default :func:`geo.locate.geocode.load_lookups`.
    area : str or StudyArea, optional
        Study area (default env ``CSMAP_AREA`` else ``"kirklees"``).

    Returns
    -------
    geo.ingest.pipeline.IngestReport
        ``kind`` is ``"venues"``; counts reconcile (asserted).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "h.csv").write_text("name,licence no,lat,lon\\nThe Inn,H1,53.65,-1.78\\n"
    ...                              "No place,H2,,\\n")
    >>> r = import_venues(d / "h.csv", kind="hotel", store=d / "s.gpkg")
    >>> r.rows_loaded, r.rows_quarantined, read_venues(d / "s.gpkg")["venue_id"].tolist()
    (1, 1, ['hotel-guest-house:lic:H1'])
    """
    path = Path(path)
    reg = register_type(kind)
    raw, gdf, reasons, dup, encoding, content_hash, numbers = _validate(
        path,
        reg,
        lookups=load_lookups() if lookups is None else lookups,
        area=resolve_area(area),
    )
    now = pd.Timestamp.now("UTC").tz_localize(None)
    bad = reasons != ""
    st = None if store is None else (store if isinstance(store, Store) else Store(store))
    already = np.zeros(len(raw), dtype=bool)
    if st is not None:
        already, changed = against_store(
            ids=gdf["venue_id"].to_numpy(dtype=object),
            hashes=gdf["row_hash"].to_numpy(dtype=object),
            eligible=~bad & ~dup,
            stored=stored_keys(st.path, layer=VENUES_LAYER, id_column="venue_id"),
            label="venue_id",
        )
        reasons = reasons.copy()
        reasons[changed != ""] = changed[changed != ""]
        bad = reasons != ""
    duplicate = dup | already
    loaded = ~bad & ~duplicate
    rows = np.flatnonzero(loaded)
    records = gdf.iloc[rows].copy()
    records["source_file"] = path.name
    records["source_row"] = numbers[rows].astype("int64")
    records["ingested_at"] = now
    records = records.reset_index(drop=True)
    quarantine = quarantine_frame(raw, bad, reasons, numbers)
    report = IngestReport(
        kind="venues",
        file=str(path),
        rows_read=len(raw),
        rows_loaded=int(loaded.sum()),
        rows_quarantined=int(bad.sum()),
        rows_duplicate=int(duplicate.sum()),
        records=records,
        quarantine=quarantine,
        store=None if st is None else st.path,
        encoding=encoding,
        content_hash=content_hash,
        duplicate_rows=numbers[duplicate].tolist(),
    )
    if st is None:
        return report
    with st.transaction() as tx:
        if bad.any():
            stamp = now.strftime("%Y%m%dT%H%M%S%f")
            report.quarantine_file = st.path.parent / f"{path.stem}_{stamp}_quarantine.csv"
            write_csv(quarantine, report.quarantine_file, encoding="utf-8-sig")
        if report.rows_loaded:
            tx.append(VENUES_LAYER, records)
            clear_demo_marker(tx.tmp)
        tx.log(
            {
                "file": path.name,
                "path": str(path.resolve()),
                "kind": VENUES_LAYER,
                "ingested_at": now,
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "rows_duplicate": report.rows_duplicate,
                "quarantine_file": str(report.quarantine_file or ""),
                "content_hash": content_hash,
                "encoding": encoding,
            }
        )
    return report


def read_venues(
    store: Store | str | os.PathLike[str], *, include_restricted: bool = False
) -> gpd.GeoDataFrame:
    """Imported venues of the store (EPSG:27700, RangeIndex; empty when none).

    Parameters
    ----------
    store : Store or path
    include_restricted : bool, default False
        Include restricted venues (children's homes). Only for the analyst and admin roles
        (:func:`app.access.policy.can` ``childrens_home_addresses``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> len(read_venues(pathlib.Path(tempfile.mkdtemp()) / "none.gpkg"))
    0
    """
    st = store if isinstance(store, Store) else Store(store)
    if VENUES_LAYER not in st._layers():
        return _empty_venues()
    frame = pyogrio.read_dataframe(st.path, layer=VENUES_LAYER, use_arrow=True)
    if frame.crs is None:
        frame = frame.set_crs(BNG_EPSG)
    frame["restricted"] = frame["restricted"].fillna(False).astype(bool)
    frame["in_study_area"] = frame["in_study_area"].fillna(False).astype(bool)
    if not include_restricted:
        frame = frame[~frame["restricted"].to_numpy()]
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=BNG_EPSG)


def all_venues(
    *,
    area: str = "kirklees",
    store: Store | str | os.PathLike[str] | None = None,
    include_restricted: bool = False,
) -> gpd.GeoDataFrame:
    """Bundled venues of ``area`` plus the store's imported registers, in one frame.

    Columns: ``venue_id, name, venue_type, source, subtype, register_type, licence_number,
    operator, restricted, geometry`` (EPSG:27700, RangeIndex).

    Examples
    --------
    >>> v = all_venues(area="solihull")
    >>> bool(v["venue_type"].isin(ALL_VENUE_TYPES).all()), bool(v["restricted"].any())
    (True, False)
    """
    from geo.places.venues import load_bundled_venues

    cols = [
        "venue_id",
        "name",
        "venue_type",
        "source",
        "subtype",
        "register_type",
        "licence_number",
        "operator",
        "restricted",
    ]
    bundled = load_bundled_venues(area)
    bundled["register_type"] = None
    bundled["licence_number"] = None
    bundled["operator"] = None
    bundled["restricted"] = False
    parts = [pd.DataFrame(bundled[[*cols, "geometry"]])]
    if store is not None:
        imported = read_venues(store, include_restricted=include_restricted)
        if len(imported):
            parts.append(pd.DataFrame(imported[[*cols, "geometry"]]))
    frame = pd.concat(parts, ignore_index=True)
    for c in cols[:-1]:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    frame["restricted"] = frame["restricted"].astype(bool)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=BNG_EPSG)
