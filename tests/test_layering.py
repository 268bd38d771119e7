"""The SDK's import graph, read from the source (ast): no cycles, and imports that only go down the layers.

Every import counts, at module level or inside a function, except those under ``if TYPE_CHECKING:``
(they never run). Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, so an import
gives an edge to each package above its module too (except the importer's own packages, which are
already importing), which is how a package ``__init__`` that imports more than it needs makes a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"sapiens2": "sdk", "sapiens2.compile": "compile", "sapiens2.quantize": "quantize", "sapiens2.targets": "targets"}
TARGET_INTERFACE = ("sapiens2.targets", "sapiens2.targets.base", "sapiens2.targets.registry", "sapiens2.targets.runtime")


def module_files() -> dict[str, Path]:
    files = {}
    for package, folder in PACKAGES.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            files[name] = path
    return files


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            found += [n for child in node.orelse for n in _imports(ast.Module(body=[child], type_ignores=[]))]
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        found += _imports(node)
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The SDK modules ``name`` imports, resolved (``from . import x`` names module ``x`` when it is one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    result = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            result |= {alias.name for alias in node.names}
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        result.add(base)
        result |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known}
    return {module for module in result if module in known}


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = imported_modules(name, path, known)
        own = {*_ancestors(name), name}
        edges[name] = {m for t in targets for m in (t, *_ancestors(t)) if m in known and m not in own}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_one_that_is_there() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_relative_function_level_and_package_imports(graph: dict[str, set[str]]) -> None:
    # compile.pipeline: ``from . import quantization`` (relative, a module) and ``from .options import ...``
    assert {"sapiens2.compile.quantization", "sapiens2.compile.options"} <= graph["sapiens2.compile.pipeline"]
    # targets.onnx.target imports its exporter inside ``export``; the exporter imports compile.options, so the
    # edge to ``sapiens2.compile`` (its __init__ runs first) is there too.
    assert "sapiens2.targets.onnx.exporter" in graph["sapiens2.targets.onnx.target"]
    assert "sapiens2.compile" in graph["sapiens2.targets.onnx.exporter"]
    # quantize.sensitivity names ExportWrapper under TYPE_CHECKING only: no edge.
    assert not any(m.startswith("sapiens2.compile") for m in graph["sapiens2.quantize.sensitivity"])


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_library_code_never_imports_the_cli(graph: dict[str, set[str]]) -> None:
    offenders = {m: sorted(t for t in ts if t.startswith("sapiens2.cli")) for m, ts in graph.items() if not m.startswith("sapiens2.cli")}
    assert not {m: ts for m, ts in offenders.items() if ts}


def test_compile_and_quantize_reach_targets_only_through_the_interface(graph: dict[str, set[str]]) -> None:
    for module, imported in graph.items():
        if module.startswith(("sapiens2.compile", "sapiens2.quantize")):
            direct = sorted(t for t in imported if t.startswith("sapiens2.targets") and t not in TARGET_INTERFACE)
            assert not direct, f"{module} imports target modules {direct}"


def test_quantize_sits_below_compile(graph: dict[str, set[str]]) -> None:
    for module, imported in graph.items():
        if module.startswith("sapiens2.quantize"):
            assert not [t for t in imported if t.startswith("sapiens2.compile")], module
