"""A file's time is a hard bound: the answer comes at its deadline, whatever is still running for it
(a page being read by OCR, a parse child slow to take its bytes)."""

from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image, ImageDraw

from dossier_checker import budget, check, ocr
from dossier_checker.model import FileResult, InputFile, Limits, Page


def _printed_page() -> bytes:
    """A small photo of a printed page (enough ink to be sent to OCR)."""
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    for row in range(40):
        draw.rectangle((100, 80 + row * 40, 1100, 100 + row * 40), fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_file_is_answered_at_its_deadline_while_its_page_is_still_being_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An OCR run that ignores the deadline (a reader stuck in image work): the file must not wait for it.
    release, reading = threading.Event(), threading.Event()
    ocr_ended: list[float] = []

    def stuck_reading(
        image: bytes, timeout: float = 30.0, deadline: float | None = None, runs: ocr.Runs | None = None
    ) -> ocr.OcrText:
        reading.set()
        release.wait(30)
        ocr_ended.append(time.monotonic())
        raise ocr.OcrFailed("stuck")

    monkeypatch.setattr(ocr, "read_page", stuck_reading)
    monkeypatch.setattr(check, "_ocr_available", lambda: True)
    timer = threading.Timer(15.0, release.set)  # frees the stuck reader (and an old checker waiting on it)
    timer.start()
    try:
        result = check.read_file(InputFile("scan.png", _printed_page()), Limits(file_seconds=5))
        answered = time.monotonic()
    finally:
        release.set()
        timer.cancel()
    for _ in range(100):
        if ocr_ended:
            break
        time.sleep(0.05)
    assert (
        reading.is_set() and ocr_ended and answered < ocr_ended[0]
    )  # the answer did not wait for the page in hand
    assert result.error is not None and result.error.code == "file_too_slow"
    assert result.error.detail == "5"  # told with the real limit


def test_children_killed_before_taking_their_bytes_leave_no_sender_writing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Several large files at once, each cut before its child has read it: the thread sending the bytes must
    # end before the pipe is closed (a descriptor closed under a writer is reused by the next file's pipe).
    from concurrent.futures import ThreadPoolExecutor

    from dossier_checker.sandbox import parse_file, warm_up

    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    warm_up()
    large = b"%PDF-1.4\n" + b"\0" * (19 * 2**20)

    def cut(index: int) -> str | None:
        extraction, _ = parse_file(large, Limits(file_seconds=0.02 * (index % 5 + 1)))
        return extraction.error.code if extraction.error is not None else None

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(cut, range(24)))
    assert set(codes) <= {"file_too_slow", "file_damaged", "file_truncated"}
    assert failures == []
    assert not [t for t in threading.enumerate() if t.name == "sandbox-send"]


def _read(seconds: float, pages: int, chars: int = 10_000) -> FileResult:
    text = ("article " * (chars // 8))[:chars]
    return FileResult(
        name="long.pdf",
        pages=tuple(Page(n, text, "", "text") for n in range(1, pages + 1)),
        page_count=pages + 2,
        unread_pages=(pages + 1, pages + 2),
        seconds=seconds,
    )


def test_pages_whose_classification_would_pass_the_files_time_are_named_unread() -> None:
    # 1 µs a character: a page of 10,000 characters costs 12.5 ms with the margin; 15 s - 5 s read leaves 9.8 s.
    pace = budget.Pace(seconds_per_char=1e-6)
    limits = Limits(file_seconds=15)
    assert budget.fit(_read(5.0, 4), limits, pace) == _read(5.0, 4)  # 4 pages of 12.5 ms: all kept
    slow = budget.Pace(seconds_per_char=200e-6)  # 2.5 s a page: 3 pages fit in the 9.8 s left
    cut = budget.fit(_read(5.0, 6), limits, slow)
    assert [p.number for p in cut.pages] == [1, 2, 3] and cut.error is None
    assert cut.unread_pages == (4, 5, 6, 7, 8)  # with the pages the reading did not reach
    nothing = budget.fit(_read(14.0, 3), limits, slow)
    assert nothing.pages == () and nothing.error is not None and nothing.error.code == "file_too_slow"
    assert nothing.error.detail == "15"  # told with the file's whole time


def test_the_pace_rises_at_once_and_falls_slowly() -> None:
    pace = budget.Pace(seconds_per_char=10e-6)
    pace.observe(100, 1.0)  # too short a text to measure anything
    assert pace.seconds_per_char == 10e-6
    pace.observe(10_000, 1.0)  # 100 µs a character: taken at once
    assert pace.seconds_per_char == pytest.approx(100e-6)
    pace.observe(10_000, 0.0)
    pace.observe(10_000, 0.1)  # 10 µs a character: a fifth of the way
    assert pace.seconds_per_char == pytest.approx(82e-6)
