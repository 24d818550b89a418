"""The cell key secret is per store: random, kept in the store's metadata, never shown.

Before this, every deployment used the public default secret of ``analysis.disclosure.cell_key``, so
anyone with record ids could compute the noise and undo it (``docs/disclosure.md``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import app.views.summaries
from analysis.disclosure.cell_key import DEFAULT_SECRET, record_keys_of
from analysis.disclosure.control import DisclosurePolicy
from app.access.store_policy import disclosure_for_store
from geo.errors import StoreError
from geo.store.gpkg import Store
from geo.store.meta import (
    CELL_KEY_SECRET,
    SecretError,
    cell_key_secret,
    main,
    read_meta,
    set_meta,
)
from tests._app_store import build_store
from tests._pages import app_env_fixture, open_page, store_fixture

store = store_fixture("secret_overview")
app_env = app_env_fixture()


def _records(n: int = 400) -> pd.DataFrame:
    """``n`` records with ids R0.., 40 wards of 10 records each (counts well above 1-4)."""
    return pd.DataFrame(
        {"record_id": [f"R{i}" for i in range(n)], "ward": [f"W{i % 40}" for i in range(n)]}
    )


def _empty_store(folder: Path) -> Path:
    path = folder / "s.gpkg"
    sqlite3.connect(path).close()
    return path


def test_a_new_store_gets_a_random_secret_with_its_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    frame = gpd.GeoDataFrame(
        {"record_id": ["R1"]}, geometry=[shapely.Point(412000, 416000)], crs=27700
    )
    with Store(path).transaction() as tx:
        tx.append("concerns", frame)
    secret = read_meta(path)[CELL_KEY_SECRET]
    assert len(secret) == 64 and secret != DEFAULT_SECRET
    with Store(path).transaction() as tx:  # later writes keep it
        tx.append("concerns", frame)
    assert read_meta(path)[CELL_KEY_SECRET] == secret
    assert cell_key_secret(path) == secret


def test_two_stores_with_the_same_ids_perturb_differently(tmp_path: Path) -> None:
    a = disclosure_for_store("board", store=_empty_store(tmp_path))
    (tmp_path / "b").mkdir()
    b = disclosure_for_store("board", store=_empty_store(tmp_path / "b"))
    assert a is not None and b is not None
    assert a.cell_key_secret != b.cell_key_secret
    records = _records()
    assert not record_keys_of(records, secret=a.cell_key_secret).equals(
        record_keys_of(records, secret=b.cell_key_secret)
    )
    counts = records["ward"].value_counts().sort_index()
    shown_a = a.table(counts, totals="none", keys=a.keys(records, records["ward"], like=counts))
    shown_b = b.table(counts, totals="none", keys=b.keys(records, records["ward"], like=counts))
    # the same true counts (10 per ward), different noise: knowing the ids and one store's
    # published values says nothing about the other's
    assert (shown_a.values != shown_b.values).sum() >= 10


def test_an_old_store_gets_a_secret_on_first_use_and_keeps_it(tmp_path: Path) -> None:
    path = _empty_store(tmp_path)
    assert CELL_KEY_SECRET not in read_meta(path)
    first = cell_key_secret(path)
    assert read_meta(path)[CELL_KEY_SECRET] == first
    assert disclosure_for_store("partner", store=path).cell_key_secret == first  # type: ignore[union-attr]


def test_a_damaged_secret_is_refused_not_replaced(tmp_path: Path) -> None:
    path = _empty_store(tmp_path)
    set_meta(path, key=CELL_KEY_SECRET, value="short")
    with pytest.raises(SecretError, match="damaged"):
        cell_key_secret(path)


def test_a_store_that_cannot_be_written_refuses_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _empty_store(tmp_path)

    def denied(self: Store) -> None:
        raise PermissionError(13, "Permission denied", str(self.path) + ".lock")

    monkeypatch.setattr(Store, "lock", denied)
    with pytest.raises(SecretError, match="no cell key secret"):
        disclosure_for_store("board", store=path)
    assert CELL_KEY_SECRET not in read_meta(path)


def test_a_configured_secret_overrides_the_store(tmp_path: Path) -> None:
    path = _empty_store(tmp_path)
    configured = DisclosurePolicy(cell_key_secret="x" * 40, threshold=10, max_noise=3)
    policy = disclosure_for_store("board", store=path, disclosure=configured)
    assert policy is not None and policy.cell_key_secret == "x" * 40 and policy.threshold == 10
    tuned = disclosure_for_store("board", store=path, disclosure=DisclosurePolicy(threshold=10))
    assert tuned is not None and tuned.threshold == 10
    assert tuned.cell_key_secret == read_meta(path)[CELL_KEY_SECRET]


def test_no_store_uses_a_private_process_secret() -> None:
    policy = disclosure_for_store("board", store=None)
    assert policy is not None and policy.cell_key_secret != DEFAULT_SECRET


def test_the_secret_is_not_in_the_repr_or_the_meta_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _empty_store(tmp_path)
    policy = disclosure_for_store("board", store=path)
    secret = read_meta(path)[CELL_KEY_SECRET]
    assert secret not in repr(policy) and secret not in str(policy)
    assert main(["get", str(path)]) == 0
    out = capsys.readouterr().out
    assert secret not in out and json.loads(out)[CELL_KEY_SECRET] == "(hidden)"
    assert main(["set", str(path), CELL_KEY_SECRET, "y" * 64]) == 2  # cannot be chosen
    assert read_meta(path)[CELL_KEY_SECRET] == secret


def test_the_overview_uses_the_store_secret(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[DisclosurePolicy] = []
    real = app.views.summaries.controlled_kind_counts

    def spy(records: dict[str, gpd.GeoDataFrame], *, policy: DisclosurePolicy) -> dict[str, str]:
        seen.append(policy)
        return real(records, policy=policy)

    monkeypatch.setattr(app.views.summaries, "controlled_kind_counts", spy)
    at = open_page("app_pages/overview.py", role="board")
    secret = read_meta(app_env)[CELL_KEY_SECRET]
    assert seen and all(p.cell_key_secret == secret for p in seen)
    shown = "\n".join(
        [df.value.to_csv() for df in at.dataframe]
        + [str(m.value) for m in at.metric]
        + [str(c.value) for c in at.caption]
        + [str(m.value) for m in at.markdown]
    )
    assert secret not in shown


def test_csmap_report_output_holds_no_secret(tmp_path: Path) -> None:
    from app.cli import main as cli

    path = build_store(tmp_path / "store")
    out = tmp_path / "report.csv"
    code = cli(["report", "placements", "--store", str(path), "--out", str(out)])
    assert code == 0, code
    secret = read_meta(path)[CELL_KEY_SECRET]
    assert secret not in out.read_text(encoding="utf-8")
    log = path.with_name(path.name + ".audit.jsonl")
    if log.exists():
        assert secret not in log.read_text(encoding="utf-8")


def test_reading_a_missing_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        cell_key_secret(tmp_path / "nope.gpkg")
