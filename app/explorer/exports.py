"""Exports of the hotspot explorer: hotspot files, a standalone map, chart PNGs (no Streamlit).

- :func:`hotspot_export`: a result as GeoPackage, GeoJSON (both through
  :func:`analysis.hotspots.result.write_hotspots`, parameters inside the file) or CSV. The CSV is
  written
  with :func:`geo.store.export.write_csv` (formula-safe) with the geometry as WKT in
  ``geometry_wkt``;
  because a CSV cannot hold the parameters, the CSV download is a zip of ``NAME.csv`` and its
  ``NAME.csv.params.json`` sidecar (exactly what :func:`analysis.hotspots.result.read_hotspots`
  reads).
- :func:`standalone_map_html`: the current folium map as one HTML file that works with no
  internet and no server: the vendored Leaflet/jQuery/Bootstrap files are inlined (scripts and
  stylesheets, small images in stylesheets as data URIs).
- :func:`trend_png`: a monthly trend chart as PNG (matplotlib, no browser needed).
File names carry the period and method (:func:`geo.store.export.safe_filename`). Nothing here writes
the audit log: every download goes through :func:`app.access.auth.export_download` (policy, reason,
audit entry), the one export gate.
"""

from __future__ import annotations

import base64
import html
import io
import json
import mimetypes
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd

from analysis.hotspots.result import WKT_COLUMN, file_params, params_path, write_hotspots
from app.maps.vendor import LOCAL_PREFIX, VENDOR_DIR
from geo.errors import ParameterError
from geo.places.datasets import ATTRIBUTION_LINES
from geo.store.export import safe_filename, write_csv

#: Formats of :func:`hotspot_export` and their MIME types.
FORMATS: Final[dict[str, str]] = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "csv": "application/zip",
}
#: Stylesheet resources larger than this are not inlined (replaced by an empty data URI).
MAX_INLINE_BYTES: Final[int] = 200_000

_SCRIPT = re.compile(r'<script src="(?P<url>[^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((?P<q>['\"]?)(?P<ref>[^'\")]+)(?P=q)\)")


@dataclass(frozen=True)
class Export:
    """One downloadable file."""

    file_name: str
    data: bytes
    mime: str


def _period(period: tuple[Any, Any] | None) -> tuple[Any, Any] | None:
    if period is None or period[0] is None or period[1] is None:
        return None
    return period


def hotspot_export(
    result: gpd.GeoDataFrame,
    *,
    fmt: str,
    method: str,
    period: tuple[Any, Any] | None = None,
    stem: str = "hotspots",
    synthetic: bool | None = None,
) -> Export:
    """A hotspot result as a downloadable GeoPackage, GeoJSON or CSV (zip with parameters).

    Every format carries the attribution lines and the ``synthetic`` flag with the parameters
    (:func:`analysis.hotspots.result.file_params`).

    Parameters
    ----------
    result : geopandas.GeoDataFrame
        A standard result (parameters in ``attrs["csmap_params"]``).
    fmt : {"gpkg", "geojson", "csv"}
        File format.
    method : str
        Method name, put in the file name.
    period : (start, end), optional
        Period analysed, put in the file name.
    stem : str
        First part of the file name.
    synthetic : bool, optional
        Whether the records are the synthetic demo data (written with the parameters).

    Returns
    -------
    Export

    Examples
    --------
    >>> import shapely
    >>> from analysis.hotspots.result import finalise
    >>> res = finalise(gpd.GeoDataFrame({"n_events": [2]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...     crs=27700), method="gi", params={"alpha": 0.05})
    >>> out = hotspot_export(res, fmt="geojson", method="gi", period=("2024-01-01", "2024-06-30"))
    >>> out.file_name, json.loads(out.data)["csmap_parameters"]["alpha"]
    ('hotspots_gi_2024-01-01_to_2024-06-30.geojson', 0.05)
    """
    if fmt not in FORMATS:
        raise ParameterError(f"export format must be one of {tuple(FORMATS)}, got {fmt!r}")
    period = _period(period)
    with tempfile.TemporaryDirectory() as tmp:
        if fmt in ("gpkg", "geojson"):
            name = safe_filename(stem, ext=fmt, method=method, period=period)
            path = write_hotspots(result, Path(tmp) / name, synthetic=synthetic)
            return Export(name, path.read_bytes(), FORMATS[fmt])
        name = safe_filename(stem, ext="csv", method=method, period=period)
        table = pd.DataFrame(result.drop(columns=result.geometry.name))
        for col in table.columns:  # lists (e.g. top categories) as JSON text
            if table[col].dtype == object and table[col].map(lambda v: isinstance(v, list)).any():
                table[col] = table[col].map(json.dumps)
        table[WKT_COLUMN] = result.geometry.to_wkt().to_numpy()
        csv_buf = io.StringIO()
        write_csv(table, csv_buf)
        params = json.dumps(file_params(result, synthetic=synthetic), indent=2)
        zbuf = io.BytesIO()
        with zipfile.ZipFile(zbuf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, csv_buf.getvalue().encode("utf-8"))
            zf.writestr(params_path(name).name, params.encode("utf-8"))
        zip_name = safe_filename(stem, ext="zip", method=method, period=period)
        return Export(zip_name, zbuf.getvalue(), FORMATS["csv"])


def _local_path(url: str, *, vendor_dir: Path) -> Path | None:
    if not url.startswith(LOCAL_PREFIX):
        return None
    path = (vendor_dir / url[len(LOCAL_PREFIX) :]).resolve()
    if not path.is_file() or not path.is_relative_to(vendor_dir.resolve()):
        return None
    return path


def _inline_css(css: str, *, base: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        ref = match.group("ref")
        if ref.startswith(("data:", "#")):
            return match.group(0)
        target = (base / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_file() or target.stat().st_size > MAX_INLINE_BYTES:
            return "url(data:,)"
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".woff2":
            mime = "font/woff2"
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f"url(data:{mime};base64,{data})"

    return _CSS_URL.sub(repl, css)


def inline_assets(page: str, *, vendor_dir: Path = VENDOR_DIR) -> str:
    """Replace ``/app/static/vendor/...`` script and stylesheet links by the files' contents.

    Examples
    --------
    >>> page = '<script src="/app/static/vendor/leaflet/leaflet.js"></script>'
    >>> "/app/static/" in inline_assets(page)  # doctest: +SKIP
    False
    """

    def script(match: re.Match[str]) -> str:
        path = _local_path(match.group("url"), vendor_dir=vendor_dir)
        if path is None:
            return match.group(0)
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def link(match: re.Match[str]) -> str:
        path = _local_path(match.group("url"), vendor_dir=vendor_dir)
        if path is None:
            return match.group(0)
        css = _inline_css(path.read_text(encoding="utf-8"), base=path.parent)
        return "<style>" + css.replace("</style", "<\\/style") + "</style>"

    return _LINK.sub(link, _SCRIPT.sub(script, page))


def notice_lines(*, synthetic: bool) -> list[str]:
    """The synthetic-data notice (when ``synthetic``) and the attribution lines of the data.

    Examples
    --------
    >>> notice_lines(synthetic=True)[0][:10], len(notice_lines(synthetic=False))
    ('Demo data:', 6)
    """
    from geo.demo.records import SYNTHETIC_NOTICE

    return [*([SYNTHETIC_NOTICE] if synthetic else []), *ATTRIBUTION_LINES]


def standalone_map_html(
    fmap: folium.Map,
    *,
    method: str | None = None,
    period: tuple[Any, Any] | None = None,
    stem: str = "hotspot_map",
    synthetic: bool = False,
) -> Export:
    """The map as one self-contained HTML file (vendored assets inlined; opens offline).

    A footer shows :func:`notice_lines` (synthetic-data notice when ``synthetic``, attribution).

    Examples
    --------
    >>> from app.maps.vendor import use_local_assets
    >>> use_local_assets()  # doctest: +SKIP
    >>> out = standalone_map_html(folium.Map(tiles=None), method="gi")  # doctest: +SKIP
    >>> out.file_name, b"/app/static/" in out.data  # doctest: +SKIP
    ('hotspot_map_gi.html', False)
    """
    page = fmap.get_root().render()
    footer = "".join(
        f"<div>{html.escape(line)}</div>" for line in notice_lines(synthetic=synthetic)
    )
    footer = (
        '<footer class="csmap-attribution" style="position:fixed;bottom:0;left:0;z-index:1000;'
        'background:rgba(255,255,255,.85);font:11px sans-serif;padding:2px 6px">'
        f"{footer}</footer>"
    )
    page = page.replace("</body>", footer + "</body>", 1) if "</body>" in page else page + footer
    name = safe_filename(stem, ext="html", method=method, period=_period(period))
    return Export(name, inline_assets(page).encode("utf-8"), "text/html")


def trend_png(
    monthly: pd.DataFrame,
    *,
    title: str,
    method: str | None = None,
    period: tuple[Any, Any] | None = None,
    stem: str = "trend",
    synthetic: bool = False,
) -> Export:
    """A monthly trend (``month``, ``events``) as a PNG line chart.

    :func:`notice_lines` are drawn as a caption under the chart and stored in the PNG's
    ``Description`` text chunk.

    Examples
    --------
    >>> m = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...     "events": [3, 5]})
    >>> trend_png(m, title="Concerns").data[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from matplotlib.figure import Figure

    lines = notice_lines(synthetic=synthetic)
    fig = Figure(figsize=(7, 3.2 + 0.14 * len(lines)), dpi=110)
    ax = fig.add_subplot()
    if len(monthly):
        ax.plot(monthly["month"], monthly["events"], marker="o", color="#c0392b")
    ax.set_title(title)
    ax.set_xlabel("Month")
    ax.set_ylabel("Events")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout(rect=(0, 0.045 * len(lines), 1, 1))
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=6, color="#555", va="bottom")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Description": "\n".join(lines)})
    name = safe_filename(stem, ext="png", method=method, period=_period(period))
    return Export(name, buf.getvalue(), "image/png")
