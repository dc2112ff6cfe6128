"""Typed, checked access to the YAML files of the facts folder: every error names the file and key path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class FactsError(ValueError):
    """A facts file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Text:
    """A sentence in French and English."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text in this language (French unless English is asked)."""
        return self.en if lang == "en" else self.fr


class FactsReader:
    """Typed access to one YAML mapping, with the file and key path in every error."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise FactsError(f"{where}: expected a mapping")
        self.data: dict[str, Any] = data
        self.where = where

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise FactsError(f"{self.where}: missing key {key!r}")
        return self.data[key]

    def string(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            raise FactsError(f"{self.where}.{key}: expected a non-empty string")
        return value

    def opt_string(self, key: str) -> str | None:
        return self.string(key) if self.data.get(key) is not None else None

    def integer(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise FactsError(f"{self.where}.{key}: expected an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return self.integer(key) if self.data.get(key) is not None else None

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise FactsError(f"{self.where}.{key}: expected true or false")
        return value

    def integers(self, key: str) -> tuple[int, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise FactsError(f"{self.where}.{key}: expected a list of integers")
        return tuple(value)

    def strings(self, key: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if key not in self.data and default is not None:
            return default
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FactsError(f"{self.where}.{key}: expected a list of strings")
        return tuple(value)

    def text(self, key: str) -> Text:
        sub = self.sub(key)
        extra = sorted(str(k) for k in sub.data if k not in {"fr", "en"})
        if extra:
            # "{fr: a, b, en: c}" reads "b" as a key: an unquoted comma cut the sentence short.
            raise FactsError(f"{sub.where}: unexpected keys {extra} (quote a text that holds a comma)")
        return Text(fr=sub.string("fr"), en=sub.string("en"))

    def opt_text(self, key: str) -> Text | None:
        return self.text(key) if self.data.get(key) is not None else None

    def sub(self, key: str) -> FactsReader:
        return FactsReader(self._get(key), f"{self.where}.{key}")

    def items(self, key: str) -> list[FactsReader]:
        value = self._get(key)
        if not isinstance(value, list):
            raise FactsError(f"{self.where}.{key}: expected a list")
        return [FactsReader(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(value)]

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in allowed:
            raise FactsError(f"{self.where}.{key}: {value!r} is not one of {', '.join(allowed)}")
        return value


def read_facts_file(directory: Path, name: str) -> FactsReader:
    """Read one YAML file of the facts folder."""
    path = directory / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FactsError(f"{path.name}: cannot read: {exc}") from exc
    return FactsReader(data, path.name)
