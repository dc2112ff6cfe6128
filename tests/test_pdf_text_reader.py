"""Text layers read with pdfium read as pdfplumber reads them: same words, lines, head and vector counts."""

from __future__ import annotations

import io

import pdfplumber
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from dossier_checker import extract
from dossier_checker.model import Limits, Page


def _pdf(turned: bool = False) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    height = A4[1]
    page.setFont("Helvetica-Bold", 40)
    page.drawString(60, height - 100, "STATUTS ÉLÈVES")  # accented capitals on the title's line
    page.setFont("Helvetica", 11)
    text = page.beginText(60, height - 160)
    # Words set apart by positioning alone, with no space glyph between them (as LaTeX does).
    for word in ("Article", "premier", "–", "Dénomination", "sociale"):
        text.textOut(word)
        text.moveCursor(page.stringWidth(word, "Helvetica", 11) + 4, 0)
    page.drawText(text)
    page.drawString(60, height - 180, "La société est constituée entre les soussignés.")
    for row in range(6):  # a table: rectangles and rules
        page.rect(60, 300 + row * 20, 400, 20)
        page.line(260, 300 + row * 20, 260, 320 + row * 20)
    if turned:
        page.saveState()
        page.translate(400, 500)
        page.rotate(30)
        page.drawString(0, 0, "COPIE CERTIFIÉE CONFORME")
        page.restoreState()
    page.showPage()
    page.save()
    return buffer.getvalue()


def _both(data: bytes) -> tuple[tuple[Page | None, list[float], float] | None, Page | None]:
    reader = extract._FastReader.open(data)
    assert reader is not None
    fast = reader.page(0)
    reader.close()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        slow = extract._text_page(pdf.pages[0], 1)
    return fast, slow


def test_pdfium_reads_words_lines_and_vectors_as_pdfplumber_does() -> None:
    fast, slow = _both(_pdf())
    assert fast is not None and slow is not None
    page, images, area = fast
    assert page is not None
    assert page.text.splitlines()[0] == "STATUTS ÉLÈVES"  # one line, the accents on it
    assert "Article premier – Dénomination sociale" in page.text  # words apart without spaces
    assert page.text == slow.text
    assert page.head == slow.head
    assert page.lines + page.rects + page.curves == slow.lines + slow.rects + slow.curves
    assert images == [] and area > 0


def test_a_page_with_turned_text_is_left_to_pdfplumber_which_reads_the_stamp() -> None:
    fast, _ = _both(_pdf(turned=True))
    assert fast is None
    result = extract.extract(_pdf(turned=True), Limits(), lambda n: None)
    assert "COPIE CERTIFIÉE CONFORME" in result.pages[0].text
