"""Uploaded case files: validated through the same ingest as the CLI, kept in the session only.

The Data page (:mod:`app.app_pages.data`) hands the uploaded bytes to :func:`validate_upload`,
which writes them to a private temporary folder (``mkdtemp``: mode 0700, removed straight after),
runs :func:`geo.ingest.pipeline.validate_file` on that file, and returns its
:class:`~geo.ingest.pipeline.IngestReport`. Nothing is written to the store. The valid records are
merged
into the session's uploads with :func:`merge_upload`; the app keeps that dictionary in
``st.session_state`` only (see :mod:`app.session.state`), never in a shared cache or module global.

Pure Python (no Streamlit), so it is testable on its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import CsmapError
from geo.ingest.dedupe import against_store, repeats_in_file, stored_keys
from geo.ingest.pipeline import IngestReport, validate_file
from geo.ingest.schema import ID_COLUMN
from geo.locate.geocode import Lookups
from geo.places.boundaries import StudyArea
from geo.store.export import safe_filename
from geo.vocab import BNG_EPSG, KINDS, Kind

#: Environment variable that sets the upload size limit in megabytes.
MAX_UPLOAD_ENV: Final[str] = "CSMAP_MAX_UPLOAD_MB"
#: Default upload size limit (MB) when the environment does not set one.
DEFAULT_MAX_UPLOAD_MB: Final[float] = 50.0
#: File types the Data page accepts (as the CLI's readers do).
UPLOAD_TYPES: Final[tuple[str, ...]] = ("csv", "xlsx")


class UploadError(CsmapError):
    """An uploaded file is refused before validation (too large, wrong type, unknown kind)."""


def max_upload_mb(environ: Mapping[str, str] | None = None) -> float:
    """The upload size limit in MB: env ``CSMAP_MAX_UPLOAD_MB``, else 50.

    Examples
    --------
    >>> max_upload_mb({"CSMAP_MAX_UPLOAD_MB": "5"})
    5.0
    >>> max_upload_mb({})
    50.0
    """
    env = os.environ if environ is None else environ
    raw = (env.get(MAX_UPLOAD_ENV) or "").strip()
    if not raw:
        return DEFAULT_MAX_UPLOAD_MB
    try:
        value = float(raw)
    except ValueError as exc:
        raise UploadError(f"{MAX_UPLOAD_ENV}={raw!r}: not a number of megabytes") from exc
    if not value > 0:
        raise UploadError(f"{MAX_UPLOAD_ENV}={raw!r}: must be greater than 0")
    return value


def _checked_name(name: str) -> tuple[str, str]:
    """A safe file name for the temporary copy (the name shown as ``source_file``) and its type."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        raise UploadError(
            f"{name}: file type {('.' + suffix) if suffix else '(none)'} is not accepted "
            f"(use {', '.join('.' + t for t in UPLOAD_TYPES)})"
        )
    return safe_filename(Path(name).stem or "upload", ext=suffix), suffix


def validate_upload(
    *,
    kind: str,
    name: str,
    data: bytes,
    area: str | StudyArea | None = None,
    lookups: Lookups | None = None,
    max_mb: float | None = None,
) -> IngestReport:
    """Validate uploaded bytes with the CLI's ingest, without a store.

    Parameters
    ----------
    kind : {"concerns", "missing_episodes", "placements"}
        Record kind of the file.
    name : str
        The uploaded file's name (only its base name is used; ``.csv`` or ``.xlsx``).
    data : bytes
        The file's content.
    area : str or StudyArea, optional
        Study area (default as :func:`geo.ingest.pipeline.validate_file`).
    lookups : Lookups, optional
        Offline postcode/UPRN lookups (default :func:`geo.locate.geocode.load_lookups`).
    max_mb : float, optional
        Size limit in MB (default :func:`max_upload_mb`).

    Returns
    -------
    IngestReport
        ``records`` hold the valid rows (``source_file`` is the uploaded file's safe name),
        ``quarantine`` the refused rows with their reasons; ``quarantine_file`` is None.

    Raises
    ------
    UploadError
        Unknown kind, file type not accepted, or file larger than the limit.
    geo.errors.UnreadableFileError
        The file cannot be read as a table.

    Examples
    --------
    >>> csv = b"id,date,lat,lon,category\\n1,2024-03-05,53.65,-1.78,CSE\\n2,,,,CSE\\n"
    >>> r = validate_upload(kind="concerns", name="../my file.csv", data=csv)
    >>> r.rows_loaded, r.rows_quarantined, r.records["source_file"].tolist()
    (1, 1, ['my_file.csv'])
    """
    if kind not in KINDS:
        raise UploadError(f"{name}: unknown record kind {kind!r} (one of {', '.join(KINDS)})")
    limit = max_upload_mb() if max_mb is None else max_mb
    if len(data) > limit * 1024 * 1024:
        raise UploadError(
            f"{name}: {len(data) / 1024 / 1024:.1f} MB is larger than the {limit:g} MB limit "
            f"(set {MAX_UPLOAD_ENV}, or load it with `csmap ingest`)"
        )
    safe_name, _suffix = _checked_name(name)
    folder = Path(tempfile.mkdtemp(prefix="csmap_upload_"))  # mode 0700, private to this user
    try:
        path = folder / safe_name
        with open(path, "xb") as handle:
            handle.write(data)
        kind_checked: Kind = kind  # type: ignore[assignment]
        report = validate_file(kind_checked, path, lookups=lookups, area=area)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report.file = safe_name  # the temporary path is gone; name the upload
    return report


@dataclass(frozen=True)
class UploadMerge:
    """The result of :func:`merge_new_records`: the new uploads and what happened to the rows."""

    uploads: dict[str, gpd.GeoDataFrame]
    added: int
    duplicate: int
    conflict: int
    reasons: tuple[str, ...] = ()


def merge_new_records(
    uploads: Mapping[str, gpd.GeoDataFrame],
    *,
    kind: str,
    records: gpd.GeoDataFrame,
    store: str | os.PathLike[str] | None = None,
) -> UploadMerge:
    """Append the records whose id is new to the session (and to ``store``, if given).

    The rule of :mod:`geo.ingest.dedupe`: a record whose id is already held in the session, or
    stored,
    with the same ``row_hash`` is a duplicate (not added, counted); with different content it is
    a conflict (not added, counted, with the reason). Uploading the same file twice adds nothing.

    Examples
    --------
    >>> import shapely
    >>> a = gpd.GeoDataFrame({"record_id": ["1"], "row_hash": ["h"]},
    ...                      geometry=[shapely.Point(0, 0)], crs=27700)
    >>> m = merge_new_records({}, kind="concerns", records=a)
    >>> m2 = merge_new_records(m.uploads, kind="concerns", records=a)
    >>> (m.added, m2.added, m2.duplicate, len(m2.uploads["concerns"]))
    (1, 0, 1, 1)
    """
    id_col = ID_COLUMN.get(kind)  # type: ignore[call-overload]
    n = len(records)
    if id_col is None or id_col not in records.columns or n == 0:
        out = _append(uploads, kind=kind, records=records)
        return UploadMerge(out, n, 0, 0)
    ids = records[id_col].astype(str).str.strip().to_numpy(dtype=object)
    hashes = (
        records["row_hash"].astype(str).to_numpy(dtype=object)
        if "row_hash" in records.columns
        else np.full(n, "", dtype=object)
    )
    dup, why = repeats_in_file(ids=ids, hashes=hashes, rows=np.arange(n) + 1, label=id_col)
    held = uploads.get(kind)
    known = [stored_keys(store, layer=kind, id_column=id_col)] if store is not None else []
    if held is not None and len(held) and id_col in held.columns:
        known.append(
            pd.DataFrame(
                {
                    "id": held[id_col].astype(str).str.strip(),
                    "row_hash": held.get("row_hash", pd.Series("", index=held.index)).astype(str),
                    "source_file": held.get(
                        "source_file", pd.Series("this session", index=held.index)
                    ),
                    "source_row": held.get("source_row", pd.Series("?", index=held.index)),
                }
            )
        )
    if known:
        stored = pd.concat(known, ignore_index=True)
        already, changed = against_store(
            ids=ids, hashes=hashes, eligible=(why == "") & ~dup, stored=stored, label=id_col
        )
        dup |= already
        why = np.where(changed != "", changed, why)
    conflict = why != ""
    keep = ~dup & ~conflict
    out = _append(uploads, kind=kind, records=records[keep])
    return UploadMerge(
        out, int(keep.sum()), int(dup.sum()), int(conflict.sum()), tuple(why[conflict].tolist())
    )


def merge_upload(
    uploads: Mapping[str, gpd.GeoDataFrame], *, kind: str, records: gpd.GeoDataFrame
) -> dict[str, gpd.GeoDataFrame]:
    """A new uploads dictionary with the *new* ``records`` appended to ``kind`` (inputs unchanged).

    Records already held (same id and content) are not added again: see
    :func:`merge_new_records`, which also counts them.

    Examples
    --------
    >>> import shapely
    >>> a = gpd.GeoDataFrame({"record_id": ["1"]}, geometry=[shapely.Point(0, 0)], crs=27700)
    >>> b = gpd.GeoDataFrame({"record_id": ["2"]}, geometry=[shapely.Point(0, 0)], crs=27700)
    >>> out = merge_upload({}, kind="concerns", records=a)
    >>> out = merge_upload(out, kind="concerns", records=a)
    >>> out = merge_upload(out, kind="concerns", records=b)
    >>> len(out["concerns"]), out["concerns"].index.tolist()
    (2, [0, 1])
    """
    return merge_new_records(uploads, kind=kind, records=records).uploads


def _append(
    uploads: Mapping[str, gpd.GeoDataFrame], *, kind: str, records: gpd.GeoDataFrame
) -> dict[str, gpd.GeoDataFrame]:
    out = dict(uploads)
    base = out.get(kind)
    if base is None or len(base) == 0:
        joined = records.reset_index(drop=True)
    else:
        joined = pd.concat([base, records], ignore_index=True)
    out[kind] = gpd.GeoDataFrame(joined, geometry="geometry", crs=BNG_EPSG)
    return out


def upload_summary(uploads: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Rows held in the session per kind and source file (``kind, source_file, rows``).

    Examples
    --------
    >>> import shapely
    >>> a = gpd.GeoDataFrame({"source_file": ["a.csv", "a.csv"]},
    ...                      geometry=[shapely.Point(0, 0)] * 2, crs=27700)
    >>> upload_summary({"concerns": a}).values.tolist()
    [['concerns', 'a.csv', 2]]
    """
    parts = []
    for kind, frame in uploads.items():
        if len(frame) == 0:
            continue
        files = (
            frame["source_file"] if "source_file" in frame.columns else pd.Series("", frame.index)
        )
        counts = files.astype(str).value_counts(sort=False).rename_axis("source_file")
        part = counts.reset_index(name="rows")
        part.insert(0, "kind", kind)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"kind": [], "source_file": [], "rows": []})
    return pd.concat(parts, ignore_index=True)
