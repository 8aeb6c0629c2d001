"""The package's layers only look down, and no import goes round in a circle (issue 13).

Layers, lowest first: the engine (counting rules, statistics, the extract), disclosure control, the
suite file (``yot.params``), the pages (``yot.pages``, ``yot.charts``), the runner, the command line. A
module may import its own layer or a lower one, never a higher one: the engine never imports the suite
file, the pages never import the runner. Every ``import`` counts, at the top of a module or inside a
function, because a function-level import is how a circle hides.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "yot"

LAYERS = ("engine", "disclosure", "params", "pages", "runner", "cli")


def layer_of(module: str) -> str:
    """The layer a ``yot`` module belongs to."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in ("cli", "__main__"):
        return "cli"
    if top == "runner":
        return "runner"
    if top in ("pages", "charts"):
        return "pages"
    if top == "params":
        return "params"
    if top == "disclosure":
        return "disclosure"
    return "engine"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The ``yot`` modules ``path`` imports (``from yot.pages import cohort`` is ``yot.pages.cohort``)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("yot") and target != name and target != "yot":
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, name, known) for name, path in found.items()}


def test_the_walk_sees_the_package() -> None:
    g = graph()
    assert "yot.cohort" in g and "yot.pages.cohort" in g and "yot.runner" in g
    assert "yot.cohort" in g["yot.pages.cohort"]  # a page uses the engine


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"
        for name, targets in graph().items()
        for target in sorted(targets)
        if LAYERS.index(layer_of(target)) > LAYERS.index(layer_of(name))
    ]
    assert upward == []


def test_no_import_goes_round_in_a_circle() -> None:
    g = graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(g.get(node, ())):
            if state.get(target) == 1:
                circles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for name in sorted(g):
        if name not in state:
            visit(name, [name])
    assert circles == []


@pytest.mark.parametrize("source, expected", [
    ("from yot.pages import cohort\n", {"yot.pages.cohort"}),
    ("import yot.params\n", {"yot.params"}),
    ("def f():\n    from yot.runner import run_suite\n", {"yot.runner"}),
    ("from . import model\n", {"yot.pages.model"}),
])
def test_imports_are_read_at_any_depth_and_relative(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    known = {"yot.pages", "yot.pages.cohort", "yot.pages.model", "yot.params", "yot.runner", "yot.pages.x"}
    assert imports_of(path, "yot.pages.x", known) == expected
