"""Repeated record ids: one rule for every ingest path (records and venue registers).

A record is identified by ``(kind, id)`` and its *content* by ``row_hash`` (a hash of its
canonical fields only, never of the provenance: file name, row number, ingest time). Then:

* within one file, an id repeated with identical content is a duplicate (the first copy counts);
  repeated with different content, every copy is quarantined (which one is right cannot be known);
* against the store, an id already stored (from *any* file) with the same content is a duplicate,
  so a cumulative monthly extract under a new file name adds only its new records; the same id
  with different content is quarantined with a reason naming the stored file and row.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from geo.ingest.ids import normalise_ids

#: How a person replaces a stored record that a new file changes.
REPLACE_HINT = (
    "to replace it, delete the stored record (or the store) and ingest again, "
    "or give the changed record a new id"
)


def repeats_in_file(
    *,
    ids: np.ndarray,
    hashes: np.ndarray,
    rows: np.ndarray,
    label: str,
    shown: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Duplicates and conflicts among the rows of one file.

    Parameters
    ----------
    ids, hashes, rows : numpy.ndarray
        Per row: the id (``""`` = none; never repeated), content hash and physical row number.
    label : str
        The id field named in reasons (e.g. ``"record_id"``).
    shown : numpy.ndarray, optional
        The value shown in reasons (default the id), e.g. the licence number a venue id is made of.

    Returns
    -------
    duplicate : numpy.ndarray of bool
        Later copies of an id repeated with identical content.
    reasons : numpy.ndarray of object
        ``""`` or the conflict reason, for every copy of an id repeated with different content.

    Examples
    --------
    >>> ids = np.array(["a", "a", "b", "b", ""], dtype=object)
    >>> dup, why = repeats_in_file(ids=ids, hashes=np.array(list("xxyzq"), dtype=object),
    ...                            rows=np.arange(2, 7), label="record_id")
    >>> dup.tolist()
    [False, True, False, False, False]
    >>> why[2]
    "record_id: 'b' repeated in rows 4, 5 with different content"
    """
    n = len(ids)
    duplicate = np.zeros(n, dtype=bool)
    reasons = np.full(n, "", dtype=object)
    sid = pd.Series(ids, dtype=object)
    repeated = sid.duplicated(keep=False).to_numpy() & (ids != "")
    if not repeated.any():
        return duplicate, reasons
    sub = pd.DataFrame({"id": ids[repeated], "hash": hashes[repeated], "row": rows[repeated]})
    distinct = sub.groupby("id")["hash"].nunique()
    bad_ids = set(distinct[distinct > 1].index)
    row_lists = sub.groupby("id")["row"].apply(lambda r: ", ".join(map(str, r)))
    show = ids if shown is None else shown
    for pos in np.flatnonzero(repeated):
        if ids[pos] in bad_ids:
            reasons[pos] = (
                f"{label}: {show[pos]!r} repeated in rows {row_lists[ids[pos]]} "
                "with different content"
            )
    same = repeated & ~np.isin(ids, list(bad_ids))
    duplicate = same & sid.duplicated(keep="first").to_numpy()
    return duplicate, reasons


def against_store(
    *,
    ids: np.ndarray,
    hashes: np.ndarray,
    eligible: np.ndarray,
    stored: pd.DataFrame,
    label: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose id is already stored: duplicates (same content) and conflicts (different).

    Parameters
    ----------
    ids, hashes : numpy.ndarray
        Per row: id and content hash.
    eligible : numpy.ndarray of bool
        Rows to check (those not already quarantined or duplicated within the file).
    stored : pandas.DataFrame
        Stored records: columns ``id, row_hash, source_file, source_row`` (see :func:`stored_keys`).
    label : str
        The id field named in reasons.

    Returns
    -------
    duplicate : numpy.ndarray of bool
    reasons : numpy.ndarray of object
        ``"<label> X already stored from FILE row N with different content; to replace it, ..."``.

    Examples
    --------
    >>> stored = pd.DataFrame({"id": ["a", "b"], "row_hash": ["x", "y"],
    ...                        "source_file": ["jan.csv"] * 2, "source_row": [2, 3]})
    >>> dup, why = against_store(ids=np.array(["a", "b", "c"], dtype=object),
    ...                          hashes=np.array(["x", "z", "w"], dtype=object),
    ...                          eligible=np.ones(3, dtype=bool), stored=stored, label="record_id")
    >>> dup.tolist()
    [True, False, False]
    >>> why[1].split(";")[0]
    "record_id: 'b' already stored from jan.csv row 3 with different content"
    """
    n = len(ids)
    duplicate = np.zeros(n, dtype=bool)
    reasons = np.full(n, "", dtype=object)
    if stored.empty or not eligible.any():
        return duplicate, reasons
    known = stored.assign(id=stored["id"].astype(str))
    check = eligible & np.isin(ids, known["id"].unique())
    if not check.any():
        return duplicate, reasons
    pairs = set(zip(known["id"], known["row_hash"].astype(str), strict=True))
    first = known.drop_duplicates("id").set_index("id")
    for pos in np.flatnonzero(check):
        if (ids[pos], str(hashes[pos])) in pairs:
            duplicate[pos] = True
        else:
            where = first.loc[ids[pos]]
            reasons[pos] = (
                f"{label}: {ids[pos]!r} already stored from {where['source_file']} row "
                f"{where['source_row']} with different content; {REPLACE_HINT}"
            )
    return duplicate, reasons


def stored_keys(path: str | os.PathLike[str], *, layer: str, id_column: str) -> pd.DataFrame:
    """Id, ``row_hash``, ``source_file`` and ``source_row`` of a store layer (empty if none).

    Examples
    --------
    >>> stored_keys("/nonexistent.gpkg", layer="concerns", id_column="record_id").shape
    (0, 4)
    """
    empty = pd.DataFrame({c: [] for c in ("id", "row_hash", "source_file", "source_row")})
    path = Path(path)
    if not path.exists() or layer not in [n for n, _ in pyogrio.list_layers(path)]:
        return empty
    cols = [id_column, "row_hash", "source_file", "source_row"]
    frame = pyogrio.read_dataframe(
        path, layer=layer, columns=cols, read_geometry=False, use_arrow=True
    )
    frame = frame.rename(columns={id_column: "id"})
    frame["id"] = normalise_ids(frame["id"])  # ids stored before ids were normalised
    return frame[["id", "row_hash", "source_file", "source_row"]]
