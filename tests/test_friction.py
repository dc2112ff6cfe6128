"""Friction found by new users (issue #12 §6): small talk, other languages, long messages, compact uploads."""

from __future__ import annotations

from pathlib import Path

from bot.analytics import Analytics
from tests.transcript import DIPLOMA_LINES, Chat, Clock, make_helpdesk, text_pdf

STAFF = {"staff": ("test:agent",)}


def test_goodbye_menu_ok_quit_and_help_are_answered_as_such_and_not_logged(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock.real(), **STAFF)
    chat = Chat(core)
    for word in ("au revoir", "bye", "quit", "Quitter"):
        chat.send(word)
        assert chat.text.startswith("Au revoir"), (word, chat.text)
    chat.send("menu")
    assert "Je suis l'assistant" in chat.text and chat.choices
    chat.send("ok")
    assert "ne traite pas" not in chat.text and "pas assez sûr" not in chat.text
    chat.send("help")
    assert "/dossier" in chat.text and "/status" in chat.text
    chat.send("annuler")  # nothing in progress: said so, not read as a question on the decree
    assert "pas assez sûr" not in chat.text and "ne traite pas" not in chat.text
    assert Analytics(core.store).unanswered() == []


def test_italian_and_other_languages_get_the_french_english_sentence(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock.real(), **STAFF)
    chat = Chat(core)
    for question in (
        "Wie viele Assistenten brauche ich?",
        "Ciao, quanti assistenti servono per ottanta dipendenti?",
        "Hoeveel assistenten zijn nodig voor tachtig werknemers?",
    ):
        chat.send(question)
        assert "I answer in French or English" in chat.text, (question, chat.text)
    for french in ("Combien d'assistans pour 80 persones ?", "dlai douverture dun etablisement ?"):
        chat.send(french)  # French with typos stays French
        assert "I answer in French or English" not in chat.text, french


def test_a_message_over_4000_characters_is_read_for_its_question(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock.real(), **STAFF)
    chat = Chat(core)
    story = "Nous exploitons un entrepôt à Fontvieille depuis plusieurs années. " * 70
    chat.send(story + "Quel est le délai de réponse pour une demande d'ouverture ?")
    assert "Votre message est long" in chat.text and "je ne l'ai pas lu" not in chat.text
    assert "« Quel est le délai de réponse pour une demande d'ouverture ? »" in chat.text
    assert "90 jours" in chat.text or "quatre-vingt-dix jours" in chat.text


def test_keep_on_says_a_sentence_that_reads(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock.real(), **STAFF)
    chat = Chat(core)
    chat.send("/keep on")
    assert chat.text.startswith("Entendu : je conserverai les fichiers que vous m'enverrez")
    chat.send("/lang en")
    chat.send("/keep on")
    assert chat.text.startswith("All right: I will keep the files you send me"), chat.text
    chat.send("/keep off")
    assert "deleted" in chat.text


def test_an_upload_reply_is_compact(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock.real(), **STAFF)
    chat = Chat(core)
    chat.send("/dossier transfer")
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    upload_reply = chat.replies[0].text
    lines = upload_reply.splitlines()
    assert lines[0].startswith("📄 diplome.pdf")
    missing = next(x for x in lines if x.startswith("Reçues et vérifiées : 1 sur"))
    assert "Encore à fournir :" in missing and "Procès-verbaux" in missing  # one line for what is missing
    assert len(lines) <= 6, upload_reply  # not the whole checklist (nine pieces) nor the review
