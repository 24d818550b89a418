"""Read a CSV or Excel file as text, losing nothing.

Every cell is read as text (``""`` for empty); nothing is converted, evaluated or trusted as markup.
CSV encodings are tried in a strict cascade: UTF-8 (with or without a byte-order mark), then
Windows-1252, then Latin-1 (which always decodes); a file mixing UTF-8 and Windows-1252 lines is
decoded per line by the majority, and the rows against it get a reason in :attr:`RawTable.reasons`
(:mod:`geo.ingest.read.decoding`). NUL bytes inside a text file are replaced by U+FFFD (the
replacement
character) so they can be stored; a file that looks binary is refused, and so are a header of
more than 500 columns (before parsing) and a stray quote that folds rows into one cell
(:mod:`geo.ingest.read.csv_checks`). ``.xlsx`` files are read with openpyxl
(:mod:`geo.ingest.read.xlsx`:
``read_only``,
every row in the sheet whatever its stored dimension says, XML with a DOCTYPE refused; formulas
are read as their *text*, never evaluated). A workbook with more than one non-empty worksheet is
refused with an error naming the sheets (rows on a second sheet would otherwise be silently
ignored): save each sheet as its own file.

Rows and row numbers: a completely empty record (a blank line, a line of only white space or
only separators such as ``,,,``, an empty worksheet row) is not a record and is not counted in
``rows_read``, by every reader path; but row numbers still count it. :attr:`RawTable.rows` holds,
for each record, its *physical* row number: the row a person finds in Excel, or the line in a
text editor (the header line is row 1 when it is the first line). A cell holding a line break
makes a text editor's line numbers run ahead of Excel's rows; the number is then Excel's (the
record count, blank lines included).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from geo.errors import UnreadableFileError
from geo.ingest.read.csv_checks import MAX_COLUMNS, check_folded_rows, check_header_width
from geo.ingest.read.decoding import decode
from geo.ingest.read.xlsx import read_sheet_rows

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
    rows : numpy.ndarray or None
        Physical row number of each record of ``frame`` (see the module notes); ``None`` means
        ``2, 3, ...`` (no blank lines before or among the records). Use :meth:`row_numbers`.
    reasons : numpy.ndarray or None
        A quarantine reason per record found while reading (``""`` = none; ``None`` = none at
        all): a line decoded against the file's majority encoding (:mod:`geo.ingest.read.decoding`).
    """

    frame: pd.DataFrame
    encoding: str
    content_hash: str
    rows: np.ndarray | None = None
    reasons: np.ndarray | None = None

    def row_numbers(self) -> np.ndarray:
        """Physical row number of each record (header = 1 when it is the first line).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
        >>> _ = p.write_text("id,x\\n1,a\\n\\n,\\n2,b\\n")
        >>> t = read_table(p)
        >>> t.frame["id"].tolist(), t.row_numbers().tolist()
        (['1', '2'], [2, 5])
        """
        if self.rows is not None:
            return self.rows
        return np.arange(len(self.frame), dtype=np.int64) + 2


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
    if not data or data.isspace():
        raise UnreadableFileError(f"{path}: the file is empty (no header row)")
    if data[:4] == b"PK\x03\x04":
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise UnreadableFileError(f"{path}: a zip archive, not a CSV or .xlsx file")
        frame, rows = _read_xlsx(path)
        return RawTable(frame, "xlsx", digest, rows)
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise UnreadableFileError(f"{path}: {what}, not a CSV or Excel file")
    sample = data[:65536]
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if control > max(8, len(sample) // 20):
        raise UnreadableFileError(f"{path}: binary content, not a CSV or Excel file")
    decoded = decode(data)
    text, encoding = decoded.text, decoded.encoding
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if encoding == "utf-8-sig" and "\ufffd" not in text:
        utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    else:
        utf8 = text.encode("utf-8", "surrogatepass")
    check_header_width(text, path)  # before parsing: 200,000 columns took minutes to parse
    if decoded.odd_lines or _has_blank_lines(text):
        frame, rows, odd = _parse_csv_numbered(text, path, odd_lines=decoded.odd_lines)
        check_folded_rows(frame, rows, text=text, path=path)
        reasons = None
        if odd.any():
            reasons = np.where(odd, decoded.reason, "").astype(object)
        return RawTable(frame, encoding, digest, rows, reasons)
    frame = _parse_csv(text, path, utf8=utf8)
    frame, kept = _drop_empty(frame, np.arange(len(frame), dtype=np.int64) + 2)
    table = RawTable(frame, encoding, digest, kept)
    check_folded_rows(frame, table.row_numbers(), text=text, path=path)
    return table


def _check_width(width: int, rows: list[list[str]], path: Path) -> None:
    """Refuse a ragged file with a row of more than :data:`MAX_COLUMNS` cells (before framing)."""
    if width <= MAX_COLUMNS:
        return
    number = next(i for i, r in enumerate(rows, start=1) if len(r) == width)
    raise UnreadableFileError(
        f"{path}: record {number} has {width} cells; at most {MAX_COLUMNS} columns are read"
    )


# A blank line: the first line, or a line after "\n", holding only [ \t\r\f\v]. Two patterns, so
# the search can skip ahead to each literal "\n" (one alternation with ``\A`` tries every position:
# 7x slower on a 50 MB file).
_BLANK_FIRST_LINE = re.compile(r"[ \t\r\f\v]*(?:\n|\Z)")
_BLANK_INNER_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def _has_blank_lines(text: str) -> bool:
    """Blank lines before the last record (they shift physical row numbers), or bare-CR lines."""
    body = text.rstrip()  # so a blank line can only be the first line or end in "\n"
    return (
        bool(_BLANK_FIRST_LINE.match(body))
        or bool(_BLANK_INNER_LINE.search(body))
        or ("\r" in body and "\n" not in body)
    )


def _drop_empty(frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Drop completely empty records (every cell white space); keep the others' row numbers."""
    if frame.empty or frame.shape[1] == 0:
        return frame, None
    empty = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        empty &= (frame[col].str.strip() == "").to_numpy(dtype=bool)
        if not empty.any():
            return frame, None
    keep = ~empty
    return frame[keep].reset_index(drop=True), rows[keep]


def _parse_csv_numbered(
    text: str, path: Path, *, odd_lines: frozenset[int] = frozenset()
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The csv-module reader, counting every record (blank ones too) for physical row numbers.

    Also returns, per record, whether any of its physical lines is in ``odd_lines``.
    """
    end = text.find("\n")
    lines = text.strip().splitlines()
    if not lines:  # only white space (str.strip also removes separators such as \x1c-\x1f)
        raise UnreadableFileError(f"{path}: no header row (the file holds only blank space)")
    first_line = (text if end < 0 else text[:end]).strip() or lines[0]
    try:
        sep = csv.Sniffer().sniff(first_line, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    records: list[list[str]] = []
    numbers: list[int] = []
    odd: list[bool] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        line_to = 0  # the physical lines of each record: line_from..line_to
        for number, row in enumerate(reader, start=1):
            line_from, line_to = line_to + 1, reader.line_num
            if any(c.strip() for c in row):
                records.append(row)
                numbers.append(number)
                odd.append(
                    bool(odd_lines) and any(n in odd_lines for n in range(line_from, line_to + 1))
                )
    except csv.Error as exc:
        raise UnreadableFileError(f"{path}: not a readable CSV file ({exc})") from exc
    if not records:
        raise UnreadableFileError(f"{path}: the file is empty (no header row)")
    width = max(len(r) for r in records)
    _check_width(width, records, path)
    body = pd.DataFrame([r + [""] * (width - len(r)) for r in records[1:]], dtype=object)
    if body.shape[1] == 0:
        body = pd.DataFrame(columns=range(width), dtype=object)
    frame = _finish(body, records[0] + [""] * (width - len(records[0])), path)
    return frame, np.asarray(numbers[1:], dtype=np.int64), np.asarray(odd[1:], dtype=bool)


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


def _parse_arrow(utf8: bytes, text: str, sep: str) -> pd.DataFrame | None:
    """Fast path: pyarrow's multi-threaded CSV reader, every column as text.

    Returns None (the caller falls back to pandas/the csv module) unless the file is a clean
    rectangle of at least two columns, where both readers agree cell for cell.
    """
    try:
        width = len(next(csv.reader(io.StringIO(text[:1_000_000]), delimiter=sep)))
    except (StopIteration, csv.Error):
        return None
    if width < 2:  # whitespace-only lines would be kept, where pandas skips them
        return None
    names = [f"f{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(utf8),
            read_options=pa_csv.ReadOptions(
                autogenerate_column_names=True, block_size=16 << 20, use_threads=True
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=True,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # ragged rows, a row longer than a block, ...: the tolerant path decides
    if table.column_names != names or table.num_rows == 0:
        return None
    return table.to_pandas()


def _parse_csv(text: str, path: Path, *, utf8: bytes | None = None) -> pd.DataFrame:
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    fast = _parse_arrow(utf8, text, sep) if utf8 is not None else None
    if fast is not None:
        header = [str(c) for c in fast.iloc[0].tolist()]
        return _finish(fast.iloc[1:].reset_index(drop=True), header, path, clean=True)
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
        # Ragged rows: the tolerant Python csv module keeps every cell. ``newline=""`` lets it see
        # a bare "\r" (old Mac line end) as pandas does, instead of raising on it.
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        except csv.Error as exc:
            raise UnreadableFileError(f"{path}: not a readable CSV file ({exc})") from exc
        rows = [r for r in rows if r]  # all-empty records are dropped (numbered) by read_table
        width = max(len(r) for r in rows)
        _check_width(width, rows, path)
        frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    except pd.errors.EmptyDataError as exc:
        raise UnreadableFileError(f"{path}: the file is empty (no header row)") from exc
    header = [str(c) for c in frame.iloc[0].tolist()]
    body = frame.iloc[1:].reset_index(drop=True)
    return _finish(body, header, path)


def _finish(
    body: pd.DataFrame, header: list[str], path: Path, *, clean: bool = False
) -> pd.DataFrame:
    # Extra cells beyond the header get their own (unnamed) columns so nothing is lost.
    header = [h if h.strip() else f"column_{i + 1}" for i, h in enumerate(header)]
    if not any(h and not h.startswith("column_") for h in header):
        raise UnreadableFileError(f"{path}: no column names in the first row")
    body.columns = _unique_names(header)
    if clean:  # already text without nulls (the pyarrow path)
        return body
    body = body.astype(object).where(body.notna(), "").astype(str)
    return body


def _read_xlsx(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    rows, numbers = read_sheet_rows(path)
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    body = pd.DataFrame(rows[1:], columns=range(width), dtype=object)
    return _finish(body, rows[0], path), np.asarray(numbers[1:], dtype=np.int64)


#: Environment variable holding the upload limit in megabytes (default
#: :data:`DEFAULT_MAX_UPLOAD_MB`, as ``server.maxUploadSize`` in ``.streamlit/config.toml``).
MAX_UPLOAD_ENV: Final[str] = "CSMAP_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB: Final[int] = 50


class UploadTooLargeError(UnreadableFileError):
    """An uploaded file is larger than the configured limit (``CSMAP_MAX_UPLOAD_MB``)."""


def max_upload_bytes() -> int:
    """The upload limit in bytes: ``CSMAP_MAX_UPLOAD_MB`` (megabytes, > 0), default 50.

    Raises
    ------
    UnreadableFileError
        The variable is set but is not a positive number.

    Examples
    --------
    >>> import os
    >>> os.environ.pop("CSMAP_MAX_UPLOAD_MB", None) and None
    >>> max_upload_bytes()
    52428800
    """
    text = os.environ.get(MAX_UPLOAD_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = float("nan")
    if not megabytes > 0 or megabytes == float("inf"):
        raise UnreadableFileError(f"{MAX_UPLOAD_ENV}={text!r}: not a positive number of megabytes")
    return int(megabytes * 1024 * 1024)


def check_upload_size(data: bytes | bytearray | memoryview, *, name: str) -> None:
    """Refuse uploaded bytes larger than :func:`max_upload_bytes` (call before reading them).

    Parameters
    ----------
    data : bytes
        The uploaded file's content.
    name : str
        The file name, for the message.

    Raises
    ------
    UploadTooLargeError
        ``len(data)`` is over the limit; the message names the file, its size and the limit.

    Examples
    --------
    >>> check_upload_size(b"id,date\\n", name="c.csv")
    >>> check_upload_size(b"x" * (51 * 1024 * 1024), name="big.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.ingest.read.readers.UploadTooLargeError: big.csv: the file is 51.0 MB; uploads are...
    """
    limit = max_upload_bytes()
    size = len(data) if not isinstance(data, memoryview) else data.nbytes
    if size > limit:
        raise UploadTooLargeError(
            f"{name}: the file is {size / 1024 / 1024:.1f} MB; uploads are limited to "
            f"{limit / 1024 / 1024:.1f} MB (set {MAX_UPLOAD_ENV} to change the limit, and "
            "server.maxUploadSize in .streamlit/config.toml to match)"
        )
