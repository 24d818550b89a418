"""Read the rows of an ``.xlsx`` workbook as text, every row that is in the sheet.

Used by :func:`geo.ingest.read.readers.read_table`. openpyxl reads the workbook ``read_only`` with
``data_only=False`` (formulas are read as their *text*, never evaluated). Two hostile-input rules:

- The sheet's stored ``<dimension ref="A1:E11">`` is not trusted: a stale or forged one would make
  openpyxl stop early (rows beyond it silently dropped) or cut columns off. The dimension is reset
  and every row in the sheet is read.
- An XML part with a document type declaration (``<!DOCTYPE``/``<!ENTITY``: Excel never writes one)
  is refused before openpyxl parses anything, so an entity-expansion ("billion laughs") bomb
  cannot exhaust memory.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Final

from geo.errors import UnreadableFileError

#: Markup an ``.xlsx`` part never holds; in UTF-8 and in both UTF-16 byte orders.
_DTD_MARKERS: Final[tuple[bytes, ...]] = tuple(
    marker.encode(codec)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for codec in ("utf-8", "utf-16-le", "utf-16-be")
)
_SCAN_BLOCK: Final[int] = 1 << 20


def check_no_dtd(path: Path) -> None:
    """Refuse a workbook whose XML parts declare a DOCTYPE or entities (entity-expansion bombs).

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file (a zip archive).

    Raises
    ------
    UnreadableFileError
        A part holds ``<!DOCTYPE`` or ``<!ENTITY``, or the archive cannot be read; the message
        names the file and the part.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> p = Path(tempfile.mkdtemp()) / "b.xlsx"
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("xl/sharedStrings.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "">]>')
    >>> check_no_dtd(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.UnreadableFileError: ...b.xlsx: xl/sharedStrings.xml declares a DOCTYPE/entities...
    """
    keep = max(len(m) for m in _DTD_MARKERS)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(info) as part:
                    tail = b""
                    while block := part.read(_SCAN_BLOCK):
                        window = tail + block
                        if any(m in window for m in _DTD_MARKERS):
                            raise UnreadableFileError(
                                f"{path}: {info.filename} declares a DOCTYPE/entities, which "
                                "Excel never writes (a possible XML entity bomb); refused"
                            )
                        tail = window[-keep:]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, UnreadableFileError):
            raise
        raise UnreadableFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc


def cell_text(value: object) -> str:
    """A cell value as text (dates ISO, whole floats without ``.0``, ``None`` as ``""``).

    Examples
    --------
    >>> cell_text(3.0), cell_text(None), cell_text(dt.date(2024, 3, 5))
    ('3', '', '2024-03-05')
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_sheet_rows(path: Path) -> tuple[list[list[str]], list[int]]:
    """The non-empty rows of the workbook's one non-empty worksheet, and their row numbers.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` file.

    Returns
    -------
    rows : list of list of str
        Each non-empty row's cells as text (header first); completely empty rows are skipped.
    numbers : list of int
        The sheet row number of each (row 1 = the first row of the sheet).

    Raises
    ------
    UnreadableFileError
        Not a readable workbook, an XML part with a DOCTYPE, no rows, or more than one
        worksheet with data.
    """
    import openpyxl

    check_no_dtd(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnreadableFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    sheets: list[tuple[str, list[list[str]], list[int]]] = []
    try:
        for sheet in book.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # never trust the stored <dimension ref>
            rows: list[list[str]] = []
            numbers: list[int] = []
            for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                cells = [cell_text(c) for c in row]
                if any(c.strip() for c in cells):
                    rows.append(cells)
                    numbers.append(number)
            if rows:
                sheets.append((sheet.title, rows, numbers))
    except UnreadableFileError:
        raise
    except Exception as exc:  # a damaged sheet part (bad XML, ...)
        raise UnreadableFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    finally:
        book.close()
    if not sheets:
        raise UnreadableFileError(f"{path}: the workbook is empty (no header row)")
    if len(sheets) > 1:
        names = ", ".join(repr(name) for name, _, _ in sheets)
        raise UnreadableFileError(
            f"{path}: the workbook has {len(sheets)} worksheets with data ({names}); "
            "csmap reads one table per file: save each sheet as its own file"
        )
    _, rows, numbers = sheets[0]
    return rows, numbers
