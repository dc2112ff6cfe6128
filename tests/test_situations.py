"""The user's situation read whole: every number, date and category gets its role, every computed value its line.

Each calculator case of issue #10 is phrased here in two new ways (French and English), never copied from the
issue or the external question set.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answer import Answer, answer_question
from knowledge.calculators import StaffPart, absence_rules, add_months, count_headcount, dated_delay
from nlu.entities import find_date_spans, find_durations
from nlu.situation import find_events, find_staff, third_cycle_said
from nlu.text import fold


def _first(answer: Answer) -> str:
    return answer.citations[0].article if answer.citations else ""


def _articles(answer: Answer) -> list[str]:
    return [c.article for c in answer.citations]


# --- reading the situation ---------------------------------------------------------------------------------


def test_a_date_without_a_year_takes_the_year_of_the_date_before_it() -> None:
    text = fold("Dossier reçu le 20 novembre 2025 ; pièces demandées le 5 janvier, envoyées le 12 janvier.")
    days = [s.day for s in find_date_spans(text, "fr")]
    assert days == [dt.date(2025, 11, 20), dt.date(2026, 1, 5), dt.date(2026, 1, 12)]


def test_a_lone_yearless_date_is_no_date() -> None:
    assert find_date_spans(fold("réunion le 3 mars"), "fr") == []


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        (
            "Arrêté signé le 4 avril 2024, notifié le 19 avril 2024.",
            ["signed", "notified"],
        ),
        (
            "Our file went in on 1 March 2026 and was received complete on 9 March 2026.",
            [None, "received"],
        ),
        (
            "Complete file received 2 Feb 2026; the Minister asked for more information on 20 Feb 2026; "
            "we replied on 2 March 2026.",
            ["received", "info_requested", "info_received"],
        ),
        ("Fermeture définitive de l'établissement le 30 avril 2026.", ["ceased"]),
    ],
)
def test_each_date_gets_its_role(text: str, roles: list[str | None]) -> None:
    assert [e.role for e in find_events(fold(text), "en")] == roles


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Docteur en pharmacie après un cursus de six ans", 6),
        ("my veterinary degree took 5 years", 5),
        ("I studied pharmacy for six years at Lyon", 6),
        ("doctorat d'exercice (6 ans)", 6),
        ("j'ai 6 ans d'expérience en usine", None),
        ("deux ans dans un laboratoire, puis mon diplôme", None),
    ],
)
def test_study_length_in_any_wording(text: str, years: int | None) -> None:
    assert find_durations(fold(text))[1] == years


def test_a_denied_third_cycle_diploma_is_no_diploma() -> None:
    assert third_cycle_said(fold("cinq ans d'études mais pas de diplôme de 3e cycle")) is False
    assert third_cycle_said(fold("5-year degree without any postgraduate diploma")) is False
    assert third_cycle_said(fold("5 ans d'études et un DESS (troisième cycle)")) is True
    assert third_cycle_said(fold("six ans d'études")) is None


def test_staff_groups_by_activity() -> None:
    text = "Importateur : 70 salariés, dont 25 au contrôle qualité, 15 en logistique et 30 au service commercial."
    staff = find_staff(fold(text), original=text)
    assert staff is not None and staff.total == 70
    assert [(g.count, g.role) for g in staff.parts] == [(25, "counted"), (15, "counted"), (30, "not_counted")]
    assert staff.parts[2].activity == "service commercial"


# --- calculators ----------------------------------------------------------------------------------------------


def test_headcount_from_a_total_less_what_art_39_leaves_out() -> None:
    result = count_headcount(200, (StaffPart(50, "marketing", False),))
    assert (result.counted, result.basis) == (150, "total_less_excluded")


def test_headcount_from_listed_activities_and_a_rest_left_out() -> None:
    parts = (StaffPart(30, "production", True), StaffPart(12, "emballage", True))
    result = count_headcount(60, parts, rest_counted=False)
    assert (result.counted, result.rest) == (42, 18)


def test_inconsistent_groups_are_not_guessed() -> None:
    assert count_headcount(20, (StaffPart(30, "production", True),)).counted is None


def test_month_arithmetic_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 5, 31), -3) == dt.date(2026, 2, 28)
    assert dated_delay("opening_lapse", dt.date(2024, 2, 29)).due == dt.date(2026, 2, 28)


def test_a_suspension_adds_the_days_it_stood_still() -> None:
    result = dated_delay(
        "opening_decision", dt.date(2026, 1, 10), paused=(dt.date(2026, 2, 1), dt.date(2026, 2, 21))
    )
    assert (result.paused, result.due) == (20, dt.date(2026, 4, 30))


def test_absence_thresholds_are_exceeded_only_beyond_them() -> None:
    assert [r.applies for r in absence_rules(15, "day", "responsible")] == [False, False, False]
    assert [r.applies for r in absence_rules(16, "day", "responsible")] == [True, False, False]
    assert [r.applies for r in absence_rules(1, "month", "assistant")] == [False]
    assert [r.applies for r in absence_rules(1, "month", "assistant", beyond=True)] == [True]


# --- the cases of issue #10, each in two new wordings --------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Je suis pharmacien, diplômé au terme de six années d'études. Durée d'expérience exigée pour diriger "
        "un établissement importateur ?",
        "After a six-year veterinary curriculum, how long must I have worked before becoming responsible "
        "pharmacist of a manufacturer?",
    ],
)
def test_six_years_of_study_reduce_experience_to_six_months(question: str) -> None:
    a = answer_question(question)
    assert _first(a) == "26" and "26" in _articles(a)
    assert "II 2° a)" in a.answer
    assert ("6 mois" in a.answer or "6 months" in a.answer) and "2 ans" not in a.answer.split("\n")[0][:60]


@pytest.mark.parametrize(
    ("question", "counted", "assistants"),
    [
        (
            "Site de fabrication (1°) de 95 personnes : 30 à la production, 15 au contrôle qualité, 10 au "
            "conditionnement, le reste en administration et ventes. Combien d'assistants ?",
            "55",
            "2 pharmaciens",
        ),
        (
            "Our importer (2°) has 30 people in QC laboratory work, 20 in the warehouse and 12 in accounting. "
            "How many assistant pharmacists do we need?",
            "50",
            "2 assistant",
        ),
    ],
)
def test_staff_listed_by_activity_counts_only_what_art_39_counts(
    question: str, counted: str, assistants: str
) -> None:
    a = answer_question(question)
    assert _first(a) == "37" and "39" in _articles(a)
    assert assistants in a.answer.split("\n")[0]
    assert f"{counted} = " in a.answer  # one line of computation
    assert "art. 39" in a.answer


@pytest.mark.parametrize(
    "question",
    [
        "Notre grossiste répartiteur a 180 employés, dont 60 affectés aux ventes et à l'informatique : "
        "combien d'assistants faut-il ?",
        "Wholesale distributor, 180 employees in all, of whom 60 are in sales and IT. Number of assistant "
        "pharmacists?",
    ],
)
def test_a_total_less_sales_and_it_gives_the_headcount(question: str) -> None:
    a = answer_question(question)
    assert _first(a) == "38"
    assert "120 = 180 − 60" in a.answer
    assert "2 pharmaciens" in a.answer or "2 assistant pharmacists" in a.answer
    assert "3 pharmaciens" not in a.answer and "3 assistant" not in a.answer


@pytest.mark.parametrize(
    "question",
    [
        "Fabricant : 50 salariés, 12 au service commercial et tous les autres à l'administration. Combien "
        "d'assistants ?",
        "Our manufacturing firm employs 50 people: 12 in sales, the rest in administration. How many assistant "
        "pharmacists do we need?",
    ],
)
def test_staff_none_of_whom_article_39_counts_give_a_headcount_of_zero(question: str) -> None:
    a = answer_question(question)
    assert "art. 39" in a.answer
    assert "12 (" in a.answer  # the group left out is named
    assert "0" in a.answer.split("art. 39")[1][:8]


@pytest.mark.parametrize(
    "question",
    [
        "Combien d'assistants pour un dépositaire de 120 salariés ?",
        "How many assistants does a depositary with 120 employees need?",
    ],
)
def test_a_bare_total_is_stated_as_an_assumption(question: str) -> None:
    a = answer_question(question)
    assert _first(a) == "38"
    assert "Hypothèse" in a.answer or "Assumption" in a.answer


@pytest.mark.parametrize(
    ("question", "due"),
    [
        (
            "Demande d'ouverture reçue complète le 12 janvier 2026. Le 2 février, le ministère réclame des "
            "compléments ; nous les transmettons le 23 février. Date limite de la décision ?",
            "3 mai 2026",
        ),
        (
            "Complete opening application received on 12 January 2026; further information requested on "
            "2 February 2026 and sent back on 23 February 2026. By when must the Minister decide?",
            "3 May 2026",
        ),
    ],
)
def test_a_suspension_moves_the_decision_date(question: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == "9"
    assert due in a.answer
    assert "21" in a.answer  # the days of suspension, in the computation line


@pytest.mark.parametrize(
    ("question", "due"),
    [
        (
            "L'autorisation d'ouverture nous a été notifiée le 7 septembre 2025. Jusqu'à quand pouvons-nous "
            "démarrer ?",
            "7 septembre 2027",
        ),
        (
            "Our opening authorisation was signed on 25 August 2025 and notified on 7 September 2025. Until "
            "when may we start operating?",
            "7 September 2027",
        ),
    ],
)
def test_notified_authorisation_lapses_two_years_after_notification(question: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == "18" and "5" not in _articles(a)[:1]
    assert due in a.answer and "90" not in a.answer.split("\n")[0]


@pytest.mark.parametrize(
    ("question", "due"),
    [
        (
            "Nous avons terminé l'agrandissement de la zone de stockage le 14 avril 2026. Quelle date limite "
            "pour prévenir le ministre ?",
            "14 mai 2026",
        ),
        (
            "The alterations to our warehouse were completed on 14 April 2026. What is the deadline to report "
            "them?",
            "14 May 2026",
        ),
    ],
)
def test_completed_works_are_reported_within_the_month(question: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == "16"
    assert due in a.answer and "+ 1" in a.answer


@pytest.mark.parametrize(
    ("question", "due"),
    [
        (
            "Le contrat de location-gérance arrive à échéance le 31 août 2026 : avant quelle date le signaler "
            "au Ministre d'État ?",
            "31 mai 2026",
        ),
        (
            "Our lease-management contract ends on 31 August 2026. When is the latest we can tell the Minister?",
            "31 May 2026",
        ),
    ],
)
def test_a_contract_ending_is_reported_three_months_before(question: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == "23"
    assert due in a.answer and "− 3" in a.answer


@pytest.mark.parametrize(
    ("question", "due"),
    [
        (
            "Modification : dossier complet reçu le 10 mars 2026 et une enquête sur place est annoncée. Avant "
            "quelle date doit-on nous notifier la prorogation ?",
            "9 avril 2026",
        ),
        (
            "Complete modification file received on 10 March 2026; the ministry wants an on-site inspection. "
            "By when must the extension be notified to us?",
            "9 April 2026",
        ),
    ],
)
def test_the_prorogation_is_notified_before_the_first_delay_ends(question: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == "13"
    assert due in a.answer


@pytest.mark.parametrize(
    ("question", "first", "due"),
    [
        ("Nous cessons toute activité le 31 mars 2026 : quand prévenir le ministre ?", "19", "30 avril 2026"),
        (
            "I stop practising as responsible pharmacist on 31 March 2026. By when must I ask for removal from "
            "the Order's register?",
            "28",
            "30 April 2026",
        ),
    ],
)
def test_cessation_dates(question: str, first: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == first
    assert due in a.answer


@pytest.mark.parametrize(
    ("question", "first", "said"),
    [
        ("Notre assistant sera absent cinq semaines : doit-on le remplacer ?", "40", "Oui"),
        ("Our assistant pharmacist takes ten days off. Do we need a replacement?", "40", "No"),
        (
            "Le responsable s'absente quatre mois : quelles obligations pour son remplaçant ?",
            "30",
            "tableau de l'Ordre",
        ),
        (
            "Our responsible pharmacist is off for 12 days: is a registered letter needed?",
            "30",
            "no registered",
        ),
    ],
)
def test_absences_weighed_against_the_thresholds(question: str, first: str, said: str) -> None:
    a = answer_question(question)
    assert _first(a) == first
    assert said in a.answer


def test_a_responsible_absent_since_a_date_gets_the_dates_of_art_30() -> None:
    a = answer_question(
        "Notre pharmacienne responsable est en congé maladie depuis le 2 mars 2026. Quelles dates ?"
    )
    assert _first(a) == "30"
    assert "17 mars 2026" in a.answer and "2 mars 2027" in a.answer


@pytest.mark.parametrize(
    ("question", "said"),
    [
        (
            "Cinq ans d'études, pas de 3e cycle, 10 mois chez un fabricant : puis-je être responsable d'un importateur ?",
            "Non",
        ),
        (
            "Seven-year degree and 9 months of experience at a manufacturer: enough to be responsible of an importer?",
            "Yes",
        ),
    ],
)
def test_the_user_s_own_experience_is_compared(question: str, said: str) -> None:
    a = answer_question(question)
    assert _first(a) == "26"
    assert said in a.answer


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("Nos chauffeurs-livreurs entrent-ils dans l'effectif qui compte pour les assistants ?", "Non"),
        ("Are our marketing staff counted in the headcount for assistant pharmacists?", "No"),
        ("Les magasiniers sont-ils comptés dans l'effectif des assistants ?", "Oui"),
        ("Which employees are counted in the headcount for assistants?", "article 39"),
    ],
)
def test_whether_staff_count_under_art_39(question: str, said: str) -> None:
    a = answer_question(question)
    assert _first(a) == "39"
    assert said in a.answer


@pytest.mark.parametrize(
    ("question", "first"),
    [
        (
            "Vous m'avez donné l'expérience exigée pour un importateur ; pour un exploitant, est-ce pareil ?",
            "26",
        ),
        ("You told me the experience needed for a manufacturer. Is it the same for a depositary?", "27"),
    ],
)
def test_a_back_reference_asks_about_the_last_category(question: str, first: str) -> None:
    assert _first(answer_question(question)) == first


@pytest.mark.parametrize(
    ("question", "first", "due"),
    [
        (
            "Lot libéré le 3 février 2021, périmé le 30 juin 2024 : jusqu'à quand garder son dossier de lot ?",
            "48",
            "3 février 2026",
        ),
        (
            "Wholesale sale made on 9 October 2023: until when must we keep the transaction record?",
            "50",
            "9 October 2026",
        ),
    ],
)
def test_records_are_kept_until_a_computed_date(question: str, first: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == first
    assert due in a.answer.split("\n")[0] and f"{due} = " in a.answer


def test_a_month_without_a_day_gives_a_month() -> None:
    spans = find_date_spans(fold("registre de septembre 2020, jeté en 2024"), "fr")
    assert [(s.day, s.day_given) for s in spans] == [(dt.date(2020, 9, 1), False)]


@pytest.mark.parametrize(
    "question",
    [
        "Je cesse temporairement mon activité pendant six mois : faut-il demander ma radiation de l'Ordre ?",
        "Does a request for further information stop the 90-day clock while we wait?",
        "Le pharmacien lié par convention à notre usine d'aliments médicamenteux part 3 semaines : que faire ?",
    ],
)
def test_what_is_no_replacement_of_the_responsible_is_not_weighed_against_art_30(question: str) -> None:
    assert _first(answer_question(question)) != "30"


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("Je m'arrête temporairement dix mois : dois-je demander ma radiation du tableau ?", "Non"),
        (
            "Temporary break of two years from practice: do I have to ask for removal from the register?",
            "Yes",
        ),
    ],
)
def test_a_temporary_cessation_is_weighed_against_the_year_of_art_28(question: str, said: str) -> None:
    a = answer_question(question)
    assert _first(a) == "28" and a.answer.startswith(said)


@pytest.mark.parametrize(
    ("question", "first", "due"),
    [
        (
            "Responsable désigné à titre provisoire le 15 juin 2026 : jusqu'à quelle date au plus ?",
            "30",
            "15 juin 2027",
        ),
        (
            "Our authorisation was suspended on 2 March 2026 for an infringement. Latest end of the suspension?",
            "24",
            "2 March 2027",
        ),
    ],
)
def test_maximum_durations_from_a_date(question: str, first: str, due: str) -> None:
    a = answer_question(question)
    assert _first(a) == first and due in a.answer


@pytest.mark.parametrize(
    "question",
    [
        "Dossier d'ouverture déposé le 4 mai 2026 : date limite de la décision ?",
        "We filed our opening application on 4 May 2026. When is the decision due?",
    ],
)
def test_a_filing_date_is_not_taken_for_the_receipt_without_saying_so(question: str) -> None:
    a = answer_question(question)
    assert _first(a) == "5"
    assert "dépôt" in a.answer or "filing date" in a.answer
