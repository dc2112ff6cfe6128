"""The request letter to the Ministre d'État, filled from a dossier's answers, as a PDF ready to sign (fpdf2).

The letter is in French, the administration's language, whatever language the conversation used. Articles 5
and 14 want the request "en double exemplaire": the PDF holds both copies, each one complete and marked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF

from bot.walkthrough import display_value
from dossier_checker.spec import DossierSpec, FieldSpec

ADDRESSEE = ("Monsieur le Ministre d'État", "Ministère d'État", "Place de la Visitation", "MC 98000 MONACO")
DECREE = "l'arrêté ministériel n° 2003-175 du 3 mars 2003"
LAW = "la loi n° 1.257 du 12 juillet 2002 sur le médicament vétérinaire"

# What the request says it asks for, per dossier type (the legal basis comes first, as the decree has it).
OPENING_SENTENCE = {
    "opening": (
        f"J'ai l'honneur de solliciter, en application de l'article 19 de {LAW} et des articles 5 et 6 de "
        f"{DECREE}, l'autorisation d'ouverture d'un établissement pharmaceutique vétérinaire (ou, le cas "
        "échéant, l'extension de son activité à de nouvelles catégories, article 15)."
    ),
    "modification": (
        f"J'ai l'honneur de solliciter, en application de l'article 19 de {LAW} et des articles 12 à 14 de "
        f"{DECREE}, l'autorisation préalable de modifier les éléments figurant dans l'autorisation initiale "
        "de l'établissement pharmaceutique vétérinaire désigné ci-dessous."
    ),
    "transfer": (
        f"Nous avons l'honneur de solliciter conjointement, en application de l'article 20 de {DECREE}, le "
        "transfert de l'autorisation d'ouverture de l'établissement pharmaceutique vétérinaire désigné "
        "ci-dessous au nouveau propriétaire ou au locataire-gérant."
    ),
    "partial_transfer": (
        f"Nous avons l'honneur de vous adresser, en application de l'article 21 de {DECREE}, d'une part une "
        "demande d'autorisation d'ouverture de l'établissement constitué par la partie transférée de "
        "l'établissement primitif, d'autre part une demande de modification de l'autorisation initiale "
        "d'ouverture de cet établissement primitif, ces opérations devant être réalisées concomitamment."
    ),
}
CLOSING = (
    "Je vous prie d'agréer, Monsieur le Ministre d'État, l'expression de ma très haute considération.",
    "Nous vous prions d'agréer, Monsieur le Ministre d'État, l'expression de notre très haute considération.",
)
DUPLICATE_ARTICLE = {
    "opening": "article 5",
    "modification": "article 14",
    "transfer": "articles 5 et 20",
    "partial_transfer": "articles 5, 14 et 21",
}

# How the letter names each answer; fields the letter does not know are named by their question.
FIELD_LABELS = {
    "responsible_last_name": "Nom du responsable",
    "responsible_first_name": "Prénom du responsable",
    "responsible_nationality": "Nationalité du responsable",
    "responsible_address": "Adresse du responsable",
    "responsible_profession": "Qualité du responsable",
    "owner": "Propriétaire de l'entreprise",
    "owner_last_name": "Nom du propriétaire",
    "owner_first_name": "Prénom du propriétaire",
    "company_form": "Forme de la société",
    "company_name": "Dénomination sociale",
    "company_head_office": "Adresse du siège social",
    "establishment_address": "Adresse de l'établissement",
    "annex_addresses": "Annexes",
    "categories": "Nature des activités (article 2)",
    "pharmaceutical_forms": "Formes pharmaceutiques concernées",
    "authorisation_reference": "Autorisation initiale",
    "change_nature": "Nature de la modification",
    "premises_change": "Modification des locaux",
    "premises_change_kind": "Extension ou réduction",
    "premises_concerned": "Locaux concernés",
    "equipment_change": "Modification de l'équipement technique",
    "equipment_concerned": "Équipement technique concerné",
    "other_products": "Produits autres que les médicaments vétérinaires",
    "start_date": "Date d'engagement",
    "schedule": "Calendrier de réalisation",
    "duration": "Durée de réalisation",
    "transfer_kind": "Nature de l'opération",
    "previous_owner_name": "Propriétaire actuel",
    "previous_responsible_last_name": "Nom du responsable actuel",
    "previous_responsible_first_name": "Prénom du responsable actuel",
    "lease_end_date": "Fin de la location-gérance",
    "transfer_date": "Date d'effet du transfert",
    "original_establishment_address": "Adresse de l'établissement primitif",
    "original_categories": "Catégories de l'établissement primitif",
    "original_pharmaceutical_forms": "Formes pharmaceutiques concernées (établissement primitif)",
}
# The sender's identity is printed in the heading and signature block, not repeated in the list.
IDENTITY_FIELDS = ("responsible_last_name", "responsible_first_name", "responsible_address")


@dataclass(frozen=True)
class Signatory:
    """Who signs, and in what capacity."""

    name: str
    capacity: str


def _pdf_text(text: str) -> str:
    """Keep what the PDF's core font can print (Windows-1252), transliterating the rest."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode("cp1252")
            out.append(plain or "?")
    return "".join(out)


def _label(spec_field: FieldSpec) -> str:
    if spec_field.id in FIELD_LABELS:
        return FIELD_LABELS[spec_field.id]
    return re.sub(r"\s*\?$", "", spec_field.question.get("fr", spec_field.id))


def _person(answers: Mapping[str, Any], prefix: str) -> str:
    first = str(answers.get(f"{prefix}_first_name") or "").strip()
    last = str(answers.get(f"{prefix}_last_name") or "").strip()
    return " ".join(p for p in (first, last.upper()) if p) or "…"


def _capacity(answers: Mapping[str, Any], prefix: str, when: str) -> str:
    profession = answers.get(f"{prefix}_profession")
    noun = {"pharmacist": "Pharmacien", "veterinarian": "Vétérinaire"}.get(
        str(profession), "Pharmacien ou vétérinaire"
    )
    return f"{noun} responsable{when}"


def signatories(spec: DossierSpec, answers: Mapping[str, Any]) -> list[Signatory]:
    """List who signs the request: the responsible, and for a transfer the current responsible too."""
    joint = spec.id in {"transfer", "partial_transfer"}
    people = [
        Signatory(
            _person(answers, "responsible"), _capacity(answers, "responsible", " désigné" if joint else "")
        )
    ]
    if joint:
        people.append(
            Signatory(
                _person(answers, "previous_responsible"), "Pharmacien ou vétérinaire responsable actuel"
            )
        )
    return people


def letter_lines(spec: DossierSpec, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """List the request's particulars as (label, value), in the spec's order, fields that apply only."""
    lines = []
    for spec_field in spec.active_fields(answers):
        if spec_field.id in IDENTITY_FIELDS or answers.get(spec_field.id) is None:
            continue
        lines.append((_label(spec_field), display_value(spec_field, answers[spec_field.id], "fr")))
    return lines


class _Letter(FPDF):
    copy_note = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 5, _pdf_text(self.copy_note), align="C")


def request_letter(spec: DossierSpec, answers: Mapping[str, Any], *, copies: int = 2) -> bytes:
    """Build the filled request letter (every copy in one PDF), ready to sign."""
    pdf = _Letter(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(_pdf_text(spec.title["fr"]))
    pdf.set_creator("vetpharma")
    article = DUPLICATE_ARTICLE.get(spec.id, "article 5")
    for copy in range(1, copies + 1):
        # The footer is drawn when a page closes: change the note only once the new copy's page is open.
        pdf.add_page()
        pdf.copy_note = (
            f"Exemplaire n° {copy} sur {copies} - demande établie en double exemplaire ({article} de "
            f"l'A.M. n° 2003-175)"
        )
        _write_copy(pdf, spec, answers, copy, copies)
    return bytes(pdf.output())


def _write_copy(pdf: _Letter, spec: DossierSpec, answers: Mapping[str, Any], copy: int, copies: int) -> None:
    width = pdf.epw
    people = signatories(spec, answers)
    # Sender, top left.
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width / 2, 5, _pdf_text(people[0].name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    sender = [people[0].capacity]
    if answers.get("responsible_address"):
        sender.append(str(answers["responsible_address"]))
    pdf.multi_cell(width / 2, 5, _pdf_text("\n".join(sender)), new_x="LMARGIN", new_y="NEXT")
    # Addressee, right.
    pdf.ln(3)
    pdf.set_x(pdf.l_margin + width * 0.5)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width * 0.5, 5, _pdf_text("\n".join(ADDRESSEE)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    # Subject.
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width, 5, _pdf_text(f"Objet : {spec.title['fr']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    refs = ", ".join(spec.articles)
    pdf.multi_cell(
        width,
        5,
        _pdf_text(f"Réf. : arrêté ministériel n° 2003-175 du 3 mars 2003, articles {refs}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(5)
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(width, 5.5, _pdf_text("Monsieur le Ministre d'État,"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(
        width,
        5.5,
        _pdf_text(OPENING_SENTENCE.get(spec.id, OPENING_SENTENCE["opening"])),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.multi_cell(
        width, 5.5, _pdf_text("La demande porte sur les éléments suivants :"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(1)
    for label, value in letter_lines(spec, answers):
        pdf.set_x(pdf.l_margin)
        pdf.set_font("Helvetica", "B", 10)
        pdf.write(5.2, _pdf_text(f"{label} : "))
        pdf.set_font("Helvetica", "", 10)
        pdf.write(5.2, _pdf_text(value))
        pdf.ln(5.4)
    pdf.ln(2)
    pieces = spec.required_pieces(answers)
    if pieces:
        pdf.set_font("Helvetica", "", 10.5)
        pdf.multi_cell(width, 5.5, _pdf_text("Pièces jointes au dossier :"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for piece in pieces:
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(
                width - 4,
                5.2,
                _pdf_text(f"- {piece.label['fr']} (article {piece.article})"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.ln(3)
    # The closing formula stays on the page of the signatures: never a page of signatures alone.
    if pdf.get_y() + 12 + SIGNATURE_HEIGHT > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(width, 5.5, _pdf_text(CLOSING[1 if len(people) > 1 else 0]), new_x="LMARGIN", new_y="NEXT")
    _signatures(pdf, people)


SIGNATURE_BOX = 18
SIGNATURE_HEIGHT = 5 + 5 * 4 + SIGNATURE_BOX


def _signatures(pdf: _Letter, people: Sequence[Signatory]) -> None:
    box_height = SIGNATURE_BOX
    pdf.ln(5)
    # One signatory signs on the right half, as letters do; two sign side by side.
    column = pdf.epw / 2
    first = pdf.l_margin + (column if len(people) == 1 else 0)
    top = pdf.get_y()
    for i, person in enumerate(people[:2]):
        x = first + i * column
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(
            column - 4,
            5,
            _pdf_text(f"Fait à Monaco, le ____________\n{person.capacity}"),
            new_x="LEFT",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(column - 4, 5, _pdf_text(person.name), new_x="LEFT", new_y="NEXT")
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(column - 4, 5, _pdf_text("Signature :"), new_x="LEFT", new_y="NEXT")
        pdf.rect(x, pdf.get_y(), column - 8, box_height)


def letter_filename(spec: DossierSpec, number: int) -> str:
    """Name the PDF after the dossier type and number."""
    names = {
        "opening": "demande-ouverture",
        "modification": "demande-modification",
        "transfer": "demande-transfert",
        "partial_transfer": "demande-transfert-partiel",
    }
    return f"{names.get(spec.id, 'demande-' + spec.id)}-{number}.pdf"
