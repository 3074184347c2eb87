"""The layers of DESIGN.md section 1, checked on the package's real import graph.

Every import counts: at module level, inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cockpit"
EXCLUDED = (PACKAGE / "scripted" / "workspace",)  # the demo project, not part of the package
HEADLESS = (
    "cockpit.engine",
    "cockpit.store",
    "cockpit.policy",
    "cockpit.health",
    "cockpit.scripted",
)
HEADLESS_MODULES = (
    "cockpit.events",
    "cockpit.config",
    "cockpit.errors",
    "cockpit.defaults",
    "cockpit.folders",
    "cockpit.vocab",
)
FORBIDDEN = ("cockpit.ui", "textual")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if any(path.is_relative_to(excluded) for excluded in EXCLUDED):
            continue
        found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module `name` imports (package-relative imports resolved, names that are
    submodules counted as the submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                out.add(candidate if candidate in known else target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {
        name: {m for m in imports_of(name, path, known) if m in known and m != name}
        | {m for m in imports_of(name, path, known) if not m.startswith("cockpit")}
        for name, path in found.items()
    }


def test_headless_layers_never_import_the_ui_or_textual() -> None:
    bad = []
    for name, deps in graph().items():
        if name.startswith(HEADLESS) or name in HEADLESS_MODULES:
            for dep in deps:
                if dep == "textual" or dep.startswith(("textual.", *FORBIDDEN)):
                    bad.append(f"{name} imports {dep}")
    assert not bad, "layer rule broken:\n" + "\n".join(sorted(bad))


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(edges, WHITE)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = GREY
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if dep not in color:
                continue
            if color[dep] == GREY:
                return [*stack[stack.index(dep) :], dep]
            if color[dep] == WHITE and (found := visit(dep)) is not None:
                return found
        stack.pop()
        color[node] = BLACK
        return None

    for node in sorted(edges):
        if color[node] == WHITE and (found := visit(node)) is not None:
            return found
    return None


def test_no_two_modules_import_each_other() -> None:
    edges = {
        name: {d for d in deps if d.startswith("cockpit")}
        for name, deps in graph().items()
        if name != "cockpit"  # the package's __init__ only re-exports its version
    }
    # A package's __init__ importing its own submodules is not a cycle of two modules.
    for name in edges:
        edges[name] = {d for d in edges[name] if not name.startswith(d + ".")}
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checker_sees_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cockpit.ui.app import CockpitApp\n"
        "def f():\n    from cockpit.store import session_file\n"
    )
    path = tmp_path / "m.py"
    path.write_text(source)
    found = imports_of("cockpit.engine.m", path, {"cockpit.store.session_file"})
    assert {"cockpit.ui.app", "cockpit.store.session_file"} <= found
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
