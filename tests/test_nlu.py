"""The NLU reads language, intent and entities, whatever the spelling, and never fails on bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from nlu import understand
from nlu.dictionary import is_general_word
from nlu.text import contains_fact, fold


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Quel est le délai de réponse pour une modification ?", "fr"),
        ("dlai douverture", "fr"),
        ("How long does the ministry have to decide on an opening application?", "en"),
        ("How many assistants for a wholesaler with 150 employees?", "en"),
        ("¿Cuál es el plazo para abrir una farmacia?", "other"),
        ("Wie lange dauert die Genehmigung?", "other"),
        ("article 14", "fr"),
    ],
)
def test_language(text: str, lang: str) -> None:
    assert understand(text).lang == lang


def test_a_session_language_yields_to_a_message_clearly_in_the_other() -> None:
    assert understand("How long must batch documents be kept?", "fr").lang == "en"
    assert understand("article 14", "en").lang == "en"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Bonjour", "greeting"),
        ("merci beaucoup", "greeting"),
        ("Hello!", "greeting"),
        ("aide", "help"),
        ("Que sais-tu faire ?", "help"),
        ("/help", "help"),
        ("Je veux parler à un humain", "human"),
        ("Can I talk to a real person?", "human"),
        ("/human", "human"),
        ("Je veux commencer un dossier d'ouverture", "dossier"),
        ("reprendre mon dossier", "dossier"),
        ("I want to start a transfer application", "dossier"),
        ("Pouvez-vous vérifier mes documents ?", "check_documents"),
        ("Please check my PDF documents", "check_documents"),
        ("article 14", "article_lookup"),
        ("l'article premier", "article_lookup"),
        ("6 d)", "article_lookup"),
        ("show me article 30", "article_lookup"),
        ("combien d'assistants pour un distributeur de 150 personnes ?", "calculation"),
        ("combien dassistant pour un fabriquant de 50 perssonnes", "calculation"),
        ("Expérience requise pour un fabricant avec 6 ans d'études ?", "calculation"),
        ("dossier complet reçu le 2 mars 2026, date de décision ?", "calculation"),
        ("Qui a gagné le match de foot hier ?", "out_of_scope"),
        ("Quels sont les frais de dossier ?", "out_of_scope"),
        ("délai de réponse pour une modification ?", "rule_question"),
        ("Le silence de l'administration vaut-il refus ?", "rule_question"),
        ("La recevabilité du dossier m'est-elle notifiée ?", "rule_question"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert understand(text).intent == intent


@pytest.mark.parametrize(
    ("text", "number", "part"),
    [
        ("art 14", "14", None),
        ("Art. 14", "14", None),
        ("l'article premier", "1", None),
        ("article 1er", "1", None),
        ("6 d)", "6", "d)"),
        ("que dit l'article 6 d) ?", "6", "d)"),
        ("le 5° de l'article 2", "2", "5°"),
        ("article 26 II 2° a)", "26", "II 2° a)"),
        ("article 13 alinéa 2", "13", "al. 2"),
        ("article R4211-63 du code de la santé publique", "R4211-63", None),
    ],
)
def test_article_references(text: str, number: str, part: str | None) -> None:
    refs = understand(text).entities.articles
    assert refs and refs[0].number == number and refs[0].part == part


def test_a_named_code_is_recognised() -> None:
    assert understand("article R4211-63 du code de la santé publique").entities.texts == (
        "code-de-la-sante-publique",
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("un grossiste", 5),
        ("un distributeur en gros", 5),
        ("a wholesaler", 5),
        ("wholesaller", 5),
        ("un dépositaire", 4),
        ("un depositaire", 4),
        ("un fabricant d'aliments médicamenteux", 11),
        ("un fabriquant", 1),
        ("a medicated feed manufacturer", 11),
        ("un distributeur en gros à l'exportation", 6),
        ("un importateur d'aliments médicamenteux", 12),
        ("un distributeur d'aliments médicamenteux", 13),
        ("un exploitant", 3),
        ("un distributeur de prémélanges", 9),
        ("la catégorie 7", 7),
    ],
)
def test_categories_in_any_wording(text: str, category: int) -> None:
    assert understand(text).entities.category == category


@pytest.mark.parametrize(
    ("text", "headcount"),
    [
        ("150 personnes", 150),
        ("150 perssonnes", 150),
        ("150 employees", 150),
        ("un effectif de 80 salariés", 80),
        ("wholesaler staff 200", 200),
    ],
)
def test_headcounts(text: str, headcount: int) -> None:
    assert understand(text).entities.headcount == headcount


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("reçu le 2 mars 2026", dt.date(2026, 3, 2)),
        ("reçu le 02/03/2026", dt.date(2026, 3, 2)),
        ("received on March 2, 2026", dt.date(2026, 3, 2)),
        ("received on 2 March 2026", dt.date(2026, 3, 2)),
        ("received 2026-03-02", dt.date(2026, 3, 2)),
        ("le 1er juin 2026", dt.date(2026, 6, 1)),
    ],
)
def test_dates(text: str, day: dt.date) -> None:
    assert understand(text).entities.date == day


def test_durations_and_study_length() -> None:
    e = understand("au moins deux semaines et 24 heures, après 5 ans d'études").entities
    assert {(d.amount, d.unit) for d in e.durations} == {(2, "week"), (24, "hour")}
    assert e.study_years == 5
    assert understand("with a six-year degree").entities.study_years == 6
    assert understand("études de 6 ans").entities.study_years == 6
    assert understand("bac+5 et un diplôme de troisième cycle").entities.study_years == 5
    assert understand("bac+5 et un diplôme de troisième cycle").entities.third_cycle


def test_typos_and_missing_accents_are_mended() -> None:
    u = understand("dlai douverture")
    assert "delai" in u.words and "ouverture" in u.words
    assert understand("combien dassistants pour 150 perssonnes").entities.headcount == 150


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\x00\x01\x02\xff",
        "😀😀😀",
        "x" * 100_000,
        "<script>alert(1)</script>",
        "**[a](b)**",
        "\ud800",
    ],
)
def test_bad_input_never_fails(text: str) -> None:
    u = understand(text)
    assert u.intent and u.lang in {"fr", "en", "other"}
    assert len(u.text) <= 2000


def test_fact_comparison_ignores_accents_case_and_number_words() -> None:
    assert contains_fact("Le délai est de quatre-vingt-dix jours.", "90 jours")
    assert contains_fact("au moins DEUX ans", "2 ans")
    assert not contains_fact("trente jours", "90 jours")
    assert fold("Œuvre Déjà") == "oeuvre deja"


@pytest.mark.parametrize(
    ("text", "formality", "procedure"),
    [
        ("Combien de temps pour un transfert ?", "delay", "transfer"),
        ("How long does a transfer of the authorisation take?", "delay", "transfer"),
        ("Que se passe-t-il si le ministre ne répond pas ?", "silence", None),
        (
            "Le ministre n'a pas répondu à ma demande de modification après 30 jours",
            "silence",
            "modification",
        ),
        ("Qui signe la demande ?", "signer", None),
        ("combien d'exemplairs pour la demande douverture", "copies", "opening"),
        ("how many copys", "copies", None),  # the misspelt plural reads as the singular
        ("À qui envoyer la demande de modification ?", "addressee", "modification"),
        ("Mon dossier est-il recevable ?", "admissibility", None),
        # another subject, or a date for the calculator: not a formality question
        ("Dans quel délai informer le ministre de la cessation d'activité ?", None, None),
        ("Dans quel délai l'établissement doit-il ouvrir après l'autorisation ?", None, "opening"),
        ("Faut-il une copie certifiée conforme du diplôme ?", None, None),
        ("Dossier complet reçu le 2 mars 2026, délai de décision pour une ouverture ?", None, "opening"),
        ("Combien d'assistants pour un grossiste de 150 personnes ?", None, None),
    ],
)
def test_the_formality_of_a_request_a_question_asks_about(
    text: str, formality: str | None, procedure: str | None
) -> None:
    u = understand(text)
    assert u.formality == formality
    assert u.entities.procedure == procedure


def test_a_partial_transfer_and_hyphenated_code_numbers_are_read() -> None:
    assert understand("Combien de temps pour un transfert partiel ?").entities.partial_transfer
    assert not understand("Combien de temps pour un transfert ?").entities.partial_transfer
    assert [r.number for r in understand("article 1240-1 du code civil").entities.articles] == ["1240-1"]
    assert understand("articles 5-6").entities.articles == ()  # not a number of its own


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("Peut-on exporter des médicaments hors UE ?", []),  # the French verb, not the English noun
        ("À qui un dépositaire peut-il distribuer les médicaments ?", [4]),  # 'distribuer' names no one
        ("Can an exporter sell to a pharmacy?", [6]),
        ("Un importateur peut-il sous-traiter ?", [2]),
    ],
)
def test_a_verb_is_no_category(text: str, categories: list[int]) -> None:
    assert [c.number for c in understand(text).entities.categories] == categories


@pytest.mark.parametrize(
    "text",
    [
        "How long do we have to write to the ministry between the two requests?",
        "Can we use a new blister line without prior authorisation?",
        "What happens when we come to close one of our two warehouses?",
    ],
)
def test_everyday_english_words_are_no_unknown_subject(text: str) -> None:
    assert understand(text).unknown_nouns == ()


@pytest.mark.parametrize(
    "text",
    ["What are the rules for the zorblax registration?", "Quelles règles pour un zorblax ?"],
)
def test_a_word_of_neither_the_texts_nor_the_language_is_an_unknown_subject(text: str) -> None:
    assert understand(text).unknown_nouns == ("zorblax",)


def test_a_french_noun_the_texts_never_use_stays_the_subject() -> None:
    assert "honoraires" in understand("Quels sont les honoraires du pharmacien ?").unknown_nouns


def test_the_general_vocabulary_is_folded_like_the_messages() -> None:
    assert is_general_word("entrepot", "fr") and is_general_word("write", "en")
    assert not is_general_word("write", "fr") and not is_general_word("zorblax", "en")


def test_the_closed_word_sets_are_written_as_they_are_matched() -> None:
    # words.yaml is read through fold(): a word written with an accent or a capital would still match, but the
    # file would then show a word the code never sees. Every entry is written folded, and each list is read.
    import yaml

    from knowledge.text import WORDS_FILE, word_names, word_numbers, word_set

    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    for name, entries in data.items():
        assert all(fold(str(word)) == str(word) for word in entries), name
        if isinstance(entries, list):
            assert len(word_set(name)) == len(entries), name
        elif all(isinstance(value, int) for value in entries.values()):
            assert len(word_numbers(name)) == len(entries), name
        else:
            assert len(word_names(name)) == len(entries), name
    assert word_numbers("months")["fevrier"] == 2
    assert word_names("duration_units")["semaines"] == "week"
    assert "quelles" in word_set("question_words")
