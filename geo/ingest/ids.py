"""Record ids compared as a person reads them: invisible characters and look-alike spaces removed.

Two ids that differ only by a zero-width space (U+200B), a byte-order mark (U+FEFF), a
non-breaking space (U+00A0) or another format or space character look the same on screen, so
de-duplication (within a file and against the store) must treat them as the same id. An id is
normalised by removing invisible characters (Unicode category ``Cf``, plus the combining
grapheme joiner and the Hangul fillers), applying NFKC (which maps compatibility spaces and
full-width forms to their plain forms) and trimming white space. Plain ASCII ids are only
trimmed, as before.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import pandas as pd

#: Characters that render as nothing: Unicode format characters (``Cf``) and a few others.
_INVISIBLE: Final[re.Pattern[str]] = re.compile(
    "["
    "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "]"
)


def normalise_id(text: str) -> str:
    """One id, normalised (see the module notes).

    Examples
    --------
    >>> normalise_id("\\ufeffR1\\u200b "), normalise_id("AB\\u00a012"), normalise_id("Ｒ１")
    ('R1', 'AB 12', 'R1')
    """
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).strip()


def normalise_ids(series: pd.Series) -> pd.Series:
    """Ids normalised (see the module notes) as text; same index.

    Only non-ASCII values are looked at one by one, so a file of plain ids costs one
    vectorised ``strip`` (text as the readers give it stays Arrow-backed ``str``).

    Examples
    --------
    >>> normalise_ids(pd.Series(["R1", " R2", "R1\\u200b"], index=[5, 6, 7])).to_dict()
    {5: 'R1', 6: 'R2', 7: 'R1'}
    """
    if not isinstance(series.dtype, pd.StringDtype) or series.hasnans:
        series = series.astype(object).fillna("").astype(str)
    out = series.str.strip()
    odd = ~series.str.isascii().to_numpy(dtype=bool)
    if odd.any():
        values = out.to_numpy(dtype=object)
        values[odd] = [normalise_id(v) for v in series[odd].tolist()]
        out = pd.Series(values, index=series.index, dtype=object)
    return out
