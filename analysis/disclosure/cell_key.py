"""The cell key method: consistent perturbation of counts, so differencing queries gives noise.

Suppressing small counts query by query cannot stop differencing: the count of wards for
categories {CSE, trafficking} minus the count for {CSE} is the trafficking count, small or not.
The cell key method (ONS Census 2021 outputs, ABS TableBuilder) adds a small, *fixed* amount of
noise to every published count:

Record key
    Every record gets a key, uniform in ``0 .. key_range-1``, from a keyed hash (BLAKE2b with a
    secret) of its stored id (:func:`record_keys`). The same record always has the same key.
Cell key
    A cell's key is the sum of its records' keys modulo ``key_range`` (:func:`cell_keys`); a
    total's key is the sum of its cells' keys modulo ``key_range`` (the key of all its records).
Perturbation
    The noise added to a cell is looked up in a fixed table, the p-table, by (cell key, true
    count) (:class:`PTable`). The same set of records therefore always shows the same value, in
    every table and every query; two different sets of records (the cell before and after a
    filter changed) get unrelated noise, so their difference is the true difference plus noise.

This module only perturbs; :func:`analysis.disclosure.control.suppress_counts` (``keys=``) applies
it
before the small-count rule, and :meth:`analysis.disclosure.control.DisclosurePolicy.table` uses the
policy's p-table. ``docs/disclosure.md`` states what is and is not guaranteed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import ParameterError

__all__ = [
    "DEFAULT_SECRET",
    "CellKeyError",
    "ID_COLUMNS",
    "PTable",
    "RecordKeyTable",
    "cell_keys",
    "record_keys",
    "record_keys_of",
    "secret_digest",
]

#: Id columns tried, in order, by :func:`record_keys_of` (the stored record id of each kind, then
#: the content hash).
ID_COLUMNS: tuple[str, ...] = ("record_id", "episode_id", "placement_id", "row_hash")
#: The default of :class:`analysis.disclosure.control.DisclosurePolicy`, for library use, examples
#: and tests only. It is public (this is open-source code): the app and CLI use each store's own
#: random secret (:func:`app.access.store_policy.disclosure_for_store`); see ``docs/disclosure.md``.
DEFAULT_SECRET = "csmap-cell-key-v1"  # noqa: S105 (public by design, see above)


class CellKeyError(ParameterError):
    """Bad cell key input (key range, p-table, keys that do not match their table)."""


def _check_range(key_range: int) -> int:
    if int(key_range) != key_range or key_range < 2:
        raise CellKeyError(f"key_range must be an integer of at least 2, not {key_range!r}")
    return int(key_range)


def record_keys(ids: pd.Series, *, secret: str, key_range: int = 256) -> pd.Series:
    """The record key of each id: a keyed BLAKE2b hash of its text, modulo ``key_range``.

    Parameters
    ----------
    ids : pandas.Series
        Stored record ids (any type; compared as text). Missing ids get key 0.
    secret : str
        The hashing key; without it the record keys (and so the noise) cannot be computed.
    key_range : int, default 256
        Keys are ``0 .. key_range-1``.

    Returns
    -------
    pandas.Series
        ``int64`` keys, index kept.

    Examples
    --------
    >>> import hashlib
    >>> keys = record_keys(pd.Series(["R1", "R2"], index=[7, 9]), secret="s")
    >>> keys.index.tolist()
    [7, 9]
    >>> d = hashlib.blake2b(b"R1", key=b"s", digest_size=8).digest()
    >>> int(keys.loc[7]) == int.from_bytes(d, "big") % 256
    True
    """
    key_range = _check_range(key_range)
    if not secret:
        raise CellKeyError("the cell key secret must not be empty")
    key = secret.encode("utf-8")[:64]  # BLAKE2b keys are at most 64 bytes
    missing = ids.isna().to_numpy(dtype=bool)
    texts = [str(v) for v in ids.to_numpy(dtype=object)]
    blake = hashlib.blake2b
    digests = b"".join(blake(t.encode("utf-8"), key=key, digest_size=8).digest() for t in texts)
    words = np.frombuffer(digests, dtype=">u8") if texts else np.zeros(0, dtype=np.uint64)
    out = (words % np.uint64(key_range)).astype(np.int64)
    out[missing] = 0
    return pd.Series(out, index=ids.index, name="record_key")


def secret_digest(secret: str, *, key_range: int = 256) -> str:
    """A keyed digest naming (secret, key range) without revealing the secret.

    Used to check that precomputed record keys (:class:`RecordKeyTable`) belong to a policy, and
    as a cache key instead of the secret.

    Examples
    --------
    >>> d = secret_digest("s")
    >>> len(d), d == secret_digest("s"), d == secret_digest("t"), "s" in secret_digest("s" * 40)
    (32, True, False, False)
    """
    key = secret.encode("utf-8")[:64]
    data = f"csmap-cell-key-digest:{_check_range(key_range)}".encode()
    return hashlib.blake2b(data, key=key, digest_size=16).hexdigest()


def _id_column(records: pd.DataFrame) -> pd.Series:
    for column in ID_COLUMNS:
        if column in records.columns:
            return records[column]
    return records.index.to_series()


@dataclass(frozen=True, eq=False, repr=False)
class RecordKeyTable:
    """Record keys computed once for a set of ids (e.g. a loaded store), looked up by id.

    Hashing costs about 1 s per 200,000 ids; a page that builds several tables from the same
    records looks the keys up here instead (:meth:`lookup`, a hash-table lookup). Keys depend
    only on the id's text and the secret, so one table serves every record kind.

    Attributes
    ----------
    keys : pandas.Series
        ``int64`` keys indexed by the id text (unique).
    digest : str
        :func:`secret_digest` of the secret and key range the keys were computed with.

    Examples
    --------
    >>> r = pd.DataFrame({"record_id": ["R1", "R2", "R3"]})
    >>> t = RecordKeyTable.build([r], secret="s")
    >>> len(t)
    3
    >>> t.lookup(r.iloc[[2, 0]], secret="s").equals(record_keys_of(r.iloc[[2, 0]], secret="s"))
    True
    >>> t.lookup(r, secret="other") is None  # other secret: the table does not apply
    True
    """

    keys: pd.Series
    digest: str

    @classmethod
    def build(
        cls, frames: Sequence[pd.DataFrame], *, secret: str, key_range: int = 256
    ) -> RecordKeyTable:
        """Key the ids of ``frames`` (each by its first column in :data:`ID_COLUMNS`)."""
        ids = [_id_column(f).dropna().astype(str) for f in frames]
        texts = pd.Index(pd.concat(ids, ignore_index=True) if ids else []).unique()
        keys = record_keys(pd.Series(texts, index=texts), secret=secret, key_range=key_range)
        return cls(keys, secret_digest(secret, key_range=key_range))

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(
        self, records: pd.DataFrame, *, secret: str, key_range: int = 256
    ) -> pd.Series | None:
        """Keys of ``records`` (index kept): looked up, ids not in the table hashed.

        ``None`` when the table was computed with another secret or key range.
        """
        if secret_digest(secret, key_range=key_range) != self.digest:
            return None
        ids = _id_column(records)
        missing = ids.isna().to_numpy(dtype=bool)
        texts = ids.astype(str)
        where = self.keys.index.get_indexer(pd.Index(texts.to_numpy(dtype=object)))
        found = where >= 0
        out = np.zeros(len(ids), dtype=np.int64)
        out[found] = self.keys.to_numpy()[where[found]]
        unknown = ~found & ~missing
        if unknown.any():  # e.g. records uploaded in the session
            extra = record_keys(texts[unknown], secret=secret, key_range=key_range)
            out[unknown] = extra.to_numpy()
        out[missing] = 0
        return pd.Series(out, index=records.index, name="record_key")


def record_keys_of(
    records: pd.DataFrame,
    *,
    secret: str,
    key_range: int = 256,
    table: RecordKeyTable | None = None,
) -> pd.Series:
    """Record keys of a table of records, from its first id column in :data:`ID_COLUMNS`.

    Records without any id column are keyed by their index (stable only while the index is).
    With ``table`` (computed with the same secret), keys are looked up instead of hashed.

    Examples
    --------
    >>> r = pd.DataFrame({"record_id": ["R1", "R2"]})
    >>> record_keys_of(r, secret="s").equals(record_keys(r["record_id"], secret="s"))
    True
    """
    if table is not None:
        found = table.lookup(records, secret=secret, key_range=key_range)
        if found is not None:
            return found
    return record_keys(_id_column(records), secret=secret, key_range=key_range)


def cell_keys(
    keys: pd.Series,
    rows: pd.Series,
    columns: pd.Series | None = None,
    *,
    like: pd.Series | pd.DataFrame | None = None,
    key_range: int = 256,
) -> pd.Series | pd.DataFrame:
    """Cell key of each cell: the sum of its records' keys modulo ``key_range``.

    Parameters
    ----------
    keys : pandas.Series
        Record keys (:func:`record_keys`), aligned on the records' index.
    rows : pandas.Series
        Row label of each record (missing = not in the table).
    columns : pandas.Series, optional
        Column label of each record, for a 2-D table.
    like : Series or DataFrame, optional
        The count table: the result is reindexed to its labels (cells without records get 0).
    key_range : int, default 256

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``int64`` cell keys.

    Examples
    --------
    >>> k = pd.Series([10, 200, 100, 7])
    >>> cell_keys(k, pd.Series(["a", "a", "a", "b"])).to_dict()  # (10 + 200 + 100) % 256 = 54
    {'a': 54, 'b': 7}
    >>> cell_keys(k, pd.Series(["a", "a", "b", "b"]), pd.Series(list("xyxx"))).to_numpy().tolist()
    [[10, 200], [107, 0]]
    """
    key_range = _check_range(key_range)
    frame = pd.DataFrame({"k": keys, "r": rows.reindex(keys.index)})
    if columns is None:
        sums = frame.dropna(subset=["r"]).groupby("r", observed=True)["k"].sum() % key_range
        if like is not None:
            sums = sums.reindex(like.index, fill_value=0)
        return sums.astype("int64")
    frame["c"] = columns.reindex(keys.index)
    grouped = frame.dropna(subset=["r", "c"]).groupby(["r", "c"], observed=True)["k"].sum()
    wide = (grouped % key_range).unstack(fill_value=0)
    if like is not None:
        wide = wide.reindex(index=like.index, columns=like.columns, fill_value=0)
    return wide.astype("int64")


@dataclass(frozen=True)
class PTable:
    """The perturbation table: the noise added to a count, by (cell key, true count).

    Parameters
    ----------
    key_range : int, default 256
        Cell keys are ``0 .. key_range-1`` (the same range as the record keys).
    max_noise : int, default 2
        Noise is an integer in ``-max_noise .. max_noise``.

    Notes
    -----
    Zero stays zero (a cell without records has nothing to protect and no key). Counts
    ``1 .. max_noise`` are not changed (they are suppressed as small counts anyway, and noise
    could make them zero, i.e. say "none" where there are some). For a count ``v > max_noise``
    the noise is ``floor(u * (2 max_noise + 1) / key_range) - max_noise`` with
    ``u = (151 key + 211 v) mod key_range``; as 151 is odd and ``key_range`` a power of two in
    practice, ``u`` runs once through ``0 .. key_range-1`` as the key does, so each count's row of
    the table has the noise values in (nearly) equal numbers, and rows of neighbouring counts
    are shuffled against each other. The table is public, as in ONS outputs; the record keys
    (the secret) are what an outsider lacks.

    Examples
    --------
    >>> p = PTable()
    >>> p.noise(np.array([0, 3, 10, 10]), np.array([5, 5, 0, 1])).tolist()
    [0, 0, -1, 2]
    >>> # key 0, value 10: u = 2110 % 256 = 62, floor(62 * 5 / 256) - 2 = -1
    >>> p.perturb(np.array([10]), np.array([0])).tolist()
    [9]
    """

    key_range: int = 256
    max_noise: int = 2

    def __post_init__(self) -> None:
        _check_range(self.key_range)
        if int(self.max_noise) != self.max_noise or self.max_noise < 0:
            raise CellKeyError(f"max_noise must be a non-negative integer, not {self.max_noise!r}")
        if 2 * self.max_noise + 1 > self.key_range:
            raise CellKeyError("key_range must be at least 2 max_noise + 1")

    def noise(self, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """The noise for each (true count, cell key) pair (same shapes)."""
        v = np.asarray(values, dtype=np.int64)
        k = np.asarray(keys, dtype=np.int64)
        if v.shape != k.shape:
            raise CellKeyError(f"counts have shape {v.shape}, cell keys {k.shape}")
        if (k < 0).any() or (k >= self.key_range).any():
            raise CellKeyError(f"cell keys must lie in 0 .. {self.key_range - 1}")
        d = self.max_noise
        u = (151 * k + 211 * v) % self.key_range
        out = (u * (2 * d + 1)) // self.key_range - d
        return np.where(v > d, out, 0).astype(np.int64)

    def perturb(self, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """The published counts: true count plus its noise (never negative, zero stays zero)."""
        v = np.asarray(values, dtype=np.int64)
        return v + self.noise(v, keys)

    def rows(self, values: Sequence[int]) -> pd.DataFrame:
        """The p-table itself for the given counts: one row per count, one column per cell key.

        Examples
        --------
        >>> PTable(key_range=8, max_noise=1).rows([0, 1, 2]).to_numpy().tolist()
        [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, -1, -1, -1, 1]]
        """
        keys = np.arange(self.key_range)
        data = [self.noise(np.full(self.key_range, int(v)), keys) for v in values]
        return pd.DataFrame(data, index=pd.Index(list(values), name="count"), columns=keys)
