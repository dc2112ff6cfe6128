"""A button or a number answers only the question it was shown with (issue #12), on the core and the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import COMPLETED, REVIEW
from tests.test_core_console import _vetpharma
from tests.transcript import Chat, answer_every_question, make_core, spec


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return Chat(make_core(tmp_path))


def _to_owner_question(chat: Chat) -> None:
    chat.send("/dossier opening")
    for _ in range(10):
        if "appartient-elle à une société" in chat.text:
            return
        field = _asked(chat)
        chat.send(_SCRIPT[field])
    raise AssertionError(chat.transcript())


_SCRIPT = {
    "responsible_civility": "Madame",
    "responsible_last_name": "Dupont",
    "responsible_first_name": "Marie",
    "responsible_nationality": "monégasque",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": "Pharmacien",
    "owner": "Une société",
    "company_form": "SAM",
    "company_name": "VetDistrib SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
    "annex_addresses": "aucune",
    "categories": "1, 5",
    "pharmaceutical_forms": "comprimés",
}


def _asked(chat: Chat) -> str:
    opening = spec("opening")
    found = [f for f in opening.fields if f.question["fr"] in chat.last.text]
    assert found, chat.transcript()
    return max(found, key=lambda f: len(f.question["fr"])).id


def _dossier(chat: Chat) -> dict[str, object]:
    [record] = chat.core.store.dossiers(chat.key)
    return dict(record.answers)


def test_a_stale_button_is_refused_and_not_stored(chat: Chat) -> None:
    _to_owner_question(chat)
    individual = next(c.value for c in chat.last.choices if c.label == "Une personne physique")
    chat.send("Une société")
    chat.send("SAM")
    assert _asked(chat) == "company_name"
    # The "Une personne physique" button of the owner question, pressed now.
    chat.send(individual)
    assert "répondait à une autre question" in chat.text and "je ne l'ai pas enregistré" in chat.text
    assert _dossier(chat)["owner"] == "company"
    assert "company_name" not in _dossier(chat)
    assert _asked(chat) == "company_name"  # the current question is asked again


def test_a_number_answers_the_question_shown_even_after_a_command_and_a_restart(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    _to_owner_question(chat)
    chat.send("/status")
    chat.send("2")
    assert _dossier(chat)["owner"] == "individual"
    assert _asked(chat) == "owner_last_name"
    chat.send("retour")
    assert _asked(chat) == "owner"
    chat.core.close()
    # A restart between the question and its answer: the number still means that question's choice.
    chat = Chat(make_core(tmp_path))
    chat.send("1")
    assert _dossier(chat)["owner"] == "company"
    assert _asked(chat) == "company_form"


def test_one_at_the_review_corrects_answer_one_and_never_submits(chat: Chat) -> None:
    chat.send("/dossier opening")
    answer_every_question(chat, spec("opening"), "fr", _SCRIPT)
    assert "Relecture du dossier" in chat.text
    assert not chat.last.numbered  # the actions are words/buttons, the numbers are the answers'
    chat.send("1")
    [record] = chat.core.store.dossiers(chat.key)
    assert record.status == REVIEW and not chat.files()
    assert "Modification d'une réponse" in chat.text and "(Réponse actuelle : Dupont)" in chat.text
    chat.send("Dupont")
    assert "Relecture du dossier" in chat.text
    chat.send("valider")
    assert "pas encore reçues" in chat.text and not chat.files()  # asked first: no piece was sent
    chat.send("1")  # "Établir la lettre": here the choices are numbered, and "1" is that one
    [record] = chat.core.store.dossiers(chat.key)
    assert record.status == COMPLETED and chat.files()


def test_terminal_review_lists_actions_without_numbers(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/dossier ouverture",
            "Dupont",
            "Marie",
            "Madame",
            "monégasque",
            "12 boulevard des Moulins, 98000 Monaco",
            "1",
            "2",
            "Dupont",
            "Marie",
            "5 rue de l'Industrie, 98000 Fontvieille",
            "aucune",
            "4, 5",
            "1",
            "/status",
            "1",
            "Dupont",
            "/quit",
            "",
        ]
    )
    done = _vetpharma(["chat", "--lang", "fr"], script, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    review = out[out.index("Relecture du dossier") :]
    assert "• ✅ Valider le dossier" in review and "[1] ✅ Valider" not in review
    # "1" at the review reopened answer 1, it did not submit the dossier.
    assert "Le dossier n° 1 est complet" not in out
    assert "(Réponse actuelle : Dupont)" in out


def test_matrix_lists_word_actions_without_numbers() -> None:
    from bot.adapters.matrix import render_reply
    from bot.messages import Choice, Reply

    actions = Reply("1. Nom : Dupont", choices=(Choice("✅ Valider", "/confirm"),), numbered=False)
    [content] = render_reply(actions)
    assert content["body"].endswith("• ✅ Valider") and "<ul>" in content["formatted_body"]
    [numbered] = render_reply(Reply("?", choices=(Choice("Oui", "yes"),)))
    assert numbered["body"].endswith("1. Oui") and "<ol>" in numbered["formatted_body"]


def test_an_upload_at_the_review_gets_a_short_reminder_not_the_whole_review(chat: Chat) -> None:
    from tests.transcript import DIPLOMA_LINES, text_pdf

    chat.send("/dossier opening")
    answer_every_question(chat, spec("opening"), "fr", _SCRIPT)
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    assert "Relecture du dossier" not in chat.text and "Nationalité du responsable" not in chat.text
    assert "est prêt à valider" in chat.text and not chat.last.numbered
    chat.send("1")  # still an answer's number at the review
    assert "(Réponse actuelle : Dupont)" in chat.text


def test_a_number_typed_at_a_text_question_is_not_stored(chat: Chat) -> None:
    _to_owner_question(chat)
    chat.send("1")  # "Une société"
    chat.send("1")  # SAM
    assert _asked(chat) == "company_name"
    chat.send("2")  # read on an earlier list: no choice is shown with this question
    assert "ressemble au numéro d'un choix" in chat.text and _asked(chat) == "company_name"
    assert "company_name" not in _dossier(chat)


def test_small_talk_is_answered_as_such_and_never_stored(chat: Chat) -> None:
    chat.send("au revoir")
    assert "Au revoir" in chat.text
    _to_owner_question(chat)
    chat.send("1")
    chat.send("1")
    assert _asked(chat) == "company_name"
    chat.send("ok")
    assert "attend toujours sa réponse" in chat.text and _asked(chat) == "company_name"
    chat.send("merci")
    assert "company_name" not in _dossier(chat)
    chat.send("bye")
    assert "Votre dossier n° 1 est enregistré" in chat.text
    chat.send("menu")
    assert chat.choices[0].startswith("▶️ Reprendre le dossier n° 1")
    chat.send("1")
    assert _asked(chat) == "company_name"
