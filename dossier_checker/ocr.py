"""Optical character recognition of page images with tesseract (French), one core per page.

The only module that runs tesseract. Images come from ``dossier_checker.imaging`` already decoded,
straightened and re-encoded, so tesseract never sees the uploaded bytes themselves. Each run is killed at
once (SIGKILL) when its time is up, and dies with the bot: it is started with a parent-death signal
(``setpriv --pdeathsig``), so a bot killed mid-check leaves no tesseract running.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from dossier_checker import imaging

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one thread per tesseract: pages run in parallel instead
LANG = "fra"
CONFIG = "-c tessedit_do_invert=0"  # no second pass for white-on-black text: dossiers have next to none
HEAD_FRACTION = 0.4


@dataclass(frozen=True)
class OcrText:
    """The text read from a page image, its top part, and tesseract's mean word confidence."""

    text: str
    head: str
    confidence: float
    rotated: int = 0  # degrees the page was turned before reading


class OcrFailed(RuntimeError):
    """Tesseract could not read the image (missing, crashed, timed out)."""


Box = tuple[int, int, int, int]  # left, top, width, height in pixels
READ_WELL = 60  # word confidence above which a word's ink counts as read (not searched for stamps)
STAMP_CONFIDENCE = 50  # mean confidence a turned block's text needs to be kept
SPARSE_PSM = 11  # tesseract's sparse-text mode: labels and dimensions scattered over a drawing
SPARSE_BELOW_WORDS = 30  # a first reading with fewer well-read words than this gets a sparse-text pass
# ... unless the words it read well hold nearly all the page's ink: then there is nothing left to find.
SPARSE_UNREAD_INK = 0.2
SPARSE_MIN_CONFIDENCE = 40  # words the sparse pass reads less surely are the drawing's strokes, dropped
# A page whose ink lies this much on long straight strokes is a drawing: its sparse pass reads it without
# them, so that dimensions written on or against dimension lines and walls stand alone ("397", "187,5").
DRAWING_LINE_SHARE = 0.35
DRAWING_MIN_LINES = 20  # ... and that has this many long ruling lines (walls), as the "drawing" feature asks
DRAWING_TURNS = (90, 270)  # a drawing's text along vertical lines runs one way or the other: both are read


TESSERACT = "tesseract"
_TSV_COLUMNS: tuple[str, ...] = ("level", "page_num", "block_num", "par_num", "line_num", "word_num")
_TSV_COLUMNS += ("left", "top", "width", "height", "conf", "text")


class Runs:
    """The tesseract runs started for one file: all killed at once when the file's time is up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def start(self, command: list[str]) -> subprocess.Popen[bytes]:
        """Start one run (refused once the file's runs are stopped)."""
        with self._lock:
            if self._stopped:
                raise OcrFailed("the file's time is up")
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # Without setpriv, the parent-death signal is asked for between fork and exec.
                preexec_fn=_die_with_parent if command[0] == TESSERACT else None,
            )
            self._live.add(process)
            return process

    def ended(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a run that has ended."""
        with self._lock:
            self._live.discard(process)

    def stop(self) -> None:
        """Kill every run in progress and refuse new ones."""
        with self._lock:
            self._stopped = True
            for process in self._live:
                with contextlib.suppress(OSError):
                    process.kill()


_RUNS: contextvars.ContextVar[Runs | None] = contextvars.ContextVar("tesseract_runs", default=None)


@functools.cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def _command(arguments: list[str]) -> list[str]:
    """Return the command line running tesseract, tied to the calling process's death where Linux can."""
    setpriv = _setpriv()
    prefix = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
    return [*prefix, TESSERACT, *arguments]


def _tesseract(arguments: list[str], timeout: float) -> str:
    """Run tesseract and return what it prints; killed at once past ``timeout`` seconds."""
    runs = _RUNS.get() or Runs()
    try:
        process = runs.start(_command(arguments))
    except OSError as exc:
        raise OcrFailed(f"tesseract: {exc.strerror or exc}") from None
    try:
        out, err = process.communicate(timeout=max(0.0, timeout))
    except subprocess.TimeoutExpired:
        process.kill()  # SIGKILL: no grace period taken from the file's time
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=5)
        raise OcrFailed("timeout") from None
    finally:
        if process.poll() is None:  # an unexpected error while waiting: leave nothing running
            process.kill()
        runs.ended(process)
    if process.returncode != 0:
        raise OcrFailed(f"tesseract exit {process.returncode}: {err.decode(errors='replace')[-200:]}")
    return out.decode("utf-8", errors="replace")


def _libc_prctl() -> Callable[..., int] | None:
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


_PRCTL = _libc_prctl()  # looked up here: nothing may be imported between fork and exec
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (used only where setpriv is missing)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _tsv(text: str) -> dict[str, list[str]]:
    """Return tesseract's TSV output as columns of strings (a row without text gets an empty one)."""
    data: dict[str, list[str]] = {name: [] for name in _TSV_COLUMNS}
    for row in text.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < len(_TSV_COLUMNS) - 1:
            continue
        cells += [""] * (len(_TSV_COLUMNS) - len(cells))
        with contextlib.suppress(ValueError):
            cells[10] = str(int(float(cells[10])))  # whole confidences, as the thresholds are written
        for name, cell in zip(_TSV_COLUMNS, cells, strict=False):
            data[name].append(cell)
    return data


def _read(image: bytes, timeout: float, psm: int = 3, min_confidence: float = -1.0) -> OcrText:
    return _read_boxes(image, timeout, psm, min_confidence)[0]


def _read_boxes(
    image: bytes, timeout: float, psm: int = 3, min_confidence: float = -1.0
) -> tuple[OcrText, list[Box]]:
    # Handed to tesseract as the file it already is (TIFF): never decoded and re-encoded here.
    with tempfile.NamedTemporaryFile(suffix=".tif") as handle:
        handle.write(image)
        handle.flush()
        arguments = [handle.name, "stdout", "-l", LANG, "--psm", str(psm), *CONFIG.split()]
        data = _tsv(_tesseract([*arguments, "-c", "tessedit_create_tsv=1"], timeout))
    lines: dict[tuple[int, int, int], list[tuple[int, str]]] = {}
    tops: dict[tuple[int, int, int], int] = {}
    confidences: list[float] = []
    boxes: list[Box] = []
    placed: list[tuple[int, int, int, int, str]] = []  # left, top, width, height, word (sparse mode)
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        if not word or float(data["conf"][i]) < min_confidence:
            continue
        placed.append(
            (int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]), word)
        )
        if float(data["conf"][i]) >= READ_WELL:
            boxes.append(
                (int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i]))
            )
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append((int(data["left"][i]), word))
        tops[key] = min(tops.get(key, 1 << 30), int(data["top"][i]))
        confidence = float(data["conf"][i])
        if confidence >= 0:
            confidences.append(confidence)
    ordered = sorted(lines, key=lambda k: (tops[k], k))
    rows = [(tops[k], " ".join(w for _, w in sorted(lines[k]))) for k in ordered]
    if psm in (11, 12):
        rows = _rows(placed)  # sparse mode cuts a label in words of their own: put them back in rows
    height = imaging.image_size(image)[1] or 1
    head = "\n".join(text for top, text in rows if top < height * HEAD_FRACTION)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrText("\n".join(text for _, text in rows), head, mean), boxes


def _rows(words: list[tuple[int, int, int, int, str]]) -> list[tuple[int, str]]:
    """Join words lying on one level and close together into lines (top, text), top to bottom."""
    rows: list[list[tuple[int, int, int, int, str]]] = []
    for word in sorted(words, key=lambda w: w[1] + w[3] / 2):
        middle, size = word[1] + word[3] / 2, max(word[3], 1)
        if rows:
            last = rows[-1][-1]
            if abs(last[1] + last[3] / 2 - middle) <= 0.5 * max(size, last[3]):
                rows[-1].append(word)
                continue
        rows.append([word])
    lines: list[tuple[int, str]] = []
    for row in rows:
        row.sort()
        start = 0
        for i in range(1, len(row) + 1):
            if i == len(row) or row[i][0] - (row[i - 1][0] + row[i - 1][2]) > 2 * max(
                row[i][3], row[i - 1][3]
            ):
                part = row[start:i]
                lines.append((min(w[1] for w in part), " ".join(w[4] for w in part)))
                start = i
    return sorted(lines, key=lambda line: line[0])


def _well_read(result: OcrText) -> int:
    """Count the words of three letters or more a reading holds."""
    return len(re.findall(r"[A-Za-zÀ-ÿ]{3,}", result.text))


def _merged(first: OcrText, second: OcrText) -> OcrText:
    """Join two readings of one page: the first's lines, then the second's lines the first lacks."""

    def join(one: str, other: str) -> str:
        held = [line for line in one.splitlines() if line.strip()]
        seen = {line.strip() for line in held}
        return "\n".join(
            held + [line for line in other.splitlines() if line.strip() and line.strip() not in seen]
        )

    return OcrText(
        join(first.text, second.text), join(first.head, second.head), first.confidence, first.rotated
    )


def _turned_text(image: bytes, boxes: list[Box], timeout: Callable[[], float]) -> list[str]:
    """Read the stamps and other turned blocks the page's OCR run left unread."""
    lines: list[str] = []
    for crop in imaging.turned_regions(image, boxes):
        try:
            result = _read(crop, timeout(), psm=6)
        except OcrFailed:  # out of time: the page's own text is kept without its stamps
            break
        words = re.findall(r"[A-Za-zÀ-ÿ]{3,}", result.text)
        if result.confidence >= STAMP_CONFIDENCE and len(words) >= 2:
            lines += [line for line in result.text.splitlines() if line.strip()]
    return lines


def _orientation(image: bytes, timeout: float) -> int:
    try:
        with tempfile.NamedTemporaryFile(suffix=".image") as handle:
            handle.write(image)
            handle.flush()
            info = _tesseract([handle.name, "stdout", "-l", "osd", "--psm", "0"], timeout)
    except (OcrFailed, OSError):
        return 0
    match = re.search(r"Rotate:\s*(\d+)", info)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", info)
    if not match or not confidence or float(confidence.group(1)) < 1.5:
        return 0
    return int(match.group(1)) % 360


def _readable(result: OcrText) -> bool:
    words = re.findall(r"[A-Za-zÀ-ÿ]{3,}", result.text)
    return result.confidence >= 55 and len(words) >= 8


_CACHE: OrderedDict[bytes, OcrText] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_PAGES = (
    32  # recent pages whose reading is kept: photos sent in a row are checked again with each new one
)


def read_page(
    image: bytes, timeout: float = 30.0, deadline: float | None = None, runs: Runs | None = None
) -> OcrText:
    """Read a page image, or return the reading of the same image made a moment ago.

    Every tesseract run ends by ``deadline`` (``time.monotonic()``) when one is given, and is started in
    ``runs`` when given (``Runs.stop`` kills those in progress).
    """
    key = hashlib.sha256(image).digest()
    with _CACHE_LOCK:
        held = _CACHE.get(key)
        if held is not None:
            _CACHE.move_to_end(key)
            return held
    token = _RUNS.set(runs)
    try:
        result = _read_page(image, timeout, deadline)
    finally:
        _RUNS.reset(token)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > CACHE_PAGES:
            _CACHE.popitem(last=False)
    return result


def _read_page(image: bytes, timeout: float, deadline: float | None) -> OcrText:
    """Read a page image (turned upright when it reads badly), then any turned stamp on it."""

    def left() -> float:
        """Return the seconds one run may take: ``timeout``, or less when the deadline is nearer."""
        if deadline is None:
            return timeout
        remaining = deadline - time.monotonic()
        if remaining < 0.5:
            raise OcrFailed("deadline")
        return min(timeout, remaining)

    result, boxes = _read_boxes(image, left())
    read = image
    if _well_read(result) < SPARSE_BELOW_WORDS:
        erased = imaging.erase_lines(image)
        if erased.line_share >= DRAWING_LINE_SHARE and imaging.ruling_lines(image) >= DRAWING_MIN_LINES:
            result, boxes = _read_drawing(image, result, boxes, erased.data, left)
            stamps = _turned_text(read, boxes, left) if _readable(result) else []
            return _with_stamps(result, stamps)
    if not _readable(result):
        rotate = _orientation(image, left())
        if rotate != 0:
            turned = imaging.rotate_image(image, rotate)
            second, second_boxes = _read_boxes(turned, left())
            if second.confidence > result.confidence:
                result, boxes, read = (
                    OcrText(second.text, second.head, second.confidence, rotate),
                    second_boxes,
                    turned,
                )
    if _well_read(result) < SPARSE_BELOW_WORDS and imaging.unread_ink(read, boxes) > SPARSE_UNREAD_INK:
        # Little text read on the page, and ink left unread: a photo whose layout the page analysis gets
        # wrong, or a sheet with scattered labels. Read it again as sparse text, time permitting.
        try:
            sparse, sparse_boxes = _read_boxes(read, left(), SPARSE_PSM, SPARSE_MIN_CONFIDENCE)
        except OcrFailed:
            sparse, sparse_boxes = result, boxes
        if _well_read(sparse) > _well_read(result):
            result, boxes = OcrText(sparse.text, sparse.head, sparse.confidence, result.rotated), sparse_boxes
    stamps = _turned_text(read, boxes, left) if _readable(result) else []
    return _with_stamps(result, stamps)


def _with_stamps(result: OcrText, stamps: list[str]) -> OcrText:
    if not stamps:
        return result
    return OcrText("\n".join([result.text, *stamps]), result.head, result.confidence, result.rotated)


def _read_drawing(
    page: bytes, first: OcrText, boxes: list[Box], erased: bytes, left: Callable[[], float]
) -> tuple[OcrText, list[Box]]:
    """Read a drawing's labels and dimensions as sparse text, without its walls and dimension lines.

    Dimensions sit on or against lines that hide them from the page analysis ("397", "187,5"); once the
    long strokes are erased they stand alone. Those written along vertical walls are read with the page
    turned either way (a drawing's text runs both ways; no orientation check is worth its time here).
    Each reading holds what the others miss: they are joined, the page's first reading first.
    """
    result = first
    # The page as it is (large labels whose letters' stems are as long as the strokes erased), then erased.
    for view, turn in ((page, 0), (erased, 0), *((erased, t) for t in DRAWING_TURNS)):
        try:
            sparse, sparse_boxes = _read_boxes(
                view if turn == 0 else imaging.rotate_image(view, turn),
                left(),
                SPARSE_PSM,
                SPARSE_MIN_CONFIDENCE,
            )
        except OcrFailed:  # out of time: the readings made so far are kept
            break
        result = _merged(result, sparse if turn == 0 else OcrText(sparse.text, "", sparse.confidence))
        if turn == 0:
            boxes = boxes + sparse_boxes  # upright words only: the stamp search works on the upright page
    return result, boxes


def available() -> bool:
    """Tell whether tesseract with French data is installed."""
    try:
        listed = _tesseract(["--list-langs"], 30)
    except OcrFailed:
        return False
    return LANG in {line.strip() for line in listed.splitlines()[1:]}
