"""Decode a CSV file's bytes, line by line when its lines disagree about the encoding.

A file is UTF-8 (with or without a byte-order mark) when all of it decodes as UTF-8. Otherwise,
if no line holds valid non-ASCII UTF-8, it is Windows-1252 (else Latin-1, which always decodes),
as before. A *mixed* file (some lines valid UTF-8 with accents, some not: one pasted row from
another system) is decoded per line, by the majority of its non-ASCII lines: in a UTF-8 majority
each line that is not UTF-8 is decoded as Windows-1252 and flagged; in a Windows-1252 majority
each line that is valid UTF-8 is flagged (decoded as Windows-1252 it would read "CafÃ©"). The
rows holding a flagged line are quarantined by the ingest with :attr:`Decoded.reason`, so a
wrong decoding is never stored silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

ENCODINGS: Final[tuple[str, ...]] = ("utf-8-sig", "cp1252", "latin-1")
_BOM: Final[bytes] = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Decoded:
    """A decoded file.

    Attributes
    ----------
    text : str
    encoding : str
        ``"utf-8-sig"``, ``"cp1252"``, ``"latin-1"``, or for a mixed file ``"utf-8 (mixed)"`` /
        ``"cp1252 (mixed)"``.
    odd_lines : frozenset of int
        Physical line numbers (1-based; ``\\n``, ``\\r\\n`` or ``\\r`` ends a line) decoded
        against the file's majority.
    reason : str
        The quarantine reason for a row holding an odd line.
    """

    text: str
    encoding: str
    odd_lines: frozenset[int] = field(default_factory=frozenset)
    reason: str = ""


def _cp1252(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def decode(data: bytes) -> Decoded:
    """Decode ``data`` (see the module notes).

    Examples
    --------
    >>> decode("id,p\\n1,Café\\n".encode()).encoding
    'utf-8-sig'
    >>> decode("id,p\\n1,Café\\n".encode("cp1252")).text
    'id,p\\n1,Café\\n'
    >>> d = decode("id,p\\n1,Café\\n2,Bar\\n".encode() + "3,Cafè\\n".encode("cp1252"))
    >>> d.encoding, d.text.splitlines()[3], sorted(d.odd_lines)
    ('utf-8 (mixed)', '3,Cafè', [4])
    """
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8-sig")
    except UnicodeDecodeError:
        pass
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    lines = body.splitlines(keepends=True)
    good: list[int] = []  # non-ASCII lines that are valid UTF-8
    bad: list[int] = []
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
        else:
            good.append(number)
    if not good:  # a single-byte file throughout: the strict cascade, as before
        for encoding in ENCODINGS[1:]:
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError:
                continue
        raise AssertionError("latin-1 always decodes")  # pragma: no cover
    if len(good) >= len(bad):
        odd = set(bad)
        text = "".join(
            _cp1252(line) if n in odd else line.decode("utf-8")
            for n, line in enumerate(lines, start=1)
        )
        return Decoded(
            text,
            "utf-8 (mixed)",
            frozenset(odd),
            "row is not valid UTF-8 (the rest of the file is UTF-8): re-save the file as UTF-8",
        )
    text = "".join(_cp1252(line) for line in lines)
    return Decoded(
        text,
        "cp1252 (mixed)",
        frozenset(good),
        "row is UTF-8 in a file otherwise Windows-1252, so its accents would be misread: "
        "re-save the file as UTF-8",
    )
