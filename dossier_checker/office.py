"""Read word-processor files into pages of text: DOCX (python-docx), ODT (odfpy), legacy .doc (antiword).

The only module that uses python-docx, odfpy and antiword. It runs inside the sandboxed child process,
so it may meet hostile bytes: a zip is checked before any part of it is parsed (number of members,
declared sizes, compression ratio), and an XML part that declares a DOCTYPE (entity expansion, external
entities) is refused, as no word processor writes one. Why libraries rather than LibreOffice: they read
text and page marks in milliseconds, add no 300 MB office suite with its own macro and filter attack
surface, and the checker reads text, not layout.

Word processors keep no pages, only page marks: Word's ``lastRenderedPageBreak`` (where its last layout
broke pages), explicit page breaks, LibreOffice's ``soft-page-break``. Without any, text is cut into pages
of about ``CHARS_PER_PAGE`` characters, so titles still sit at the top of page 1.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from dossier_checker.model import Page

CHARS_PER_PAGE = 2700  # a page of a typed A4 document in 11-point type (LibreOffice page counts)
HEAD_FRACTION = 0.4  # the top part of a page, where titles are (as in the PDF reader)
MAX_MEMBERS = 2000  # zip members in one document: real ones have tens
MAX_UNZIPPED = 200 * 1024 * 1024  # declared uncompressed bytes of all members together
MAX_XML_PART = 40 * 1024 * 1024  # one XML part (the body of a 300-page document is a few MB)
MAX_RATIO = 200  # uncompressed / compressed size of a large member; bombs reach thousands
MAX_TEXT_OUTPUT = 8 * 1024 * 1024  # bytes of text read from antiword
MAX_PROLOG = 1024 * 1024  # bytes before an XML part's root element (declaration, comments)
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_SKIP = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_ROOT = re.compile(rb"<[A-Za-z_]")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODT_MIME = b"application/vnd.oasis.opendocument.text"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream of a password-protected Office file


class OfficeRefused(ValueError):
    """A word-processor file that must not or cannot be read; ``code`` is a checker message id."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class OfficeText:
    """A word-processor file's text, page by page (``format`` is "docx", "odt" or "doc")."""

    format: str
    pages: tuple[Page, ...]


def office_kind(data: bytes) -> str | None:
    """Name the word-processor format from the first bytes and, for zips, the member names."""
    if data.startswith(OLE_MAGIC):
        return "doc"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[: MAX_MEMBERS + 1])
            if "word/document.xml" in names:
                return "docx"
            if "mimetype" in names and "content.xml" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read("mimetype").strip() == ODT_MIME:
                    return "odt"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, NotImplementedError):
        return None
    return None


def read_office(data: bytes, kind: str, timeout: float) -> OfficeText:
    """Read a DOCX, ODT or .doc file into pages; raise OfficeRefused when it cannot or must not be read."""
    if kind == "doc":
        if ENCRYPTED_PACKAGE in data:
            raise OfficeRefused("office_encrypted")  # a password-protected DOCX, wrapped in an OLE file
        return OfficeText("doc", _pages(_doc_lines(data, timeout)))
    _check_zip(data)
    try:
        lines = _docx_lines(data) if kind == "docx" else _odt_lines(data)
    except OfficeRefused:
        raise
    except MemoryError:
        raise OfficeRefused("file_too_complex", "memory") from None
    except Exception as exc:  # damaged packages raise anything from zip, lxml or odfpy
        raise OfficeRefused("office_damaged", f"{type(exc).__name__}: {exc}"[:200]) from None
    return OfficeText(kind, _pages(lines))


def _check_zip(data: bytes) -> None:
    """Refuse zip bombs and XML parts with a DOCTYPE before any parser sees them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise OfficeRefused("office_bomb", f"{len(infos)} members")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNZIPPED:
                raise OfficeRefused("office_bomb", f"{total} bytes unzipped")
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > 1024 * 1024 and ratio > MAX_RATIO:
                    raise OfficeRefused("office_bomb", f"{info.filename}: ratio {ratio:.0f}")
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                if info.file_size > MAX_XML_PART:
                    raise OfficeRefused("office_bomb", f"{info.filename}: {info.file_size} bytes")
                with archive.open(info) as member:
                    # ZipExtFile stops at the declared size: a lying header cannot inflate past it.
                    prolog = _prolog(member)
                if prolog is None:
                    raise OfficeRefused("office_damaged", f"{info.filename}: no root element")
                if _DTD.search(prolog):
                    raise OfficeRefused("office_dtd", info.filename)
    except OfficeRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise OfficeRefused("office_damaged", f"{type(exc).__name__}: {exc}"[:200]) from None


def _prolog(member: IO[bytes]) -> bytes | None:
    """Read an XML part up to its root element (where a DOCTYPE would be); None if there is none."""
    read = b""
    while len(read) < MAX_PROLOG:
        chunk: bytes = member.read(65536)
        if not chunk:
            return read if not read.strip() else None
        read += chunk
        # A comment or processing instruction may hide a DOCTYPE further on: look past them.
        start = _ROOT.search(_SKIP.sub(b"", read))
        if start is not None:
            return read
    return None


# -- DOCX


def _docx_lines(data: bytes) -> list[str | None]:
    """Return the body's lines in reading order; None marks a page break."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    lines: list[str | None] = []
    try:
        header = document.sections[0].header
        lines += [p.text.strip() for p in header.paragraphs if p.text.strip()]
    except (IndexError, AttributeError, KeyError, ValueError):
        pass  # a document without sections or with a broken header part: the body still counts
    paragraph, table = qn("w:p"), qn("w:tbl")
    for element in document.element.body.iterchildren():
        if element.tag == paragraph:
            lines += _docx_paragraph(element)
        elif element.tag == table:
            for row in element.iter(qn("w:tr")):
                cells: list[str] = []
                for cell in row.iter(qn("w:tc")):
                    text = " ".join(t for t in (_docx_text(p) for p in cell.iter(paragraph)) if t)
                    if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                        cells.append(text)
                if cells:
                    lines.append(" | ".join(cells))
        else:  # content controls and other wrappers hold paragraphs too
            for inner in element.iter(paragraph):
                lines += _docx_paragraph(inner)
    return lines


def _docx_paragraph(element: Any) -> list[str | None]:
    from docx.oxml.ns import qn

    brk, rendered, text_tag, tab = qn("w:br"), qn("w:lastRenderedPageBreak"), qn("w:t"), qn("w:tab")
    out: list[str | None] = []
    parts: list[str] = []
    before = element.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}")
    if before is not None and before.get(qn("w:val"), "true") not in ("0", "false"):
        out.append(None)
    for node in element.iter(text_tag, tab, brk, rendered):
        if node.tag == text_tag:
            parts.append(node.text or "")
        elif node.tag == tab:
            parts.append(" ")
        elif node.tag == rendered or node.get(qn("w:type")) == "page":
            out += [" ".join("".join(parts).split()), None]
            parts = []
        else:
            out.append(" ".join("".join(parts).split()))
            parts = []
    out.append(" ".join("".join(parts).split()))
    return out


def _docx_text(element: Any) -> str:
    from docx.oxml.ns import qn

    return " ".join("".join(t.text or "" for t in element.iter(qn("w:t"))).split())


# -- ODT


def _odt_lines(data: bytes) -> list[str | None]:
    from odf import opendocument, teletype
    from odf.namespaces import TABLENS, TEXTNS

    document = opendocument.load(io.BytesIO(data))
    lines: list[str | None] = []

    def walk(node: Any) -> Iterator[str | None]:
        for child in node.childNodes:
            qname = getattr(child, "qname", None)
            if qname is None:
                continue
            if qname == (TEXTNS, "soft-page-break"):
                yield None
            elif qname in ((TEXTNS, "p"), (TEXTNS, "h")):
                if any(getattr(c, "qname", None) == (TEXTNS, "soft-page-break") for c in child.childNodes):
                    yield None
                yield " ".join(teletype.extractText(child).split())
            elif qname == (TABLENS, "table-row"):
                cells = [" ".join(teletype.extractText(c).split()) for c in child.childNodes]
                yield " | ".join(c for c in cells if c)
            else:
                yield from walk(child)

    lines += walk(document.text)
    return lines


# -- legacy .doc


def _doc_lines(data: bytes, timeout: float) -> list[str | None]:
    """Read a Word 97-2003 file with antiword (one line per paragraph)."""
    with tempfile.NamedTemporaryFile(suffix=".doc") as handle:
        handle.write(data)
        handle.flush()
        try:
            done = subprocess.run(
                ["antiword", "-w", "0", "-m", "UTF-8.txt", handle.name],
                capture_output=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "LC_ALL": "C.UTF-8"},
            )
        except FileNotFoundError:
            raise OfficeRefused("office_doc_unavailable") from None
        except subprocess.TimeoutExpired:
            raise OfficeRefused("file_too_slow", f"{timeout:.0f}") from None
    if done.returncode != 0 or not done.stdout.strip():
        reason = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise OfficeRefused("office_damaged", reason or f"antiword exit code {done.returncode}")
    text = done.stdout[:MAX_TEXT_OUTPUT].decode("utf-8", "replace")
    lines: list[str | None] = []
    for chunk in text.split("\f"):
        if lines:
            lines.append(None)
        lines += [" ".join(line.split()) for line in chunk.splitlines()]
    return lines


# -- pages


def _pages(lines: list[str | None]) -> tuple[Page, ...]:
    """Cut lines into pages at page marks; without marks, every ``CHARS_PER_PAGE`` characters."""
    marked = any(line is None for line in lines)
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if line is None:
            if pages[-1]:
                pages.append([])
                size = 0
            continue
        if not line:
            continue
        if not marked and size + len(line) > CHARS_PER_PAGE and pages[-1]:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    result: list[Page] = []
    for lines_of_page in (p for p in pages if p):
        total = sum(len(line) + 1 for line in lines_of_page)
        head: list[str] = []
        seen = 0
        for line in lines_of_page:
            if head and seen >= total * HEAD_FRACTION:
                break
            head.append(line)
            seen += len(line) + 1
        text = "\n".join(lines_of_page)
        result.append(Page(number=len(result) + 1, text=text, head="\n".join(head), source="text"))
    return tuple(result)
