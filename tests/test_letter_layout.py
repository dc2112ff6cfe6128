"""The letters' pages, rendered to PNG and read back: page numbers, headers, signatures with the closing.

Every dossier type is laid out with short and with long answers (long enough to push the letter over
several pages), with some pieces received and some not.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pdfplumber
import pytest
from PIL import Image

from bot.letter import ChecklistLine, LetterPiece, checklist_pdf, default_pieces, request_letter
from dossier_checker.spec import load_specs

SPECS = load_specs()
COMMON: dict[str, Any] = {
    "responsible_last_name": "Dupont",
    "responsible_first_name": "Marie",
    "responsible_civility": "madame",
    "responsible_nationality": "monégasque",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": "pharmacist",
    "owner": "company",
    "company_form": "SAM",
    "company_name": "VetDistrib SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
    "categories": ["1", "5"],
    "pharmaceutical_forms": "comprimés et solutions buvables",
    "authorisation_reference": "A.M. n° 2004-123",
    "change_nature": "Extension de la zone de stockage",
    "premises_change": True,
    "premises_change_kind": "extension",
    "premises_concerned": "Entrepôt B, 120 m²",
    "equipment_change": True,
    "equipment_concerned": "Chambre froide",
    "other_products": "Néant",
    "start_date": "2031-09-15",
    "schedule": "Deux phases : gros œuvre puis aménagement",
    "duration": "6 semaines",
    "transfer_kind": "ownership",
    "previous_owner_name": "Ancienne Pharma SARL",
    "previous_responsible_last_name": "Martin",
    "previous_responsible_first_name": "Paul",
    "previous_responsible_civility": "monsieur",
    "previous_responsible_profession": "veterinarian",
    "original_establishment_address": "7 rue du Port, 98000 Monaco",
    "original_categories": ["5"],
}
LONG = {
    "annex_addresses": " ; ".join(f"{n} rue des Annexes, 98000 Monaco" for n in range(1, 25)),
    "schedule": "Phase "
    + " ; phase ".join(f"{n} : travaux du lot {n} sur deux semaines" for n in range(1, 15)),
}


def _pages(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _png_pages(data: bytes) -> list[Image.Image]:
    """Render each page to a PNG image (pdfplumber's renderer) and read the PNG back."""
    images = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            buffer = io.BytesIO()
            page.to_image(resolution=50).save(buffer, format="PNG")
            images.append(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    return images


def _inked(image: Image.Image, top: float, bottom: float) -> bool:
    """Tell whether the band between these fractions of the page height holds any print."""
    band = image.crop((0, int(image.height * top), image.width, int(image.height * bottom)))
    return band.getextrema()[0] < 128


@pytest.mark.parametrize("length", ["short", "long"])
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_pages_are_numbered_headed_and_signed_with_the_closing(kind: str, length: str) -> None:
    answers = {**COMMON, **(LONG if length == "long" else {})}
    spec = SPECS[kind]
    pieces = [
        LetterPiece(p.label, p.article, i % 2 == 0) for i, p in enumerate(default_pieces(spec, answers))
    ]
    data = request_letter(spec, answers, pieces)
    pages = _pages(data)
    copies = spec.letter.copies
    assert len(pages) % copies == 0
    per_copy = len(pages) // copies
    if length == "long":
        assert per_copy >= 2
    for index, text in enumerate(pages):
        number = index % per_copy + 1
        assert re.search(rf"page {number}/{per_copy}\b", text), (index, text[-200:])
        first_line = text.splitlines()[0]
        if number == 1:
            assert "(suite)" not in text and first_line.startswith("Madame Marie DUPONT")
        else:
            assert "(suite)" in " ".join(text.splitlines()[:2]) and "Marie DUPONT" in first_line
        if "Signature :" in text:
            assert "agréer" in text and "considération" in text  # the closing stands with the signatures
        for heading in ("Pièces jointes :", "Pièces à joindre (non encore reçues) :"):
            if heading in text:
                after = text.split(heading, 1)[1].strip().splitlines()
                assert after and after[0].startswith("- "), (heading, index)  # never stranded
    # The same on the rendered pages: a footer (the page number) on each, a header band after the first.
    for index, image in enumerate(_png_pages(data)):
        assert _inked(image, 0.93, 0.99), index
        if index % per_copy:
            assert _inked(image, 0.05, 0.08), index


def test_checklist_pdf_is_a_document_of_its_own() -> None:
    lines = [
        ChecklistLine("Copie certifiée conforme du diplôme", "6 a)", "present", "diplome.pdf"),
        ChecklistLine("Plan coté des locaux", "6 c)", "missing"),
    ]
    text = "\n".join(_pages(checklist_pdf(SPECS["opening"], 4, lines, "fr")))
    assert "Dossier n° 4" in text and "1 sur 2 reçues" in text
    assert "[x] Copie certifiée conforme du diplôme" in text and "[ ] Plan coté des locaux" in text
    assert "page 1/1" in text
