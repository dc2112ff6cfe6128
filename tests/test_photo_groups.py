"""Several photos of one document are checked as one document, in order, with the pages each piece is on:
consecutive image files on the command line, photos sent in a row (or as an album) in the chat."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta
from pathlib import Path

import docx
import pytest

from bot.documents import PhotoRuns
from bot.messages import SessionKey
from dossier_checker.check import check_files
from dossier_checker.grouping import continues
from dossier_checker.model import FileResult, InputFile, Page
from dossier_checker.report import report_dict
from tests.pdfgen import content, render
from tests.transcript import Chat, make_core

pytestmark = [
    pytest.mark.skipif(
        not __import__("dossier_checker.ocr").ocr.available(), reason="tesseract-ocr-fra missing"
    ),
    pytest.mark.timeout(180),
]


def _photos(doc: content.Doc, seed: int) -> list[bytes]:
    """Photograph each page of a generated document (a slight tilt, noise, JPEG)."""
    rng = random.Random(seed)
    pages = render.page_images(render.to_pdf(doc, rng), 150)
    photos = []
    for page in pages:
        buffer = io.BytesIO()
        render.degrade(page, rng, 1.0, 8.0, 0.4).convert("RGB").save(buffer, format="JPEG", quality=80)
        photos.append(buffer.getvalue())
    return photos


def _three_page_statutes() -> content.Doc:
    doc = content.statutes(random.Random(5), "dev")
    blocks = list(doc.blocks)
    blocks.insert(8, content.Block("pagebreak"))
    blocks.insert(15, content.Block("pagebreak"))
    return content.Doc("statutes", blocks)


STATUTES = _photos(_three_page_statutes(), 1)


def test_consecutive_photos_of_one_document_are_joined_in_order() -> None:
    diploma = _photos(content.diploma(random.Random(2), "dev", language="fr"), 2)[0]
    plan = _photos(content.floor_plan(random.Random(4), "dev"), 3)[0]
    files = [
        InputFile("diplome.jpg", diploma),
        *(InputFile(f"page{i}.jpg", data) for i, data in enumerate(STATUTES, start=1)),
        InputFile("plan.jpg", plan),
    ]
    assert len(STATUTES) == 3
    report = check_files("opening", {"owner": "company"}, files)
    names = [f.name for f in report.files]
    assert names == ["diplome.jpg", "page1.jpg + page2.jpg + page3.jpg", "plan.jpg"]
    assert report.files[1].parts == ("page1.jpg", "page2.jpg", "page3.jpg")
    assert report.files[1].page_count == 3 and report.files[1].ocr_pages == 3
    pieces = {p.id: p for p in report.pieces}
    assert pieces["statutes"].status == "present"
    assert pieces["statutes"].file == names[1] and pieces["statutes"].pages == (1, 2, 3)
    assert pieces["diploma"].file == "diplome.jpg" and pieces["diploma"].pages == (1,)
    assert pieces["floor_plan"].file == "plan.jpg"  # a plan after the statutes is not their last page
    assert report_dict(report)["files"][1]["parts"] == list(report.files[1].parts)  # type: ignore[index]


def _picture(name: str, text: str) -> FileResult:
    return FileResult(name, (Page(1, text, text[:80], "ocr"),), 1, 1, format="jpeg")


def test_content_must_say_a_picture_continues() -> None:
    body = "Le preneur entretiendra les locaux loués en bon état de réparations locatives et il"
    assert continues(
        _picture("a.jpg", "ARTICLE 3 Durée\nARTICLE 4 Loyer"), _picture("b.jpg", "ARTICLE 5 Charges")
    )
    assert continues(_picture("a.jpg", "BAIL\n" + body), _picture("b.jpg", body.lower() + " suite"))
    assert continues(_picture("a.jpg", "BAIL COMMERCIAL"), _picture("b.jpg", "Les charges\n- 2 -"))
    assert continues(_picture("bail-1.jpg", "BAIL"), _picture("bail-2.jpg", "Charges"))
    assert not continues(_picture("IMG_0041.jpg", "BAIL"), _picture("IMG_0042.jpg", "Charges"))
    assert not continues(
        _picture("a.jpg", "STATUTS\nArticle 9. Gérance."), _picture("b.jpg", "Séjour 12 m²\n3,50")
    )
    assert not continues(_picture("a.jpg", "Fait le 12/03/2024"), _picture("b.jpg", "Reçu le 02/04/2024"))


def test_photo_runs_end_on_a_message_a_pause_or_another_album() -> None:
    runs = PhotoRuns(window=timedelta(minutes=3), max_photos=3)
    key, start = SessionKey("t", "c", "u"), datetime(2026, 1, 1, 12, 0)
    photo = [("a.jpg", "image/jpeg", b"a")]
    assert len(runs.extend(key, photo, "", start)) == 1
    assert len(runs.extend(key, [("b.heic", "application/octet-stream", b"b")], "", start)) == 2
    assert len(runs.extend(key, photo, "", start + timedelta(minutes=10))) == 1  # a pause
    assert len(runs.extend(key, photo, "album-1", start + timedelta(minutes=10))) == 2
    assert len(runs.extend(key, photo, "album-2", start + timedelta(minutes=10))) == 1  # another album
    runs.end(key)  # a text message
    assert len(runs.extend(key, photo, "", start)) == 1
    assert runs.extend(key, [("s.pdf", "application/pdf", b"%PDF")], "", start) == [
        ("s.pdf", "application/pdf", b"%PDF")
    ]
    for _ in range(5):
        run = runs.extend(key, photo, "", start)
    assert len(run) == 3  # the oldest drop out of a long run


def test_photos_sent_in_a_row_in_the_chat_are_checked_as_one_document(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier opening")
    for i, data in enumerate(STATUTES, start=1):
        chat.upload(f"statuts-{i}.jpg", data, mime="image/jpeg")
    assert "📄 statuts-1.jpg + statuts-2.jpg + statuts-3.jpg (3 page(s)" in chat.text
    assert "✅ trouvé : Statuts" in chat.text and "— p. 1, 2, 3" in chat.text
    assert chat.core.store.files(chat.key, None) == []  # bytes are not stored, only held for the run
    chat.send("/status")
    chat.upload("statuts-1.jpg", STATUTES[0], mime="image/jpeg")
    assert "📄 statuts-1.jpg (1 page(s)" in chat.text  # a message in between started a new run


def test_word_document_sent_in_the_chat_is_checked(tmp_path: Path) -> None:
    document = docx.Document()
    doc = content.statutes(random.Random(5), "dev")
    for block in doc.blocks:
        document.add_paragraph(block.text)
    buffer = io.BytesIO()
    document.save(buffer)
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier opening")
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    chat.upload("statuts.docx", buffer.getvalue(), mime=mime)
    assert "📄 statuts.docx" in chat.text and "✅ trouvé : Statuts" in chat.text
