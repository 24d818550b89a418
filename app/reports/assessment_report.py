"""HTML, PDF and JSON output of a Regulation 46 location assessment
(:mod:`analysis.views.assessment`).

The map shows the circle, hotspot areas and venues, never individual records.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages

from analysis.views.assessment import Assessment
from app.reports import figures
from app.reports.briefing import strip_identifiers
from app.reports.templates import render
from geo.places.boundaries import StudyArea


def summary_table(a: Assessment) -> pd.DataFrame:
    """The headline numbers as a two-column table."""
    ratio = "n/a" if a.rate_ratio is None else f"{a.rate_ratio:.2f}"
    rows = [
        ("Concerns within the radius", a.concerns_total),
        ("Concerns per km² (circle within the area)", f"{a.rate_per_km2:.1f}"),
        ("Borough concerns per km²", f"{a.borough_rate_per_km2:.2f}"),
        ("Local rate / borough rate", ratio),
        ("Missing episodes found within the radius", a.missing_found),
        ("Missing episodes last seen within the radius", a.missing_last_seen),
        ("Missing episodes found or last seen within the radius", a.missing_either),
        ("Hotspots intersecting the radius", len(a.hotspots)),
        ("Venues within the radius", int(sum(a.venues_by_type.values()))),
        ("Schools within the radius", len(a.schools)),
        ("LSOA 2021", a.lsoa21cd or "outside the study area"),
        ("Ward", a.ward_nm or ""),
        ("IMD 2019 decile (1 = most deprived)", "" if a.imd_decile is None else a.imd_decile),
        ("Crime domain decile", "" if a.crime_decile is None else a.crime_decile),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"]).astype({"value": str})


def _map(
    a: Assessment,
    area: StudyArea,
    hotspots: gpd.GeoDataFrame | None,
    venues: gpd.GeoDataFrame | None,
) -> Any:
    near = None
    if venues is not None and len(venues):
        near = venues[
            venues.geometry.distance(
                gpd.points_from_xy([a.location.easting], [a.location.northing])[0]
            )
            <= a.radius_m
        ]
    return figures.assessment_map(
        area=area,
        centre=(a.location.easting, a.location.northing),
        radius=a.radius_m,
        hotspots=hotspots,
        venues=near,
        title=f"{a.radius_m:g} m around {a.location.text}",
    )


def _tables(a: Assessment) -> dict[str, pd.DataFrame]:
    return {
        "by_category": pd.DataFrame(
            list(a.concerns_by_category.items()), columns=["category", "concerns"]
        ),
        "by_year": pd.DataFrame(list(a.concerns_by_year.items()), columns=["year", "concerns"]),
        "hotspots": strip_identifiers(a.hotspots),
        "venues_by_type": pd.DataFrame(list(a.venues_by_type.items()), columns=["venue_type", "n"]),
        "venues": strip_identifiers(a.venues),
        "schools": strip_identifiers(a.schools),
    }


def _period(a: Assessment) -> str:
    return f"{a.period_from.date()} to {a.period_to.date()} ({a.months} months)"


def assessment_html(
    a: Assessment,
    *,
    area: StudyArea,
    hotspots: gpd.GeoDataFrame | None = None,
    venues: gpd.GeoDataFrame | None = None,
) -> str:
    """The assessment as one self-contained HTML page."""
    return render(
        "assessment.html",
        title="Regulation 46 location assessment",
        synthetic=bool(a.synthetic),
        location=f"{a.location.text} (E {a.location.easting:.0f}, N {a.location.northing:.0f})",
        radius=f"{a.radius_m:g}",
        period=_period(a),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        summary=summary_table(a),
        map_uri=figures.png_data_uri(_map(a, area, hotspots, venues)),
        caveats=a.caveats,
        **_tables(a),
    )


def write_assessment_pdf(
    a: Assessment,
    path: str | os.PathLike[str],
    *,
    area: StudyArea,
    hotspots: gpd.GeoDataFrame | None = None,
    venues: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write the assessment as a PDF (summary, map, tables, caveats, data sources).

    Ends with the data sources and attribution; a synthetic assessment says so on every page.
    """
    out = Path(path)
    t = _tables(a)
    with PdfPages(out) as pdf:
        pages = figures.table_pages(
            "Regulation 46 location assessment",
            summary_table(a),
            notes=[f"Location {a.location.text}; radius {a.radius_m:g} m; period {_period(a)}."],
        )
        pages.append(_map(a, area, hotspots, venues))
        for title, key in (
            ("Concerns by category", "by_category"),
            ("Concerns by year", "by_year"),
            ("Hotspots intersecting the radius", "hotspots"),
            ("Venues by type", "venues_by_type"),
            ("Venues within the radius", "venues"),
        ):
            pages += figures.table_pages(title, t[key])
        pages.append(figures.text_page("Data caveats", a.caveats))
        # synthetic-data footer on every page, attribution on the last (as the HTML)
        figures.save_pages(pdf, pages, synthetic=bool(a.synthetic))
        figures.plt.close("all")
    return out


def write_assessment_json(a: Assessment, path: str | os.PathLike[str]) -> Path:
    """Write :meth:`Assessment.to_json` (UTF-8, indented)."""
    out = Path(path)
    out.write_text(json.dumps(a.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    return out
