"""The layout keeps its rules: no import cycles, no private names across modules, one-way flow.

Read from the source with :mod:`ast` (nothing is imported), so a rule broken only inside a function
or under ``TYPE_CHECKING`` is still found. Data flows files -> ``geo`` -> ``analysis`` -> ``app``:
``geo`` never imports ``analysis`` or ``app``, ``analysis`` never imports ``app``, and only ``app``
imports streamlit.

The private-name rule covers the product's packages (``geo``, ``analysis``, ``app``); tests may
still reach into the module they test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "analysis", "app")
#: Streamlit scripts run by path; they are checked as modules all the same.
SKIP_DIRS = ("static",)


@dataclass(frozen=True)
class Import:
    """One imported name: ``module`` (always a module), ``name`` (a name in it, or ``None``)."""

    importer: str
    module: str
    name: str | None
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts):
                continue
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _is_package(module: str) -> bool:
    return SOURCES.get(module, Path()).name == "__init__.py"


def _resolve_from(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, tree: ast.AST) -> Iterator[Import]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_from(module, node)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in SOURCES:  # ``from pkg import module``
                    yield Import(module, sub, None, node.lineno)
                else:
                    yield Import(module, source, alias.name, node.lineno)


def _trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text(), filename=str(path)) for name, path in SOURCES.items()}


TREES = _trees()
IMPORTS = [imp for name, tree in TREES.items() for imp in _imports(name, tree)]


def _internal(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in SOURCES}
    for imp in IMPORTS:
        if imp.module in SOURCES and imp.module != imp.importer:
            graph[imp.importer].add(imp.module)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan), each sorted.

    Examples
    --------
    >>> find_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _same_package(importer: str, module: str) -> bool:
    package = importer if _is_package(importer) else importer.rpartition(".")[0]
    return module.rpartition(".")[0] == package


def private_imports() -> list[str]:
    """Every private name one product module takes from another, as ``importer:line: target``."""
    found = []
    for imp in IMPORTS:
        if not _internal(imp.module) or imp.module == imp.importer:
            continue
        leaf = imp.module.rpartition(".")[2]
        # a private module of the importer's own package is its package's business
        if _private(leaf) and not _same_package(imp.importer, imp.module):
            found.append(f"{imp.importer}:{imp.line}: {imp.module}")
        if imp.name is not None and _private(imp.name):
            found.append(f"{imp.importer}:{imp.line}: {imp.module}.{imp.name}")
    for name, tree in TREES.items():
        aliases: dict[str, str] = {}
        for imp in _imports(name, tree):
            if imp.name is None and imp.module in SOURCES and imp.module != name:
                aliases[imp.module.rpartition(".")[2]] = imp.module
                aliases[imp.module] = imp.module
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                target = ast.unparse(node.value)
                if target in aliases and aliases[target] != name:
                    found.append(f"{name}:{node.lineno}: {aliases[target]}.{node.attr}")
    return sorted(set(found))


def test_rules_see_the_modules() -> None:
    assert {"geo", "analysis", "app", "app.cli", "app.streamlit_app"} <= set(SOURCES)
    assert len(IMPORTS) > 500


def test_find_cycles_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert find_cycles(_graph()) == []


def test_no_private_names_across_modules() -> None:
    assert private_imports() == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("geo", ("analysis", "app")), ("analysis", ("app",))],
)
def test_data_flows_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = [
        f"{imp.importer}:{imp.line}: {imp.module}"
        for imp in IMPORTS
        if imp.importer.split(".")[0] == package and imp.module.split(".")[0] in forbidden
    ]
    assert wrong == []


def test_streamlit_only_in_app() -> None:
    wrong = [
        f"{imp.importer}:{imp.line}: {imp.module}"
        for imp in IMPORTS
        if imp.module.split(".")[0] in ("streamlit", "streamlit_folium")
        and imp.importer.split(".")[0] != "app"
    ]
    assert wrong == []


def _subpackages() -> list[str]:
    return sorted(m for m in SOURCES if _is_package(m) and m.count(".") == 1)


def test_subpackages_name_their_stage_and_re_export() -> None:
    """Each sub-package has a docstring, and every name of its ``__all__`` resolves."""
    import importlib

    packages = [p for p in _subpackages() if p not in ("app.app_pages",)]
    assert {"geo.locate", "analysis.lattice", "app.access"} <= set(packages)
    for name in packages:
        package = importlib.import_module(name)
        assert (package.__doc__ or "").strip(), name
        if name in ("app.commands", "app.reports"):
            continue
        exported = list(package.__all__)
        assert exported, name
        for attr in exported:
            getattr(package, attr)  # imported from its module on first use
