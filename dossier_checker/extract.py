"""Read an uploaded file into pages: the text layer with pdfplumber, page images for OCR with pypdfium2.

The only module that uses pdfplumber (and pdfminer, pypdfium2 under it). It runs inside the sandboxed
child process (``dossier_checker.sandbox``): everything here may meet hostile bytes.
"""

from __future__ import annotations

import ctypes
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_c

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
    fast: _FastReader | None = None
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
        fast = _FastReader.open(data)
        pages: list[Page] = []
        scans: list[int] = []
        outlined: list[int] = []  # drawings whose text is mostly outlines: OCR'd on top of their text
        junk: set[int] = set()
        for index in range(count):
            page_object = pdf.pages[index]
            try:
                page, junk_layer = _read_text_page(page_object, index, fast)
                if junk_layer:
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
        if fast is not None:
            fast.close()
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


def _read_text_page(page_object: Any, index: int, fast: _FastReader | None) -> tuple[Page | None, bool]:
    """Read one page's text layer, with pdfium when it can; and tell whether it is junk over a scan."""
    read = fast.page(index) if fast is not None else None
    if read is not None:
        page, images, area = read
    else:  # turned text, glyphs without a text mapping, a rotated page: pdfplumber reads it
        page = _text_page(page_object, index + 1)
        if page is None:
            return None, False
        images = [float(i["width"]) * float(i["height"]) for i in page_object.images]
        area = float(page_object.width) * float(page_object.height)
    return page, page is not None and _junk_over_scan(page, images, area)


def _text_page(page: Any, number: int) -> Page | None:
    """Read one page's text layer and drawing objects with pdfplumber; None when it has no usable text."""
    turned = [c for c in page.chars if _is_turned(c)]
    if turned:
        # Stamps and rotated labels: read along their own baseline, not cut into letters by the layout.
        ids = {id(c) for c in turned}
        page = page.filter(lambda obj: obj.get("object_type") != "char" or id(obj) not in ids)
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
    counts = len(page.lines), len(page.rects), len(page.curves)
    return _assemble(number, words, _turned_lines(turned), float(page.height), counts)


def _assemble(
    number: int, words: list[dict[str, Any]], turned: list[str], height: float, counts: tuple[int, int, int]
) -> Page | None:
    """Make a page of its words (text, top, x0) and vector objects; None when it has no usable text."""
    text = "\n".join([*_words_to_lines(words), *turned])
    clean = _CID.sub("", text)
    letters = sum(ch.isalpha() for ch in clean)
    lines, rects, curves = counts
    drawing = lines + rects + curves >= 20
    if letters < MIN_LETTERS and not (drawing and len(words) >= 3):
        return None
    if len(_CID.findall(text)) > len(words) // 2:
        return None  # fonts without a text mapping: the layer is unreadable, the image is not
    head_words = [w for w in words if float(w["top"]) < (height or 1.0) * HEAD_FRACTION]
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


# ----------------------------------------------------------------------------------------------------------
# Text layers read with pdfium: about ten times faster than pdfminer's interpreter, for the common page
# (upright text whose glyphs map to characters). Words and lines are made as pdfplumber makes them, and
# vector objects counted as pdfminer counts them, so both readers give a page the same text and features.

WORD_GAP = 3.0  # points between two characters that start a new word (pdfplumber's x_tolerance)
LINE_GAP = 3.0  # points between two tops that start a new line (pdfplumber's y_tolerance)
# Text, x0, x1, top (from the page's top edge), and whether a word ends after it (a space pdfium added).
TextChar = tuple[str, float, float, float, bool]


class _FastReader:
    """A PDF open in pdfium, to read its pages' text layers."""

    def __init__(self, document: pypdfium2.PdfDocument) -> None:
        self.document = document

    @classmethod
    def open(cls, data: bytes) -> _FastReader | None:
        """Open a PDF in pdfium; None when pdfium cannot (pdfplumber then reads every page)."""
        try:
            return cls(pypdfium2.PdfDocument(data))
        except Exception:
            return None

    def close(self) -> None:
        """Release the document."""
        self.document.close()

    def page(self, index: int) -> tuple[Page | None, list[float], float] | None:
        """Read a page: the page (None: no usable text), its images' areas, its area; None: not read here."""
        try:
            page = self.document[index]
        except Exception:
            return None
        try:
            if page.get_rotation() % 360:
                return None
            width, height = page.get_size()
            textpage = page.get_textpage()
            try:
                chars = _pdfium_chars(textpage.raw, height)
            finally:
                textpage.close()
            if chars is None:
                return None
            counts, images = _pdfium_objects(page)
            return _assemble(index + 1, _words(chars), [], height, counts), images, width * height
        except Exception:
            return None
        finally:
            page.close()


def _pdfium_chars(textpage: Any, height: float) -> list[TextChar] | None:
    """List a page's characters; None when one is turned or has no text mapping (pdfplumber reads those)."""
    box = pdfium_c.FS_RECTF()
    limit = math.radians(TURNED_DEGREES)
    chars: list[TextChar] = []
    for i in range(pdfium_c.FPDFText_CountChars(textpage)):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        if pdfium_c.FPDFText_IsGenerated(textpage, i):
            if code == 32 and chars:  # a space pdfium saw between two words (no glyph, or one it dropped)
                chars[-1] = (*chars[-1][:4], True)
            continue  # the line ends it adds are not kept: lines are made from the characters' places
        if pdfium_c.FPDFText_HasUnicodeMapError(textpage, i):
            return None
        else:
            angle = pdfium_c.FPDFText_GetCharAngle(textpage, i)
            if limit < angle < 2 * math.pi - limit:
                return None
        code = SOFT_HYPHEN_MARK.get(code, code)
        if chr(code).isspace():
            if chars:
                chars[-1] = (*chars[-1][:4], True)
            continue
        if code < 32 or not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, box):
            continue
        # The top as pdfminer has it (descent + font size over the baseline): the loose box rises over
        # accented capitals ("É"), which would put them on a line of their own.
        size = pdfium_c.FPDFText_GetFontSize(textpage, i)
        top = box.bottom + size if size > 1 else box.top
        chars.append((chr(code), box.left, box.right, height - top, False))
    return chars


SOFT_HYPHEN_MARK = {2: ord("-")}  # pdfium's code for a hyphen that ends a line


def _words(chars: list[TextChar]) -> list[dict[str, Any]]:
    """Group characters into words as pdfplumber does: lines by their tops, then by gaps along a line."""
    rows: list[list[TextChar]] = []
    for char in sorted(chars, key=lambda c: c[3]):
        if rows and char[3] - rows[-1][-1][3] <= LINE_GAP:
            rows[-1].append(char)
        else:
            rows.append([char])
    words: list[dict[str, Any]] = []
    for row in rows:
        text, x0, x1, top, ends = "", 0.0, 0.0, 0.0, False
        for char in sorted(row, key=lambda c: c[1]):
            if text and (ends or char[0].isspace() or char[1] > x1 + WORD_GAP):
                words.append({"text": text, "x0": x0, "top": top})
                text = ""
            if char[0].isspace():
                continue
            if not text:
                x0, top = char[1], char[3]
            text, x1, top, ends = text + char[0], char[2], min(top, char[3]), char[4]
        if text:
            words.append({"text": text, "x0": x0, "top": top})
    return words


def _pdfium_objects(page: Any) -> tuple[tuple[int, int, int], list[float]]:
    """Count a page's vector lines, rectangles and curves as pdfminer does, and list its images' areas."""
    shapes = {"line": 0, "rect": 0, "curve": 0}
    images: list[float] = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for item in page.get_objects(max_depth=8):
        if item.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            for shape in _path_shapes(item.raw):
                shapes[shape] += 1
        elif item.type == pdfium_c.FPDF_PAGEOBJ_IMAGE and pdfium_c.FPDFPageObj_GetBounds(
            item.raw, left, bottom, right, top
        ):
            images.append((right.value - left.value) * (top.value - bottom.value))
    return (shapes["line"], shapes["rect"], shapes["curve"]), images


def _path_shapes(path: Any) -> list[str]:
    """Name each subpath of a path object: "line", "rect" or "curve" (pdfminer's LTLine, LTRect, LTCurve)."""
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple[str, tuple[float, float]]]] = []
    for i in range(pdfium_c.FPDFPath_CountSegments(path)):
        segment = pdfium_c.FPDFPath_GetPathSegment(path, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([("m", (x.value, y.value))])
        else:
            subpaths[-1].append(("l" if kind == pdfium_c.FPDF_SEGMENT_LINETO else "c", (x.value, y.value)))
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            subpaths[-1].append(("h", subpaths[-1][0][1]))
    return [_shape(subpath) for subpath in subpaths]


def _shape(subpath: list[tuple[str, tuple[float, float]]]) -> str:
    shape = "".join(op for op, _ in subpath)
    points = [point for _, point in subpath]
    if len(shape) > 3 and shape[-2:] == "lh" and points[-2] == points[0]:
        shape, points = shape[:-2] + "h", points[:-2] + points[-1:]  # a redundant "l" closing the path
    if shape in ("ml", "mlh"):
        return "line"
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = points
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if points[0] == points[4] and square:
            return "rect"
    return "curve"


_WORDLIKE = re.compile(r"[A-Za-zÀ-ÿ'’-]{3,}[.,;:]?")


def _junk_over_scan(page: Page, images: Sequence[float], area: float) -> bool:
    """Tell whether a page is a scanned image (``images``: their areas) under a text layer mostly not words."""
    tokens = page.text.split()
    if not tokens or sum(bool(_WORDLIKE.fullmatch(t)) for t in tokens) >= JUNK_WORDLIKE * len(tokens):
        return False
    return any(image >= COVERING_IMAGE * (area or 1.0) for image in images)


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
