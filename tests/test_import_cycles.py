"""No import cycles among the product packages, deferred imports inside functions included (read from the AST)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "nlu", "knowledge", "dossier_checker")


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _target(name: str, known: set[str]) -> str | None:
    """Return the project module ``name`` designates (the longest known prefix), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _edges(module: str, path: Path, known: set[str]) -> set[str]:
    """Return the project modules ``module`` imports anywhere: top level, functions, TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # "from pkg import submodule" imports the submodule; "from module import name" the module.
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Call) and _dynamic_import(node) is not None:
            names.add(str(_dynamic_import(node)))
    targets = {_target(name, known) for name in names}
    # A module's own package is imported before it by Python itself: that edge is no choice of the code.
    return {t for t in targets if t is not None and t != module and not module.startswith(t + ".")}


def _dynamic_import(node: ast.Call) -> str | None:
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    first = node.args[0] if node.args else None
    if name in {"import_module", "__import__"} and isinstance(first, ast.Constant):
        return str(first.value) if isinstance(first.value, str) else None
    return None


def import_cycles(root: Path) -> list[list[str]]:
    """Return each import cycle among the packages under ``root``, as the modules it goes through."""
    modules = _modules(root)
    known = set(modules)
    graph = {name: sorted(_edges(name, path, known)) for name, path in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def test_the_product_packages_import_each_other_without_cycles() -> None:
    cycles = import_cycles(ROOT)
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_a_cycle_through_a_deferred_import_is_found(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "__init__.py").write_text("")
    (tmp_path / "bot" / "a.py").write_text("from bot.b import thing\n")
    (tmp_path / "bot" / "b.py").write_text("def thing():\n    from bot import a\n    return a\n")
    (tmp_path / "bot" / "c.py").write_text("from bot import b\n")
    assert import_cycles(tmp_path) == [["bot.a", "bot.b", "bot.a"]]


def test_a_cycle_through_a_type_checking_block_is_found(tmp_path: Path) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "__init__.py").write_text("")
    (tmp_path / "nlu" / "a.py").write_text("from nlu import b\n")
    (tmp_path / "nlu" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nlu.a import X\n"
    )
    assert import_cycles(tmp_path) == [["nlu.a", "nlu.b", "nlu.a"]]
