"""Keep a file's classification inside its time: pages the time left cannot classify are named unread.

Reading stops ``Limits.reserve_seconds`` before a file's time is up, but cutting its pages into documents
and scoring them costs time in proportion to their text (seconds for a few dense pages on a loaded
machine). The cost per character is measured on every classification in this process; before one, the
pages whose estimated cost does not fit in the file's time left are set aside and named in the report
as pages not read in time, like those the reading did not reach.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from dossier_checker.model import FileError, FileResult, Limits, Page

FIRST_SECONDS_PER_CHAR = (
    50e-6  # before any measure: a loaded machine's pace (about 20,000 characters a second)
)
SAFETY = 1.25  # the estimate is raised by this much: the machine's load changes between two files
REPORT_SECONDS = 0.2  # what the report itself takes once the documents are known
MEASURED_FROM_CHARS = 2_000  # shorter texts cost mostly their fixed overhead: not a measure of the pace
SLOWER_AT_ONCE = 1.0  # a slower pace is taken at once...
FASTER_SLOWLY = 0.2  # ...a faster one a fifth at a time


class Pace:
    """The seconds one character of page text costs to classify, as last measured in this process."""

    def __init__(self, seconds_per_char: float = FIRST_SECONDS_PER_CHAR) -> None:
        self._lock = threading.Lock()
        self.seconds_per_char = seconds_per_char

    def observe(self, chars: int, seconds: float) -> None:
        """Take one classification's measure into the pace."""
        if chars < MEASURED_FROM_CHARS or seconds <= 0:
            return
        measured = seconds / chars
        with self._lock:
            share = SLOWER_AT_ONCE if measured > self.seconds_per_char else FASTER_SLOWLY
            self.seconds_per_char += share * (measured - self.seconds_per_char)

    def estimate(self, chars: int) -> float:
        """Return the seconds classifying ``chars`` characters is expected to take, with a margin."""
        return chars * self.seconds_per_char * SAFETY


PACE = Pace()


def text_chars(pages: Sequence[Page]) -> int:
    """Return the characters of text classification reads on these pages."""
    return sum(len(p.text) + len(p.head) for p in pages)


def fit(result: FileResult, limits: Limits, pace: Pace = PACE) -> FileResult:
    """Keep the pages, in order, whose classification fits in the file's time left; name the others unread."""
    left = limits.file_seconds - result.seconds - REPORT_SECONDS
    kept: list[Page] = []
    cost = 0.0
    for page in sorted(result.pages, key=lambda p: p.number):
        cost += pace.estimate(text_chars([page]))
        if cost > left:
            break
        kept.append(page)
    if len(kept) == len(result.pages):
        return result
    dropped = {p.number for p in result.pages} - {p.number for p in kept}
    unread = tuple(sorted({*result.unread_pages, *dropped}))
    if not kept:
        return replace(
            result, pages=(), unread_pages=(), error=FileError("file_too_slow", f"{limits.file_seconds:g}")
        )
    return replace(result, pages=tuple(kept), unread_pages=unread)
