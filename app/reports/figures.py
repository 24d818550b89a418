"""Maps and table pages drawn with matplotlib (Agg) for the HTML and PDF reports."""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Iterable, Sequence

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from shapely.geometry import Point

from app.explorer.exports import notice_lines
from geo.demo.records import SYNTHETIC_NOTICE
from geo.places.boundaries import StudyArea

#: A4 portrait in inches.
A4: tuple[float, float] = (8.27, 11.69)
_VENUE_COLOURS = {
    "licensed premises": "#7b3294",
    "takeaway/food": "#e66101",
    "taxi rank": "#fdb863",
    "taxi/private hire": "#fdb863",
    "transport hub": "#2c7bb6",
    "hotel/guest house": "#d7191c",
    "school/college": "#1a9641",
    "park/playground": "#a6d96a",
}


def _base(ax: plt.Axes, area: StudyArea, *, wards: bool = True) -> None:
    if wards:
        area.wards.boundary.plot(ax=ax, color="#bbbbbb", linewidth=0.4)
    area.outline.boundary.plot(ax=ax, color="#333333", linewidth=1.0)
    ax.set_axis_off()
    ax.set_aspect("equal")


def _venues(ax: plt.Axes, venues: gpd.GeoDataFrame | None) -> None:
    if venues is None or len(venues) == 0:
        return
    for vtype, group in venues.groupby("venue_type"):
        group.plot(
            ax=ax,
            markersize=10,
            color=_VENUE_COLOURS.get(str(vtype), "#555555"),
            label=str(vtype),
            zorder=4,
        )


def briefing_map(
    *,
    area: StudyArea,
    hotspots: gpd.GeoDataFrame,
    venues: gpd.GeoDataFrame | None = None,
    title: str = "",
) -> Figure:
    """Study area, hotspot areas (numbered by priority) and venues near them."""
    fig, ax = plt.subplots(figsize=(A4[0], A4[0]))
    _base(ax, area)
    if len(hotspots):
        hotspots.plot(ax=ax, color="#d7191c", alpha=0.55, edgecolor="#7f0000", zorder=3)
        for _, row in hotspots.head(20).iterrows():
            pt = row.geometry.representative_point()
            label = row["priority"] if "priority" in row else row["hotspot_id"]
            ax.annotate(str(label), (pt.x, pt.y), fontsize=8, weight="bold", zorder=5)
    _venues(ax, venues)
    if venues is not None and len(venues):
        ax.legend(loc="lower left", fontsize=6, frameon=True)
    ax.set_title(title or "Hotspots and nearby venues", fontsize=11)
    fig.tight_layout()
    return fig


def assessment_map(
    *,
    area: StudyArea,
    centre: tuple[float, float],
    radius: float,
    hotspots: gpd.GeoDataFrame | None = None,
    venues: gpd.GeoDataFrame | None = None,
    title: str = "",
) -> Figure:
    """The circle around the location, hotspot areas and venues inside it (no record points)."""
    fig, ax = plt.subplots(figsize=(A4[0], A4[0]))
    circle = gpd.GeoSeries([Point(*centre).buffer(radius, quad_segs=64)], crs=27700)
    pad = radius * 1.6
    _base(ax, area)
    if hotspots is not None and len(hotspots):
        hotspots.plot(ax=ax, color="#d7191c", alpha=0.45, edgecolor="#7f0000", zorder=3)
    circle.boundary.plot(ax=ax, color="#000000", linewidth=1.4, linestyle="--", zorder=4)
    _venues(ax, venues)
    ax.plot([centre[0]], [centre[1]], marker="*", color="black", markersize=14, zorder=6)
    ax.set_xlim(centre[0] - pad, centre[0] + pad)
    ax.set_ylim(centre[1] - pad, centre[1] + pad)
    if venues is not None and len(venues):
        ax.legend(loc="lower left", fontsize=6, frameon=True)
    ax.set_title(title or f"{radius:g} m around the location", fontsize=11)
    fig.tight_layout()
    return fig


def png_data_uri(fig: Figure, *, dpi: int = 110) -> str:
    """The figure as a ``data:image/png;base64,...`` URI (closes the figure)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _cell(value: object, width: int) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return textwrap.shorten(text, width=width, placeholder="…") if len(text) > width else text


def table_pages(
    title: str, frame: pd.DataFrame, *, rows_per_page: int = 38, notes: Sequence[str] = ()
) -> list[Figure]:
    """A table split over A4 pages (text cells shortened to fit; nothing evaluated)."""
    pages: list[Figure] = []
    n = max(len(frame), 1)
    width = max(8, min(40, 160 // max(len(frame.columns), 1)))
    for start in range(0, n, rows_per_page):
        chunk = frame.iloc[start : start + rows_per_page]
        fig = plt.figure(figsize=A4)
        fig.text(0.05, 0.96, title, fontsize=13, weight="bold")
        for i, note in enumerate(notes if start == 0 else ()):
            fig.text(0.05, 0.935 - i * 0.018, _cell(note, 150), fontsize=7)
        ax = fig.add_axes((0.03, 0.05, 0.94, 0.84))
        ax.set_axis_off()
        if len(chunk):
            cells = [[_cell(v, width) for v in row] for row in chunk.itertuples(index=False)]
            tab = ax.table(
                cellText=cells,
                colLabels=[_cell(c, width) for c in chunk.columns],
                loc="upper center",
                cellLoc="left",
            )
            tab.auto_set_font_size(False)
            tab.set_fontsize(6.5)
            tab.scale(1, 1.25)
        else:
            ax.text(0.0, 0.95, "(none)", fontsize=9)
        pages.append(fig)
    return pages


def text_page(title: str, lines: Sequence[str]) -> Figure:
    """A page of wrapped text lines."""
    fig = plt.figure(figsize=A4)
    fig.text(0.05, 0.96, title, fontsize=13, weight="bold")
    y = 0.93
    for line in lines:
        for part in textwrap.wrap(str(line), width=110, break_on_hyphens=False) or [""]:
            fig.text(0.05, y, part, fontsize=8.5)
            y -= 0.02
            if y < 0.04:
                return fig
    return fig


def save_pages(pdf: PdfPages, pages: Iterable[Figure], *, synthetic: bool) -> int:
    """Save ``pages`` into ``pdf``, then a closing "Data sources and attribution" page.

    When ``synthetic``, every page carries the synthetic-data notice in its footer; the closing
    page lists :func:`app.explorer.exports.notice_lines` (the notice when ``synthetic``, then the
    attribution lines), as the HTML reports do. Each figure is closed once saved.

    Returns
    -------
    int
        Pages written (``pages`` plus the closing page).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "r.pdf"
    >>> with PdfPages(out) as pdf:
    ...     save_pages(pdf, [text_page("Title", ["body"])], synthetic=True)
    2
    """
    n = 0
    closing = text_page("Data sources and attribution", notice_lines(synthetic=synthetic))
    for fig in [*pages, closing]:
        if synthetic:
            for i, part in enumerate(reversed(textwrap.wrap(SYNTHETIC_NOTICE, width=150))):
                fig.text(0.05, 0.008 + i * 0.011, part, fontsize=6.5, color="#8a6d00")
        pdf.savefig(fig)
        plt.close(fig)
        n += 1
    return n
