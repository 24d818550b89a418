"""Kernel density (KDE) and dual KDE (relative risk against population) hotspots.

The density itself (:class:`KernelDensity`, :func:`arcgis_bandwidth`, :data:`KERNELS`,
:func:`points_xy`) lives in :mod:`analysis.hotspots.density.kernel_density`; see that
module for the kernel and bandwidth conventions (``bandwidth`` is the ArcGIS search radius in
metres, density in events per km², NaN outside the study area).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import ndimage

from analysis.hotspots.density.kernel_density import KernelDensity, points_xy
from analysis.hotspots.result import finalise
from analysis.inference import HOT
from geo.errors import ParameterError


def _weights(points: gpd.GeoDataFrame, weight: str | None) -> NDArray[np.float64] | None:
    if weight is None:
        return None
    if weight not in points:
        raise ParameterError(f"weight column {weight!r} is not in the points")
    w = pd.to_numeric(points[weight], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ParameterError(f"weight column {weight!r} must hold non-negative numbers")
    return w


def kde_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: shapely.Geometry,
    population: gpd.GeoDataFrame | None = None,
    bandwidth: float | str | None = None,
    cell_size: float | str | None = None,
    top: float = 0.05,
    kernel: str = "quartic",
    weight: str | None = None,
) -> gpd.GeoDataFrame:
    """KDE hotspots: polygons covering the densest ``top`` share of the study area.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Event points in EPSG:27700 (null geometries are skipped and counted).
    study_area : shapely Polygon or MultiPolygon
    population : GeoDataFrame, optional
        Not used (a plain KDE is a count surface); use :func:`dual_kde_hotspots` for risk.
    bandwidth, cell_size, kernel
        See :class:`KernelDensity`.
    top : float
        Share of study-area cells that form the contours (default 0.05).
    weight : str, optional
        Column of event weights.

    Returns
    -------
    geopandas.GeoDataFrame
        The standard result (:func:`analysis.hotspots.result.finalise`), one row per contour
        polygon,
        label ``hot``, ``n_events`` = events in the polygon's grid cells, ``statistic`` = mean
        density (events/km²) of its cells. ``z``, ``p_value``, ``q_value``, ``expected`` and
        ``rate_ratio`` are NaN: a KDE contour is a descriptive surface, not a significance test.
        Extra columns ``n_cells``, ``max_density``, ``threshold``.

    Examples
    --------
    >>> import shapely
    >>> rng = np.random.default_rng(2)
    >>> xy = np.r_[rng.normal(300, 20, (200, 2)), rng.uniform(0, 1000, (200, 2))]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> out = kde_hotspots(pts, study_area=shapely.box(0, 0, 1000, 1000), top=0.02)
    >>> out.iloc[0]["label"], bool(out["n_events"].max() >= 150)
    ('hot', True)
    """
    if not 0 < top < 1:
        raise ParameterError(f"top must be a fraction between 0 and 1, got {top!r}")
    xy, ok = points_xy(points)
    w = _weights(points, weight)
    kd = KernelDensity(
        xy[ok],
        study_area=study_area,
        weights=None if w is None else w[ok],
        bandwidth=bandwidth,
        cell_size=cell_size,
        kernel=kernel,
    )
    labels, n, thr = kd.select_top(top=top)
    out = kd.region_frame(labels, n, study_area=study_area)
    out["threshold"] = thr
    out["n_events"] = kd.region_counts(xy[ok], labels, n).astype(np.int64)
    out["statistic"] = out["mean_density"]
    out["label"] = HOT
    out = out.sort_values("statistic", ascending=False, kind="stable").reset_index(drop=True)
    out = out.drop(columns="mean_density")
    params = {
        "kernel": kernel,
        "bandwidth": kd.bandwidth,
        "bandwidth_rule": "ArcGIS 0.9*min(SD, sqrt(1/ln2)*Dm)*n^-0.2"
        if "bandwidth" in kd.automatic
        else "user",
        "cell_size": kd.cell_size,
        "top": top,
        "density_unit": "events per km2",
        "weight": weight,
        "n_points": kd.n_points,
        "n_outside_grid": kd.n_outside,
        "n_null_geometry": int((~ok).sum()),
        "automatic": kd.automatic,
        "adjustment": "none",
        "significance": "not applicable (descriptive density surface)",
    }
    return finalise(out, method="kde", params=params)


def dual_kde_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: shapely.Geometry,
    population: gpd.GeoDataFrame | None = None,
    bandwidth: float | str | None = None,
    cell_size: float | str | None = None,
    kernel: str = "quartic",
    min_ratio: float = 2.0,
    min_events: int = 5,
    floor_share: float = 0.1,
    weight: str | None = None,
) -> gpd.GeoDataFrame:
    """Dual-KDE (relative risk) hotspots: where events outrun the children who live there.

    See :mod:`analysis.hotspots.density.dual_kde` for the ratio, its floor and how population is
    rasterised.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Event points in EPSG:27700.
    study_area : shapely Polygon or MultiPolygon
    population : geopandas.GeoDataFrame
        Required: LSOA polygons with ``children_young_people``.
    bandwidth, cell_size, kernel
        See :class:`KernelDensity` (shared by both surfaces).
    min_ratio : float
        Cells with a relative risk of at least this form the contours (default 2).
    min_events : int
        Contour polygons with fewer events are dropped (counted in the parameters), because a
        ratio from a handful of events is noise.
    floor_share : float
        Population-density floor as a share of its mean (default 0.1).
    weight : str, optional
        Column of event weights.

    Returns
    -------
    geopandas.GeoDataFrame
        Standard result, label ``hot``, adjustment ``population-adjusted``: ``n_events`` in the
        polygon's cells, ``expected`` = events the polygon's share of the (smoothed) population
        predicts, ``rate_ratio`` = n_events / expected, ``statistic`` = mean relative risk of its
        cells; ``z``/``p_value``/``q_value`` NaN (descriptive, no significance test). Extra
        columns ``n_cells``, ``max_ratio``.

    Examples
    --------
    >>> pop = gpd.GeoDataFrame({"children_young_people": [100.0]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000)], crs=27700)
    >>> rng = np.random.default_rng(3)
    >>> xy = np.r_[rng.uniform(0, 1000, (400, 2)), rng.normal(700, 15, (100, 2))]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> out = dual_kde_hotspots(pts, study_area=shapely.box(0, 0, 1000, 1000), population=pop,
    ...                         bandwidth=100)
    >>> len(out), out.geometry.iloc[0].contains(shapely.Point(700, 700))
    (1, True)
    """
    from analysis.hotspots.density.dual_kde import DualKernelDensity

    if population is None:
        raise ParameterError("dual-kde needs population (LSOAs with children_young_people)")
    if not float(min_ratio) > 0:
        raise ParameterError(f"min_ratio must be positive, got {min_ratio!r}")
    if int(min_events) < 1:
        raise ParameterError(f"min_events must be at least 1, got {min_events!r}")
    xy, ok = points_xy(points)
    w = _weights(points, weight)
    dk = DualKernelDensity(
        xy[ok],
        study_area=study_area,
        population=population,
        weights=None if w is None else w[ok],
        bandwidth=bandwidth,
        cell_size=cell_size,
        kernel=kernel,
        floor_share=floor_share,
    )
    kd = dk.events
    ratio = np.nan_to_num(dk.ratio, nan=0.0)
    labels, n = kd.regions((ratio >= min_ratio) & (np.nan_to_num(kd.density) > 0))
    out = kd.region_frame(labels, n, study_area=study_area, values=ratio)
    out = out.rename(columns={"mean_density": "statistic", "max_density": "max_ratio"})
    out["n_events"] = kd.region_counts(xy[ok], labels, n).astype(np.int64)
    p_mass = np.nan_to_num(dk.population.density, nan=0.0)
    idx = np.arange(1, n + 1)
    share = np.asarray(ndimage.sum_labels(p_mass, labels, idx), dtype=float) / p_mass.sum()
    events_in_area = float(kd.region_counts(xy[ok], kd.in_area.astype(np.int_), 1)[0])
    out["expected"] = share * events_in_area
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_ratio"] = out["n_events"] / out["expected"]
    out["label"] = HOT
    dropped = int((out["n_events"] < min_events).sum())
    out = out[out["n_events"] >= min_events]
    out = out.sort_values("statistic", ascending=False, kind="stable").reset_index(drop=True)
    params = {
        "kernel": kernel,
        "bandwidth": kd.bandwidth,
        "cell_size": kd.cell_size,
        "min_ratio": float(min_ratio),
        "min_events": int(min_events),
        "floor_share": dk.floor_share,
        "ratio": "(events/N) / max(population/P, floor_share * mean)",
        "population_column": "children_young_people",
        "population_apportioned": "LSOA population spread evenly over its grid cells",
        "population_total": dk.people,
        "n_points": kd.n_points,
        "n_outside_grid": kd.n_outside,
        "n_null_geometry": int((~ok).sum()),
        "n_polygons_below_min_events": dropped,
        "weight": weight,
        "automatic": kd.automatic,
        "adjustment": "population",
        "significance": "not applicable (descriptive relative-risk surface)",
    }
    return finalise(out, method="dual-kde", params=params)
