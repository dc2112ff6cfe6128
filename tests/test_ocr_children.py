"""No tesseract outlives what it works for: the bot's death (kill -9), the file's answer, or its parse child's
death."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from dossier_checker import check, ocr
from dossier_checker.model import InputFile, Limits

pytestmark = pytest.mark.skipif(not ocr.available(), reason="tesseract with French data is not installed")
ROOT = Path(__file__).resolve().parents[1]


def _page(seed: int = 0, size: int = 16) -> Image.Image:
    """A large picture of a printed page: tesseract takes seconds on it (tens of seconds in large type)."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    for row in range(3300 // (size + 6)):
        line = (
            f"Ligne {row + seed} du bail commercial entre les parties, article {row % 64}, loyer {row} euros"
        )
        draw.text((100, 40 + row * (size + 6)), line, 0, font=font)
    return image


def _png(size: int = 16) -> bytes:
    out = io.BytesIO()
    _page(size=size).save(out, "PNG")
    return out.getvalue()


def _scanned_pdf(pages: int) -> bytes:
    out = io.BytesIO()
    first, *others = [_page(n) for n in range(pages)]
    first.save(out, "PDF", resolution=300, save_all=True, append_images=others)
    return out.getvalue()


def _processes() -> dict[int, tuple[int, str, str]]:
    """Return every process as pid -> (parent pid, name, state)."""
    found: dict[int, tuple[int, str, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            fields = tail.split()
            found[int(entry.name)] = (int(fields[1]), head.split("(", 1)[1], fields[0])
    return found


def _descendants(pid: int, processes: dict[int, tuple[int, str, str]]) -> dict[int, int]:
    """Return the living descendants of ``pid`` as pid -> depth (1: its children)."""
    found: dict[int, int] = {}
    todo = [(pid, 0)]
    while todo:
        parent, depth = todo.pop()
        for child, (ppid, _, state) in processes.items():
            if ppid == parent and child not in found and state != "Z":
                found[child] = depth + 1
                todo.append((child, depth + 1))
    return found


def _reading(pid: int) -> bool:
    """Tell whether a process is tesseract reading a page (not telling its languages)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"tesseract" in command and b"stdout" in command


def _tesseracts(pids: set[int] | None = None, under: int | None = None) -> set[int]:
    """Return the tesseract runs reading a page among ``pids``, or among the descendants of ``under``."""
    processes = _processes()
    if under is not None:
        pids = set(_descendants(under, processes))
    return {
        p
        for p in pids or ()
        if p in processes and processes[p][1] == "tesseract" and processes[p][2] != "Z" and _reading(p)
    }


def _living(pids: set[int]) -> set[int]:
    """Return those of ``pids`` still running (a zombie waiting for its reaper is not)."""
    processes = _processes()
    return {p for p in pids if p in processes and processes[p][2] != "Z"}


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_kill_9_of_the_bot_during_ocr_leaves_no_tesseract_running(tmp_path: Path) -> None:
    # The bot's process reads a scan with time to spare (120 s a file, 30 s a tesseract run); it is killed
    # while tesseract works. tesseract must die with it, not run to its own timeout.
    scan = tmp_path / "bail.png"
    scan.write_bytes(_png(size=22))
    script = textwrap.dedent(
        f"""
        from dossier_checker import check
        from dossier_checker.model import InputFile, Limits
        check.read_file(InputFile("bail.png", open({str(scan)!r}, "rb").read()), Limits(file_seconds=120))
        """
    )
    bot = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp_path)}
    )
    try:
        assert _wait_for(lambda: _tesseracts(under=bot.pid), 120), "tesseract never started"
        # Past its first second: a run that has written its first words to stderr no longer dies of the
        # broken pipe when the bot is gone; it runs on unless tied to the bot's death.
        time.sleep(1.5)
        running = _tesseracts(under=bot.pid)
        assert running
        family = set(_descendants(bot.pid, _processes()))  # the forkserver, tesseract, any parse child
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        assert _wait_for(lambda: not _tesseracts(running), 3), "tesseract outlived the bot"
        assert _wait_for(lambda: not _living(family), 10), "a child outlived the bot"
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()


def _watch_tesseracts(seen: set[int], stop: threading.Event) -> None:
    while not stop.is_set():
        seen |= _tesseracts(under=os.getpid())
        time.sleep(0.02)


def test_a_file_answered_at_its_deadline_leaves_no_tesseract_running() -> None:
    seen: set[int] = set()
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_tesseracts, args=(seen, stop), daemon=True)
    watcher.start()
    try:
        # Reading stops at 7.5 s: time to start on a busy machine, never to read fifteen full pages (one took
        # 2-7 s, a single page was sometimes read whole in time on a quiet machine).
        result = check.read_file(InputFile("bail.pdf", _scanned_pdf(15)), Limits(file_seconds=10))
        left = _tesseracts(seen | _tesseracts(under=os.getpid()))
    finally:
        stop.set()
        watcher.join()
    assert seen, "tesseract never ran"
    # Cut while tesseract read it: the file is refused as too slow, or checked on the pages read before then.
    cut = result.error is not None and result.error.code == "file_too_slow"
    assert cut or result.unread_pages, result
    assert left == set()


def test_kill_9_of_the_parse_child_during_ocr_leaves_no_tesseract_running() -> None:
    # A long scan: the parse child renders its pages while tesseract reads the first ones. The child is
    # killed; the file is answered (on the pages read, or with its sentence), and no tesseract is left.
    killed: list[int] = []
    seen: set[int] = set()
    stop = threading.Event()

    def kill_the_parse_child() -> None:
        while not stop.is_set():
            processes = _processes()
            family = _descendants(os.getpid(), processes)
            tesseracts = {p for p in family if processes[p][1] == "tesseract" and _reading(p)}
            seen.update(tesseracts)
            parse = [p for p, depth in family.items() if depth == 2 and processes[p][1] != "tesseract"]
            if tesseracts and parse and not killed:
                os.kill(parse[0], signal.SIGKILL)  # a child of the forkserver: the file's parse child
                killed.append(parse[0])
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_parse_child, daemon=True)
    killer.start()
    try:
        result = check.read_file(InputFile("bail.pdf", _scanned_pdf(12)), Limits(file_seconds=60))
        left = _tesseracts(seen | _tesseracts(under=os.getpid()))
    finally:
        stop.set()
        killer.join()
    assert killed, "the parse child was never seen at work beside tesseract"
    assert result.error is not None  # answered with its sentence at once, not after the pages in hand
    assert left == set()
