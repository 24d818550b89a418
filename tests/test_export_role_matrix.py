"""Role matrix over the export entry points (issue #7): every role x every export path.

For each role, an export entry point either refuses (the role lacks the capability, checked by
the same gate the app/CLI uses: :func:`app.policy.require`, argparse ``--role`` choices, or the
function's own :class:`~app.policy.PermissionDenied`) or its output holds no ``child_ref``
values/column, no record ids, no record point coordinates for roles without ``record_points``,
and no counts 1-4 for disclosure roles.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from _app_store import build_store
from _demo_store import demo_store

from analysis.disclosure import LOCATION_COLUMNS, DisclosurePolicy
from app.cli import main
from app.explorer_disclosure import controlled_result
from app.exports import hotspot_export
from app.policy import (
    DISCLOSURE_ROLES,
    PAGES,
    ROLES,
    PermissionDenied,
    can,
    export_rules,
    is_count_column,
    require,
)
from app.reports.strategic import build_report, to_frame
from geo.ingest import resolve_area
from geo.store import Store

#: Report columns that are not counts of records or children (populations, rates, labels, ranks).
NOT_COUNTS = frozenset(
    {
        "children_0_15",
        "rate_per_10k",
        "homes_per_10k",
        "share",
        "rank",
        "year",
        "row",
        "index",
        "p_value",
        "q_value",
        "expected",
        "offered_share",
        "accepted_share",
        "within_72h_share",
        "quarter",
        "month",
        "distance",
        "duration",
        "la_code",
        "ward_cd",
    }
)
ID_COLUMNS = ("record_id", "episode_id", "placement_id", "row_hash", "child_ref")


def _identifiers(store: Path) -> set[str]:
    s = Store(store)
    ids: set[str] = set()
    for kind in s.kinds():
        frame = s.read(kind)
        for col in ID_COLUMNS:
            if col in frame.columns:
                ids |= set(frame[col].dropna().astype(str))
    return ids


def _check(
    frame: pd.DataFrame, *, role: str, ids: set[str], what: str, all_counts: bool = False
) -> None:
    cols = [str(c) for c in frame.columns]
    if not can(role, "child_references"):
        assert not set(cols) & set(ID_COLUMNS), f"{what}: {role} gets id columns {cols}"
        cells = {str(v) for v in frame.astype(str).to_numpy().ravel()}
        leaked = cells & ids
        assert not leaked, f"{what}: {role} gets record ids / child refs {sorted(leaked)[:5]}"
    if not can(role, "record_points"):
        loc = [c for c in cols if LOCATION_COLUMNS.match(c)]
        assert not loc, f"{what}: {role} gets point coordinates {loc}"
    if role in DISCLOSURE_ROLES:
        for col in cols:
            counts = all_counts and col not in NOT_COUNTS and frame[col].dtype != float
            if is_count_column(col) or col == "n_children" or counts:
                values = pd.to_numeric(frame[col], errors="coerce")
                small = values[(values >= 1) & (values <= 4)]
                assert small.empty, f"{what}: {role} sees small counts in {col}: {list(small)}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("matrix_demo") / "store.gpkg"
    shutil.copyfile(demo_store(), path)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("matrix_small"), demo=False)


@pytest.fixture(autouse=True)
def _audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))


@pytest.mark.parametrize("role", ROLES)
def test_cli_disruption_watchlist(role: str, demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    args = ["disruption", "--store", str(demo), "--method", "repeat", "--role", role]
    if not can(role, "venue_watchlists") or role not in ("partner", "analyst"):
        # argparse --role choices are the CLI's gate (admin is refused: stricter than policy)
        with pytest.raises(SystemExit) as exc:
            main([*args, "--out", str(out)])
        assert exc.value.code == 2 and not out.exists()
        return
    assert main([*args, "--out", str(out)]) == 0
    frame = pd.DataFrame(list(csv.DictReader(out.open(encoding="utf-8"))))
    assert len(frame) > 0
    _check(frame, role=role, ids=_identifiers(demo), what="csmap disruption CSV")


@pytest.mark.parametrize("view", ["placements", "missing", "agencies"])
@pytest.mark.parametrize("role", ROLES)
def test_build_report(role: str, view: str, small: Path) -> None:
    s = Store(small)
    records = {kind: s.read(kind) for kind in s.kinds()}
    area = resolve_area("kirklees")
    if not can(role, "aggregates"):
        with pytest.raises(PermissionDenied):
            build_report(view, records, area=area, role=role)
        return
    report = build_report(view, records, area=area, role=role)
    frame = to_frame(report)
    assert len(frame) > 0
    _check(
        frame, role=role, ids=_identifiers(small), what=f"build_report({view!r})", all_counts=True
    )


@pytest.mark.parametrize("role", ROLES)
def test_cli_report(role: str, small: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    args = ["report", "missing", "--store", str(small), "--role", role, "--out", str(out)]
    args += ["--reason", "matrix test"]
    if role not in ("board", "analyst"):
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 2 and not out.exists()
        return
    assert main(args) == 0
    frame = pd.DataFrame(list(csv.DictReader(out.open(encoding="utf-8"))))
    assert len(frame) > 0
    _check(frame, role=role, ids=_identifiers(small), what="csmap report CSV", all_counts=True)


@pytest.fixture(scope="module")
def demo_hotspots(demo: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from analysis import hotspots

    pts = Store(demo).read("concerns")
    return pts, hotspots.run(pts, method="gi", study_area=resolve_area("kirklees"))


@pytest.mark.parametrize("role", ROLES)
def test_explorer_hotspot_export(
    role: str, demo: Path, demo_hotspots: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
) -> None:
    pts, result = demo_hotspots
    if not can(role, PAGES["explorer"]):  # the page's one guard (auth.page_role)
        with pytest.raises(PermissionDenied):
            require(role, PAGES["explorer"])
        return
    rules = export_rules(role)
    shown = (
        result
        if can(role, "record_points")
        else controlled_result(
            result, role=role, events=pts, policy=rules.disclosure or DisclosurePolicy()
        )
    )
    export = hotspot_export(shown, fmt="csv", method="gi")
    with zipfile.ZipFile(io.BytesIO(export.data)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        frame = pd.read_csv(io.BytesIO(zf.read(name)))
    assert len(result) > 0
    _check(frame, role=role, ids=_identifiers(demo), what="app.exports.hotspot_export CSV")
