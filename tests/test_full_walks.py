"""Four dossiers walked end to end in French and in English (issue #12, "done when").

An opening, a modification, a transfer and a partial transfer, each answered as a new user would on the
terminal's core, in French and in English (English free text first, French when asked again), with the
diploma or the plans uploaded on the way. Each letter must hold no English sentence of the catalogue or of
the specs, no English answer the user did not confirm, and list as attached only the pieces received.
The letters are also rendered to PNG (set VETPHARMA_LETTER_PNG to a folder to keep them, to look at).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pdfplumber
import pytest
import yaml

from dossier_checker.spec import DossierSpec
from tests.transcript import DIPLOMA_LINES, Chat, asked_field, make_core, pdf_text, spec, text_pdf

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("opening", "modification", "transfer", "partial_transfer")

# Answers typed in French (free text), or a choice's value (typed as its label in the walk's language).
FRENCH = {
    "responsible_last_name": "Dupont",
    "responsible_first_name": "Marie",
    "responsible_civility": ("choice", "madame"),
    "responsible_nationality": "italienne",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": ("choice", "pharmacist"),
    "owner": ("choice", "company"),
    "company_form": ("choice", "SAM"),
    "company_name": "VetDistrib SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Monaco",
    "annex_addresses": "passer",
    "categories": "5",
    "pharmaceutical_forms": "comprimés et solutions buvables",
    "authorisation_reference": "A.M. n° 2004-123",
    "change_nature": "Réduction des locaux du rez-de-chaussée",
    "premises_change": ("yes", ""),
    "premises_change_kind": ("choice", "reduction"),
    "premises_concerned": "Réserve de l'aile nord",
    "equipment_change": ("no", ""),
    "equipment_concerned": "Chambre froide",
    "other_products": "Néant",
    "start_date": "15/09/2031",
    "schedule": "Deux phases de travaux",
    "duration": "Six semaines",
    "transfer_kind": ("choice", "ownership"),
    "previous_owner_name": "Ancienne Pharma SARL",
    "previous_responsible_last_name": "Martin",
    "previous_responsible_first_name": "Paul",
    "previous_responsible_civility": ("choice", "monsieur"),
    "previous_responsible_profession": ("choice", "veterinarian"),
    "lease_end_date": "30/06/2033",
    "transfer_date": "01/09/2031",
    "original_establishment_address": "7 rue du Port, 98000 Monaco",
    "original_categories": "5",
    "original_pharmaceutical_forms": "comprimés",
}
# What an English-speaking applicant types first in the free-text fields the letter quotes.
ENGLISH = {
    "responsible_nationality": "Italian",
    "pharmaceutical_forms": "tablets and oral solutions",
    "change_nature": "Reduction of the ground floor premises",
    "premises_concerned": "North wing storage room",
    "other_products": "None whatsoever",
    "schedule": "Two phases of works",
    "duration": "Six weeks of work",
    "original_pharmaceutical_forms": "tablets only",
}


def _typed(dossier: DossierSpec, field_id: str, lang: str, english: bool) -> str:
    value = FRENCH[field_id]
    if isinstance(value, tuple):
        kind, choice = value
        if kind == "choice":
            field = dossier.field(field_id)
            found = field.choice(choice) if field is not None else None
            assert found is not None, field_id
            return found.label[lang]
        return {"fr": {"yes": "oui", "no": "non"}, "en": {"yes": "yes", "no": "no"}}[lang][kind]
    if english and field_id in ENGLISH:
        return ENGLISH[field_id]
    return "skip" if lang == "en" and value == "passer" else value


def _walk(chat: Chat, kind: str, lang: str) -> None:
    """Answer every question; in English, the quoted free text first in English, then in French when asked."""
    dossier = spec(kind)
    in_english: set[str] = set()
    re_asked: set[str] = set()
    last: str | None = None
    for _ in range(90):
        if last in in_english and last not in re_asked and "looks English" in chat.text:
            re_asked.add(last)
            chat.send(str(FRENCH[last]))  # the letter is French: written again in French
            continue
        field_id = asked_field(chat, dossier, lang)
        if field_id is None:
            break
        english = lang == "en" and field_id in ENGLISH and field_id not in in_english
        if english:
            in_english.add(field_id)
        chat.send(_typed(dossier, field_id, lang, english))
        last = field_id
        if field_id == "responsible_last_name":
            name = "plans.pdf" if kind == "modification" else "diplome.pdf"
            chat.upload(name, _PLANS if kind == "modification" else text_pdf(*DIPLOMA_LINES))
    else:
        raise AssertionError(chat.transcript())
    assert ("Review of dossier" if lang == "en" else "Relecture du dossier") in chat.text, chat.transcript()
    assert re_asked == in_english, (in_english, re_asked)  # every English answer was asked again


def _plans() -> bytes:
    import random

    from tests.pdfgen import content, render

    return render.to_pdf(content.plans_before_after(random.Random(5), "dev"), random.Random(5))


_PLANS = _plans()


def _english_sentences() -> list[str]:
    """Every English sentence the catalogue and the specs hold (long enough to be told from French)."""
    found = [str(v) for v in yaml.safe_load((ROOT / "config/messages/en.yaml").read_text()).values()]
    for kind in KINDS:
        data = spec(kind)
        for field in data.fields:
            found += [field.question["en"], *(c.label["en"] for c in field.choices)]
        found += [p.label["en"] for p in data.pieces]
    sentences = []
    for text in found:
        for part in re.split(r"[{}\n]", text):
            part = part.strip(" .:;,()\"'")
            if len(part) >= 14 and " " in part:
                sentences.append(part)
    return sentences


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_dossier_walked_to_its_letter_holds_only_french_truth(tmp_path: Path, kind: str, lang: str) -> None:
    chat = Chat(make_core(tmp_path))
    if lang == "en":
        chat.send("/lang en")
    chat.send(f"/dossier {kind}")
    _walk(chat, kind, lang)
    chat.send("confirm" if lang == "en" else "valider")
    chat.send("yes" if lang == "en" else "oui")  # the letter now, the missing pieces "à joindre"
    [(_name, data)] = [(n, d) for n, d in chat.files() if n.startswith("demande-")]
    letter = " ".join(pdf_text(data).split())
    # No English sentence of the catalogue or the specs, no English answer left unconfirmed.
    english = [s for s in _english_sentences() if " ".join(s.split()) in letter]
    assert not english, english
    for typed in ENGLISH.values():
        assert typed not in letter
    # Only what was received is attached; the rest is "à joindre".
    attached = letter.split("Pièces jointes :")[1].split("Pièces à joindre")[0]
    to_attach = letter.split("Pièces à joindre (non encore reçues) :")[1].split("agréer")[0]  # first copy
    received = "Plans des locaux avant et après" if kind == "modification" else "Copie certifiée conforme"
    assert received in attached and received not in to_attach
    assert len(re.findall(r"\(article \d", attached)) == 1, attached  # one piece received, one listed
    # The copies: the user-facing sentence names the article(s) without "(s)".
    assert "article(s)" not in chat.text
    if kind == "partial_transfer":
        said = "articles 5 and 14" if lang == "en" else "articles 5 et 14"
        assert said in chat.text
    folder = os.environ.get("VETPHARMA_LETTER_PNG")
    if folder:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                page.to_image(resolution=60).save(Path(folder) / f"{kind}-{lang}-p{number}.png", format="PNG")
