"""Big-data map layers: cell counts, the point index (vs app.session.filters), the pydeck Map
page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app.maps.cells import (
    MAX_CELLS,
    cell_counts,
    coarsen_counts,
    fit_cells,
    merge_counts,
    points_cell_counts,
)
from app.maps.deck import build_count_deck, cell_centres_wgs84, deck_payload_bytes
from app.maps.point_index import build_point_index, filtered_cell_counts
from app.maps.vendor import missing_assets
from app.session.filters import Filters, filter_kind
from geo.errors import ParameterError
from geo.places.boundaries import load_area
from geo.store.gpkg import points
from tests._app_store import (
    N_CONCERNS,
    N_CSE,
    N_MISSING,
    N_MISSING_FOUND,
    N_PLACEMENTS,
    build_store,
)

APP = str(Path(__file__).resolve().parents[3] / "app" / "streamlit_app.py")


# --- cell counts ----------------------------------------------------------------------------


def test_cell_counts_hand_checked() -> None:
    e = np.array([0.0, 99.9, 100.0, 250.0, -0.1, np.nan])
    n = np.array([0.0, 99.9, 0.0, 50.0, 0.0, 1.0])
    table = cell_counts(e, n, cell=100)
    assert table.values.tolist() == [[-1, 0, 1], [0, 0, 2], [1, 0, 1], [2, 0, 1]]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(400_000, 430_000), st.floats(400_000, 430_000)),
        min_size=0,
        max_size=200,
    ),
    st.sampled_from([25.0, 100.0, 250.0, 1000.0]),
)
def test_cell_counts_match_brute_force(pts: list[tuple[float, float]], cell: float) -> None:
    e = np.array([p[0] for p in pts], dtype=float)
    n = np.array([p[1] for p in pts], dtype=float)
    table = cell_counts(e, n, cell=cell)
    brute: dict[tuple[int, int], int] = {}
    for x, y in pts:
        key = (int(np.floor(x / cell)), int(np.floor(y / cell)))
        brute[key] = brute.get(key, 0) + 1
    got = {(int(a), int(b)): int(c) for a, b, c in table.values}
    assert got == brute
    assert int(table["count"].sum()) == len(pts)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=80),
    st.integers(0, 79),
)
def test_merge_counts_equals_counting_the_union(cells: list[tuple[int, int]], cut: int) -> None:
    e = np.array([c[0] * 100 + 50 for c in cells], dtype=float)
    n = np.array([c[1] * 100 + 50 for c in cells], dtype=float)
    cut = min(cut, len(cells))
    merged = merge_counts(
        cell_counts(e[:cut], n[:cut], cell=100), cell_counts(e[cut:], n[cut:], cell=100)
    )
    whole = cell_counts(e, n, cell=100)
    assert merged.values.tolist() == whole.values.tolist()


def test_cell_size_is_validated() -> None:
    with pytest.raises(ParameterError, match="cell"):
        cell_counts(np.zeros(1), np.zeros(1), cell=1.0)
    with pytest.raises(ParameterError, match="cell"):
        cell_counts(np.zeros(1), np.zeros(1), cell=float("nan"))


def test_cell_centres_round_trip_to_the_cell() -> None:
    from geo.locate.coords import wgs84_to_bng

    table = pd.DataFrame({"ix": [2073, 2100], "iy": [2085, 2090], "count": [1, 2]})
    centres = cell_centres_wgs84(table, cell=200)
    east, north = wgs84_to_bng(centres["lon"].to_numpy(), centres["lat"].to_numpy())
    # back inside the same cell, within the 5-decimal rounding (about 1 m)
    assert np.allclose(east, (table["ix"] + 0.5) * 200, atol=1.5)
    assert np.allclose(north, (table["iy"] + 0.5) * 200, atol=1.5)


# --- point index vs app.session.filters
# -------------------------------------------------------------

CATS = ["CSE", "CCE", "county lines", None]
RISKS = ["low", "medium", "high", None]


def _random_concerns(seed: int, n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    dates = pd.Series(dates).where(rng.random(n) > 0.1)
    geoms = [
        shapely.Point(x, y) if rng.random() > 0.1 else None
        for x, y in zip(
            rng.uniform(410_000, 420_000, n), rng.uniform(410_000, 420_000, n), strict=True
        )
    ]
    ages = pd.Series(rng.integers(5, 26, n).astype(float)).where(rng.random(n) > 0.2)
    return gpd.GeoDataFrame(
        {
            "reported_date": dates.to_numpy(),
            "category": pd.array(rng.choice(np.array(CATS, dtype=object), n), dtype="str"),
            "risk_level": pd.array(rng.choice(np.array(RISKS, dtype=object), n), dtype="str"),
            "reporting_agency": rng.choice(["police", "education", "health"], n),
            "age": ages.to_numpy(),
            "looked_after": pd.array(
                rng.choice(np.array([True, False, None], dtype=object), n), dtype="boolean"
            ),
        },
        geometry=geoms,
        crs=27700,
    )


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cats=st.none() | st.lists(st.sampled_from(["CSE", "CCE", "county lines", "other"]), min_size=1),
    risks=st.none() | st.lists(st.sampled_from(["low", "high"]), min_size=1),
    start=st.none() | st.dates(dt.date(2023, 12, 1), dt.date(2024, 5, 1)),
    days=st.integers(0, 90),
    ages=st.none() | st.tuples(st.integers(0, 15), st.integers(10, 25)),
    looked=st.none() | st.booleans(),
)
def test_index_mask_equals_filter_kind(
    seed: int,
    cats: list[str] | None,
    risks: list[str] | None,
    start: dt.date | None,
    days: int,
    ages: tuple[int, int] | None,
    looked: bool | None,
) -> None:
    frame = _random_concerns(seed, 150)
    filters = Filters(
        categories=tuple(cats) if cats else None,
        risk_levels=tuple(risks) if risks else None,
        start=start,
        end=start + dt.timedelta(days=days) if start else None,
        age_band=ages,
        looked_after=looked,
    )
    expected = filter_kind(frame, kind="concerns", filters=filters)
    index = build_point_index(frame, point_kind="concerns")
    mask = index.mask(filters)
    assert np.flatnonzero(mask).tolist() == expected.index.tolist()
    summary = filtered_cell_counts(index, filters=filters, cell=250)
    pts = points(expected, "concerns")
    assert summary.n_records == len(expected)
    assert summary.n_points == len(pts)
    assert summary.cells.values.tolist() == points_cell_counts(pts, cell=250).values.tolist()


def test_index_of_missing_episodes_uses_found_and_last_seen() -> None:
    rec = gpd.GeoDataFrame(
        {
            "start": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "found_easting": [410_050.0, np.nan],
            "found_northing": [410_050.0, np.nan],
            "last_seen_easting": [411_050.0, 411_060.0],
            "last_seen_northing": [410_050.0, 410_060.0],
        },
        geometry=[shapely.Point(410_050, 410_050), shapely.Point(411_060, 410_060)],
        crs=27700,
    )
    found = filtered_cell_counts(
        build_point_index(rec, point_kind="missing_found"), filters=Filters(), cell=100
    )
    seen = filtered_cell_counts(
        build_point_index(rec, point_kind="missing_last_seen"), filters=Filters(), cell=100
    )
    assert (found.n_records, found.n_points) == (2, 1)
    assert found.cells.values.tolist() == [[4100, 4100, 1]]
    assert (seen.n_records, seen.n_points) == (2, 2)
    assert seen.cells.values.tolist() == [[4110, 4100, 2]]
    # a kind left out of the sidebar's kinds keeps nothing
    none = build_point_index(rec, point_kind="missing_found").mask(Filters(kinds=("concerns",)))
    assert not none.any()


# --- the deck -------------------------------------------------------------------------------


def test_deck_payload_is_bounded_by_cells_not_records() -> None:
    area = load_area("kirklees")
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = area.outline.total_bounds
    n = 200_000
    e = rng.uniform(minx, maxx, n)
    nn = rng.uniform(miny, maxy, n)
    table = cell_counts(e, nn, cell=200)
    deck = build_count_deck({"concerns": table}, area=area, cell=200)
    spec = json.loads(deck.to_json())
    layer = next(layer for layer in spec["layers"] if layer["@@type"] == "ScatterplotLayer")
    assert len(layer["data"]) == len(table) < n
    assert sum(d["n"] for d in layer["data"]) == n
    assert spec.get("mapStyle") in (None, "")  # no base map: nothing from the internet
    assert deck_payload_bytes(deck) < 5_000_000
    assert all("http" not in str(v) for v in layer["data"][:10])


def test_deck_tooltip_label_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.maps.deck

    monkeypatch.setitem(app.maps.deck.POINT_STYLES, "concerns", ("<b>x</b>", "#c0392b"))
    table = pd.DataFrame({"ix": [2073], "iy": [2085], "count": [3]})
    deck = build_count_deck({"concerns": table}, area=load_area("kirklees"), boundaries=False)
    text = deck.to_json()
    assert "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text


# --- coarsening and the folium cell layer ---------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(400_000, 430_000), st.floats(400_000, 430_000)),
        min_size=0,
        max_size=150,
    ),
    st.sampled_from([1, 2, 4, 8]),
)
def test_coarsening_equals_counting_again(pts: list[tuple[float, float]], factor: int) -> None:
    e = np.array([p[0] for p in pts], dtype=float)
    n = np.array([p[1] for p in pts], dtype=float)
    coarse = coarsen_counts(cell_counts(e, n, cell=100), factor=factor)
    assert coarse.values.tolist() == cell_counts(e, n, cell=100 * factor).values.tolist()


def test_fit_cells_caps_the_cells_and_keeps_every_count() -> None:
    rng = np.random.default_rng(5)
    e, n = rng.uniform(400_000, 420_000, 50_000), rng.uniform(400_000, 420_000, 50_000)
    tables = {
        "concerns": cell_counts(e[:30_000], n[:30_000], cell=100),
        "placements": cell_counts(e[30_000:], n[30_000:], cell=100),
    }
    fitted, size = fit_cells(tables, cell=100, max_cells=500)
    # 20 km square: 100 m -> 40,000 cells; 800 m -> 625 cells; 1600 m -> ~169 cells
    assert size == 1600.0
    occupied = merge_counts(*fitted.values())
    assert len(occupied) <= 500
    assert {k: int(t["count"].sum()) for k, t in fitted.items()} == {
        "concerns": 30_000,
        "placements": 20_000,
    }
    same, same_size = fit_cells(tables, cell=100, max_cells=10**6)
    assert same_size == 100.0 and same["concerns"].equals(tables["concerns"])


def test_count_map_sends_cells_not_points() -> None:
    from app.maps.cell_map import count_breaks
    from app.maps.folium_map import build_count_map

    area = load_area("kirklees")
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = area.outline.total_bounds
    e, n = rng.uniform(minx, maxx, 200_000), rng.uniform(miny, maxy, 200_000)
    table = cell_counts(e, n, cell=100)
    assert len(table) > MAX_CELLS  # the cap has to act
    built = build_count_map({"concerns": table}, area=area, cell=100)
    html = built.fmap.get_root().render()
    assert built.mode == "cells" and built.counts == {"concerns": 200_000}
    assert built.cell is not None and built.cell > 100
    assert 0 < built.n_cells <= MAX_CELLS
    assert _n_points(html) == 0
    features = [
        f
        for layer in _geojson_layers(html)
        for f in layer["features"]
        if "count" in f["properties"]
    ]
    assert len(features) == built.n_cells
    assert sum(f["properties"]["count"] for f in features) == 200_000
    assert sum(f["properties"]["concerns"] for f in features) == 200_000
    top = max(f["properties"]["count"] for f in features)
    assert f"–{count_breaks(top)[-1]:,}" in html  # legend's top class ends at the largest count
    assert len(html.encode()) < 5_000_000


def _n_points(text: str) -> int:
    """Point geometries in map JS (compact or spaced JSON)."""
    return len(re.findall(r'"type":\s*"Point"', text))


def _geojson_layers(html: str) -> list[dict]:
    """Every GeoJSON FeatureCollection embedded in a rendered folium map (compact or spaced)."""
    dec = json.JSONDecoder()
    out = []
    start = 0
    starts = re.compile(r'\{"type":\s*"FeatureCollection"|\{"features":')
    while (m := starts.search(html, start)) is not None:
        obj, end = dec.raw_decode(html, m.start())
        out.append(obj)
        start = end
    return out


# --- the Map page in aggregated mode (AppTest) ----------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("deckstore"))


def _folium_script(at: AppTest) -> str:
    """The map's JS: the base map plus the layer streamlit-folium swaps on a filter change."""
    for el in at.main:
        proto = getattr(el, "proto", None)
        if "streamlit_folium" in str(getattr(proto, "component_name", "")):
            args = json.loads(proto.json_args)
            return "\n".join(str(args.get(k) or "") for k in ("script", "feature_group"))
    raise AssertionError("no st_folium map on the page")


def _cell_features(at: AppTest) -> list[dict]:
    """Cell features (they carry a ``count``) of the page's folium map."""
    return [
        f
        for layer in _geojson_layers(_folium_script(at))
        for f in layer["features"]
        if "count" in f.get("properties", {})
    ]


def _kind_totals(features: list[dict]) -> dict[str, int]:
    kinds = ("concerns", "missing_last_seen", "missing_found", "placements")
    return {k: sum(int(f["properties"].get(k, 0)) for f in features) for k in kinds}


def _deck_spec(at: AppTest) -> dict:
    for el in at.main:
        proto = getattr(el, "proto", None)
        if proto is not None and hasattr(proto, "json") and '"layers"' in str(proto.json):
            return json.loads(proto.json)
    raise AssertionError("no pydeck chart on the page")


def test_map_page_draws_cell_counts_beyond_max_points(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if missing_assets():
        pytest.skip("map assets not vendored: run `make vendor`")
    import app.maps.folium_map

    monkeypatch.setenv("CSMAP_STORE", str(store))
    monkeypatch.setenv("CSMAP_AREA", "kirklees")
    monkeypatch.setenv("CSMAP_DEMO", "1")
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(store.parent / "audit.jsonl"))
    monkeypatch.setattr(app.maps.folium_map, "MAX_POINTS", 5)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception, at.exception
    # folium, in the same iframe as small data: one layer of cells, no point feature at all
    script = _folium_script(at)
    assert _n_points(script) == 0
    features = _cell_features(at)
    assert 0 < len(features) <= MAX_CELLS
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    assert _kind_totals(features) == {
        "concerns": N_CONCERNS,
        "missing_last_seen": N_MISSING,
        "missing_found": N_MISSING_FOUND,
        "placements": N_PLACEMENTS,
    }
    assert sum(f["properties"]["count"] for f in features) == (
        N_CONCERNS + N_MISSING + N_MISSING_FOUND + N_PLACEMENTS
    )
    assert "Records per" in script  # legend
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Concerns"] == str(N_CONCERNS)

    cat = next(m for m in at.sidebar.multiselect if m.label.startswith("Category"))
    cat.set_value(["CCE"]).run()
    assert not at.exception, at.exception
    totals = _kind_totals(_cell_features(at))
    assert totals["concerns"] == N_CONCERNS - N_CSE
    assert totals["placements"] == N_PLACEMENTS
    assert {m.label: m.value for m in at.main.metric}["Concerns"] == str(N_CONCERNS - N_CSE)

    # the opt-in WebGL view draws the same counts with pydeck
    at.toggle(key="map_webgl").set_value(True).run()
    assert not at.exception, at.exception
    spec = _deck_spec(at)
    decks = {
        layer["id"]: sum(d["n"] for d in layer["data"])
        for layer in spec["layers"]
        if layer["@@type"] == "ScatterplotLayer"
    }
    assert decks["cells-concerns"] == N_CONCERNS - N_CSE
