"""The "nothing lost" reconciliation raises a real error, which ``python -O`` cannot strip."""

from __future__ import annotations

import re
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import CsmapError, ReconciliationError
from geo.ingest.quarantine import IngestReport


def _report(**counts: int) -> IngestReport:
    records = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=gpd.points_from_xy([0, 1], [0, 1]))
    quarantine = pd.DataFrame({"source_row": [3], "reasons": ["date: missing"]})
    base = {"rows_read": 4, "rows_loaded": 2, "rows_quarantined": 1, "rows_duplicate": 1}
    base.update(counts)
    return IngestReport(
        kind="concerns", file="c.csv", records=records, quarantine=quarantine, **base
    )


def test_reconciled_counts_pass() -> None:
    assert _report().rows_read == 4


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"rows_read": 5}, "5 read != 2 loaded + 1 quarantined + 1 duplicate"),
        ({"rows_loaded": 3, "rows_duplicate": 0}, "2 records held but 3 counted loaded"),
        ({"rows_quarantined": 2, "rows_duplicate": 0}, "1 quarantine rows held but 2 counted"),
    ],
)
def test_unreconciled_counts_raise(counts: dict[str, int], message: str) -> None:
    with pytest.raises(ReconciliationError, match=re.escape(message)):
        _report(**counts)


def test_a_reconciliation_failure_is_a_defect_not_bad_input() -> None:
    # CsmapError means "bad input, exit 2"; a failed reconciliation is csmap's own fault.
    assert not issubclass(ReconciliationError, CsmapError)


def test_the_check_survives_python_optimise_mode() -> None:
    code = (
        "import geopandas as gpd, pandas as pd\n"
        "from geo.ingest.quarantine import IngestReport\n"
        "from geo.errors import ReconciliationError\n"
        "r = gpd.GeoDataFrame({'id': []}, geometry=gpd.points_from_xy([], []))\n"
        "try:\n"
        "    IngestReport(kind='concerns', file='c.csv', rows_read=1, rows_loaded=0,\n"
        "    rows_quarantined=0, rows_duplicate=0, records=r, quarantine=pd.DataFrame())\n"
        "except ReconciliationError:\n"
        "    print('raised')\n"
    )
    out = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "raised"
