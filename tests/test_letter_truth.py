"""The letter states only what is true (issue #12): transcripts on the core, from the answers to the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import COMPLETED, REVIEW
from tests.transcript import DIPLOMA_LINES, Chat, answer_every_question, make_core, pdf_text, spec, text_pdf

OPENING = {
    "responsible_last_name": "Dupont",
    "responsible_first_name": "Marie",
    "responsible_civility": "Madame",
    "responsible_nationality": "monégasque",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": "Pharmacien",
    "owner": "Une société",
    "company_form": "SAM",
    "company_name": "VetDistrib SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
    "annex_addresses": "none",
    "categories": "5",
}
TRANSFER = {
    **OPENING,
    "transfer_kind": "Changement de propriété",
    "previous_owner_name": "Ancienne Pharma SARL",
    "previous_responsible_last_name": "Martin",
    "previous_responsible_first_name": "Paul",
    "previous_responsible_civility": "Monsieur",
    "previous_responsible_profession": "Vétérinaire",
    "transfer_date": "passer",
}


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return Chat(make_core(tmp_path))


def _letter(chat: Chat) -> str:
    [data] = [d for name, d in chat.files() if name.startswith("demande-")]
    return " ".join(pdf_text(data).split())


def _status(chat: Chat) -> str:
    [record] = chat.core.store.dossiers(chat.key)
    return record.status


def test_received_pieces_are_attached_the_others_to_attach(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.upload("diplome-dupont.pdf", text_pdf(*DIPLOMA_LINES))
    answer_every_question(chat, spec("opening"), "fr", OPENING)
    chat.send("valider")
    # 1 of 6 pieces: the user is told, and chooses.
    assert "5 pièce(s) sur 6 ne sont pas encore reçues" in chat.text and not chat.files()
    assert "Plan coté des locaux" in chat.text
    chat.send("/confirm wait")
    assert "pas de lettre pour l'instant" in chat.text and "Plan coté des locaux" in chat.text
    assert _status(chat) == REVIEW and not chat.files()
    chat.send("valider")
    chat.send("📄 Établir la lettre (pièces « à joindre »)")
    assert _status(chat) == COMPLETED
    letter = _letter(chat)
    attached, to_attach = letter.split("Pièces jointes :")[1].split("Pièces à joindre (non encore reçues) :")
    assert "Copie certifiée conforme du diplôme" in attached and "Plan coté" not in attached
    assert "Plan coté des locaux" in to_attach and "Statuts de la société" in to_attach
    # Titled as the person is: a woman pharmacist is "Pharmacienne", addressed "Madame".
    assert "Madame Marie DUPONT" in letter and "Pharmacienne responsable" in letter
    assert "Pharmacien responsable" not in letter
    # A plain opening: no hedge about an extension nobody asked for; "none" left out, not quoted.
    assert "le cas échéant" not in letter and "extension" not in letter
    assert "Annexes" not in letter and "none" not in letter
    assert "double exemplaire (article 5 de l'A.M. n° 2003-175)" in letter
    # The checklist comes as a PDF of its own.
    [checklist] = [d for name, d in chat.files() if name.startswith("liste-des-pieces-")]
    assert "1 sur 6 reçues" in pdf_text(checklist)


def test_transfer_letter_follows_the_operation_chosen_and_sets_no_copies(chat: Chat) -> None:
    chat.send("/dossier transfer")
    answer_every_question(chat, spec("transfer"), "fr", TRANSFER)
    chat.send("valider")
    chat.send("oui")
    letter = _letter(chat)
    assert "au nouveau propriétaire" in letter and "locataire-gérant" not in letter.split("Pièces")[0]
    assert "exemplaire" not in letter.casefold()
    assert "Vétérinaire responsable actuel" in letter and "Monsieur Paul MARTIN" in letter
    assert "Pharmacienne responsable désignée" in letter
    assert "ne fixe pas de nombre d'exemplaires" in chat.text and "article 5" not in chat.last.text


def test_english_free_text_is_asked_again_in_french_or_kept_when_confirmed(chat: Chat) -> None:
    chat.send("/lang en")
    chat.send("/dossier modification")
    for answer in ("Dupont", "Marie", "Ms", "Pharmacist", "5 rue de l'Industrie, 98000 Fontvieille", "skip"):
        chat.send(answer)
    chat.send("Reduction of the premises on the ground floor")
    assert "looks English" in chat.text
    [record] = chat.core.store.dossiers(chat.key)
    assert "change_nature" not in record.answers  # not stored
    chat.send("Réduction des locaux du rez-de-chaussée")
    [record] = chat.core.store.dossiers(chat.key)
    assert record.answers["change_nature"] == "Réduction des locaux du rez-de-chaussée"
    chat.send("yes")  # premises change: a fixed choice, written in French in the letter
    chat.send("2")  # reduction
    chat.send("North wing storage room")
    assert "looks English" in chat.text
    keep = next(c for c in chat.last.choices if c.label.startswith("Keep"))
    chat.send(keep.label)  # typed back as its label: kept as the user confirmed
    [record] = chat.core.store.dossiers(chat.key)
    assert record.answers["premises_concerned"] == "North wing storage room"
    for answer in ("no", "5", "none", "15/09/2031", "Deux phases", "6 semaines"):
        chat.send(answer)
    assert "Review of dossier" in chat.text, chat.transcript()
    chat.send("confirm")
    chat.send("yes")
    letter = _letter(chat)
    assert "Réduction des locaux du rez-de-chaussée" in letter
    assert "Modification des locaux : Oui" in letter and "Extension ou réduction : Réduction" in letter
    assert "Produits autres que les médicaments vétérinaires : Néant" in letter
    assert "North wing storage room" in letter  # the one answer the user chose to keep as written
    assert "double exemplaire (article 14 de l'A.M. n° 2003-175)" in letter and "article 5 de" not in letter
