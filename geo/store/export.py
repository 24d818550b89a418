"""Safe exports: formula-neutralised CSV and Excel writers, safe file names, contained paths.

Every CSV or Excel file csmap writes for a person to open goes through :func:`write_csv`,
:func:`to_csv_bytes` or :func:`write_xlsx`. They neutralise *formula injection* (OWASP "CSV
injection"): a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is prefixed with a single quote ``'`` so that Excel, LibreOffice and Google Sheets show it as text
instead of evaluating it (``=HYPERLINK(...)``, ``@SUM(...)``, DDE payloads). Column names are
neutralised too.

What is *not* changed:

- numbers stored as numbers (``-3.5`` in a float column stays the number ``-3.5``);
- text that is exactly a plain negative decimal number (``"-3.5"``, ``"-12"``): spreadsheets read
  it as a number and it cannot carry a formula. ``"+1"`` and ``"-1+2"`` *are* neutralised
  (a spreadsheet evaluates them as formulas).

A GeoDataFrame's geometry is written as WKT text. :func:`safe_filename` builds download names
carrying the period and method without path separators, and :func:`resolve_inside` refuses a
user-supplied path that escapes its base folder (``..``, absolute paths, symlinks out).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from geo.errors import CsmapError

__all__ = [
    "FORMULA_PREFIXES",
    "PathEscapeError",
    "neutralise_cell",
    "neutralise_frame",
    "resolve_inside",
    "safe_filename",
    "to_csv_bytes",
    "write_csv",
    "write_xlsx",
]

#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NEGATIVE = re.compile(r"-(?:\d+(?:\.\d*)?|\.\d+)")
# Characters openpyxl refuses to write (XML 1.0 control characters).
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FILENAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")


class PathEscapeError(CsmapError):
    """A user-supplied path points outside the folder it must stay in."""


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` made safe for a spreadsheet cell.

    Text starting with one of :data:`FORMULA_PREFIXES` gets a leading ``'``; text that is a plain
    negative number and every non-text value are returned unchanged.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        The value, or the neutralised text.

    Examples
    --------
    >>> neutralise_cell('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise_cell("-3.5"), neutralise_cell(-3.5), neutralise_cell("-1+2")
    ('-3.5', -3.5, "'-1+2")
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_PREFIXES and not _PLAIN_NEGATIVE.fullmatch(value):
        return "'" + value
    return value


def _neutralise_series(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(
        series.dtype
    ):
        return series
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return series.map(neutralise_cell, na_action="ignore")


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text cell and column name neutralised.

    A geometry column (GeoDataFrame) becomes WKT text; the index is kept.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to export (a GeoDataFrame is accepted).

    Returns
    -------
    pandas.DataFrame
        A plain DataFrame, safe to write.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_frame(pd.DataFrame({"a": ["@SUM(A1)", "ok"], "b": [-1.0, 2.0]}))
               a    b
    0  '@SUM(A1) -1.0
    1         ok  2.0
    """
    out = pd.DataFrame(frame).copy()
    geometry_name = getattr(frame, "_geometry_column_name", None)
    if geometry_name is not None and geometry_name in out.columns:
        out[geometry_name] = pd.Series(
            [None if g is None else g.wkt for g in frame[geometry_name]],
            index=out.index,
            dtype=object,
        )
    for column in out.columns:
        out[column] = _neutralise_series(out[column])
    out.columns = pd.Index([neutralise_cell(str(c)) for c in out.columns])
    return out


def write_csv(
    frame: pd.DataFrame,
    path_or_buffer: str | os.PathLike[str] | IO[str],
    *,
    index: bool = False,
    encoding: str = "utf-8",
) -> None:
    """Write ``frame`` as formula-safe CSV.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (GeoDataFrame geometry is written as WKT).
    path_or_buffer : path or text buffer
        Where to write.
    index : bool, default False
        Write the index as the first column.
    encoding : str, default "utf-8"
        Encoding when writing to a path.

    Examples
    --------
    >>> import io, pandas as pd
    >>> buf = io.StringIO()
    >>> write_csv(pd.DataFrame({"x": ["+1"]}), buf)
    >>> buf.getvalue()
    "x\\r\\n'+1\\r\\n"
    """
    safe = neutralise_frame(frame)
    # RFC 4180 line ends: with "\r\n" as terminator, the csv writer quotes every field that
    # holds a bare "\r" or "\n", so an embedded carriage return cannot split a row.
    if isinstance(path_or_buffer, str | os.PathLike):
        safe.to_csv(path_or_buffer, index=index, encoding=encoding, lineterminator="\r\n")
    else:
        safe.to_csv(path_or_buffer, index=index, lineterminator="\r\n")


def to_csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """Return ``frame`` as formula-safe UTF-8 CSV bytes (for download buttons).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    index : bool, default False
        Write the index as the first column.

    Returns
    -------
    bytes
        UTF-8 CSV.

    Examples
    --------
    >>> import pandas as pd
    >>> to_csv_bytes(pd.DataFrame({"x": ["=1+1", "-3.5"]}))
    b"x\\r\\n'=1+1\\r\\n-3.5\\r\\n"
    """
    buffer = io.StringIO()
    write_csv(frame, buffer, index=index)
    return buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    return value


def write_xlsx(
    frame: pd.DataFrame,
    path_or_buffer: str | os.PathLike[str] | IO[bytes],
    *,
    sheet_name: str = "data",
    index: bool = False,
) -> None:
    """Write ``frame`` as a formula-safe Excel workbook (one sheet).

    Every text cell is neutralised as in :func:`neutralise_cell` and written with the *string*
    data type, so no cell is ever stored as a formula. Control characters Excel cannot hold are
    removed; time-zone-aware datetimes are written in UTC.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (GeoDataFrame geometry is written as WKT).
    path_or_buffer : path or binary buffer
        Where to write.
    sheet_name : str, default "data"
        Worksheet title.
    index : bool, default False
        Write the index as the first column.

    Examples
    --------
    >>> import io, openpyxl, pandas as pd
    >>> buf = io.BytesIO()
    >>> write_xlsx(pd.DataFrame({"x": ["=1+1"], "y": [-3.5]}), buf)
    >>> ws = openpyxl.load_workbook(buf).active
    >>> ws["A2"].value, ws["A2"].data_type, ws["B2"].value
    ("'=1+1", 's', -3.5)
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    safe = neutralise_frame(frame)
    if index:
        safe = safe.reset_index()
        safe.columns = pd.Index([neutralise_cell(str(c)) for c in safe.columns])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_FILENAME_BAD.sub("_", sheet_name)[:31] or "data")

    def row_cells(values: Sequence[Any]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            converted = _xlsx_value(value)
            cell = WriteOnlyCell(sheet, value=converted)
            if isinstance(converted, str):
                cell.data_type = "s"  # never a formula, whatever openpyxl inferred
            cells.append(cell)
        return cells

    sheet.append(row_cells(list(safe.columns)))
    for row in safe.itertuples(index=False, name=None):
        sheet.append(row_cells(row))
    workbook.save(path_or_buffer)


def safe_filename(
    stem: str,
    *,
    ext: str,
    method: str | None = None,
    period: str | tuple[Any, Any] | None = None,
    max_length: int = 120,
) -> str:
    """Build a download file name that carries the method and period and cannot traverse paths.

    Parameters
    ----------
    stem : str
        What the file is, e.g. ``"hotspots"``.
    ext : str
        Extension without the dot (``"csv"``, ``"geojson"``, ``"gpkg"``...).
    method : str, optional
        Analysis method, e.g. ``"gi"``.
    period : str or (start, end), optional
        The period covered; dates are written as ``YYYY-MM-DD``.
    max_length : int, default 120
        Longest name returned (the extension is always kept).

    Returns
    -------
    str
        Letters, digits, ``.``, ``_`` and ``-`` only; never starts with a dot.

    Examples
    --------
    >>> safe_filename("hotspots", method="gi", period=("2024-01-01", "2024-06-30"), ext="csv")
    'hotspots_gi_2024-01-01_to_2024-06-30.csv'
    >>> safe_filename("../../etc/passwd", ext="csv")
    'etc_passwd.csv'
    """
    parts = [stem]
    if method:
        parts.append(method)
    if period is not None:
        if isinstance(period, tuple):
            start, end = (pd.Timestamp(p).strftime("%Y-%m-%d") for p in period)
            parts.append(f"{start}_to_{end}")
        else:
            parts.append(str(period))
    name = "_".join(_FILENAME_BAD.sub("_", p) for p in parts)
    name = re.sub(r"\.{2,}", "_", name)
    name = re.sub(r"_+", "_", name).strip("._-")
    clean_ext = _FILENAME_BAD.sub("", ext.lstrip(".")).replace(".", "") or "dat"
    name = (name or "export")[: max(1, max_length - len(clean_ext) - 1)]
    return f"{name}.{clean_ext}"


def resolve_inside(base: str | os.PathLike[str], user_path: str | os.PathLike[str]) -> Path:
    """Resolve ``user_path`` relative to ``base`` and refuse it if it leaves ``base``.

    Symlinks are followed before the check, so a link pointing out of ``base`` is refused too.

    Parameters
    ----------
    base : path
        The folder the path must stay in.
    user_path : path
        A relative path supplied by a user or a mapping file.

    Returns
    -------
    pathlib.Path
        The resolved absolute path (inside ``base``).

    Raises
    ------
    PathEscapeError
        When the resolved path is outside ``base`` (or is ``base``'s parent, an absolute path
        elsewhere, ...).

    Examples
    --------
    >>> import tempfile
    >>> base = tempfile.mkdtemp()
    >>> resolve_inside(base, "maps/a.yaml").name
    'a.yaml'
    >>> resolve_inside(base, "../secret")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    geo.store.export.PathEscapeError: path '../secret' escapes its folder
    """
    root = Path(base).resolve()
    text = os.fspath(user_path)
    if "\x00" in text:
        raise PathEscapeError(f"path {text!r} contains a NUL byte")
    candidate = (root / text).resolve()
    if candidate != root and not candidate.is_relative_to(root):
        raise PathEscapeError(f"path {text!r} escapes its folder {str(root)!r}")
    return candidate
