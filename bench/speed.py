"""Checker speed on the real documents: CPU time per page on one core, per modality, and where it goes.

    .venv/bin/python bench/speed.py [--file PART] [--no-ocr] [--passes]

Reads every file of ../shared/corpora/real-documents in this process (no sandbox, no thread pool), with
tesseract on one thread (OMP_THREAD_LIMIT=1), and prints, per modality of the labels (text PDF, scan,
photo, other format):

- text-layer pages: milliseconds of CPU per page, extraction and classification apart (the issue's bar:
  30 ms);
- OCR pages: seconds of CPU per page (this process and its tesseract children), image preparation
  included (the issue's bar: 1.0 s), mean and worst; drawings apart.

CPU seconds, not wall-clock: the figures hold on a busy machine. ``--passes`` adds the tesseract runs per
page and the CPU they took, per kind of run (first reading, orientation, sparse, drawing, stamps).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"  # one core per page, as the checker runs it

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dossier_checker import classify, ocr  # noqa: E402
from dossier_checker.extract import extract  # noqa: E402
from dossier_checker.model import Limits  # noqa: E402
from dossier_checker.spec import load_spec, load_specs  # noqa: E402

REAL = ROOT.parent / "shared" / "corpora" / "real-documents"
OTHER_FORMATS = (".docx", ".doc", ".odt", ".rtf")
PHOTO_FORMATS = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff")


def modality(entry: dict[str, Any]) -> str:
    """Tell how a labelled file reaches the checker: text PDF, scan, photo or another format."""
    name = str(entry["file"]).lower()
    if name.endswith(OTHER_FORMATS):
        return "other"
    if name.endswith(PHOTO_FORMATS):
        return "photo"
    return "text" if entry["text_layer"] else "scan"


def cpu() -> float:
    """Return CPU seconds used so far by this process and its finished children (tesseract runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


PASSES: dict[str, list[float]] = defaultdict(list)  # kind of tesseract run -> CPU seconds of each


def _timed(kind: Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        started = cpu()
        try:
            return function(*args, **kwargs)
        finally:
            PASSES[kind(*args, **kwargs)].append(cpu() - started)

    return run


def count_passes() -> None:
    """Time each tesseract run by kind (the bench only: the checker itself is not changed)."""

    def boxes_kind(image: bytes, timeout: float, psm: int = 3, min_confidence: float = -1.0) -> str:
        return f"psm {psm}"

    ocr._read_boxes = _timed(boxes_kind, ocr._read_boxes)  # type: ignore[assignment]
    ocr._orientation = _timed(lambda *a, **k: "orientation", ocr._orientation)  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", help="only the real documents whose name contains this")
    parser.add_argument("--no-ocr", action="store_true", help="text-layer pages only")
    parser.add_argument("--passes", action="store_true", help="tesseract runs per page, by kind")
    args = parser.parse_args()
    if args.passes:
        count_passes()
    labels = json.loads((REAL / "labels.json").read_text())
    if args.file:
        labels = [e for e in labels if args.file in e["file"]]
    spec = load_spec("transfer")
    kinds = classify.known_kinds(spec, [s for s in load_specs().values() if s.id != spec.id])
    text: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # extraction, classification, pages
    read: dict[str, list[float]] = defaultdict(list)  # OCR pages: CPU seconds each
    runs = 0
    for entry in labels:
        mod = modality(entry)
        data = (REAL / entry["file"]).read_bytes()
        started = cpu()
        result = extract(data, Limits(), lambda n: None)
        spent = cpu() - started
        if result.error is not None:
            print(f"  {entry['file']}: {result.error.code}")
            continue
        parts = len(result.pages) + len(result.pending)
        if result.pages:
            started = cpu()
            classify.segment(entry["file"], list(result.pages), kinds)
            held = text[mod]
            held[0] += spent * len(result.pages) / parts
            held[1] += cpu() - started
            held[2] += len(result.pages)
        if args.no_ocr:
            continue
        for pending in result.pending:
            ocr._CACHE.clear()
            before = sum(len(t) for t in PASSES.values())
            started = cpu()
            ocr.read_page(pending.image.data)
            seconds = cpu() - started + spent / parts
            runs += sum(len(t) for t in PASSES.values()) - before
            drawing = "merge" if pending.merge else ""
            read[f"{mod}{', drawing over text' if drawing else ''}"].append(seconds)
            if seconds > 3:
                print(f"  slow page: {entry['file']} p. {pending.number}: {seconds:.2f} s")
    print(f"speed on the real documents ({len(labels)} files), CPU time on one core, per modality:")
    every_text = [0.0, 0.0]
    for mod, (extraction, classification, pages) in sorted(text.items()):
        every_text[0] += extraction + classification
        every_text[1] += pages
        print(
            f"  text layer, {mod}: {pages:.0f} pages, {1000 * (extraction + classification) / pages:.1f} ms/page "
            f"({1000 * extraction / pages:.1f} extraction + {1000 * classification / pages:.1f} classification)"
        )
    if every_text[1]:
        print(
            f"  text layer, all: {every_text[1]:.0f} pages, {1000 * every_text[0] / every_text[1]:.1f} ms/page"
        )
    for mod, times in sorted(read.items()):
        print(
            f"  OCR, {mod}: {len(times)} pages, mean {statistics.mean(times):.2f} s/page, max {max(times):.2f} s"
        )
    every = [t for times in read.values() for t in times]
    if every:
        print(f"  OCR, all: {len(every)} pages, mean {statistics.mean(every):.2f} s/page")
    if args.passes and every:
        print(f"  tesseract runs: {runs} for {len(every)} pages ({runs / len(every):.1f} a page)")
        for kind, times in sorted(PASSES.items()):
            print(
                f"    {kind}: {len(times)} runs, {sum(times):.1f} s CPU, mean {statistics.mean(times):.2f} s"
            )


if __name__ == "__main__":
    main()
