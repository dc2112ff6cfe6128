"""Robustness figures: both hostile corpora through the checker's fair pool, and fuzzed messages through
the core.

    .venv/bin/python bench/robustness.py [--corpus bad-pdfs|hostile-2|office-bombs|all] [--sample N] [--fuzz N]
                                         [--hostile-users N]

Corpora: the two archives of ../shared/corpora, and DOCX/ODT/HEIC bombs crafted by tests/office_bombs.py.
Per corpus: files, outcomes (read, read with pages left unread, or each error sentence's code), worst
wall time per file (parsing and OCR), worst parse-child memory, and the delay seen by a concurrent user's
valid upload (from its submission to the moment a worker starts it, on the same pool of workers while the
corpus is being read by ``--hostile-users`` other users, two by default: the files are dealt to them in turn). Then the fuzz figures: messages sent through the real core (24
users on several transport keys), internal-error replies, escaped exceptions, and latency percentiles.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import LimitsSettings  # noqa: E402
from dossier_checker.check import read_file  # noqa: E402
from dossier_checker.model import FileResult, InputFile, Limits  # noqa: E402
from dossier_checker.pool import FairPool  # noqa: E402
from dossier_checker.sandbox import warm_up  # noqa: E402
from tests import office_bombs  # noqa: E402
from tests.transcript import DIPLOMA_LINES, text_pdf  # noqa: E402

CORPORA = {
    "bad-pdfs": ROOT.parent / "shared" / "corpora" / "bad-pdfs.tar.xz",
    "hostile-2": ROOT.parent / "shared" / "corpora" / "hostile-2.tar.xz",
}
OFFICE_BOMBS = "office-bombs"  # crafted on the spot by tests/office_bombs.py (DOCX, ODT, HEIC)
PROGRESS_EVERY = 50  # files between two progress lines (a long run stopped early still has its figures)
VALID_EVERY = 3.0  # seconds between the concurrent user's valid uploads


def unpack(archive: Path, target: Path) -> list[Path]:
    """Unpack a corpus; return its files (README and MANIFEST left out)."""
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return sorted(p for p in target.rglob("*") if p.is_file() and p.name not in {"README.md", "MANIFEST.tsv"})


def outcome(result: FileResult) -> str:
    """Name what became of a file: read, read in part, or its error code."""
    if result.error is not None:
        return result.error.code
    return "read, pages left unread" if result.unread_pages else "read"


def _load() -> str:
    """Return the machine's load averages over 1, 5 and 15 minutes (the bench runs on shared machines)."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def run_corpus(name: str, files: list[Path], limits: Limits, workers: int, hostile_users: int) -> None:
    """Read every file as hostile users while another user uploads a valid PDF every few seconds."""
    pool = FairPool(workers)
    valid = text_pdf(*DIPLOMA_LINES)
    results: list[FileResult] = []
    done = threading.Event()
    delays: list[float] = []
    valid_times: list[float] = []
    valid_errors: list[str] = []  # the valid upload refused (out of time on a loaded machine)

    def valid_user() -> None:
        while not done.is_set():
            submitted = time.monotonic()
            future = pool.submit("valid-user", lambda: read_file(InputFile("diplome.pdf", valid), limits))
            result = future.result()
            started = next(s.at for s in reversed(pool.started) if s.owner == "valid-user")
            delays.append(started - submitted)
            valid_times.append(time.monotonic() - submitted)
            if result.error is not None:
                valid_errors.append(result.error.code)
            done.wait(VALID_EVERY)

    watcher = threading.Thread(target=valid_user, daemon=True)
    started = time.monotonic()
    watcher.start()
    futures = [
        pool.submit(
            f"hostile-user-{i % hostile_users}",
            lambda p=p: read_file(InputFile.from_path(p, limits.max_bytes), limits),
        )
        for i, p in enumerate(files)
    ]
    for future in as_completed(futures):
        results.append(future.result())
        if len(results) % PROGRESS_EVERY == 0 and len(results) < len(futures):
            slowest = max(r.seconds for r in results)
            print(
                f"  {name}: {len(results)}/{len(futures)} files read in {time.monotonic() - started:.0f} s; "
                f"worst {slowest:.1f} s, over {limits.file_seconds:g} s: "
                f"{sum(r.seconds > limits.file_seconds for r in results)}, worst child memory "
                f"{max(r.peak_memory_bytes for r in results) / 2**20:.0f} MiB; valid upload delay worst "
                f"{max(delays, default=0.0):.2f} s; load {_load()}",
                flush=True,
            )
    done.set()
    watcher.join()
    pool.close()
    elapsed = time.monotonic() - started
    outcomes = Counter(outcome(r) for r in results)
    worst = max(results, key=lambda r: r.seconds)
    hungriest = max(results, key=lambda r: r.peak_memory_bytes)
    print(
        f"\n== {name}: {len(results)} files from {hostile_users} user(s) in {elapsed:.0f} s on {workers} workers"
        f" (machine load average at the end: {_load()})"
    )
    print("outcomes: " + ", ".join(f"{code} {n}" for code, n in outcomes.most_common()))
    print(
        f"worst time per file: {worst.seconds:.1f} s ({Path(worst.name).name}; limit {limits.file_seconds:g} s)"
    )
    over = [r for r in results if r.seconds > limits.file_seconds]
    print(
        f"files over {limits.file_seconds:g} s: {len(over)}"
        + "".join(
            f"; {Path(r.name).name} {r.seconds:.2f} s" for r in sorted(over, key=lambda r: -r.seconds)[:5]
        )
    )
    print(
        f"worst child memory: {hungriest.peak_memory_bytes / 2**20:.0f} MiB ({Path(hungriest.name).name}; "
        f"limit {limits.memory_bytes / 2**20:.0f} MiB)"
    )
    if delays:
        print(
            f"concurrent valid upload: {len(delays)} uploads, delay before start median "
            f"{statistics.median(delays):.2f} s, worst {max(delays):.2f} s; whole check median "
            f"{statistics.median(valid_times):.2f} s, worst {max(valid_times):.2f} s; not read: {len(valid_errors)}"
            + (f" ({', '.join(sorted(set(valid_errors)))})" if valid_errors else "")
        )


def run_fuzz(count: int) -> None:
    """Send ``count`` seeded hostile messages through the real core and count internal errors."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from bot.i18n import t
    from bot.messages import Incoming, SessionKey
    from tests.fuzz_messages import message
    from tests.transcript import Clock, make_helpdesk

    transports = ("telegram", "matrix", "console", "test")
    users = [SessionKey(transports[i % 4], f"room-{i % 6}", f"user-{i}") for i in range(23)] + [
        SessionKey("matrix", "!staff:gouv.mc", "@agent:gouv.mc")
    ]
    internal = {t(lang, "internal_error") for lang in ("fr", "en")} | {
        t(lang, "storage_failed") for lang in ("fr", "en")
    }
    latencies: list[float] = []
    failures: list[str] = []
    escaped = 0
    with tempfile.TemporaryDirectory() as folder:
        core = make_helpdesk(
            Path(folder), Clock(), staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",)
        )
        per_example = 10

        @settings(
            max_examples=max(1, count // per_example),
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(st.tuples(st.integers(0, len(users) - 1), message), min_size=10, max_size=10))
        def send(batch: list[tuple[int, str]]) -> None:
            nonlocal escaped
            for user, text in batch:
                started = time.perf_counter()
                try:
                    replies = core.handle(Incoming(key=users[user], text=text, display_name="Fuzz"))
                except Exception:
                    escaped += 1
                    continue
                finally:
                    latencies.append(time.perf_counter() - started)
                if not replies or any(r.text in internal for r in replies):
                    failures.append(text[:60])

        send()
        core.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(
        f"\n== fuzz: {len(latencies)} messages from {len(users)} users on {len(transports)} transport keys"
        f" (machine load average at the end: {_load()})"
    )
    print(
        f"internal-error or storage-error replies (or none): {len(failures)}; escaped exceptions: {escaped}"
    )
    print(f"latency p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1] * 1000:.0f} ms")
    for text in failures[:10]:
        print(f"  failed on {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=[*CORPORA, OFFICE_BOMBS, "all", "none"], default="all")
    parser.add_argument("--sample", type=int, default=0, help="files per corpus (0: all)")
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzzed messages (0: none)")
    parser.add_argument("--hostile-users", type=int, default=2, help="users the corpus files are dealt to")
    args = parser.parse_args()
    defaults = LimitsSettings()
    limits = Limits(file_seconds=defaults.file_seconds)
    print(
        f"limits: {limits.file_seconds:g} s per file (parse and OCR), {limits.memory_bytes / 2**20:.0f} MiB per "
        f"parse child, {limits.max_pages} pages, {limits.max_image_pixels / 1e6:.0f} Mpx, "
        f"{defaults.check_workers} checker workers; machine load average at the start: {_load()}"
    )
    every = [OFFICE_BOMBS, *CORPORA]  # the small corpora first
    warm_up()  # the parsers' server starts before any file's time
    names = every if args.corpus == "all" else [] if args.corpus == "none" else [args.corpus]
    for name in names:
        archive = CORPORA.get(name)
        if archive is not None and not archive.is_file():
            print(f"\n== {name}: not found at {archive}")
            continue
        with tempfile.TemporaryDirectory() as folder:
            files = unpack(archive, Path(folder)) if archive is not None else office_bombs.write(Path(folder))
            if args.sample:
                files = sorted(random.Random(16).sample(files, min(args.sample, len(files))))
            run_corpus(name, files, limits, defaults.check_workers, max(1, args.hostile_users))
    if args.fuzz:
        run_fuzz(args.fuzz)


if __name__ == "__main__":
    main()
