"""Argument types shared by the ``csmap`` sub-commands (argparse ``type=`` callables).

Each takes the option's text and returns the parsed value, or raises
:class:`argparse.ArgumentTypeError` (argparse then prints one usage line and exits 2). Numbers must
be finite: ``nan`` and ``inf`` are refused everywhere.
"""

from __future__ import annotations

import argparse
import math

import pandas as pd


def _number(text: str, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive(text: str) -> float:
    """A finite number greater than 0 (a radius, an epsilon, a cell size in metres).

    Examples
    --------
    >>> positive("250")
    250.0
    >>> positive("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive number, got '0'
    """
    value = _number(text, "a number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def scale(text: str) -> float | str:
    """A positive number of metres, or ``"auto"`` (any case) for the method's automatic choice.

    Examples
    --------
    >>> scale("AUTO"), scale("500")
    ('auto', 500.0)
    >>> scale("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive number of metres, got '-1'
    """
    if text.strip().lower() == "auto":
        return "auto"
    value = _number(text, "metres or 'auto'")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of metres, got {text!r}")
    return value


def metres(text: str) -> float:
    """A finite distance in metres, 0 or more.

    Examples
    --------
    >>> metres("0"), metres("50")
    (0.0, 50.0)
    >>> metres("-5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a non-negative distance, got '-5'
    """
    value = _number(text, "metres")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative distance, got {text!r}")
    return value


def share(text: str) -> float:
    """A share strictly between 0 and 1 (a significance level, a share of cells).

    Examples
    --------
    >>> share("0.05")
    0.05
    >>> share("1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a share between 0 and 1, got '1'
    """
    value = positive(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, got {text!r}")
    return value


def count(text: str) -> int:
    """A whole number of 1 or more (events, months).

    Examples
    --------
    >>> count("12")
    12
    >>> count("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a whole number >= 1, got '0'
    """
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def seed(text: str) -> int:
    """A random seed: a whole number of 0 or more.

    Examples
    --------
    >>> seed("0")
    0
    >>> seed("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a seed >= 0, got '-1'
    """
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0, got {text!r}")
    return value


def date(text: str) -> pd.Timestamp:
    """A date such as ``2025-03-31`` (anything :class:`pandas.Timestamp` reads).

    Examples
    --------
    >>> date("2025-03-31")
    Timestamp('2025-03-31 00:00:00')
    >>> date("soon")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'soon' is not a date (use YYYY-MM-DD)
    """
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None
