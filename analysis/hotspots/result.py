"""The one result shape of every hotspot method, and reading/writing it with its parameters.

Contract for method implementations (``analysis.hotspots.density.kde``,
``analysis.hotspots.clustering.clusters``,
``analysis.hotspots.repeat``,
``analysis.hotspots.gi``, ...): build a GeoDataFrame in EPSG:27700 with one row per cell / cluster /
location, fill what applies of :data:`STANDARD_COLUMNS` plus any method-specific columns, then
return::

    finalise(gdf, *, method: str, params: dict[str, object]) -> geopandas.GeoDataFrame

``finalise``

* adds any missing standard column (NaN; ``label`` defaults to ``"not significant"``, ``hotspot_id``
  to ``0..n-1``, ``method`` to ``method``, ``area_m2`` to the geometry's area);
* adds the ``adjustment`` column (``"count"`` or ``"population-adjusted"``) from
  ``params["adjustment"]`` (default ``"count"``);
* orders the columns: standard columns, ``adjustment``, method-specific columns, ``geometry``;
* keeps the index (grid methods: one row per study-area cell, index = cell index);
* checks labels are in :data:`analysis.inference.LABELS` and the CRS is EPSG:27700 (sets it when
  missing);
* stores ``params`` (plus ``method``, ``adjustment``, ``crs``, ``csmap_version``) as JSON-safe
  values in ``gdf.attrs["csmap_params"]``.

Put in ``params`` every value actually used (cell size, band, bandwidth, alpha, permutations, seed,
fdr, n_points, ...) and list the ones chosen automatically in ``params["automatic"]`` (a list of
names).

Files (:func:`write_hotspots` / :func:`read_hotspots`) always carry the parameters:

* ``.geojson``: a top-level ``"csmap_parameters"`` member (coordinates stay EPSG:27700, declared in
  the legacy ``crs`` member that GDAL/QGIS read);
* ``.gpkg``: layer ``hotspots`` whose description is the parameters' JSON, plus an attribute table
  layer ``csmap_parameters`` (columns ``key``, ``value_json``);
* ``.csv``: geometry as WKT in column ``geometry_wkt``; the parameters in a JSON sidecar
  ``FILE.csv.params.json`` next to it (the CSV itself stays a plain table any spreadsheet opens;
  keep the two files together). Written by :func:`geo.store.export.write_csv`, so a text cell that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is stored with a leading
  ``'`` (formula injection) and reads back with it.

Every file also carries, beside the method's parameters, ``attribution`` (the lines of the open
data the result is built on, default :data:`geo.places.datasets.ATTRIBUTION_LINES`: study area and
population come from the bundled geography) and ``synthetic`` (whether the records are the
synthetic demo data, from the caller or ``attrs["csmap_notice"]``; with ``synthetic_notice`` when
true). :func:`read_hotspots` moves these three keys to ``attrs["csmap_notice"]`` so that
``attrs["csmap_params"]`` round-trips unchanged.

Date/time columns (e.g. ``first_date`` / ``last_date`` of clusters and repeat locations) are ISO
8601 text in GeoJSON and CSV (``2025-01-02T10:30:00``, missing = null/empty) and native datetimes
in GeoPackage; the written parameters list them under ``datetime_columns`` and
:func:`read_hotspots` turns them back into datetime64 columns (and drops that key again).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.hotspots.geojson_file import write_geojson
from analysis.inference import LABELS, NOT_SIGNIFICANT
from geo.errors import ParameterError, UnreadableFileError
from geo.places.datasets import ATTRIBUTION_LINES
from geo.store.export import write_csv
from geo.vocab import BNG_EPSG

STANDARD_COLUMNS: Final[tuple[str, ...]] = (
    "hotspot_id",
    "method",
    "label",
    "n_events",
    "expected",
    "rate_ratio",
    "statistic",
    "z",
    "p_value",
    "q_value",
    "area_m2",
)
#: Values of the ``adjustment`` column / parameter.
ADJUSTMENTS: Final[dict[str, str]] = {"none": "count", "population": "population-adjusted"}
ADJUSTMENT_LABELS: Final[tuple[str, ...]] = ("count", "population-adjusted")
PARAMS_ATTR: Final[str] = "csmap_params"
PARAMS_LAYER: Final[str] = "csmap_parameters"
HOTSPOTS_LAYER: Final[str] = "hotspots"
WKT_COLUMN: Final[str] = "geometry_wkt"
SUFFIXES: Final[tuple[str, ...]] = (".geojson", ".gpkg", ".csv")
#: Parameter key (files only) listing the datetime columns, removed again on reading.
DATETIME_KEY: Final[str] = "datetime_columns"
#: ``attrs`` key of the attribution lines and synthetic flag read back from a file.
NOTICE_ATTR: Final[str] = "csmap_notice"
#: File-level keys (not method parameters) moved to ``attrs[NOTICE_ATTR]`` on reading.
NOTICE_KEYS: Final[tuple[str, ...]] = ("attribution", "synthetic", "synthetic_notice")


def csmap_version() -> str:
    """The installed csmap version (``"unknown"`` when not installed)."""
    try:
        return metadata.version("csmap")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed in the venv
        return "unknown"


def _json_safe(value: Any) -> Any:
    """Convert numpy / pandas / datetime values to plain JSON types (NaN -> None)."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


def adjustment_label(adjust: str) -> str:
    """Map an ``adjust`` parameter (``none`` / ``population``) or a label to its label.

    Examples
    --------
    >>> adjustment_label("population")
    'population-adjusted'
    >>> adjustment_label("none")
    'count'
    """
    if adjust in ADJUSTMENTS:
        return ADJUSTMENTS[adjust]
    if adjust in ADJUSTMENT_LABELS:
        return adjust
    raise ParameterError(
        f"adjustment must be one of {tuple(ADJUSTMENTS)} (or {ADJUSTMENT_LABELS}), got {adjust!r}"
    )


def finalise(
    gdf: gpd.GeoDataFrame, *, method: str, params: Mapping[str, object]
) -> gpd.GeoDataFrame:
    """Bring a method's output to the standard result shape and attach its parameters.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        One row per cell / cluster / location, EPSG:27700 (set when missing).
    method : str
        Method name as given to :func:`analysis.hotspots.registry.run` (``gi``, ``kde``, ...).
    params : mapping
        Parameters actually used; ``params["adjustment"]`` is ``none``/``population`` (or a
        label), default ``none``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with the standard columns first, ``adjustment``, extra columns, ``geometry``; the
        same index; ``attrs["csmap_params"]`` set.

    Examples
    --------
    >>> import shapely
    >>> cells = gpd.GeoDataFrame({"n_events": [3, 0]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], crs=27700)
    >>> out = finalise(cells, method="demo", params={"cell_size": 100.0})
    >>> list(out.columns[:3]), out["area_m2"].tolist(), out.attrs["csmap_params"]["adjustment"]
    (['hotspot_id', 'method', 'label'], [10000.0, 10000.0], 'count')
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ParameterError("finalise needs a GeoDataFrame")
    out = gdf.copy()
    if out.crs is None:
        out = out.set_crs(BNG_EPSG)
    elif out.crs.to_epsg() != BNG_EPSG:
        raise ParameterError(f"hotspot results must be in EPSG:{BNG_EPSG}, got {out.crs}")
    adjustment = adjustment_label(str(params.get("adjustment", "none")))
    n = len(out)
    if "hotspot_id" not in out:
        out["hotspot_id"] = np.arange(n, dtype=np.int64)
    out["method"] = method
    if "label" not in out:
        out["label"] = NOT_SIGNIFICANT
    bad = set(pd.unique(out["label"].astype(object))) - set(LABELS)
    if bad:
        raise ParameterError(f"unknown hotspot labels {sorted(map(str, bad))}; use {LABELS}")
    if "area_m2" not in out:
        out["area_m2"] = out.geometry.area.to_numpy(dtype=float)
    for col in STANDARD_COLUMNS:
        if col not in out:
            out[col] = np.nan
    out["adjustment"] = adjustment
    extra = [c for c in out.columns if c not in (*STANDARD_COLUMNS, "adjustment", "geometry")]
    geom_name = out.geometry.name
    extra = [c for c in extra if c != geom_name]
    out = out[[*STANDARD_COLUMNS, "adjustment", *extra, geom_name]]
    full: dict[str, object] = dict(params)
    full["method"] = method
    full["adjustment"] = adjustment
    full["crs"] = f"EPSG:{BNG_EPSG}"
    full.setdefault("csmap_version", csmap_version())
    full.setdefault("n_results", n)
    out.attrs = {PARAMS_ATTR: _json_safe(full)}
    return out


def datetime_columns(gdf: pd.DataFrame) -> list[str]:
    """Names of the columns holding dates/times (datetime64, or objects that are all Timestamps).

    Examples
    --------
    >>> datetime_columns(pd.DataFrame({"a": pd.to_datetime(["2025-01-02"]), "b": [1]}))
    ['a']
    """
    geom = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    out = []
    for col in gdf.columns:
        if col == geom:
            continue
        series = gdf[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            out.append(str(col))
        elif series.dtype == object:
            values = series.dropna()
            if len(values) and values.map(lambda v: isinstance(v, dt.datetime)).all():
                out.append(str(col))
    return out


def _iso_text(series: pd.Series) -> pd.Series:
    """Datetimes as ISO 8601 text (``2025-01-02T10:30:00``); missing values as None."""
    values = pd.to_datetime(series)
    return pd.Series(
        [None if pd.isna(v) else v.isoformat() for v in values], index=series.index, dtype=object
    )


def _flatten_for_file(gdf: gpd.GeoDataFrame, *, dates_as_text: bool) -> gpd.GeoDataFrame:
    """Make every non-geometry column writable: lists/dicts become JSON text, datetimes ISO text
    (when ``dates_as_text``; GeoPackage stores them natively)."""
    out = gdf.copy()
    dates = set(datetime_columns(out))
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if col in dates:
            if dates_as_text:
                out[col] = _iso_text(out[col])
            elif out[col].dtype == object:
                out[col] = pd.to_datetime(out[col])
            continue
        if out[col].dtype != object:
            continue
        if out[col].map(lambda v: isinstance(v, list | tuple | dict | set | np.ndarray)).any():
            out[col] = out[col].map(lambda v: json.dumps(_json_safe(v)))
    return out


def params_path(path: str | Path) -> Path:
    """The JSON sidecar of a CSV result (``FILE.csv.params.json``)."""
    p = Path(path)
    return p.with_name(p.name + ".params.json")


def file_params(
    gdf: gpd.GeoDataFrame,
    *,
    synthetic: bool | None = None,
    attribution: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The parameters a written file carries: the result's, plus attribution and synthetic flag.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A :func:`finalise` d result.
    synthetic : bool, optional
        Whether the records are synthetic demo data (default: ``attrs["csmap_notice"]``, else
        False).
    attribution : sequence of str, optional
        Attribution lines (default: ``attrs["csmap_notice"]``, else
        :data:`geo.places.datasets.ATTRIBUTION_LINES`).

    Returns
    -------
    dict
        JSON-safe parameters.

    Examples
    --------
    >>> import shapely
    >>> res = finalise(gpd.GeoDataFrame({"n_events": [1]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...     crs=27700), method="demo", params={})
    >>> p = file_params(res, synthetic=True)
    >>> p["synthetic"], "synthetic" in p["synthetic_notice"], p["attribution"][0][:20]
    (True, True, 'Source: Office for N')
    """
    notice = gdf.attrs.get(NOTICE_ATTR) or {}
    params: dict[str, Any] = dict(_json_safe(gdf.attrs.get(PARAMS_ATTR, {})))
    if synthetic is None:
        synthetic = bool(notice.get("synthetic", False))
    if attribution is None:
        attribution = notice.get("attribution") or ATTRIBUTION_LINES
    params["attribution"] = [str(line) for line in attribution]
    params["synthetic"] = bool(synthetic)
    params.pop("synthetic_notice", None)
    if synthetic:
        from geo.demo.records import SYNTHETIC_NOTICE

        params["synthetic_notice"] = SYNTHETIC_NOTICE
    return params


def write_hotspots(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    synthetic: bool | None = None,
    attribution: Sequence[str] | None = None,
) -> Path:
    """Write a result with its parameters to ``.geojson``, ``.gpkg`` or ``.csv``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A :func:`finalise` d result.
    path : str or Path
        Output file; the suffix picks the format (see the module docstring).
    synthetic, attribution
        Written with the parameters (see :func:`file_params`).

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import shapely, tempfile
    >>> res = finalise(gpd.GeoDataFrame({"n_events": [1]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...     crs=27700), method="demo", params={"alpha": 0.05})
    >>> f = write_hotspots(res, Path(tempfile.mkdtemp()) / "out.geojson")
    >>> read_hotspots(f).attrs["csmap_params"]["alpha"]
    0.05
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise ParameterError(f"{p}: output must end in one of {SUFFIXES}")
    params = file_params(gdf, synthetic=synthetic, attribution=attribution)
    dates = datetime_columns(gdf)
    if dates:  # so that read_hotspots restores them (CSV and GeoJSON hold only text)
        params = {**params, DATETIME_KEY: dates}
    flat = _flatten_for_file(gdf, dates_as_text=suffix != ".gpkg")
    p.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".geojson":
        write_geojson(flat, p, params)
    elif suffix == ".gpkg":
        if p.exists():
            p.unlink()
        desc = json.dumps(params)
        flat.to_file(
            p,
            layer=HOTSPOTS_LAYER,
            driver="GPKG",
            engine="pyogrio",
            layer_options={"DESCRIPTION": desc},
        )
        table = pd.DataFrame(
            {"key": list(params), "value_json": [json.dumps(v) for v in params.values()]}
        )
        import pyogrio

        pyogrio.write_dataframe(table, p, layer=PARAMS_LAYER, driver="GPKG", append=False)
    else:
        frame = pd.DataFrame(flat.drop(columns=flat.geometry.name))
        frame[WKT_COLUMN] = flat.geometry.to_wkt()
        write_csv(frame, p)  # formula-safe: text cells starting = + - @ tab CR get a leading '
        params_path(p).write_text(json.dumps(params, indent=2), encoding="utf-8")
    return p


def read_hotspots(path: str | Path) -> gpd.GeoDataFrame:
    """Read a file written by :func:`write_hotspots`, restoring ``attrs["csmap_params"]``.

    The index is a fresh RangeIndex (files do not keep the index; ``hotspot_id`` identifies rows).

    Parameters
    ----------
    path : str or Path
        A ``.geojson``, ``.gpkg`` or ``.csv`` result.

    Returns
    -------
    geopandas.GeoDataFrame
        The result in EPSG:27700.

    Examples
    --------
    >>> import shapely, tempfile
    >>> res = finalise(gpd.GeoDataFrame({"n_events": [1]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...     crs=27700), method="demo", params={})
    >>> back = read_hotspots(write_hotspots(res, Path(tempfile.mkdtemp()) / "r.csv"))
    >>> back["method"].tolist(), back.crs.to_epsg()
    (['demo'], 27700)
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise UnreadableFileError(f"{p}: no such file")
    params: dict[str, Any] = {}
    if suffix == ".geojson":
        doc = json.loads(p.read_text(encoding="utf-8"))
        params = dict(doc.get("csmap_parameters") or {})
        gdf = gpd.read_file(p, engine="pyogrio")
        if gdf.crs is None:
            gdf = gdf.set_crs(BNG_EPSG)
    elif suffix == ".gpkg":
        import pyogrio

        gdf = gpd.read_file(p, layer=HOTSPOTS_LAYER, engine="pyogrio")
        layers = {name for name, _ in pyogrio.list_layers(p)}
        if PARAMS_LAYER in layers:
            table = pyogrio.read_dataframe(p, layer=PARAMS_LAYER, read_geometry=False)
            params = {
                str(k): json.loads(v)
                for k, v in zip(table["key"], table["value_json"], strict=True)
            }
    elif suffix == ".csv":
        frame = pd.read_csv(p)
        if WKT_COLUMN not in frame:
            raise UnreadableFileError(f"{p}: no {WKT_COLUMN} column; not a csmap hotspot CSV")
        geom = gpd.GeoSeries.from_wkt(frame.pop(WKT_COLUMN), crs=BNG_EPSG)
        gdf = gpd.GeoDataFrame(frame, geometry=geom, crs=BNG_EPSG)
        side = params_path(p)
        if side.exists():
            params = json.loads(side.read_text(encoding="utf-8"))
        else:
            warnings.warn(f"{p}: parameter sidecar {side.name} is missing", stacklevel=2)
    else:
        raise UnreadableFileError(f"{p}: unknown result format; use one of {SUFFIXES}")
    for col in (
        "n_events",
        "expected",
        "rate_ratio",
        "statistic",
        "z",
        "p_value",
        "q_value",
        "area_m2",
    ):
        if col in gdf and gdf[col].dtype == object:  # all-null columns in GeoJSON
            gdf[col] = pd.to_numeric(gdf[col], errors="coerce").astype(float)
    for col in params.pop(DATETIME_KEY, None) or []:
        if col in gdf:
            gdf[col] = pd.to_datetime(gdf[col], format="ISO8601")
    notice = {k: params.pop(k) for k in NOTICE_KEYS if k in params}
    gdf.attrs = {PARAMS_ATTR: params, NOTICE_ATTR: notice}
    return gdf
