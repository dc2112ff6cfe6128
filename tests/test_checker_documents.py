"""What a document is before which piece it fills: one regression test per failure pattern met on real
documents (issue 11), on small fixtures made here in French, English and Italian (never the corpus files).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from dossier_checker.check import check_files
from dossier_checker.model import DossierReport, InputFile, PieceResult
from dossier_checker.report import render_report

COMPANY = {"owner": "company"}


@dataclass(frozen=True)
class Room:
    """A room of a fixture plan: its label and its two dimension labels."""

    label: str
    width: str
    depth: str


@dataclass(frozen=True)
class Page:
    """A fixture page: lines of text from the top, and rooms drawn as a plan under them."""

    lines: tuple[str, ...]
    rooms: tuple[Room, ...] = ()
    extra: tuple[str, ...] = field(default=())  # free labels on the drawing (a scale, a legend)


def _pdf(pages: Sequence[Page]) -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    for page in pages:
        y = height - 60
        for i, line in enumerate(page.lines):
            c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 13 if i == 0 else 10)
            c.drawString(56, y, line)
            y -= 16 if i == 0 else 13
            if y < 60:
                c.showPage()
                y = height - 60
        x, top = 70.0, y - 40
        for room in page.rooms:
            w, d = 150.0, 110.0
            if x + w > width - 50:
                x, top = 70.0, top - d - 40
            c.setLineWidth(1.5)
            c.rect(x, top - d, w, d)
            c.setLineWidth(0.5)
            for k in range(10):  # hatching and door swings: the many strokes of a drawing
                c.line(x + 8 + 12 * k, top - d, x + 8 + 12 * k, top - d + 6)
            c.line(x, top + 8, x + w, top + 8)
            c.setFont("Helvetica", 8)
            c.drawCentredString(x + w / 2, top - d / 2, room.label)
            c.drawCentredString(x + w / 2, top + 11, room.width)
            c.saveState()
            c.translate(x - 6, top - d / 2)
            c.rotate(90)
            c.drawCentredString(0, 0, room.depth)
            c.restoreState()
            x += w + 30
        c.setFont("Helvetica", 8)
        for i, label in enumerate(page.extra):
            c.drawString(70, 50 + 11 * i, label)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _check(
    dossier: str, files: dict[str, Sequence[Page]], conditions: dict[str, object] | None = None
) -> DossierReport:
    inputs = [InputFile(name, _pdf(pages)) for name, pages in files.items()]
    return check_files(dossier, conditions if conditions is not None else COMPANY, inputs)


def _piece(report: DossierReport, piece: str) -> PieceResult:
    return next(p for p in report.pieces if p.id == piece)


def _codes(piece: PieceResult) -> set[str]:
    return {w.code for w in piece.warnings}


def _looks_like(piece: PieceResult) -> str:
    found = [dict(w.params).get("what", "") for w in piece.warnings if w.code == "warn_looks_like"]
    return found[0] if found else ""


# ----------------------------------------------------------------------------------------------------------
# Leases: a lease is a lease even when its clauses speak of assigning it or of location-gérance.

LEASE_FR = Page(
    (
        "BAIL COMMERCIAL",
        "Entre les soussignés : la SCI Les Pins, bailleur, et la société Vetalis SARL, preneur.",
        "Article 1 - Désignation des locaux : un local à usage commercial au rez-de-chaussée, 120 m².",
        "Article 2 - Durée du bail : neuf années entières et consécutives à compter du 1er mars 2026.",
        "Article 3 - Loyer : le loyer annuel est fixé à 36 000 euros, charges locatives en sus.",
        "Article 4 - Destination des lieux : commerce de gros de médicaments vétérinaires.",
        "Article 5 - Cession du bail : le preneur ne pourra céder son droit au bail qu'à l'acquéreur",
        "de son fonds de commerce ; toute location-gérance du fonds est soumise à l'accord du bailleur.",
        "Article 6 - Dépôt de garantie : trois mois de loyer. Fait à Monaco, le 12 février 2026.",
    )
)
LEASE_EN = Page(
    (
        "COMMERCIAL LEASE AGREEMENT",
        "This Lease Agreement is made on 3 March 2026 between Harbour Properties Ltd (the Landlord)",
        "and Northvet Ltd (the Tenant) for the premises at 4 Dock Road (the Premises).",
        "1. Term: the lease term is five years. 2. Rent: the Tenant shall pay a rent of 2,400 per month.",
        "3. Security deposit: two months of rent. 4. Use of the premises: wholesale of veterinary medicines.",
        "5. Assignment: the Tenant shall not assign this lease or sublet the Premises, nor transfer",
        "the business carried on there, without the Landlord's prior written consent.",
    )
)


@pytest.mark.parametrize("lease", [LEASE_FR, LEASE_EN], ids=["fr", "en"])
def test_a_lease_that_speaks_of_assignment_is_a_lease(lease: Page) -> None:
    report = _check("transfer", {"bail.pdf": [lease]})
    assert _piece(report, "premises_title").status == "present"
    assert _piece(report, "acquisition_act").status == "missing"


def test_a_notice_ending_a_lease_is_no_lease() -> None:
    notice = Page(
        (
            "AVIS DE RÉSILIATION DE CONTRAT DE BAIL",
            "Le bailleur informe le locataire de la résiliation du bail des locaux du 2 rue Basse,",
            "loyer et charges locatives réglés jusqu'au 30 juin 2026. Fait à Nice, le 2 mai 2026.",
        )
    )
    piece = _piece(_check("opening", {"resiliation.pdf": [notice]}), "premises_title")
    assert piece.status == "missing" and _looks_like(piece) == "termination_notice"


# ----------------------------------------------------------------------------------------------------------
# Minutes: art. 20 c) asks for minutes approving the transfer.


@pytest.mark.parametrize(
    "lines",
    [
        (
            "PROCÈS-VERBAL DE L'ASSEMBLÉE GÉNÉRALE CONSTITUTIVE",
            "Le 4 février 2026, les fondateurs se sont réunis. Sont présents : Anne Morel, Paul Roche.",
            "Ordre du jour : adoption des statuts ; élection du conseil d'administration.",
            "Après en avoir délibéré, l'assemblée adopte les statuts à l'unanimité et élit Anne Morel",
            "présidente. La séance est levée à 20 heures. Le président de séance, le secrétaire de séance.",
        ),
        (
            "PROCÈS-VERBAL DES DÉLIBÉRATIONS DU CONSEIL D'ADMINISTRATION",
            "Séance du 9 avril 2026. Sont présents : trois administrateurs ; le quorum est atteint.",
            "Ordre du jour : transfert du siège social.",
            "Après en avoir délibéré, le conseil décide de transférer le siège social au 5 rue Grimaldi.",
            "Cette résolution est adoptée à l'unanimité. La séance est levée.",
        ),
        (
            "MINUTES OF THE MEETING OF THE BOARD OF DIRECTORS",
            "Held on 9 April 2026. Present: three directors; a quorum being present.",
            "Agenda: approval of the annual accounts. Resolved that the accounts are approved.",
            "There being no further business, the meeting was closed.",
        ),
    ],
    ids=["constitutive", "registered-office", "english-accounts"],
)
def test_minutes_that_approve_no_transfer_are_uncertain_with_the_reason(lines: tuple[str, ...]) -> None:
    minutes = _piece(_check("transfer", {"pv.pdf": [Page(lines)]}), "board_minutes")
    assert minutes.status == "uncertain"
    assert "warn_minutes_no_approval" in _codes(minutes)


def test_minutes_approving_the_transfer_are_present() -> None:
    for lines in (
        (
            "PROCÈS-VERBAL DE L'ASSEMBLÉE GÉNÉRALE EXTRAORDINAIRE",
            "Séance du 2 mars 2026. Le quorum est atteint. Ordre du jour : cession de l'établissement.",
            "Après en avoir délibéré, l'assemblée approuve la cession du fonds de commerce et le transfert",
            "de l'autorisation. Cette résolution est adoptée à l'unanimité. La séance est levée.",
        ),
        (
            "VERBALE DI ASSEMBLEA DEI SOCI",
            "Il giorno 2 marzo 2026 si è riunita l'assemblea dei soci; ordine del giorno: cessione.",
            "Sono presenti tutti i soci. Il presidente constata che l'assemblea è validamente costituita.",
            "Dopo ampia discussione, l'assemblea approva il trasferimento dell'azienda all'acquirente",
            "all'unanimità. Il segretario redige il presente verbale; la seduta è tolta alle ore 19.",
        ),
    ):
        minutes = _piece(_check("transfer", {"pv.pdf": [Page(lines)]}), "board_minutes")
        assert minutes.status == "present", minutes.evidence
        assert "warn_minutes_no_approval" not in _codes(minutes)


# ----------------------------------------------------------------------------------------------------------
# Designations: art. 6 d) asks for the decision designating the responsible pharmacist or veterinarian.


def test_minutes_electing_a_board_do_not_designate_the_responsible() -> None:
    lines = (
        "PROCÈS-VERBAL DE L'ASSEMBLÉE GÉNÉRALE ORDINAIRE",
        "Le 22 mars 2026, l'assemblée s'est réunie. Ordre du jour : élection du bureau.",
        "Sont élus : Marc Vidal, président ; Lina Haddad, trésorière. Adoptée à l'unanimité.",
    )
    designation = _piece(_check("opening", {"pv.pdf": [Page(lines)]}), "designation_decision")
    assert designation.status == "uncertain"
    assert "warn_designation_not_responsible" in _codes(designation)


def test_minutes_appointing_the_responsible_pharmacist_designate_him() -> None:
    lines = (
        "PROCÈS-VERBAL DU CONSEIL D'ADMINISTRATION",
        "Séance du 5 octobre 2026. Le quorum est atteint. Ordre du jour : nomination.",
        "Après en avoir délibéré, le conseil nomme Claire Bianchi en qualité de pharmacien responsable.",
    )
    designation = _piece(_check("opening", {"pv.pdf": [Page(lines)]}), "designation_decision")
    assert designation.status == "present"


# ----------------------------------------------------------------------------------------------------------
# Look-alikes: what the document seems to be, instead of a piece.


@pytest.mark.parametrize(
    ("lines", "piece", "seems"),
    [
        (
            (
                "RÈGLEMENT INTÉRIEUR DE L'ASSOCIATION",
                "Article 1 - Objet : le présent règlement complète les statuts de l'association.",
                "Article 2 - Assemblée générale : elle se réunit une fois par an au siège social.",
                "Article 3 - Conseil d'administration : il est élu pour deux ans. Article 4 - Cotisations.",
            ),
            "statutes",
            "internal_rules",
        ),
        (
            (
                "REGOLAMENTO INTERNO",
                "Art. 1 - Il presente regolamento integra lo statuto dell'associazione.",
                "Art. 2 - L'assemblea dei soci si riunisce una volta all'anno presso la sede legale.",
                "Art. 3 - Il consiglio direttivo è eletto ogni due anni.",
            ),
            "statutes",
            "internal_rules",
        ),
        (
            (
                "ANNONCE LÉGALE",
                "AVIS DE CONSTITUTION - Aux termes d'un acte sous seing privé du 3 mars 2026, il a été",
                "constitué une société : Dénomination : VETALIS. Forme juridique : SARL. Capital : 10 000 euros.",
                "Siège : 4 rue des Lilas, Nice. Immatriculation au registre du commerce et des sociétés de Nice.",
            ),
            "company_registration",
            "legal_notice",
        ),
        (
            (
                "Diplôme de Master",
                "Université de Lyon. Le président de l'université confère à Julie Martin le diplôme",
                "de master mention Droit des affaires, délivré le 30 juin 2020.",
            ),
            "diploma",
            "diploma_other",
        ),
    ],
    ids=["reglement-interieur", "regolamento", "annonce-legale", "master-diploma"],
)
def test_a_lookalike_says_what_it_seems_to_be(lines: tuple[str, ...], piece: str, seems: str) -> None:
    report = _check("opening", {"doc.pdf": [Page(lines)]})
    result = _piece(report, piece)
    assert result.status == "missing"
    assert _looks_like(result) == seems
    assert "ressemble à" in render_report(report, "fr")


def test_italian_statuto_is_statutes() -> None:
    statuto = Page(
        (
            "STATUTO DELL'ASSOCIAZIONE IL FARO",
            "Art. 1 - Denominazione e sede: è costituita l'associazione Il Faro, con sede legale in Genova.",
            "Art. 2 - Scopo: l'associazione non ha fini di lucro. Art. 3 - Soci e assemblea dei soci.",
            "Art. 4 - Consiglio direttivo. Art. 5 - Patrimonio. Art. 6 - Scioglimento dell'associazione.",
        )
    )
    assert _piece(_check("opening", {"statuto.pdf": [statuto]}), "statutes").status == "present"


def test_a_charter_titled_certificate_of_incorporation_is_statutes() -> None:
    charter = Page(
        (
            "CERTIFICATE OF INCORPORATION",
            "OF NORTHVET INC.",
            "FIRST: The name of this Corporation is Northvet Inc.",
            "SECOND: The address of the registered office of this Corporation is 1 Main Street, Dover.",
            "THIRD: The purpose of the corporation is to engage in any lawful act or activity.",
            "FOURTH: The Corporation is authorized to issue 10,000,000 shares of common stock.",
            "FIFTH: The name of the sole incorporator is Jane Roe.",
        )
    )
    registry = Page(
        (
            "CERTIFICATE OF INCORPORATION",
            "NORTHVET LIMITED 2704231",
            "This is to certify that NORTHVET LIMITED was incorporated under the Companies Act 1993",
            "on the 3rd day of March 2026. Registrar of Companies. Company number: 2704231.",
        )
    )
    report = _check("opening", {"charter.pdf": [charter]})
    assert _piece(report, "statutes").status == "present"
    assert _piece(report, "company_registration").status != "present"
    report = _check("opening", {"certificate.pdf": [registry]})
    assert _piece(report, "company_registration").status == "present"
    assert _piece(report, "statutes").status != "present"


# ----------------------------------------------------------------------------------------------------------
# Plans: dimensions in m, cm, "3,50", "350" and feet-inches; room labels say how areas are used.

ROOMS_FR = (
    Room("Réception", "4,20", "3,50"),
    Room("Stockage", "6,80", "5,10"),
    Room("Bureau", "3,10", "2,90"),
    Room("Chambre froide", "2,40", "2,20"),
)


@pytest.mark.parametrize(
    "page",
    [
        Page(("Établissement Vetalis - 4 rue des Lilas",), ROOMS_FR, ("Échelle 1:100",)),
        Page(
            ("",),
            (
                Room("Kitchen", "14' x 8'", "9' 3\""),
                Room("Bed Room", "11' x 10'", "12' 6\""),
                Room("Dining", "10' 3\"", "8'"),
                Room("Store", "4' x 5'", "4' 9\""),
            ),
        ),
        Page(
            ("Locali al piano terra",),
            (
                Room("Ufficio", "350", "420"),
                Room("Magazzino", "680", "510"),
                Room("Bagno", "180", "220"),
                Room("Spogliatoio", "240", "300"),
            ),
        ),
    ],
    ids=["metres-fr", "feet-inches-en", "centimetres-it"],
)
def test_an_architects_plan_without_a_plan_title_is_a_floor_plan(page: Page) -> None:
    plan = _piece(_check("opening", {"plan.pdf": [page]}), "floor_plan")
    assert plan.status == "present", plan.evidence


def test_a_plan_without_room_uses_is_uncertain_with_the_reason() -> None:
    rooms = tuple(Room("", w, d) for w, d in (("4,20", "3,50"), ("6,80", "5,10"), ("3,10", "2,90")))
    plan = _piece(_check("opening", {"plan.pdf": [Page(("PLAN COTÉ DES LOCAUX",), rooms)]}), "floor_plan")
    assert plan.status == "uncertain" and "warn_plan_no_uses" in _codes(plan)


@pytest.mark.parametrize(
    ("title", "seems"),
    [
        ("SCHÉMA ÉLECTRIQUE - TABLEAU GÉNÉRAL", "electrical_plan"),
        ("PLAN DE FAÇADE NORD", "elevation"),
        ("PART DRAWING - CART HANDLE", "object_drawing"),
        ("FACTURE N° 2026-041", "invoice"),
    ],
)
def test_drawings_that_are_no_floor_plan(title: str, seems: str) -> None:
    page = Page((title,), ROOMS_FR, ("Échelle 1:50",))
    plan = _piece(_check("opening", {"dessin.pdf": [page]}), "floor_plan")
    assert plan.status == "missing" and _looks_like(plan) == seems


# ----------------------------------------------------------------------------------------------------------
# Before/after plans (art. 14 e): titles in French, English and Italian, one file or two.

AFTER_ROOMS = (
    Room("Réception", "4,20", "3,50"),
    Room("Stockage", "8,40", "5,10"),
    Room("Bureau", "3,10", "2,90"),
    Room("Chambre froide", "3,60", "2,20"),
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("PLAN DES LOCAUX AVANT TRAVAUX", "PLAN DES LOCAUX APRÈS TRAVAUX"),
        ("État existant", "État projeté"),
        ("Locaux en l'état", "Locaux rénovés"),
        ("Existing layout", "Proposed layout"),
        ("Stato di fatto", "Stato di progetto"),
        ("Plan actuel", "Plan futur"),
    ],
)
def test_before_and_after_plans_in_one_file(before: str, after: str) -> None:
    pages = [Page((before,), ROOMS_FR, ("Échelle 1:100",)), Page((after,), AFTER_ROOMS, ("Échelle 1:100",))]
    report = _check("modification", {"plans.pdf": pages}, {})
    piece = _piece(report, "plans_before_after")
    assert piece.status == "present", (piece.evidence, piece.warnings)
    assert piece.pages == (1, 2)


def test_before_and_after_plans_in_two_files() -> None:
    files = {
        "avant.pdf": [Page(("PLAN DES LOCAUX AVANT TRAVAUX",), ROOMS_FR)],
        "apres.pdf": [Page(("PLAN DES LOCAUX APRÈS TRAVAUX",), AFTER_ROOMS)],
    }
    piece = _piece(_check("modification", files, {}), "plans_before_after")
    assert piece.status == "present"
    assert piece.file == "avant.pdf" and "apres.pdf" in piece.evidence


def test_two_unlabelled_plans_of_the_same_premises_are_uncertain() -> None:
    files = {
        "plan1.pdf": [Page(("PLAN COTÉ DES LOCAUX",), ROOMS_FR)],
        "plan2.pdf": [Page(("PLAN COTÉ DES LOCAUX",), AFTER_ROOMS)],
    }
    piece = _piece(_check("modification", files, {}), "plans_before_after")
    assert piece.status == "uncertain" and "warn_plans_pair_unlabelled" in _codes(piece)


def test_one_plan_alone_is_no_before_after_pair() -> None:
    files = {"plan.pdf": [Page(("PLAN COTÉ DES LOCAUX",), ROOMS_FR)]}
    assert _piece(_check("modification", files, {}), "plans_before_after").status == "missing"


def test_dimensions_as_ocr_reads_them_on_a_drawing() -> None:
    from dossier_checker import features
    from dossier_checker.model import Page as TextPage

    def strength(text: str) -> float:
        return features.page_features(TextPage(1, text, text, "ocr", lines=60))["dimension_labels"]

    assert strength('Dining Kitchen\n14\'x8 9" 3" x 10 3"\nParking\n11 3"x 15\' 3"') == 1.0
    assert strength("Ufficio 350 Magazzino 680\nBagno 180 Spogliatoio 240") == 1.0  # centimetres
    assert strength("Rapport 2019 2020 2021 2022 2023") == 0.0  # years on a chart are no lengths


def test_a_lease_page_on_assignment_stays_in_the_lease() -> None:
    clause = Page(
        (
            "Le Bailleur sera appelé à concourir à l'acte de cession de fonds de commerce, au moins un mois avant",
            "la signature. La cession du présent bail au cessionnaire du fonds de commerce sera constatée par acte",
            "authentique ; le cédant restera garant solidaire du cessionnaire pour le paiement du loyer et de la",
            "redevance. Toute location-gérance du fonds par le preneur est soumise à l'accord écrit du bailleur.",
        )
    )
    report = _check("transfer", {"bail.pdf": [LEASE_FR, clause]})
    assert _piece(report, "premises_title").status == "present"
    assert _piece(report, "premises_title").pages == (1, 2)
    assert _piece(report, "acquisition_act").status == "missing"


def test_a_letter_answering_an_offer_of_lease_is_no_lease() -> None:
    letter = Page(
        (
            "Vetalis SARL",
            "A l'attention de Madame Roche",
            "Objet : réponse à votre offre de prise à bail de locaux commerciaux",
            "Madame, suite à votre offre, voici nos conditions : bail commercial de neuf ans, loyer annuel de",
            "36 000 euros, dépôt de garantie de trois mois, locaux à usage de commerce de gros.",
            "Le preneur et le bailleur signeront le bail avant le 1er mars 2026. Cordialement.",
        )
    )
    piece = _piece(_check("opening", {"lettre.pdf": [letter]}), "premises_title")
    assert piece.status == "missing" and _looks_like(piece) == "letter"
