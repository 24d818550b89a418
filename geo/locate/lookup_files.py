"""Offline postcode and UPRN lookup files: readers, lookups and postcode normalisation.

csmap never calls an online geocoder: postcodes and UPRNs are resolved through lookup files the user
configures. Supported files:

Postcodes
    * ONS Postcode Directory (ONSPD) or National Statistics Postcode Lookup (NSPL) CSV, with a
      header row holding a postcode column (``pcds``, ``pcd``, ``pcd7``, ``pcd8`` or ``pcd2``),
      the grid reference columns ``oseast1m`` and ``osnrth1m`` (``east1m`` / ``north1m`` are
      also accepted) and, optionally, ``doterm`` (date of termination; terminated postcodes
      still resolve but are flagged) and ``osgrdind`` (9 = no grid reference; such rows are
      dropped).
    * OS Code-Point Open CSV: headerless rows
      ``postcode, positional quality, easting, northing, ...``
      (detected automatically). A directory of Code-Point Open CSVs (its ``Data/CSV`` folder) is
      read as one lookup. Rows with quality 90 (no coordinates) are dropped.

UPRNs
    * OS Open UPRN CSV with the columns ``UPRN, X_COORDINATE, Y_COORDINATE`` (``LATITUDE`` and
      ``LONGITUDE`` may be present and are ignored: csmap converts from the grid reference itself).

Configuration and loading (``csmap.yaml``, environment variables) are in :mod:`geo.locate.geocode`,
which re-exports every public name here.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import LookupFileError

__all__ = [
    "PostcodeLookup",
    "UprnLookup",
    "normalise_postcode",
    "normalise_postcodes",
]

#: Compact (no space) UK postcode shape: outward code A9, A99, AA9, AA99, A9A, AA9A + inward 9AA.
_POSTCODE_COMPACT = r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)"
_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2", "postcode")
_EASTING_COLUMNS = ("oseast1m", "east1m", "easting", "eastings")
_NORTHING_COLUMNS = ("osnrth1m", "north1m", "northing", "northings")
_UPRN_COLUMNS = ("UPRN", "X_COORDINATE", "Y_COORDINATE")


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Normalise a column of postcodes (vectorised form of :func:`normalise_postcode`).

    Parameters
    ----------
    values : pandas.Series
        Postcodes as text, in any case and spacing.

    Returns
    -------
    pandas.Series
        Same index; upper case with one space before the inward code, or missing (``NA``) where
        the text is not shaped like a UK postcode.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_postcodes(pd.Series(["hd1 2rs", "HD12RS", "nonsense", None])).tolist()
    ['HD1 2RS', 'HD1 2RS', <NA>, <NA>]
    """
    text = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    valid = text.str.fullmatch(_POSTCODE_COMPACT).fillna(False).astype(bool)
    out = (text.str[:-3] + " " + text.str[-3:]).where(valid)
    return out.astype("string")


def normalise_postcode(text: object) -> str | None:
    """Normalise one postcode: upper case, one space before the inward code, UK shape checked.

    Parameters
    ----------
    text : object
        The postcode as typed (any case, any spacing). Non-text values give ``None``.

    Returns
    -------
    str or None
        The normalised postcode, or ``None`` if it is not shaped like a UK postcode.

    Examples
    --------
    >>> normalise_postcode(" hd1  2rs ")
    'HD1 2RS'
    >>> normalise_postcode("W1A1AA")
    'W1A 1AA'
    >>> normalise_postcode("HD1 2R") is None
    True
    """
    if not isinstance(text, str):
        return None
    result = normalise_postcodes(pd.Series([text])).iloc[0]
    return None if pd.isna(result) else str(result)


def _check_file(path: str | os.PathLike[str], what: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise LookupFileError(f"{what} lookup file {p} does not exist")
    return p


def _first_row(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            row = next(csv.reader(handle), None)
    except OSError as exc:
        raise LookupFileError(f"cannot read lookup file {path}: {exc}") from exc
    if not row:
        raise LookupFileError(f"lookup file {path} is empty")
    return row


def _pick(header: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {name.strip().lower(): name for name in header}
    for cand in candidates:
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class PostcodeLookup:
    """Postcode -> grid reference (centroid) table, indexed by normalised postcode.

    Build it with :meth:`from_csv`; ``table`` has the columns ``easting``, ``northing`` (EPSG:27700
    metres) and ``terminated`` (bool) and a unique index of normalised postcodes.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"easting": [414000.0], "northing": [416000.0], "terminated": [False]},
    ...     index=pd.Index(["ZZ9 9ZZ"]),
    ... )
    >>> PostcodeLookup(table=table).lookup(pd.Series(["zz99zz", "ZZ9 9ZY"]))["easting"].tolist()
    [414000.0, nan]
    """

    table: pd.DataFrame
    source: str = ""

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> PostcodeLookup:
        """Read an ONSPD / NSPL CSV (with header) or a Code-Point Open CSV (headerless).

        Parameters
        ----------
        path : str or path-like
            A CSV file, or a directory of Code-Point Open CSV files.

        Returns
        -------
        PostcodeLookup

        Raises
        ------
        LookupFileError
            The file is missing, empty, or lacks the postcode / grid reference columns (named).

        Examples
        --------
        >>> from pathlib import Path
        >>> fixture = Path("tests/fixtures/lookups/nspl_sample.csv")
        >>> PostcodeLookup.from_csv(fixture).lookup(pd.Series(["ZZ1 1AA"]))["found"].tolist()
        [True]
        """
        p = _check_file(path, "postcode")
        files = sorted(p.glob("*.csv")) if p.is_dir() else [p]
        if not files:
            raise LookupFileError(f"postcode lookup directory {p} holds no .csv files")
        frames = [_read_postcode_file(f) for f in files]
        table = pd.concat(frames) if len(frames) > 1 else frames[0]
        table = table[~table.index.duplicated(keep="first")]
        return cls(table=table, source=str(p))

    def lookup(self, postcodes: pd.Series) -> pd.DataFrame:
        """Look postcodes up (vectorised).

        Parameters
        ----------
        postcodes : pandas.Series
            Postcodes as typed; they are normalised first.

        Returns
        -------
        pandas.DataFrame
            Same index, columns ``postcode`` (normalised, NA if not postcode-shaped), ``easting``,
            ``northing`` (NaN if not found), ``found`` and ``terminated`` (bool).

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame(
        ...     {"easting": [1.0], "northing": [2.0], "terminated": [True]}, index=["ZZ9 9ZZ"]
        ... )
        >>> PostcodeLookup(table=table).lookup(pd.Series(["zz9 9zz"]))["terminated"].tolist()
        [True]
        """
        norm = normalise_postcodes(postcodes)
        pos = self.table.index.get_indexer(pd.Index(norm.fillna("").to_numpy(dtype=object)))
        found = pos >= 0
        take = np.where(found, pos, 0)
        east = self.table["easting"].to_numpy(dtype=float)
        north = self.table["northing"].to_numpy(dtype=float)
        term = self.table["terminated"].to_numpy(dtype=bool)
        if len(self.table) == 0:
            east = north = np.array([np.nan])
            term = np.array([False])
        return pd.DataFrame(
            {
                "postcode": norm,
                "easting": np.where(found, east[take], np.nan),
                "northing": np.where(found, north[take], np.nan),
                "found": found,
                "terminated": found & term[take],
            },
            index=postcodes.index,
        )


def _read_postcode_file(path: Path) -> pd.DataFrame:
    first = _first_row(path)
    headerless = (
        len(first) >= 4
        and normalise_postcode(first[0]) is not None
        and _is_number(first[2])
        and _is_number(first[3])
    )
    try:
        if headerless:  # Code-Point Open
            raw = pd.read_csv(path, header=None, usecols=[0, 1, 2, 3], dtype=str)
            raw.columns = pd.Index(["postcode", "quality", "easting", "northing"])
            keep = raw["quality"].str.strip() != "90"
            raw = raw[keep]
            terminated = pd.Series(False, index=raw.index)
        else:
            pc = _pick(first, _POSTCODE_COLUMNS)
            east = _pick(first, _EASTING_COLUMNS)
            north = _pick(first, _NORTHING_COLUMNS)
            missing = [
                label
                for label, col in (
                    ("a postcode column (pcds/pcd/pcd7/pcd8)", pc),
                    ("oseast1m", east),
                    ("osnrth1m", north),
                )
                if col is None
            ]
            if missing:
                raise LookupFileError(
                    f"postcode lookup file {path} lacks the column(s) {', '.join(missing)} "
                    f"(header: {', '.join(first[:12])})"
                )
            assert pc is not None and east is not None and north is not None
            doterm = _pick(first, ("doterm",))
            grdind = _pick(first, ("osgrdind",))
            cols = [c for c in (pc, east, north, doterm, grdind) if c is not None]
            raw = pd.read_csv(path, usecols=cols, dtype=str, encoding="utf-8-sig")
            if grdind is not None:
                raw = raw[raw[grdind].fillna("").str.strip() != "9"]
            terminated = (
                raw[doterm].fillna("").str.strip() != ""
                if doterm is not None
                else pd.Series(False, index=raw.index)
            )
            raw = raw.rename(columns={pc: "postcode", east: "easting", north: "northing"})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, LookupFileError):
            raise
        raise LookupFileError(f"cannot read postcode lookup file {path}: {exc}") from exc
    table = pd.DataFrame(
        {
            "easting": pd.to_numeric(raw["easting"], errors="coerce").to_numpy(dtype=float),
            "northing": pd.to_numeric(raw["northing"], errors="coerce").to_numpy(dtype=float),
            "terminated": terminated.to_numpy(dtype=bool),
        },
        index=pd.Index(normalise_postcodes(raw["postcode"]).to_numpy(dtype=object)),
    )
    usable = (
        table.index.notna()
        & table["easting"].notna().to_numpy()
        & table["northing"].notna().to_numpy()
        & ~((table["easting"] == 0) & (table["northing"] == 0)).to_numpy()
    )
    table = table[usable]
    # A live record wins over a terminated one for the same postcode.
    return table.sort_values("terminated", kind="stable")


@dataclass(frozen=True)
class UprnLookup:
    """UPRN -> grid reference table (OS Open UPRN).

    ``uprns`` is a sorted int64 array; ``easting`` / ``northing`` are aligned float arrays.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> lk = UprnLookup(
    ...     uprns=np.array([7, 9]), easting=np.array([1.0, 2.0]), northing=np.array([3.0, 4.0])
    ... )
    >>> lk.lookup(pd.Series(["9", "8", None]))["easting"].tolist()
    [2.0, nan, nan]
    """

    uprns: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    source: str = field(default="")

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> UprnLookup:
        """Read an OS Open UPRN CSV (``UPRN, X_COORDINATE, Y_COORDINATE, ...``).

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        UprnLookup

        Raises
        ------
        LookupFileError
            Missing file or missing columns (named).

        Examples
        --------
        >>> lk = UprnLookup.from_csv("tests/fixtures/lookups/open_uprn_sample.csv")
        >>> int(lk.uprns.size) > 0
        True
        """
        p = _check_file(path, "UPRN")
        header = _first_row(p)
        cols = [_pick(header, (name,)) for name in _UPRN_COLUMNS]
        missing = [name for name, col in zip(_UPRN_COLUMNS, cols, strict=True) if col is None]
        if missing:
            raise LookupFileError(
                f"UPRN lookup file {p} lacks the column(s) {', '.join(missing)} "
                f"(header: {', '.join(header[:12])})"
            )
        try:
            raw = pd.read_csv(p, usecols=cols, dtype=str, encoding="utf-8-sig")
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise LookupFileError(f"cannot read UPRN lookup file {p}: {exc}") from exc
        uprn_col, x_col, y_col = (str(c) for c in cols)
        uprn = pd.to_numeric(raw[uprn_col], errors="coerce")
        east = pd.to_numeric(raw[x_col], errors="coerce")
        north = pd.to_numeric(raw[y_col], errors="coerce")
        ok = (uprn.notna() & east.notna() & north.notna()).to_numpy()
        ids = uprn.to_numpy(dtype=float)[ok].astype(np.int64)
        order = np.argsort(ids, kind="stable")
        return cls(
            uprns=ids[order],
            easting=east.to_numpy(dtype=float)[ok][order],
            northing=north.to_numpy(dtype=float)[ok][order],
            source=str(p),
        )

    def lookup(self, uprns: pd.Series) -> pd.DataFrame:
        """Look UPRNs up (vectorised).

        Parameters
        ----------
        uprns : pandas.Series
            UPRNs as numbers or text (``"100050712345"``, ``"100050712345.0"``).

        Returns
        -------
        pandas.DataFrame
            Same index, columns ``uprn`` (float, NaN if not a number), ``easting``, ``northing``
            (NaN if not found) and ``found`` (bool).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> lk = UprnLookup(uprns=np.array([5]), easting=np.array([1.0]), northing=np.array([2.0]))
        >>> lk.lookup(pd.Series([5]))["found"].tolist()
        [True]
        """
        text = uprns.astype("string").str.strip()
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(num) & (num == np.floor(num)) & (num > 0)
        ids = np.where(whole, num, 0).astype(np.int64)
        found = np.zeros(len(ids), dtype=bool)
        east = np.full(len(ids), np.nan)
        north = np.full(len(ids), np.nan)
        if self.uprns.size:
            pos = np.clip(np.searchsorted(self.uprns, ids), 0, self.uprns.size - 1)
            found = whole & (self.uprns[pos] == ids)
            east = np.where(found, self.easting[pos], np.nan)
            north = np.where(found, self.northing[pos], np.nan)
        return pd.DataFrame(
            {"uprn": num, "easting": east, "northing": north, "found": found},
            index=uprns.index,
        )
