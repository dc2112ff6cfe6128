"""Values the checker passes around: input files, limits, pages, and the results it reports."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # Telegram's Bot API lets a bot download 20 MB at most
DEFAULT_FILE_SECONDS = 15.0  # wall-clock seconds to read one file, parsing and OCR together
# Seconds of a file's time kept for what follows its reading: stopping the parse child and tesseract, taking
# the pages back, grouping and classifying them, writing the report (measured by bench/robustness.py).
DEFAULT_RESERVE_SECONDS = 3.0  # the bench saw up to 2.35 s used at nice 10 on a loaded machine
MAX_RESERVE_SHARE = 0.25  # a short test budget keeps most of its time for reading
FILE_SECONDS_VARIABLE = "VETPHARMA_LIMITS_FILE_SECONDS"  # the bot's [limits] file_seconds, read here too


def default_file_seconds() -> float:
    """Return the time one file may take: ``$VETPHARMA_LIMITS_FILE_SECONDS`` when set, else 15 s."""
    try:
        return float(os.environ.get(FILE_SECONDS_VARIABLE) or DEFAULT_FILE_SECONDS)
    except ValueError:
        return DEFAULT_FILE_SECONDS


TextSource = Literal["text", "ocr", "none"]


class Status(StrEnum):
    """How sure the checker is that a piece is in the dossier (its value is the JSON contract's)."""

    PRESENT = "present"
    MISSING = "missing"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Limits:
    """What the checker accepts: sizes, pages, memory and time per file."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pages: int = 60
    max_image_pixels: int = 40_000_000  # a 40-megapixel photo; larger is refused before decoding
    memory_bytes: int = 1_200 * 1024 * 1024  # address-space limit of the parsing child process
    # Wall-clock seconds for one file, parsing and OCR together, whatever its page count: pages not read by
    # then are named in the report as unread, and the file is checked on the pages read.
    file_seconds: float = field(default_factory=default_file_seconds)
    reserve_seconds: float = DEFAULT_RESERVE_SECONDS  # of ``file_seconds``, kept for the report (see above)
    ocr_timeout: float = 30.0  # seconds for one OCR run of one page (within the file's seconds)
    ocr_dpi: int = 200  # tesseract reads 10-point text well at 200 dpi; 250 costs half as much again
    workers: int = 0  # parallel OCR / parse processes; 0: the machine's cores

    @property
    def read_seconds(self) -> float:
        """Return the seconds reading (parse and OCR) may take: the file's time less the reserve."""
        reserve = min(max(0.0, self.reserve_seconds), self.file_seconds * MAX_RESERVE_SHARE)
        return max(0.0, self.file_seconds - reserve)


@dataclass(frozen=True)
class InputFile:
    """One uploaded file: its name and bytes (``size`` is known before reading when taken from disk)."""

    name: str
    data: bytes
    size: int = -1

    @property
    def byte_size(self) -> int:
        """Return the file's size in bytes, read or announced."""
        return self.size if self.size >= 0 else len(self.data)

    @classmethod
    def from_path(cls, path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> InputFile:
        """Read a file from disk, unless it is larger than ``max_bytes`` (then keep only its size)."""
        size = os.stat(path).st_size
        if size > max_bytes:
            return cls(name=str(path), data=b"", size=size)
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        return cls(name=str(path), data=data, size=len(data))


@dataclass(frozen=True)
class Page:
    """One page's text and layout facts, from the text layer or from OCR."""

    number: int  # 1-based
    text: str
    head: str  # text of the top part of the page, where titles are
    source: TextSource
    lines: int = 0  # ruling lines (vector, or detected on the image)
    rects: int = 0
    curves: int = 0
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class FileError:
    """Why a file could not be read: a message id of ``dossier_checker.messages`` and its details."""

    code: str
    detail: str = ""
    limit: str = ""  # the limit that was passed, where one was


@dataclass(frozen=True)
class FileResult:
    """What came out of one file: its pages, how many needed OCR, or why it could not be read."""

    name: str
    pages: tuple[Page, ...] = ()
    page_count: int = 0
    ocr_pages: int = 0
    error: FileError | None = None
    peak_memory_bytes: int = 0  # of the child process that parsed it
    format: str = ""  # what the bytes were: "pdf", "jpeg", "png", "heif", "docx", "odt", "doc"...
    parts: tuple[str, ...] = ()  # photos of one document joined in this order (page n = parts[n - 1])
    unread_pages: tuple[int, ...] = ()  # pages not read within the file's time (``Limits.file_seconds``)
    seconds: float = 0.0  # wall-clock time spent reading the file


@dataclass(frozen=True)
class PieceWarning:
    """Something that looks wrong with a piece, with the article that makes it matter."""

    code: str  # message id in dossier_checker.messages
    article: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PieceResult:
    """The verdict on one piece of the dossier, with where it was found and why."""

    id: str
    label: dict[str, str]
    article: str
    required: bool
    status: Status
    file: str | None = None
    pages: tuple[int, ...] = ()
    evidence: str = ""
    warnings: tuple[PieceWarning, ...] = ()
    score: float = 0.0
    # What answer-dependent warnings are recomputed from when the answers change (answer_checks).
    features: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DossierReport:
    """The whole check: files read, pieces found or missing, and whether the dossier is complete."""

    dossier: str
    conditions: dict[str, object]
    complete: bool
    files: tuple[FileResult, ...]
    pieces: tuple[PieceResult, ...] = field(default_factory=tuple)
    file_seconds: float = DEFAULT_FILE_SECONDS  # the time each file was given (told with unread pages)
