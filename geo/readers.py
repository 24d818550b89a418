"""Read a CSV or Excel file as text, losing nothing.

Every cell is read as text (``""`` for empty); nothing is converted, evaluated or trusted as markup.
CSV encodings are tried in a strict cascade: UTF-8 (with or without a byte-order mark), then
Windows-1252, then Latin-1 (which always decodes). NUL bytes inside a text file are replaced by
U+FFFD (the replacement character) so they can be stored; a file that looks binary is refused.
``.xlsx`` files are read with openpyxl (``read_only``; formulas are read as their *text*, never
evaluated, since the workbook is opened with ``data_only=False``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from geo.errors import UnreadableFileError

_BINARY_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old-style .xls/OLE file (save it as .xlsx or CSV)"),
    (b"\x1f\x8b", "a gzip archive"),
)
ENCODINGS: Final[tuple[str, ...]] = ("utf-8-sig", "cp1252", "latin-1")
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True)
class RawTable:
    """A file read as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per header cell (names as in the file, made unique), all values ``str``.
    encoding : str
        The encoding used (``"xlsx"`` for Excel).
    content_hash : str
        sha256 of the file's bytes.
    """

    frame: pd.DataFrame
    encoding: str
    content_hash: str


def read_table(path: str | os.PathLike[str]) -> RawTable:
    """Read a CSV or ``.xlsx`` file as text.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    RawTable

    Raises
    ------
    UnreadableFileError
        The file is missing, empty, binary, not CSV/Excel, or has no header.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = p.write_bytes("\\ufeffid,place\\n1,Café\\n".encode("utf-8"))
    >>> t = read_table(p)
    >>> t.encoding, t.frame.to_dict("list")
    ('utf-8-sig', {'id': ['1'], 'place': ['Café']})
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableFileError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise UnreadableFileError(f"{path}: is a folder, not a CSV or Excel file") from exc
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise UnreadableFileError(f"{path}: the file is empty (no header row)")
    if data[:4] == b"PK\x03\x04":
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise UnreadableFileError(f"{path}: a zip archive, not a CSV or .xlsx file")
        return RawTable(_read_xlsx(path), "xlsx", digest)
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise UnreadableFileError(f"{path}: {what}, not a CSV or Excel file")
    sample = data[:65536]
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if control > max(8, len(sample) // 20):
        raise UnreadableFileError(f"{path}: binary content, not a CSV or Excel file")
    text, encoding = _decode(data)
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return RawTable(_parse_csv(text, path), encoding, digest)


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 always decodes")  # pragma: no cover


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name.strip()
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _parse_csv(text: str, path: Path) -> pd.DataFrame:
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="c",
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
            header=None,
            names=None,
            low_memory=False,
        )
    except pd.errors.ParserError:
        # Ragged rows: the tolerant Python csv module keeps every cell.
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
        rows = [r for r in rows if any(c.strip() for c in r)]
        width = max(len(r) for r in rows)
        frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    except pd.errors.EmptyDataError as exc:
        raise UnreadableFileError(f"{path}: the file is empty (no header row)") from exc
    header = [str(c) for c in frame.iloc[0].tolist()]
    body = frame.iloc[1:].reset_index(drop=True)
    return _finish(body, header, path)


def _finish(body: pd.DataFrame, header: list[str], path: Path) -> pd.DataFrame:
    # Extra cells beyond the header get their own (unnamed) columns so nothing is lost.
    header = [h if h.strip() else f"column_{i + 1}" for i, h in enumerate(header)]
    if not any(h and not h.startswith("column_") for h in header):
        raise UnreadableFileError(f"{path}: no column names in the first row")
    body.columns = _unique_names(header)
    body = body.astype(object).where(body.notna(), "").astype(str)
    return body


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> pd.DataFrame:
    import openpyxl  # noqa: PLC0415  (only needed for Excel input)

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnreadableFileError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        rows = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise UnreadableFileError(f"{path}: the first worksheet is empty (no header row)")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    body = pd.DataFrame(rows[1:], columns=range(width), dtype=object)
    return _finish(body, rows[0], path)
