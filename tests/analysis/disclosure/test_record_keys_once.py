"""Record keys are hashed once per loaded store, not on every table of every render.

Hashing costs about 1 s per 200,000 ids and the Overview builds five controlled tables from the
same records; ``app.session.state.store_record_keys`` keys the store once (``RecordKeyTable``) and
the pages look keys up. Counted by wrapping ``analysis.disclosure.cell_key.record_keys`` (the one
hash loop).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import analysis.disclosure.cell_key as cell_key
from analysis.disclosure.cell_key import RecordKeyTable, record_keys, record_keys_of
from tests._app_store import N_CONCERNS, N_MISSING, N_PLACEMENTS
from tests._pages import app_env_fixture, open_page, store_fixture

store = store_fixture("record_keys_once")
app_env = app_env_fixture()


def test_the_overview_hashes_each_stored_id_once_over_two_renders(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []

    def counting(ids: pd.Series, *, secret: str, key_range: int = 256) -> pd.Series:
        hashed.append(len(ids))
        return record_keys(ids, secret=secret, key_range=key_range)

    monkeypatch.setattr(cell_key, "record_keys", counting)
    first = open_page("app_pages/overview.py", role="board")
    second = open_page("app_pages/overview.py", role="partner")  # another session, same store
    assert sum(hashed) == N_CONCERNS + N_MISSING + N_PLACEMENTS, hashed
    metrics = [{m.label: m.value for m in at.main.metric} for at in (first, second)]
    assert metrics[0] == metrics[1]


def test_looked_up_keys_equal_hashed_keys_with_unknown_and_missing_ids() -> None:
    stored = pd.DataFrame({"record_id": [f"R{i}" for i in range(50)]})
    table = RecordKeyTable.build([stored], secret="k" * 64)
    asked = pd.DataFrame({"record_id": ["R3", "NEW1", None, "R49", "R3"]}, index=[9, 8, 7, 6, 5])
    looked = record_keys_of(asked, secret="k" * 64, table=table)
    assert looked.equals(record_keys_of(asked, secret="k" * 64))
    assert looked.index.tolist() == [9, 8, 7, 6, 5]
    assert int(looked.loc[7]) == 0
    assert "k" * 64 not in repr(table)
