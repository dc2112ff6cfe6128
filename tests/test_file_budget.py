"""A file's time is a hard bound: the answer comes at its deadline, whatever is still running for it
(a page being read by OCR, a parse child slow to take its bytes)."""

from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image, ImageDraw

from dossier_checker import check, ocr
from dossier_checker.model import InputFile, Limits


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
