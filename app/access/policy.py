"""Role policy: the ONE place that decides what each role may see and export (issue #7).

Pages, exports and CLI commands ask this module; none of them decides on its own. Pure Python
(no streamlit), importable by the CLI.

Roles and capabilities (the matrix is :data:`MATRIX`; ``x`` = allowed):

====================================  =====  =======  =======  =====  ============
capability                            admin  analyst  partner  board  practitioner
====================================  =====  =======  =======  =====  ============
record_points (record-level points)   x      x
child_references (``child_ref``)      x      x
childrens_home_addresses              x      x
hotspot_polygons                      x      x        x
venue_watchlists                      x      x        x
aggregates (counts by area/time)      x      x        x        x
strategic_views                       x      x                 x
location_assessments                  x      x                        x
audit (read the audit log)            x
users (manage users)                  x
retention (run/set retention)         x
====================================  =====  =======  =======  =====  ============

Reading of issue #7: ``admin`` manages users, retention and audit, and is one of the two roles
that may see children's home addresses, so it is given the analyst's record-level access as well
(an admin who runs retention must see what it deletes). ``analyst`` has record-level points and
child references and every analytical view, but not audit, users or retention. ``partner``
(police/licensing) gets hotspot polygons, venue watchlists and aggregated counts, never record
points or child references. ``board`` gets aggregates and the strategic views.
``practitioner`` gets location assessments only.

``strategic_views`` (the Placements, Missing and Who reports pages) is for boards and MACE
panels, and analysts/admins: out-of-area placement density, missing-episode patterns and the
source-agency breakdown are strategic features (the partnership's requirements tag them
*strategic*), not disruption planning, so police and licensing officers (``partner``) do not
get them (issue #12, item 18; the README's page table says the same and
``tests/app/access/test_policy.py`` compares the two).

Disclosure control (:mod:`analysis.disclosure.control`) is applied to every output of the
``partner``,
``board`` and ``practitioner`` roles (:data:`DISCLOSURE_ROLES`; practitioners see only counts
around a home, which are small-area counts, so they are controlled too — stricter than the
issue, which names partner and board).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import yaml

from analysis.disclosure.control import (
    LOCATION_COLUMNS,
    DisclosurePolicy,
    suppress_related_counts,
    window_relations,
)
from geo.errors import CsmapError
from geo.yaml_files import load_yaml

__all__ = [
    "CAPABILITIES",
    "COUNT_COLUMNS",
    "COUNT_PATTERN",
    "DISCLOSURE_ROLES",
    "MATRIX",
    "PAGES",
    "ROLES",
    "ExportRules",
    "PermissionDenied",
    "RoleMapping",
    "allowed_pages",
    "apply_export_policy",
    "can",
    "is_count_column",
    "disclosure_policy_from_config",
    "export_rules",
    "require",
]

ROLES: Final[tuple[str, ...]] = ("admin", "analyst", "partner", "board", "practitioner")

CAPABILITIES: Final[tuple[str, ...]] = (
    "record_points",
    "child_references",
    "childrens_home_addresses",
    "hotspot_polygons",
    "venue_watchlists",
    "aggregates",
    "strategic_views",
    "location_assessments",
    "audit",
    "users",
    "retention",
)

MATRIX: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset(CAPABILITIES),
    "analyst": frozenset(CAPABILITIES) - {"audit", "users", "retention"},
    "partner": frozenset({"hotspot_polygons", "venue_watchlists", "aggregates"}),
    "board": frozenset({"aggregates", "strategic_views"}),
    "practitioner": frozenset({"location_assessments"}),
}

#: Roles whose every output passes disclosure control.
DISCLOSURE_ROLES: Final[frozenset[str]] = frozenset({"partner", "board", "practitioner"})

#: App pages (file stem in ``app/app_pages/``) and the capability each needs, in menu order.
#: Users and retention are managed with the CLI (``csmap users``, ``csmap retention``).
PAGES: Final[dict[str, str]] = {
    "overview": "aggregates",
    "map": "record_points",
    "explorer": "hotspot_polygons",
    "data": "record_points",
    "disruption": "venue_watchlists",
    "assessment": "location_assessments",
    "placements": "strategic_views",
    "missing": "strategic_views",
    "agencies": "strategic_views",
    "evaluation": "hotspot_polygons",
    "audit": "audit",
}

#: Export kinds :func:`apply_export_policy` understands.
RECORD_KINDS: Final[tuple[str, ...]] = ("concerns", "missing_episodes", "placements")
EXPORT_KINDS: Final[tuple[str, ...]] = (
    *RECORD_KINDS,
    "hotspots",
    "venues",
    "table",
    "location_assessment",
)

_CHILD_COLUMNS: Final[tuple[str, ...]] = ("child_ref", "summary", "age", "place_name")
_ID_COLUMNS: Final[tuple[str, ...]] = ("record_id", "episode_id", "placement_id", "row_hash")
_HOME_COLUMNS: Final[tuple[str, ...]] = ("ofsted_urn",)
#: Count columns of hotspot/venue/assessment outputs that get small-count suppression: these
#: exact names, and every column matching :data:`COUNT_PATTERN` (``n_*``, ``prev_*``,
#: ``change_*``, ``cat_*``, e.g. the venue watchlist's ``n_3m``, ``prev_3m``, ``change_3m``,
#: ``cat_CSE``), except :data:`NOT_COUNTS`.
COUNT_COLUMNS: Final[tuple[str, ...]] = ("count", "events", "records", "concerns")
COUNT_PATTERN: Final[re.Pattern[str]] = re.compile(r"^(?:n|prev|change|cat)_")
#: Matched by the pattern but not counts of events or children (grid cells of a hotspot).
NOT_COUNTS: Final[frozenset[str]] = frozenset({"n_cells"})


def is_count_column(name: object) -> bool:
    """Whether a column holds counts that disclosure control suppresses.

    Examples
    --------
    >>> [is_count_column(c) for c in ("n_3m", "prev_12m", "change_3m", "cat_CSE", "z", "n_cells")]
    [True, True, True, True, False, False]
    """
    text = str(name)
    return text not in NOT_COUNTS and (text in COUNT_COLUMNS or bool(COUNT_PATTERN.match(text)))


class PermissionDenied(CsmapError):  # noqa: N818 (name fixed by the shared contract)
    """The role may not see or export this."""


def _check_role(role: str) -> str:
    if role not in MATRIX:
        raise PermissionDenied(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    return role


def can(role: str, capability: str) -> bool:
    """Whether ``role`` has ``capability`` (unknown roles have nothing).

    Examples
    --------
    >>> can("analyst", "child_references"), can("partner", "record_points")
    (True, False)
    """
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    return capability in MATRIX.get(role, frozenset())


def require(role: str, capability: str) -> None:
    """Raise :class:`PermissionDenied` unless ``role`` has ``capability``.

    Examples
    --------
    >>> require("board", "aggregates")
    >>> require("board", "record_points")
    Traceback (most recent call last):
    ...
    app.access.policy.PermissionDenied: role 'board' may not use record_points
    """
    _check_role(role)
    if not can(role, capability):
        raise PermissionDenied(f"role {role!r} may not use {capability}")


def allowed_pages(role: str) -> list[str]:
    """Page names (``app/app_pages/<name>.py``) the role may open, in menu order.

    Examples
    --------
    >>> allowed_pages("board")
    ['overview', 'placements', 'missing', 'agencies']
    >>> allowed_pages("practitioner")
    ['assessment']
    """
    if role not in MATRIX:
        return []
    return [page for page, capability in PAGES.items() if can(role, capability)]


@dataclass(frozen=True)
class ExportRules:
    """What a role may export, and how it is reduced first.

    Attributes
    ----------
    role : str
    kinds : tuple of str
        Export kinds allowed at all.
    record_level : bool
        May export one row per record.
    drop_columns : tuple of str
        Columns always removed (exact names); location columns matched by pattern too when
        ``exact_points`` is False.
    exact_points : bool
        May receive exact locations.
    reason_required : bool
        A stated reason is needed (record-level exports).
    disclosure : DisclosurePolicy or None
        Applied to counts and hotspots (None = not applied).
    """

    role: str
    kinds: tuple[str, ...]
    record_level: bool
    drop_columns: tuple[str, ...]
    exact_points: bool
    reason_required: bool
    disclosure: DisclosurePolicy | None = field(default=None)


def export_rules(role: str, *, disclosure: DisclosurePolicy | None = None) -> ExportRules:
    """The export rules of ``role``.

    Examples
    --------
    >>> r = export_rules("partner")
    >>> r.record_level, "child_ref" in r.drop_columns, r.kinds
    (False, True, ('concerns', 'missing_episodes', 'placements', 'hotspots', 'venues', 'table'))
    """
    _check_role(role)
    kinds: list[str] = []
    if can(role, "record_points") or can(role, "aggregates"):
        kinds += list(RECORD_KINDS)
    if can(role, "hotspot_polygons"):
        kinds.append("hotspots")
    if can(role, "venue_watchlists"):
        kinds.append("venues")
    if can(role, "aggregates"):
        kinds.append("table")
    if can(role, "location_assessments"):
        kinds.append("location_assessment")
    drop: list[str] = []
    if not can(role, "child_references"):
        drop += [*_CHILD_COLUMNS, *_ID_COLUMNS]
    if not can(role, "childrens_home_addresses"):
        drop += list(_HOME_COLUMNS)
    record_level = can(role, "record_points")
    return ExportRules(
        role=role,
        kinds=tuple(kinds),
        record_level=record_level,
        drop_columns=tuple(dict.fromkeys(drop)),
        exact_points=record_level,
        reason_required=record_level,
        disclosure=(disclosure or DisclosurePolicy()) if role in DISCLOSURE_ROLES else None,
    )


def _strip(frame: pd.DataFrame, rules: ExportRules) -> pd.DataFrame:
    drop = [c for c in frame.columns if c in rules.drop_columns]
    if not rules.exact_points:
        drop += [c for c in frame.columns if LOCATION_COLUMNS.match(str(c))]
    return frame.drop(columns=list(dict.fromkeys(drop)))


def _suppress_count_columns(
    frame: pd.DataFrame, policy: DisclosurePolicy, keys: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Suppress every count column; ``change_<w>`` is hidden when ``n_<w>`` or ``prev_<w>`` is.

    Count columns that have cell ``keys`` (same index) are perturbed first, and
    ``change_<w>`` is then the difference of the shown counts (never of the true ones).

    Window counts are suppressed together
    (:func:`analysis.disclosure.control.suppress_related_counts`): where ``n_3m`` is hidden,
    ``prev_3m`` or ``n_6m`` is too, as ``n_6m = n_3m + prev_3m``.

    ``cat_*`` columns (a breakdown of the row's events) are suppressed together, with secondary
    suppression against their per-row total, so one hidden category cannot be recovered by
    subtracting the shown ones from the row's count.
    """
    out = frame.copy()
    hidden: dict[str, pd.Series] = {}
    columns = [c for c in out.columns if is_count_column(c)]
    changes = [c for c in columns if str(c).startswith("change_")]
    cats = [c for c in columns if str(c).startswith("cat_")]
    plain = {}
    for column in columns:
        if column in changes or column in cats:
            continue
        counts = pd.to_numeric(out[column], errors="coerce").fillna(0)
        if (counts < 0).any() or (counts != counts.round()).any():
            continue  # not a count
        plain[column] = counts.astype("int64")
    if plain:  # together: n_6m = n_3m + prev_3m must not give a hidden n_3m back (issue #12)
        block = pd.DataFrame(plain, index=out.index)
        relations = window_relations(list(block.columns))
        window_keys = None if keys is None else keys.reindex(index=out.index).fillna(0)
        shown, masks = suppress_related_counts(
            block, policy=policy, relations=relations, keys=window_keys
        )
        for column in block.columns:
            out[column] = shown[column].to_numpy()
            hidden[str(column)] = masks[column]
    if cats:
        block = out[cats].apply(pd.to_numeric, errors="coerce").fillna(0).astype("int64")
        cat_keys = None
        if keys is not None and set(cats) <= set(keys.columns):
            cat_keys = keys.reindex(index=out.index, columns=cats).fillna(0)
        table = policy.table(block, totals="per_row", keys=cat_keys)
        out[cats] = table.display[cats].to_numpy()
    for column in changes:
        window = str(column).removeprefix("change_")
        mask = pd.Series(False, index=out.index)
        for part in (f"n_{window}", f"prev_{window}"):
            if part in hidden:
                mask |= hidden[part]
        values = out[column].astype(object)
        parts = (f"n_{window}", f"prev_{window}")
        if keys is not None and set(parts) <= set(keys.columns):  # perturbed: shown - shown
            shown_n, shown_prev = (pd.to_numeric(out[p], errors="coerce") for p in parts)
            values = (shown_n - shown_prev).astype("Int64").astype(object)
        values[mask.to_numpy()] = policy.primary_marker
        out[column] = values.astype(str)
    return out


def apply_export_policy(
    frame: pd.DataFrame,
    *,
    role: str,
    kind: str,
    disclosure: DisclosurePolicy | None = None,
    events: gpd.GeoDataFrame | None = None,
    group_by: str = "ward_nm",
    keys: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reduce ``frame`` to what ``role`` may export as ``kind``.

    - Record kinds: roles with ``record_points`` get the records minus columns they may not
      have (e.g. ``ofsted_urn`` without ``childrens_home_addresses``); roles with only
      ``aggregates`` get a disclosure-controlled count table by ``group_by`` (with a total).
    - ``hotspots``: partner/board get only hotspots with at least ``min_children`` distinct
      children (counted from ``events`` or an ``n_children`` column), without record columns,
      with small counts suppressed.
    - ``venues`` / ``location_assessment``: count columns suppressed for disclosure roles.
    - ``table``: a count table (no totals), suppressed with totals for disclosure roles.

    Parameters
    ----------
    frame : DataFrame or GeoDataFrame
        What would be exported.
    role : str
        The user's role.
    kind : str
        One of ``concerns, missing_episodes, placements, hotspots, venues, table,
        location_assessment``.
    disclosure : DisclosurePolicy, optional
        Settings (default :class:`~analysis.disclosure.control.DisclosurePolicy()`).
    events : GeoDataFrame, optional
        Event points with ``child_ref`` for counting children per hotspot.
    group_by : str, default "ward_nm"
        Area column for aggregating records for aggregate-only roles (counts cell-key
        perturbed, keyed from the records' ids).
    keys : DataFrame, optional
        ``venues``, ``hotspots``: cell keys of count columns (same index and names, e.g.
        ``attrs["cell_keys"]`` of :func:`analysis.views.proximity.watchlist`); those are perturbed.

    Returns
    -------
    DataFrame
        The reduced table (suppressed counts are display text, e.g. ``"c"``).

    Raises
    ------
    PermissionDenied
        When the role may not export this kind at all.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"record_id": list("abcdefg"), "child_ref": list("ABCDEFG"),
    ...                      "ward_nm": ["Batley"] * 6 + ["Dewsbury"]})
    >>> apply_export_policy(recs, role="board", kind="concerns").to_dict("list")  # 7, perturbed
    {'ward_nm': ['Batley', 'Dewsbury', 'Total'], 'records': ['c', 'c', '6']}
    >>> list(apply_export_policy(recs, role="analyst", kind="concerns").columns)
    ['record_id', 'child_ref', 'ward_nm']
    """
    rules = export_rules(role, disclosure=disclosure)
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}; kinds are {', '.join(EXPORT_KINDS)}")
    if kind not in rules.kinds:
        raise PermissionDenied(f"role {role!r} may not export {kind}")
    policy = rules.disclosure
    if kind in RECORD_KINDS:
        if rules.record_level:
            return _strip(frame, rules)
        if group_by not in frame.columns and f"found_{group_by}" in frame.columns:
            group_by = f"found_{group_by}"  # missing episodes: area of the found location
        if group_by not in frame.columns:
            raise PermissionDenied(
                f"role {role!r} gets {kind} only as counts by {group_by!r}, which is missing"
            )
        groups = frame[group_by].fillna("(outside the area)")
        counts = groups.value_counts().sort_index()
        policy = policy or DisclosurePolicy()
        cell_keys = policy.keys(frame, groups, like=counts)  # from the records' ids
        table = policy.table(counts.rename("records"), totals=True, keys=cell_keys)
        out = table.display.rename("records").rename_axis(group_by).reset_index()
        return out
    if kind == "table":
        if policy is None:
            return frame
        return policy.table(frame, totals="both").display
    reduced = _strip(frame, rules)
    if policy is None:
        return reduced
    if kind == "hotspots":
        kept = policy.hotspots(gpd.GeoDataFrame(frame), events).index
        reduced = reduced.loc[kept]
    return _suppress_count_columns(reduced, policy, keys)


@dataclass(frozen=True)
class RoleMapping:
    """Maps a signed-in identity (email, groups) to a role, from a YAML file.

    File format (the first role whose rule matches wins, in file order)::

        roles:
          admin: {emails: [it.lead@council.gov.uk]}
          analyst: {groups: [csmap-analysts]}
          board: {domains: [council.gov.uk]}

    Examples
    --------
    >>> m = RoleMapping.from_mapping({"roles": {"analyst": {"groups": ["csmap-analysts"]},
    ...                                        "board": {"domains": ["council.gov.uk"]}}})
    >>> m.role_for("a@council.gov.uk", groups=["csmap-analysts"]), m.role_for("b@council.gov.uk")
    ('analyst', 'board')
    >>> m.role_for("x@example.com") is None
    True
    """

    rules: tuple[tuple[str, frozenset[str], frozenset[str], frozenset[str]], ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RoleMapping:
        """Build from the parsed YAML mapping."""
        roles = data.get("roles") if isinstance(data, Mapping) else None
        if not isinstance(roles, Mapping):
            raise CsmapError("role mapping needs a 'roles' mapping")
        rules = []
        for role, rule in roles.items():
            _check_role(str(role))
            rule = rule or {}

            def lower(key: str, rule: Mapping[str, Any] = rule) -> frozenset[str]:
                return frozenset(str(v).strip().lower() for v in rule.get(key) or ())

            rules.append((str(role), lower("emails"), lower("groups"), lower("domains")))
        return cls(tuple(rules))

    @classmethod
    def from_yaml(cls, path: str | Path) -> RoleMapping:
        """Read the mapping file (errors name the file)."""
        try:
            data = load_yaml(Path(path).read_text(encoding="utf-8"))
            return cls.from_mapping(data)
        except (OSError, yaml.YAMLError, CsmapError) as exc:
            raise CsmapError(f"{path}: cannot read the role mapping: {exc}") from exc

    def role_for(self, email: str | None, groups: list[str] | tuple[str, ...] = ()) -> str | None:
        """The role of this identity, or None (no access)."""
        address = (email or "").strip().lower()
        domain = address.rsplit("@", 1)[1] if "@" in address else ""
        member = {g.strip().lower() for g in groups}
        for role, emails, group_names, domains in self.rules:
            if address in emails or member & group_names or (domain and domain in domains):
                return role
        return None


def disclosure_policy_from_config(config: Mapping[str, Any] | None) -> DisclosurePolicy:
    """Build the disclosure policy from the ``disclosure:`` section of ``csmap.yaml``.

    Examples
    --------
    >>> disclosure_policy_from_config({"disclosure": {"threshold": 10, "rounding_base": 5}})
    ... # doctest: +ELLIPSIS
    DisclosurePolicy(threshold=10, zeros='show', secondary=True, rounding_base=5, ...)
    """
    section = dict((config or {}).get("disclosure") or {})
    if "displacement_m" in section and section["displacement_m"] is not None:
        section["displacement_m"] = tuple(section["displacement_m"])
    known = set(DisclosurePolicy.__dataclass_fields__)
    unknown = set(section) - known
    if unknown:
        raise CsmapError(f"unknown disclosure settings: {', '.join(sorted(unknown))}")
    return DisclosurePolicy(**section)
