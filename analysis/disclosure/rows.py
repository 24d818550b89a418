"""Disclosure control of rows of related counts (a venue watchlist's windows).

Re-exported by :mod:`analysis.disclosure.control`. A watchlist row carries ``n_3m`` (concerns in the
last 3 months), ``prev_3m`` (the 3 months before) and ``n_6m`` (the last 6 months): ``n_6m =
n_3m + prev_3m``. Suppressing each column on its own leaves a hidden ``n_3m`` as ``n_6m -
prev_3m``. :func:`suppress_related_counts` suppresses the columns *together*, row by row, with
secondary suppression against those sums (the same solver as for a table with totals).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from analysis.disclosure.secondary import secondary_mask

__all__ = ["RowPolicy", "suppress_related_counts", "window_relations"]


class RowPolicy(Protocol):
    """What :func:`suppress_related_counts` needs of a policy (a :class:`DisclosurePolicy`)."""

    @property
    def primary_marker(self) -> str: ...

    def table(self, data: pd.Series, *, totals: Any = ..., keys: Any = ...) -> Any: ...


_WINDOW = re.compile(r"^(n|prev)_(\d+)m$")


def window_relations(columns: Sequence[object]) -> list[tuple[str, ...]]:
    """The sums among watchlist window columns: ``(n_<2m>m, n_<m>m, prev_<m>m)``.

    The current ``2m``-month window is the current ``m``-month window plus the ``m`` months
    before it (:func:`analysis.views.proximity.watchlist`).

    Examples
    --------
    >>> window_relations(["n_3m", "prev_3m", "n_6m", "prev_6m", "n_12m", "prev_12m", "cat_CSE"])
    [('n_6m', 'n_3m', 'prev_3m'), ('n_12m', 'n_6m', 'prev_6m')]
    """
    names = {str(c) for c in columns}
    months = sorted({int(m.group(2)) for c in names if (m := _WINDOW.match(c))})
    return [
        (f"n_{2 * m}m", f"n_{m}m", f"prev_{m}m")
        for m in months
        if {f"n_{2 * m}m", f"n_{m}m", f"prev_{m}m"} <= names
    ]


def suppress_related_counts(
    counts: pd.DataFrame,
    *,
    policy: RowPolicy,
    relations: Sequence[Sequence[str]],
    keys: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress count columns row by row so that no hidden count follows from the relations.

    Parameters
    ----------
    counts : pandas.DataFrame
        Non-negative integer count columns, one row per item (venue).
    policy : DisclosurePolicy
        Threshold and markers (small counts of each column are primary suppressions).
    relations : sequence of sequence of str
        Each ``(total, part, part, ...)``: the first column is the sum of the others in every row.
    keys : pandas.DataFrame, optional
        Cell keys of the counts (same index; any of the columns): those columns are perturbed first
        (:mod:`analysis.disclosure.cell_key`), and the perturbed counts are shown and suppressed.

    Returns
    -------
    (display, hidden)
        Display text (the marker where hidden) and the boolean mask, both like ``counts``.

    Examples
    --------
    >>> from analysis.disclosure.control import DisclosurePolicy
    >>> w = pd.DataFrame({"n_3m": [3, 20], "prev_3m": [12, 9], "n_6m": [15, 29]})
    >>> shown, hidden = suppress_related_counts(
    ...     w, policy=DisclosurePolicy(), relations=[("n_6m", "n_3m", "prev_3m")])
    >>> shown.values.tolist()
    [['c', 'c', '15'], ['20', '9', '29']]
    """
    columns = list(counts.columns)
    values = counts.to_numpy(dtype=np.int64).copy()
    hidden = np.zeros(values.shape, dtype=bool)
    for j, column in enumerate(columns):
        cell_keys = None  # columns without keys are not perturbed
        if keys is not None and column in keys.columns:
            cell_keys = keys[column].reindex(counts.index, fill_value=0)
        table = policy.table(counts[column].astype("int64"), totals="none", keys=cell_keys)
        hidden[:, j] = table.suppressed.to_numpy()
        values[:, j] = table.values.fillna(0).to_numpy(dtype=np.int64)  # perturbed, rounded
    display = values.astype(str).astype(object)
    position = {str(c): j for j, c in enumerate(columns)}
    lines = [
        [(0, position[str(c)]) for c in relation]
        for relation in relations
        if all(str(c) in position for c in relation)
    ]
    if lines:
        for i in np.flatnonzero(hidden.any(axis=1)):
            row = values[i][None, :]
            mask = hidden[i][None, :]
            extra = secondary_mask(row, mask, lines, 1, len(columns))
            hidden[i] |= extra[0]
    display[hidden] = policy.primary_marker
    return (
        pd.DataFrame(display, index=counts.index, columns=counts.columns),
        pd.DataFrame(hidden, index=counts.index, columns=counts.columns),
    )
