"""A finished dossier reopened and its letter issued again (versioned); the dossier in progress resumed."""

from __future__ import annotations

from pathlib import Path

from bot.store import COMPLETED, REVIEW
from tests.test_letter_truth import OPENING
from tests.transcript import Chat, answer_every_question, make_core, pdf_text, spec


def _letters(chat: Chat) -> list[tuple[str, bytes]]:
    return [(name, data) for name, data in chat.files() if name.startswith("demande-")]


def test_a_finished_dossier_is_reopened_corrected_and_its_letter_versioned(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier opening")
    answer_every_question(chat, spec("opening"), "fr", OPENING)
    chat.send("valider")
    chat.send("oui")
    [(first_name, first)] = _letters(chat)
    assert first_name == "demande-ouverture-1.pdf" and "VetDistrib SAM" in pdf_text(first)
    # Correcting it: /edit reopens it (it used to say there was no dossier in progress).
    chat.send("/edit")
    assert "est rouvert pour correction" in chat.text and "version 2" in chat.text
    assert "Quelle réponse voulez-vous modifier" in chat.text
    [record] = chat.core.store.dossiers(chat.key)
    assert record.status == REVIEW
    company = next(i for i, c in enumerate(chat.choices, 1) if "Dénomination" in c)
    chat.send(str(company))
    chat.send("VetDistrib Monaco SAM")
    assert "Relecture du dossier" in chat.text
    chat.send("valider")
    chat.send("oui")
    [record] = chat.core.store.dossiers(chat.key)
    assert record.status == COMPLETED
    [(second_name, second)] = _letters(chat)
    text = " ".join(pdf_text(second).split())
    assert second_name == "demande-ouverture-1-v2.pdf"
    assert "VetDistrib Monaco SAM" in text and "version 2" in text
    chat.send("/letter")
    assert "version 2" in chat.text and _letters(chat)[0][0] == "demande-ouverture-1-v2.pdf"


def test_after_a_restart_one_resumes_the_dossier_in_progress(tmp_path: Path) -> None:
    first = Chat(make_core(tmp_path))
    first.send("/dossier opening")
    first.send("Dupont")
    first.core.close()  # the bot restarts
    chat = Chat(make_core(tmp_path))
    chat.send("/start")
    assert chat.choices[0] == "▶️ Reprendre le dossier n° 1 (Ouverture (art. 5-6))"
    chat.send("1")
    assert "Reprenons votre dossier n° 1" in chat.text and "Étape 2/" in chat.text
    assert len(chat.core.store.dossiers(chat.key)) == 1  # no second dossier opened


def test_keep_says_plainly_what_happens_to_the_files(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/keep")
    assert "Fichiers envoyés : effacés dès leur vérification." in chat.text
    chat.send("/keep on")
    chat.send("/keep")
    assert "Fichiers envoyés : conservés après vérification (vous l'avez demandé)." in chat.text
    assert "sauf si" not in chat.text
