"""Helpers for report tests: PDF pages rendered to images, non-blank checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pdf_page_ink(path: Path, page: int = 0) -> tuple[int, float]:
    """(page count, share of non-white pixels on ``page``) via pypdfium2."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        n = len(pdf)
        image = np.asarray(pdf[page].render(scale=0.6).to_pil().convert("L"))
    finally:
        pdf.close()
    return n, float((image < 245).mean())
