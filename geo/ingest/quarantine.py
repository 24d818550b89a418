"""Ingest reports and quarantine files: what happened to every row of one file.

:class:`IngestReport` reconciles the counts of one file; the quarantine frame holds each quarantined
row's ``source_row``, ``reasons`` and original cells, and is written as a CSV in which cells
starting with ``=``, ``+``, ``@`` or a tab are prefixed with ``'`` (CSV injection). Re-exported by
:mod:`geo.ingest.pipeline`, which builds both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ReconciliationError


@dataclass
class IngestReport:
    """What happened to every row of one file.

    Attributes
    ----------
    kind, file : str
        Record kind and the file as given.
    rows_read, rows_loaded, rows_quarantined, rows_duplicate : int
        Counts; ``rows_read`` equals the sum of the other three.
    quarantine_file : Path or None
        The quarantine CSV (None when nothing was quarantined or nothing was written).
    records : geopandas.GeoDataFrame
        The rows loaded (or, for :func:`validate_file`, that would be loaded).
    quarantine : pandas.DataFrame
        Quarantined rows: ``source_row``, ``reasons`` and the original cells.
    store : Path or None
        The store written to.
    """

    kind: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    records: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    quarantine_file: Path | None = None
    store: Path | None = None
    encoding: str = ""
    content_hash: str = ""
    duplicate_rows: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Check that every row read is loaded, quarantined or a duplicate.

        Raises
        ------
        geo.errors.ReconciliationError
            The counts, or the frames behind them, do not add up.
        """
        if self.rows_read != self.rows_loaded + self.rows_quarantined + self.rows_duplicate:
            raise ReconciliationError(
                f"{self.file}: rows do not reconcile: {self.rows_read} read != {self.rows_loaded} "
                f"loaded + {self.rows_quarantined} quarantined + {self.rows_duplicate} duplicate"
            )
        if len(self.records) != self.rows_loaded:
            raise ReconciliationError(
                f"{self.file}: {len(self.records)} records held but "
                f"{self.rows_loaded} counted loaded"
            )
        if len(self.quarantine) != self.rows_quarantined:
            raise ReconciliationError(
                f"{self.file}: {len(self.quarantine)} quarantine rows held but "
                f"{self.rows_quarantined} counted quarantined"
            )

    def summary(self) -> dict[str, Any]:
        """The JSON summary ``csmap ingest`` prints."""
        return {
            "kind": self.kind,
            "file": self.file,
            "store": str(self.store) if self.store else None,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "quarantine_file": str(self.quarantine_file) if self.quarantine_file else None,
            "encoding": self.encoding,
        }


def quarantine_frame(
    raw: pd.DataFrame, mask: np.ndarray, reasons: np.ndarray, numbers: np.ndarray
) -> pd.DataFrame:
    rows = np.flatnonzero(mask)
    out = raw.iloc[rows].copy()
    out.insert(0, "reasons", reasons[rows])
    out.insert(0, "source_row", numbers[rows])
    return out.reset_index(drop=True)


def _inert(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns[2:]:
        text = out[col].astype(str)
        risky = text.str.match(r"^[=+@\t\r]")
        out[col] = text.where(~risky, "'" + text)
    return out


def write_quarantine(quarantine: pd.DataFrame, path: Path) -> None:
    """Write the quarantine frame as a CSV, cells made inert for spreadsheets."""
    # CRLF line ends (RFC 4180): the csv writer then also quotes cells holding a
    # bare "\r", which readers (pandas, Excel) would otherwise split into two rows.
    _inert(quarantine).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
