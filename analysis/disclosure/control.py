"""Statistical disclosure control for partner and board outputs (pure functions, no streamlit).

What this module does, and the defaults (all configurable through :class:`DisclosurePolicy`):

Small-count suppression (:func:`suppress_counts`)
    Counts ``1 .. threshold-1`` (default threshold 5, so 1-4) are *primary* suppressed.
Cell key perturbation (``keys=`` of :func:`suppress_counts`, :mod:`analysis.disclosure.cell_key`)
    When the caller passes the cells' keys (sum of their records' keys), every count and total
    is first perturbed by a fixed amount looked up in the p-table, so that the same records
    always give the same value and the difference of two overlapping queries is noisy (see
    ``docs/disclosure.md``). Small-count suppression then applies to the true *and* the
    perturbed count: a cell is hidden when either is ``1 .. threshold-1``.
Zeros
    Shown by default (``zeros="show"``): a structural zero says nothing about an individual child,
    and hiding zeros hides where nothing happened. ``zeros="suppress"`` treats 0 like a small
    count (use it when even "none here" is sensitive, e.g. a small area where a known child lives).
Secondary suppression
    For tables with totals (1-D with a total; 2-D with row totals, column totals or both, plus
    the grand total), more cells are suppressed until *no suppressed cell can be solved from the
    published totals by subtraction*. First a cheap rule runs to a fixed point: a row or column
    (line) with exactly one suppressed entry gets its smallest other non-zero entry suppressed
    (interior cells before totals, zeros last). Then an exact check: a suppressed entry is
    recoverable iff its unit vector lies in the row space of the linear relations (sums) restricted
    to the suppressed entries, i.e. iff every null-space vector is zero there. Each recoverable
    entry gets a partner in one of its lines, and the loop repeats. This also catches patterns the
    per-line rule misses (a suppressed cell bridging two otherwise closed patterns). Intervals
    implied by non-negativity are not controlled (as in most published tables).
Display
    Suppressed cells are ``<NA>`` in a nullable ``Int64`` result and a marker in the display
    table. The default marker is ``"c"`` for primary *and* secondary cells (DfE convention):
    distinct markers (``"<5"`` vs ``"c"``) would tell a reader which cell is the small one.
Rounding (:func:`round_counts`)
    Optional, to the nearest 5 or 10 (halves up), applied after suppression; totals are rounded
    independently, so rounded cells need not add up to rounded totals.
Minimum distinct children (:func:`filter_min_children`, ``children=`` of :func:`suppress_counts`)
    A cell or hotspot is shown to partner/board roles only when it involves at least
    ``min_children`` (default 5) distinct children, so "12 concerns" about one child is not shown.
    Records without a ``child_ref`` are not counted as distinct children (conservative).
Displacement (:func:`displace_points`)
    Optional donut geomasking for partner maps: each point moves a random distance in
    ``[min_m, max_m]`` in a uniformly random direction (uniform over the annulus area). The seed
    must stay secret: with the seed, displacement can be undone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.disclosure.cell_key import (
    DEFAULT_SECRET,
    PTable,
    RecordKeyTable,
    cell_keys,
    record_keys_of,
)
from analysis.disclosure.rows import suppress_related_counts, window_relations
from analysis.disclosure.secondary import recoverable_cells, secondary_mask, table_relations
from analysis.disclosure.spatial import (
    LOCATION_COLUMNS,
    count_children,
    displace_points,
    filter_min_children,
)
from geo.errors import ParameterError

__all__ = [
    "LOCATION_COLUMNS",
    "SMALL_COUNT_REASON",
    "DisclosurePolicy",
    "SuppressedTable",
    "count_children",
    "displace_points",
    "filter_min_children",
    "recoverable_cells",
    "secondary_mask",
    "table_relations",
    "round_counts",
    "suppress_counts",
    "suppress_related_counts",
    "window_relations",
]

Zeros = Literal["show", "suppress"]
Totals = Literal["none", "per_row", "per_column", "both"]
TOTAL_LABEL = "Total"
#: The reason shown for a count hidden because its true *or* perturbed value is small (both
#: cases get this one text: telling them apart would reveal which hidden counts are really large).
SMALL_COUNT_REASON = "small count"


@dataclass(frozen=True)
class SuppressedTable:
    """A count table after disclosure control.

    Attributes
    ----------
    values : pandas.Series or pandas.DataFrame
        Nullable ``Int64`` counts, ``<NA>`` where suppressed; totals (labelled ``"Total"``)
        appended as requested.
    display : pandas.Series or pandas.DataFrame
        Text for people: the count, or the marker where suppressed.
    primary, secondary : pandas.Series or pandas.DataFrame
        Boolean masks of the primary (small count) and secondary (protective) suppressions.
    threshold : int
        Counts below it (and above zero) were suppressed.
    totals : str
        Which totals the table carries.
    perturbed : bool
        Whether the shown counts are cell-key perturbed (not the true counts).
    reasons : pandas.Series or pandas.DataFrame or None
        Why each entry is hidden, for a reason column or caption: ``"small count"``
        (:data:`SMALL_COUNT_REASON`: the true or the perturbed count is below the threshold, or
        zero when zeros are suppressed; the two cases are deliberately not told apart),
        ``"fewer than 5 children"``, ``"secondary suppression"`` (hidden so that a small count
        cannot be worked out by subtraction); empty text where shown.
    """

    values: Any
    display: Any
    primary: Any
    secondary: Any
    threshold: int
    totals: str
    perturbed: bool = False
    reasons: Any = None

    @property
    def suppressed(self) -> Any:
        """Boolean mask of every suppressed entry."""
        return self.primary | self.secondary


def _as_frame(data: pd.Series | pd.DataFrame, name: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else name)
    return pd.DataFrame(data)


def _column(frame: pd.DataFrame, name: Any) -> pd.Series:
    column = frame.iloc[:, 0].copy()
    column.name = name
    return column


def suppress_counts(
    data: pd.Series | pd.DataFrame,
    *,
    threshold: int = 5,
    zeros: Zeros = "show",
    secondary: bool = True,
    totals: Totals | bool = "both",
    children: pd.Series | pd.DataFrame | None = None,
    min_children: int | None = None,
    primary_marker: str = "c",
    secondary_marker: str = "c",
    keys: pd.Series | pd.DataFrame | None = None,
    ptable: PTable | None = None,
) -> SuppressedTable:
    """Suppress small counts, with secondary suppression so totals cannot reveal them.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        Non-negative integer counts (a 1-D or 2-D table without totals).
    threshold : int, default 5
        Counts ``1 .. threshold-1`` are suppressed.
    zeros : {"show", "suppress"}, default "show"
        Whether zero counts are shown (structural zeros) or suppressed like small counts.
    secondary : bool, default True
        Apply secondary suppression against the totals.
    totals : {"none", "per_row", "per_column", "both"} or bool, default "both"
        Which totals are published (and appended as ``"Total"``). ``"per_row"`` gives each row a
        total (a ``Total`` column); ``"per_column"`` gives each column a total (a ``Total`` row);
        ``"both"`` adds both and the grand total. ``True`` means ``"both"``, ``False`` ``"none"``.
        For a Series any total means one total entry at the end.
    children : Series or DataFrame, optional
        Distinct children per cell (same shape as ``data``); non-zero cells with fewer than
        ``min_children`` children are suppressed too.
    min_children : int, optional
        Required with ``children``.
    primary_marker, secondary_marker : str, default "c"
        Display text of suppressed cells (see the module notes before making them differ).
    keys : Series or DataFrame, optional
        Cell keys (:func:`analysis.disclosure.cell_key.cell_keys`, same shape as ``data``): counts
        and
        totals are cell-key perturbed with ``ptable`` before suppression. A total's key is the
        sum of its cells' keys modulo the key range.
    ptable : PTable, optional
        The p-table (default :class:`~analysis.disclosure.cell_key.PTable()`); only used with
        ``keys``.

    Returns
    -------
    SuppressedTable
        Values, display text and masks, index kept (plus ``"Total"``).

    Raises
    ------
    ParameterError
        Negative or non-integer counts, bad threshold or options.

    Examples
    --------
    >>> import pandas as pd
    >>> t = suppress_counts(pd.Series([3, 10, 12, 0], index=list("abcd")), totals=True)
    >>> t.display.tolist()
    ['c', 'c', '12', '0', '25']
    >>> t.values.tolist()
    [<NA>, <NA>, 12, 0, 25]
    >>> keys = pd.Series([0, 0, 0, 0], index=list("abcd"))  # see cell_key.PTable
    >>> suppress_counts(pd.Series([3, 10, 12, 0], index=list("abcd")), keys=keys).display.tolist()
    ['c', 'c', '14', '0', '26']
    """
    if isinstance(totals, bool):
        totals = "both" if totals else "none"
    if totals not in ("none", "per_row", "per_column", "both"):
        raise ParameterError(f"totals must be none/per_row/per_column/both, not {totals!r}")
    if zeros not in ("show", "suppress"):
        raise ParameterError(f"zeros must be 'show' or 'suppress', not {zeros!r}")
    if int(threshold) != threshold or threshold < 1:
        raise ParameterError(f"threshold must be a positive integer, not {threshold!r}")
    is_series = isinstance(data, pd.Series)
    if is_series and totals != "none":
        totals = "per_column"
    frame = _as_frame(data, "count")
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    raw = numeric.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(raw).any() or (raw < 0).any() or (raw != np.round(raw)).any():
        raise ParameterError("counts must be non-negative integers with no missing values")
    counts = raw.astype(np.int64)
    n_r, n_c = counts.shape
    lines, e_r, e_c = table_relations(n_r, n_c, totals)
    extended = np.zeros((e_r, e_c), dtype=np.int64)
    extended[:n_r, :n_c] = counts
    if e_c > n_c:
        extended[:n_r, n_c] = counts.sum(axis=1)
    if e_r > n_r:
        extended[n_r, :] = extended[:n_r, :].sum(axis=0)
    primary = (extended >= 1) & (extended < threshold)
    perturbed = keys is not None
    if keys is not None:
        table = ptable or PTable()
        key_cells = _as_frame(keys, "count").to_numpy(dtype=float, na_value=0.0).astype(np.int64)
        if key_cells.shape != counts.shape:
            raise ParameterError(f"keys has shape {key_cells.shape}, counts {counts.shape}")
        key_ext = np.zeros((e_r, e_c), dtype=np.int64)
        key_ext[:n_r, :n_c] = key_cells
        if e_c > n_c:
            key_ext[:n_r, n_c] = key_cells.sum(axis=1)
        if e_r > n_r:
            key_ext[n_r, :] = key_ext[:n_r, :].sum(axis=0)
        extended = table.perturb(extended, key_ext % table.key_range)
        primary |= (extended >= 1) & (extended < threshold)
    if zeros == "suppress":
        primary |= extended == 0
    small = primary.copy()
    if children is not None:
        if min_children is None:
            raise ParameterError("min_children is required with children")
        kids = _as_frame(children, "count").to_numpy(dtype=float, na_value=0.0)
        if kids.shape != counts.shape:
            raise ParameterError(f"children has shape {kids.shape}, counts {counts.shape}")
        primary[:n_r, :n_c] |= (counts > 0) & (kids < min_children)
    second = np.zeros_like(primary)
    if secondary and lines:
        second = secondary_mask(extended, primary, lines, n_r, n_c)
    hidden = primary | second

    index = frame.index if e_r == n_r else frame.index.append(pd.Index([TOTAL_LABEL]))
    columns = frame.columns if e_c == n_c else frame.columns.append(pd.Index([TOTAL_LABEL]))
    values = pd.DataFrame(extended, index=index, columns=columns).astype("Int64").mask(hidden)
    text = np.where(primary, primary_marker, np.where(second, secondary_marker, ""))
    # one reason for a true and a perturbed small count: telling them apart would say which
    # hidden cells are really ``threshold`` or more (and "1-4" would be false for those)
    why = np.where(
        small,
        SMALL_COUNT_REASON,
        np.where(
            primary,
            f"fewer than {min_children} children",
            np.where(second, "secondary suppression", ""),
        ),
    )
    reasons = pd.DataFrame(why, index=index, columns=columns, dtype=object)
    shown = np.where(hidden, text, extended.astype(str))
    display = pd.DataFrame(shown, index=index, columns=columns, dtype=object)
    prim = pd.DataFrame(primary, index=index, columns=columns)
    sec = pd.DataFrame(second, index=index, columns=columns)
    if is_series:
        name = data.name
        return SuppressedTable(
            _column(values, name),
            _column(display, name),
            _column(prim, name),
            _column(sec, name),
            int(threshold),
            str(totals),
            perturbed,
            _column(reasons, name),
        )
    return SuppressedTable(
        values, display, prim, sec, int(threshold), str(totals), perturbed, reasons
    )


T = TypeVar("T", pd.Series, pd.DataFrame, SuppressedTable)


def _round(values: Any, base: int) -> Any:
    out = (np.floor(values.astype("Float64") / base + 0.5) * base).astype("Int64")
    return out


def round_counts(data: T, *, base: int = 5) -> T:
    """Round counts to the nearest multiple of ``base`` (halves up), keeping ``<NA>``.

    Parameters
    ----------
    data : Series, DataFrame or SuppressedTable
        Counts (apply after :func:`suppress_counts`).
    base : int, default 5
        Usually 5 or 10 (DfE rounds to 10).

    Returns
    -------
    Same type as ``data``
        Rounded counts; a SuppressedTable gets a new display too.

    Examples
    --------
    >>> import pandas as pd
    >>> round_counts(pd.Series([0, 7, 12, 13, 22]), base=5).tolist()
    [0, 5, 10, 15, 20]
    """
    if int(base) != base or base < 1:
        raise ParameterError(f"rounding base must be a positive integer, not {base!r}")
    if isinstance(data, SuppressedTable):
        values = _round(data.values, base)
        display = data.display.copy()
        shown = ~data.suppressed
        display = display.where(~shown, values.astype(str))
        table: Any = SuppressedTable(
            values,
            display,
            data.primary,
            data.secondary,
            data.threshold,
            data.totals,
            data.perturbed,
            data.reasons,
        )
        return cast(T, table)
    return cast(T, _round(data, base))


@dataclass(frozen=True)
class DisclosurePolicy:
    """The disclosure-control settings applied to partner and board outputs.

    Parameters
    ----------
    threshold : int, default 5
        Counts 1..threshold-1 are suppressed.
    zeros : {"show", "suppress"}, default "show"
        Zeros policy (see the module notes).
    secondary : bool, default True
        Secondary suppression against totals.
    rounding_base : int or None, default None
        Round shown counts to this base (5 or 10) after suppression.
    min_children : int, default 5
        Distinct children needed before a cell or hotspot is shown.
    displacement_m : (float, float) or None, default None
        Donut displacement (min, max metres) for points on partner maps; ``None`` = no points.
    primary_marker, secondary_marker : str, default "c"
        Display text of suppressed cells.
    cell_key : bool, default True
        Perturb counts by the cell key method wherever the caller gives cell keys
        (:meth:`keys`); see ``docs/disclosure.md``.
    key_range : int, default 256
        Record and cell keys are ``0 .. key_range-1``.
    max_noise : int, default 2
        The p-table's noise lies in ``-max_noise .. max_noise`` (must be below ``threshold``, so
        a count at or above the threshold never shows as zero).
    cell_key_secret : str
        Secret of the record keys. The default is public (library use and tests); the app and
        CLI use the store's random secret (:func:`app.access.store_policy.disclosure_for_store`).
    record_key_table : RecordKeyTable, optional
        Record keys computed once for the loaded records (looked up instead of hashed; ignored
        unless computed with ``cell_key_secret``).

    Examples
    --------
    >>> import pandas as pd
    >>> policy = DisclosurePolicy(rounding_base=10)
    >>> policy.table(pd.Series([2, 14, 26]), totals="none").display.tolist()
    ['c', '10', '30']
    """

    threshold: int = 5
    zeros: Zeros = "show"
    secondary: bool = True
    rounding_base: int | None = None
    min_children: int = 5
    displacement_m: tuple[float, float] | None = None
    primary_marker: str = "c"
    secondary_marker: str = "c"
    cell_key: bool = True
    key_range: int = 256
    max_noise: int = 2
    cell_key_secret: str = field(default=DEFAULT_SECRET, repr=False)  # never printed or logged
    record_key_table: RecordKeyTable | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if int(self.threshold) != self.threshold or self.threshold < 1:
            raise ParameterError(f"threshold must be a positive integer, not {self.threshold!r}")
        if self.zeros not in ("show", "suppress"):
            raise ParameterError(f"zeros must be 'show' or 'suppress', not {self.zeros!r}")
        if self.rounding_base is not None and self.rounding_base < 1:
            raise ParameterError(f"rounding_base must be positive, not {self.rounding_base!r}")
        if not 0 <= self.max_noise < self.threshold:
            raise ParameterError(
                f"max_noise must be 0 .. threshold-1 ({self.threshold - 1}), not {self.max_noise!r}"
            )
        if self.min_children < 1:
            raise ParameterError(f"min_children must be at least 1, not {self.min_children!r}")
        if self.displacement_m is not None:
            low, high = self.displacement_m
            if not 0 <= low <= high or high <= 0:
                raise ParameterError(
                    f"displacement_m must be 0 <= min <= max, max > 0: {low, high}"
                )

    @property
    def ptable(self) -> PTable:
        """The p-table of this policy."""
        return PTable(key_range=self.key_range, max_noise=self.max_noise)

    def keys(
        self,
        records: pd.DataFrame,
        rows: pd.Series,
        columns: pd.Series | None = None,
        *,
        like: pd.Series | pd.DataFrame,
    ) -> pd.Series | pd.DataFrame | None:
        """Cell keys of the count table ``like`` built from ``records`` (``None``: no perturbation).

        ``rows`` (and ``columns``) give each record's cell label, aligned with ``records``.

        Examples
        --------
        >>> r = pd.DataFrame({"record_id": ["R1", "R2", "R3"], "ward": ["a", "a", "b"]})
        >>> counts = r["ward"].value_counts()
        >>> DisclosurePolicy().keys(r, r["ward"], like=counts).index.tolist()
        ['a', 'b']
        >>> DisclosurePolicy(cell_key=False).keys(r, r["ward"], like=counts) is None
        True
        """
        if not self.cell_key:
            return None
        rkeys = record_keys_of(
            records,
            secret=self.cell_key_secret,
            key_range=self.key_range,
            table=self.record_key_table,
        )
        return cell_keys(rkeys, rows, columns, like=like, key_range=self.key_range)

    def table(
        self,
        data: pd.Series | pd.DataFrame,
        *,
        totals: Totals | bool = "both",
        children: pd.Series | pd.DataFrame | None = None,
        keys: pd.Series | pd.DataFrame | None = None,
    ) -> SuppressedTable:
        """Perturb (given cell ``keys``), suppress and round a count table under this policy."""
        out = suppress_counts(
            data,
            threshold=self.threshold,
            zeros=self.zeros,
            secondary=self.secondary,
            totals=totals,
            children=children,
            min_children=self.min_children if children is not None else None,
            primary_marker=self.primary_marker,
            secondary_marker=self.secondary_marker,
            keys=keys if self.cell_key else None,
            ptable=self.ptable,
        )
        return round_counts(out, base=self.rounding_base) if self.rounding_base else out

    def hotspots(
        self, hotspots: gpd.GeoDataFrame, events: gpd.GeoDataFrame | None = None
    ) -> gpd.GeoDataFrame:
        """Keep only hotspots with at least ``min_children`` distinct children."""
        return filter_min_children(hotspots, events, min_children=self.min_children)

    def points(self, points: gpd.GeoDataFrame, *, seed: int | None = None) -> gpd.GeoDataFrame:
        """Displace points for a partner map; refuses when no displacement is configured."""
        if self.displacement_m is None:
            raise ParameterError("this policy gives no points to partners (displacement_m=None)")
        low, high = self.displacement_m
        return displace_points(points, min_m=low, max_m=high, seed=seed)
