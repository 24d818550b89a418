"""Content hashes of records: ``row_hash``, the identity of a record's content.

``row_hash`` is the sha256 of ``name=value`` + U+001F for each canonical field with a non-empty
trimmed value (:meth:`str.strip`), in the order of the canonical names; other columns and the
provenance do not count, so a file without a column and one with the column empty agree. Arrow
does the joining in blocks of rows (a million rows of a dozen fields at once held over a
gigabyte); a plain-Python twin is the reference and the fallback for text Arrow cannot hold.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: The characters :meth:`str.strip` removes (Unicode white space, including U+001C-U+001F).
_PY_WHITESPACE = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


_HASH_BLOCK = 65_536
_CONTENT_BLOCK = 131_072


def _sha_of_joined(joined: Any) -> np.ndarray:
    """sha256 (hex) of each string of an Arrow (large_)string array."""
    joined = joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined
    if joined.type != pa.large_string():
        joined = joined.cast(pa.large_string())
    _, offsets_buf, data_buf = joined.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
        joined.offset : joined.offset + len(joined) + 1
    ]
    data = memoryview(data_buf) if data_buf is not None else memoryview(b"")
    sha = hashlib.sha256
    out = np.empty(len(joined), dtype=object)
    for start in range(0, len(joined), _HASH_BLOCK):  # blocks: no million-int list at once
        bounds = offsets[start : start + _HASH_BLOCK + 1].tolist()
        out[start : start + len(bounds) - 1] = [
            sha(data[a:b]).hexdigest() for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    return out


def content_hashes(canon: pd.DataFrame) -> np.ndarray:
    """``row_hash``: sha256 of ``name=value`` U+001F for each non-empty canonical field.

    Fields are taken in the order of their canonical names, values :meth:`str.strip`-ped; empty
    fields are left out, so a file without a column and one with the column empty agree.

    Examples
    --------
    >>> h = content_hashes(pd.DataFrame({"record_id": [" 7 ", "7"], "summary": ["", ""]}))
    >>> h[0] == h[1] == hashlib.sha256(b"record_id=7\x1f").hexdigest()
    True
    """
    names = sorted(canon.columns)
    if len(canon) == 0:
        return np.array([], dtype=object)
    if not names:
        return np.array([hashlib.sha256(b"").hexdigest()] * len(canon), dtype=object)
    # In blocks of rows: Arrow holds every field's pieces until the join, which for a million
    # rows of a dozen fields was over a gigabyte at once.
    out = np.empty(len(canon), dtype=object)
    for start in range(0, len(canon), _CONTENT_BLOCK):
        block = canon.iloc[start : start + _CONTENT_BLOCK]
        out[start : start + len(block)] = _content_hashes_block(block, names)
    return out


def _content_hashes_block(canon: pd.DataFrame, names: list[str]) -> np.ndarray:
    try:
        pieces = []
        for name in names:
            arr = pa.array(canon[name], type=pa.large_string())
            if arr.null_count:
                raise TypeError("null cells")
            trimmed = pc.utf8_trim(arr, characters=_PY_WHITESPACE)
            empty = pa.scalar("", type=pa.large_string())
            piece = pc.binary_join_element_wise(
                pa.scalar(f"{name}=", type=pa.large_string()),
                trimmed,
                pa.scalar("\x1f", type=pa.large_string()),
                empty,
            )
            pieces.append(pc.if_else(pc.equal(trimmed, empty), empty, piece))
        joined = pc.binary_join_element_wise(*pieces, pa.scalar("", type=pa.large_string()))
    except (pa.ArrowException, TypeError, ValueError):
        return content_hashes_python(canon)
    return _sha_of_joined(joined)


def content_hashes_python(canon: pd.DataFrame) -> np.ndarray:
    """:func:`content_hashes` in plain Python (the reference; text Arrow cannot hold)."""
    names = sorted(canon.columns)
    cols = [[str(v).strip() for v in canon[c].to_numpy(dtype=object)] for c in names]
    sha = hashlib.sha256
    return np.array(
        [
            sha(
                "".join(f"{n}={v}\x1f" for n, v in zip(names, row, strict=True) if v).encode(
                    "utf-8", "surrogatepass"
                )
            ).hexdigest()
            for row in zip(*cols, strict=True)
        ]
        if names
        else [sha(b"").hexdigest()] * len(canon),
        dtype=object,
    )
