"""Hypothesis fuzzing of ingest: random bytes, random column sets, random values.

Whatever the file, ingest either refuses it with :class:`~geo.errors.UnreadableFileError` (and a
message naming the file) or returns a report where every input row is in exactly one place:
``rows_read == loaded + quarantined + duplicate``, and the loaded, quarantined and duplicate row
numbers partition ``2 .. rows_read + 1``. When the file was written cleanly (quoted CSV, UTF-8,
every row with a non-blank cell), ``rows_read`` is the number of rows written and each loaded
record's ``row_hash`` is that of the row it claims to come from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from geo.errors import UnreadableFileError
from geo.ingest.pipeline import IngestReport, ingest_file, validate_file
from geo.ingest.read.readers import _unique_names
from geo.ingest.schema import ID_COLUMN, REQUIRED, SYNONYMS, canonical_columns, match_columns
from geo.ingest.synonyms import LOCATION_SYNONYMS
from geo.locate.geocode import Lookups
from geo.places.boundaries import StudyArea, load_area
from geo.store.gpkg import Store
from geo.vocab import KINDS

FUZZ = settings(
    max_examples=60,
    deadline=None,
    # No shrinking: it can take minutes on these inputs; the failing example is printed as found.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NO_LOOKUPS = Lookups()
HUGE = "x" * 100_000
FORMULAS = (
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
)
DATE_COLUMNS = {"reported_date", "start", "end", "start_date", "end_date", "rhi_date"}


@lru_cache(maxsize=1)
def _area() -> StudyArea:
    return load_area("kirklees")


def _names(kind: str) -> list[str]:
    """Canonical names, their synonyms and location synonyms (with prefixes for missing)."""
    names = list(canonical_columns(kind))  # type: ignore[arg-type]
    for spellings in SYNONYMS.get(kind, {}).values():
        names.extend(spellings)
    prefixes = (
        ("last_seen_", "found_", "ls_", "recovered_") if kind == "missing_episodes" else ("",)
    )
    for spellings in LOCATION_SYNONYMS.values():
        names.extend(p + s for p in prefixes for s in spellings[:3])
    return names


def _plausible(name: str) -> st.SearchStrategy[str]:
    key = name.lower()
    if key.endswith(("lat", "latitude", "_y")) or key == "y":
        return st.floats(53.55, 53.75).map(lambda v: f"{v:.5f}")
    if key.endswith(("lon", "lng", "long", "longitude", "_x")) or key == "x":
        return st.floats(-1.95, -1.6).map(lambda v: f"{v:.5f}")
    if "east" in key:
        return st.integers(405_000, 425_000).map(str)
    if "north" in key:
        return st.integers(405_000, 425_000).map(str)
    if "date" in key or key in DATE_COLUMNS or key in ("date", "reported"):
        return st.one_of(
            st.dates(pd.Timestamp("2015-01-01").date(), pd.Timestamp("2025-12-31").date()).map(str),
            st.datetimes().map(lambda d: d.strftime("%d/%m/%Y %H:%M")),
        )
    if key.endswith("id") or key in ("ref", "reference", "record"):
        return st.sampled_from(["1", "2", "3", "A-7", " 2 "])
    return st.sampled_from(["CSE", "cce", "park", "police", "high", "K2", "PR1", "yes", ""])


def _junk() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=20),
        st.text(alphabet="ab\x00\x1f\u2028\ufeff", max_size=6),
        st.sampled_from(FORMULAS),
        st.sampled_from([HUGE, "", " ", "NaN", "None", "null", "1e308", "-0", "\u202e"]),
        st.integers().map(str),
        st.floats().map(str),
        st.dates().map(str),
    )


@st.composite
def _table(draw: st.DrawFn, kind: str) -> tuple[list[str], list[list[str]]]:
    """A header (random subset/superset of known names, synonyms and junk) and rows."""
    known = _names(kind)
    if draw(st.booleans()):  # a superset of what is required, plus extras
        header = list(REQUIRED[kind])
        header += (
            ["last_seen_latitude", "last_seen_longitude"]
            if kind == "missing_episodes"
            else ["latitude", "longitude"]
        )
        header += draw(st.lists(st.sampled_from(known) | st.text(max_size=10), max_size=4))
    else:
        header = draw(
            st.lists(st.sampled_from(known) | st.text(max_size=10), min_size=1, max_size=8)
        )
    if draw(st.booleans()):
        header = [h.upper() if draw(st.booleans()) else h for h in header]
    n_rows = draw(st.integers(0, 6))
    rows = [[draw(_plausible(name) | _junk()) for name in header] for _ in range(n_rows)]
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[str]], *, style: str) -> bool:
    """Write the table; return True when the file is 'clean' (exact row checks apply)."""
    if style == "raw":  # no quoting: delimiters/newlines in cells make it ragged
        text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return False
    buffer = io.StringIO()
    # "\r\n" as the terminator makes QUOTE_MINIMAL quote cells holding a bare "\r" too (a bare,
    # unquoted "\r" is an old Mac line break, and is read as one).
    writer = csv.writer(
        buffer,
        quoting=csv.QUOTE_ALL if style == "quote_all" else csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writerow(header)
    writer.writerows(rows)
    encoding = {"cp1252": "cp1252", "bom": "utf-8-sig"}.get(style, "utf-8")
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    special = set(",;\t|\"'\n\r")
    clean_header = all(h.strip() and not special & set(h) for h in header)
    every_row_has_text = all(any(c.strip() for c in row) for row in rows)
    return style != "cp1252" and clean_header and every_row_has_text and len(header) > 1


def _row_hash(header: list[str], cells: list[str], kind: str) -> str:
    """The documented ``row_hash``: ``name=value`` U+001F per non-empty canonical field, sorted."""
    names = _unique_names(header)
    matched, _ = match_columns(names, kind=kind, mapping=None)  # type: ignore[arg-type]
    pairs = sorted(
        (target, cells[names.index(name)].replace("\x00", "\ufffd").strip())
        for name, target in matched.items()
    )
    text = "".join(f"{t}={v}\x1f" for t, v in pairs if v)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _check_partition(report: IngestReport) -> None:
    assert report.rows_read == (
        report.rows_loaded + report.rows_quarantined + report.rows_duplicate
    )
    loaded = report.records["source_row"].astype(int).tolist()
    quarantined = report.quarantine["source_row"].astype(int).tolist()
    duplicate = list(report.duplicate_rows)
    everything = loaded + quarantined + duplicate
    assert len(everything) == len(set(everything)), "a row is in two places"
    # physical row numbers (header = 1): blank lines count, so they need not be contiguous
    assert len(everything) == report.rows_read and min(everything, default=2) >= 2, "a row is lost"
    assert (report.quarantine["reasons"].astype(str).str.len() > 0).all()


def _check_exact(report: IngestReport, header: list[str], rows: list[list[str]]) -> None:
    assert report.rows_read == len(rows)
    for source_row, digest in zip(
        report.records["source_row"], report.records["row_hash"], strict=True
    ):
        assert digest == _row_hash(header, rows[int(source_row) - 2], report.kind)


STYLES = st.sampled_from(["minimal", "quote_all", "bom", "cp1252", "raw"])


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".txt", ""]))
def test_random_bytes_never_crash(data: bytes, suffix: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="csmap_fuzz_"))
    try:
        path = folder / f"input{suffix}"
        path.write_bytes(data)
        try:
            report = validate_file("concerns", path, lookups=NO_LOOKUPS, area=_area())
        except UnreadableFileError as exc:
            assert str(path) in str(exc)
            return
        _check_partition(report)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@FUZZ
@given(
    kind=st.sampled_from(KINDS),
    prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"PK\x03\x04", b"%PDF"]),
    data=st.binary(max_size=400),
)
def test_random_bytes_after_a_valid_header(kind: str, prefix: bytes, data: bytes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="csmap_fuzz_"))
    try:
        path = folder / "input.csv"
        header = ",".join([*REQUIRED[kind], "latitude", "longitude"]).encode()
        path.write_bytes(prefix + header + b"\n" + data)
        try:
            report = validate_file(kind, path, lookups=NO_LOOKUPS, area=_area())  # type: ignore[arg-type]
        except UnreadableFileError as exc:
            assert str(path) in str(exc)
            return
        _check_partition(report)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.data(), style=STYLES)
def test_validate_random_tables(kind: str, data: st.DataObject, style: str) -> None:
    header, rows = data.draw(_table(kind))
    folder = Path(tempfile.mkdtemp(prefix="csmap_fuzz_"))
    try:
        path = folder / "input.csv"
        clean = _write(path, header, rows, style=style)
        try:
            report = validate_file(kind, path, lookups=NO_LOOKUPS, area=_area())  # type: ignore[arg-type]
        except UnreadableFileError as exc:
            assert str(path) in str(exc)
            return
        _check_partition(report)
        if clean:
            _check_exact(report, header, rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(FUZZ, max_examples=30)
@given(kind=st.sampled_from(KINDS), data=st.data(), style=STYLES)
def test_ingest_random_tables_into_a_store(kind: str, data: st.DataObject, style: str) -> None:
    header, rows = data.draw(_table(kind))
    folder = Path(tempfile.mkdtemp(prefix="csmap_fuzz_"))
    try:
        path = folder / "input.csv"
        store = Store(folder / "store.gpkg")
        clean = _write(path, header, rows, style=style)
        try:
            first = ingest_file(kind, path, store=store, lookups=NO_LOOKUPS, area=_area())  # type: ignore[arg-type]
        except UnreadableFileError as exc:
            assert str(path) in str(exc)
            assert not store.path.exists(), "a refused file must leave the store untouched"
            return
        _check_partition(first)
        if clean:
            _check_exact(first, header, rows)
        stored = store.read(kind)
        id_col = ID_COLUMN[kind]
        assert len(stored) == first.rows_loaded
        assert sorted(stored["source_row"].astype(int)) == sorted(
            first.records["source_row"].astype(int)
        )
        assert sorted(stored[id_col].astype(str)) == sorted(first.records[id_col].astype(str))
        if first.rows_quarantined:
            assert first.quarantine_file is not None
            written = pd.read_csv(
                first.quarantine_file, dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
            assert sorted(written["source_row"].astype(int)) == sorted(
                first.quarantine["source_row"].astype(int)
            )
        # Re-ingesting the same file changes nothing.
        second = ingest_file(kind, path, store=store, lookups=NO_LOOKUPS, area=_area())  # type: ignore[arg-type]
        _check_partition(second)
        assert second.rows_loaded == 0
        assert second.rows_quarantined == first.rows_quarantined
        assert second.rows_duplicate == first.rows_loaded + first.rows_duplicate
        assert len(store.read(kind)) == first.rows_loaded
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_generator_reaches_loaded_rows(kind: str) -> None:
    """The generator is not vacuous: a plausible table loads rows (a fixed, hand-made example)."""
    folder = Path(tempfile.mkdtemp(prefix="csmap_fuzz_"))
    try:
        header = [
            *REQUIRED[kind],
            *(
                ["last_seen_latitude", "last_seen_longitude"]
                if kind == "missing_episodes"
                else ["latitude", "longitude"]
            ),
        ]
        rows = [["1", "2024-03-05", "53.65", "-1.78"], ["2", "=1+1", "53.65", "-1.78"]]
        if kind != "concerns":
            rows = [[r[0], "K1", *r[1:]] for r in rows]
            header = [header[0], "child_ref", *header[1:]]
        path = folder / "input.csv"
        assert _write(path, header, rows, style="minimal")
        report = validate_file(kind, path, lookups=NO_LOOKUPS, area=_area())  # type: ignore[arg-type]
        _check_partition(report)
        _check_exact(report, header, rows)
        assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_regression_bare_carriage_return_in_a_ragged_file(tmp_path: Path) -> None:
    """Found by the fuzzer: a bare "\\r" in a ragged CSV crashed the reader with ``_csv.Error``.

    The C parser splits rows at a bare "\\r" (old Mac line end) and then finds them ragged; the
    fallback csv module must read the same rows instead of raising.
    """
    path = tmp_path / "ragged.csv"
    path.write_bytes(
        b"record_id,reported_date,latitude,longitude\n"
        b"1,2024-03-05,53.65,-1.78\n"
        b"2,2024-03-05,53.65,\r=1,x\n"
        b"3,2024-03-05,53.65,-1.78,one cell too many\n"
    )
    report = validate_file("concerns", path, lookups=NO_LOOKUPS, area=_area())
    _check_partition(report)
    assert report.rows_read == 4  # the bare "\r" ends a row, as in pandas and Excel
    assert report.records["record_id"].tolist() == ["1", "3"]
    assert report.quarantine["source_row"].tolist() == [3, 4]
    assert "one cell too many" in str(report.records["extra"].iloc[1])  # the extra cell is kept


def test_regression_quarantine_file_keeps_cells_with_carriage_returns(tmp_path: Path) -> None:
    """Found by the fuzzer: a quarantined cell holding a bare "\\r" was written unquoted, so
    the quarantine CSV read back with one row too many and a shifted ``source_row``."""
    path = tmp_path / "cr.csv"
    path.write_bytes(
        b"record_id,reported_date,latitude,longitude,summary\n"
        b'1,not a date,53.65,-1.78,"first\rsecond"\n'
        b"2,2024-03-05,53.65,-1.78,fine\n"
    )
    report = ingest_file(
        "concerns", path, store=tmp_path / "s.gpkg", lookups=NO_LOOKUPS, area=_area()
    )
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert report.quarantine_file is not None
    saved = pd.read_csv(
        report.quarantine_file, dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert saved["source_row"].tolist() == ["2"]
    assert saved["summary"].tolist() == ["first\rsecond"]
    with report.quarantine_file.open(newline="", encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 2  # header + the one quarantined row


@pytest.mark.parametrize("payload", [b"\x1e", b"\x1c\n\x1f", b" \n\t\n"])
def test_whitespace_only_file_is_unreadable_not_a_crash(tmp_path: Path, payload: bytes) -> None:
    """Found by the fuzzer: separator characters that str.strip removes left no header line."""
    from geo.errors import UnreadableFileError
    from geo.ingest.pipeline import validate_file

    path = tmp_path / "blank.csv"
    path.write_bytes(payload)
    with pytest.raises(UnreadableFileError, match="blank.csv"):
        validate_file("concerns", path)
