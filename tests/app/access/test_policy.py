"""Role matrix and export policy tests (app.access.policy), asserted against issue #7's text."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

import app.access.policy as policy
from analysis.disclosure.control import DisclosurePolicy
from app.access.policy import (
    CAPABILITIES,
    ROLES,
    PermissionDenied,
    RoleMapping,
    allowed_pages,
    apply_export_policy,
    can,
    disclosure_policy_from_config,
    export_rules,
    require,
)
from geo.errors import CsmapError

# Every role x capability, written out from issue #7 (not derived from the module's matrix).
# admin (users, retention, audit; home addresses "analyst and admin only" -> record-level too),
# analyst (record-level points and child references), partner (hotspot polygons, venue watchlists,
# aggregated counts; never record points or child references), board (aggregates only),
# practitioner (location assessments only). Issue #12 item 18: the strategic views (Placements,
# Missing, Who reports) are for boards, analysts and admins, not police/licensing partners.
EXPECTED: dict[str, set[str]] = {
    "admin": set(CAPABILITIES),
    "analyst": {
        "record_points",
        "child_references",
        "childrens_home_addresses",
        "hotspot_polygons",
        "venue_watchlists",
        "aggregates",
        "strategic_views",
        "location_assessments",
    },
    "partner": {"hotspot_polygons", "venue_watchlists", "aggregates"},
    "board": {"aggregates", "strategic_views"},
    "practitioner": {"location_assessments"},
}


def test_doctests_run() -> None:
    result = doctest.testmod(policy)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("capability", CAPABILITIES)
def test_role_matrix(role: str, capability: str) -> None:
    allowed = capability in EXPECTED[role]
    assert can(role, capability) is allowed
    if allowed:
        require(role, capability)
    else:
        with pytest.raises(PermissionDenied):
            require(role, capability)


def test_issue_statements() -> None:
    # "Children's home addresses ... visible to the analyst and admin roles only."
    assert {r for r in ROLES if can(r, "childrens_home_addresses")} == {"admin", "analyst"}
    # partner: never record points or child references
    assert not can("partner", "record_points") and not can("partner", "child_references")
    assert {r for r in ROLES if can(r, "audit")} == {"admin"}
    assert {r for r in ROLES if can(r, "users")} == {"admin"}
    assert {r for r in ROLES if can(r, "retention")} == {"admin"}


def test_unknown_role_and_capability() -> None:
    assert not can("guest", "aggregates")
    assert allowed_pages("guest") == []
    with pytest.raises(PermissionDenied):
        require("guest", "aggregates")
    with pytest.raises(ValueError):
        can("analyst", "everything")
    assert issubclass(PermissionDenied, ValueError)


def test_allowed_pages() -> None:
    assert allowed_pages("practitioner") == ["assessment"]
    assert allowed_pages("board") == ["overview", "placements", "missing", "agencies"]
    assert "map" not in allowed_pages("partner") and "explorer" in allowed_pages("partner")
    assert allowed_pages("partner") == ["overview", "explorer", "disruption", "evaluation"]
    assert "audit" in allowed_pages("admin") and "audit" not in allowed_pages("analyst")
    assert set(allowed_pages("admin")) == set(policy.PAGES)
    # the existing page files must be known to the policy
    pages_dir = Path(policy.__file__).parents[1] / "app_pages"
    for page in pages_dir.glob("*.py"):
        if page.stem != "__init__":
            assert page.stem in policy.PAGES, f"page {page.stem} has no policy entry"


@pytest.mark.parametrize("role", ROLES)
def test_export_rules_per_role(role: str) -> None:
    rules = export_rules(role)
    assert rules.record_level is can(role, "record_points")
    assert rules.reason_required is rules.record_level
    assert ("child_ref" in rules.drop_columns) is not can(role, "child_references")
    assert ("ofsted_urn" in rules.drop_columns) is not can(role, "childrens_home_addresses")
    assert (rules.disclosure is not None) is (role in {"partner", "board", "practitioner"})


def _records() -> gpd.GeoDataFrame:
    n = 9
    return gpd.GeoDataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "child_ref": [f"C{i % 7}" for i in range(n)],
            "summary": ["=HYPERLINK(x)"] * n,
            "category": ["CSE"] * n,
            "ward_nm": ["Batley East"] * 6 + ["Dewsbury West"] * 2 + [None],
            "easting": [410000.0 + i for i in range(n)],
            "northing": [420000.0] * n,
            "latitude": [53.7] * n,
            "longitude": [-1.6] * n,
            "ofsted_urn": ["SC123456"] * n,
        },
        geometry=[Point(410000 + i, 420000) for i in range(n)],
        crs=27700,
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["concerns", "missing_episodes", "placements"])
def test_record_exports_every_role(role: str, kind: str) -> None:
    records = _records()
    if not (can(role, "record_points") or can(role, "aggregates")):
        with pytest.raises(PermissionDenied):
            apply_export_policy(records, role=role, kind=kind)
        return
    exact = DisclosurePolicy(cell_key=False)  # the suppression rules on true counts
    out = apply_export_policy(records, role=role, kind=kind, disclosure=exact)
    if can(role, "record_points"):
        assert len(out) == len(records)
        assert "child_ref" in out.columns and "easting" in out.columns
        assert ("ofsted_urn" in out.columns) is can(role, "childrens_home_addresses")
    else:
        # aggregate only: no record columns, small counts suppressed, totals can't reveal them
        assert set(out.columns) == {"ward_nm", "records"}
        for column in ("child_ref", "record_id", "easting", "summary"):
            assert column not in out.columns
        shown = dict(zip(out["ward_nm"], out["records"], strict=True))
        assert shown["Batley East"] == "6"
        assert shown["Dewsbury West"] == "c"
        assert shown["(outside the area)"] == "c"
        assert shown["Total"] == "9"


def _hotspots() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"hotspot_id": [1, 2], "n_events": [9, 3], "method": ["gi", "gi"]},
        geometry=[box(409990, 419990, 410020, 420010), box(0, 0, 10, 10)],
        index=[5, 6],
        crs=27700,
    )


@pytest.mark.parametrize("role", ROLES)
def test_hotspot_exports_every_role(role: str) -> None:
    if not can(role, "hotspot_polygons"):
        with pytest.raises(PermissionDenied):
            apply_export_policy(_hotspots(), role=role, kind="hotspots", events=_records())
        return
    out = apply_export_policy(_hotspots(), role=role, kind="hotspots", events=_records())
    if role in policy.DISCLOSURE_ROLES:
        # hotspot 5 holds 7 distinct children (>= 5), hotspot 6 none
        assert out.index.tolist() == [5]
        assert out.loc[5, "n_events"] == "9"
    else:
        assert out.index.tolist() == [5, 6]
        assert out.loc[6, "n_events"] == 3


def test_missing_episodes_aggregate_by_found_ward() -> None:
    episodes = pd.DataFrame({"episode_id": list("abcdef"), "found_ward_nm": ["Batley"] * 6})
    exact = DisclosurePolicy(cell_key=False)  # true counts (perturbation: test_app_policy_keys)
    out = apply_export_policy(episodes, role="board", kind="missing_episodes", disclosure=exact)
    assert out.columns.tolist() == ["found_ward_nm", "records"]
    assert out["records"].tolist() == ["6", "6"]
    with pytest.raises(PermissionDenied):
        apply_export_policy(episodes.drop(columns="found_ward_nm"), role="board", kind="concerns")


def test_partner_hotspots_need_children_information() -> None:
    with pytest.raises(ValueError):
        apply_export_policy(_hotspots(), role="partner", kind="hotspots")
    with_n = _hotspots().assign(n_children=[2, 8])
    out = apply_export_policy(with_n, role="partner", kind="hotspots")
    assert out.index.tolist() == [6]
    assert out.loc[6, "n_events"] == "c"


@pytest.mark.parametrize("role", ROLES)
def test_venue_and_table_exports_every_role(role: str) -> None:
    venues = pd.DataFrame({"name": ["The Bar", "Takeaway"], "n_concerns": [2, 12]})
    if can(role, "venue_watchlists"):
        out = apply_export_policy(venues, role=role, kind="venues")
        expected = ["c", "12"] if role in policy.DISCLOSURE_ROLES else [2, 12]
        assert out["n_concerns"].tolist() == expected
    else:
        with pytest.raises(PermissionDenied):
            apply_export_policy(venues, role=role, kind="venues")
    table = pd.DataFrame({"Q1": [3, 10], "Q2": [8, 12]}, index=["Batley", "Dewsbury"])
    if can(role, "aggregates"):
        out = apply_export_policy(table, role=role, kind="table")
        if role in policy.DISCLOSURE_ROLES:
            assert out.loc["Batley", "Q1"] == "c"
            assert out.loc["Total", "Total"] == "33"
            assert (out == "c").to_numpy().sum() >= 4
        else:
            pd.testing.assert_frame_equal(out, table)
    else:
        with pytest.raises(PermissionDenied):
            apply_export_policy(table, role=role, kind="table")


def test_practitioner_location_assessment_is_suppressed() -> None:
    assessment = pd.DataFrame({"category": ["CSE", "CCE"], "count": [4, 6]})
    out = apply_export_policy(assessment, role="practitioner", kind="location_assessment")
    assert out["count"].tolist() == ["c", "6"]
    with pytest.raises(PermissionDenied):
        apply_export_policy(assessment, role="board", kind="location_assessment")
    with pytest.raises(ValueError):
        apply_export_policy(assessment, role="admin", kind="everything")


def test_role_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text(
        "roles:\n"
        "  admin: {emails: [IT.Lead@council.gov.uk]}\n"
        "  analyst: {groups: [csmap-analysts]}\n"
        "  partner: {domains: [police.uk]}\n",
        encoding="utf-8",
    )
    mapping = RoleMapping.from_yaml(path)
    assert mapping.role_for("it.lead@council.gov.uk", ["csmap-analysts"]) == "admin"
    assert mapping.role_for("someone@council.gov.uk", ["CSMAP-Analysts"]) == "analyst"
    assert mapping.role_for("pc@police.uk") == "partner"
    assert mapping.role_for("pc@notpolice.uk") is None
    assert mapping.role_for(None) is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("roles:\n  superuser: {emails: [a@b.c]}\n", encoding="utf-8")
    with pytest.raises(CsmapError, match="bad.yaml"):
        RoleMapping.from_yaml(bad)


def test_disclosure_from_config() -> None:
    assert disclosure_policy_from_config(None) == DisclosurePolicy()
    p = disclosure_policy_from_config({"disclosure": {"displacement_m": [50, 200]}})
    assert p.displacement_m == (50, 200)
    with pytest.raises(CsmapError):
        disclosure_policy_from_config({"disclosure": {"treshold": 3}})


# README page names -> page files (app/app_pages/<name>.py).
_README_PAGES = {
    "Overview": "overview",
    "Map": "map",
    "Hotspot explorer": "explorer",
    "Data": "data",
    "Disruption planner": "disruption",
    "Location assessment": "assessment",
    "Placements": "placements",
    "Missing": "missing",
    "Who reports": "agencies",
    "Accuracy": "evaluation",
    "Audit": "audit",
}


def _readme_page_roles() -> dict[str, set[str]]:
    """The README's page table as {page name: roles named in its "for" column}."""
    readme = (Path(policy.__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| page | for |"))
    out: dict[str, set[str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        names, audience = (cell.strip() for cell in line.strip("|").split("|")[:2])
        audience = re.sub(r"\([^)]*\)", "", audience)  # "(grid/density methods only)" etc.
        roles = {word for word in re.findall(r"[a-z]+", audience) if word in ROLES}
        assert roles, f"README row {names!r} names no role"
        for name in names.split(","):
            out[_README_PAGES[name.strip()]] = roles
    return out


def test_readme_role_table_matches_the_policy() -> None:
    """Issue #12 item 18: the README's page table and app.access.policy cannot drift apart."""
    table = _readme_page_roles()
    assert set(table) == set(policy.PAGES)
    for page, roles in table.items():
        assert {r for r in ROLES if page in allowed_pages(r)} == roles, page


def test_partner_does_not_open_the_strategic_views() -> None:
    for page in ("placements", "missing", "agencies"):
        assert page not in allowed_pages("partner")
        assert page in allowed_pages("board") and page in allowed_pages("analyst")
