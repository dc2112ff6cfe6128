"""Dossier checker figures: piece accuracy and false "present" (dev and held-out fixtures), speed, memory.

    .venv/bin/python bench/check.py [--no-ocr] [--no-hostile] [--verbose]

Prints: piece accuracy and false "present" count on the dev and held-out fixture dossiers (text-layer and
scanned/photographed separately), time per text page and per OCR page (one core), the parsing worker's
peak memory, and the worst time and memory over the hostile corpus ../shared/corpora/bad-pdfs.tar.xz.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dossier_checker import ocr  # noqa: E402
from dossier_checker.check import check_files  # noqa: E402
from dossier_checker.extract import extract  # noqa: E402
from dossier_checker.model import InputFile, Limits  # noqa: E402
from tests.pdfgen.cases import Case, cases  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "bad-pdfs.tar.xz"


def evaluate(selected: list[Case], verbose: bool) -> tuple[int, int, int, int, float]:
    """Return (correct, total, false present, uncertain, seconds)."""
    correct = total = false_present = uncertain = 0
    started = time.perf_counter()
    for case in selected:
        report = check_files(case.dossier, case.conditions, [InputFile(n, d) for n, d in case.files])
        for piece in report.pieces:
            expected = case.expected[piece.id]
            total += 1
            correct += piece.status == expected
            uncertain += piece.status == "uncertain"
            if piece.status == "present" and expected != "present":
                false_present += 1
            if verbose and piece.status != expected:
                print(
                    f"    {case.name}: {piece.id} expected {expected}, got {piece.status} ({piece.evidence})"
                )
    return correct, total, false_present, uncertain, time.perf_counter() - started


def accuracy_lines(split: str, with_ocr: bool, verbose: bool) -> None:
    built = list(cases(split, ocr=with_ocr))  # type: ignore[arg-type]
    groups = {"text": [c for c in built if not c.ocr], "scan/photo": [c for c in built if c.ocr]}
    overall = [0, 0, 0, 0]
    for name, selected in groups.items():
        if not selected:
            continue
        correct, total, false_present, uncertain, seconds = evaluate(selected, verbose)
        overall = [
            overall[0] + correct,
            overall[1] + total,
            overall[2] + false_present,
            overall[3] + uncertain,
        ]
        print(
            f"{split:8} {name:10} dossiers {len(selected):3}  pieces {total:4}  accuracy {correct / total:.3f}  "
            f"false present {false_present}  uncertain {uncertain}  ({seconds:.1f} s)"
        )
    print(
        f"{split:8} {'all':10} pieces {overall[1]:4}  accuracy {overall[0] / max(1, overall[1]):.3f}  "
        f"false present {overall[2]}"
    )


def text_speed() -> None:
    from dossier_checker import classify
    from dossier_checker.spec import load_spec, load_specs

    dev = list(cases("dev", ocr=False))
    pages = 0
    extract_seconds = classify_seconds = 0.0
    for case in dev:
        spec = load_spec(case.dossier)
        kinds = classify.known_kinds(spec, [s for s in load_specs().values() if s.id != spec.id])
        for name, data in case.files:
            started = time.perf_counter()
            result = extract(data, Limits(), lambda n: None)
            middle = time.perf_counter()
            classify.segment(name, list(result.pages), kinds)
            extract_seconds += middle - started
            classify_seconds += time.perf_counter() - middle
            pages += len(result.pages)
    per_page = 1000 * (extract_seconds + classify_seconds) / pages
    print(
        f"text pages: {pages}, {per_page:.1f} ms/page in process ({1000 * extract_seconds / pages:.1f} extraction "
        f"+ {1000 * classify_seconds / pages:.1f} classification), {1000 / per_page:.0f} pages/s"
    )
    files = [InputFile(n, d) for case in dev for n, d in case.files]
    started = time.perf_counter()
    check_files("opening", {}, files)
    seconds = time.perf_counter() - started
    print(
        f"end to end, one dossier of {len(files)} files ({pages} pages), one sandboxed child per file: "
        f"{seconds:.1f} s, {1000 * seconds / pages:.1f} ms/page, {pages / seconds:.1f} pages/s"
    )
    from tests.pdfgen.render import merge

    chosen: list[bytes] = []
    total = 0
    for _, data in (f for case in dev for f in case.files):
        count = len(extract(data, Limits(), lambda n: None).pages)
        if total + count <= 50:  # under the 60-page cap
            chosen.append(data)
            total += count
    bundle = merge(chosen)
    started = time.perf_counter()
    report = check_files("transfer", {}, [InputFile("bundle.pdf", bundle)])
    seconds = time.perf_counter() - started
    count = report.files[0].page_count
    assert report.files[0].error is None, report.files[0].error
    print(
        f"end to end, one bundle of {count} text pages: {seconds:.2f} s, {1000 * seconds / count:.1f} ms/page"
    )


def ocr_speed() -> None:
    if not ocr.available():
        print("OCR: tesseract with French data is not installed")
        return
    scans = [data for case in cases("dev") if case.ocr for _, data in case.files]
    pending = [p for data in scans for p in extract(data, Limits(), lambda n: None).pending]
    times = []
    for p in pending:
        started = time.perf_counter()
        ocr.read_page(p.image.data)
        times.append(time.perf_counter() - started)
    print(
        f"OCR pages (one core, sequential): {len(times)}, mean {statistics.mean(times):.2f} s/page, "
        f"max {max(times):.2f} s, {len(times) / sum(times):.2f} pages/s"
    )


REAL = ROOT.parent / "shared" / "corpora" / "real-documents" / "documents"


def _cpu() -> float:
    """Return CPU seconds used so far by this process and its finished children (tesseract runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed_pages(
    named: list[tuple[str, bytes]], text: dict[str, list[float]], ocr_cpu: dict[str, list[float]]
) -> None:
    """Extract and OCR files in process, adding CPU seconds per page by format to ``text`` and ``ocr_cpu``."""
    for name, data in named:
        started = _cpu()
        result = extract(data, Limits(), lambda n: None)
        spent = _cpu() - started
        if result.error is not None:
            print(f"  {name}: {result.error.code}")
            continue
        kind = result.format
        parts = len(result.pages) + len(result.pending)
        if result.pages:
            held = text.setdefault(kind, [0.0, 0.0])
            held[0] += spent * len(result.pages) / parts
            held[1] += len(result.pages)
        for pending in result.pending:
            started = _cpu()
            ocr.read_page(pending.image.data)
            key = (
                "photo"
                if pending.photo
                else ("drawing, OCR on top of text" if pending.merge else f"{kind} scan")
            )
            ocr_cpu.setdefault(key, []).append(_cpu() - started + spent / parts)


def format_speed() -> None:
    """CPU time per page on one core, by format: text layers in process, OCR (render + read) per page.

    CPU seconds (this process and its tesseract children), not wall-clock: the figure holds on a busy
    machine. Real documents from ../shared/corpora/real-documents, and the scanned dev fixtures.
    """
    if not ocr.available():
        print("format speed: tesseract with French data is not installed")
        return
    for label, named in (
        ("fixtures (dev scans and photos)", [f for case in cases("dev") if case.ocr for f in case.files]),
        (
            "real documents",
            [(p.name, p.read_bytes()) for p in sorted(REAL.iterdir())] if REAL.is_dir() else [],
        ),
    ):
        text: dict[str, list[float]] = {}
        ocr_cpu: dict[str, list[float]] = {}
        _timed_pages(named, text, ocr_cpu)
        print(f"speed on {label}, CPU time on one core:")
        for kind, (seconds, pages) in sorted(text.items()):
            print(f"  text layer, {kind}: {pages:.0f} pages, {1000 * seconds / pages:.1f} ms/page")
        every = [t for times in ocr_cpu.values() for t in times]
        for kind, times in sorted(ocr_cpu.items()):
            print(
                f"  OCR, {kind}: {len(times)} pages, mean {statistics.mean(times):.2f} s/page, max {max(times):.2f} s"
            )
        if every:
            print(f"  OCR, all: {len(every)} pages, mean {statistics.mean(every):.2f} s/page")


def worker_memory() -> None:
    peaks = []
    for case in cases("dev"):
        report = check_files(case.dossier, case.conditions, [InputFile(n, d) for n, d in case.files[:2]])
        peaks += [f.peak_memory_bytes for f in report.files]
    print(f"parsing worker peak memory (fixtures): max {max(peaks) / 2**20:.0f} MiB")


def hostile() -> None:
    if not CORPUS.is_file():
        print(f"hostile corpus not found at {CORPUS}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(CORPUS) as tar:
            tar.extractall(tmp, filter="data")
        files = sorted(p for p in Path(tmp).rglob("*") if p.is_file())
        worst = (0.0, "")
        errors = readable = 0
        started_all = time.perf_counter()
        for path in files:
            started = time.perf_counter()
            report = check_files("opening", {}, [InputFile.from_path(path)])
            seconds = time.perf_counter() - started
            if seconds > worst[0]:
                worst = (seconds, path.name)
            if report.files[0].error:
                errors += 1
            else:
                readable += 1
        children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(
            f"hostile corpus: {len(files)} files in {time.perf_counter() - started_all:.0f} s, {readable} read, "
            f"{errors} with an error sentence; worst {worst[0]:.1f} s ({worst[1]}); "
            f"peak memory of any child {children_peak / 2**20:.0f} MiB (limit {Limits().memory_bytes / 2**20:.0f} MiB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--no-hostile", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    for split in ("dev", "heldout"):
        accuracy_lines(split, not args.no_ocr, args.verbose)
    text_speed()
    if not args.no_ocr:
        ocr_speed()
    format_speed()
    worker_memory()
    if not args.no_hostile:
        hostile()


if __name__ == "__main__":
    main()
