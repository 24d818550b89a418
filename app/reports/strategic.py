"""Strategic reports (placements, missing, who reports): assembled once, for the page, the CLI and
the HTML/CSV files.

:func:`build_report` asks :mod:`app.access.policy` what the role may see: the role needs
``aggregates``;
roles in :data:`app.access.policy.DISCLOSURE_ROLES` (board, partner, practitioner) get every count
through
their :class:`~analysis.disclosure.control.DisclosurePolicy` (counts 1-4 shown as ``c``, secondary
suppression), and record-level sections (per child, per placement) are included only for roles
with ``child_references``. HTML is rendered with Jinja2 with autoescaping on, so no field from a
record can become markup; CSV goes through :func:`geo.store.export.write_csv` (formula-safe).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import jinja2
import pandas as pd

from analysis.disclosure.control import DisclosurePolicy
from analysis.disclosure.tables import (
    cell_keys_for,
    coarsened,
    controlled,
    distinct_children,
    has_hidden,
    hidden_legend,
)
from analysis.hotspots.registry import run as run_hotspots
from analysis.views import agencies as ag
from analysis.views import missing as ms
from analysis.views import placements as pl
from app.access.policy import can, export_rules, require
from app.explorer.disclosure import shown_count
from geo.demo.records import SYNTHETIC_NOTICE
from geo.locate.geocode import Lookups
from geo.places.boundaries import StudyArea
from geo.places.datasets import ATTRIBUTION_LINES
from geo.places.dfe import homes_per_10k, netgain
from geo.store.export import write_csv
from geo.store.gpkg import points

__all__ = ["VIEWS", "Report", "Section", "build_report", "present", "write_report"]

#: Report views and their titles.
VIEWS: Final[dict[str, str]] = {
    "placements": "Children placed into the area",
    "missing": "Missing episodes and return home interviews",
    "agencies": "Who reports: concerns by agency",
}


#: Fewest located events for automatic-scale hotspots (the engine's own minimum).
MIN_HOTSPOT_EVENTS: Final[int] = 30


@dataclass(frozen=True)
class Section:
    """One table of a report, with the note that says how to read it."""

    key: str
    title: str
    table: pd.DataFrame
    note: str = ""


@dataclass
class Report:
    """A titled list of sections, with the role and disclosure rules it was built under."""

    view: str
    title: str
    role: str
    level: str
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    attribution: tuple[str, ...] = ATTRIBUTION_LINES

    def section(self, key: str) -> Section:
        """The section with this key."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


def present(table: pd.DataFrame) -> pd.DataFrame:
    """Replace each count by its display text (``<col>_display``), index as a first column.

    A ``<col>_why`` column becomes ``<col> hidden because`` after the count when any count is
    hidden, and is dropped otherwise.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [1], "n_display": ["c"]}, index=pd.Index(["a"], name="ward"))
    >>> present(t).to_dict("list")
    {'ward': ['a'], 'n': ['c']}
    >>> present(t.assign(n_why=["small count"])).to_dict("list")
    {'ward': ['a'], 'n': ['c'], 'n hidden because': ['small count']}
    """
    out = table.copy()
    for column in [c for c in out.columns if str(c).endswith("_display")]:
        base = str(column)[: -len("_display")]
        if base in out.columns:
            out[base] = out[column].astype(str)
        out = out.drop(columns=column)
    for column in [c for c in out.columns if str(c).endswith("_why")]:
        base = str(column)[: -len("_why")]
        reasons = out[column].fillna("").astype(str)
        out = out.drop(columns=column)
        if (reasons != "").any():  # say why each hidden count is hidden (issue #12)
            out.insert(list(out.columns).index(base) + 1, f"{base} hidden because", reasons)
    name = str(out.index.name or "row")
    out.index = pd.Index(out.index.astype(str), name=name)
    return out.reset_index()


def for_display(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`present` table for the screen: missing values (a rate or share blanked with its
    hidden count, a label not recorded) as blanks, not the text "None" / "nan".

    Examples
    --------
    >>> t = pd.DataFrame({"n": ["c", "9"], "rate": [float("nan"), 4.25], "x": [None, "a"]})
    >>> for_display(t).values.tolist()
    [['c', '', ''], ['9', '4.25', 'a']]
    """
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if not bool(values.isna().any()):
            continue
        if pd.api.types.is_float_dtype(values):
            out[column] = ["" if pd.isna(v) else str(round(float(v), 3)) for v in values.to_numpy()]
        else:
            out[column] = values.astype(object).where(values.notna(), "")
    return out


def _policy(role: str, disclosure: DisclosurePolicy | None) -> DisclosurePolicy | None:
    require(role, "aggregates")
    return export_rules(role, disclosure=disclosure).disclosure


def _concern_hotspots(concerns: gpd.GeoDataFrame, area: StudyArea) -> gpd.GeoDataFrame | None:
    pts = points(concerns, "concerns") if len(concerns) else concerns
    if len(pts) < MIN_HOTSPOT_EVENTS:
        return None
    result = run_hotspots(pts, method="gi", study_area=area)
    return result[result["label"] == "hot"]


def _placements(
    report: Report,
    records: dict[str, gpd.GeoDataFrame],
    *,
    area: StudyArea,
    policy: DisclosurePolicy | None,
    lookups: Lookups | None,
    hotspots: gpd.GeoDataFrame | None,
) -> None:
    frame = records.get("placements", gpd.GeoDataFrame())
    if len(frame) == 0:
        report.notes.append("No placements in the store.")
        return
    other = frame[pl.from_other_councils(frame, lad_cd=area.lad_cd).to_numpy()]
    # counts as the tables show them (perturbed for disclosure roles; the same records as the
    # tables' totals, so the same values): an exact count beside them would undo the protection
    n_other = shown_count(len(other), policy=policy, records=other)
    n_all = shown_count(len(frame), policy=policy, records=frame)
    report.notes.append(
        f"{n_other} of {n_all} stored placements were made by other councils (placing "
        "authority known and not this LA); the tables below count those."
    )
    lvl: pl.Level = "ward" if report.level == "ward" else "lsoa"
    report.sections += [
        Section(
            "by_area",
            f"Placements by {lvl} and rate per 10,000 children aged 0-15",
            present(pl.counts_by_area(other, area=area, level=lvl, policy=policy)),
            "Rate denominator: Census 2021 usual residents aged 0-15 (the bundled band; no "
            "0-17 band exists). Rates are blank where the count is suppressed.",
        ),
        Section(
            "by_authority",
            "By placing authority (top 10)",
            present(pl.by_placing_authority(other, top=10, policy=policy)),
        ),
        Section(
            "by_region",
            "By placing authority's region",
            present(pl.by_region(other, policy=policy)),
        ),
        Section(
            "by_type",
            "By placement type (rows) and provider type (columns)",
            pl.by_type(other, policy=policy).rename_axis("placement_type").reset_index(),
        ),
        Section("by_quarter", "By quarter placed", present(pl.by_quarter(other, policy=policy))),
        Section(
            "distance",
            "Distance from home (SSDA903 home postcode) against England",
            present(pl.distance_summary(other, lookups=lookups, policy=policy)),
            "The bundled DfE/Ofsted tables hold no coordinates for other councils, so distance "
            "to the placing authority's area is not computed. Distance is measured from the home "
            "postcode (SSDA903 HOME_POST) through the configured postcode lookup, when both exist.",
        ),
    ]
    if hotspots is None:
        hotspots = _concern_hotspots(records.get("concerns", gpd.GeoDataFrame()), area)
    if hotspots is not None:
        report.sections.append(
            Section(
                "hotspots",
                "Placements within or near concern hotspots (Gi* hot cells)",
                present(pl.hotspot_relation(other, hotspots, buffer_m=500, policy=policy)),
            )
        )
    else:
        report.notes.append(
            f"Fewer than {MIN_HOTSPOT_EVENTS} located concerns: no hotspots to relate "
            "placements to."
        )
    context = netgain(area.lad_cd)
    homes = homes_per_10k()
    mine = homes[homes["la_code"] == area.lad_cd]
    report.sections += [
        Section(
            "netgain",
            "Context (DfE, 31 March): placed in, placed out, net gain",
            context,
            "Published DfE figures (rounded/suppressed by DfE).",
        ),
        Section(
            "homes",
            "Children's homes per 10,000 children under 18 (Ofsted 31 March 2023; top 10 and "
            "this area)",
            pd.concat([homes.head(10), mine]).drop_duplicates("la_code").round(2),
            f"Rank {int(mine['rank'].iloc[0]) if len(mine) else '-'} of {len(homes)} LAs.",
        ),
    ]


def _missing(
    report: Report,
    records: dict[str, gpd.GeoDataFrame],
    *,
    area: StudyArea,
    policy: DisclosurePolicy | None,
    record_level: bool,
) -> None:
    eps = records.get("missing_episodes", gpd.GeoDataFrame())
    if len(eps) == 0:
        report.notes.append("No missing episodes in the store.")
        return
    placements = records.get("placements", gpd.GeoDataFrame())
    kids = ms.repeat_children(eps)
    reps = ms.repeat_placements(eps, placements) if len(placements) else pd.DataFrame()
    summary = pd.DataFrame(
        {"count": [int(kids["repeat"].sum()), int((~kids["repeat"]).sum())]},
        index=pd.Index(["children with repeat missing", "other children"], name="group"),
    )
    summary_t = controlled(summary, count="count", policy=policy)
    report.sections.append(
        Section(
            "repeat_children",
            "Children missing 3 or more times within 90 days",
            present(summary_t),
        )
    )
    if len(reps):
        ward_of = reps.loc[reps["repeat"], "ward_nm"].fillna("(no ward)")
        by_ward = ward_of.groupby(ward_of).size()
        table = by_ward.rename("repeat_placements").to_frame()
        table.index.name = "ward_nm"
        # distinct children who went missing from those placements, per ward
        ward_of_episode = ms.attach_placements(eps, placements).map(ward_of)
        kids_by_ward = distinct_children(eps, ward_of_episode)
        keys = cell_keys_for(policy, reps.loc[reps["repeat"]], ward_of, like=table)
        repeat_t = controlled(
            table, count="repeat_placements", policy=policy, children=kids_by_ward, keys=keys
        )
        whole = coarsened(
            repeat_t,
            count="repeat_placements",
            label="All wards",
            children=int(eps.loc[ward_of_episode.notna(), "child_ref"].nunique()),
            min_children=None if policy is None else policy.min_children,
        )
        report.sections.append(
            Section(
                "repeat_placements_by_ward",
                "Placements with repeat missing, by ward",
                present(repeat_t if whole is None else whole),
                ""
                if whole is None
                else "Every ward's count is hidden (too few placements or children), so the "
                "count is shown for all wards together.",
            )
        )
    if record_level:
        report.sections.append(
            Section(
                "repeat_children_detail",
                "Repeat missing by child (analyst)",
                kids[kids["repeat"]].reset_index(),
            )
        )
        if len(reps):
            report.sections.append(
                Section(
                    "repeat_placements_detail",
                    "Repeat missing by placement (analyst)",
                    reps[reps["repeat"]].reset_index(),
                )
            )
    lvl = "ward" if report.level == "ward" else "lsoa"
    report.sections += [
        Section(
            "duration",
            "Duration by type (missing vs away without authorisation)",
            ms.duration_table(eps, policy=policy).rename_axis("duration").reset_index(),
        ),
        Section(
            "found_distance",
            "Distance found from home (last seen, else placement)",
            present(ms.found_distance_table(eps, placements, policy=policy)),
        ),
        Section(
            "rhi_area",
            f"Return home interviews by {lvl}",
            present(ms.rhi_by_ward(eps, level=lvl, policy=policy)),
            "Among ended episodes; within 72 h = interview date no more than 72 hours (3 days "
            "for date-only values) after the episode ended.",
        ),
        Section(
            "rhi_month",
            "Return home interviews by month ended",
            present(ms.rhi_by_month(eps, policy=policy)),
        ),
        Section(
            "rhi_month_other",
            "Return home interviews by month: children placed from other councils",
            present(
                ms.rhi_by_month(eps, lad_cd=area.lad_cd, other_councils_only=True, policy=policy)
            ),
        ),
    ]


def _agencies(
    report: Report,
    records: dict[str, gpd.GeoDataFrame],
    *,
    policy: DisclosurePolicy | None,
    record_level: bool,
) -> None:
    concerns = records.get("concerns", gpd.GeoDataFrame())
    if len(concerns) == 0:
        report.notes.append("No concerns in the store.")
        return
    lvl = "ward" if report.level == "ward" else "lsoa"
    eps = records.get("missing_episodes", gpd.GeoDataFrame())
    missing = None
    column = "ward_nm" if lvl == "ward" else "lsoa21cd"
    if len(eps):
        where = eps.get(f"last_seen_{column}")
        if where is not None:
            missing = where.dropna().astype(str).value_counts()
    by_quarter = ag.agency_by_quarter(concerns, policy=policy)
    silent = ag.silent_agencies(concerns, level=lvl, missing_by_area=missing, policy=policy)
    report.sections += [
        Section(
            "by_area",
            f"Concerns by {lvl} and reporting agency",
            ag.agency_by_area(concerns, level=lvl, policy=policy).rename_axis(column).reset_index(),
        ),
        Section("by_quarter", "Concerns by quarter and agency", by_quarter.reset_index()),
        Section(
            "silent",
            "Silent agencies: observed far below expected (FDR q < 0.05)",
            silent[silent["silent"]].round(4),
            "Expected = area total x the agency's share of all concerns; p = Poisson lower tail; "
            "q = Benjamini-Hochberg over every area x agency cell."
            + (
                ""
                if policy is None
                else " Expected counts and p-values are not shown under disclosure control "
                "(they would reveal the exact counts)."
            ),
        ),
        Section(
            "risk_moves",
            "Risk-level moves per child (up/down) and moves lacking a recorded reason",
            ag.risk_moves_summary(concerns, policy=policy).rename_axis("direction").reset_index(),
            ag.risk_reason_note(concerns),
        ),
    ]
    if record_level:
        report.sections.append(
            Section(
                "risk_history", "Risk-level history per child (analyst)", ag.risk_history(concerns)
            )
        )


def build_report(
    view: str,
    records: dict[str, gpd.GeoDataFrame],
    *,
    area: StudyArea,
    role: str,
    level: str = "ward",
    lookups: Lookups | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    disclosure: DisclosurePolicy | None = None,
    synthetic: bool = False,
) -> Report:
    """Assemble one strategic view for a role.

    Parameters
    ----------
    view : {"placements", "missing", "agencies"}
    records : dict of kind -> GeoDataFrame
        Stored records.
    area : StudyArea
    role : str
        The user's role (needs ``aggregates``).
    level : {"ward", "lsoa"}
    lookups : Lookups, optional
        Postcode lookup for home distances.
    hotspots : GeoDataFrame, optional
        Hotspot polygons for the placements view (default: Gi* hot cells of the concerns).
    disclosure : DisclosurePolicy, optional
        Settings for disclosure roles (default ``DisclosurePolicy()``).
    synthetic : bool
        The records are the synthetic demo data (the HTML and CSV say so).

    Returns
    -------
    Report

    Raises
    ------
    PermissionDenied
        The role has no ``aggregates``.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown report {view!r}; reports are {', '.join(VIEWS)}")
    if level not in ("ward", "lsoa"):
        raise ValueError(f"level must be 'ward' or 'lsoa', not {level!r}")
    policy = _policy(role, disclosure)
    record_level = can(role, "child_references")
    report = Report(view=view, title=VIEWS[view], role=role, level=level, synthetic=synthetic)
    if policy is not None:
        report.notes.append(
            f"Disclosure control: {hidden_legend(policy)} Where a table has a 'hidden because' "
            "column, it says which."
        )
    if view == "placements":
        _placements(report, records, area=area, policy=policy, lookups=lookups, hotspots=hotspots)
    elif view == "missing":
        _missing(report, records, area=area, policy=policy, record_level=record_level)
    else:
        _agencies(report, records, policy=policy, record_level=record_level)
    if policy is not None:
        report.sections = [_with_legend(s, policy) for s in report.sections]
    return report


def _with_legend(section: Section, policy: DisclosurePolicy) -> Section:
    """The section, with the marker's legend in its note when it shows a hidden count but has
    no 'hidden because' column (a cross-tab)."""
    reasons = any(str(c).endswith("hidden because") for c in section.table.columns)
    if reasons or not has_hidden(section.table, marker=policy.primary_marker):
        return section
    note = " ".join(part for part in (section.note, hidden_legend(policy)) if part)
    return dataclasses.replace(section, note=note)


_TEMPLATE: Final[str] = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ report.title }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}
.note{color:#444;font-size:90%}</style></head><body>
<h1>{{ report.title }}</h1>
{% if report.synthetic %}<p class="note"><strong>{{ synthetic_notice }}</strong></p>{% endif %}
<p class="note">csmap report · role: {{ report.role }} · level: {{ report.level }} ·
generated {{ generated }}</p>
{% for note in report.notes %}<p class="note">{{ note }}</p>{% endfor %}
{% for s in report.sections %}<h2>{{ s.title }}</h2>
{% if s.note %}<p class="note">{{ s.note }}</p>{% endif %}
<table><thead><tr>{% for c in s.table.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in s.table.itertuples(index=False) %}<tr>{% for v in row %}<td>{{ fmt(v) }}</td>
{% endfor %}</tr>{% endfor %}</tbody></table>
{% endfor %}<h2>Data sources and attribution</h2>
<footer class="note">{% for line in report.attribution %}<div>{{ line }}</div>{% endfor %}</footer>
</body></html>
"""


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


def render_html(report: Report) -> str:
    """The report as a self-contained HTML page (autoescaped).

    Examples
    --------
    >>> r = Report("agencies", "T", "board", "ward",
    ...            [Section("s", "<b>x</b>", pd.DataFrame({"a": ["<script>"]}))])
    >>> "<script>" in render_html(r), "&lt;script&gt;" in render_html(r)
    (False, True)
    """
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_TEMPLATE)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(
        report=report, generated=stamp, fmt=_fmt, synthetic_notice=SYNTHETIC_NOTICE
    )


def to_frame(report: Report) -> pd.DataFrame:
    """All sections stacked into one table with a leading ``section`` column (for CSV).

    The last rows (section ``Notice`` and ``Attribution``, text in ``note``) carry the synthetic
    data notice (when synthetic) and the attribution lines.
    """
    parts = []
    for s in report.sections:
        part = s.table.copy()
        part.columns = [str(c) for c in part.columns]
        part.insert(0, "section", s.title)
        parts.append(part.astype(object))
    notice = [("Notice", SYNTHETIC_NOTICE)] if report.synthetic else []
    notice += [("Attribution", line) for line in report.attribution]
    parts.append(pd.DataFrame(notice, columns=["section", "note"], dtype=object))
    return pd.concat(parts, ignore_index=True)


def write_report(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write the report as ``.html`` or ``.csv`` (chosen by the suffix).

    Raises
    ------
    ValueError
        Another suffix.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".html":
        out.write_text(render_html(report), encoding="utf-8")
    elif suffix == ".csv":
        write_csv(to_frame(report), out)
    else:
        raise ValueError(f"{out}: the report file must end in .csv or .html")
    return out
