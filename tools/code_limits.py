"""Check the code limits of ``make lint``: module size, cyclomatic complexity (radon), dead code (vulture).

Limits and the known offenders (each with its figure today) live in ``[tool.vetpharma.limits]`` of
pyproject.toml. A new offender, or a known one that grows, fails; one that shrank is reported so its figure
can be lowered (or its line dropped), without failing, so that merging a split never turns the build red.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radon.complexity import cc_visit
from radon.visitors import Class, Function
from vulture import Vulture

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figure:
    """One measured thing (a module, a function) and its figure."""

    key: str
    value: int


def _modules(packages: Iterable[str]) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def module_lines(packages: Iterable[str]) -> list[Figure]:
    """Count the lines of every product module."""
    return [
        Figure(path.relative_to(ROOT).as_posix(), len(path.read_text(encoding="utf-8").splitlines()))
        for path in _modules(packages)
    ]


def _blocks(blocks: Iterable[Function | Class], prefix: str = "") -> Iterator[tuple[str, int]]:
    for block in blocks:
        name = f"{prefix}{block.name}"
        if isinstance(block, Class):
            yield from _blocks(block.methods, f"{name}.")
            yield from _blocks(block.inner_classes, f"{name}.")
        else:
            yield name, block.complexity
            yield from _blocks(block.closures, f"{name}.")


def complexities(packages: Iterable[str]) -> list[Figure]:
    """Measure the cyclomatic complexity of every function and method (closures on their own)."""
    found = []
    for path in _modules(packages):
        module = path.relative_to(ROOT).as_posix()
        # radon lists methods twice: inside their class, and at the top with ``is_method`` set.
        blocks = [b for b in cc_visit(path.read_text(encoding="utf-8")) if not getattr(b, "is_method", False)]
        for name, value in _blocks(blocks):
            found.append(Figure(f"{module}::{name}", value))
    return found


def judge(kind: str, figures: list[Figure], limit: int, known: dict[str, int]) -> tuple[list[str], list[str]]:
    """Return the failures (new or grown offenders) and the notes (offenders that shrank or were fixed)."""
    failures, notes = [], []
    measured = {f.key: f.value for f in figures}
    for figure in figures:
        if figure.value <= limit:
            continue
        allowed = known.get(figure.key)
        if allowed is None:
            failures.append(f"{figure.key}: {kind} {figure.value} > {limit}")
        elif figure.value > allowed:
            failures.append(
                f"{figure.key}: {kind} {figure.value}, up from the {allowed} allowed (limit {limit})"
            )
        elif figure.value < allowed:
            notes.append(f"{figure.key}: {kind} now {figure.value}: lower its figure from {allowed}")
    for key in known:
        value = measured.get(key)
        if value is None or value <= limit:
            notes.append(
                f"{key}: within the limit now ({value if value is not None else 'gone'}): drop its line"
            )
    return failures, notes


def dead_code(config: dict[str, Any]) -> list[str]:
    """List the product code nothing uses (the tests and benches count as users)."""
    vulture = Vulture()
    users = [str(ROOT / p) for p in (*config["packages"], *config["dead_code_users"])]
    vulture.scavenge([*users, str(ROOT / config["dead_code_whitelist"])])
    product = tuple(f"{p}/" for p in config["packages"])
    found = []
    for item in vulture.get_unused_code():
        path = Path(item.filename).resolve().relative_to(ROOT).as_posix()
        if path.startswith(product):
            found.append(f"{path}:{item.first_lineno}: {item.message} ({item.confidence}% confidence)")
    return found


def main() -> int:
    """Print every breach and note; return 1 when a limit is broken."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["vetpharma"][
        "limits"
    ]
    packages = config["packages"]
    failures, notes = judge(
        "lines", module_lines(packages), config["max_module_lines"], config.get("module_lines", {})
    )
    more, later = judge(
        "complexity", complexities(packages), config["max_complexity"], config.get("complexity", {})
    )
    failures += more
    notes += later
    failures += [f"dead code: {line}" for line in dead_code(config)]
    for note in notes:
        print(f"note: {note}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
