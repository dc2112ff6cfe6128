"""The lint step's code limits: new or growing offenders fail, shrinking ones are noted, dead code is found."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("code_limits", ROOT / "tools" / "code_limits.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_offenders_may_shrink_but_not_grow_or_appear() -> None:
    tool = _tool()
    figures = [
        tool.Figure("a.py", 700),
        tool.Figure("b.py", 650),
        tool.Figure("c.py", 610),
        tool.Figure("d.py", 90),
    ]
    known = {"a.py": 700, "b.py": 640, "d.py": 900, "e.py": 800}
    failures, notes = tool.judge("lines", figures, 600, known)
    assert failures == ["b.py: lines 650, up from the 640 allowed (limit 600)", "c.py: lines 610 > 600"]
    assert any(n.startswith("d.py:") and "drop its line" in n for n in notes)  # now within the limit
    assert any(n.startswith("e.py:") and "gone" in n for n in notes)  # split away


def test_complexity_is_measured_per_function_and_method(tmp_path: Path) -> None:
    tool = _tool()
    package = tmp_path / "pkg"
    package.mkdir()
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(25))
    (package / "m.py").write_text(
        f"def flat(x):\n    return x\n\n\nclass C:\n    def busy(self, x):\n{branches.replace('    ', '        ')}\n"
    )
    tool.ROOT = tmp_path
    found = {f.key: f.value for f in tool.complexities(["pkg"])}
    assert found["pkg/m.py::flat"] == 1
    assert found["pkg/m.py::C.busy"] == 26
    assert "pkg/m.py::busy" not in found  # a method once, under its class


def test_the_product_is_within_its_limits() -> None:
    assert _tool().main() == 0
