"""Transcripts: asking instead of guessing, follow-ups that reuse the subject, two questions in one message."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from tests.transcript import Chat, make_core


def test_the_category_is_asked_then_the_choice_answers(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("Il nous faut combien de pharmaciens assistants pour 130 salariés ?")
    assert chat.text == "Pour quelle catégorie d'établissement (article 2) ?"
    assert chat.choices == [
        "Fabricant, importateur, exploitant (1°–3°)",
        "Dépositaire, distributeur en gros (4°–10°)",
        "Aliments médicamenteux (11°–14°)",
    ]
    chat.send("2")
    assert "il faut 2 pharmaciens ou vétérinaires assistants" in chat.text, chat.transcript()
    assert "art. 38 b)" in chat.text


def test_a_pending_question_survives_a_restart(tmp_path: Path) -> None:
    first = make_core(tmp_path)
    Chat(first).send("How many assistant pharmacists for 60 staff?")
    first.store.close()
    chat = Chat(make_core(tmp_path))
    chat.send("Manufacturer, importer, exploitant (1°–3°)")  # the button's label, typed back
    assert "2 assistant pharmacists" in chat.text, chat.transcript()
    assert "art. 37 b)" in chat.text


def test_the_request_is_asked_for_a_decision_date(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("Notre dossier complet a été reçu le 6 juillet 2026 : pour quand la décision ?")
    assert chat.text == "Pour quelle demande ?"
    assert chat.choices == ["Ouverture ou extension", "Modification", "Transfert"]
    chat.send("Modification")
    assert "5 août 2026" in chat.text and "art. 13" in chat.text, chat.transcript()


def test_a_new_question_drops_the_pending_one(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("combien d'assistants pour 50 personnes ?")
    assert chat.choices
    chat.send("Qui signe la demande de modification d'un établissement déjà autorisé ?")
    assert "art. 14" in chat.text or "Art. 14" in chat.text, chat.transcript()


def test_study_length_is_asked_when_the_user_speaks_of_their_own_case(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("J'aimerais devenir responsable d'un fabricant : quelle expérience me faut-il ?")
    assert chat.text == "Combien d'années ont duré vos études supérieures (art. 26 II) ?"
    assert "6 ans ou plus" in chat.choices
    chat.send("6 ans ou plus")
    assert "6 mois" in chat.text and "II 2° a)" in chat.text, chat.transcript()


def test_a_follow_up_reuses_the_category_question(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("Combien d'assistants pour un fabricant de 90 personnes ?")
    assert "catégorie 1°" in chat.text
    chat.send("et pour un dépositaire ?")
    assert "catégorie 4°" in chat.text and "1 pharmacien ou vétérinaire assistant" in chat.text, (
        chat.transcript()
    )


def test_a_follow_up_reuses_the_request_question(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("How many copies of a modification request must we send?")
    assert "14" in chat.text and "duplicate" in chat.text
    chat.send("and for a transfer?")
    assert "copies of an application to transfer" in chat.text.split("\n")[0], chat.transcript()


def test_a_follow_up_changes_the_headcount(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("Un dépositaire avec 100 personnes comptées, combien d'assistants ?")
    assert "il faut 1 pharmacien" in chat.text
    chat.send("et avec 101 ?")
    assert "il faut 2 pharmaciens" in chat.text, chat.transcript()


def test_two_questions_in_one_message_get_two_answers(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send(
        "Quel est le délai de décision pour une modification ? Et combien d'exemplaires pour une ouverture ?"
    )
    assert chat.text.startswith("1. ")
    assert "30 jours" in chat.text and "2. " in chat.text and "double exemplaire" in chat.text, (
        chat.transcript()
    )


def test_ask_json_keeps_both_answers_of_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (
        "Un dépositaire de 180 personnes comptées : combien d'assistants ? Et pour 90 ?\n"
        "What is the decision delay for a modification?\n"
    ).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
    assert cli_main(["ask", "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 2  # one object per input line
    first, second = out
    assert [a["question"] for a in first["answers"]] == [
        "Un dépositaire de 180 personnes comptées : combien d'assistants ?",
        "Et pour 90 ?",
    ]
    assert "3 pharmaciens" in first["answers"][0]["answer"]
    assert "1 pharmacien" in first["answers"][1]["answer"]
    assert all(a["citations"][0]["article"] == "38" for a in first["answers"])
    assert "answers" not in second and second["citations"][0]["article"] == "13"
