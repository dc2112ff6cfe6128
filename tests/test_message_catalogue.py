"""One wording test per message: every key renders in both languages, and the code names only real keys."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, load_catalogue

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = load_catalogue()
PACKAGES = ("bot", "nlu", "knowledge", "dossier_checker")


def _placeholders(template: str) -> list[str]:
    return sorted({name for _, name, _, _ in string.Formatter().parse(template) if name})


@pytest.mark.parametrize("key", sorted(CATALOGUE.messages["fr"]))
def test_message_renders_in_every_language(key: str) -> None:
    expected = _placeholders(CATALOGUE.messages["fr"][key])
    sample = {name: f"<{name}>" for name in expected}
    for lang in LANGUAGES:
        assert _placeholders(CATALOGUE.messages[lang][key]) == expected, (lang, key)
        text = CATALOGUE.text(lang, key, **sample)
        assert text.strip(), (lang, key)
        assert all(f"<{name}>" in text for name in expected), (lang, key)
        assert "{" not in text.replace("{{", ""), (lang, key)


def _literal_keys() -> list[tuple[str, str]]:
    """Every message id written as a literal in a call to ``t(lang, "id", ...)`` in the product code."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", "")) == "t"
                    and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str)
                ):
                    found.append((path.relative_to(ROOT).as_posix(), node.args[1].value))
    return found


def test_the_code_names_only_messages_of_the_catalogue() -> None:
    keys = _literal_keys()
    assert len(keys) > 100
    assert [(path, key) for path, key in keys if not CATALOGUE.has(key)] == []
