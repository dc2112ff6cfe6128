"""Join photos of one multi-page document: consecutive image files whose content continues become one file.

A phone user photographs a three-page statute as three pictures (a Telegram album, photos sent in a row,
``check p1.jpg p2.jpg p3.jpg``). Judged one by one, page 2 has no title and page 1 lacks the clauses on
page 3. Here a run of consecutive single-page images is read as one file and cut into documents by the
classifier's own segmentation: pictures that fall in one document are joined, in the order given, into one
``FileResult`` named after its parts, its pages numbered in that order; pictures that open a new document
stay apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from dossier_checker.model import FileResult, Page

IMAGE_FORMATS = frozenset({"jpeg", "png", "tiff", "heif"})
JOIN = " + "  # between the names of the pictures of one document

Segmenter = Callable[[str, Sequence[Page]], Sequence[Sequence[int]]]  # pages -> page numbers per document


def _is_photo(result: FileResult) -> bool:
    return (
        result.error is None
        and result.format in IMAGE_FORMATS
        and len(result.pages) == 1
        and bool(result.pages[0].text.strip())
    )


def group_photos(results: Sequence[FileResult], segment: Segmenter) -> list[FileResult]:
    """Join runs of consecutive photos whose content continues; keep every other file as it is."""
    grouped: list[FileResult] = []
    run: list[FileResult] = []
    for result in (*results, None):
        if result is not None and _is_photo(result):
            run.append(result)
            continue
        grouped += _join_run(run, segment)
        run = []
        if result is not None:
            grouped.append(result)
    return grouped


def _join_run(run: list[FileResult], segment: Segmenter) -> list[FileResult]:
    if len(run) < 2:
        return list(run)
    pages = [replace(r.pages[0], number=i + 1) for i, r in enumerate(run)]
    owner: dict[int, int] = {}  # page number -> document index
    for index, numbers in enumerate(segment(JOIN.join(r.name for r in run), pages)):
        for number in numbers:
            owner[number] = index
    joined: list[FileResult] = []
    start = 0
    for i in range(1, len(run) + 1):
        if i < len(run) and owner.get(i + 1, -1 - i) == owner.get(i, -2 - i):
            continue  # picture i+1 continues the document of picture i
        joined.append(_join(run[start:i]))
        start = i
    return joined


def _join(parts: list[FileResult]) -> FileResult:
    if len(parts) == 1:
        return parts[0]
    pages = tuple(replace(p.pages[0], number=i + 1) for i, p in enumerate(parts))
    return FileResult(
        name=JOIN.join(p.name for p in parts),
        pages=pages,
        page_count=len(parts),
        ocr_pages=sum(p.ocr_pages for p in parts),
        peak_memory_bytes=max(p.peak_memory_bytes for p in parts),
        seconds=sum(p.seconds for p in parts),
        format=parts[0].format,
        parts=tuple(p.name for p in parts),
    )
