"""csmap disruption: CSV watchlist (formula-safe), HTML (escaped) and PDF (renders, not blank)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from app.cli import main
from geo.formats.venue_registers import import_venues
from geo.store.meta import set_meta
from tests._demo_store import demo_store
from tests._report_checks import pdf_page_ink


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dis")
    path = folder / "store.gpkg"
    shutil.copyfile(demo_store(), path)
    hostile = folder / "hotels.csv"
    hostile.write_text(
        "name,licence no,operator,easting,northing\n"
        "<script>alert('x')</script> Hotel,H9,=1+2,414400,416400\n",
        encoding="utf-8",
    )
    import_venues(hostile, kind="hotel", store=path, area="kirklees")
    homes = folder / "homes.csv"
    homes.write_text("name,urn,easting,northing\nSecret House,SC9,414420,416400\n")
    import_venues(homes, kind="children's home", store=path, area="kirklees")
    # Any import clears the demo marker (real data may have arrived); these registers are made up
    # for the test, so mark the store as synthetic again, as `make demo` does after loading.
    set_meta(path, key="demo", value="true")
    return path


def test_watchlist_csv(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.csv"
    assert main(["disruption", "--store", str(store), "--method", "repeat", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and {"rank", "venue_id", "n_3m", "prev_3m", "change_12m", "cat_CSE"} <= set(rows[0])
    assert "child_ref" not in rows[0] and "record_id" not in rows[0]
    body = out.read_text(encoding="utf-8")
    assert "Secret House" not in body
    for row in rows:
        assert not str(row["name"] or "").startswith(("=", "+", "@"))
    assert '"hotspots"' in capsys.readouterr().out


def test_briefing_html_and_pdf(store: Path, tmp_path: Path) -> None:
    from geo.store.gpkg import Store

    child_refs = set(Store(store).read("concerns")["child_ref"].dropna().astype(str))
    html_path = tmp_path / "b.html"
    assert (
        main(["disruption", "--store", str(store), "--radius", "300", "--out", str(html_path)]) == 0
    )
    html = html_path.read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Hotel" in html
    assert "Secret House" not in html and "child_ref" not in html
    assert not any(ref in html for ref in child_refs)
    assert "data:image/png;base64," in html and "Synthetic demo data" in html
    pdf = tmp_path / "b.pdf"
    assert main(["disruption", "--store", str(store), "--out", str(pdf)]) == 0
    pages, ink = pdf_page_ink(pdf, page=1)  # the map page
    assert pages >= 3 and ink > 0.01
    assert b"Secret House" not in pdf.read_bytes()


def test_bad_input(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["disruption", "--store", str(store), "--out", str(tmp_path / "x.txt")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["disruption", "--store", str(tmp_path / "none.gpkg"), "--out", "a.csv"]) == 2
    assert "store not found" in capsys.readouterr().err


def _small_counts(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [
        (k, v)
        for row in rows
        for k, v in row.items()
        if k.startswith(("n_", "prev_", "cat_")) and v in {"1", "2", "3", "4"}
    ]


def test_watchlist_partner_by_default_analyst_on_request(store: Path, tmp_path: Path) -> None:
    base = ["disruption", "--store", str(store), "--method", "repeat"]
    partner, analyst = tmp_path / "p.csv", tmp_path / "a.csv"
    assert main([*base, "--out", str(partner)]) == 0
    assert main([*base, "--role", "analyst", "--out", str(analyst)]) == 0
    raw = list(csv.DictReader(analyst.open(encoding="utf-8")))
    shown = list(csv.DictReader(partner.open(encoding="utf-8")))
    assert _small_counts(raw), "the demo watchlist has small counts (else this test is blind)"
    assert not _small_counts(shown)
    assert len(shown) == len(raw)
    for row in shown:
        for key in row:
            if key.startswith("change_"):
                window = key.removeprefix("change_")
                if "c" in (row[f"n_{window}"], row[f"prev_{window}"]):
                    assert row[key] == "c", (key, row)
    with pytest.raises(SystemExit):  # argparse refuses other roles
        main([*base, "--role", "board", "--out", str(partner)])
