"""User-facing messages, one catalogue per language in ``config/messages/<lang>.yaml``, checked on load."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import CONFIG_DIR

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
MESSAGES_DIR = CONFIG_DIR / "messages"


class CatalogueError(ValueError):
    """A message file is malformed; the text names the file and the key."""


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Text(str):
    """A message rendered from the catalogue, which remembers its id (a ``Reply`` made of it carries the id)."""

    msg_id: str

    def __new__(cls, text: str, msg_id: str) -> Text:
        """Wrap a rendered text with the id of its message."""
        made = super().__new__(cls, text)
        made.msg_id = msg_id
        return made


@dataclass(frozen=True)
class Catalogue:
    """Every message, by language then id."""

    messages: Mapping[str, Mapping[str, str]]

    def text(self, lang: str, msg_id: str, **params: Any) -> str:
        """Return the message in this language (French if the language is unknown), filled in."""
        table = self.messages.get(lang) or self.messages[DEFAULT_LANGUAGE]
        template = table.get(msg_id)
        if template is None:
            raise KeyError(f"no message {msg_id!r}")
        return Text(template.format(**params), msg_id)

    def has(self, msg_id: str) -> bool:
        """Tell whether a message id exists."""
        return msg_id in self.messages[DEFAULT_LANGUAGE]


def _read(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping of message ids to texts")
    table: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise CatalogueError(f"{path}: key {key!r}: expected a text")
        try:
            _placeholders(value)
        except ValueError as exc:
            raise CatalogueError(f"{path}: key {key!r}: bad placeholder: {exc}") from exc
        table[key] = value.rstrip("\n")
    return table


def load_catalogue(directory: Path = MESSAGES_DIR) -> Catalogue:
    """Read and cross-check the catalogues: same ids and same placeholders in every language."""
    tables = {lang: _read(directory / f"{lang}.yaml") for lang in LANGUAGES}
    reference = tables[DEFAULT_LANGUAGE]
    for lang, table in tables.items():
        path = directory / f"{lang}.yaml"
        for key in sorted(set(reference) - set(table)):
            raise CatalogueError(f"{path}: key {key!r} is missing (it exists in {DEFAULT_LANGUAGE}.yaml)")
        for key in sorted(set(table) - set(reference)):
            raise CatalogueError(f"{path}: key {key!r} does not exist in {DEFAULT_LANGUAGE}.yaml")
        for key, text in table.items():
            if _placeholders(text) != _placeholders(reference[key]):
                raise CatalogueError(
                    f"{path}: key {key!r}: placeholders {sorted(_placeholders(text))} differ from "
                    f"{DEFAULT_LANGUAGE}.yaml's {sorted(_placeholders(reference[key]))}"
                )
    return Catalogue(messages=tables)


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """Return the catalogue, read once per process."""
    return load_catalogue()


def t(lang: str, msg_id: str, **params: Any) -> str:
    """Return one message in the user's language (a ``Text``: it keeps its id)."""
    return catalogue().text(lang, msg_id, **params)


def both_languages(msg_id: str, **params: Any) -> str:
    """Return one message in French then English, for someone whose language is not known yet."""
    text = " / ".join(catalogue().text(lang, msg_id, **params) for lang in LANGUAGES)
    return Text(text, msg_id)


def normalise_lang(value: str | None) -> str | None:
    """Map "fr", "FR", "français", "english", "en-GB" to a supported language, or None."""
    if not value:
        return None
    text = value.strip().lower()
    aliases = {
        "fr": "fr",
        "francais": "fr",
        "français": "fr",
        "french": "fr",
        "en": "en",
        "english": "en",
        "anglais": "en",
    }
    if text in aliases:
        return aliases[text]
    head = text.split("-")[0].split("_")[0]
    return head if head in LANGUAGES else None
