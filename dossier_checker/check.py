"""Check a dossier's files: read each in a sandbox, OCR the scans, find every piece the spec requires."""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace

from dossier_checker import answer_checks, budget, classify, crosscheck, grouping, ocr
from dossier_checker.classify import Document, Kind
from dossier_checker.extract import Extraction, PendingOcr
from dossier_checker.model import (
    DossierReport,
    FileError,
    FileResult,
    InputFile,
    Limits,
    Page,
    PieceResult,
    PieceWarning,
    Status,
)
from dossier_checker.pool import FairPool
from dossier_checker.sandbox import parse_file, warm_up
from dossier_checker.spec import DossierSpec, PieceSpec, evaluate, load_spec, load_specs


def _workers(limits: Limits) -> int:
    return limits.workers or os.cpu_count() or 1


def _parse(
    file: InputFile, limits: Limits, deadline: float, on_pending: Callable[[PendingOcr], None]
) -> tuple[Extraction, int]:
    if file.byte_size == 0:
        return Extraction(error=FileError("file_empty")), 0
    if file.byte_size > limits.max_bytes:
        size, limit = f"{file.byte_size / 2**20:.1f}", f"{limits.max_bytes / 2**20:.0f}"
        return Extraction(error=FileError("file_too_big", size, limit)), 0
    try:
        return parse_file(file.data, limits, deadline, on_pending)
    except Exception as exc:  # the sandbox itself failed (no processes left?): this file only
        return Extraction(error=FileError("file_crashed_parser", type(exc).__name__)), 0


BLANK_INK = 0.0015  # share of dark pixels under which a page is blank (or a few specks)


def _ocr_page(pending: PendingOcr, limits: Limits, deadline: float, runs: ocr.Runs) -> Page | None:
    """OCR one page image; None when the file's time ran out before it was read."""
    if pending.image.ink < BLANK_INK:
        return Page(pending.number, "", "", "none", lines=pending.image.lines)
    try:
        result = ocr.read_page(pending.image.data, limits.ocr_timeout, deadline, runs)
    except ocr.OcrFailed:
        if time.monotonic() >= deadline - 0.5:
            return None
        return Page(pending.number, "", "", "none", lines=pending.image.lines)
    return Page(
        number=pending.number,
        text=result.text,
        head=result.head,
        source="ocr",
        lines=pending.image.lines,
        ocr_confidence=round(result.confidence, 1),
    )


def _merge_pages(pages: Sequence[Page]) -> list[Page]:
    """Order pages by number; a page read both ways (a drawing with outlined labels) keeps both texts."""
    merged: dict[int, Page] = {}
    for page in pages:
        held = merged.get(page.number)
        if held is None:
            merged[page.number] = page
            continue
        text, ocr = (held, page) if held.source == "text" else (page, held)
        if ocr.source != "ocr":
            continue
        merged[page.number] = replace(
            text,
            text="\n".join(t for t in (text.text, ocr.text) if t),
            head="\n".join(t for t in (text.head, ocr.head) if t),
            source="ocr",
            lines=max(text.lines, ocr.lines),
            ocr_confidence=ocr.ocr_confidence,
        )
    return [merged[n] for n in sorted(merged)]


@functools.cache
def _ocr_available() -> bool:
    return ocr.available()


def _ocr_results(jobs: Iterable[Future[Page | None]]) -> tuple[list[Page], bool]:
    """Return the pages OCR read, and whether any page's reading did not end in time."""
    pages: list[Page] = []
    cut = False
    for future in jobs:
        page = future.result() if future.done() and not future.cancelled() else None
        if page is not None:
            pages.append(page)
        else:
            cut = True
    return pages, cut


def read_file(file: InputFile, limits: Limits) -> FileResult:
    """Read one file into pages within ``limits.read_seconds``: sandboxed parse, then OCR of its scans.

    Scanned pages are read by OCR as soon as the parser sends them, on ``limits.workers`` threads. Pages
    not read by the deadline are listed in ``unread_pages`` and the file is checked on the others. The
    deadline leaves ``limits.reserve_seconds`` of the file's time for what follows: the whole check of a
    file, from the moment a worker takes it to its report, stays within ``limits.file_seconds``.
    """
    warm_up()  # once per process: the parsers' start-up is no file's time
    can_ocr = _ocr_available()
    start = time.monotonic()
    deadline = start + limits.read_seconds
    pool = ThreadPoolExecutor(max_workers=_workers(limits), thread_name_prefix="ocr")
    runs = ocr.Runs()  # this file's tesseract runs, killed when its answer is given
    jobs: dict[int, Future[Page | None]] = {}
    try:

        def on_pending(pending: PendingOcr) -> None:
            if can_ocr and pending.number not in jobs:
                jobs[pending.number] = pool.submit(_ocr_page, pending, limits, deadline, runs)

        extraction, peak = _parse(file, limits, deadline, on_pending)
        if extraction.error is None:  # a file refused (its parser died) is answered at once
            wait(jobs.values(), timeout=max(0.0, deadline - time.monotonic()))
        ocr_pages, ocr_cut = _ocr_results(jobs.values())
    finally:
        # The file's time is up: pages not started are dropped, and a page still being read is not waited
        # for (its tesseract run is killed now): the file is answered now.
        pool.shutdown(wait=False, cancel_futures=True)
        runs.stop()
    error = extraction.error
    pages = _merge_pages([*extraction.pages, *ocr_pages])
    if error is None and extraction.pending and not can_ocr and not extraction.pages:
        error = FileError("ocr_unavailable")
    unread: tuple[int, ...] = ()
    out_of_time = (
        ocr_cut or time.monotonic() >= deadline or (error is not None and error.code == "file_too_slow")
    )
    if error is None and out_of_time and extraction.page_count:
        read = {p.number for p in pages}
        unread = tuple(n for n in range(1, extraction.page_count + 1) if n not in read)
        if not read:
            error, unread = FileError("file_too_slow", f"{limits.file_seconds:g}"), ()
    return FileResult(
        name=file.name,
        pages=tuple(pages),
        page_count=extraction.page_count,
        ocr_pages=sum(1 for p in ocr_pages if p.source == "ocr"),
        error=error,
        peak_memory_bytes=peak,
        unread_pages=unread,
        seconds=round(time.monotonic() - start, 2),
        format=extraction.format,
    )


def read_files(
    files: Sequence[InputFile], limits: Limits, pool: FairPool | None = None, owner: str = ""
) -> list[FileResult]:
    """Read every file into pages, one job per file on the checker's fair pool (``owner``'s queue)."""
    own = pool is None
    workers = pool or FairPool(_workers(limits))
    try:
        futures = [
            workers.submit(owner, functools.partial(read_file, f, limits), label=f.name) for f in files
        ]
        return [future.result() for future in futures]
    finally:
        if own:
            workers.close()


def _other_specs(spec: DossierSpec) -> list[DossierSpec]:
    return [s for s in load_specs().values() if s.id != spec.id]


def _evidence(document: Document, kind: str) -> str:
    score = document.scores[kind]
    parts: list[str] = []
    if score.titles:
        parts.append("« " + "», «".join(score.titles[:3]) + " »")
    if score.phrases:
        more = f" (+{len(score.phrases) - 6})" if len(score.phrases) > 6 else ""
        parts.append(", ".join(score.phrases[:6]) + more)
    if score.features:
        parts.append(", ".join(name for name, _ in score.features))
    if score.negatives:
        parts.append("− " + ", ".join(score.negatives[:3]))
    return "; ".join(parts) + f" [score {score.score:g}]"


def judge_pieces(
    spec: DossierSpec,
    conditions: Mapping[str, object],
    documents: Sequence[Document],
    kinds: Sequence[Kind],
    today: dt.date,
) -> list[PieceResult]:
    """Decide, piece by piece, whether the documents found hold it."""
    by_kind = {k.id: k for k in kinds}
    results: list[PieceResult] = []
    for piece in spec.pieces:
        results.append(_judge(piece, conditions, documents, by_kind, today))
    return results


def _judge(
    piece: PieceSpec,
    conditions: Mapping[str, object],
    documents: Sequence[Document],
    kinds: Mapping[str, Kind],
    today: dt.date,
) -> PieceResult:
    kind = piece.document_kind
    required = evaluate(piece.required_if, conditions)
    candidates = [d for d in documents if d.kind == kind]
    gaps = {id(d): classify.definition_gaps(piece, d) for d in candidates}
    present = [d for d in candidates if classify.is_present(d, kinds) and not gaps[id(d)]]
    ambiguous = [d for d in documents if d.ambiguous_with == kind]
    status: Status
    if present:
        status = Status.PRESENT
        best = max(present, key=lambda d: d.scores[kind].score)
        pages = sorted({n for d in present if d.file == best.file for n in d.numbers})
    elif (candidates or ambiguous) and not (
        kind == "plans_before_after" and classify.plans_pair(documents) is not None
    ):
        status = Status.UNCERTAIN
        best = max((*candidates, *ambiguous), key=lambda d: d.scores[kind].score)
        pages = list(best.numbers)
    else:
        return _judge_from_others(piece, required, documents, kinds)
    warnings = _warnings(piece, status, best, documents, gaps.get(id(best), []), conditions, today)
    return PieceResult(
        id=piece.id,
        label=dict(piece.label),
        article=piece.article,
        required=required,
        status=status,
        file=best.file,
        pages=tuple(pages),
        evidence=_evidence(best, kind),
        warnings=tuple(warnings),
        score=best.scores[kind].score,
        features=tuple(_features(piece, best).items()),
    )


def _warnings(
    piece: PieceSpec,
    status: Status,
    best: Document,
    documents: Sequence[Document],
    gaps: Sequence[str],
    conditions: Mapping[str, object],
    today: dt.date,
) -> list[PieceWarning]:
    """List the warnings of the document found for a piece: its rules, its definition gaps, a rival kind."""
    kind = piece.document_kind
    warnings = classify.piece_warnings(piece, best, documents, conditions, today)
    for code in gaps:
        if code not in {w.code for w in warnings}:
            warnings.append(PieceWarning(code, piece.article))
    other = best.ambiguous_with if best.kind == kind else best.kind
    if status == Status.UNCERTAIN and other:
        warnings.append(PieceWarning("warn_ambiguous", piece.article, (("other", other),)))
    return warnings


def _features(piece: PieceSpec, document: Document) -> dict[str, str]:
    """Keep what the warnings recomputed later read: names on a diploma, a company's identity."""
    kept = answer_checks.answer_features(piece, document.text)
    if piece.cross_checks:
        kept.update(crosscheck.identity_features(document.text))
    return kept


def _with_cross_warnings(
    spec: DossierSpec, pieces: Sequence[PieceResult], conditions: Mapping[str, object]
) -> list[PieceResult]:
    """Add the cross-checks between answers and documents; a doubtful registration extract is uncertain."""
    found = crosscheck.dossier_cross_warnings(
        spec, {p.id: dict(p.features) for p in pieces if p.status != "missing"}, conditions
    )
    result = []
    for piece in pieces:
        extra = found.get(piece.id, [])
        status = piece.status
        if status == Status.PRESENT and any(w.code in crosscheck.DOUBTFUL for w in extra):
            status = Status.UNCERTAIN
        result.append(replace(piece, status=status, warnings=(*piece.warnings, *extra)) if extra else piece)
    return result


def _judge_from_others(
    piece: PieceSpec, required: bool, documents: Sequence[Document], kinds: Mapping[str, Kind]
) -> PieceResult:
    """Judge a piece no document is of: minutes that appoint, two plans, or a look-alike to name."""
    kind = piece.document_kind
    result = PieceResult(piece.id, dict(piece.label), piece.article, required, Status.MISSING)
    if kind == "designation_decision":
        # Minutes that appoint someone may hold the decision: present when they name the responsible.
        for document in documents:
            if document.kind == "board_minutes" and classify.appoints(document):
                named = classify.names_responsible(document)
                return replace(
                    result,
                    status=Status.PRESENT if named else Status.UNCERTAIN,
                    file=document.file,
                    pages=document.numbers,
                    evidence=_evidence(document, "board_minutes"),
                    warnings=()
                    if named
                    else (PieceWarning("warn_designation_not_responsible", piece.article),),
                )
    if kind == "plans_before_after":
        pair = classify.plans_pair(documents)
        if pair is not None:
            before, after, labelled = pair
            pages = (
                before.numbers
                if before.file != after.file
                else tuple(sorted({*before.numbers, *after.numbers}))
            )
            return replace(
                result,
                status=Status.PRESENT if labelled else Status.UNCERTAIN,
                file=before.file,
                pages=pages,
                evidence=f"{_evidence(before, 'floor_plan')} + {after.file} p. {','.join(map(str, after.numbers))}",
                warnings=() if labelled else (PieceWarning("warn_plans_pair_unlabelled", piece.article),),
            )
    lookalikes = [
        d
        for d in documents
        if d.seems is not None
        and (d.scores[kind].has_title or d.scores[kind].score >= kinds[kind].signals.uncertain)
    ]
    if lookalikes:
        document = max(lookalikes, key=lambda d: d.scores[kind].score)
        return replace(
            result,
            file=document.file,
            pages=document.numbers,
            evidence=f"« {document.title.line if document.title else ''} »",
            warnings=(PieceWarning("warn_looks_like", piece.article, (("what", document.seems or ""),)),),
        )
    return result


def check_files(
    dossier_id: str,
    conditions: Mapping[str, object],
    files: Sequence[InputFile],
    limits: Limits | None = None,
    today: dt.date | None = None,
    pool: FairPool | None = None,
    owner: str = "",
    cross: bool = True,
) -> DossierReport:
    """Check a dossier's files against its spec: each piece present, missing or uncertain, with evidence.

    With ``pool``, files are read on that shared pool in ``owner``'s queue (served in turn with others').
    ``cross``: cross-check the documents with the conditions (the bot does it later, on stored features).
    """
    limits = limits or Limits()
    spec = load_spec(dossier_id)
    kinds = classify.known_kinds(spec, _other_specs(spec))
    file_results = grouping.group_photos(
        read_files(files, limits, pool, owner),
        lambda name, pages: [d.numbers for d in classify.segment(name, pages, kinds)],
    )
    # Each file's classification within its time: the pages it cannot afford are named unread.
    file_results = [budget.fit(result, limits) for result in file_results]
    documents: list[Document] = []
    for result in file_results:
        readable = [p for p in result.pages if p.text.strip()]
        if readable:
            started = time.monotonic()
            documents += classify.segment(result.name, readable, kinds)
            budget.PACE.observe(budget.text_chars(readable), time.monotonic() - started)
    pieces = judge_pieces(spec, conditions, documents, kinds, today or dt.date.today())
    if cross:
        pieces = _with_cross_warnings(spec, pieces, conditions)
    complete = all(p.status == "present" for p in pieces if p.required)
    return DossierReport(
        dossier=spec.id,
        conditions=dict(conditions),
        complete=complete,
        files=tuple(file_results),
        pieces=tuple(pieces),
        file_seconds=limits.file_seconds,
    )
