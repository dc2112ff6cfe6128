"""Dates against the decree's delays (issue #12): a past transfer date is refused, a start inside the delay noted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.transcript import Chat, make_core


def _to_question(chat: Chat, kind: str, words: str, answers: list[str]) -> None:
    chat.send(f"/dossier {kind}")
    for answer in answers:
        if words in chat.last.text:
            return
        chat.send(answer)
    assert words in chat.last.text, chat.transcript()


def test_a_modification_starting_inside_the_30_day_delay_gets_a_notice(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    answers = ["Dupont", "Marie", "Madame", "Pharmacien", "5 rue de l'Industrie, Fontvieille", "passer"]
    answers += ["Extension du stockage", "non", "non", "5", "aucun"]
    _to_question(chat, "modification", "la modification sera-t-elle engagée", answers)
    soon = (dt.date.today() + dt.timedelta(days=10)).strftime("%d/%m/%Y")
    chat.send(soon)
    assert "délai de 30 jours" in chat.text and "article 13" in chat.text
    later = (dt.date.today() + dt.timedelta(days=60)).strftime("%d/%m/%Y")
    chat.send("retour")
    chat.send(later)
    assert "délai de 30 jours" not in chat.text


def test_a_transfer_effective_in_the_past_is_refused(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    answers = ["Dupont", "Marie", "Madame", "monégasque", "12 rue Grimaldi, Monaco", "Pharmacien", "2"]
    answers += ["Dupont", "Marie", "5 rue de l'Industrie, Fontvieille", "aucune", "5", "1"]
    answers += ["Ancienne Pharma SARL", "Martin", "Paul", "Monsieur", "Pharmacien"]
    _to_question(chat, "transfer", "le transfert doit-il prendre effet", answers)
    chat.send("01/01/2020")
    assert "déjà passée" in chat.text and "le transfert doit-il prendre effet" in chat.text
    chat.send((dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y"))
    assert "délai de 90 jours" in chat.text and "article 5" in chat.text
