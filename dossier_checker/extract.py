"""Read an uploaded file into pages: the text layer with pdfplumber, page images for OCR with pypdfium2.

The only module that uses pdfplumber (and pdfminer, pypdfium2 under it). It runs inside the sandboxed
child process (``dossier_checker.sandbox``): everything here may meet hostile bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pdfplumber
import pypdfium2

from dossier_checker import imaging, office
from dossier_checker.model import FileError, Limits, Page

HEAD_FRACTION = 0.4  # titles sit in the top part of a page, under any letterhead
MIN_LETTERS = 40  # fewer letters than this in the text layer: the page is a scan, OCR it
OUTLINE_MIN_OBJECTS = 80  # vector objects from which a page is a drawing worth reading by OCR too...
OUTLINE_RATIO = 4  # ...when it has fewer letters than a quarter of its objects
JUNK_WORDLIKE = 0.35  # a text layer over a page-sized image with fewer word-like tokens is junk OCR
COVERING_IMAGE = 0.5  # share of the page an image covers for the page to be a scan
TURNED_DEGREES = 3.0  # characters turned more than this from horizontal are read along their baseline
_CID = re.compile(r"\(cid:\d+\)")


@dataclass(frozen=True)
class PendingOcr:
    """A page with no usable text layer: its prepared image, waiting for OCR."""

    number: int
    image: imaging.PreparedImage
    photo: bool
    merge: bool = False  # the page also has a text layer: OCR adds to it (labels drawn as outlines)


@dataclass(frozen=True)
class Extraction:
    """What the child process sends back: pages with text, pages to OCR, or an error."""

    page_count: int = 0
    pages: tuple[Page, ...] = ()
    pending: tuple[PendingOcr, ...] = ()
    error: FileError | None = None
    format: str = ""  # "pdf", "jpeg", "png", "tiff", "heif", "docx", "odt", "doc"


Progress = Callable[[int], None]  # told the page count once it is known
# Told each page as soon as it is read (a text page, or a page image for OCR): a file cut short by its
# deadline is checked on the pages read.
Emit = Callable[["Page | PendingOcr"], None]


def _ignore(item: Page | PendingOcr) -> None:
    """Drop a page told early: the caller reads the whole extraction."""


def extract(data: bytes, limits: Limits, progress: Progress, emit: Emit = _ignore) -> Extraction:
    """Read a PDF or an image into pages; say why when it cannot be read."""
    if not data:
        return Extraction(error=FileError("file_empty"))
    if len(data) > limits.max_bytes:
        size, limit = f"{len(data) / 2**20:.1f}", f"{limits.max_bytes / 2**20:.0f}"
        return Extraction(error=FileError("file_too_big", size, limit))
    kind = imaging.image_kind(data)
    if kind is not None:
        return replace(_extract_image(data, limits, progress), format=kind)
    if b"%PDF-" in data[:1024]:
        return replace(_extract_pdf(data, limits, progress, emit), format="pdf")
    document = office.office_kind(data)
    if document is not None:
        return replace(_extract_office(data, document, limits, progress), format=document)
    return Extraction(error=FileError("file_not_pdf"))


def _extract_image(data: bytes, limits: Limits, progress: Progress) -> Extraction:
    try:
        image = imaging.decode_photo(data, limits.max_image_pixels)
    except imaging.ImageRefused as exc:
        code = "image_too_big" if "pixels" in str(exc) or "bomb" in str(exc).lower() else "image_damaged"
        return Extraction(error=FileError(code, str(exc)[:200]))
    progress(1)
    prepared = imaging.prepare(image, photo=True)
    return Extraction(page_count=1, pending=(PendingOcr(1, prepared, photo=True),))


def _extract_office(data: bytes, kind: str, limits: Limits, progress: Progress) -> Extraction:
    try:
        text = office.read_office(data, kind, timeout=limits.read_seconds)
    except office.OfficeRefused as exc:
        return Extraction(error=FileError(exc.code, exc.detail))
    count = len(text.pages)
    if count == 0:
        return Extraction(error=FileError("office_empty"))
    if count > limits.max_pages:
        return Extraction(
            page_count=count, error=FileError("file_too_many_pages", f"{count} > {limits.max_pages}")
        )
    progress(count)
    return Extraction(page_count=count, pages=text.pages)


def _looks_truncated(data: bytes) -> bool:
    return b"%%EOF" not in data[-2048:]


def _causes(exc: BaseException) -> list[BaseException]:
    # pdfplumber wraps pdfminer's errors: the reason is in the arguments or the chained exception.
    found: list[BaseException] = []
    queue: list[BaseException] = [exc]
    while queue and len(found) < 10:
        current = queue.pop(0)
        found.append(current)
        queue += [a for a in current.args if isinstance(a, BaseException)]
        queue += [c for c in (current.__cause__, current.__context__) if c is not None and c not in found]
    return found


def _pdf_error(exc: BaseException, data: bytes) -> FileError:
    causes = _causes(exc)
    name = " / ".join(type(c).__name__ for c in causes)
    text = f"{name}: {exc}"[:200]
    if "Password" in name or "password" in str(exc).lower():
        return FileError("file_encrypted")
    if "Encryption" in name or "encrypt" in str(exc).lower():
        return FileError("file_encrypted_unsupported", text)
    if isinstance(exc, MemoryError):
        return FileError("file_too_complex", "memory")
    if isinstance(exc, RecursionError):
        return FileError("file_too_complex", "recursion")
    if _looks_truncated(data):
        return FileError("file_truncated", text)
    return FileError("file_damaged", text)


def _extract_pdf(data: bytes, limits: Limits, progress: Progress, emit: Emit) -> Extraction:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return Extraction(error=_pdf_error(exc, data))
    try:
        try:
            count = len(pdf.pages)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return Extraction(error=_pdf_error(exc, data))
        if count == 0:
            return Extraction(error=FileError("file_no_pages"))
        if count > limits.max_pages:
            return Extraction(
                page_count=count, error=FileError("file_too_many_pages", f"{count} > {limits.max_pages}")
            )
        progress(count)
        pages: list[Page] = []
        scans: list[int] = []
        outlined: list[int] = []  # drawings whose text is mostly outlines: OCR'd on top of their text
        junk: set[int] = set()
        for index in range(count):
            page_object = pdf.pages[index]
            try:
                page = _text_page(page_object, index + 1)
                if page is not None and _junk_over_scan(page, page_object):
                    junk.add(index)  # a scanner's failed OCR layer, or numbers over a picture: OCR it too
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                if isinstance(exc, MemoryError | RecursionError):
                    return Extraction(page_count=count, error=_pdf_error(exc, data))
                page = None  # a damaged content stream: the rendered page may still be read by OCR
            finally:
                page_object.close()  # drop the page's cached objects: memory stays flat on long files
            if page is None:
                scans.append(index)
            else:
                pages.append(page)
                emit(page)
                if _outlined(page) or index in junk:
                    outlined.append(index)
    finally:
        pdf.close()
    pending: list[PendingOcr] = []
    if scans or outlined:
        rendered = _render(data, sorted(scans + outlined), limits, emit, merge=set(outlined))
        if isinstance(rendered, FileError):
            if not pages:
                return Extraction(page_count=count, error=rendered)
        else:
            pending = rendered
    return Extraction(page_count=count, pages=tuple(pages), pending=tuple(pending))


def _words_to_lines(words: list[dict[str, Any]]) -> list[str]:
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (float(w["top"]), float(w["x0"]))):
        if lines and abs(float(word["top"]) - float(lines[-1][0]["top"])) <= 3.0:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [" ".join(str(w["text"]) for w in sorted(line, key=lambda w: float(w["x0"]))) for line in lines]


def _angle(char: dict[str, Any]) -> float:
    """Return the direction of a character's baseline in degrees (0: horizontal, left to right)."""
    a, b = float(char["matrix"][0]), float(char["matrix"][1])
    return math.degrees(math.atan2(b, a))


def _is_turned(char: dict[str, Any]) -> bool:
    matrix = char.get("matrix")
    if not matrix or (matrix[1] == 0 and matrix[2] == 0 and matrix[0] > 0):
        return False  # the common case, decided without trigonometry
    return abs(_angle(char)) > TURNED_DEGREES


def _turned_lines(chars: list[dict[str, Any]]) -> list[str]:
    """Assemble turned characters (stamps, vertical labels) into lines along their own baseline."""
    by_angle: dict[int, list[dict[str, Any]]] = {}
    for char in chars:
        by_angle.setdefault(round(_angle(char) / 2) * 2, []).append(char)
    lines: list[str] = []
    for angle, group in sorted(by_angle.items()):
        theta = math.radians(angle)
        cos, sin = math.cos(theta), math.sin(theta)
        placed = []
        for char in group:
            x, y = float(char["matrix"][4]), float(char["matrix"][5])  # origin on the baseline, y upwards
            placed.append((-x * sin + y * cos, x * cos + y * sin, char))
        rows: list[list[tuple[float, float, dict[str, Any]]]] = []
        for item in sorted(placed, key=lambda p: -p[0]):  # from the top of the text block down
            size = float(item[2].get("size") or 10.0)
            if rows and abs(rows[-1][0][0] - item[0]) <= size * 0.4:
                rows[-1].append(item)
            else:
                rows.append([item])
        for row in rows:
            text, end = "", None
            for _, along, char in sorted(row, key=lambda p: p[1]):
                size = float(char.get("size") or 10.0)
                if end is not None and along - end > size * 0.25 and not text.endswith(" "):
                    text += " "  # words placed apart without a space glyph
                text += str(char["text"])
                end = along + float(char.get("adv") or 0.0)
            if text.strip():
                lines.append(" ".join(text.split()))
    return lines


def _text_page(page: Any, number: int) -> Page | None:
    """Read one page's text layer and drawing objects; None when it has no usable text."""
    turned = [c for c in page.chars if _is_turned(c)]
    if turned:
        # Stamps and rotated labels: read along their own baseline, not cut into letters by the layout.
        ids = {id(c) for c in turned}
        page = page.filter(lambda obj: obj.get("object_type") != "char" or id(obj) not in ids)
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
    height = float(page.height) or 1.0
    text = "\n".join([*_words_to_lines(words), *_turned_lines(turned)])
    clean = _CID.sub("", text)
    letters = sum(ch.isalpha() for ch in clean)
    lines, rects, curves = len(page.lines), len(page.rects), len(page.curves)
    drawing = lines + rects + curves >= 20
    if letters < MIN_LETTERS and not (drawing and len(words) >= 3):
        return None
    if len(_CID.findall(text)) > len(words) // 2:
        return None  # fonts without a text mapping: the layer is unreadable, the image is not
    head_words = [w for w in words if float(w["top"]) < height * HEAD_FRACTION]
    head = "\n".join(_words_to_lines(head_words))
    return Page(
        number=number,
        text=clean,
        head=_CID.sub("", head),
        source="text",
        lines=lines,
        rects=rects,
        curves=curves,
    )


_WORDLIKE = re.compile(r"[A-Za-zÀ-ÿ'’-]{3,}[.,;:]?")


def _junk_over_scan(page: Page, page_object: Any) -> bool:
    """Tell whether a page is a scanned image under a text layer that is mostly not words."""
    tokens = page.text.split()
    if not tokens or sum(bool(_WORDLIKE.fullmatch(t)) for t in tokens) >= JUNK_WORDLIKE * len(tokens):
        return False
    area = float(page_object.width) * float(page_object.height) or 1.0
    return any(
        float(image["width"]) * float(image["height"]) >= COVERING_IMAGE * area
        for image in page_object.images
    )


def _outlined(page: Page) -> bool:
    """Tell whether a drawing has far more vector objects than letters: its labels are likely outlines."""
    objects = page.lines + page.rects + page.curves
    letters = sum(ch.isalpha() for ch in page.text)
    return objects >= OUTLINE_MIN_OBJECTS and letters * OUTLINE_RATIO < objects


def _render(
    data: bytes,
    indexes: list[int],
    limits: Limits,
    emit: Emit,
    merge: set[int] | frozenset[int] = frozenset(),
) -> list[PendingOcr] | FileError:
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as exc:
        return FileError("file_damaged", f"{type(exc).__name__}: {exc}"[:200])
    pending: list[PendingOcr] = []
    try:
        for index in indexes:
            page = document[index]
            try:
                width, height = page.get_size()
                scale = limits.ocr_dpi / 72.0
                longest = max(width, height, 1.0)
                scale = min(scale, imaging.MAX_SIDE / longest)  # huge page boxes: bounded pixels
                bitmap = page.render(scale=scale, grayscale=True)
                image = bitmap.to_pil()
                prepared = imaging.prepare(image)
                pending.append(PendingOcr(index + 1, prepared, photo=False, merge=index in merge))
                emit(pending[-1])
            except Exception:
                continue  # this page cannot be drawn; the others may
            finally:
                page.close()
    finally:
        document.close()
    return pending
