"""Imports flow one way and stay light: the package, `gradcheck --version` and `gradcheck ops`
load neither SymPy nor the engines; no two packages of gradcheck_cli import each other."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gradcheck_cli"

#: Runs the CLI with the given arguments in a fresh interpreter, then prints which of the
#: watched modules were loaded.
PROBE = """
import json, sys
sys.argv = ["gradcheck", *json.loads(sys.argv[1])]
from gradcheck_cli.cli import main
try:
    main()
except SystemExit:
    pass
watched = ("sympy", "rich", "numpy", "gradcheck_cli.engines", "gradcheck_cli.expr")
print(json.dumps([m for m in watched if m in sys.modules]), file=sys.stderr)
"""


def loaded_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)],
                          capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_gradcheck_version_loads_neither_sympy_nor_rich_nor_numpy():
    assert loaded_by("--version") == set()


def test_gradcheck_ops_lists_the_catalogue_without_sympy_or_the_engines():
    assert loaded_by("ops").isdisjoint({"sympy", "gradcheck_cli.engines", "gradcheck_cli.expr"})


def test_importing_the_package_loads_only_the_package_until_a_name_is_used():
    code = ("import sys, gradcheck_cli; before = sorted(m for m in sys.modules "
            "if m.startswith('gradcheck_cli') or m in ('numpy', 'sympy')); gradcheck_cli.check_function; "
            "print(before, 'sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['gradcheck_cli']", "False"]


def test_an_unknown_name_of_the_package_is_an_attribute_error():
    import gradcheck_cli

    with pytest.raises(AttributeError, match="no attribute 'check_functoin'"):
        gradcheck_cli.check_functoin  # noqa: B018


def test_every_public_name_of_the_package_resolves_and_is_listed_in_dir():
    import gradcheck_cli

    names = set(gradcheck_cli.__all__) - {"__version__"}
    assert names and all(callable(getattr(gradcheck_cli, name)) for name in names)
    assert names <= set(dir(gradcheck_cli))


def module_imports(path: Path) -> set[str]:
    """The gradcheck_cli modules a file imports when it is loaded (not under TYPE_CHECKING,
    not inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return {name for name in found if name.startswith("gradcheck_cli.")}


def part(module: str) -> str:
    """The top-level part of the package a module belongs to: ``gradcheck_cli.engines``."""
    return ".".join(module.split(".")[:2])


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        here = part(".".join(relative.parts))
        targets = {part(name) for name in module_imports(path)}
        graph.setdefault(here, set()).update(targets - {here})
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one node (each holds an import cycle)."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups = {frozenset(n for n in graph if n in reach[node] and node in reach[n]) | {node}
              for node in graph}
    return [set(g) for g in groups if len(g) > 1]


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def test_the_cycle_finder_finds_a_cycle_of_three():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [{"a", "b", "c"}]


def test_the_finite_difference_core_the_results_and_the_reporters_import_nothing_above_them():
    graph = package_graph()
    above = {"gradcheck_cli.api", "gradcheck_cli.cli", "gradcheck_cli.usercode", "gradcheck_cli.steps",
             "gradcheck_cli.engines", "gradcheck_cli.spec", "gradcheck_cli.claims"}
    for low in ("gradcheck_cli.fd", "gradcheck_cli.results", "gradcheck_cli.report", "gradcheck_cli.arrays"):
        assert graph[low].isdisjoint(above), (low, graph[low] & above)


def test_no_two_parts_of_the_package_import_each_other():
    assert cycles(package_graph()) == []


def test_only_the_pytorch_adapter_imports_an_optional_array_library():
    optional = ("torch", "jax", "jaxlib", "autograd")
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            if any(name.split(".")[0] in optional for name in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == {"torch.py"}
