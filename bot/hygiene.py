"""Input hygiene: what a message's text may hold before anything reads it."""

from __future__ import annotations

import unicodedata

# Longer messages are not read as answers or questions (a 100 kB paste is a mistake, not a name).
MAX_TEXT = 4000


def clean_text(text: str) -> str:
    """Drop control characters, unpaired surrogates and NULs; keep line breaks; normalise to NFC."""
    safe = text.encode("utf-8", "replace").decode("utf-8")
    kept = "".join(c for c in safe if c in "\n\t" or unicodedata.category(c)[0] != "C")
    return unicodedata.normalize("NFC", kept).strip()


def unreadable(raw: str, cleaned: str) -> bool:
    """Tell a binary blob pasted as text from a message (most of its characters were not text)."""
    if not raw:
        return False
    dropped = len(raw.strip()) - len(cleaned)
    replacement = cleaned.count("\ufffd")
    return len(raw.strip()) > 0 and (dropped + replacement) / max(len(raw.strip()), 1) > 0.3
