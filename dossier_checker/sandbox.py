"""Parse each uploaded file in a child process with a memory limit and a wall-clock deadline.

Hostile PDFs (decompression bombs, reference loops, parser crashes in C code) can only hurt the child:
its address space is capped with RLIMIT_AS, it is killed at the file's deadline (one deadline for the
whole file, whatever its page count), it dies with the bot (PR_SET_PDEATHSIG), and whatever it does the
parent gets a value back. The child sends each page as soon as it is read, so a file cut short by its
deadline is still checked on the pages read. Children come from a forkserver that has already imported
the parsers, so starting one costs milliseconds and no thread state of the bot is ever forked.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.spawn
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from dossier_checker.extract import Extraction, PendingOcr, extract
from dossier_checker.model import FileError, Limits, Page

log = logging.getLogger(__name__)

# Numerical libraries reserve address space per thread; one thread each keeps RLIMIT_AS meaningful.
for _name in ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

_CONTEXT: Any = None
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


CHILD_NAME = "vetpharma-parse"  # the name of the parse children (and of the warm-up's child)


def _without_main(get_preparation_data: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """Wrap multiprocessing's preparation data so that our children do not import the main module.

    A child of the forkserver otherwise imports the program's ``__main__`` again before its target runs
    (the bot's command line module, or a bench importing the whole bot: seconds of a file's time, each
    file). The parse child needs nothing of it: its target and arguments come from this package.
    """

    def prepared(name: str) -> dict[str, Any]:
        data = get_preparation_data(name)
        if name.startswith(CHILD_NAME):
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
        return data

    return prepared


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["dossier_checker.sandbox"])
        spawn: Any = multiprocessing.spawn
        if not getattr(spawn.get_preparation_data, "vetpharma", False):
            spawn.get_preparation_data = _without_main(spawn.get_preparation_data)
            spawn.get_preparation_data.vetpharma = True
        _CONTEXT = context
    return _CONTEXT


_WARMING = threading.Lock()
_warm = False


def _started() -> None:
    """Run in a first child: nothing, it only shows the forkserver serves."""


def warm_up() -> None:
    """Start the parsers' forkserver and wait until it serves children.

    Its start-up (a fresh interpreter importing every parser, seconds on a loaded machine) is paid once,
    before any file's time starts: a file's budget is spent on that file.
    """
    global _warm
    if _warm:
        return
    with _WARMING:
        if _warm:
            return
        process = _context().Process(target=_started, daemon=True, name=CHILD_NAME)
        process.start()
        process.join(120)
        _warm = True


def _child(conn: Connection, limits: Limits, seconds: float) -> None:
    """Run in the child: limit ourselves, read the bytes, extract page by page, send each back."""
    die_with_parent()
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # damaged files make it chatty on stderr
    cpu = int(seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        data = conn.recv_bytes()
    except (EOFError, OSError):
        return
    sent: set[tuple[str, int]] = set()

    def emit(item: Page | PendingOcr) -> None:
        conn.send(("page" if isinstance(item, Page) else "pending", item))
        sent.add(("page" if isinstance(item, Page) else "pending", item.number))

    result: Extraction
    try:
        result = extract(data, limits, lambda count: conn.send(("pages", count)), emit)
    except MemoryError:
        result = Extraction(error=FileError("file_too_complex", "memory"))
    except RecursionError:
        result = Extraction(error=FileError("file_too_complex", "recursion"))
    except BaseException as exc:  # pdfminer and friends raise anything on damaged files
        result = Extraction(error=FileError("file_damaged", f"{type(exc).__name__}: {exc}"[:200]))
    del data
    # What was streamed already is not sent twice.
    result = replace(
        result,
        pages=tuple(p for p in result.pages if ("page", p.number) not in sent),
        pending=tuple(p for p in result.pending if ("pending", p.number) not in sent),
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        conn.send(("done", result, peak))
    except MemoryError:
        conn.send(("done", Extraction(error=FileError("file_too_complex", "memory")), peak))


def parse_file(
    data: bytes,
    limits: Limits,
    deadline: float | None = None,
    on_pending: Callable[[PendingOcr], None] | None = None,
) -> tuple[Extraction, int]:
    """Extract a file's pages in a sandboxed child until ``deadline`` (``time.monotonic()``).

    Returns the extraction and the child's peak memory. Past the deadline the child is killed: the pages
    it sent are kept (``Extraction.pages``/``pending``, with ``page_count`` when it was known), and a file
    of which nothing was read gets ``file_too_slow``. ``on_pending`` sees each page to OCR as it arrives.
    """
    deadline = deadline if deadline is not None else time.monotonic() + limits.read_seconds
    context = _context()
    parent, child = context.Pipe(duplex=True)
    seconds = max(0.0, deadline - time.monotonic())
    process = context.Process(target=_child, args=(child, limits, seconds), daemon=True, name=CHILD_NAME)
    process.start()
    child.close()
    pages: list[Page] = []
    pending: list[PendingOcr] = []
    count = 0

    def received(final: Extraction | None = None, error: FileError | None = None) -> Extraction:
        if final is not None:
            for item in final.pending:
                if on_pending is not None:
                    on_pending(item)
            extraction = replace(
                final,
                page_count=final.page_count or count,
                pages=(*pages, *final.pages),
                pending=(*pending, *final.pending),
            )
            return extraction
        if error is not None and error.code == "file_too_slow" and (pages or pending):
            error = None  # cut short: checked on the pages read, the others named as unread
        return Extraction(page_count=count, pages=tuple(pages), pending=tuple(pending), error=error)

    # The bytes go to the child from a thread: a child slow to start on a loaded machine (a large file
    # fills the pipe until the child reads it) is still killed at the deadline, not waited for.
    sending = threading.Thread(target=_send, args=(parent, data), name="sandbox-send", daemon=True)
    try:
        sending.start()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not parent.poll(remaining):
                peak = _peak_memory(process.pid)  # read before the kill: the bench's worst memory is true
                process.kill()
                return received(error=FileError("file_too_slow", f"{limits.file_seconds:g}")), peak
            try:
                message = parent.recv()
            except (EOFError, OSError, MemoryError):
                process.join(2)
                if process.exitcode in (-6, -9):
                    # What a C allocation failing under RLIMIT_AS ends in: an abort, or a kill.
                    reason = FileError("file_too_complex", _exit_reason(process.exitcode))
                else:
                    reason = FileError("file_crashed_parser", _exit_reason(process.exitcode))
                return Extraction(page_count=count, error=reason), 0
            if message[0] == "pages":
                count = int(message[1])
            elif message[0] == "page":
                pages.append(message[1])
            elif message[0] == "pending":
                pending.append(message[1])
                if on_pending is not None:
                    on_pending(message[1])
            else:
                _, result, peak = message
                return received(final=result), int(peak)
    finally:
        if process.is_alive():
            process.kill()
        # Reaped in the background: a child's end is reported by the forkserver, which a loaded machine may
        # not run for seconds; the file's answer does not wait for it.
        threading.Thread(target=process.join, args=(30,), name="sandbox-reap", daemon=True).start()
        if _stop_sending(parent, sending):
            parent.close()
        else:  # never close a descriptor a thread still writes to: its number could be reused by another file
            log.error("a parse child's pipe stays open: its sender did not stop")


def _send(connection: Connection, data: bytes) -> None:
    """Send the file's bytes to the child; a child already gone (killed, crashed) is told by the reader."""
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        connection.send_bytes(data)


def _stop_sending(connection: Connection, sending: threading.Thread) -> bool:
    """Stop the thread sending a file's bytes (its child is gone); True once it has ended."""
    if sending.is_alive():
        # Still blocked writing to a child that will never read: shutting the socket down ends the write.
        with contextlib.suppress(OSError), socket.socket(fileno=os.dup(connection.fileno())) as pipe:
            pipe.shutdown(socket.SHUT_RDWR)
        sending.join(5)
    return not sending.is_alive()


def _peak_memory(pid: int | None) -> int:
    """Return a living child's peak resident memory in bytes (Linux; 0 elsewhere or when gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "unknown"
    if code < 0:
        return {-9: "killed (memory)", -11: "segmentation fault", -24: "CPU time limit", -6: "abort"}.get(
            code, f"signal {-code}"
        )
    return f"exit code {code}"
