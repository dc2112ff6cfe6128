"""Cut files into documents and recognise each one as a piece, keeping the evidence of every decision.

A bundle of 40 pages in any order is cut where a page opens with a title (of a piece, or of some other
document such as an invoice) or where the page reads as another kind of document than the one running.
Each document is then scored against every kind of piece the specs know (not only the dossier's, so a
deed of sale is recognised as such and never mistaken for a lease), from the spec's detection signals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dossier_checker import features
from dossier_checker.features import Folded
from dossier_checker.model import Page, PieceWarning
from dossier_checker.spec import DossierSpec, PieceSignals, PieceSpec

TITLE_IN_HEAD = 3.0
TITLE_IN_BODY = 1.5
EXTRA_TITLE = 0.5
TITLE_CAP = 4.5
PHRASE = 1.0
PHRASE_CAP = 6.0
NEGATIVE_IN_HEAD = -3.0
NEGATIVE_IN_BODY = -1.5
AMBIGUOUS_MARGIN = 1.0  # two kinds this close: the document is uncertain, never present

# Titles of documents that are no piece of any dossier: they start a new document in a bundle.
OTHER_DOCUMENT_TITLES: tuple[str, ...] = (
    "facture",
    "invoice",
    "devis",
    "curriculum vitae",
    "convocation",
    "avis de convocation",
    "bon de commande",
    "catalogue",
    "brochure",
    "relevé de compte",
    "attestation d'assurance",
)
CERTIFICATION_PHRASES: tuple[str, ...] = (
    "copie certifiée conforme",
    "certifiée conforme",
    "certifié conforme",
    "pour copie conforme",
    "conforme à l'original",
    "certified true copy",
    "certified copy",
    "copia conforme",
    "copia autentica",
)
_APPROVAL = re.compile(
    r"\b(?:approuv\w*|autoris\w*|agree\w*|approv\w*|consent\w*|accept\w*|accord)\b(?:\W+\w+){0,12}?\W+"
    r"(?:transfert|cession|location gerance|transfer|apport|vente)\b"
    r"|\b(?:transfert|cession|location gerance|transfer)\b(?:\W+\w+){0,12}?\W+(?:est|sont)\s+approuv\w*",
)
REGISTRATION_MAX_AGE_DAYS = 92  # an extract older than three months is usually refused


@dataclass(frozen=True)
class Kind:
    """A kind of document the checker can recognise: a piece's id and detection signals."""

    id: str
    signals: PieceSignals


@dataclass(frozen=True)
class KindScore:
    """How well a text matches one kind, and the phrases and features behind the score."""

    kind: str
    score: float
    titles: tuple[str, ...]
    phrases: tuple[str, ...]
    negatives: tuple[str, ...]
    features: tuple[tuple[str, float], ...]
    requirements_met: bool

    @property
    def has_title(self) -> bool:
        """Tell whether a title of the kind was found."""
        return bool(self.titles)


@dataclass
class Document:
    """Consecutive pages of one file that read as one document."""

    file: str
    pages: list[Page] = field(default_factory=list)
    scores: dict[str, KindScore] = field(default_factory=dict)
    kind: str | None = None  # the best kind, when its score reaches "uncertain"
    ambiguous_with: str | None = None

    @property
    def numbers(self) -> tuple[int, ...]:
        """Return the document's page numbers in its file."""
        return tuple(p.number for p in self.pages)

    @property
    def text(self) -> str:
        """Return the text of all its pages."""
        return "\n".join(p.text for p in self.pages)


def known_kinds(spec: DossierSpec, others: Sequence[DossierSpec]) -> list[Kind]:
    """List every kind of document: the dossier's pieces first, then the other specs' pieces."""
    kinds: dict[str, Kind] = {}
    for source in (spec, *others):
        for piece in source.pieces:
            kinds.setdefault(piece.document_kind, Kind(piece.document_kind, piece.signals))
    return list(kinds.values())


def score_text(kind: Kind, body: Folded, head: Folded, measured: Mapping[str, float]) -> KindScore:
    """Score a text against one kind of document."""
    signals = kind.signals
    title_points: list[float] = []
    titles: list[str] = []
    for title in signals.titles:
        if features.find_phrase(title, head):
            title_points.append(TITLE_IN_HEAD)
            titles.append(title)
        elif features.find_phrase(title, body):
            title_points.append(TITLE_IN_BODY)
            titles.append(title)
    title_score = 0.0
    if title_points:
        title_points.sort(reverse=True)
        title_score = min(TITLE_CAP, title_points[0] + EXTRA_TITLE * (len(title_points) - 1))
    phrases = [p for p in signals.phrases if features.find_phrase(p, body)]
    phrase_score = min(PHRASE_CAP, PHRASE * len(phrases))
    negative_score = 0.0
    negatives: list[str] = []
    for phrase in signals.negative:
        if features.find_phrase(phrase, head):
            negative_score += NEGATIVE_IN_HEAD
            negatives.append(phrase)
        elif features.find_phrase(phrase, body):
            negative_score += NEGATIVE_IN_BODY
            negatives.append(phrase)
    feature_score = 0.0
    found: list[tuple[str, float]] = []
    for name, weight in signals.features.items():
        strength = measured.get(name, 0.0)
        if strength > 0:
            feature_score += weight * strength
            found.append((name, strength))
    met = (not signals.require_title or bool(titles)) and all(
        measured.get(name, 0.0) >= 0.5 for name in signals.require_features
    )
    total = title_score + phrase_score + negative_score + feature_score
    return KindScore(
        kind.id, round(total, 2), tuple(titles), tuple(phrases), tuple(negatives), tuple(found), met
    )


def _measure(pages: Sequence[Page]) -> dict[str, float]:
    measured: dict[str, float] = {}
    for page in pages:
        for name, value in features.page_features(page).items():
            measured[name] = max(measured.get(name, 0.0), value)
    return measured


def _fuzzy(pages: Sequence[Page]) -> bool:
    # Approximate matching on every page, not only on our own OCR: the text layer of a PDF from a
    # copier's "scan to searchable PDF" is OCR output too, with the same kinds of errors.
    return True


def _score_pages(pages: Sequence[Page], kinds: Sequence[Kind]) -> dict[str, KindScore]:
    fuzzy = _fuzzy(pages)
    body = Folded.of("\n".join(p.text for p in pages), fuzzy)
    head = Folded.of(pages[0].head, fuzzy)
    measured = _measure(pages)
    return {k.id: score_text(k, body, head, measured) for k in kinds}


def _opens_document(page: Page, kinds: Sequence[Kind]) -> bool:
    head = Folded.of(page.head, _fuzzy([page]))
    if any(features.find_phrase(t, head) for t in OTHER_DOCUMENT_TITLES):
        return True
    return any(features.find_phrase(t, head) for k in kinds for t in k.signals.titles)


def _best(scores: Mapping[str, KindScore]) -> list[KindScore]:
    return sorted(scores.values(), key=lambda s: s.score, reverse=True)


def segment(file: str, pages: Sequence[Page], kinds: Sequence[Kind]) -> list[Document]:
    """Cut one file's pages into documents."""
    by_kind = {k.id: k for k in kinds}
    documents: list[Document] = []
    running: dict[str, float] = {}  # page scores summed over the document being read
    for page in sorted(pages, key=lambda p: p.number):
        page_scores = _score_pages([page], kinds)
        top = _best(page_scores)[0]
        start = not documents or _opens_document(page, kinds)
        if not start and running:
            current = max(running, key=lambda k: running[k])
            if (
                top.kind != current
                and top.score >= by_kind[top.kind].signals.present
                and page_scores[current].score < by_kind[current].signals.uncertain
            ):
                start = True  # this page reads as another document, not as the running one
        if start:
            documents.append(Document(file, [page]))
            running = {}
        else:
            documents[-1].pages.append(page)
        for kind, score in page_scores.items():
            running[kind] = running.get(kind, 0.0) + score.score
    for document in documents:
        document.scores = _score_pages(document.pages, kinds)
        _decide(document, by_kind)
    return documents


def _decide(document: Document, kinds: Mapping[str, Kind]) -> None:
    # A document that lacks what its kind requires, has no title of it and scores below "present" is
    # some other document (a sketch is no plan without dimensions or a "plan" title): not even uncertain.
    # With a high score but no required title (an extract whose heading is an unknown abbreviation), it
    # stays uncertain: evidence, but not enough.
    ranked = [
        s
        for s in _best(document.scores)
        if s.requirements_met or s.has_title or s.score >= kinds[s.kind].signals.present
    ]
    if not ranked:
        return
    top = ranked[0]
    if top.score >= kinds[top.kind].signals.uncertain:
        document.kind = top.kind
        if len(ranked) > 1:
            second = ranked[1]
            if (
                second.score >= kinds[second.kind].signals.uncertain
                and top.score - second.score < AMBIGUOUS_MARGIN
            ):
                document.ambiguous_with = second.kind


def is_present(document: Document, kinds: Mapping[str, Kind]) -> bool:
    """Tell whether a document is, beyond reasonable doubt, of its best kind."""
    if document.kind is None or document.ambiguous_with is not None:
        return False
    score = document.scores[document.kind]
    return score.requirements_met and score.score >= kinds[document.kind].signals.present


# ----------------------------------------------------------------------------------------------------------
# Warnings: what looks wrong with a piece that is there.


def _dates(text: str) -> list[dt.date]:
    found: list[dt.date] = []
    months = {
        name: i
        for i, names in enumerate(
            (
                ("janvier", "january", "gennaio"),
                ("fevrier", "february", "febbraio"),
                ("mars", "march", "marzo"),
                ("avril", "april", "aprile"),
                ("mai", "may", "maggio"),
                ("juin", "june", "giugno"),
                ("juillet", "july", "luglio"),
                ("aout", "august", "agosto"),
                ("septembre", "september", "settembre"),
                ("octobre", "october", "ottobre"),
                ("novembre", "november"),
                ("decembre", "december", "dicembre"),
            ),
            start=1,
        )
        for name in names
    }
    for match in features.DATE.finditer(text):
        try:
            if match.group("m"):
                month = int(match.group("m"))
            else:
                month = months.get(features.fold(match.group("mon")), 0)
            found.append(dt.date(int(match.group("y")), month, int(match.group("d"))))
        except ValueError:
            continue
    return found


# Warnings that depend on the answers, recomputed from a document's stored features whenever they change.
ANSWER_WARNINGS = frozenset({"warn_diploma_name_differs"})
# How much of a document's text is kept as its features (a diploma's names are on its first lines).
FEATURE_TEXT_CHARS = 4000


def answer_features(kind: str, document: Document) -> dict[str, str]:
    """Keep what the answer-dependent checks of this kind of document read (personal data: a report's life)."""
    if kind == "diploma":
        return {"text": features.fold(document.text)[:FEATURE_TEXT_CHARS]}
    return {}


def answer_warnings(
    kind: str, article: str, stored: Mapping[str, str], conditions: Mapping[str, object]
) -> list[PieceWarning]:
    """Check a document's stored features against the answers (the names on a diploma)."""
    warnings: list[PieceWarning] = []
    if kind == "diploma" and stored.get("text"):
        folded = Folded.of(stored["text"], True)
        for key in ("responsible_last_name", "responsible_first_name"):
            name = str(conditions.get(key) or "").strip()
            if name and not features.similar_name(name, folded):
                warnings.append(PieceWarning("warn_diploma_name_differs", article, (("name", name),)))
    return warnings


def piece_warnings(
    piece: PieceSpec,
    document: Document,
    all_documents: Sequence[Document],
    conditions: Mapping[str, object],
    today: dt.date,
) -> list[PieceWarning]:
    """List what looks wrong with the document found for a piece."""
    kind = piece.document_kind
    text = document.text
    folded = Folded.of(text, _fuzzy(document.pages))
    warnings: list[PieceWarning] = []
    if kind == "diploma":
        if not any(features.find_phrase(p, folded) for p in CERTIFICATION_PHRASES):
            warnings.append(PieceWarning("warn_diploma_not_certified", piece.article))
        warnings += answer_warnings(kind, piece.article, answer_features(kind, document), conditions)
    if kind in ("floor_plan", "plans_before_after"):
        measured = _measure(document.pages)
        if measured.get("dimension_labels", 0.0) < 0.5:
            warnings.append(PieceWarning("warn_plan_no_dimensions", piece.article))
    if kind == "plans_before_after":
        before = any(
            features.find_phrase(p, folded) for p in ("avant", "etat existant", "etat actuel", "before")
        )
        after = any(features.find_phrase(p, folded) for p in ("apres", "etat projete", "after"))
        if not (before and after):
            warnings.append(PieceWarning("warn_plans_one_state", piece.article))
    if kind == "board_minutes":
        minutes = [d for d in all_documents if d.kind == "board_minutes"] or [document]
        if any(not _APPROVAL.search(features.fold(d.text)) for d in minutes):
            warnings.append(PieceWarning("warn_minutes_no_approval", piece.article))
        if len(minutes) < 2:
            warnings.append(PieceWarning("warn_minutes_one_company", piece.article))
    if kind in (
        "company_registration",
        "designation_decision",
        "board_minutes",
        "acquisition_act",
        "premises_title",
    ):
        dates = _dates(text)
        if not dates:
            warnings.append(PieceWarning("warn_undated", piece.article))
        elif kind == "company_registration":
            latest = max(d for d in dates if d <= today) if any(d <= today for d in dates) else None
            if latest is not None and (today - latest).days > REGISTRATION_MAX_AGE_DAYS:
                warnings.append(
                    PieceWarning(
                        "warn_registration_old", piece.article, (("date", latest.strftime("%d/%m/%Y")),)
                    )
                )
    return warnings
