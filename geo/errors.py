"""Exceptions raised by csmap. Each subclasses :class:`ValueError` (osmnx style)."""

from __future__ import annotations


class CsmapError(ValueError):
    """Base class of csmap's own errors."""


class UnreadableFileError(CsmapError):
    """A file cannot be read at all (not CSV/Excel, no usable columns, ...).

    The message names the file and what is wrong; the store is left untouched.
    """


class SchemaError(CsmapError):
    """Columns or a mapping file do not fit the record schema."""


class LocationError(CsmapError):
    """A location cannot be parsed or resolved."""


class LookupFileError(CsmapError):
    """A postcode or UPRN lookup file is missing or has the wrong columns."""


class StoreError(CsmapError):
    """The store cannot be opened or written."""


class ParameterError(CsmapError):
    """An analysis parameter is out of range or inconsistent."""


class ReconciliationError(RuntimeError):
    """The rows of an input do not reconcile: read != loaded + quarantined + duplicate.

    A defect in csmap, never bad input, so it is not a :class:`CsmapError` (exit 1, not 2). Raised,
    not asserted, so that ``python -O`` cannot silence it and nothing is lost unseen.
    """
