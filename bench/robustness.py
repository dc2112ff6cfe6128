"""Robustness figures: both hostile corpora through the checker's fair pool, and fuzzed messages through
the core.

    .venv/bin/python bench/robustness.py [--corpus bad-pdfs|hostile-2|office-bombs|all] [--sample N] [--fuzz N]
                                         [--hostile-users N]

Corpora: the two archives of ../shared/corpora, and DOCX/ODT/HEIC bombs crafted by tests/office_bombs.py.
Per corpus: files, outcomes (read, read with pages left unread, or each error sentence's code), worst
wall time per file (from a worker taking it to its report, as the bot checks it: parse and OCR, classification,
the report), how long after the reading's deadline the reports of the files cut there came (what
``file_reserve_seconds`` is for), worst parse-child memory, and the delay seen by a concurrent user's valid
upload (from its submission to the moment a worker starts it, on the same pool of workers while the corpus
is being checked for ``--hostile-users`` other users, two by default: the files are dealt to them in turn).
Then the fuzz figures: messages sent through the real core (24 users on several transport keys),
internal-error replies, escaped exceptions, latency percentiles, and the slowest messages.
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
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import LimitsSettings  # noqa: E402
from dossier_checker.check import check_files  # noqa: E402
from dossier_checker.model import FileResult, InputFile, Limits  # noqa: E402
from dossier_checker.pool import FairPool  # noqa: E402
from dossier_checker.report import report_dict  # noqa: E402
from dossier_checker.sandbox import warm_up  # noqa: E402
from dossier_checker.spec import load_specs  # noqa: E402
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


@dataclass(frozen=True)
class Checked:
    """One file checked as the bot checks it, and its wall time from a worker taking it to its report."""

    result: FileResult
    wall: float


def check_one(pool: FairPool, limits: Limits, owner: str, name: str, data: bytes) -> Checked:
    """Check one file as the bot does (the shared pool, then the report); time it from its start to its report."""
    report = check_files("opening", {}, [InputFile(name, data)], limits, pool=pool, owner=owner, cross=False)
    report_dict(report, "fr")
    ended = time.monotonic()
    started = next(s.at for s in reversed(pool.started) if s.owner == owner and s.label == name)
    return Checked(report.files[0], ended - started)


def _read(path: Path, limits: Limits) -> bytes:
    """Return a file's bytes as an upload would bring them (a file over the size limit: one byte more)."""
    with path.open("rb") as handle:
        return handle.read(limits.max_bytes + 1)


def run_corpus(name: str, files: list[Path], limits: Limits, workers: int, hostile_users: int) -> None:
    """Check every file as hostile users while another user uploads a valid PDF every few seconds."""
    pool = FairPool(workers)
    valid = text_pdf(*DIPLOMA_LINES)
    checked: list[Checked] = []
    done = threading.Event()
    delays: list[float] = []
    valid_times: list[float] = []
    valid_errors: list[str] = []  # the valid upload refused (out of time on a loaded machine)

    def valid_user() -> None:
        count = 0
        while not done.is_set():
            count += 1
            submitted = time.monotonic()
            one = check_one(pool, limits, "valid-user", f"diplome-{count}.pdf", valid)
            started = next(s.at for s in reversed(pool.started) if s.label == f"diplome-{count}.pdf")
            delays.append(started - submitted)
            valid_times.append(time.monotonic() - submitted)
            if one.result.error is not None:
                valid_errors.append(one.result.error.code)
            done.wait(VALID_EVERY)

    watcher = threading.Thread(target=valid_user, daemon=True)
    started = time.monotonic()
    watcher.start()
    # Each hostile user keeps files waiting in the checker's queue, as one sending several at once.
    senders = ThreadPoolExecutor(max_workers=2 * hostile_users, thread_name_prefix="hostile")
    futures = [
        senders.submit(
            lambda i=i, p=p: check_one(
                pool, limits, f"hostile-user-{i % hostile_users}", str(p), _read(p, limits)
            )
        )
        for i, p in enumerate(files)
    ]
    budget = limits.file_seconds
    for future in as_completed(futures):
        checked.append(future.result())
        if len(checked) % PROGRESS_EVERY == 0 and len(checked) < len(futures):
            print(
                f"  {name}: {len(checked)}/{len(futures)} files checked in {time.monotonic() - started:.0f} s; "
                f"worst {max(c.wall for c in checked):.1f} s, over {budget:g} s: "
                f"{sum(c.wall > budget for c in checked)}, worst child memory "
                f"{max(c.result.peak_memory_bytes for c in checked) / 2**20:.0f} MiB; valid upload delay worst "
                f"{max(delays, default=0.0):.2f} s; load {_load()}",
                flush=True,
            )
    senders.shutdown()
    done.set()
    watcher.join()
    pool.close()
    report(name, checked, limits, workers, hostile_users, time.monotonic() - started)
    if delays:
        print(
            f"concurrent valid upload: {len(delays)} uploads, delay before start median "
            f"{statistics.median(delays):.2f} s, worst {max(delays):.2f} s; whole check median "
            f"{statistics.median(valid_times):.2f} s, worst {max(valid_times):.2f} s; not read: {len(valid_errors)}"
            + (f" ({', '.join(sorted(set(valid_errors)))})" if valid_errors else "")
        )


def report(
    name: str, checked: list[Checked], limits: Limits, workers: int, hostile_users: int, elapsed: float
) -> None:
    """Print a corpus's figures: outcomes, worst wall time and what it was spent on, worst child memory."""
    budget = limits.file_seconds
    outcomes = Counter(outcome(c.result) for c in checked)
    worst = max(checked, key=lambda c: c.wall)
    hungriest = max(checked, key=lambda c: c.result.peak_memory_bytes)
    print(
        f"\n== {name}: {len(checked)} files from {hostile_users} user(s) in {elapsed:.0f} s on {workers} workers"
        f" (machine load average at the end: {_load()})"
    )
    print("outcomes: " + ", ".join(f"{code} {n}" for code, n in outcomes.most_common()))
    print(
        f"worst wall time per file, from a worker taking it to its report: {worst.wall:.2f} s "
        f"({Path(worst.result.name).name}; limit {budget:g} s, reading stopped at {limits.read_seconds:g} s)"
    )
    over = [c for c in checked if c.wall > budget]
    print(
        f"files over {budget:g} s: {len(over)}"
        + "".join(
            f"; {Path(c.result.name).name} {c.wall:.2f} s" for c in sorted(over, key=lambda c: -c.wall)[:5]
        )
    )
    # What the reserve is for: the time from the reading's deadline to the report, for the files cut there.
    late = sorted(c.wall - limits.read_seconds for c in checked if c.result.seconds >= limits.read_seconds)
    after = sorted(c.wall - c.result.seconds for c in checked)  # from the reading's end to the report
    print(
        f"files cut at the reading deadline: {len(late)}; their report came after it by at most "
        f"{max(late, default=0.0):.2f} s (reserve {budget - limits.read_seconds:g} s); from any file's reading to its "
        f"report: median {statistics.median(after):.2f} s, worst {after[-1]:.2f} s"
    )
    print(
        f"worst child memory: {hungriest.result.peak_memory_bytes / 2**20:.0f} MiB "
        f"({Path(hungriest.result.name).name}; limit {limits.memory_bytes / 2**20:.0f} MiB)"
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
    slowest: list[tuple[float, int, str, str]] = []  # seconds, message number, user, text (the 5 slowest)
    failures: list[str] = []
    escaped = 0
    with tempfile.TemporaryDirectory() as folder:
        core = make_helpdesk(
            Path(folder), Clock(), staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",)
        )
        # As the bot does at start-up (in the background): the language models load before any message is
        # timed. Cold, the first question and the first message in another language wait for them (20-30 s on
        # a loaded machine: the 26.4 s max seen once was that).
        warming = time.perf_counter()
        core.questions.warm_up()
        print(f"\n(fuzz: models loaded in {time.perf_counter() - warming:.1f} s before the first message)")
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
                    slowest.append((latencies[-1], len(latencies), users[user].user, text))
                    slowest.sort(key=lambda item: -item[0])
                    del slowest[5:]
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
    for seconds, number, user, text in slowest:
        shown = repr(text[:70]) + (f" (+{len(text) - 70} characters)" if len(text) > 70 else "")
        print(f"  slow: message {number} from {user}, {seconds * 1000:.0f} ms: {shown}")
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
    limits = Limits(file_seconds=defaults.file_seconds, reserve_seconds=defaults.file_reserve_seconds)
    print(
        f"limits: {limits.file_seconds:g} s per file from its start to its report (reading, parse and OCR, stopped at "
        f"{limits.read_seconds:g} s), {limits.memory_bytes / 2**20:.0f} MiB per "
        f"parse child, {limits.max_pages} pages, {limits.max_image_pixels / 1e6:.0f} Mpx, "
        f"{defaults.check_workers} checker workers; machine load average at the start: {_load()}"
    )
    every = [OFFICE_BOMBS, *CORPORA]  # the small corpora first
    warm_up()  # the parsers' server starts before any file's time, and the specs are read, as the bot does
    load_specs()
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
