"""The editable parameters of each hotspot method in the explorer (pure; no Streamlit).

:data:`PARAM_SPECS` lists, per method of :func:`analysis.hotspots.registry.run`, the parameters the
explorer shows, with their defaults. Parameters with ``auto=True`` are chosen automatically by the
engine unless the user overrides them (Gi*: cell size and band by :mod:`analysis.lattice.scale`;
KDE:
bandwidth by ArcGIS's rule and cell size); the explorer runs the automatic choice too, so the
automatic value is always shown next to the override.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from geo.errors import ParameterError


@dataclass(frozen=True)
class ParamSpec:
    """One editable parameter.

    ``kind`` is ``"number"`` (float), ``"int"``, ``"choice"`` (one of ``choices``) or ``"bool"``;
    ``auto`` marks a parameter the engine can choose itself (``auto_value`` is what the engine
    takes as "choose automatically": ``"auto"`` or ``None``).
    """

    name: str
    label: str
    kind: str
    default: Any
    auto: bool = False
    auto_value: Any = "auto"
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


_CELL = ParamSpec("cell_size", "Cell size (m)", "number", 250.0, True, "auto", 10.0, 5000.0, 10.0)
_BAND = ParamSpec("band", "Distance band (m)", "number", 500.0, True, "auto", 10.0, 20000.0, 10.0)
_ALPHA = ParamSpec("alpha", "Alpha (significance level)", "number", 0.05, False, None, 0.001, 0.2)

PARAM_SPECS: Final[dict[str, tuple[ParamSpec, ...]]] = {
    "gi": (
        _CELL,
        _BAND,
        ParamSpec("shape", "Cell shape", "choice", "square", choices=("square", "hex")),
        ParamSpec(
            "adjust",
            "Adjustment",
            "choice",
            "none",
            choices=("none", "population"),
            help="none: places with many events (count hotspots); population: more events than "
            "the resident children and young people predict (population-adjusted).",
        ),
        _ALPHA,
        ParamSpec("fdr", "FDR correction (Benjamini-Hochberg)", "bool", True),
    ),
    "kde": (
        ParamSpec("bandwidth", "Bandwidth (m)", "number", 500.0, True, None, 10.0, 20000.0, 10.0),
        ParamSpec("cell_size", "Cell size (m)", "number", 100.0, True, None, 5.0, 2000.0, 5.0),
        ParamSpec("top", "Top share of area", "number", 0.05, False, None, 0.005, 0.5, 0.005),
    ),
    "dual-kde": (
        ParamSpec("bandwidth", "Bandwidth (m)", "number", 500.0, True, None, 10.0, 20000.0, 10.0),
        ParamSpec("cell_size", "Cell size (m)", "number", 100.0, True, None, 5.0, 2000.0, 5.0),
        ParamSpec("min_ratio", "Minimum relative risk", "number", 2.0, False, None, 1.0, 20.0),
        ParamSpec("min_events", "Minimum events per area", "int", 5, False, None, 1, 1000, 1),
    ),
    "dbscan": (
        ParamSpec("eps", "eps: neighbourhood (m)", "number", 100.0, False, None, 1.0, 5000.0),
        ParamSpec("min_samples", "Min samples (events)", "int", 10, False, None, 1, 10000, 1),
    ),
    "hdbscan": (
        ParamSpec("min_cluster_size", "Min cluster size", "int", 20, False, None, 2, 10000, 1),
    ),
    "repeat": (
        ParamSpec("radius", "Same place within (m)", "number", 10.0, False, None, 1.0, 500.0),
        ParamSpec("min_events", "Minimum events", "int", 2, False, None, 1, 1000, 1),
    ),
    "scan": (
        ParamSpec("cell_size", "Window centre spacing (m)", "number", 1000.0, False, None, 100.0),
        ParamSpec("max_share", "Max share of population", "number", 0.5, False, None, 0.01, 0.5),
        ParamSpec("permutations", "Monte Carlo replicates", "int", 199, False, None, 19, 9999),
        _ALPHA,
    ),
}
#: Short description of each method for the page.
METHOD_NOTES: Final[dict[str, str]] = {
    "gi": "Getis-Ord Gi* on a grid: significant hot and cold cells (FDR-controlled).",
    "kde": "Kernel density: contours of the densest share of the area (descriptive).",
    "dual-kde": "Dual KDE: events over resident children and young people (relative risk).",
    "dbscan": "DBSCAN clusters of events (density-based, no significance test).",
    "hdbscan": "HDBSCAN clusters of events (density-based, no significance test).",
    "repeat": "Repeat locations: the same place within a few metres, counted.",
    "scan": "Kulldorff scan: circular windows against population, Monte Carlo p-values.",
}
#: Methods whose results carry a population adjustment by construction.
ADJUSTED_METHODS: Final[frozenset[str]] = frozenset({"dual-kde", "scan"})


def specs(method: str) -> tuple[ParamSpec, ...]:
    """The editable parameters of ``method``.

    Examples
    --------
    >>> [s.name for s in specs("repeat")]
    ['radius', 'min_events']
    """
    if method not in PARAM_SPECS:
        raise ParameterError(f"unknown method {method!r}; choose one of {sorted(PARAM_SPECS)}")
    return PARAM_SPECS[method]


def automatic_params(method: str) -> dict[str, Any]:
    """Parameters for the engine's own choice: auto parameters automatic, others default.

    Examples
    --------
    >>> automatic_params("gi")["cell_size"], automatic_params("kde")["bandwidth"]
    ('auto', None)
    """
    return {s.name: (s.auto_value if s.auto else s.default) for s in specs(method)}


def build_params(
    method: str, values: Mapping[str, Any], *, overridden: Mapping[str, bool]
) -> dict[str, Any]:
    """Engine parameters from the widgets: an auto parameter is overridden only when ticked.

    Parameters
    ----------
    method : str
        Method name.
    values : mapping
        Widget values by parameter name (missing -> default).
    overridden : mapping
        For auto parameters, whether the user overrides the automatic choice.

    Examples
    --------
    >>> p = build_params("gi", {"cell_size": 300.0, "band": 900.0},
    ...                  overridden={"cell_size": True})
    >>> p["cell_size"], p["band"]
    (300.0, 'auto')
    """
    out: dict[str, Any] = {}
    for s in specs(method):
        value = values.get(s.name, s.default)
        if s.auto and not overridden.get(s.name, False):
            out[s.name] = s.auto_value
        elif s.kind == "number":
            out[s.name] = float(value)
        elif s.kind == "int":
            out[s.name] = int(value)
        elif s.kind == "bool":
            out[s.name] = bool(value)
        else:
            if value not in s.choices:
                raise ParameterError(f"{s.label}: {value!r} is not one of {s.choices}")
            out[s.name] = value
    return out


def is_overridden(params: Mapping[str, Any], method: str) -> bool:
    """Whether any auto parameter is set by the user.

    Examples
    --------
    >>> is_overridden({"cell_size": "auto", "band": 800.0}, "gi")
    True
    """
    return any(s.auto and params.get(s.name, s.auto_value) != s.auto_value for s in specs(method))


def fixed_scale(method: str, used: Mapping[str, Any]) -> dict[str, Any]:
    """The scale a result actually used, as fixed parameters (to rerun another period on it).

    Examples
    --------
    >>> fixed_scale("gi", {"cell_size": 270.0, "band": 540.0, "alpha": 0.05})
    {'cell_size': 270.0, 'band': 540.0}
    """
    return {
        s.name: float(used[s.name])
        for s in specs(method)
        if s.auto and used.get(s.name) is not None
    }
