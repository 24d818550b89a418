"""Overview for disclosure roles: counts through the policy; no ingest log or quarantine reasons.

On the small app store (tests/_app_store.py): 12 concerns (no child references), 5 missing
episodes of 2 children, 3 placements; one quarantined concern row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests._app_store import N_CONCERNS, N_MISSING, N_PLACEMENTS
from tests._pages import open_page, store_fixture

SMALL = {"1", "2", "3", "4"}


store = store_fixture("overview_roles")


def _overview(role: str) -> AppTest:
    return open_page("app_pages/overview.py", role=role)


def _texts(at: AppTest) -> str:
    return "\n".join(df.value.astype(str).to_csv() for df in at.dataframe)


def test_analyst_sees_raw_counts_and_the_ingest_log(app_env: Path) -> None:
    at = _overview("analyst")
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Concerns"] == str(N_CONCERNS)
    assert metrics["Missing episodes"] == str(N_MISSING)
    assert metrics["Placements"] == str(N_PLACEMENTS)
    assert any("reason" in df.value.columns for df in at.dataframe)
    assert str(app_env.parent) in _texts(at)  # the log names the files (server paths)


@pytest.mark.parametrize("role", ["board", "partner"])
def test_disclosure_roles_get_controlled_counts_only(app_env: Path, role: str) -> None:
    at = _overview(role)
    metrics = {m.label: m.value for m in at.main.metric}
    # 12 concerns, none with a child reference: not 5 distinct children (conservative)
    assert metrics["Concerns"] == "c"
    assert metrics["Missing episodes"] == "c"  # 5 episodes but 2 distinct children
    assert metrics["Placements"] == "c"  # 3 placements
    assert not any("reason" in df.value.columns for df in at.dataframe)
    assert not any("quarantine_file" in df.value.columns for df in at.dataframe)
    assert str(app_env.parent) not in _texts(at)
    wards = next(df.value for df in at.dataframe if "ward" in df.value.columns)
    assert not set(wards["concerns"].astype(str)) & SMALL
    for df in at.dataframe:
        for column in ("missing", "rows"):
            if column in df.value.columns:
                assert not set(df.value[column].astype(str)) & SMALL, (column, df.value)
