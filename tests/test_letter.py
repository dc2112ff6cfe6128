"""The request letter: a PDF that opens, holds the answers, comes in two copies and is ready to sign."""

from __future__ import annotations

import pytest

from bot.letter import letter_filename, letter_lines, request_letter, signatories
from dossier_checker.spec import load_specs
from tests.transcript import pdf_pages, pdf_text

SPECS = load_specs()
OPENING_ANSWERS = {
    "responsible_last_name": "Dvořák",
    "responsible_first_name": "Élise",
    "responsible_nationality": "monégasque",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": "veterinarian",
    "owner": "company",
    "company_form": "SAM",
    "company_name": "Vétérinaire Distribution SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
    "annex_addresses": None,
    "categories": ["2", "5"],
    "pharmaceutical_forms": "comprimés, solutions injectables",
    # Left from an earlier answer that no longer applies: must not reach the letter.
    "owner_last_name": "Ancien",
}


def test_opening_letter_holds_the_answers_in_two_signed_copies() -> None:
    data = request_letter(SPECS["opening"], OPENING_ANSWERS)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "Monsieur le Ministre d'État",
        "Objet : Demande d'autorisation d'ouverture d'un établissement pharmaceutique vétérinaire",
        "articles 5 et 6",
        "Élise DVORÁK",  # ř is not in the PDF font: transliterated, never dropped silently
        "Vétérinaire responsable",
        "Vétérinaire Distribution SAM",
        "Société anonyme monégasque (SAM)",
        "5 rue de l'Industrie, 98000 Fontvieille",
        "2° Importateur",
        "5° Distributeur en gros de médicaments vétérinaires",
        "comprimés, solutions injectables",
        "Copie certifiée conforme du diplôme (article 6 a))",
        "Statuts de la société (article 6 d))",
        "Signature",
        "Exemplaire n° 1 sur 2",
        "Exemplaire n° 2 sur 2",
    ):
        assert expected in text, expected
    assert "Ancien" not in text
    assert "Annexes" not in text  # skipped answers are left out
    assert text.count("Objet :") == 2


def test_each_copy_is_complete_and_marked() -> None:
    pages = pdf_pages(request_letter(SPECS["opening"], OPENING_ANSWERS))
    first = [p for p in pages if "Exemplaire n° 1 sur 2" in p]
    second = [p for p in pages if "Exemplaire n° 2 sur 2" in p]
    assert first and second and len(first) == len(second)
    assert "\n".join(first).replace("n° 1 sur 2", "n° 2 sur 2") == "\n".join(second)


def test_individual_owner_letter_lists_no_company_pieces() -> None:
    answers = {
        **{k: v for k, v in OPENING_ANSWERS.items() if not k.startswith("company")},
        "owner": "individual",
        "owner_last_name": "Rossi",
        "owner_first_name": "Paolo",
        "categories": ["5"],
    }
    text = pdf_text(request_letter(SPECS["opening"], answers))
    assert "Nom du propriétaire : Rossi" in text
    assert "Statuts" not in text
    assert "Formes pharmaceutiques" not in text


def test_transfer_letter_is_a_joint_request_signed_by_both_responsibles() -> None:
    answers = {
        **OPENING_ANSWERS,
        "transfer_kind": "lease_management",
        "previous_owner_name": "Ancienne Pharma SARL",
        "previous_responsible_last_name": "Martin",
        "previous_responsible_first_name": "Paul",
        "lease_end_date": "2031-12-31",
        "transfer_date": None,
    }
    people = signatories(SPECS["transfer"], answers)
    assert [p.name for p in people] == ["Élise DVOŘÁK", "Paul MARTIN"]
    text = pdf_text(request_letter(SPECS["transfer"], answers))
    assert "Nous avons l'honneur de solliciter conjointement" in text
    assert "Paul MARTIN" in text and "responsable actuel" in text
    assert "31/12/2031" in text
    assert "Procès-verbaux approuvant le transfert" in text
    # Article 20 sets no number of copies: one copy, no "double exemplaire"; the operation chosen only.
    assert "exemplaire" not in text.casefold() and "Exemplaire" not in text
    assert "au locataire-gérant, pour la durée de la location-gérance" in " ".join(text.split())
    assert "nouveau propriétaire" not in text


def test_modification_letter() -> None:
    answers = {
        "responsible_last_name": "Dupont",
        "responsible_first_name": "Marie",
        "establishment_address": "5 rue de l'Industrie, Fontvieille",
        "authorisation_reference": None,
        "change_nature": "Extension de la zone de stockage",
        "premises_change": True,
        "premises_change_kind": SPECS["modification"].field("premises_change_kind").choices[0].value,  # type: ignore[union-attr]
        "premises_concerned": "Entrepôt B, 120 m²",
        "equipment_change": False,
        "categories": ["5"],
        "other_products": "aucun",
        "start_date": "2030-09-15",
        "schedule": "Travaux en deux phases",
        "duration": "6 semaines",
    }
    text = pdf_text(request_letter(SPECS["modification"], answers))
    assert "articles 12 à 14" in text
    assert "Modification des locaux : Oui" in text
    assert "Entrepôt B, 120 m²" in text
    assert "15/09/2030" in text
    assert "Titre de propriété ou bail des locaux" in text
    assert "Exemplaire n° 2 sur 2" in text
    assert "double exemplaire (article 14 de l'A.M. n° 2003-175)" in text and "article 5 de" not in text


def test_letter_lines_follow_the_spec_order_and_skip_identity() -> None:
    labels = [label for label, _ in letter_lines(SPECS["opening"], OPENING_ANSWERS)]
    assert labels[0] == "Nationalité du responsable"
    assert "Nom du responsable" not in labels  # printed in the heading and signature block instead
    assert labels.index("Dénomination sociale") < labels.index("Nature des activités (article 2)")


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_dossier_type_gives_a_letter(kind: str) -> None:
    data = request_letter(SPECS[kind], {"responsible_last_name": "Dupont", "responsible_first_name": "Marie"})
    assert "Marie DUPONT" in pdf_text(data)
    assert letter_filename(SPECS[kind], 3).endswith("-3.pdf")


def test_signatures_never_stand_alone_on_a_page() -> None:
    answers = {
        **OPENING_ANSWERS,
        "transfer_kind": "ownership",
        "previous_owner_name": "Ancienne Pharma SARL",
        "previous_responsible_last_name": "Martin",
        "previous_responsible_first_name": "Paul",
        "annex_addresses": "7 rue du Port, 98000 Monaco ; 3 quai Antoine Ier, 98000 Monaco",
    }
    for page in pdf_pages(request_letter(SPECS["transfer"], answers)):
        if "Signature :" in page:
            assert "agréer" in page


def test_references_cite_no_article_of_an_option_not_chosen() -> None:
    # A plain opening cites no article 15 (extension); a change of ownership no article 23 (end of a lease).
    opening = " ".join(pdf_text(request_letter(SPECS["opening"], OPENING_ANSWERS)).split())
    assert "articles 5, 6, 9" in opening and "15" not in opening.split("Monsieur le Ministre d'État,")[0]
    answers = {**OPENING_ANSWERS, "transfer_kind": "ownership", "previous_responsible_last_name": "Martin"}
    transfer = " ".join(pdf_text(request_letter(SPECS["transfer"], answers)).split())
    assert "articles 20, 22" in transfer and "23" not in transfer.split("Monsieur le Ministre d'État,")[0]


def test_a_current_responsible_who_is_a_woman_is_named_in_the_feminine() -> None:
    answers = {
        **OPENING_ANSWERS,
        "transfer_kind": "lease_management",
        "previous_owner_name": "Ancienne Pharma SARL",
        "previous_responsible_civility": "madame",
        "previous_responsible_profession": "pharmacist",
        "previous_responsible_last_name": "Martin",
        "previous_responsible_first_name": "Paule",
        "lease_end_date": "2031-12-31",
        "transfer_date": None,
    }
    text = " ".join(pdf_text(request_letter(SPECS["transfer"], answers)).split())
    assert "Pharmacienne responsable actuelle" in text
