"""Conversation transcripts: every dossier type end to end in French and English, resume, edit, cancel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.store import CANCELLED, COMPLETED
from dossier_checker.spec import load_specs
from tests.transcript import Chat, answer_every_question, make_core, pdf_text, spec

ANSWERS = {
    "fr": {
        "responsible_last_name": "Dupont",
        "responsible_first_name": "Marie",
        "responsible_civility": "Madame",
        "responsible_nationality": "monégasque",
        "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
        "responsible_profession": "Pharmacien",
        "owner": "Une société",
        "owner_last_name": "Rossi",
        "owner_first_name": "Paolo",
        "company_form": "SAM",
        "company_name": "VetDistrib SAM",
        "company_head_office": "1 avenue de la Costa, 98000 Monaco",
        "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
        "annex_addresses": "passer",
        "categories": "1, 5",
        "pharmaceutical_forms": "comprimés et solutions buvables",
        "authorisation_reference": "A.M. n° 2004-123",
        "change_nature": "Extension de la zone de stockage",
        "premises_change": "oui",
        "premises_change_kind": "1",
        "premises_concerned": "Entrepôt B, 120 m²",
        "equipment_change": "non",
        "equipment_concerned": "Chambre froide",
        "other_products": "aucun",
        "start_date": "15/09/2031",
        "schedule": "Deux phases : gros œuvre puis aménagement",
        "duration": "6 semaines",
        "transfer_kind": "1",
        "previous_owner_name": "Ancienne Pharma SARL",
        "previous_responsible_last_name": "Martin",
        "previous_responsible_first_name": "Paul",
        "previous_responsible_civility": "Monsieur",
        "previous_responsible_profession": "Pharmacien",
        "lease_end_date": "31/12/2032",
        "transfer_date": "passer",
        "original_establishment_address": "7 rue du Port, 98000 Monaco",
        "original_categories": "5",
        "original_pharmaceutical_forms": "aucune",
    },
    "en": {
        "responsible_last_name": "Smith",
        "responsible_first_name": "John",
        "responsible_civility": "Mr",
        "responsible_nationality": "britannique",
        "responsible_address": "3 Princess Grace Avenue, 98000 Monaco",
        "responsible_profession": "Veterinarian",
        "owner": "An individual",
        "owner_last_name": "Smith",
        "owner_first_name": "John",
        "company_form": "SARL",
        "company_name": "PetMeds SARL",
        "company_head_office": "2 rue Grimaldi, 98000 Monaco",
        "establishment_address": "9 avenue Albert II, 98000 Monaco",
        "annex_addresses": "none",
        "categories": "wholesaler",
        "pharmaceutical_forms": "comprimés",
        "authorisation_reference": "skip",
        "change_nature": "Nouveau logiciel de traçabilité des lots",
        "premises_change": "no",
        "premises_change_kind": "1",
        "premises_concerned": "Entrepôt",
        "equipment_change": "yes",
        "equipment_concerned": "Logiciel de gestion d'entrepôt",
        "other_products": "none",
        "start_date": "01/02/2032",
        "schedule": "Un week-end",
        "duration": "2 jours",
        "transfer_kind": "2",
        "previous_owner_name": "Old Pharma SAM",
        "previous_responsible_last_name": "Brown",
        "previous_responsible_first_name": "Anna",
        "previous_responsible_civility": "Ms",
        "previous_responsible_profession": "Veterinarian",
        "lease_end_date": "30/06/2033",
        "transfer_date": "01/01/2032",
        "original_establishment_address": "7 rue du Port, 98000 Monaco",
        "original_categories": "4",
        "original_pharmaceutical_forms": "none",
    },
}
START = {"fr": "bonjour", "en": "hello"}
CONFIRM = {"fr": "valider", "en": "confirm"}


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return Chat(make_core(tmp_path))


def _run(chat: Chat, kind: str, lang: str) -> list[str]:
    chat.send(START[lang])
    chat.send(f"/dossier {kind}")
    title = spec(kind).title[lang]
    assert title in chat.text
    asked = answer_every_question(chat, spec(kind), lang, ANSWERS[lang])
    review = chat.text
    assert ("Relecture du dossier" if lang == "fr" else "Review of dossier") in review, chat.transcript()
    chat.send(CONFIRM[lang])
    # No piece was sent: the letter is issued only once the user accepts it lists them "à joindre".
    assert ("pas encore reçues" if lang == "fr" else "not received and checked yet") in chat.text
    chat.send(CONFIRM[lang])
    return asked


def _letter(chat: Chat) -> str:
    files = chat.files()
    letters = [(name, data) for name, data in files if name.startswith("demande-")]
    assert len(letters) == 1, chat.transcript()
    name, data = letters[0]
    assert name.endswith(".pdf")
    text = pdf_text(data)
    flat = " ".join(text.split())
    # Always French: no English label of a fixed choice, no English yes/no, whatever the conversation's language.
    for dossier in load_specs().values():
        for field in dossier.fields:
            for choice in field.choices:
                english, french = choice.label["en"], choice.label["fr"]
                if english != french and len(english) > 3:
                    assert f": {english}" not in flat, english
    assert ": Yes" not in flat and ": No " not in flat and ": none" not in flat.casefold()
    # Only pieces received are "jointes": none was sent in these walks.
    assert "Pièces jointes" not in flat and "Pièces à joindre (non encore reçues)" in flat
    return text


def test_opening_in_french_company_owner(chat: Chat) -> None:
    asked = _run(chat, "opening", "fr")
    assert "company_name" in asked and "owner_last_name" not in asked
    assert "pharmaceutical_forms" in asked  # category 1° (manufacturer) brings it
    assert "Le dossier n° 1 est complet" in chat.text
    assert "au moins deux ans" in chat.text  # art. 26 advice for a manufacturer
    assert "incompatibles avec l'exploitation d'une officine" in chat.text  # art. 34
    letter = _letter(chat)
    assert "Marie DUPONT" in letter and "VetDistrib SAM" in letter and "Exemplaire n° 2 sur 2" in letter
    checklist = chat.last.text
    assert "Pièces à joindre (0 sur 6 reçues et vérifiées)" in checklist
    assert "Statuts de la société — art. 6 d) — non reçue" in checklist


def test_opening_in_english_individual_owner(chat: Chat) -> None:
    asked = _run(chat, "opening", "en")
    assert "owner_last_name" in asked and "company_name" not in asked
    assert "pharmaceutical_forms" not in asked  # 5° only: no manufacturing or import
    assert "Dossier no. 1 is complete" in chat.text
    assert "six months" in chat.text  # art. 27 advice for a wholesaler
    letter = _letter(chat)
    assert "John SMITH" in letter and "Vétérinaire responsable" in letter
    assert "Statuts" not in letter
    assert "Documents to attach (0 of 3 received and checked)" in chat.last.text


def test_modification_in_french_with_premises_change(chat: Chat) -> None:
    asked = _run(chat, "modification", "fr")
    assert "premises_concerned" in asked and "equipment_concerned" not in asked
    assert "pharmaceutical_forms" in asked  # categories 1 and 5: manufacturing (art. 14 c))
    letter = _letter(chat)
    assert "Entrepôt B, 120 m²" in letter and "15/09/2031" in letter
    assert "Titre de propriété ou bail des locaux concernés — art. 14" in chat.last.text


def test_modification_in_english_without_premises_change(chat: Chat) -> None:
    asked = _run(chat, "modification", "en")
    assert "premises_concerned" not in asked and "equipment_concerned" in asked
    assert "pharmaceutical_forms" not in asked
    assert "authorisation_reference" in asked  # optional, skipped
    assert "Documents to attach (0 of 2 received and checked)" in chat.last.text
    assert "Logiciel de gestion d'entrepôt" in _letter(chat)


def test_transfer_in_french_change_of_ownership(chat: Chat) -> None:
    asked = _run(chat, "transfer", "fr")
    assert "lease_end_date" not in asked and "transfer_date" in asked
    letter = _letter(chat)
    assert "conjointement" in letter and "Paul MARTIN" in letter and "Marie DUPONT" in letter
    assert "Acte d'acquisition ou contrat de location-gérance — art. 20 b)" in chat.last.text


def test_transfer_in_english_lease_management(chat: Chat) -> None:
    asked = _run(chat, "transfer", "en")
    assert "lease_end_date" in asked
    assert "30/06/2033" in _letter(chat)
    assert "Minutes approving the transfer — art. 20 c)" in chat.last.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_partial_transfer_end_to_end(chat: Chat, lang: str) -> None:
    asked = _run(chat, "partial_transfer", lang)
    assert "original_establishment_address" in asked and "responsible_last_name" in asked
    letter = _letter(chat)
    assert "article 21" in letter and "7 rue du Port" in letter
    assert ("Plans des locaux avant et après modification" if lang == "fr" else "Plans of the premises") in (
        chat.last.text
    )


def test_progress_is_shown_as_steps(chat: Chat) -> None:
    chat.send("/dossier ouverture")
    assert "Étape 1/" in chat.text
    chat.send("Dupont")
    assert re.search(r"Étape 2/\d+", chat.text)


def test_resume_after_restart(tmp_path: Path) -> None:
    first = Chat(make_core(tmp_path))
    first.send("/dossier modification")
    first.send("Dupont")
    first.send("Marie")
    first.send("Madame")
    first.send("Pharmacien")
    assert "Étape 5/" in first.text
    first.core.store.close()  # the process dies here

    second = Chat(make_core(tmp_path))
    second.send("/status")
    assert "Réponses : 4 sur" in second.text
    second.send("/dossier")
    assert "Reprenons votre dossier n° 1" in second.text
    assert "Étape 5/" in second.text and "adresse de l'établissement concerné" in second.text
    answer_every_question(second, spec("modification"), "fr", ANSWERS["fr"])
    second.send("valider")
    second.send("oui")  # the letter with the pieces "à joindre"
    assert "Marie DUPONT" in _letter(second)


def test_edit_from_the_review(chat: Chat) -> None:
    chat.send("/dossier opening")
    answer_every_question(chat, spec("opening"), "fr", ANSWERS["fr"])
    assert "4. Nationalité du responsable : monégasque" in chat.text
    chat.send("modifier 4")
    assert "(Réponse actuelle : monégasque)" in chat.text
    chat.send("française")
    assert "4. Nationalité du responsable : française" in chat.text
    # The menu way: the "Modifier une réponse" button, then a number, on an answer that changes what applies.
    chat.send("✏️ Modifier une réponse")
    assert "Quelle réponse voulez-vous modifier" in chat.text
    owner_number = next(i for i, c in enumerate(chat.choices, 1) if "Propriétaire" in c)
    chat.send(str(owner_number))
    chat.send("Une personne physique")
    assert "Nom du pharmacien ou vétérinaire propriétaire" in chat.text  # newly required by the edit
    chat.send("Rossi")
    chat.send("Paolo")
    assert "Relecture du dossier" in chat.text and "Dénomination sociale" not in chat.text
    chat.send("valider")
    chat.send("oui")  # the letter with the pieces "à joindre"
    letter = _letter(chat)
    assert "française" in letter and "Rossi" in letter and "VetDistrib" not in letter


def test_back_and_skip(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.send("retour")
    assert "première question" in chat.text
    chat.send("Dupont")
    chat.send("retour")
    assert "Étape 1/" in chat.text and "nom du pharmacien" in chat.text
    chat.send("passer")
    assert "obligatoire (article 6)" in chat.text and "Étape 1/" in chat.text
    chat.send("Durand")
    chat.send("/back")
    chat.send("Dupont")
    assert "Étape 2/" in chat.text


def test_question_in_the_middle_then_the_walkthrough_resumes(chat: Chat) -> None:
    pytest.importorskip("bot.answer", reason="question answering (issue 3) is not installed")
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.send("Quel est le délai de réponse du ministre pour une ouverture ?")
    answer, rest = chat.text.split("Reprenons le dossier.")
    assert "Art. " in answer and "Arrêté Ministériel n° 2003-175" in answer  # an answer quoting the decree
    assert "Étape 2/" in rest and "Quel est son prénom ?" in rest
    chat.send("combien d'assistants pour un grossiste de 80 personnes")  # a question without "?"
    assert "Reprenons le dossier." in chat.text and "Étape 2/" in chat.text
    chat.send("Marie")
    assert "Étape 3/" in chat.text


def test_question_in_the_middle_is_never_taken_as_an_answer(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.send("Combien de temps faut-il pour obtenir l'autorisation ?")
    assert "Étape 1/" in chat.text
    chat.send("/status")
    assert "Réponses : 0 sur" in chat.text


def test_cancel_then_reopen(chat: Chat) -> None:
    chat.send("/dossier transfert")
    chat.send("Dupont")
    chat.send("/cancel")
    # Asked first: "non" keeps the dossier going, "oui" abandons it.
    assert "Abandonner le dossier n° 1 (Transfert (art. 20)) ?" in chat.text
    chat.send("non")
    assert "le dossier continue" in chat.text and "Étape 2/" in chat.text
    chat.send("stop")
    assert "Abandonner le dossier n° 1" in chat.text
    chat.send("oui")
    assert "Le dossier n° 1 (Transfert (art. 20)) est abandonné" in chat.text
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None and dossier.status == CANCELLED
    chat.send("Marie")  # no dossier in progress any more: not an answer
    assert chat.core.store.dossier_by_number(chat.key, 1).answers == {"responsible_last_name": "Dupont"}  # type: ignore[union-attr]
    chat.send("/status")
    assert "pas de dossier en cours" in chat.text
    chat.send("/dossier 1")
    assert "Reprenons votre dossier n° 1" in chat.text and "Étape 2/" in chat.text
    chat.send("/annuler")
    chat.send("1")  # "Oui, abandonner"
    chat.send("/cancel")
    assert "Aucun dossier en cours" in chat.text


@pytest.mark.parametrize(
    ("setup", "bad", "expected"),
    [
        ((), "", "ne peut pas être vide"),
        ((), "   ", "ne peut pas être vide"),
        ((), "Dupont3", "pas de chiffres"),
        (
            ("Dupont", "Marie", "Madame", "monégasque", "12 rue Grimaldi", "1"),
            "peut-être",
            "ne fait pas partie des réponses",
        ),
        (("Dupont", "Marie", "Madame", "monégasque"), "12345", "aucun nom de rue"),
    ],
)
def test_bad_answers_get_a_clear_reask(chat: Chat, setup: tuple[str, ...], bad: str, expected: str) -> None:
    chat.send("/dossier opening")
    for text in setup:
        chat.send(text)
    step = re.search(r"Étape (\d+)/", chat.text)
    assert step, chat.transcript()
    question = chat.last.text.split("\n")[1]
    chat.send(bad)
    assert expected in chat.text
    assert f"Étape {step.group(1)}/" in chat.text and question in chat.text


def test_unknown_category_and_impossible_date_are_reasked(chat: Chat) -> None:
    chat.send("/dossier modification")
    answers = ANSWERS["fr"]
    while "catégories" not in chat.last.text:
        field_id = next(f.id for f in spec("modification").fields if f.question["fr"] in chat.last.text)
        chat.send(answers[field_id])
    chat.send("vendeur de glaces")
    assert "Je ne reconnais pas la catégorie « vendeur de glaces »" in chat.text
    assert "1° Fabricant" in chat.text  # the list is shown again
    chat.send("15")
    assert "Il n'y a pas de catégorie n° 15" in chat.text
    chat.send("5")
    chat.send("aucun")
    assert "date" in chat.text.lower()
    chat.send("31/02/2026")
    assert "La date « 31/02/2026 » n'existe pas : le mois 2/2026 n'a que 28 jours." in chat.text
    assert "À quelle date la modification sera-t-elle engagée" in chat.text
    chat.send("30/02/2031")
    assert "n'a que 28 jours" in chat.text
    chat.send("15/09/2031")
    assert "Quel est le calendrier" in chat.text


def test_choices_accept_number_value_and_label(tmp_path: Path) -> None:
    for typed in ("2", "individual", "Une personne physique"):
        chat = Chat(make_core(tmp_path / typed))
        chat.send("/dossier opening")
        for text in ("Dupont", "Marie", "Madame", "monégasque", "12 rue Grimaldi, Monaco", "1"):
            chat.send(text)
        assert chat.choices == ["Une société", "Une personne physique"]
        chat.send(typed)
        assert "Nom du pharmacien ou vétérinaire propriétaire" in chat.text, typed


def test_several_dossiers_per_user_each_with_a_status(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.send("/dossier modification")
    assert "Votre dossier n° 1 (Ouverture (art. 5-6)) reste en cours" in chat.text
    chat.send("/dossiers")
    assert "n° 1 — Ouverture (art. 5-6) — en cours" in chat.text
    assert "n° 2 — Modification (art. 12-14) — en cours ◀" in chat.text
    chat.send("/dossier 1")
    assert "Étape 2/" in chat.text


def test_users_never_see_each_others_dossiers(tmp_path: Path) -> None:
    core = make_core(tmp_path)
    alice, bob = Chat(core, user="alice"), Chat(core, user="bob")
    alice.send("/dossier opening")
    alice.send("Dupont")
    bob.send("/dossier 1")
    assert "Vous n'avez pas de dossier n° 1" in bob.text
    bob.send("/status")
    assert "Dupont" not in bob.text and "pas de dossier en cours" in bob.text
    bob.send("/dossiers")
    assert "aucun dossier" in bob.text


def test_completed_dossier_status_and_letter_again(chat: Chat) -> None:
    chat.send("/dossier opening")
    answer_every_question(chat, spec("opening"), "fr", ANSWERS["fr"])
    chat.send("/lettre")
    assert "La lettre est établie à la fin du dossier" in chat.text
    chat.send("valider")
    chat.send("oui")  # the letter with the pieces "à joindre"
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None and dossier.status == COMPLETED
    chat.send("/status")
    assert "terminé (lettre établie)" in chat.text
    chat.send("/letter")
    assert len(chat.files()) == 1
