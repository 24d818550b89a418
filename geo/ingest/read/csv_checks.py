"""Checks on a CSV file's text that refuse hostile input before or after parsing.

Used by :func:`geo.ingest.read.readers.read_table`:

- :func:`check_header_width`: a header of more than :data:`MAX_COLUMNS` cells is refused from the
  header line alone, before the file is parsed (a 1.6 MB file of 200,000 columns otherwise took
  minutes and gigabytes to parse into a frame).
- :func:`check_folded_rows`: one stray quote (``"Bus station`` with no closing quote) makes every
  CSV parser read the rest of the file, or up to the next quote, into one cell: the rows there
  would be neither loaded nor quarantined. A cell holding lines that look like records of the file
  is refused, naming the row and field where the quote opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo.errors import UnreadableFileError

#: The most columns a file may have (the record kinds have at most about 30 canonical columns).
MAX_COLUMNS: Final[int] = 500
_DELIMITERS: Final[str] = ",;\t|"


def check_header_width(text: str, path: Path) -> None:
    """Refuse a file whose first line has more than :data:`MAX_COLUMNS` cells (before parsing).

    Only the first line is looked at (an upper bound on its cells: the separators in it, quoted
    or not, plus one), so the refusal costs nothing however wide the file is.

    Raises
    ------
    UnreadableFileError
        The message names the file and the column count.

    Examples
    --------
    >>> check_header_width("a,b\\n1,2\\n", Path("ok.csv"))
    >>> check_header_width(",".join(["c"] * 600), Path("wide.csv"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.UnreadableFileError: wide.csv: row 1 (the header) has 600 columns; at most 500...
    """
    end = text.find("\n")
    first = text[: end if end >= 0 else min(len(text), 10_000_000)]
    widest = max(first.count(sep) for sep in _DELIMITERS) + 1
    if widest <= MAX_COLUMNS:
        return
    quoted = first.count('"') >= 2
    if quoted:  # separators inside quoted names do not count: split properly (one line only)
        import csv
        import io

        widest = max(
            len(next(csv.reader(io.StringIO(first), delimiter=sep))) for sep in _DELIMITERS
        )
        if widest <= MAX_COLUMNS:
            return
    raise UnreadableFileError(
        f"{path}: row 1 (the header) has {widest} columns; at most {MAX_COLUMNS} are read "
        "(is this the right file?)"
    )


def check_folded_rows(frame: pd.DataFrame, rows: np.ndarray, *, text: str, path: Path) -> None:
    """Refuse a file where an unclosed quote folded following rows into one cell.

    Parameters
    ----------
    frame : pandas.DataFrame
        The parsed records (text).
    rows : numpy.ndarray
        Each record's physical row number (header = 1).
    text : str
        The decoded file.
    path : Path
        For the message.

    Raises
    ------
    UnreadableFileError
        A cell holds a line break followed by a line with as many separators as a record of the
        file (one such line when the file has 4+ columns, two otherwise). The message names the
        file, the row and field where the quote opened, and how many lines were folded.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> cell = "Bus station,53.6\\n2,Town,53.7\\n3,Park,53.8"
    >>> f = pd.DataFrame({"id": ["1"], "place": [cell], "lat": ["x"]})
    >>> check_folded_rows(f, np.array([2]), text="id,place,lat\\n1,'" + cell, path=Path("q.csv"))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.UnreadableFileError: q.csv: row 2, field place: a quote opened here is not closed...
    """
    # The header's width: a folded row can make a ragged record, which adds unnamed columns.
    width = sum(1 for c in frame.columns if not str(c).startswith("column_")) or frame.shape[1]
    if width < 2 or frame.empty:
        return
    # Fast exit: no cell holds a line break when there are no more lines than records.
    last = int(rows[-1]) if len(rows) else 1
    if text.count("\n") <= last:
        return
    need = 1 if width >= 4 else 2
    for col in frame.columns:
        values = frame[col]
        multi = np.flatnonzero(values.str.contains("\n", regex=False).to_numpy(dtype=bool))
        for pos in multi:
            lines = [line for line in str(values.iloc[pos]).split("\n")[1:] if line.strip()]
            looks = sum(
                1 for line in lines if max(line.count(sep) for sep in _DELIMITERS) >= width - 1
            )
            if looks >= need:
                raise UnreadableFileError(
                    f"{path}: row {int(rows[pos])}, field {col}: a quote opened here is not "
                    f"closed, so the next {len(lines)} lines were read into this one cell "
                    "(a value holding a quote must be quoted, with the quote doubled: "
                    '"Bus ""station"""); fix the file and ingest again'
                )
