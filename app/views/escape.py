"""Escaping of user-supplied text for everything Streamlit renders as Markdown (issue #12 item 16).

Streamlit renders Markdown in ``st.markdown``, ``st.write`` (of a string), ``st.caption``,
``st.info``/``warning``/``error``/``success``, ``st.title``/``header``/``subheader``, and in the
labels of widgets, metrics, expanders, tabs and ``st.status``. A file name such as
``![x](http://127.0.0.1:9/x.png).csv`` placed there becomes an image the browser fetches; a place,
venue or user name can likewise become a link, colour directive or formula. Every value that
comes from a user or a data file goes through :func:`md_escape` before it is put into such text
(``tests/app/views/test_escape.py`` checks the app's calls).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["md_escape"]

#: Characters with a meaning anywhere in a line: backslash, code, emphasis, links and images
#: (``[``/``]``; ``!`` and ``(`` only matter next to them), HTML and autolinks, tables,
#: strikethrough, maths (``$``) and Streamlit's ``:colour[...]`` directives (``[``).
_SPECIAL: Final[re.Pattern[str]] = re.compile(r"([\\`*\[\]<>|~$])")
#: ``_`` makes emphasis only at a word's edge (``my_file_name`` stays as it is).
_UNDERSCORES: Final[re.Pattern[str]] = re.compile(r"_+")
#: Meaningful at the start of a line (headings, block quotes, lists).
_LEADING: Final[re.Pattern[str]] = re.compile(r"^(\s*)(?:([#+\-=])|(\d+)([.)]))")
#: GFM turns bare web addresses into links: break ``://`` and ``www.``.
_AUTOLINK: Final[re.Pattern[str]] = re.compile(r"(?<=:)/|(?<=\bwww)\.", re.IGNORECASE)
_LINE_BREAKS: Final[re.Pattern[str]] = re.compile(r"[\r\n\t\f\v\u2028\u2029\x85]+")


def md_escape(value: object) -> str:
    """``value`` as text that Markdown shows literally (one line, its syntax escaped).

    Parameters
    ----------
    value : object
        Anything; it is converted with ``str``.

    Returns
    -------
    str
        Line breaks become spaces (a name cannot start a new block); every character that
        starts Markdown syntax is preceded by a backslash, so nothing in it is a link, image,
        emphasis, code span, HTML tag, heading, list, table, directive or formula. Ordinary
        punctuation (``( ) . , : ' -`` inside text) is left as it is.

    Examples
    --------
    >>> print(md_escape("![x](http://127.0.0.1:9/x.png).csv"))
    !\\[x\\](http:\\//127.0.0.1:9/x.png).csv
    >>> print(md_escape("St Mary's *Park*\\n# Top | see www.x.org"))
    St Mary's \\*Park\\* # Top \\| see www\\.x.org
    >>> print(md_escape("my_file_name.csv _x_"))
    my_file_name.csv \\_x\\_
    >>> print(md_escape("1. first"))
    1\\. first
    >>> md_escape(12)
    '12'
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _SPECIAL.sub(r"\\\1", text)
    text = _UNDERSCORES.sub(_escape_underscores, text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    return _LEADING.sub(_escape_leading, text)


def _escape_leading(match: re.Match[str]) -> str:
    space, mark, number, delimiter = match.groups()
    return f"{space}\\{mark}" if mark else f"{space}{number}\\{delimiter}"


def _escape_underscores(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    inside = start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
    return match.group(0) if inside else "\\_" * (end - start)
