"""Join photos of one multi-page document: consecutive image files whose content continues become one file.

A phone user photographs a three-page statute as three pictures (a Telegram album, photos sent in a row,
``check p1.jpg p2.jpg p3.jpg``). Judged one by one, page 2 has no title and page 1 lacks the clauses on
page 3. Here a run of consecutive single-page images is read as one file and cut into documents by the
classifier's own segmentation; a picture joins the one before it when the segmentation keeps them in one
document *and* its content says it continues (a page number from 2 on, article numbers that go on, a
sentence cut at the page's end, or file names numbered in sequence). Separate files stay separate
documents without such evidence: a plan photographed after a statute is not its last page. Joined
pictures make one ``FileResult`` named after its parts, pages numbered in the order given.
"""

from __future__ import annotations

import re
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
        same = i < len(run) and owner.get(i + 1, -1 - i) == owner.get(i, -2 - i)
        if same and continues(run[i - 1], run[i]):
            continue  # picture i+1 continues the document of picture i
        joined.append(_join(run[start:i]))
        start = i
    return joined


MIN_LINE = 30  # characters: a line of running text, not a page number, a title or OCR specks
MAX_ARTICLE_GAP = 4  # article numbers may skip a few (a long article fills a page) and still continue
_ARTICLE = re.compile(r"\b(?:article|art\.)\s*(\d{1,3}|premier|1er)\b", re.IGNORECASE)
_PAGE_WORD = re.compile(r"\b(?:page|p\.|pag\.|pagina)\s*(\d{1,2})\b", re.IGNORECASE)
_PAGE_OF = re.compile(r"(?<![\d/.])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/.])")
_PAGE_DASHES = re.compile(r"^\s*[-–—]\s*(\d{1,2})\s*[-–—]\s*$", re.MULTILINE)
_NUMBERED_NAME = re.compile(r"^(.*?)(\d{1,4})(\D*)$")
_CAMERA_STEMS = ("img", "dsc", "pxl", "photo", "image", "scan", "whatsapp", "telegram", "signal", "capture")


def _articles(text: str) -> list[int]:
    return [1 if n.lower() in ("premier", "1er") else int(n) for n in _ARTICLE.findall(text)]


def _page_numbers(text: str) -> list[int]:
    found = [int(n) for n in _PAGE_WORD.findall(text)] + [int(n) for n in _PAGE_DASHES.findall(text)]
    found += [int(n) for n, total in _PAGE_OF.findall(text) if 1 <= int(n) <= int(total) <= 60]
    return found


def _sequel_name(first: str, second: str) -> bool:
    """Tell whether two file names are one stem numbered in sequence ("statuts-1.jpg", "statuts-2.jpg")."""
    a = _NUMBERED_NAME.match(first.replace("\\", "/").rsplit("/", 1)[-1])
    b = _NUMBERED_NAME.match(second.replace("\\", "/").rsplit("/", 1)[-1])
    if a is None or b is None or a.group(1) != b.group(1) or a.group(3) != b.group(3):
        return False
    stem = a.group(1).strip(" _-.").lower()
    if not stem or stem.startswith(_CAMERA_STEMS):
        return False  # camera counters number every picture taken, one document or not
    return int(b.group(2)) == int(a.group(2)) + 1


def continues(previous: FileResult, current: FileResult) -> bool:
    """Tell whether a picture's content goes on from the picture before it."""
    before, after = previous.pages[0].text, current.pages[0].text
    if any(n >= 2 for n in _page_numbers(after)) and not any(n >= 2 for n in _page_numbers(before)):
        return True
    if any(n >= 2 for n in _page_numbers(after)) and max(_page_numbers(after)) > max(_page_numbers(before)):
        return True
    old, new = _articles(before), _articles(after)
    if old and new and max(old) < min(new) <= max(old) + MAX_ARTICLE_GAP:
        return True
    last = before.strip().splitlines()[-1].strip() if before.strip() else ""
    first = after.strip().splitlines()[0].strip() if after.strip() else ""
    if (
        min(len(last), len(first)) >= MIN_LINE
        and (last[-1].isalpha() or last[-1] in ",-")
        and first[0].islower()
    ):
        return True  # a line of text cut mid-sentence at the bottom, going on in lower case at the top
    return _sequel_name(previous.name, current.name)


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
