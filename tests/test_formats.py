"""Formats applicants send: Word (DOCX), OpenDocument (ODT), legacy .doc and HEIC photos are read like PDFs;
zip bombs and XML entity declarations inside them are refused with a sentence, never parsed."""

from __future__ import annotations

import io
import random
import zipfile

import docx
import pytest
from odf.opendocument import OpenDocumentText
from odf.text import H, P, SoftPageBreak

from dossier_checker import office
from dossier_checker.check import check_files
from dossier_checker.model import InputFile
from dossier_checker.report import file_error_text
from tests.pdfgen import content, render

needs_ocr = pytest.mark.skipif(
    not __import__("dossier_checker.ocr").ocr.available(), reason="tesseract-ocr-fra missing"
)


def _statutes() -> content.Doc:
    return content.statutes(random.Random(5), "dev")


def _docx(doc: content.Doc, page_break_after: int = 0) -> bytes:
    """Write a generated document as Word would: title as a heading, a page break after a few paragraphs."""
    document = docx.Document()
    for i, block in enumerate(b for b in doc.blocks if b.text):
        if block.kind == "title":
            document.add_heading(block.text, level=1)
        else:
            paragraph = document.add_paragraph(block.text)
            if page_break_after and i == page_break_after:
                paragraph.add_run().add_break(docx.enum.text.WD_BREAK.PAGE)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _odt(doc: content.Doc) -> bytes:
    document = OpenDocumentText()
    for i, block in enumerate(b for b in doc.blocks if b.text):
        if i == 6:
            document.text.addElement(SoftPageBreak())
        element = H(outlinelevel=1, text=block.text) if block.kind == "title" else P(text=block.text)
        document.text.addElement(element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _piece(report: object, piece_id: str) -> object:
    return next(p for p in report.pieces if p.id == piece_id)  # type: ignore[attr-defined]


def test_docx_statutes_are_recognised_with_their_pages() -> None:
    data = _docx(_statutes(), page_break_after=8)
    report = check_files("opening", {"owner": "company"}, [InputFile("statuts.docx", data)])
    file = report.files[0]
    assert file.error is None and file.format == "docx" and file.page_count == 2 and file.ocr_pages == 0
    statutes = _piece(report, "statutes")
    assert statutes.status == "present"  # type: ignore[attr-defined]
    assert statutes.file == "statuts.docx" and statutes.pages[0] == 1  # type: ignore[attr-defined]


def test_odt_statutes_are_recognised() -> None:
    report = check_files("opening", {"owner": "company"}, [InputFile("statuts.odt", _odt(_statutes()))])
    assert report.files[0].error is None and report.files[0].format == "odt"
    assert report.files[0].page_count == 2  # the soft page break LibreOffice writes is a page mark
    assert _piece(report, "statutes").status == "present"  # type: ignore[attr-defined]


def test_docx_without_page_marks_is_cut_into_pages_with_the_title_on_page_one() -> None:
    lines: list[str | None] = ["STATUTS", *(f"Article {i}. " + "mot " * 120 for i in range(1, 40))]
    pages = office._pages(lines)
    assert len(pages) > 3 and pages[0].head.startswith("STATUTS")
    assert all(len(p.text) <= office.CHARS_PER_PAGE + 600 for p in pages)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode() for i in range(1, 10))
    + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def test_hostile_office_files_are_refused_before_parsing() -> None:
    good = _docx(_statutes())
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    laughs = _zip({**parts, "word/document.xml": BILLION_LAUGHS.replace(b"&lol0;", b"&lol;")})
    hidden = BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!--" + b" padding" * 2000 + b" --><!DOCTYPE", 1)
    hidden_laughs = _zip({**parts, "word/document.xml": hidden})
    bomb = _zip({**parts, "word/media/zeros.bin": b"\0" * (300 * 1024 * 1024)})
    many = _zip({**parts, **{f"customXml/item{i}.xml": b"<a/>" for i in range(office.MAX_MEMBERS + 5)}})
    odt_laughs = _zip(
        {"mimetype": office.ODT_MIME, "content.xml": BILLION_LAUGHS, "META-INF/manifest.xml": b"<m/>"},
    )
    files = [
        InputFile("laughs.docx", laughs),
        InputFile("hidden.docx", hidden_laughs),
        InputFile("bomb.docx", bomb),
        InputFile("many.docx", many),
        InputFile("laughs.odt", odt_laughs),
        InputFile("broken.doc", office.OLE_MAGIC + b"\0" * 600),
        InputFile("locked.docx", office.OLE_MAGIC + b"\0" * 600 + office.ENCRYPTED_PACKAGE + b"\0" * 64),
        InputFile("statuts.docx", good),
    ]
    report = check_files("opening", {"owner": "company"}, files)
    codes = {f.name: f.error.code if f.error else None for f in report.files}
    assert codes == {
        "laughs.docx": "office_dtd",
        "hidden.docx": "office_dtd",
        "bomb.docx": "office_bomb",
        "many.docx": "office_bomb",
        "laughs.odt": "office_dtd",
        "broken.doc": "office_damaged",
        "locked.docx": "office_encrypted",
        "statuts.docx": None,
    }
    assert _piece(report, "statutes").status == "present"  # type: ignore[attr-defined]
    assert all(file_error_text(f, "fr") for f in report.files[:-1])


def test_unknown_format_names_every_accepted_one() -> None:
    report = check_files("opening", {}, [InputFile("notes.rtf", b"{\\rtf1 Statuts}")])
    error = report.files[0].error
    assert error is not None and error.code == "file_not_pdf"
    sentence = file_error_text(report.files[0], "fr") or ""
    assert all(word in sentence for word in ("PDF", "HEIC", "DOCX", "ODT"))


@needs_ocr
@pytest.mark.timeout(120)
def test_heic_photo_is_read_by_ocr() -> None:
    import pillow_heif

    pdf = render.to_pdf(_statutes(), random.Random(2))
    page = render.page_images(pdf, 200)[0].convert("RGB")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    page.save(buffer, format="HEIF", quality=80)
    report = check_files("opening", {"owner": "company"}, [InputFile("IMG_0001.HEIC", buffer.getvalue())])
    file = report.files[0]
    assert file.error is None and file.format == "heif" and file.ocr_pages == 1
    assert _piece(report, "statutes").status == "present"  # type: ignore[attr-defined]
