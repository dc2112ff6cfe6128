"""Cross-checks with their article (issue #12 §5): answers against documents, documents against each other.

Transcripts on the terminal's core: a company's statutes in another legal form, a French SAS's Kbis sent for
a Monaco SAM, a lease giving another registration number, a head office typed wrong then corrected; dates
that pass while the dossier waits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core import Core
from bot.settings import Settings
from bot.store import open_store
from dossier_checker import crosscheck
from tests.test_letter_truth import OPENING
from tests.transcript import Chat, Clock, answer_every_question, make_core, spec, text_pdf

COMPANY = {
    **OPENING,
    "company_form": "SAM",
    "company_name": "Medivet Monaco",
    "company_head_office": "14 rue Grimaldi, 98000 Monaco",  # a slip: the documents say 12
    "establishment_address": "5 rue de l'Industrie, 98000 Monaco",
}
RECENT = (dt.date.today() - dt.timedelta(days=10)).strftime("%d/%m/%Y")

STATUTES_SARL = text_pdf(
    "STATUTS",
    "MEDIVET MONACO S.A.R.L. - au capital de 150 000 euros",
    "ARTICLE 1 - Forme",
    "Il est forme entre les associes une societe a responsabilite limitee regie par les lois de Monaco.",
    "ARTICLE 2 - Denomination",
    "La societe prend la denomination de « MEDIVET MONACO ».",
    "ARTICLE 3 - Siege social",
    "Le siege social est fixe a 12 rue Grimaldi, 98000 Monaco.",
    "ARTICLE 4 - Objet social",
    "La societe a pour objet la distribution en gros de medicaments veterinaires.",
    "ARTICLE 5 - Duree",
    "La duree de la societe est fixee a quatre-vingt-dix-neuf annees.",
    "ARTICLE 6 - Capital social",
    "Le capital social est fixe a 150 000 euros, divise en 1 500 parts sociales.",
    "ARTICLE 7 - Gerance",
    "La societe est administree par un ou plusieurs gerants. Assemblee generale annuelle.",
)
KBIS_OTHER = text_pdf(
    "Greffe du Tribunal de Commerce de Nice",
    "EXTRAIT KBIS",
    "Immatriculation au RCS, numero 512 345 678 R.C.S. Nice",
    "Date d'immatriculation : 3 mars 2015",
    "Denomination ou raison sociale : AZUR ANIMAL HEALTH  Forme juridique : Societe par actions simplifiee",
    "Siege : 4 avenue Jean Medecin, 06000 Nice",
    "Activites principales : commerce de gros de produits pharmaceutiques veterinaires",
    f"Le Greffier, a jour au {RECENT}",
)
RCI_OWN = text_pdf(
    "PRINCIPAUTE DE MONACO - Direction du Developpement Economique",
    "EXTRAIT DU REPERTOIRE DU COMMERCE ET DE L'INDUSTRIE",
    "Numero d'immatriculation : RCI 12 S 05678",
    "Denomination : MEDIVET MONACO    Forme juridique : S.A.M.",
    "Siege social : 12 rue Grimaldi, 98000 Monaco",
    "Capital : 150 000 euros",
    "Activite : distribution en gros de medicaments veterinaires.",
    f"Extrait delivre le {RECENT}",
)
LEASE_OTHER_NUMBER = text_pdf(
    "CONTRAT DE BAIL COMMERCIAL",
    "ENTRE LES SOUSSIGNES : la societe SCI LES PINS, ci-apres denommee « le bailleur », d'une part,",
    "ET : la societe MEDIVET MONACO S.A.M., immatriculee au RCI",
    "sous le numero 13 S 01234, ci-apres denommee « le preneur », d'autre part.",
    "Le bailleur donne a bail au preneur des locaux d'une surface de 240 m2",
    "situes 5 rue de l'Industrie, 98000 Monaco, a usage de stockage et de bureaux.",
    f"Le present bail prend effet le {RECENT} pour une duree de neuf annees.",
    "Loyer annuel : 60 000 euros. Depot de garantie : 15 000 euros.",
    "Fait a Monaco, en deux exemplaires. Signature du bailleur et du preneur.",
)


def _line(chat: Chat, label: str) -> tuple[str, list[str]]:
    """Return a checklist line and the warnings printed under it."""
    lines = chat.text.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith(("✅", "⚠️", "☐")) and label in x)
    warnings = []
    for following in lines[at + 1 :]:
        if not following.startswith("    ⚠"):
            break
        warnings.append(following.strip())
    return lines[at], warnings


def test_company_name_form_register_address_and_number_are_cross_checked(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier opening")
    answer_every_question(chat, spec("opening"), "fr", COMPANY)
    assert "Relecture du dossier" in chat.text
    # Statutes of a SARL for a company answered as a SAM (art. 6 a)); the head office typed wrong.
    chat.upload("statuts.pdf", STATUTES_SARL)
    assert "Ce document indique la forme SARL, et vos réponses SAM" in chat.text, chat.text
    assert "(art. 6 d))" in chat.text
    assert "L'adresse « 14 rue Grimaldi, 98000 Monaco » de vos réponses ne figure pas" in chat.text
    # A French SAS's Kbis for a Monaco SAM: another company, a French register; not counted as received.
    chat.upload("kbis.pdf", KBIS_OTHER)
    chat.send("/check")
    line, warnings = _line(chat, "Justificatif de constitution de la société")
    assert "reçue et vérifiée" not in line, chat.text
    said = " ".join(warnings)
    assert "celui d'une autre société (« AZUR ANIMAL HEALTH ») que « Medivet Monaco »" in said
    assert "registre français (RCS, Kbis)" in said and "Répertoire du Commerce et de l'Industrie" in said
    # The company's own RCI extract: received, and its number is the reference for the other documents.
    chat.upload("rci.pdf", RCI_OWN)
    chat.upload("bail.pdf", LEASE_OTHER_NUMBER)
    assert (
        "Ce document cite le numéro d'immatriculation 13 S 01234, l'extrait d'immatriculation 12 S 05678"
        in (chat.text)
    )
    chat.send("/check")
    line, warnings = _line(chat, "Justificatif de constitution de la société")
    assert "reçue et vérifiée (rci.pdf)" in line
    assert any("14 rue Grimaldi" in w for w in warnings)  # the address slip, on the extract too
    # Correcting the head office clears the address warnings everywhere (recomputed, files long deleted).
    chat.send("/edit company_head_office")
    chat.send("12 rue Grimaldi, 98000 Monaco")
    chat.send("/check")
    assert "14 rue Grimaldi" not in chat.text and "12 rue Grimaldi" not in chat.text
    assert "Ce document indique la forme SARL, et vos réponses SAM" in chat.text  # still true
    # In English, the same warnings, rendered from their codes and parameters.
    chat.send("/lang en")
    chat.send("/check")
    assert "This document gives the legal form SARL, your answers SAM" in chat.text
    assert "the registration extract 12 S 05678" in chat.text
    assert "another company" not in chat.text  # the company's own extract stands for the piece now


def test_a_date_that_passes_while_the_dossier_waits_is_told(tmp_path: Path) -> None:
    clock = Clock.real()
    config = Settings(data_dir=str(tmp_path))
    chat = Chat(Core(config, open_store(config.effective_database_url, clock=clock)))  # one clock for all
    chat.send("/dossier modification")
    answers = {
        "responsible_last_name": "Dupont",
        "responsible_first_name": "Marie",
        "responsible_civility": "Madame",
        "responsible_profession": "Pharmacien",
        "establishment_address": "5 rue de l'Industrie, 98000 Monaco",
        "authorisation_reference": "passer",
        "change_nature": "Extension de la zone de stockage",
        "premises_change": "non",
        "equipment_change": "non",
        "categories": "5",
        "other_products": "aucun",
        "start_date": (clock().date() + dt.timedelta(days=45)).strftime("%d/%m/%Y"),
        "schedule": "Deux phases de travaux",
        "duration": "six semaines",
    }
    answer_every_question(chat, spec("modification"), "fr", answers)
    assert "Relecture du dossier" in chat.text and "délai de 30 jours" not in chat.text
    # Three weeks later the start date falls inside the 30 days of article 13: said at the review and /status.
    clock.advance(days=21)
    chat.send("/status")
    assert "tombe dans le délai de 30 jours" in chat.text and "(art. 13)" in chat.text
    # Some weeks later it has passed (the user writes now and then: the dossier is kept).
    clock.advance(days=15)
    chat.send("/status")
    clock.advance(days=14)
    chat.send("/status")
    assert "est passée : corrigez-la" in chat.text


def test_company_names_and_addresses_match_despite_ocr_slips_and_legal_forms() -> None:
    assert crosscheck.same_company("Medivet Monaco S.A.M.", "MEDIVET MONAC0")
    assert crosscheck.same_company("Société Vetopharm", "VETOPHARM SAM")
    assert not crosscheck.same_company("Medivet Monaco", "Azur Animal Health")
    assert crosscheck.address_found("12, rue Grimaldi - 98000 Monaco", "siege social 12 rue grimaldl monaco")
    assert not crosscheck.address_found("14 rue Grimaldi, Monaco", "siege social 12 rue grimaldi monaco")
    assert crosscheck.legal_forms("MEDIVET S.A.R.L., gérée par Sam Dupont") == ["SARL"]
    assert crosscheck.registry("EXTRAIT KBIS\nRCS Nice") == "rcs"


def test_a_transfer_date_passed_since_it_was_given_is_told() -> None:
    from bot.documents import dossier_notes

    answers = {"transfer_kind": "ownership", "transfer_date": "2031-09-01"}
    today = dt.date(2031, 9, 2)
    [note] = dossier_notes(spec("transfer"), answers, "fr", today)
    assert note.startswith("La date « Date d'effet du transfert » (01/09/2031) est passée")
    assert note.endswith("(art. 20)")
    [inside] = dossier_notes(spec("transfer"), answers, "en", dt.date(2031, 8, 1))
    assert "falls within the 90 days" in inside and "(art. 5)" in inside


def test_a_registration_extract_ages_while_the_dossier_waits() -> None:
    from dossier_checker.answer_checks import answer_warnings

    [extract] = [p for p in spec("opening").pieces if any(r.name == "max_age_days" for r in p.checks)]
    stored = {"dates": "2010-03-03,2031-01-10"}
    assert answer_warnings(extract, stored, {}, dt.date(2031, 2, 1)) == []
    [old] = answer_warnings(extract, stored, {}, dt.date(2031, 6, 1))
    assert old.code == "warn_registration_old" and dict(old.params) == {"date": "10/01/2031"}
    assert old.article == ""  # a practice rule, not the decree: it cites no article
