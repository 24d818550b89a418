"""Kulldorff scan clusters as a hotspot method (``csmap hotspots --method scan``).

Events are counted in grid cells of the study area; the cell centres are the scan locations of
:mod:`analysis.hotspots.scan_core` (circular windows, discrete Poisson against population
apportioned from
the LSOAs, or the space-time permutation model on cases only). Each reported cluster is one row
of the standard result with its window circle as geometry.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.hotspots.adjust import apportion_population
from analysis.hotspots.result import finalise
from analysis.hotspots.scan_core import (
    MODELS,
    TIME_COLUMNS,
    PoissonScan,
    SpaceTimePermutationScan,
    poisson_llr,
)
from analysis.inference import CLUSTER, NOT_SIGNIFICANT
from analysis.lattice.grid import count_in_cells, fishnet
from analysis.spacetime.knox import TimeUnit, numeric_times
from geo.errors import ParameterError
from geo.vocab import BNG_EPSG

__all__ = ["MODELS", "PoissonScan", "SpaceTimePermutationScan", "poisson_llr", "scan_hotspots"]


def _polygon(study_area: Any) -> shapely.Geometry:
    geom = getattr(study_area, "polygon", study_area)
    if isinstance(geom, gpd.GeoDataFrame | gpd.GeoSeries):
        geom = geom.union_all()
    if not isinstance(geom, shapely.Geometry) or geom.is_empty:
        raise ParameterError("study_area must be a StudyArea or a shapely (Multi)Polygon")
    return geom


def _time_column(points: gpd.GeoDataFrame, time_col: str | None) -> str:
    if time_col is not None:
        if time_col not in points:
            raise ParameterError(f"points have no time column {time_col!r}")
        return time_col
    for col in TIME_COLUMNS:
        if col in points:
            return col
    raise ParameterError(f"the space-time scan needs a time column (one of {TIME_COLUMNS})")


def scan_hotspots(
    points: gpd.GeoDataFrame,
    *,
    study_area: Any,
    population: gpd.GeoDataFrame | None = None,
    model: str = "poisson",
    cell_size: float = 1000.0,
    max_share: float = 0.5,
    max_radius: float | None = None,
    population_col: str = "children_young_people",
    time_col: str | None = None,
    time_unit: TimeUnit = "months",
    max_time_share: float = 0.5,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
    max_clusters: int = 10,
) -> gpd.GeoDataFrame:
    """Kulldorff scan clusters as the standard hotspot result (one row per cluster).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Events in EPSG:27700; null geometries and points outside the study area are skipped
        (counted in the parameters).
    study_area : StudyArea or shapely Polygon
        Area scanned; a :class:`geo.places.boundaries.StudyArea` also supplies the population.
    population : geopandas.GeoDataFrame, optional
        Area units with ``population_col`` (Poisson model); default the study area's LSOAs.
    model : {"poisson", "space-time-permutation"}
    cell_size : float
        Grid cell (metres) whose centres are the scan locations.
    max_share : float
        Largest window: share of the population (Poisson) or of the cases (space-time).
    max_radius : float, optional
        Largest window radius in metres.
    time_col, time_unit, max_time_share
        Space-time model: time column (default the first of :data:`TIME_COLUMNS`), its step
        (``months`` or ``days``) and the longest interval as a share of the period.
    permutations, seed, alpha, max_clusters
        Monte Carlo replicates, their seed, the significance level, most clusters reported.

    Returns
    -------
    geopandas.GeoDataFrame
        Standard columns (:func:`analysis.hotspots.result.finalise`): label ``cluster`` when
        ``p_value <= alpha`` else ``not significant``; ``statistic`` = LLR; ``rate_ratio`` =
        observed / expected; geometry = the window circle (radius to the farthest cell centre
        plus half a cell). Extra: ``radius_m``, ``n_cells``, ``relative_risk``, and for the
        space-time model ``time_start`` / ``time_end``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> xy = np.r_[rng.uniform(0, 4000, (300, 2)), rng.normal(1000, 150, (80, 2))]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> pop = gpd.GeoDataFrame({"children_young_people": [1000.0]},
    ...     geometry=[shapely.box(0, 0, 4000, 4000)], crs=27700)
    >>> out = scan_hotspots(pts, study_area=shapely.box(0, 0, 4000, 4000), population=pop,
    ...     cell_size=250, permutations=99, seed=1)
    >>> out.loc[0, "label"], bool(out.loc[0, "rate_ratio"] > 2)
    ('cluster', True)
    """
    if model not in MODELS:
        raise ParameterError(f"model must be one of {MODELS}, got {model!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    polygon = _polygon(study_area)
    if points.crs is not None and points.crs.to_epsg() != BNG_EPSG:
        raise ParameterError(f"points must be in EPSG:{BNG_EPSG}, got {points.crs}")
    pts = points[~(points.geometry.isna() | points.geometry.is_empty)]
    pts = pts.set_crs(BNG_EPSG) if pts.crs is None else pts
    cells = fishnet(polygon, cell_size=cell_size)
    xy = cells[["cell_x", "cell_y"]].to_numpy(dtype=float)
    params: dict[str, Any] = {
        "model": model,
        "cell_size": cell_size,
        "max_share": max_share,
        "max_radius": max_radius,
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
        "max_clusters": max_clusters,
    }
    if model == "poisson":
        if population is None:
            population = getattr(study_area, "population", None)
        if population is None:
            raise ParameterError(
                "the Poisson scan needs population (or use space-time-permutation)"
            )
        pop = apportion_population(cells, population, column=population_col)
        counts = count_in_cells(cells, pts)
        keep = pop > 0
        params.update(
            population_col=population_col,
            adjustment="population",
            events_in_cells_without_population=float(counts[~keep].sum()),
        )
        scan: PoissonScan | SpaceTimePermutationScan = PoissonScan(
            xy[keep],
            counts[keep],
            pop[keep],
            max_share=max_share,
            max_radius=max_radius,
            permutations=permutations,
            seed=seed,
            max_clusters=max_clusters,
        )
    else:
        col = _time_column(pts, time_col)
        t = numeric_times(pts[col], time_unit=time_unit)
        steps = np.floor(t - (t.min() if len(t) else 0.0))
        n_t = int(steps.max()) + 1 if len(steps) else 1
        matrix = np.column_stack(
            [count_in_cells(cells, pts[steps == s]) for s in range(n_t)]
        ).astype(np.int64)
        keep = matrix.sum(axis=1) > 0
        params.update(
            time_col=col,
            time_unit=time_unit,
            max_time_share=max_time_share,
            n_time_steps=n_t,
            adjustment="none",
        )
        scan = SpaceTimePermutationScan(
            xy[keep],
            matrix[keep],
            max_share=max_share,
            max_time_share=max_time_share,
            max_radius=max_radius,
            permutations=permutations,
            seed=seed,
            max_clusters=max_clusters,
        )
    params["events_scanned"] = scan.total
    params["events_outside_cells"] = int(len(points) - len(pts)) + int(
        len(pts) - count_in_cells(cells, pts).sum()
    )
    kept_xy = xy[keep]
    rows = scan.clusters
    out = pd.DataFrame(
        {
            "n_events": rows["n_events"].astype(float),
            "expected": rows["expected"].astype(float),
            "statistic": rows["llr"].astype(float) if len(rows) else [],
            "p_value": rows["p_value"].astype(float) if len(rows) else [],
            "radius_m": rows["radius_m"].astype(float),
            "n_cells": [len(v) for v in rows["locations"]],
        }
    )
    out["rate_ratio"] = out["n_events"] / out["expected"]
    out["relative_risk"] = rows["relative_risk"].astype(float) if len(rows) else []
    out["label"] = np.where(out["p_value"] <= alpha, CLUSTER, NOT_SIGNIFICANT)
    if model != "poisson" and len(rows):
        out["time_start"] = _step_label(rows["t_start"], pts[params["time_col"]], time_unit)
        out["time_end"] = _step_label(rows["t_end"], pts[params["time_col"]], time_unit)
    centres = kept_xy[rows["centre"].astype(int).to_numpy()] if len(rows) else np.empty((0, 2))
    geoms = shapely.buffer(
        shapely.points(centres), out["radius_m"].to_numpy() + cell_size / 2, quad_segs=16
    )
    gdf = gpd.GeoDataFrame(out, geometry=geoms, crs=BNG_EPSG)
    gdf["area_m2"] = gdf.geometry.area
    return finalise(gdf, method="scan", params=params)


def _step_label(steps: pd.Series, raw: pd.Series, time_unit: str) -> list[str]:
    """Human label of a time step: ``YYYY-MM`` for months, ``YYYY-MM-DD`` for days."""
    out = []
    if time_unit == "months":
        first = pd.Period(pd.to_datetime(pd.Series(raw).astype(str)).min(), freq="M")
        for s in steps:
            out.append(str(first + int(s)))
    else:
        start = pd.to_datetime(pd.Series(raw).astype(str)).min().normalize()
        for s in steps:
            out.append(str((start + pd.Timedelta(days=int(s))).date()))
    return out
