"""The fast ingest paths agree with the straightforward ones they replace.

Each fast path (pyarrow CSV reading, Arrow row hashes, Arrow number parsing, shared area strings,
Arrow-typed store columns) is compared value for value with the reference implementation on
hand-picked awkward inputs and on hypothesis-generated ones.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geo.ingest.content_hash import content_hashes, content_hashes_python
from geo.ingest.pipeline import _shared_objects
from geo.ingest.read.readers import _parse_csv, read_table
from geo.locate.coords import _arrow_floats, _numeric
from geo.store.gpkg import Store

AWKWARD = [
    " x\x1f",
    "\u3000y\xa0",
    "",
    "é\x1c",
    "a\u2028",
    "\t",
    "q ",
    "  ",
    "=HYPERLINK(1)",
    "<b>",
]


def test_content_hash_matches_documented_definition() -> None:
    canon = pd.DataFrame({"a": [" 1 ", "x"], "b": ["b\t", ""]}, dtype=str)
    expected = [
        hashlib.sha256(b"a=1\x1fb=b\x1f").hexdigest(),
        hashlib.sha256(b"a=x\x1f").hexdigest(),
    ]
    assert content_hashes(canon).tolist() == expected


def test_content_hash_fast_equals_python_on_awkward_text() -> None:
    canon = pd.DataFrame({"a": AWKWARD, "b": list(reversed(AWKWARD))}, dtype=str)
    assert (content_hashes(canon) == content_hashes_python(canon)).all()
    sliced = canon.iloc[3:]  # an Arrow slice with a non-zero offset
    assert (content_hashes(sliced) == content_hashes_python(sliced)).all()


def test_content_hash_falls_back_for_lone_surrogates() -> None:
    canon = pd.DataFrame(
        {"a": pd.Series(["\ud800z", "ok"], dtype=object), "b": pd.Series(["1", "2"], dtype=object)}
    )
    assert content_hashes(canon).tolist() == content_hashes_python(canon).tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), min_size=1, max_size=20))
def test_content_hash_property(rows: list[tuple[str, str]]) -> None:
    canon = pd.DataFrame(rows, columns=["a", "b"], dtype=object)
    assert content_hashes(canon).tolist() == content_hashes_python(canon).tolist()


def _both_readers(text: str, tmp: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    path = tmp / "x.csv"
    slow = _parse_csv(text, path)
    fast = _parse_csv(text, path, utf8=text.encode("utf-8"))
    return slow, fast


def test_arrow_reader_equals_pandas_reader(tmp_path: Path) -> None:
    text = (
        'id,place,"note, with comma"\r\n'
        '1,"Caf\u00e9 ""Moon""","two\nlines"\r\n'
        "\r\n"
        "2,,=SUM(A1)\r\n"
        '3,  spaced  ,"<script>x</script>"\r\n'
    )
    slow, fast = _both_readers(text, tmp_path)
    assert fast is not None
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["note, with comma"].tolist() == ["two\nlines", "=SUM(A1)", "<script>x</script>"]
    assert fast["place"].tolist() == ['Caf\u00e9 "Moon"', "", "  spaced  "]


def test_ragged_rows_still_keep_every_cell(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2,3\n4\n", encoding="utf-8")
    frame = read_table(path).frame
    assert frame.values.tolist() == [["1", "2", "3"], ["4", "", ""]]


def test_semicolon_and_bom_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("\ufeffid;name\n1;Zo\u00eb\n".encode())
    assert read_table(path).frame.to_dict("list") == {"id": ["1"], "name": ["Zo\u00eb"]}
    path.write_bytes("id,name\n1,Zo\u00eb\n".encode("latin-1"))
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.frame["name"].tolist() == ["Zo\u00eb"]


cell = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8))
def test_arrow_reader_property(tmp_path_factory: pytest.TempPathFactory, rows: list) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    text = frame.to_csv(index=False, lineterminator="\n")
    slow, fast = _both_readers(text, tmp_path_factory.mktemp("p"))
    if fast is not None:  # None = the tolerant path decides (e.g. whitespace-only lines)
        pd.testing.assert_frame_equal(fast, slow)


@pytest.mark.parametrize(
    "values",
    [
        [" 53.6", "-1.5 ", "", "1e3", "+2", ".5", "\t7\n"],
        ["53.6", "abc", "", "N/A", "1,5"],
        ["inf", "nan", "1", " ", "-0"],
    ],
)
def test_arrow_numbers_equal_pandas_numbers(values: list[str]) -> None:
    text = pd.DataFrame({"x": pd.Series(values, dtype="str")})
    objects = pd.DataFrame({"x": pd.Series(values, dtype=object)})  # pandas path
    for fast, slow in zip(_numeric(text, "x"), _numeric(objects, "x"), strict=True):
        np.testing.assert_array_equal(fast, slow)
    parsed = _arrow_floats(text["x"])
    if parsed is not None:
        expected = pd.to_numeric(text["x"], errors="coerce").to_numpy(dtype=float)
        np.testing.assert_array_equal(parsed, expected)


def test_shared_objects_equal_astype_object() -> None:
    s = pd.Series(pd.array(["E01", None, "E02", "E01"], dtype="string"))
    out = _shared_objects(s)
    assert out.tolist() == s.astype(object).tolist()
    assert out[0] is out[3]  # one Python string per distinct value


def test_store_column_types_round_trip(tmp_path: Path) -> None:
    records = gpd.GeoDataFrame(
        {
            "record_id": pd.Series(["a", "b"], dtype=object),
            "age": pd.array([pd.NA, pd.NA], dtype="Int64"),
            "looked_after": pd.array([True, pd.NA], dtype="boolean"),
            "summary": pd.Series([None, "<b>x</b>"], dtype=object),
            "source_row": np.array([2, 3], dtype=np.int64),
        },
        geometry=[Point(414400, 416400), None],
        crs=27700,
    )
    store = Store(tmp_path / "s.gpkg")
    with store.transaction() as tx:
        tx.append("concerns", records)
    back = store.read("concerns")
    assert back["record_id"].tolist() == ["a", "b"]
    assert back["age"].isna().all() and str(back["age"].dtype) == "Int64"
    assert back["looked_after"].tolist()[0] is True and pd.isna(back["looked_after"].iloc[1])
    assert pd.isna(back["summary"].iloc[0]) and back["summary"].iloc[1] == "<b>x</b>"
    assert back.geometry.iloc[1] is None


@pytest.mark.parametrize("block", ["_HASH_BLOCK", "_CONTENT_BLOCK"])
def test_content_hashes_in_blocks(monkeypatch: pytest.MonkeyPatch, block: str) -> None:
    import geo.ingest.content_hash

    monkeypatch.setattr(geo.ingest.content_hash, block, 3)
    canon = pd.DataFrame({"a": [str(i) for i in range(10)], "b": [" x"] * 10}, dtype=str)
    assert content_hashes(canon).tolist() == content_hashes_python(canon).tolist()
    tail = canon.iloc[2:]
    assert content_hashes(tail).tolist() == content_hashes_python(tail).tolist()


def test_store_batched_write_equals_one_frame_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyogrio

    import geo.store.frames
    import geo.store.gpkg

    n = 25
    records = gpd.GeoDataFrame(
        {
            "record_id": pd.Series([f"R{i}" for i in range(n)], dtype=object),
            "reported_date": pd.to_datetime(["2024-03-05"] * n).astype("datetime64[ms]"),
            "place_name": pd.Series([None] * 10 + ["x"] * (n - 10), dtype=object),
            "age": pd.array([pd.NA] * 12 + [14] * (n - 12), dtype="Int64"),
            "in_study_area": np.arange(n) % 2 == 0,
        },
        geometry=[Point(414400 + i, 416400) if i % 5 else None for i in range(n)],
        crs=27700,
    )
    monkeypatch.setattr(geo.store.frames, "_BATCH_ROWS", 4)  # first batches all-null in two columns
    batched = Store(tmp_path / "a.gpkg")
    with batched.transaction() as tx:
        tx.append("concerns", records)
    monkeypatch.setattr(geo.store.gpkg, "arrow_stream", lambda data: None)
    whole = Store(tmp_path / "b.gpkg")
    with whole.transaction() as tx:
        tx.append("concerns", records)
    info_a = pyogrio.read_info(batched.path, layer="concerns")
    info_b = pyogrio.read_info(whole.path, layer="concerns")
    assert list(info_a["fields"]) == list(info_b["fields"])
    assert list(info_a["dtypes"]) == list(info_b["dtypes"])
    pd.testing.assert_frame_equal(batched.read("concerns"), whole.read("concerns"))
    assert batched.read("concerns")["place_name"].iloc[-1] == "x"


def test_dates_same_for_arrow_and_object_text() -> None:
    from geo.ingest.values import parse_dates

    raw = ["2024-03-05", "05/03/2024 14:30", "45356", "", "31/02/2024", "2999-01-01", "x"] * 3
    now = pd.Timestamp("2025-01-01")
    fast = parse_dates(pd.Series(raw, dtype="str", index=range(5, 26)), field="d", now=now)
    slow = parse_dates(pd.Series(raw, dtype=object, index=range(5, 26)), field="d", now=now)
    pd.testing.assert_series_equal(fast[0], slow[0])
    pd.testing.assert_series_equal(fast[1], slow[1])
    assert str(fast[0].iloc[1]) == "2024-03-05 14:30:00"
    assert fast[1].iloc[4] == "d: '31/02/2024' is not a date" and pd.isna(fast[0].iloc[4])
