"""The one reader of numbers typed by users: NFKC, ASCII digits only, bounded length.

Python's ``int()`` accepts any Unicode decimal digit and refuses superscripts ('²' passes ``isdigit()``
but not ``int()``) and numbers past 4,300 digits; user text must never reach it unchecked. Everything a
user types and the bot reads as a number (a choice's index, ``/edit 3``, a dossier number, a headcount, a
date's parts) goes through here: the text is NFKC-normalised ('①' and '²' become '1' and '2', full-width
'１２' becomes '12'), then only ASCII digits count, and only up to ``MAX_DIGITS`` of them.
"""

from __future__ import annotations

import re
import unicodedata

MAX_DIGITS = 12  # no number a user types to this bot is longer (dates, headcounts, indexes, dossier numbers)
# Read no further than this: NFKC of a long message is work for nothing when the number is short.
_MAX_READ = 64

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?", re.ASCII)
_GROUPING = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "'": None, "_": None})


def normalise_digits(text: str) -> str:
    """Return ``text`` in NFKC ('①' -> '1', '１２' -> '12'), stripped; other digits stay as they are."""
    return unicodedata.normalize("NFKC", text).strip()


def read_int(text: str, *, max_digits: int = MAX_DIGITS, signed: bool = False) -> int | None:
    """Read a whole message as an integer of ASCII digits (after NFKC), or None."""
    if len(text) > _MAX_READ:
        return None
    plain = normalise_digits(text)
    if not _INTEGER.fullmatch(plain):
        return None
    if plain[0] in "+-" and not signed:
        return None
    if len(plain.lstrip("+-")) > max_digits:
        return None
    return int(plain, 10)


def read_index(text: str, count: int) -> int | None:
    """Read a 1-based position among ``count`` offered items ('2', '②'); None when it is not one."""
    value = read_int(text, max_digits=4)
    if value is None or not 1 <= value <= count:
        return None
    return value


def read_decimal(text: str, *, max_digits: int = MAX_DIGITS) -> int | float | None:
    """Read '1 200', '-3', '12,5' or '12.5' (after NFKC) as a number, or None; bounded in length."""
    if len(text) > _MAX_READ:
        return None
    plain = normalise_digits(text).translate(_GROUPING).replace(",", ".")
    if not _DECIMAL.fullmatch(plain) or sum(c.isdigit() for c in plain) > max_digits:
        return None
    return float(plain) if "." in plain else int(plain, 10)


def digits_value(digits: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """Return the value of a run of digits a pattern matched, or None when it is not short ASCII digits."""
    return read_int(digits, max_digits=max_digits)
