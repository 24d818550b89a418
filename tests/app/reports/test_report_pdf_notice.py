"""Briefing pack and assessment PDFs carry the attribution lines and, for the synthetic demo
data, the synthetic notice on every page (text extracted with pypdfium2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from app.cli import main
from geo.demo.records import SYNTHETIC_NOTICE
from geo.places.datasets import ATTRIBUTION_LINES
from geo.store.meta import clear_demo_marker, is_demo_store
from tests._demo_store import demo_store

# the footer wraps the notice; its first words stay on one line
NOTICE_START = SYNTHETIC_NOTICE[:60]


def _pages(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf_notice")
    demo = folder / "demo.gpkg"
    real = folder / "real.gpkg"
    shutil.copyfile(demo_store(), demo)
    shutil.copyfile(demo_store(), real)
    clear_demo_marker(real)
    assert is_demo_store(demo) and not is_demo_store(real)
    return {"demo": demo, "real": real}


@pytest.mark.parametrize(
    "command",
    [
        ["assess", "53.6458,-1.785", "--as-of", "2024-12-31"],
        ["disruption"],
    ],
    ids=["assessment", "briefing"],
)
def test_pdf_attribution_and_synthetic_notice(
    command: list[str],
    stores: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSMAP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    texts = {}
    for name, store in stores.items():
        out = tmp_path / f"{name}.pdf"
        assert main([*command, "--store", str(store), "--out", str(out)]) == 0
        texts[name] = _pages(out)
    for pages in texts.values():
        assert len(pages) >= 3
        last = pages[-1]
        assert "Data sources and attribution" in last
        for line in ATTRIBUTION_LINES:
            assert " ".join(line.split()) in last, line
    assert all(NOTICE_START in page for page in texts["demo"])  # every page says it
    assert " ".join(SYNTHETIC_NOTICE.split()) in texts["demo"][-1]
    assert not any(NOTICE_START in page for page in texts["real"])
