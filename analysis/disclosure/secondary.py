"""Secondary suppression: which further entries to hide so no hidden entry follows by subtraction.

Re-exported by :mod:`analysis.disclosure.control` (use that module); see its notes for the rule. The
relations are general linear sums ("this entry is the sum of those"), so the same solver checks
a 2-D table against its totals and a row of related counts (a watchlist's 6-month count is the
3-month count plus the previous 3 months) in :mod:`analysis.disclosure.rows`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import null_space

__all__ = ["recoverable_cells", "secondary_mask", "table_relations"]

_TOL = 1e-9


def table_relations(
    n_r: int, n_c: int, totals: str
) -> tuple[list[list[tuple[int, int]]], int, int]:
    """Each linear relation of a table with totals, and the extended shape.

    Parameters
    ----------
    n_r, n_c : int
        Shape of the table without totals.
    totals : {"none", "per_row", "per_column", "both"}
        Which totals are published.

    Returns
    -------
    (relations, rows, columns)
        Each relation is ``[(i, j) of the total, then the cells that sum to it]``; the extended
        shape includes the total row/column.

    Examples
    --------
    >>> table_relations(1, 2, "per_row")
    ([[(0, 2), (0, 0), (0, 1)]], 1, 3)
    """
    row_tot = totals in ("per_row", "both")
    col_tot = totals in ("per_column", "both")
    e_r, e_c = n_r + int(col_tot), n_c + int(row_tot)
    lines: list[list[tuple[int, int]]] = []
    if row_tot:
        for i in range(e_r):
            lines.append([(i, n_c)] + [(i, j) for j in range(n_c)])
    if col_tot:
        for j in range(e_c):
            lines.append([(n_r, j)] + [(i, j) for i in range(n_r)])
    return lines, e_r, e_c


def recoverable_cells(
    suppressed: np.ndarray, lines: list[list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """Suppressed entries whose value follows exactly from the published entries and totals.

    Parameters
    ----------
    suppressed : numpy.ndarray of bool
        Mask over the extended table (cells plus total row/column).
    lines : list of list of (row, column)
        Each relation: the first entry is the total, the others the cells that sum to it.

    Returns
    -------
    list of (row, column)
        Entries that can be solved by linear algebra on the published values.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.array([[True, False, False]])
    >>> recoverable_cells(mask, [[(0, 2), (0, 0), (0, 1)]])  # x0 + x1 = total, x1 shown
    [(0, 0)]
    >>> recoverable_cells(np.array([[True, True, False]]), [[(0, 2), (0, 0), (0, 1)]])
    []
    """
    unknown = [tuple(int(v) for v in ij) for ij in np.argwhere(suppressed)]
    if not unknown or not lines:
        return []
    position = {ij: k for k, ij in enumerate(unknown)}
    rows = []
    for line in lines:
        coeffs = np.zeros(len(unknown))
        for n, ij in enumerate(line):
            if ij in position:
                coeffs[position[ij]] = -1.0 if n == 0 else 1.0
        if coeffs.any():
            rows.append(coeffs)
    if not rows:
        return []
    basis = null_space(np.vstack(rows))
    if basis.shape[1] == 0:
        return [(int(i), int(j)) for i, j in unknown]
    free = np.abs(basis).max(axis=1) > _TOL
    return [(int(unknown[k][0]), int(unknown[k][1])) for k in np.flatnonzero(~free)]


def _pick_partner(
    values: np.ndarray,
    suppressed: np.ndarray,
    line: list[tuple[int, int]],
    n_r: int,
    n_c: int,
) -> tuple[int, int] | None:
    candidates = [ij for ij in line if not suppressed[ij]]
    if not candidates:
        return None

    def key(ij: tuple[int, int]) -> tuple[bool, bool, int, tuple[int, int]]:
        is_total = ij[0] >= n_r or ij[1] >= n_c
        return (values[ij] == 0, is_total, int(values[ij]), ij)

    return min(candidates, key=key)


def secondary_mask(
    values: np.ndarray, primary: np.ndarray, lines: list[list[tuple[int, int]]], n_r: int, n_c: int
) -> np.ndarray:
    """The secondary suppressions that protect ``primary`` against the relations ``lines``.

    Entries at row ``>= n_r`` or column ``>= n_c`` are totals (hidden only after cells).

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[3, 10, 12, 25]])
    >>> primary = np.array([[True, False, False, False]])
    >>> lines, _, _ = table_relations(1, 3, "per_row")
    >>> secondary_mask(values, primary, lines, 1, 3).tolist()
    [[False, True, False, False]]
    """
    suppressed = primary.copy()
    while True:
        changed = True
        while changed:  # cheap per-line rule to a fixed point
            changed = False
            for line in lines:
                if sum(bool(suppressed[ij]) for ij in line) == 1:
                    pick = _pick_partner(values, suppressed, line, n_r, n_c)
                    if pick is not None:
                        suppressed[pick] = True
                        changed = True
        exposed = recoverable_cells(suppressed, lines)
        if not exposed:
            return suppressed & ~primary
        target = exposed[0]
        pick = None
        for line in lines:
            if target in line:
                pick = _pick_partner(values, suppressed, line, n_r, n_c)
                if pick is not None:
                    break
        if pick is None:  # every entry of its lines is hidden: hide the smallest anywhere
            rest = np.argwhere(~suppressed)
            if len(rest) == 0:
                return suppressed & ~primary
            pick = min(
                ((int(i), int(j)) for i, j in rest),
                key=lambda ij: (values[ij] == 0, int(values[ij]), ij),
            )
        suppressed[pick] = True
