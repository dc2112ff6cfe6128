"""Uploads during the walkthrough go to the real checker; the report is kept, the file bytes are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.transcript import DIPLOMA_LINES, Chat, make_core, text_pdf

DIPLOMA = text_pdf(*DIPLOMA_LINES)


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return Chat(make_core(tmp_path))


def test_upload_mid_walkthrough_is_checked_reported_and_deleted(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.upload("diplome-dupont.pdf", DIPLOMA)
    assert "📄 diplome-dupont.pdf (1 page(s), dont 0 lue(s) par OCR)" in chat.text
    assert "✅ trouvé : Copie certifiée conforme du diplôme (art. 6 a)) — p. 1" in chat.text
    # Compact: what the upload held, then what is still missing in one line, not the whole checklist.
    assert (
        "Reçues et vérifiées : 1 sur 3. Encore à fournir : Titre de propriété ou bail des locaux (art. 6 b)) ; "
        "Plan coté des locaux (art. 6 c))." in chat.text
    )
    assert "Pièces à joindre" not in chat.text and len(chat.text.splitlines()) <= 8, chat.text
    assert "effacé après vérification" in chat.text
    assert "Étape 2/" in chat.text  # then the walkthrough goes on
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None
    checks = chat.core.store.checks(dossier.id)
    assert len(checks) == 1 and checks[0].file_names == ("diplome-dupont.pdf",)
    assert any(p["id"] == "diploma" and p["status"] == "present" for p in checks[0].report["pieces"])
    assert chat.core.store.files(chat.key, dossier.id) == [] and chat.core.store.files(chat.key, None) == []
    chat.send("/check")
    assert (
        "✅ Copie certifiée conforme du diplôme — art. 6 a) — reçue et vérifiée (diplome-dupont.pdf)"
        in chat.text
    )
    assert "☐ Plan coté des locaux — art. 6 c) — non reçue" in chat.text


def test_files_are_kept_only_when_asked(chat: Chat) -> None:
    chat.send("/keep")
    assert chat.choices == ["Conserver mes fichiers", "Effacer après vérification"]
    chat.send("1")
    chat.send("/dossier opening")
    chat.upload("diplome.pdf", DIPLOMA)
    assert "conservé à votre demande" in chat.text
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None
    assert [f.data for f in chat.core.store.files(chat.key, dossier.id)] == [DIPLOMA]


def test_upload_before_any_dossier_waits_for_the_dossier_then_is_checked_and_deleted(chat: Chat) -> None:
    chat.upload("diplome.pdf", DIPLOMA)
    assert "J'ai bien reçu « diplome.pdf ». Pour quel dossier ?" in chat.text
    assert len(chat.core.store.files(chat.key, None)) == 1
    chat.send("1")
    assert "Dossier n° 1 : Demande d'autorisation d'ouverture" in chat.text
    assert "✅ trouvé : Copie certifiée conforme du diplôme" in chat.text
    assert "Étape 1/" in chat.text
    assert chat.core.store.files(chat.key, None) == []


def test_unreadable_uploads_get_a_sentence_and_the_dossier_goes_on(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.upload("photo.txt", b"this is not a pdf at all", mime="text/plain")
    assert "pas d'un format lisible : envoyez un PDF, une photo" in chat.text
    assert "Étape 1/" in chat.text
    chat.upload("vide.pdf", b"")
    assert "Le fichier « vide.pdf » est vide" in chat.text
    chat.upload("tronque.pdf", DIPLOMA[: len(DIPLOMA) // 2])
    assert "✘ tronque.pdf" in chat.text
    chat.send("Dupont")
    assert "Étape 2/" in chat.text


def test_oversized_upload_is_refused_before_checking(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.upload("enorme.pdf", b"%PDF-1.4\n" + b"0" * (chat.core.documents.max_bytes + 1))
    assert "trop volumineux" in chat.text and "20 Mo au plus" in chat.text
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None and chat.core.store.checks(dossier.id) == []


def test_adapter_download_errors_are_told_to_the_user(chat: Chat) -> None:
    from bot.messages import Incoming

    chat.replies = chat.core.handle(
        Incoming(key=chat.key, attachment_error="fichier de 35 Mo (20 Mo au plus)")
    )
    assert "Je n'ai pas pu recevoir votre fichier : fichier de 35 Mo (20 Mo au plus)" in chat.text
