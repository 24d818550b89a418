"""The point-kind -> record-kind map lives once, in ``geo.vocab.POINT_RECORD_KINDS``."""

from __future__ import annotations

import ast
from pathlib import Path

from app.maps.point_index import build_point_index
from geo.vocab import POINT_KINDS, POINT_RECORD_KINDS

ROOT = Path(__file__).resolve().parents[3]


def _private_copies(path: Path) -> list[int]:
    """Lines of dict literals in ``path`` that map a point kind to its stored record kind."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        pairs = {
            k.value: v.value
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
        }
        if pairs.get("missing_found") == "missing_episodes":
            lines.append(node.lineno)
    return lines


def test_no_module_outside_geo_vocab_keeps_its_own_map() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for folder in ("app", "analysis", "geo")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (lines := _private_copies(path)) and path != ROOT / "geo" / "vocab.py"
    }
    assert found == {}
    assert _private_copies(ROOT / "geo" / "vocab.py")  # the scan does find the one map


def test_point_index_uses_the_vocabulary() -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    assert set(POINT_RECORD_KINDS) == set(POINT_KINDS)
    episodes = gpd.GeoDataFrame(
        {
            "start": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "found_easting": [414000.0, None],
            "found_northing": [416000.0, None],
            "last_seen_easting": [415000.0, 415100.0],
            "last_seen_northing": [417000.0, 417100.0],
        },
        geometry=[shapely.Point(1, 2), shapely.Point(3, 4)],
        crs=27700,
    )
    assert build_point_index(episodes, point_kind="missing_found").has_point.tolist() == [
        True,
        False,
    ]
    assert build_point_index(episodes, point_kind="missing_last_seen").has_point.all()
