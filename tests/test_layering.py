"""The shape of the code, read from the import graph: only the two chat adapters know their libraries."""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "nlu", "knowledge", "dossier_checker")
# Each library stays in its adapter package.
TRANSPORT_LIBRARIES = {"telegram": "bot/adapters/telegram/", "nio": "bot/adapters/matrix/"}
# The core side: these must never reach an adapter, even through another module.
CORE_MODULES = ("bot.core", "bot.walkthrough", "bot.store", "bot.letter", "bot.i18n", "bot.messages")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    """Every module name imported anywhere in the file (functions and TYPE_CHECKING blocks included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            first = node.args[0]
            assert isinstance(first, ast.Constant)
            names.add(str(first.value))
    return names


def _is_dynamic_import(node: ast.Call) -> bool:
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    first = node.args[0] if node.args else None
    return (
        name in {"import_module", "__import__"}
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
    )


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name) for name, path in modules.items()}


def test_the_graph_sees_the_whole_project() -> None:
    graph = _graph()
    assert {
        "bot.core",
        "bot.walkthrough",
        "bot.store",
        "bot.adapters.console",
        "dossier_checker.spec",
    } <= set(graph)
    assert "dossier_checker.spec" in graph["bot.walkthrough"]


def test_only_the_adapters_import_telegram_or_nio() -> None:
    offenders = []
    for module, imported in _graph().items():
        path = _modules()[module].relative_to(ROOT).as_posix()
        for library, allowed in TRANSPORT_LIBRARIES.items():
            if any(
                name == library or name.startswith(library + ".") for name in imported
            ) and not path.startswith(allowed):
                offenders.append(f"{path} imports {library}")
    assert offenders == []


def test_the_core_never_reaches_an_adapter() -> None:
    graph = _graph()
    project = set(graph)
    for start in CORE_MODULES:
        seen = {start}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for name in graph.get(current, ()):
                target = name if name in project else name.rpartition(".")[0]
                if target in project and target not in seen:
                    seen.add(target)
                    queue.append(target)
        reached = sorted(m for m in seen if m.startswith("bot.adapters") or m in {"bot.serve"})
        assert reached == [], f"{start} reaches {reached}"
        libraries = {n.split(".")[0] for m in seen for n in graph.get(m, ())}
        assert not libraries & set(TRANSPORT_LIBRARIES), f"{start} reaches a transport library"
