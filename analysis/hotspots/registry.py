"""The single entry to every hotspot method: :func:`run`.

Pages, commands and notebooks call ``run(points, method=..., study_area=..., **params)``. The
registry :data:`METHODS` maps a method name to its implementation by dotted path (imported lazily,
so e.g. clustering libraries load only when used). Every implementation has the shape::

    f(points: GeoDataFrame, *, study_area: Polygon | MultiPolygon,
      population: GeoDataFrame | None = None, **method_params) -> GeoDataFrame

and returns :func:`analysis.hotspots.result.finalise` output (standard columns, parameters in
``attrs["csmap_params"]``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, Final

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

#: Method name -> ``"module:function"``.
METHODS: Final[dict[str, str]] = {
    "gi": "analysis.hotspots.gi:gi_hotspots",
    "kde": "analysis.hotspots.density.kde:kde_hotspots",
    "dual-kde": "analysis.hotspots.density.kde:dual_kde_hotspots",
    "dbscan": "analysis.hotspots.clustering.clusters:dbscan_hotspots",
    "hdbscan": "analysis.hotspots.clustering.clusters:hdbscan_hotspots",
    "repeat": "analysis.hotspots.repeat:repeat_hotspots",
    "scan": "analysis.hotspots.scan:scan_hotspots",
    "emerging": "analysis.spacetime.emerging:emerging_hotspots",
}
#: Methods that produce a regular grid of every study-area cell.
GRID_METHODS: Final[tuple[str, ...]] = ("gi", "kde", "dual-kde")


def implementation(method: str) -> Callable[..., gpd.GeoDataFrame]:
    """Import and return the callable behind ``method``.

    Examples
    --------
    >>> implementation("gi").__name__
    'gi_hotspots'
    """
    if method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    module_name, func_name = METHODS[method].split(":")
    try:
        module = importlib.import_module(module_name)
        func = getattr(module, func_name)
    except (ModuleNotFoundError, AttributeError):
        raise ParameterError(f"method {method!r} is not available in this csmap build") from None
    if not callable(func):  # pragma: no cover - registry error
        raise ParameterError(f"method {method!r} is not callable")
    return func  # type: ignore[no-any-return]


def available_methods() -> list[str]:
    """Method names whose implementation can be imported here.

    Examples
    --------
    >>> "gi" in available_methods()
    True
    """
    out = []
    for name in METHODS:
        try:
            implementation(name)
        except ParameterError:
            continue
        out.append(name)
    return out


def _area_geometry(study_area: Any) -> tuple[BaseGeometry, gpd.GeoDataFrame | None]:
    """Accept a shapely geometry, a (Geo)DataFrame/GeoSeries outline or a ``StudyArea``."""
    population = getattr(study_area, "population", None)
    polygon = getattr(study_area, "polygon", None)
    if isinstance(polygon, BaseGeometry):
        return polygon, population if isinstance(population, gpd.GeoDataFrame) else None
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = study_area.geometry if isinstance(study_area, gpd.GeoDataFrame) else study_area
        if series.crs is not None and series.crs.to_epsg() != BNG_EPSG:
            series = series.to_crs(BNG_EPSG)
        return series.union_all(), None
    if isinstance(study_area, BaseGeometry):
        return study_area, None
    raise ParameterError(
        "study_area must be a shapely (Multi)Polygon in EPSG:27700, a GeoDataFrame outline or a "
        "geo.places.boundaries.StudyArea"
    )


def run(
    points: gpd.GeoDataFrame,
    *,
    method: str,
    study_area: Any,
    population: gpd.GeoDataFrame | None = None,
    **params: Any,
) -> gpd.GeoDataFrame:
    """Run one hotspot method and return its standard result.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Events in EPSG:27700 (e.g. ``geo.store.gpkg.points(records, kind)``).
    method : str
        One of :data:`METHODS` (``gi``, ``kde``, ``dual-kde``, ``hdbscan``, ``dbscan``, ``repeat``,
        ``scan`` when built).
    study_area : shapely geometry, GeoDataFrame or geo.places.boundaries.StudyArea
        The area; with a ``StudyArea`` its ``population`` is used when ``population`` is not given
        and the method needs one (``adjust="population"``, ``dual-kde``).
    population : geopandas.GeoDataFrame, optional
        Population polygons (LSOAs with ``children_young_people``).
    **params
        Method parameters (see each implementation); unknown names raise ``ParameterError``.

    Returns
    -------
    geopandas.GeoDataFrame
        The result, EPSG:27700, parameters in ``attrs["csmap_params"]``.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> rng = np.random.default_rng(3)
    >>> xy = rng.uniform(0, 2000, (100, 2))
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> res = run(pts, method="gi", study_area=shapely.box(0, 0, 2000, 2000), cell_size=200,
    ...           band=300)
    >>> len(res), res.attrs["csmap_params"]["method"]
    (100, 'gi')
    """
    func = implementation(method)
    polygon, area_population = _area_geometry(study_area)
    if population is None:
        population = area_population
    if not isinstance(points, gpd.GeoDataFrame):
        raise ParameterError("points must be a GeoDataFrame")
    if points.crs is not None and points.crs.to_epsg() != BNG_EPSG:
        points = points.to_crs(BNG_EPSG)
    sig = inspect.signature(func)
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    if not accepts_any:
        unknown = sorted(set(params) - set(sig.parameters))
        if unknown:
            raise ParameterError(f"method {method!r} does not take parameter(s) {unknown}")
    if "population" in sig.parameters or accepts_any:
        return func(points, study_area=polygon, population=population, **params)
    return func(points, study_area=polygon, **params)
