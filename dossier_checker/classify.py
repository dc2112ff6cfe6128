"""Cut files into documents, decide what each one is, and whether it is a piece, keeping the evidence.

A bundle of 40 pages in any order is cut where a page opens with a title (of a piece, or of some other
document such as an invoice) or where the page reads as another kind of document than the one running.
Each document then gets one main type. Its own title line decides first (the first line of its head that a
title phrase fills): a lease titled "Bail commercial" is a lease even when a clause speaks of assigning it,
and a document titled "Règlement intérieur" is no statutes whatever its words. The types are every piece the
specs know, and the documents that are no piece (``config/checker.yaml``, ``document_types``). Without a
title line, the document is scored against every piece from the spec's detection signals. Whether the
document then meets the piece's definition in the decree (minutes that approve the transfer, a plan with
dimensions and uses) is checked by ``definition_gaps``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dossier_checker import features
from dossier_checker.answer_checks import RULE_CODES, answer_features, answer_warnings, dates, rule_warning
from dossier_checker.features import Folded, fold
from dossier_checker.model import Page, PieceWarning
from dossier_checker.rules import DEFINITION_RULES
from dossier_checker.spec import DossierSpec, PieceSignals, PieceSpec
from dossier_checker.tuning import DocumentType, tuning

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
    r"\b(?:approuv\w*|autoris\w*|agree\w*|approv\w*|consent\w*|accept\w*|accord|autorizza\w*)\b"
    r"(?:\W+\w+){0,12}?\W+"
    r"(?:transfert|cession|location gerance|transfer|apport|vente|sale|trasferimento|cessione|affitto)\b"
    r"|\b(?:transfert|cession|location gerance|transfer|trasferimento|cessione)\b(?:\W+\w+){0,12}?\W+"
    r"(?:est|sont|is|are|e|viene)\s+(?:approuv\w*|approved|approvat\w*)",
)


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
    title_score: float = 0.0
    shaped: bool = True  # has the structure the kind requires (a drawing for a plan)

    @property
    def has_title(self) -> bool:
        """Tell whether a title of the kind was found."""
        return bool(self.titles)


@dataclass(frozen=True)
class TitleMatch:
    """The line of a document's head that names its type, and the title phrase found in it."""

    kind: str  # a piece's document kind, or a document type id
    title: str
    line: str
    is_piece: bool
    also: tuple[str, ...] = ()  # other piece kinds the same title names ("certificate of incorporation")


@dataclass
class Document:
    """Consecutive pages of one file that read as one document."""

    file: str
    pages: list[Page] = field(default_factory=list)
    scores: dict[str, KindScore] = field(default_factory=dict)
    kind: str | None = None  # the best kind, when its score reaches "uncertain"
    ambiguous_with: str | None = None
    title: TitleMatch | None = None  # the document's own title line, when one names a type
    seems: str | None = None  # a document type that is no piece (internal_rules, invoice…)

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


def score_text(
    kind: Kind, body: Folded, head: Folded, measured: Mapping[str, float], titled: bool = False
) -> KindScore:
    """Score a text against one kind of document (``titled``: its own title line names this kind)."""
    signals = kind.signals
    weights = tuning().scoring
    title_points: list[float] = []
    titles: list[str] = []
    for title in signals.titles:
        if features.find_phrase(title, head):
            title_points.append(weights.title_in_head)
            titles.append(title)
        elif features.find_phrase(title, body):
            title_points.append(weights.title_in_body)
            titles.append(title)
    title_score = 0.0
    if title_points:
        title_points.sort(reverse=True)
        title_score = min(weights.title_cap, title_points[0] + weights.extra_title * (len(title_points) - 1))
    phrases = [p for p in signals.phrases if features.find_phrase(p, body)]
    phrase_score = min(weights.phrase_cap, weights.phrase * len(phrases))
    negative_score = 0.0
    negatives: list[str] = []
    damp = weights.titled_negative_factor if titled else 1.0
    for phrase in signals.negative:
        if features.find_phrase(phrase, head):
            negative_score += weights.negative_in_head * damp
            negatives.append(phrase)
        elif features.find_phrase(phrase, body):
            negative_score += weights.negative_in_body * damp
            negatives.append(phrase)
    feature_score = 0.0
    found: list[tuple[str, float]] = []
    for name, weight in signals.features.items():
        strength = measured.get(name, 0.0)
        if strength > 0:
            feature_score += weight * strength
            found.append((name, strength))
    shaped = all(measured.get(name, 0.0) >= 0.5 for name in signals.require_features)
    met = (not signals.require_title or bool(titles)) and shaped
    total = title_score + phrase_score + negative_score + feature_score
    return KindScore(
        kind.id,
        round(total, 2),
        tuple(titles),
        tuple(phrases),
        tuple(negatives),
        tuple(found),
        met,
        title_score,
        shaped,
    )


def _measure(pages: Sequence[Page]) -> dict[str, float]:
    measured: dict[str, float] = {}
    for page in pages:
        for name, value in features.page_features(page).items():
            measured[name] = max(measured.get(name, 0.0), value)
    if measured.get("drawing", 0.0) >= 0.6 and measured.get("before_after", 0.0) < 1.0:
        states: set[str] = set()  # the states on different pages of one document (read for drawings only)
        for page in pages:
            states |= features.plan_states(page.text)
        if states == {"before", "after"}:
            measured["before_after"] = 1.0
    return measured


def _fuzzy(pages: Sequence[Page]) -> bool:
    # Approximate matching on every page, not only on our own OCR: the text layer of a PDF from a
    # copier's "scan to searchable PDF" is OCR output too, with the same kinds of errors.
    return True


def _score_pages(
    pages: Sequence[Page], kinds: Sequence[Kind], titled: str | None = None
) -> dict[str, KindScore]:
    fuzzy = _fuzzy(pages)
    body = Folded.of("\n".join(p.text for p in pages), fuzzy)
    head = Folded.of(pages[0].head, fuzzy)
    measured = _measure(pages)
    return {k.id: score_text(k, body, head, measured, titled == k.id) for k in kinds}


def _title_candidates(
    kinds: Sequence[Kind], types: Sequence[DocumentType]
) -> list[tuple[str, str, int, bool]]:
    found = [(k.id, t, len(fold(t).split()), True) for k in kinds for t in k.signals.titles]
    found += [(d.id, t, len(fold(t).split()), False) for d in types for t in d.titles]
    return found


def _title_like(raw: str) -> bool:
    # A title starts with a capital or a number; a line that starts in lower case is a sentence going on.
    first = next((ch for ch in raw.strip() if ch.isalnum()), "")
    return bool(first) and not first.islower()


def title_line(
    head: str,
    kinds: Sequence[Kind],
    types: Sequence[DocumentType],
    fuzzy: bool = True,
    max_lines: int | None = None,
) -> TitleMatch | None:
    """Find the first line of a head that a title phrase fills: it names the document's type.

    In a line, the phrase that starts first wins ("Avis de résiliation de contrat de bail" is a notice),
    then the longest ("Procès-verbal de l'assemblée générale" over "procès-verbal"). ``max_lines``: look
    at the first lines only (where a document that starts on this page has its title).
    """
    settings = tuning().title_line
    candidates = _title_candidates(kinds, types)
    lines = [line for line in head.splitlines() if line.strip()][: max_lines or settings.head_lines]
    # A title may run over two lines ("DÉSIGNATION DU VÉTÉRINAIRE" / "RESPONSABLE").
    tries = [(line, f"{line} {after}") for line, after in zip(lines, [*lines[1:], ""], strict=True)]
    for raw, joined in ((text, i == 1) for pair in tries for i, text in enumerate(pair) if text.strip()):
        if not _title_like(raw):
            continue
        found = _title_in_line(Folded.of(raw, fuzzy), candidates, joined)
        if found is not None:
            kind, title, is_piece, others = found
            return TitleMatch(kind, title, raw.strip(), is_piece, others)
    return None


def _title_in_line(
    line: Folded, candidates: Sequence[tuple[str, str, int, bool]], joined: bool
) -> tuple[str, str, bool, tuple[str, ...]] | None:
    """Return the title phrase a line holds (kind, title, is a piece, other kinds it names), if any."""
    settings = tuning().title_line
    words = len(line.text.split())
    best: tuple[int, int, bool, str, str] | None = None
    tied: list[str] = []
    for kind, title, length, is_piece in candidates:
        extra = words - length
        if extra < 0 or extra > settings.max_extra_words:
            continue
        at = features.phrase_position(title, line, settings.fuzzy_cutoff)
        if at is None:
            continue
        opens = at <= 1
        if joined and not opens:
            continue  # over two lines, only a title that opens the first one
        if not opens and extra > settings.max_extra_ratio * length:
            continue
        key = (at, -length, not is_piece, kind, title)
        if best is not None and key[:3] == best[:3]:
            tied.append(kind)
        if best is None or key < best:
            if best is None or key[:3] != best[:3]:
                tied = [kind]
            best = key
    if best is None:
        return None
    _, _, not_piece, kind, title = best
    others = tuple(sorted(set(tied) - {kind})) if not not_piece else ()
    return kind, title, not not_piece, others


def _document_types(scores: Mapping[str, KindScore]) -> list[DocumentType]:
    titled = {s.kind for s in scores.values() if s.has_title}
    return [d for d in tuning().document_types if not titled.intersection(d.yields_to)]


def _opens_document(page: Page, kinds: Sequence[Kind], running_head: Folded | None = None) -> bool:
    # A title line at the top of the page opens a document; a title phrase inside the text does not
    # (statutes whose articles speak of "procès-verbal" or "règlement intérieur" go on).
    top = tuning().title_line.opening_lines
    found = title_line(_head(page), kinds, tuning().document_types, _fuzzy([page]), top)
    if found is not None:
        return True  # two minutes with the same title are two documents
    # A piece's title of three words or more that starts inside a line and runs over to the next
    # ("Décision du conseil — désignation du / vétérinaire responsable"), in the page's first lines,
    # unless the running document's first lines hold it too (a running header).
    opening = _opening(page, short=True)
    return any(
        features.find_phrase(t, opening) and not (running_head and features.find_phrase(t, running_head))
        for k in kinds
        for t in k.signals.titles
        if len(fold(t).split()) >= MIN_RUNOVER_TITLE_WORDS
    )


MIN_RUNOVER_TITLE_WORDS = 3


RUNOVER_LINE_WORDS = 10  # a title over two lines is in short lines, not in the sentences of a clause


def _opening(page: Page, short: bool = False) -> Folded:
    lines = [line for line in _head(page).splitlines() if line.strip()][: tuning().title_line.opening_lines]
    if short:
        lines = [line for line in lines if len(line.split()) <= RUNOVER_LINE_WORDS]
    return Folded.of(" ".join(lines), _fuzzy([page]))


_NUMBERED_HEADING = re.compile(r"^\W*(?:article|art\.|articolo|section|chapitre|titre|\d)", re.IGNORECASE)
SHORT_HEADING_WORDS = 6


def _starts_like_a_document(page: Page) -> bool:
    # A new document opens with a short heading ("EXTRAIT R.C.I."), not with a sentence going on or a
    # numbered clause of the running one ("Article 12 - Cession du bail").
    lines = [line.strip() for line in _head(page).splitlines() if line.strip()][:2]
    return any(
        _title_like(line) and len(line.split()) <= SHORT_HEADING_WORDS and not _NUMBERED_HEADING.match(line)
        for line in lines
    )


def _is_letter(head: str) -> bool:
    # A letter's layout: a subject line ("Objet :", "Re:", "Oggetto:") in its head.
    markers = tuning().letter_subjects
    return any(
        fold(line.split(":", 1)[0]) in markers
        for line in head.splitlines()[:LETTER_HEAD_LINES]
        if ":" in line
    )


LETTER_HEAD_LINES = 12


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
        start = not documents or _opens_document(page, kinds, _opening(documents[-1].pages[0]))
        if not start and running:
            current = max(running, key=lambda k: running[k])
            if (
                top.kind != current
                and _starts_like_a_document(page)
                and top.score - top.title_score >= by_kind[top.kind].signals.present
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
        _decide(document, kinds, by_kind)
    return documents


HEAD_FALLBACK_LINES = 8  # a page whose head is empty (text low on a cover page): its first lines


def _head(page: Page) -> str:
    if page.head.strip():
        return page.head
    return "\n".join([line for line in page.text.splitlines() if line.strip()][:HEAD_FALLBACK_LINES])


def _head_of(document: Document) -> str:
    heads = [_head(p) for p in document.pages[:2] if _head(p).strip()]
    return heads[0] if heads else ""


def _decide(document: Document, ordered: Sequence[Kind], kinds: Mapping[str, Kind]) -> None:
    # The document's own title line names its type; a plan that shows the states before and after
    # works is the art. 14 e) plans whatever its title says it is a plan of.
    main = title_line(_head_of(document), ordered, _document_types(document.scores), _fuzzy(document.pages))
    document.title = main
    if main is not None and not main.is_piece:
        document.seems = main.kind
        return
    if main is None and _is_letter(_head_of(document)):
        document.seems = "letter"  # an untitled letter (an answer to an offer of lease) is no piece
        return
    if main is not None:
        # A title two kinds share (a US "certificate of incorporation" is a charter, elsewhere a
        # registry's certificate): the document's words and structure decide between them.
        kind = max((main.kind, *main.also), key=lambda k: document.scores[k].score)
        if kind == "floor_plan" and _measure(document.pages).get("before_after", 0.0) >= 1.0:
            kind = "plans_before_after"
        document.scores = _score_pages(document.pages, ordered, titled=kind)
        document.kind = kind
        return
    _decide_by_scores(document, kinds)


def _decide_by_scores(document: Document, kinds: Mapping[str, Kind]) -> None:
    # A document that lacks what its kind requires, has no title of it and scores below "present" is
    # some other document (a sketch is no plan without dimensions or a "plan" title): not even uncertain.
    # With a high score but no required title (an extract whose heading is an unknown abbreviation), it
    # stays uncertain: evidence, but not enough.
    # A title word in an untitled text without the structure of the kind (a plan's drawing) is no plan.
    ranked = [
        s
        for s in _best(document.scores)
        if s.requirements_met or (s.has_title and s.shaped) or s.score >= kinds[s.kind].signals.present
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
                and top.score - second.score < tuning().scoring.ambiguous_margin
            ):
                document.ambiguous_with = second.kind


def approves_transfer(document: Document) -> bool:
    """Tell whether minutes approve a transfer, an assignment or a location-gérance."""
    return bool(_APPROVAL.search(fold(document.text)))


def _any_phrase(phrases: Sequence[str], text: Folded) -> bool:
    return any(features.find_phrase(p, text) for p in phrases)


def appoints(document: Document) -> bool:
    """Tell whether a document appoints or elects someone."""
    return _any_phrase(tuning().appointment_phrases, Folded.of(document.text, False))


def names_responsible(document: Document) -> bool:
    """Tell whether a document names the responsible pharmacist or veterinarian."""
    return _any_phrase(tuning().responsible_phrases, Folded.of(document.text, _fuzzy(document.pages)))


def definition_gaps(piece: PieceSpec, document: Document) -> list[str]:
    """List why a document does not meet the piece's definition in the decree (its definition rules)."""
    gaps: list[str] = []
    for rule in piece.checks:
        if rule.name in DEFINITION_RULES and not _DEFINITIONS[rule.name](document):
            gaps.append(RULE_CODES[rule.name])
    return gaps


def _has_area_uses(document: Document) -> bool:
    return _measure(document.pages).get("room_labels", 0.0) >= 1.0


_DEFINITIONS: dict[str, Callable[[Document], bool]] = {
    "area_uses": _has_area_uses,
    "approves_transfer": approves_transfer,
    "names_responsible": names_responsible,
}


def is_present(document: Document, kinds: Mapping[str, Kind]) -> bool:
    """Tell whether a document is, beyond reasonable doubt, of its best kind."""
    if document.kind is None or document.ambiguous_with is not None:
        return False
    score = document.scores[document.kind]
    return score.requirements_met and score.score >= kinds[document.kind].signals.present


# ----------------------------------------------------------------------------------------------------------
# Warnings: what looks wrong with a piece that is there.


def _certified(document: Document, folded: Folded) -> bool:
    return any(features.find_phrase(p, folded) for p in CERTIFICATION_PHRASES)


def _both_states(document: Document) -> bool:
    states: set[str] = set()
    for page in document.pages:
        states |= features.plan_states(page.text)
    return states == {"before", "after"}


def piece_warnings(
    piece: PieceSpec,
    document: Document,
    all_documents: Sequence[Document],
    conditions: Mapping[str, object],
    today: dt.date,
) -> list[PieceWarning]:
    """List what looks wrong with the document found for a piece, rule by rule of its spec."""
    folded = Folded.of(document.text, _fuzzy(document.pages))
    same_kind = [d for d in all_documents if d.kind == piece.document_kind] or [document]
    found_dates = dates(document.text)
    warnings: list[PieceWarning] = []
    warnings += answer_warnings(piece, answer_features(piece, document.text), conditions, today)
    for rule in piece.checks:
        name = rule.name
        if (
            (name == "certified_copy" and not _certified(document, folded))
            or (name == "dimensioned" and _measure(document.pages).get("dimension_labels", 0.0) < 0.5)
            or (name == "before_and_after" and not _both_states(document))
            or (name == "approves_transfer" and any(not approves_transfer(d) for d in same_kind))
            or (name == "one_per_party" and len(same_kind) < 2)
            or (name == "dated" and not found_dates)
        ):
            warnings.append(rule_warning(rule, piece))
    return warnings


def plans_pair(documents: Sequence[Document]) -> tuple[Document, Document, bool] | None:
    """Find two plans of the same premises (one file or two): (before, after, whether their titles say so)."""
    plans = [d for d in documents if d.kind in ("floor_plan", "plans_before_after")]
    overlap = tuning().plans.same_premises_overlap
    unlabelled: tuple[Document, Document, bool] | None = None
    for i, first in enumerate(plans):
        for second in plans[i + 1 :]:
            rooms = features.room_labels(first.text), features.room_labels(second.text)
            smaller = min(len(rooms[0]), len(rooms[1]))
            if smaller < 2 or len(rooms[0] & rooms[1]) < overlap * smaller:
                continue
            states = features.plan_states(first.text), features.plan_states(second.text)
            if states == ({"before"}, {"after"}):
                return first, second, True
            if states == ({"after"}, {"before"}):
                return second, first, True
            if unlabelled is None:
                unlabelled = (first, second, False)
    return unlabelled
