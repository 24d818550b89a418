"""Move csmap's modules and tests into the sub-package layout of issue #13, and fix every reference.

Re-playable and idempotent: run it again after merging a branch that still uses the old paths, and
it moves any file found at an old path (``git mv``) and rewrites what still names an old module::

    .venv/bin/python scripts/relayout.py            # move and rewrite
    .venv/bin/python scripts/relayout.py --check    # list what would change; exit 1 if anything

What it rewrites, in every tracked text file (Python, Markdown, notebooks, Makefile, TOML, YAML):

* dotted module paths: ``import geo.store_meta``, ``from geo.store_meta import x``,
  ``python -m geo.store_meta``, ``monkeypatch.setattr("app.auth.st", ...)``, mock targets,
  ``:mod:`geo.store_meta``` and registry strings such as ``"analysis.kde:kde_hotspots"``;
* ``from geo import store_meta`` (a moved module named from its old package) becomes
  ``from geo.store import meta as store_meta``, so the code that uses the name is unchanged;
* file paths: ``geo/store_meta.py`` -> ``geo/store/meta.py``, ``tests/test_geo_store.py`` ->
  ``tests/geo/test_store.py``;
* test helpers and test modules, now in the ``tests`` package: ``from _pages import x`` ->
  ``from tests._pages import x``;
* ``Path(__file__).parent`` / ``.parents[n]`` in a file it moves one or more folders deeper.

Nothing else is touched: a module at a new path is left alone, so hand edits made after the move
(``__init__`` re-exports, wrapped lines) survive a second run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Old module -> new module. A package that replaces a module of the same name (``geo.store``)
#: keeps that module as one of its children (``geo.store.gpkg``).
MODULES: dict[str, str] = {
    # geo/ingest: read a file, check it, turn it into typed records, quarantine the rest
    "geo.readers": "geo.ingest.readers",
    "geo.decoding": "geo.ingest.decoding",
    "geo.xlsx": "geo.ingest.xlsx",
    "geo.csv_checks": "geo.ingest.csv_checks",
    "geo.schema": "geo.ingest.schema",
    "geo.synonyms": "geo.ingest.synonyms",
    "geo.values": "geo.ingest.values",
    "geo.records": "geo.ingest.records",
    "geo.ids": "geo.ingest.ids",
    "geo.dedupe": "geo.ingest.dedupe",
    "geo.content_hash": "geo.ingest.content_hash",
    "geo.quarantine": "geo.ingest.quarantine",
    "geo.ingest": "geo.ingest.pipeline",
    # geo/locate: where a record happened
    "geo.coords": "geo.locate.coords",
    "geo.gridref": "geo.locate.gridref",
    "geo.geocode": "geo.locate.geocode",
    "geo.lookup_files": "geo.locate.lookup_files",
    "geo.land": "geo.locate.land",
    "geo._land_mask_data": "geo.locate._land_mask_data",
    # geo/places: the study area's geography and reference data
    "geo.boundaries": "geo.places.boundaries",
    "geo.boundaries_user": "geo.places.boundaries_user",
    "geo.datasets": "geo.places.datasets",
    "geo.dfe": "geo.places.dfe",
    "geo.venues": "geo.places.venues",
    "geo.venue_schema": "geo.places.venue_schema",
    # geo/formats: national and partner file formats
    "geo.ssda903": "geo.formats.ssda903",
    "geo.policeuk": "geo.formats.policeuk",
    "geo.venue_import": "geo.formats.venue_registers",
    # geo/store: the GeoPackage, its metadata, writers, exports and retention
    "geo.store": "geo.store.gpkg",
    "geo.store_frames": "geo.store.frames",
    "geo.store_files": "geo.store.files",
    "geo.store_meta": "geo.store.meta",
    "geo.store_writer": "geo.store.writer",
    "geo.export": "geo.store.export",
    "geo.retention": "geo.store.retention",
    # geo/demo: synthetic records on real geography
    "geo.demo": "geo.demo.records",
    "geo.demo_care": "geo.demo.care",
    "geo.demo_fields": "geo.demo.fields",
    "geo.demo_places": "geo.demo.places",
    "geo.demo_check": "geo.demo.check",  # on main after this layout branch was cut
    # analysis/lattice: grids, scale and spatial autocorrelation
    "analysis.grid": "analysis.lattice.grid",
    "analysis.scale": "analysis.lattice.scale",
    "analysis.moran": "analysis.lattice.moran",
    # analysis/hotspots: the registry and the methods
    "analysis.hotspots": "analysis.hotspots.registry",
    "analysis.result": "analysis.hotspots.result",
    "analysis.geojson_file": "analysis.hotspots.geojson_file",
    "analysis.adjust": "analysis.hotspots.adjust",
    "analysis.gi": "analysis.hotspots.gi",
    "analysis.kde": "analysis.hotspots.kde",
    "analysis.kernel_density": "analysis.hotspots.kernel_density",
    "analysis.dual_kde": "analysis.hotspots.dual_kde",
    "analysis.clusters": "analysis.hotspots.clusters",
    "analysis.weighted_hdbscan": "analysis.hotspots.weighted_hdbscan",
    "analysis.repeat": "analysis.hotspots.repeat",
    "analysis.scan": "analysis.hotspots.scan",
    "analysis.scan_core": "analysis.hotspots.scan_core",
    # analysis/spacetime
    "analysis.cube": "analysis.spacetime.cube",
    "analysis.emerging": "analysis.spacetime.emerging",
    "analysis.emerging_categories": "analysis.spacetime.emerging_categories",
    "analysis.knox": "analysis.spacetime.knox",
    # analysis/evaluation
    "analysis.evaluation": "analysis.evaluation.accuracy",  # not .backtest: a function
    "analysis.scorers": "analysis.evaluation.scorers",
    # analysis/disclosure
    "analysis.disclosure": "analysis.disclosure.control",
    "analysis.disclosure_geo": "analysis.disclosure.spatial",
    "analysis.disclosure_rows": "analysis.disclosure.rows",
    "analysis.disclosure_secondary": "analysis.disclosure.secondary",
    "analysis.cell_key": "analysis.disclosure.cell_key",
    "analysis.tables": "analysis.disclosure.tables",
    # analysis/views: the strategic and practitioner views
    "analysis.placements": "analysis.views.placements",
    "analysis.missing": "analysis.views.missing",
    "analysis.agencies": "analysis.views.agencies",
    "analysis.proximity": "analysis.views.proximity",
    "analysis.assessment": "analysis.views.assessment",
    "analysis.locations": "analysis.views.locations",
    # app/access: who may see what, sign-in, users, the audit log
    "app.policy": "app.access.policy",
    "app.auth": "app.access.auth",
    "app.users": "app.access.users",
    "app.audit": "app.access.audit",
    "app.audit_anchor": "app.access.audit_anchor",
    "app.audit_table": "app.access.audit_table",
    "app.signin_guard": "app.access.signin_guard",  # on main after this branch was cut
    "app.store_policy": "app.access.store_policy",  # on fix/disclosure2
    # app/session: configuration, data loading, filters and uploads of one session
    "app.state": "app.session.state",
    "app.filters": "app.session.filters",
    "app.uploads": "app.session.uploads",
    "app.timing": "app.session.timing",
    # app/maps
    "app.maps": "app.maps.folium_map",
    "app.cell_map": "app.maps.cell_map",
    "app.cells": "app.maps.cells",
    "app.deck": "app.maps.deck",
    "app.folium_view": "app.maps.folium_view",
    "app.layers": "app.maps.layers",
    "app.map_data": "app.maps.map_data",
    "app.map_elements": "app.maps.map_elements",
    "app.point_index": "app.maps.point_index",
    "app.vendor": "app.maps.vendor",
    # app/explorer
    "app.explorer_cache": "app.explorer.cache",
    "app.explorer_disclosure": "app.explorer.disclosure",
    "app.explorer_params": "app.explorer.params",
    "app.hotspot_detail": "app.explorer.detail",
    "app.exports": "app.explorer.exports",
    # app/views: what the Overview page and an assessment show a role (pure)
    "app.summaries": "app.views.summaries",
    "app.assessment_view": "app.views.assessment",
    "app.escape": "app.views.escape",  # on main after this branch was cut
}

#: One line per new package, written to its ``__init__.py`` only when the file does not exist.
PACKAGES: dict[str, str] = {
    "geo.ingest": "Ingest: read a file, check it, type its records, quarantine the rest.",
    "geo.locate": "Locate: coordinates, grid references and offline geocoding of records.",
    "geo.places": "Places: the study area's boundaries, population, venues and reference data.",
    "geo.formats": "National and partner file formats: SSDA903, police.uk, venue registers.",
    "geo.store": "The store: one GeoPackage of records, its metadata, writers, exports, retention.",
    "geo.demo": "Synthetic demo records on real geography (all records are synthetic).",
    "analysis.lattice": "Lattices: aggregation grids, automatic scale and spatial autocorrelation.",
    "analysis.hotspots": "Hotspot methods behind one registry (:func:`run`) and their result.",
    "analysis.spacetime": "Space-time: the cube, emerging hot spots and the Knox test.",
    "analysis.evaluation": "Evaluation: hotspot accuracy and the rolling-origin backtest.",
    "analysis.disclosure": "Disclosure control: suppression, rounding, cell keys, displacement.",
    "analysis.views": "Strategic and practitioner views: placements, missing, agencies, venues.",
    "app.access": "Access: the role policy, sign-in, users and the audit log.",
    "app.session": "One app session: configuration, data loading, filters and uploads.",
    "app.maps": "Maps: folium and WebGL layers, cell counts and offline browser assets.",
    "app.explorer": "The hotspot explorer: parameters, cache, what a role sees, exports.",
    "app.views": "What the Overview page and a location assessment show a role (pure).",
}

#: Test files by old name prefix: (prefix, new folder). First match wins; the rest stay.
TEST_FOLDERS: tuple[tuple[str, str], ...] = (
    ("test_app_pages", "tests/app/pages"),
    ("test_app_page_", "tests/app/pages"),
    ("test_app_", "tests/app"),
    ("test_cli_", "tests/app/commands"),
    ("test_browser_", "tests/browser"),
    ("test_geo_", "tests/geo"),
    ("test_analysis_", "tests/analysis"),
)
#: Test files with no package prefix that still belong to one package.
TEST_FILES: dict[str, str] = {
    "test_demo_check.py": "tests/geo/test_demo_check.py",
    "test_cell_key_store_secret.py": "tests/analysis/test_cell_key_store_secret.py",
    # on main with fix/presentation, after this branch was cut
    "test_disclosure_shown_order.py": "tests/analysis/test_disclosure_shown_order.py",
    "test_report_shown_counts.py": "tests/app/test_report_shown_counts.py",
}
#: Shared test helpers, imported as ``tests.<name>`` (tests is a package).
TEST_HELPERS = ("_app_store", "_browser", "_demo_store", "_pages", "_report_checks")
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".cfg", ".txt", ".yaml", ".yml", ".ini"}
TEXT_NAMES = {"Makefile"}
SKIP_PREFIXES = ("scripts/relayout.py", "app/static/", "data/")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def _module_path(module: str) -> str:
    return module.replace(".", "/") + ".py"


def _test_target(name: str) -> str | None:
    """The new path of an old flat test file ``tests/<name>``, or None when it stays."""
    if name in TEST_FILES:
        return TEST_FILES[name]
    for prefix, folder in TEST_FOLDERS:
        if name.startswith(prefix) and name.endswith(".py"):
            rest = name[len("test_") :]
            strip = prefix[len("test_") :]
            if prefix == "test_app_pages":
                strip = "app_"
            new = "test_" + rest[len(strip) :]
            return f"{folder}/{new}"
    return None


def _tests() -> dict[str, str]:
    """Old flat test path -> new path, for the test files in the tree now or named in git."""
    names = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    return {f"tests/{n}": t for n in sorted(names) if (t := _test_target(n))}


def _children(package: str) -> set[str]:
    out = {new.split(".")[-1] for new in MODULES.values() if new.rpartition(".")[0] == package}
    return out


def _module_pattern(old: str) -> re.Pattern[str]:
    """``old`` as a whole dotted name, not when it already is a new package's child."""
    kids = _children(old)
    alt = "|".join(sorted(kids))
    # ``geo.store.meta`` and ``from geo.store import meta`` already name the new layout
    not_child = rf"(?!\.(?:{alt})\b)(?! import (?:{alt})\b)" if kids else ""
    return re.compile(rf"(?<![\w.]){re.escape(old)}(?![\w]){not_child}")


def _path_pattern(old_path: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w/.]){re.escape(old_path)}(?![\w])")


def _from_import_pattern(package: str) -> re.Pattern[str]:
    # ``from geo import a, b as c`` on one line (the project's style: no parenthesised form)
    return re.compile(
        rf"^(?P<lead>[ \t]*)from {re.escape(package)} import "
        rf"(?P<names>\w+(?: as \w+)?(?:, \w+(?: as \w+)?)*)(?P<tail>[^\n]*)$",
        re.MULTILINE,
    )


def _rewrite_from_imports(text: str) -> str:
    """``from geo import store_meta`` -> ``from geo.store import meta as store_meta``."""
    old_packages = sorted({old.rpartition(".")[0] for old in MODULES})
    for package in old_packages:

        def fix(m: re.Match[str], package: str = package) -> str:
            kept: list[str] = []
            moved: list[str] = []
            for part in (p.strip() for p in m.group("names").split(",")):
                name, _, alias = part.partition(" as ")
                old = f"{package}.{name}"
                if old in MODULES:
                    new_pkg, _, new_name = MODULES[old].rpartition(".")
                    bound = alias or name
                    clause = new_name if new_name == bound else f"{new_name} as {bound}"
                    moved.append(f"from {new_pkg} import {clause}")
                else:
                    kept.append(part)
            if not moved:
                return m.group(0)
            lines = ([f"from {package} import {', '.join(kept)}"] if kept else []) + moved
            lines = [m.group("lead") + line for line in lines]
            lines[-1] += m.group("tail")
            return "\n".join(lines)

        text = _from_import_pattern(package).sub(fix, text)
    return text


def rewrite(text: str, tests: dict[str, str]) -> str:
    """Every old module path, file path and test-helper import in ``text``, rewritten."""
    text = _rewrite_from_imports(text)
    # longest old names first, so geo.store_meta is not read as geo.store + _meta
    for old in sorted(MODULES, key=len, reverse=True):
        text = _module_pattern(old).sub(MODULES[old], text)
        text = _path_pattern(_module_path(old)).sub(_module_path(MODULES[old]), text)
    for old_path, new_path in tests.items():
        text = _path_pattern(old_path).sub(new_path, text)
        old_mod = Path(old_path).stem
        new_mod = new_path.removesuffix(".py").replace("/", ".")
        text = re.sub(rf"(?m)^(\s*)from {old_mod} import", rf"\1from {new_mod} import", text)
    for old_path, new_path in tests.items():  # "module:function" strings (CSMAP_DEMO_GENERATORS)
        old_mod = Path(old_path).stem
        new_mod = new_path.removesuffix(".py").replace("/", ".")
        text = re.sub(rf"(?<![\w.]){old_mod}(?=:\w)", new_mod, text)
    for helper in TEST_HELPERS:
        text = re.sub(rf"(?<![\w.]){helper}(?=:\w)", f"tests.{helper}", text)
        text = re.sub(rf"(?m)^(\s*)from {helper} import", rf"\1from tests.{helper} import", text)
        text = re.sub(
            rf"(?m)^(\s*)import {helper}\b", rf"\1import tests.{helper} as {helper}", text
        )
    return text


def deepen(text: str, levels: int) -> str:
    """``Path(__file__)`` parents in a file moved ``levels`` folders deeper."""
    if levels <= 0:
        return text
    head = r"(Path\(__file__\)(?:\.resolve\(\))?)"
    text = re.sub(
        head + r"\.parents\[(\d+)\]", lambda m: f"{m[1]}.parents[{int(m[2]) + levels}]", text
    )
    return re.sub(head + r"\.parent(?![\w\[])", lambda m: f"{m[1]}.parents[{levels}]", text)


def _moves(tests: dict[str, str]) -> list[tuple[str, str]]:
    pairs = [(_module_path(o), _module_path(n)) for o, n in MODULES.items()]
    return [(o, n) for o, n in pairs + list(tests.items()) if (ROOT / o).exists()]


def _init_files() -> list[str]:
    inits = [_module_path(p).removesuffix(".py") + "/__init__.py" for p in PACKAGES]
    tests = {"tests/__init__.py"} | {f"{folder}/__init__.py" for _, folder in TEST_FOLDERS}
    parents = {str(Path(t).parent.parent / "__init__.py") for t in tests if t.count("/") > 2}
    return inits + sorted(tests | parents)


def _text_files() -> list[Path]:
    out = []
    for name in _git("ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        path = ROOT / name
        if name.startswith(SKIP_PREFIXES) and path.suffix != ".md" or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if work remains")
    args = parser.parse_args(argv)
    tests = _tests()
    work: list[str] = []
    moves = _moves(tests)
    for old, new in moves:
        work.append(f"move {old} -> {new}")
        if args.check:
            continue
        (ROOT / new).parent.mkdir(parents=True, exist_ok=True)
        _git("mv", old, new)
        levels = new.count("/") - old.count("/")
        path = ROOT / new
        path.write_text(deepen(path.read_text(), levels))
    for init in _init_files():
        path = ROOT / init
        if path.exists():
            continue
        work.append(f"create {init}")
        if args.check:
            continue
        package = init.removesuffix("/__init__.py").replace("/", ".")
        line = PACKAGES.get(package, f"Tests of ``{package.removeprefix('tests.')}``.")
        path.write_text(f'"""{line.rstrip(".")}."""\n')
        _git("add", init)
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = rewrite(text, _known_tests(tests))
        if new != text:
            work.append(f"rewrite {path.relative_to(ROOT)}")
            if not args.check:
                path.write_text(new, encoding="utf-8", errors="surrogateescape")
    print("\n".join(work) if work else "nothing to do: the layout is current")
    return 1 if (args.check and work) else 0


def _known_tests(tests: dict[str, str]) -> dict[str, str]:
    """Old test paths from this tree and from git history (files already moved keep their map)."""
    known = dict(tests)
    known.update({f"tests/{old}": new for old, new in TEST_FILES.items()})
    for new in _git("ls-files", "tests").splitlines():
        name = Path(new).name
        for prefix, folder in TEST_FOLDERS:
            if new.startswith(folder + "/") and new.count("/") == folder.count("/") + 1:
                strip = prefix[len("test_") :] if prefix != "test_app_pages" else "app_"
                if prefix == "test_app_pages" and name != "test_pages.py":
                    continue
                if prefix == "test_app_page_" and name == "test_pages.py":
                    continue
                old = "tests/test_" + strip + name[len("test_") :]
                if _test_target(Path(old).name) == new:
                    known.setdefault(old, new)
    return known


if __name__ == "__main__":
    sys.exit(main())
