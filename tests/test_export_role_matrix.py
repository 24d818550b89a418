"""Role matrix over the export entry points (issue #7): every role x every export path.

For each role, an export entry point either refuses (the role lacks the capability, checked by
the same gate the app/CLI uses: :func:`app.access.policy.require`, argparse ``--role`` choices, or
the
function's own :class:`~app.access.policy.PermissionDenied`) or its output holds no ``child_ref``
values/column, no record ids, no record point coordinates for roles without ``record_points``,
and no counts 1-4 for disclosure roles.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from analysis.disclosure.control import LOCATION_COLUMNS, DisclosurePolicy
from app.access.policy import (
    DISCLOSURE_ROLES,
    PAGES,
    ROLES,
    PermissionDenied,
    can,
    export_rules,
    is_count_column,
    require,
)
from app.cli import main
from app.explorer.disclosure import controlled_result
from app.explorer.exports import hotspot_export
from app.reports.strategic import build_report, to_frame
from geo.ingest.pipeline import resolve_area
from geo.store.gpkg import Store
from tests._app_store import build_store
from tests._demo_store import demo_store

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
    from analysis.hotspots import registry as hotspots

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
    _check(frame, role=role, ids=_identifiers(demo), what="app.explorer.exports.hotspot_export CSV")


def _shown(
    role: str, pts: gpd.GeoDataFrame, result: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, DisclosurePolicy | None]:
    """The hotspot result and count policy the explorer shows ``role`` (as its exports use)."""
    rules = export_rules(role)
    if can(role, "record_points"):
        return result, None
    policy = rules.disclosure or DisclosurePolicy()
    return controlled_result(result, role=role, events=pts, policy=policy), policy


def _point_coordinates(pts: gpd.GeoDataFrame) -> set[tuple[float, float]]:
    """Record point coordinates (lon, lat) in WGS84, rounded to 5 decimals as the map writes."""
    wgs = pts.to_crs(4326).geometry
    return {(round(x, 5), round(y, 5)) for x, y in zip(wgs.x, wgs.y, strict=True)}


def _text_check(text: str, *, role: str, ids: set[str], what: str) -> None:
    if not can(role, "child_references"):
        assert "child_ref" not in text, f"{what}: {role} gets a child_ref field"
        tokens = set(re.findall(r"[A-Za-z0-9_\-]+", text))
        leaked = tokens & ids
        assert not leaked, f"{what}: {role} gets record ids / child refs {sorted(leaked)[:5]}"


@pytest.mark.parametrize("role", ROLES)
def test_explorer_standalone_map_html(
    role: str, demo: Path, demo_hotspots: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
) -> None:
    from app.explorer.exports import standalone_map_html
    from app.maps.layers import build_explorer_map

    pts, result = demo_hotspots
    if not can(role, PAGES["explorer"]):
        with pytest.raises(PermissionDenied):
            require(role, PAGES["explorer"])
        return
    shown, _ = _shown(role, pts, result)
    # the explorer draws record points only for record-level roles (draw_pts is {} otherwise)
    draw = {"concerns": pts} if can(role, "record_points") else {}
    built = build_explorer_map(draw, area=resolve_area("kirklees"), results=[("gi", shown)])
    text = standalone_map_html(built.fmap, method="gi").data.decode("utf-8")
    assert "<html" in text.lower()
    _text_check(text, role=role, ids=_identifiers(demo), what="standalone_map_html")
    if not can(role, "record_points"):
        # every coordinate pair in the page (GeoJSON [lon, lat] or folium [lat, lon])
        pairs = re.findall(r"\[\s*(-?\d+\.\d+),\s*(-?\d+\.\d+)\s*\]", text)
        found = {(round(float(a), 5), round(float(b), 5)) for a, b in pairs}
        found |= {(b, a) for a, b in found}
        leaked = _point_coordinates(pts) & found
        assert not leaked, f"map HTML: {role} gets record points {sorted(leaked)[:3]}"


@pytest.mark.parametrize("role", ROLES)
def test_explorer_trend_png(
    role: str, demo_hotspots: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]
) -> None:
    from app.explorer.detail import monthly_counts
    from app.explorer.disclosure import controlled_trend
    from app.explorer.exports import trend_png

    pts, result = demo_hotspots
    if not can(role, PAGES["explorer"]):
        with pytest.raises(PermissionDenied):
            require(role, PAGES["explorer"])
        return
    _, policy = _shown(role, pts, result)
    trend = controlled_trend(monthly_counts(pts, date_column="reported_date"), policy=policy)
    assert len(trend) > 0
    _check(trend[["events"]], role=role, ids=set(), what="trend_png counts")
    if role in DISCLOSURE_ROLES:
        values = pd.to_numeric(trend["events"], errors="coerce")
        assert not ((values >= 1) & (values <= 4)).any(), f"trend: {role} gets small counts"
    png = trend_png(trend, title="Events per month").data
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
@pytest.mark.parametrize("role", ROLES)
def test_explorer_hotspot_export_geo(
    role: str,
    fmt: str,
    demo: Path,
    demo_hotspots: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
    tmp_path: Path,
) -> None:
    pts, result = demo_hotspots
    if not can(role, PAGES["explorer"]):
        with pytest.raises(PermissionDenied):
            require(role, PAGES["explorer"])
        return
    shown, _ = _shown(role, pts, result)
    export = hotspot_export(shown, fmt=fmt, method="gi")
    path = tmp_path / f"hotspots.{fmt}"
    if zipfile.is_zipfile(io.BytesIO(export.data)):  # with a notes file alongside
        with zipfile.ZipFile(io.BytesIO(export.data)) as zf:
            name = next(n for n in zf.namelist() if n.endswith(f".{fmt}"))
            path.write_bytes(zf.read(name))
    else:
        path.write_bytes(export.data)
    frame = gpd.read_file(path)
    assert len(frame) > 0
    if not can(role, "record_points"):
        assert set(frame.geom_type.dropna()) <= {"Polygon", "MultiPolygon"}, (
            f"hotspot {fmt}: {role} gets non-polygon geometries {set(frame.geom_type)}"
        )
    _check(
        pd.DataFrame(frame.drop(columns="geometry")),
        role=role,
        ids=_identifiers(demo),
        what=f"hotspot_export {fmt}",
    )


@pytest.fixture(scope="module")
def briefing(demo: Path) -> object:
    from app.reports.briefing import build_briefing
    from geo.formats.venue_registers import all_venues

    s = Store(demo)
    area = resolve_area("kirklees")
    venues = all_venues(area=area.name, store=s, include_restricted=False)
    return build_briefing(s.read("concerns"), area=area, venues=venues, method="repeat")


@pytest.mark.parametrize("role", ROLES)
def test_briefing_pack(role: str, demo: Path, briefing: object, tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from app.reports.briefing import briefing_for_role, briefing_html, write_briefing_pdf

    events = Store(demo).read("concerns")
    if not can(role, "venue_watchlists"):
        with pytest.raises(PermissionDenied):
            briefing_for_role(briefing, role=role, events=events)  # type: ignore[arg-type]
        return
    b = briefing_for_role(briefing, role=role, events=events)  # type: ignore[arg-type]
    ids = _identifiers(demo)
    for name, table in (
        ("hotspots", b.hotspot_table()),
        ("nearby", b.nearby),
        ("watch", b.watchlist),
    ):
        frame = pd.DataFrame(table.drop(columns="geometry", errors="ignore"))
        _check(frame, role=role, ids=ids, what=f"briefing {name}")
    html_text = briefing_html(b)
    _text_check(html_text, role=role, ids=ids, what="briefing HTML")
    pdf_path = write_briefing_pdf(b, tmp_path / "b.pdf")
    doc = pdfium.PdfDocument(str(pdf_path))
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    assert "Disruption briefing pack" in text
    _text_check(text, role=role, ids=ids, what="briefing PDF")


@pytest.mark.parametrize("suffix", [".json", ".html"])
@pytest.mark.parametrize("role", ROLES)
def test_cli_assess(role: str, suffix: str, demo: Path, tmp_path: Path) -> None:
    out = tmp_path / f"a{suffix}"
    args = ["assess", "414400,416400", "--store", str(demo), "--role", role, "--out", str(out)]
    if not can(role, "location_assessments"):
        assert main(args) == 2 and not out.exists()
        return
    assert main(args) == 0
    text = out.read_text(encoding="utf-8")
    ids = _identifiers(demo)
    _text_check(text, role=role, ids=ids, what=f"csmap assess {suffix}")
    if suffix == ".json" and role in DISCLOSURE_ROLES:
        data = json.loads(text)
        small = _small_counts(data)
        assert not small, f"csmap assess JSON: {role} sees small counts {small[:5]}"


def _small_counts(data: object, key: str = "") -> list[tuple[str, int]]:
    """Integer values 1-4 under count-like keys anywhere in a JSON document."""
    found: list[tuple[str, int]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            found += _small_counts(v, str(k))
    elif isinstance(data, list):
        for v in data:
            found += _small_counts(v, key)
    elif (
        isinstance(data, int)
        and not isinstance(data, bool)
        and 1 <= data <= 4
        and key
        and (is_count_column(key) or key in ("count", "n", "events", "concerns_total"))
    ):
        found.append((key, data))
    return found
