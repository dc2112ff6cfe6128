"""Parse each uploaded file in a child process with a memory limit and a wall-clock timeout.

Hostile PDFs (decompression bombs, reference loops, parser crashes in C code) can only hurt the child:
its address space is capped with RLIMIT_AS, it is killed when it overruns its time, and whatever it
does the parent gets a value back. Children come from a forkserver that has already imported the
parsers, so starting one costs milliseconds and no thread state of the bot is ever forked.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

from dossier_checker.extract import Extraction, extract
from dossier_checker.model import FileError, Limits

# Numerical libraries reserve address space per thread; one thread each keeps RLIMIT_AS meaningful.
for _name in ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

_CONTEXT: Any = None


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["dossier_checker.sandbox"])
        _CONTEXT = context
    return _CONTEXT


def _child(conn: Connection, limits: Limits) -> None:
    """Run in the child: limit ourselves, read the bytes, extract, send the result back."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # damaged files make it chatty on stderr
    cpu = int(limits.open_timeout + max(limits.page_timeout * limits.max_pages, limits.pages_floor)) + 10
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        data = conn.recv_bytes()
    except (EOFError, OSError):
        return
    result: Extraction
    try:
        result = extract(data, limits, lambda count: conn.send(("pages", count)))
    except MemoryError:
        result = Extraction(error=FileError("file_too_complex", "memory"))
    except RecursionError:
        result = Extraction(error=FileError("file_too_complex", "recursion"))
    except BaseException as exc:  # pdfminer and friends raise anything on damaged files
        result = Extraction(error=FileError("file_damaged", f"{type(exc).__name__}: {exc}"[:200]))
    del data
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        conn.send(("done", result, peak))
    except MemoryError:
        conn.send(("done", Extraction(error=FileError("file_too_complex", "memory")), peak))


def parse_file(data: bytes, limits: Limits) -> tuple[Extraction, int]:
    """Extract a file's pages in a sandboxed child; return the extraction and the child's peak memory."""
    context = _context()
    parent, child = context.Pipe(duplex=True)
    process = context.Process(target=_child, args=(child, limits), daemon=True)
    process.start()
    child.close()
    try:
        try:
            parent.send_bytes(data)
        except (BrokenPipeError, OSError):
            return Extraction(error=FileError("file_crashed_parser", "child ended early")), 0
        deadline = time.monotonic() + limits.open_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not parent.poll(remaining):
                process.kill()
                return Extraction(error=FileError("file_too_slow", f"{limits.open_timeout:.0f}")), 0
            try:
                message = parent.recv()
            except (EOFError, OSError, MemoryError):
                process.join(2)
                if process.exitcode in (-6, -9):
                    # What a C allocation failing under RLIMIT_AS ends in: an abort, or a kill.
                    return Extraction(error=FileError("file_too_complex", _exit_reason(process.exitcode))), 0
                return Extraction(error=FileError("file_crashed_parser", _exit_reason(process.exitcode))), 0
            if message[0] == "pages":
                pages = max(limits.page_timeout * int(message[1]), limits.pages_floor)
                deadline = time.monotonic() + limits.open_timeout + pages
                continue
            _, result, peak = message
            return result, int(peak)
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "unknown"
    if code < 0:
        return {-9: "killed (memory)", -11: "segmentation fault", -24: "CPU time limit", -6: "abort"}.get(
            code, f"signal {-code}"
        )
    return f"exit code {code}"
