"""The request letter to the Ministre d'État, filled from a dossier's answers, as a PDF ready to sign (fpdf2).

The letter is in French, the administration's language, whatever language the conversation used. It says
only what is true: the request is worded after the answers (the spec's ``letter.request``), the pieces
received are listed as attached and the others as still to attach, and the copies are those the decree
sets (``letter.copies``: two for articles 5 and 14, one where it sets none). Every page says "page n/N"
within its copy; continuation pages carry a header; the closing formula stays with the signatures.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from bot.i18n import catalogue, t
from bot.walkthrough import display_value
from dossier_checker.spec import DossierSpec, FieldSpec

FR = "fr"  # the letter's language, whatever the conversation's: its sentences are the catalogue's French
CIVILITIES = ("madame", "monsieur")


def _fr(msg_id: str, **params: Any) -> str:
    return t(FR, msg_id, **params)


@dataclass(frozen=True)
class Signatory:
    """Who signs, and in what capacity."""

    name: str
    capacity: str
    civility: str = ""


@dataclass(frozen=True)
class LetterPiece:
    """A piece the letter lists: received (attached) or still to attach."""

    label: str
    article: str
    received: bool


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
    """Name an answer as the letter does: the catalogue's ``letter_label_<field>``, else the question."""
    if catalogue().has(f"letter_label_{spec_field.id}"):
        return _fr(f"letter_label_{spec_field.id}")
    return re.sub(r"\s*\?$", "", spec_field.question.get(FR, spec_field.id))


def _person(answers: Mapping[str, Any], prefix: str) -> str:
    first = str(answers.get(f"{prefix}_first_name") or "").strip()
    last = str(answers.get(f"{prefix}_last_name") or "").strip()
    return " ".join(p for p in (first, last.upper()) if p) or "…"


def _civility_of(answers: Mapping[str, Any], prefix: str) -> str:
    civility = str(answers.get(f"{prefix}_civility") or "").casefold()
    return civility if civility in CIVILITIES else ""


def _civility(answers: Mapping[str, Any], prefix: str) -> str:
    civility = _civility_of(answers, prefix)
    return _fr(f"letter_civility_{civility}") if civility else ""


def _agreed(stem: str, civility: str) -> str:
    """Return the message id agreeing with the person ("…_madame" where the catalogue has one)."""
    return f"{stem}_{civility}" if civility and catalogue().has(f"{stem}_{civility}") else stem


def _capacity(answers: Mapping[str, Any], prefix: str, when: str) -> str:
    """Say "Pharmacienne responsable désignée", "Vétérinaire responsable actuel"… as the answers have it."""
    civility = _civility_of(answers, prefix)
    profession = str(answers.get(f"{prefix}_profession") or "")
    noun_id = f"letter_capacity_{profession}"
    noun = _fr(_agreed(noun_id, civility)) if catalogue().has(noun_id) else _fr("letter_capacity_unknown")
    return _fr(_agreed(f"letter_responsible{'_' + when if when else ''}", civility), capacity=noun)


def signatories(spec: DossierSpec, answers: Mapping[str, Any]) -> list[Signatory]:
    """List who signs the request: the responsible, and for a joint request the current responsible too."""
    joint = spec.letter.joint
    people = [
        Signatory(
            _person(answers, "responsible"),
            _capacity(answers, "responsible", "designated" if joint else ""),
            _civility(answers, "responsible"),
        )
    ]
    if joint:
        people.append(
            Signatory(
                _person(answers, "previous_responsible"),
                _capacity(answers, "previous_responsible", "current"),
                _civility(answers, "previous_responsible"),
            )
        )
    return people


def letter_lines(spec: DossierSpec, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """List the request's particulars as (label, value), in the spec's order, fields that apply only."""
    lines = []
    for spec_field in spec.active_fields(answers):
        if spec_field.id in spec.letter.identity_fields or answers.get(spec_field.id) is None:
            continue
        lines.append((_label(spec_field), display_value(spec_field, answers[spec_field.id], FR)))
    return lines


def copies_note(spec: DossierSpec) -> str:
    """Say how many copies the decree sets for this request, and where ("" when it sets none)."""
    rule = spec.letter
    if rule.copies < 2:
        return ""
    articles = list(rule.copies_articles)
    where = _fr(
        "letter_copies_where_one" if len(articles) == 1 else "letter_copies_where_many",
        articles=format_list(articles, locale=FR),
    )
    return _fr("letter_copies_note", copies=_fr(f"letter_copies_{rule.copies}"), where=where)


def default_pieces(spec: DossierSpec, answers: Mapping[str, Any]) -> list[LetterPiece]:
    """List the pieces the answers require, none received (what a letter says before any upload)."""
    return [LetterPiece(p.label[FR], p.article, False) for p in spec.required_pieces(answers)]


# ----------------------------------------------------------------------------------------------------------
# Pages


class _Pages(FPDF):
    """A4 pages numbered within their copy ("page n/N"), with a header on every page but a copy's first."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.set_margins(22, 18, 22)
        self.set_auto_page_break(True, margin=22)
        self.set_creator("vetpharma")
        self.first_page = 1  # the page this copy started on
        self.copy_pages = 0  # pages per copy, known on the second pass
        self.copy_note = ""
        self.running_head = ""
        self.starting = True  # the next page opened starts a copy

    def header(self) -> None:
        if self.starting:
            # A copy's first page: its numbering starts here (the previous page's footer is already drawn).
            self.first_page, self.starting = self.page_no(), False
            return
        if not self.running_head:
            return
        self.set_font("Helvetica", "I", 8)
        self.multi_cell(self.epw, 4, _pdf_text(self.running_head), align="L", new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(5)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_font("Helvetica", "I", 8)
        number = self.page_no() - self.first_page + 1
        total = self.copy_pages or number
        page = _fr("letter_page", number=number, total=total)
        text = f"{self.copy_note} - {page}" if self.copy_note else page
        self.cell(0, 5, _pdf_text(text), align="C")

    def room(self) -> float:
        """Return the height left above the bottom margin of this page."""
        return self.h - self.b_margin - self.get_y()

    def text_height(self, width: float, line: float, text: str) -> float:
        """Return the height ``text`` takes in a multi_cell of this width (font as set)."""
        lines = self.multi_cell(width, line, _pdf_text(text), dry_run=True, output=MethodReturnValue.LINES)
        return line * len(lines) if isinstance(lines, list) else line


def _paged(build: Callable[[_Pages, int], None], copies: int, title: str) -> bytes:
    """Render every copy twice: once to count each copy's pages, then with "page n/N" filled in."""
    counting = _Pages()
    counting.add_page()
    build(counting, 1)
    per_copy = counting.page_no()
    pdf = _Pages()
    pdf.set_title(_pdf_text(title))
    pdf.copy_pages = per_copy
    for copy in range(1, copies + 1):
        # The footer is drawn when a page closes: change the copy's marks only once its first page is open.
        pdf.starting = True
        pdf.add_page()
        build(pdf, copy)
    return bytes(pdf.output())


# ----------------------------------------------------------------------------------------------------------
# The request letter


SIGNATURE_BOX = 18
SIGNATURE_HEIGHT = 5 + 5 * 4 + SIGNATURE_BOX + 2


def request_letter(
    spec: DossierSpec,
    answers: Mapping[str, Any],
    pieces: Sequence[LetterPiece] | None = None,
    *,
    version: int = 1,
) -> bytes:
    """Build the filled request letter (every copy the decree sets, in one PDF), ready to sign."""
    listed = list(pieces) if pieces is not None else default_pieces(spec, answers)
    copies = max(spec.letter.copies, 1)
    note = copies_note(spec)
    people = signatories(spec, answers)
    head = _fr("letter_running_head", title=spec.title[FR], people=" ; ".join(_named(p) for p in people))

    def build(pdf: _Pages, copy: int) -> None:
        marks = [_fr("letter_copy_mark", copy=copy, copies=copies, note=note)] if copies > 1 else []
        marks += [_fr("letter_version", version=version)] if version > 1 else []
        pdf.copy_note = " - ".join(marks)
        pdf.running_head = head
        _write_letter(pdf, spec, answers, people, listed)

    return _paged(build, copies, spec.title[FR])


def _named(person: Signatory) -> str:
    return f"{person.civility} {person.name}".strip()


def _write_letter(
    pdf: _Pages,
    spec: DossierSpec,
    answers: Mapping[str, Any],
    people: Sequence[Signatory],
    pieces: Sequence[LetterPiece],
) -> None:
    width = pdf.epw
    sender = people[0]
    # Sender, top left.
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width / 2, 5, _pdf_text(_named(sender)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    lines = [sender.capacity]
    if answers.get("responsible_address"):
        lines.append(str(answers["responsible_address"]))
    pdf.multi_cell(width / 2, 5, _pdf_text("\n".join(lines)), new_x="LMARGIN", new_y="NEXT")
    # Addressee, right.
    pdf.ln(3)
    pdf.set_x(pdf.l_margin + width * 0.5)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width * 0.5, 5, _pdf_text(_fr("letter_addressee")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    # Subject.
    pdf.set_font("Helvetica", "B", 10)
    subject = _fr("letter_subject", title=spec.title[FR])
    pdf.multi_cell(width, 5, _pdf_text(subject), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    reference = _fr("letter_reference", articles=", ".join(spec.articles))
    pdf.multi_cell(width, 5, _pdf_text(reference), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(width, 5.5, _pdf_text(_fr("letter_salutation")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    request = spec.letter.request_text(answers)
    if request:
        pdf.multi_cell(width, 5.5, _pdf_text(request), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.multi_cell(width, 5.5, _pdf_text(_fr("letter_particulars")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    for label, value in letter_lines(spec, answers):
        pdf.set_x(pdf.l_margin)
        pdf.set_font("Helvetica", "B", 10)
        pdf.write(5.2, _pdf_text(f"{label} : "))
        pdf.set_font("Helvetica", "", 10)
        pdf.write(5.2, _pdf_text(value))
        pdf.ln(5.4)
    pdf.ln(2)
    closing = _fr("letter_closing_joint" if len(people) > 1 else "letter_closing")
    pdf.set_font("Helvetica", "", 10.5)
    ending = pdf.text_height(width, 5.5, closing) + SIGNATURE_HEIGHT
    sections = [
        (title, items)
        for title, items in (
            (_fr("letter_attached"), [p for p in pieces if p.received]),
            (_fr("letter_to_attach"), [p for p in pieces if not p.received]),
        )
        if items
    ]
    heights = [_section_height(pdf, title, items) for title, items in sections]
    # Never a closing formula and signatures alone on a page, never a pieces heading left at the bottom of
    # one: the page breaks before the latest list after which the rest and the end fit on one new page.
    breaks_before = _break_before(heights, ending, pdf.room(), pdf.h - pdf.t_margin - pdf.b_margin - 15)
    for index, (title, items) in enumerate(sections):
        if index == breaks_before:
            pdf.add_page()
        _pieces(pdf, title, items)
    if ending > pdf.room():
        pdf.add_page()
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(width, 5.5, _pdf_text(closing), new_x="LMARGIN", new_y="NEXT")
    _signatures(pdf, people)


def _break_before(heights: Sequence[float], ending: float, room: float, page: float) -> int | None:
    """Return the list to start a new page with (None: no break needed, or none keeps the end company)."""
    if sum(heights) + ending <= room:
        return None
    # The latest list that can open a page holding it, the lists after it and the end; the lists before it
    # must fit on this page. The end is never carried alone.
    for index in range(len(heights) - 1, -1, -1):
        if sum(heights[:index]) <= room and sum(heights[index:]) + ending <= page:
            return index
    return None


def _piece_line(piece: LetterPiece) -> str:
    return _fr("letter_piece_line", label=piece.label, article=piece.article)


def _section_height(pdf: _Pages, title: str, items: Sequence[LetterPiece]) -> float:
    pdf.set_font("Helvetica", "", 10)
    body = sum(pdf.text_height(pdf.epw - 4, 5.2, _piece_line(p)) for p in items)
    return 5.5 + body + 3


def _pieces(pdf: _Pages, title: str, items: Sequence[LetterPiece]) -> None:
    pdf.set_font("Helvetica", "", 10)
    first = pdf.text_height(pdf.epw - 4, 5.2, _piece_line(items[0]))
    if 5.5 + first + 1 > pdf.room():
        pdf.add_page()  # a heading stays with its first piece
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(pdf.epw, 5.5, _pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for piece in items:
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(pdf.epw - 4, 5.2, _pdf_text(_piece_line(piece)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _signatures(pdf: _Pages, people: Sequence[Signatory]) -> None:
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
            _pdf_text(f"{_fr('letter_signed_at')}\n{person.capacity}"),
            new_x="LEFT",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(column - 4, 5, _pdf_text(_named(person)), new_x="LEFT", new_y="NEXT")
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(column - 4, 5, _pdf_text(_fr("letter_signature")), new_x="LEFT", new_y="NEXT")
        pdf.rect(x, pdf.get_y(), column - 8, SIGNATURE_BOX)
    pdf.set_y(pdf.get_y() + SIGNATURE_BOX)


def letter_filename(spec: DossierSpec, number: int, version: int = 1) -> str:
    """Name the PDF after the dossier type and number (and its version once regenerated)."""
    suffix = f"-v{version}" if version > 1 else ""
    return f"{spec.letter.filename or 'demande-' + spec.id}-{number}{suffix}.pdf"


# ----------------------------------------------------------------------------------------------------------
# The checklist, a PDF of its own


@dataclass(frozen=True)
class ChecklistLine:
    """One required piece on the checklist: its label, article, state and the file it was found in."""

    label: str
    article: str
    status: str
    file: str | None = None
    warnings: tuple[str, ...] = ()


def checklist_pdf(spec: DossierSpec, number: int, lines: Sequence[ChecklistLine], lang: str) -> bytes:
    """Build the checklist of the pieces, in the reader's language, as a PDF of its own."""
    title = t(lang, "checklist_pdf_title", number=number, title=spec.title.get(lang, spec.title["fr"]))
    received = sum(1 for line in lines if line.status == "present")

    def build(pdf: _Pages, copy: int) -> None:
        pdf.running_head = title
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(pdf.epw, 6, _pdf_text(title), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 10)
        summary = t(lang, "checklist_title", received=received, total=len(lines))
        pdf.multi_cell(pdf.epw, 5.5, _pdf_text(summary), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        for line in lines:
            mark = {"present": "[x]", "uncertain": "[?]"}.get(line.status, "[ ]")
            state = t(lang, f"piece_{line.status}")
            where = f" ({line.file})" if line.file else ""
            pdf.set_font("Helvetica", "B", 10)
            pdf.multi_cell(pdf.epw, 5.5, _pdf_text(f"{mark} {line.label}"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 9.5)
            pdf.set_x(pdf.l_margin + 8)
            pdf.multi_cell(
                pdf.epw - 8,
                5,
                _pdf_text(f"art. {line.article} - {state}{where}"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
            for warning in line.warnings:
                pdf.set_x(pdf.l_margin + 8)
                pdf.multi_cell(pdf.epw - 8, 5, _pdf_text(f"! {warning}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)

    return _paged(build, 1, title)


def checklist_filename(number: int) -> str:
    """Name the checklist PDF after the dossier number."""
    return f"liste-des-pieces-{number}.pdf"
