"""Answers a pharmacist can trust: a first sentence that answers, the quoted passage, related articles.

``answer_question(text)`` reads the message (``nlu``), then: article look-ups print the article or part;
calculations run the calculators over the curated facts; a question on one formality of a request (its decision
delay, what silence means, who signs, how many copies, to whom) is answered from ``procedures.yaml``, for the
request named or for each request in turn when none is; other rule questions search the index and quote the
best passage. When the texts do not cover a question it says so plainly (``answered: false``), offers the closest
articles and a human, and invents nothing. It never raises.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from knowledge.calculators import (
    assistants_required,
    decision_deadline,
    describe_deadline,
    describe_experience,
    describe_scale,
    describe_staffing,
    experience_required,
)
from knowledge.facts import Facts
from knowledge.index import DECREE_ID, ArticleIndex
from knowledge.model import Article, Part
from knowledge.search import Hit, Passage, Searcher, document_stems, load_searcher
from nlu import Understanding, understand, warm_up
from nlu.lexicon import load_lexicon

log = logging.getLogger(__name__)

# Below this share of the question found in the best article, the texts do not answer it (tuned on the
# development questions only); a question whose subject noun the texts never use needs more.
MIN_COVERAGE = 0.4
MIN_COVERAGE_UNKNOWN_SUBJECT = 0.5
STRONG_FACT_SCORE = 0.6  # ... and quotes its own passage when it matches this well
MIN_FACT_SCORE = 0.55  # a curated fact opens the answer only when it matches this well
# Phrases asking what a category is (folded words): "qu'est-ce qu'un dépositaire", "what is a depositary".
_DEFINITION_CUES = (
    " qu est ce qu ",
    " c est quoi ",
    " definition ",
    " definir ",
    " defini ",
    " que fait ",
    " signifie ",
    " designe ",
    " est considere ",
    " what is a ",
    " what is an ",
    " what s a ",
    " what counts as ",
    " define ",
    " meaning of ",
    " what does a ",
    " what does an ",
)
DEFINITIONS_FACTOR = 0.75  # article 2 when a category is named in a question that is no definition
MIN_CLOSEST = 0.5  # a declined question lists the closest articles only when they hold this much of it
MAX_LIST_CHARS = 1800  # an enumeration longer than this is quoted by its best item only
# Words asking for a list ("quelles pièces", "what must it include"): the whole enumeration is quoted.
_LIST_CUES = frozenset(
    [
        "quel",
        "quelle",
        "quels",
        "quelles",
        "liste",
        "lister",
        "contenir",
        "contient",
        "comporter",
        "comporte",
        "preciser",
        "precise",
        "mentionner",
        "mentionne",
        "consigner",
        "renseignements",
        "informations",
        "pieces",
        "documents",
        "attributions",
        "operations",
        "what",
        "which",
        "list",
        "include",
        "includes",
        "contain",
        "contains",
    ]
)

PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        "decree": "Arrêté Ministériel n° 2003-175",
        "see_also": "Voir aussi",
        "al": "al.",
        "empty": (
            "Votre message est vide. Posez une question sur l'Arrêté Ministériel n° 2003-175, par exemple "
            "« délai de réponse pour une modification ? » ou « combien d'assistants pour un grossiste de 150 personnes ? »."
        ),
        "no_question": (
            "Je n'ai trouvé aucune question dans votre message. Posez une question sur "
            "l'Arrêté Ministériel n° 2003-175, par exemple « délai de réponse pour une modification ? » ou "
            "« combien d'assistants pour un grossiste de 150 personnes ? »."
        ),
        "not_covered": "L'Arrêté Ministériel n° 2003-175 ne traite pas de cette question{topic} : je préfère ne pas répondre plutôt que de risquer une erreur.",
        "closest": "Articles les plus proches : {items}.",
        "human_offer": "Pour parler à un agent du ministère, tapez /human.",
        "other_language": (
            "Je réponds en français ou en anglais. Posez votre question sur l'Arrêté Ministériel n° 2003-175 dans "
            "l'une de ces langues.\nI answer in French or English: please ask about Ministerial Order No. 2003-175 "
            "in one of them."
        ),
        "help": (
            "Je réponds aux questions sur l'Arrêté Ministériel n° 2003-175 (établissements pharmaceutiques "
            "vétérinaires), avec l'article et le passage exact. Exemples :\n"
            "• délai de réponse pour une modification ?\n"
            "• combien d'assistants pour un grossiste de 150 personnes ?\n"
            "• dossier complet reçu le 2 mars 2026 : date de décision ?\n"
            "• article 14, ou 6 d)\n"
            "/dossier : constituer un dossier · /check : vérifier vos PDF · /human : parler à un agent"
        ),
        "greeting": "Bonjour ! ",
        "not_understood": "Je n'ai pas compris ce message.",
        "thanks": "Avec plaisir. ",
        "human": (
            "Tapez /human pour être mis en relation avec un agent du ministère : je lui transmets le contexte de la "
            "conversation."
        ),
        "dossier": "Pour constituer un dossier {kind}, tapez /dossier : je vous guide pièce par pièce ({articles}).",
        "check": (
            "Envoyez vos PDF puis tapez /check : je vérifie chaque pièce exigée ({articles}) et je liste ce qui manque."
        ),
        "unknown_article": "Je ne trouve pas d'article {number} dans les textes chargés.",
        "part_missing": "L'article {number} n'a pas de partie « {part} » ; voici l'article entier.",
        "error": "Je n'ai pas pu traiter ce message. Reformulez votre question, ou tapez /human pour parler à un agent.",
        "assistants_by_scale": "Le nombre d'assistants dépend de la catégorie de l'établissement (article 2) :",
        "assistants_headcount": "Pour un effectif de {n} personnes, cela dépend de la catégorie de l'établissement :",
        "uncovered_feed": "catégories 11° à 14° (aliments médicamenteux) : aucun barème dans les articles 37 et 38 (voir l'art. 54).",
        "count_note": "L'effectif compte les personnes affectées aux opérations de l'article 39 : {ops}.",
        "experience_any": "L'expérience pratique exigée dépend de la catégorie (articles 26 et 27) :",
        "truncated": "(Message très long : seul le début a été lu.)",
        "translation": (
            "Le texte que je consulte est l'Arrêté Ministériel n° 2003-175 en français, tel que publié au Journal de "
            "Monaco ; je n'en ai pas de version anglaise et je ne peux pas dire s'il en existe une officielle. Vous "
            "pouvez poser vos questions en anglais : je réponds en anglais et je cite le texte français."
        ),
    },
    "en": {
        "decree": "Ministerial Order No. 2003-175",
        "see_also": "See also",
        "al": "para.",
        "empty": (
            "Your message is empty. Ask a question about Ministerial Order No. 2003-175, for example "
            '"how long does a modification take?" or "how many assistants for a wholesaler with 150 staff?".'
        ),
        "no_question": (
            "I found no question in your message. Ask a question about Ministerial Order "
            'No. 2003-175, for example "how long does a modification take?" or "how many assistants for a '
            'wholesaler with 150 staff?".'
        ),
        "not_covered": "Ministerial Order No. 2003-175 does not cover this question{topic}: I would rather not answer than risk being wrong.",
        "closest": "Closest articles: {items}.",
        "human_offer": "To talk to a ministry agent, type /human.",
        "other_language": (
            "I answer in French or English: please ask about Ministerial Order No. 2003-175 in one of them.\n"
            "Je réponds en français ou en anglais."
        ),
        "help": (
            "I answer questions on Ministerial Order No. 2003-175 (veterinary pharmaceutical establishments), with "
            "the article and the exact passage (quoted in French). Examples:\n"
            "• how long does a modification take?\n"
            "• how many assistants for a wholesaler with 150 staff?\n"
            "• complete dossier received on 2 March 2026: decision date?\n"
            "• article 14, or 6 d)\n"
            "/dossier: build a dossier · /check: check your PDFs · /human: talk to an agent"
        ),
        "greeting": "Hello! ",
        "not_understood": "I could not read this message.",
        "thanks": "You're welcome. ",
        "human": "Type /human to be put in touch with a ministry agent: I pass on the context of this conversation.",
        "dossier": "To build a dossier {kind}, type /dossier: I guide you piece by piece ({articles}).",
        "check": "Send your PDFs, then type /check: I check every required piece ({articles}) and list what is missing.",
        "unknown_article": "I can't find an article {number} in the loaded texts.",
        "part_missing": 'Article {number} has no part "{part}"; here is the whole article.',
        "error": "I could not process this message. Please rephrase it, or type /human to talk to an agent.",
        "assistants_by_scale": "The number of assistants depends on the establishment's category (article 2):",
        "assistants_headcount": "For a headcount of {n}, it depends on the establishment's category:",
        "uncovered_feed": "categories 11° to 14° (medicated feed): no scale in articles 37 and 38 (see art. 54).",
        "count_note": "The headcount counts the people doing the operations of article 39: {ops}.",
        "experience_any": "The practical experience required depends on the category (articles 26 and 27):",
        "truncated": "(Very long message: only its beginning was read.)",
        "translation": (
            "The text I consult is Ministerial Order No. 2003-175 in French, as published in the Journal de Monaco; "
            "I have no English version of it and cannot say whether an official one exists. You can ask your "
            "questions in English: I answer in English and quote the French text."
        ),
    },
}

_DOSSIER_ARTICLES = {
    "opening": ("5", "6"),
    "extension": ("15", "5", "6"),
    "modification": ("12", "13", "14"),
    "transfer": ("20", "21", "22"),
}
_DOSSIER_KIND = {
    "fr": {
        "opening": "d'ouverture",
        "extension": "d'extension",
        "modification": "de modification",
        "transfer": "de transfert",
    },
    "en": {
        "opening": "to open",
        "extension": "to extend activity",
        "modification": "for a modification",
        "transfer": "for a transfer",
    },
}


@dataclass(frozen=True)
class Citation:
    """An article an answer rests on, most relevant first."""

    text: str  # text id: "am-2003-175", "code-de-la-sante-publique"
    article: str  # the number as printed: "1", "13", "R4211-63"
    part: str | None = None

    def to_json_dict(self) -> dict[str, str]:
        """Return the citation as in the ``ask --json`` contract."""
        return {"text": self.text, "article": self.article}


@dataclass(frozen=True)
class Answer:
    """One answer to one question."""

    question: str
    intent: str
    answered: bool
    answer: str
    citations: tuple[Citation, ...]
    confidence: float
    lang: str
    passages: tuple[Passage, ...] = ()
    entities: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the ``vetpharma ask --json`` object (SPEC §3)."""
        return {
            "question": self.question,
            "intent": self.intent,
            "answered": self.answered,
            "answer": self.answer,
            "citations": [c.to_json_dict() for c in self.citations],
            "confidence": round(self.confidence, 2),
        }


def _p(lang: str, key: str) -> str:
    return PHRASES["en" if lang == "en" else "fr"][key]


def _reference(text_id: str, number: str, label: str | None, lang: str) -> str:
    """Return 'Art. 13, al. 1' (decree) or 'Art. R4211-63, al. 2 (Code de la santé publique)'."""
    label_text = ""
    if label:
        label_text = ", " + label.replace("al.", _p(lang, "al")) if label.startswith("al.") else f", {label}"
    return f"Art. {number}{label_text}"


def _source_name(text_id: str, index: ArticleIndex, lang: str) -> str:
    if text_id == DECREE_ID:
        return _p(lang, "decree")
    text = index.texts.get(text_id)
    return text.title if text is not None else text_id


def _title(number: str, lang: str, facts: Facts) -> str:
    note = facts.articles.get(number)
    return note.title.get(lang) if note else ""


def _lead_in(article: Article, part: Part) -> str | None:
    """Return the paragraph that introduces an item ('A chaque demande est joint un dossier comportant :')."""
    if part.kind != "item":
        return None
    position = article.parts.index(part)
    for previous in reversed(article.parts[:position]):
        if previous.kind == "paragraph" and previous.depth == 0:
            return previous.text if len(previous.text) <= 300 else None
        if previous.depth < part.depth and previous.kind == "item":
            continue
    return None


def list_group(article: Article, part: Part) -> list[Part] | None:
    """Return a whole enumeration a part belongs to: its lead-in paragraph ending with ':' and its items."""
    position = article.parts.index(part)
    start = position
    if part.kind == "item":
        start = next(
            (
                i
                for i in range(position - 1, -1, -1)
                if article.parts[i].depth == 0 and article.parts[i].kind == "paragraph"
            ),
            -1,
        )
        if start < 0:
            return None
    lead = article.parts[start]
    if not lead.text.rstrip().endswith(":") or start + 1 >= len(article.parts):
        return None
    group = [lead]
    for following in article.parts[start + 1 :]:
        if following.kind == "paragraph" and following.depth == 0:
            break
        group.append(following)
    if len(group) < 2 or sum(len(p.text) for p in group) > MAX_LIST_CHARS:
        return None
    return group


def _group_block(article: Article, group: list[Part], lang: str, index: ArticleIndex) -> str:
    """Quote a lead-in and its items, then the reference of the enumeration."""
    body = "\n".join(("  " * p.depth if p.kind == "item" else "") + p.text for p in group)
    labels = [p.label for p in group if p.kind == "item"]
    span = f"{labels[0]} à {labels[-1]}" if lang != "en" else f"{labels[0]} to {labels[-1]}"
    ref = _reference(article.text_id, article.number, group[0].label, lang) + f", {span}"
    source = _source_name(article.text_id, index, lang)
    quote = f"« {body} »" if lang != "en" else f"“{body}” (French text)"
    return f"{quote}\n— {ref}, {source}"


def _quote_block(article: Article, part: Part | None, lang: str, index: ArticleIndex) -> str:
    """Quote one part (with its lead-in) or a whole article, then its reference."""
    if part is None:
        body = "\n".join(p.text for p in article.parts)
        ref = _reference(article.text_id, article.number, None, lang)
    else:
        lead = _lead_in(article, part)
        body = f"{lead} […] {part.text}" if lead else part.text
        ref = _reference(article.text_id, article.number, part.label, lang)
    source = _source_name(article.text_id, index, lang)
    quote = f"« {body} »" if lang != "en" else f"“{body}” (French text)"
    return f"{quote}\n— {ref}, {source}"


def _see_also(citations: list[Citation], lang: str, facts: Facts) -> str:
    if not citations:
        return ""
    items = []
    for c in citations:
        title = _title(c.article, lang, facts) if c.text == DECREE_ID else c.text
        items.append(f"art. {c.article}" + (f" ({title})" if title else ""))
    sep = ": " if lang == "en" else " : "
    return f"{_p(lang, 'see_also')}{sep}" + " ; ".join(items) + "."


def _fact_sentence(fact_id: str, lang: str, facts: Facts) -> str | None:
    if fact_id.startswith("notice:"):
        notice = next((n for n in facts.notifications if n.id == fact_id[7:]), None)
        if notice is None:
            return None
        if lang == "en":
            return f"{notice.who.en.capitalize()} informs {notice.whom.en}: {notice.what.en} (art. {notice.article})."
        return f"{notice.who.fr[0].upper() + notice.who.fr[1:]} informe {notice.whom.fr} : {notice.what.fr} (art. {notice.article})."
    delay = facts.delay(fact_id)
    return delay.statement.get(lang) if delay else None


class Answerer:
    """Answers questions over one index (the decree alone, or with the code corpus)."""

    def __init__(self, searcher: Searcher | None = None, warm: bool = True):
        self.searcher = searcher or load_searcher()
        self.index = self.searcher.index
        self.facts = self.searcher.facts
        if warm:
            # The language model takes seconds to load: start now, so the first question does not wait for it.
            threading.Thread(target=warm_up, name="nlu-warm-up", daemon=True).start()

    def answer(self, text: str, lang: str | None = None) -> Answer:
        """Answer one message; never raises."""
        question = text if isinstance(text, str) else ""
        try:
            return self._answer(question, lang)
        except Exception:  # a reply, never a traceback: log it for the maintainers
            log.exception("answer failed for a message of %d characters", len(question))
            out = lang if lang in {"fr", "en"} else "fr"
            return Answer(question[:2000], "out_of_scope", False, _p(out, "error"), (), 0.0, out)

    # -- routing ---------------------------------------------------------------------------------------------

    def _answer(self, question: str, lang: str | None) -> Answer:
        u = understand(question, lang)
        out = u.lang if u.lang in {"fr", "en"} else (lang if lang in {"fr", "en"} else "fr")
        shown = question[:2000]
        if not u.text or not any(ch.isalnum() for ch in u.text):
            # Markup or emoji alone is a message, just not a question: saying it is empty would be untrue.
            key = "empty" if not question.strip() else "no_question"
            return Answer(shown, u.intent, False, _p(out, key), (), 0.0, out)
        if u.lang == "other":
            return Answer(shown, "out_of_scope", False, _p(out, "other_language"), (), 0.8, "other")
        answer = self._route(u, out)
        if len(question) > 2000 and answer.answered:
            answer = _with_text(answer, answer.answer + "\n\n" + _p(out, "truncated"))
        return _with_question(answer, shown)

    def _route(self, u: Understanding, lang: str) -> Answer:
        intent = u.intent
        if intent == "greeting":
            opener = (
                _p(lang, "thanks")
                if any(w in {"merci", "thanks", "thank"} for w in u.words)
                else _p(lang, "greeting")
            )
            return Answer(u.text, intent, True, opener + _p(lang, "help"), (), u.confidence, lang)
        if intent == "help":
            if u.confidence < 0.5 and u.command is None:  # nothing readable: not a request for help
                return Answer(
                    u.text, intent, False, _p(lang, "not_understood") + " " + _p(lang, "help"), (), 0.0, lang
                )
            return Answer(u.text, intent, True, _p(lang, "help"), (), u.confidence, lang)
        if intent == "human":
            return Answer(u.text, intent, True, _p(lang, "human"), (), u.confidence, lang)
        if u.formality is not None:
            formal = self._formality(u, lang)
            if formal is not None:
                return formal
        if intent == "dossier":
            kind = u.entities.procedure or "opening"
            articles = _DOSSIER_ARTICLES[kind]
            text = _p(lang, "dossier").format(
                kind=_DOSSIER_KIND[lang][kind], articles=", ".join(f"art. {a}" for a in articles)
            )
            return Answer(u.text, intent, True, text, _cite(articles), u.confidence, lang)
        if intent == "check_documents":
            kind = u.entities.procedure or "opening"
            articles = _DOSSIER_ARTICLES[kind]
            text = _p(lang, "check").format(articles=", ".join(f"art. {a}" for a in articles))
            return Answer(u.text, intent, True, text, _cite(articles), u.confidence, lang)
        if intent == "article_lookup":
            return self._lookup(u, lang)
        if intent == "calculation":
            calculated = self._calculate(u, lang)
            if calculated is not None:
                return calculated
        if intent == "out_of_scope":
            return self._decline(u, lang, topic=True)
        if load_lexicon().has(u.words, "asks_translation"):
            text = _p(lang, "translation") + "\n" + _p(lang, "human_offer")
            return Answer(u.text, "rule_question", False, text, (), 0.8, lang)
        definition = self._definition(u, lang)
        if definition is not None:
            return definition
        return self._rule(u, lang)

    # -- article look-up --------------------------------------------------------------------------------------

    def _lookup(self, u: Understanding, lang: str) -> Answer:
        ref = u.entities.articles[0]
        texts = self._texts(u)
        text_id = texts[0] if texts else ref.text_id
        if text_id is None and ref.number.isdigit():
            # "article 99" names no text: it is the decree's (a code's article 99 would be a surprise).
            text_id = DECREE_ID
        article = self.index.get(ref.number, text_id)
        if article is None and text_id and text_id != DECREE_ID:
            article = self.index.get(ref.number)
        if article is None:
            nearest = self.index.nearest(ref.number, text_id)
            message = _p(lang, "unknown_article").format(number=ref.number)
            if nearest:
                items = " ; ".join(
                    f"art. {a.number}"
                    + (f" ({_source_name(a.text_id, self.index, lang)})" if a.text_id != DECREE_ID else "")
                    for a in nearest
                )
                message += " " + _p(lang, "closest").format(items=items)
            citations = tuple(Citation(a.text_id, a.number) for a in nearest)
            return Answer(u.text, "article_lookup", False, message, citations, 0.3, lang)
        parts = article.part(ref.part) if ref.part else []
        lines: list[str] = []
        title = _title(article.number, lang, self.facts) if article.text_id == DECREE_ID else ""
        heading = f"Article {article.number}" + (f" — {title}" if title else "")
        if article.text_id != DECREE_ID:
            heading += f" ({_source_name(article.text_id, self.index, lang)})"
        if parts:
            lines.append(f"{heading} :" if lang != "en" else f"{heading}:")
            for part in parts:
                lines.append(_quote_block(article, part, lang, self.index))
        else:
            if ref.part:
                lines.append(_p(lang, "part_missing").format(number=article.number, part=ref.part))
            note = self.facts.articles.get(article.number) if article.text_id == DECREE_ID else None
            lines.append(heading + (". " + note.summary.get(lang) if note else "."))
            from knowledge.render import render_article

            lines.append(render_article(article, lang, self.index))
        part_label = parts[0].label if parts else None
        citation = Citation(article.text_id, article.number, part_label)
        return Answer(
            u.text,
            "article_lookup",
            True,
            "\n\n".join(lines),
            (citation,),
            0.97,
            lang,
            tuple(Passage(article.text_id, article.number, p.label, p.alinea, p.text, 1.0) for p in parts),
        )

    # -- calculators -----------------------------------------------------------------------------------------

    def _calculate(self, u: Understanding, lang: str) -> Answer | None:
        e = u.entities
        words = set(u.words)
        if e.date is not None and (
            e.procedure or words & {"decision", "reponse", "delai", "deadline", "due"}
        ):
            return self._deadline(u, lang)
        if words & {"assistant", "assistants", "assistante"}:
            return self._staffing(u, lang)
        if words & {"experience", "experiences"}:
            return self._experience(u, lang)
        return None

    def _deadline(self, u: Understanding, lang: str) -> Answer:
        e = u.entities
        assert e.date is not None
        procedure = e.procedure or ("modification" if e.on_site_inspection else "opening")
        result = decision_deadline(procedure, e.date, self.facts)
        text = describe_deadline(result, lang, inspection=e.on_site_inspection)
        # A transfer is decided under article 22, which leads to 9 and then 5: the article the user asked about first.
        articles = (
            [*result.via, result.article] if result.procedure == "transfer" else [result.article, *result.via]
        )
        if result.suspension:
            articles.append(result.suspension.article)
        quote_source = result.sources[0]
        article = self.index.get(quote_source.article, DECREE_ID)
        quote = ""
        if article is not None:
            part = _part_with(article, quote_source.quote)
            quote = "\n\n" + _quote_block(article, part, lang, self.index)
        return Answer(u.text, "calculation", True, text + quote, _cite(articles), 0.93, lang)

    def _staffing(self, u: Understanding, lang: str) -> Answer:
        e = u.entities
        staffing = self.facts.staffing
        ops = (" ; " if lang != "en" else "; ").join(o.get(lang) for o in staffing.operations)
        note = _p(lang, "count_note").format(ops=ops)
        if e.category is not None and e.headcount is not None:
            result = assistants_required(e.category, e.headcount, self.facts)
            text = describe_staffing(result, lang, self.facts)
            if result.covered:
                source = result.sources[-1]
                article = self.index.get(source.article, DECREE_ID)
                part = _part_with(article, source.quote) if article else None
                quote = "\n\n" + _quote_block(article, part, lang, self.index) if article else ""
                articles = [result.article, staffing.headcount_article]
                return Answer(
                    u.text, "calculation", True, f"{text}{quote}\n\n{note}", _cite(articles), 0.95, lang
                )
            article = self.index.get(staffing.uncovered_quote_article, DECREE_ID)
            part = _part_with(article, staffing.uncovered_quote) if article else None
            quote = "\n\n" + _quote_block(article, part, lang, self.index) if article else ""
            articles = [
                staffing.uncovered_quote_article,
                *[s.article for s in staffing.scales],
                staffing.assistants_rule_article,
            ]
            return Answer(u.text, "calculation", True, text + quote, _cite(articles), 0.9, lang)
        if e.headcount is not None:
            lines = [_p(lang, "assistants_headcount").format(n=e.headcount)]
            for scale in staffing.scales:
                result = assistants_required(scale.categories[0], e.headcount, self.facts)
                cats = f"{scale.categories[0]}° – {scale.categories[-1]}°"
                assert result.assistants is not None
                count = _count_phrase(result.assistants, lang)
                lines.append(
                    f"• {cats} (art. {scale.article}) : {count}"
                    if lang != "en"
                    else f"• {cats} (art. {scale.article}): {count}"
                )
            lines.append("• " + _p(lang, "uncovered_feed"))
            lines.append(note)
            articles = [
                *[s.article for s in staffing.scales],
                staffing.headcount_article,
                staffing.uncovered_quote_article,
            ]
            return Answer(u.text, "calculation", True, "\n".join(lines), _cite(articles), 0.85, lang)
        if e.category is not None and staffing.scale_for(e.category) is None:
            result = assistants_required(e.category, 0, self.facts)
            text = self.facts.staffing.uncovered_note.get(lang)
            articles = [staffing.uncovered_quote_article, *[s.article for s in staffing.scales]]
            return Answer(u.text, "calculation", True, text, _cite(articles), 0.85, lang)
        scales = [s for s in staffing.scales if e.category is None or e.category in s.categories]
        lines = [] if e.category is not None else [_p(lang, "assistants_by_scale")]
        lines += [describe_scale(s, lang) for s in scales]
        if e.category is None:
            lines.append("• " + _p(lang, "uncovered_feed"))
        lines.append(note)
        articles = [*[s.article for s in scales], staffing.headcount_article]
        return Answer(u.text, "calculation", True, "\n".join(lines), _cite(articles), 0.85, lang)

    def _experience(self, u: Understanding, lang: str) -> Answer:
        e = u.entities
        if e.category is None:
            lines = [_p(lang, "experience_any")]
            for rule in self.facts.experience.rules:
                result = experience_required(rule.categories[0], e.study_years, e.third_cycle, self.facts)
                cats = ", ".join(f"{c}°" for c in rule.categories)
                lines.append(
                    f"• {cats} : " + describe_experience(result, lang, self.facts).split(", ", 1)[-1]
                )
            lines.append("• " + self.facts.experience.uncovered_note.get(lang))
            return Answer(u.text, "calculation", True, "\n".join(lines), _cite(["26", "27", "25"]), 0.8, lang)
        result = experience_required(e.category, e.study_years, e.third_cycle, self.facts)
        text = describe_experience(result, lang, self.facts)
        if result.months is None:
            return Answer(u.text, "calculation", True, text, _cite(["25", "26", "27"]), 0.85, lang)
        source = result.sources[-1]
        article = self.index.get(source.article, DECREE_ID)
        part = _part_with(article, source.quote) if article else None
        quote = "\n\n" + _quote_block(article, part, lang, self.index) if article else ""
        articles = [result.article, *(["26"] if result.reduced_by else []), "25"]
        return Answer(u.text, "calculation", True, text + quote, _cite(articles), 0.93, lang)

    # -- formalities of a request: delay, silence, who signs, copies, addressee ---------------------------------

    def _formality(self, u: Understanding, lang: str) -> Answer | None:
        """Answer a question on one formality of a request, for the request named or for each one in turn."""
        aspect = u.formality
        assert aspect is not None
        e = u.entities
        procedure_id = "partial_transfer" if e.procedure == "transfer" and e.partial_transfer else e.procedure
        having = [p.id for p in self.facts.procedures if aspect in p.points]
        if procedure_id is None and aspect not in self.facts.aspects and len(having) == 1:
            procedure_id = having[0]  # only one request has it (admissibility: the opening's, art. 7)
        if procedure_id is not None:
            procedure = self.facts.procedure(procedure_id)
            point = procedure.points.get(aspect) if procedure is not None else None
            if point is None:
                return None
            citations = _cite(point.articles)
            if not point.stated:
                lines = [
                    point.statement.get(lang),
                    self._closest_line(citations, lang),
                    _p(lang, "human_offer"),
                ]
                return Answer(u.text, "rule_question", False, "\n".join(lines), citations, 0.8, lang)
            blocks, passages = self._excerpts(point.quotes, lang)
            text = "\n\n".join([point.statement.get(lang), *blocks])
            return Answer(u.text, "rule_question", True, text, citations, 0.92, lang, passages)
        overview = self.facts.aspects.get(aspect)
        if overview is None:
            return None
        lines = [overview.lead.get(lang)]
        for listed in overview.procedures:
            procedure = self.facts.procedure(listed)
            if procedure is not None:
                lines.append("• " + procedure.points[aspect].line.get(lang) + ("." if lang == "en" else " ;"))
        lines[-1] = lines[-1].rstrip(" ;.") + "."
        if overview.note is not None:
            lines.append(overview.note.get(lang))
        blocks, passages = self._excerpts(overview.quotes, lang)
        text = "\n".join(lines) + "".join("\n\n" + b for b in blocks)
        return Answer(u.text, "rule_question", True, text, _cite(overview.articles), 0.88, lang, passages)

    def _excerpts(self, quotes: Any, lang: str) -> tuple[list[str], tuple[Passage, ...]]:
        """Quote the parts holding curated passages, each once, in order."""
        blocks: list[str] = []
        passages: list[Passage] = []
        for excerpt in quotes:
            article = self.index.get(excerpt.article, DECREE_ID)
            part = _part_with(article, excerpt.quote)
            if article is None or part is None:
                continue
            if any(p.article == article.number and p.label == part.label for p in passages):
                continue
            blocks.append(_quote_block(article, part, lang, self.index))
            passages.append(Passage(article.text_id, article.number, part.label, part.alinea, part.text, 1.0))
        return blocks, tuple(passages)

    def _closest_line(self, citations: tuple[Citation, ...], lang: str) -> str:
        items = []
        for c in citations:
            title = _title(c.article, lang, self.facts) if c.text == DECREE_ID else c.text
            items.append(f"art. {c.article}" + (f" ({title})" if title else ""))
        return _p(lang, "closest").format(items=" ; ".join(items))

    # -- definitions of the categories of article 2 ---------------------------------------------------------------

    @staticmethod
    def _asks_definition(u: Understanding) -> bool:
        return any(cue in f" {u.normalized} " for cue in _DEFINITION_CUES)

    def _definition(self, u: Understanding, lang: str) -> Answer | None:
        """Answer 'qu'est-ce qu'un dépositaire ?' from the curated categories, quoting article 2."""
        e = u.entities
        asks = self._asks_definition(u)
        if not e.categories or not asks or len(e.categories) > 1:
            return None
        category = self.facts.category(e.categories[0].number)
        article = self.index.get("2", DECREE_ID)
        if category is None or article is None:
            return None
        part = next((p for p in article.parts if p.label == category.label), None)
        if lang == "en":
            text = (
                f"Under article 2, {category.label} the {category.name.en.lower()} {category.definition.en} "
                f"It may carry out: {category.may_do.en}"
            )
        else:
            text = (
                f"Selon l'article 2, {category.label} le {category.name.fr[0].lower() + category.name.fr[1:]} "
                f"{category.definition.fr} Il peut réaliser : {category.may_do.fr}"
            )
        quote = _quote_block(article, part, lang, self.index)
        return Answer(u.text, "rule_question", True, f"{text}\n\n{quote}", _cite(["2", "3"]), 0.9, lang)

    # -- rule questions --------------------------------------------------------------------------------------

    def _texts(self, u: Understanding) -> tuple[str, ...]:
        """Return the texts a message names, among those loaded (the code corpus when there is one)."""
        if self.index.codes is None:
            return u.entities.texts
        from nlu.entities import find_texts
        from nlu.text import fold

        return tuple(find_texts(fold(u.text), [t for t in self.index.texts if t != DECREE_ID]))

    def _search(self, u: Understanding) -> Any:
        texts = self._texts(u)
        named = [(texts[0] if texts else a.text_id, a.number) for a in u.entities.articles]
        # A word the texts never use can match nothing; it only says the question may lie outside them.
        # That holds for nouns (the subject); a verb or adverb ("rapidement", "reçoit") says nothing of it.
        weak = set(u.unknown) - set(u.unknown_nouns)
        lexicon = load_lexicon()
        # Framing nouns the texts never use ("quelle démarche ?") say nothing of whether they cover the subject.
        generic = {w for p in lexicon.words("generic_nouns") for w in p.words}
        weak |= {w for w in u.words if w in generic and not lexicon.in_domain(w)}
        kinds = [
            kind
            for kind, key in (
                ("delay", "asks_time"),
                ("notice", "asks_notice"),
                ("retention", "asks_keeping"),
            )
            if lexicon.has(u.words, key)
        ]
        # A category named in a question about its duties is in article 2 too, which only defines it.
        damped = (
            {(DECREE_ID, "2"): DEFINITIONS_FACTOR}
            if u.entities.categories and not self._asks_definition(u)
            else {}
        )
        return self.searcher.search(
            list(u.words),
            u.lang,
            named_articles=named,
            named_texts=texts,
            weak=weak,
            fact_kinds=kinds,
            damped=damped,
            categories=[c.number for c in u.entities.categories],
        )

    def _rule(self, u: Understanding, lang: str) -> Answer:
        result = self._search(u)
        best: Hit | None = result.best
        named = bool(best and best.named)
        # Part-of-speech tags are only read in French: an English word outside the glossary is no evidence;
        # and the decree's vocabulary says nothing of a code the question names.
        in_decree = best is not None and best.text_id == DECREE_ID
        threshold = (
            MIN_COVERAGE_UNKNOWN_SUBJECT if u.unknown_nouns and u.lang == "fr" and in_decree else MIN_COVERAGE
        )
        if best is None or (result.coverage < threshold and not named):
            return self._decline(u, lang, topic=False, result=result)
        article = self.index.get(best.article, best.text_id)
        if article is None:
            return self._decline(u, lang, topic=False, result=result)
        first: str | None = None
        part: Part | None = None
        if best.passages:
            top = self._passage_for_categories(best.passages, u)
            part = next((p for p in article.parts if p.label == top.label and p.text == top.text), None)
        if best.facts and best.facts[0][1] >= MIN_FACT_SCORE:
            fact_id = best.facts[0][0]
            quote_text = self._fact_quote(fact_id)
            fact_part = _part_with(article, quote_text) if quote_text else None
            # The fact opens the answer when it sits in the passage quoted, or when the question asks "how long"
            # and the fact (a delay or period) matches it clearly: its passage is then the one to quote.
            strong = best.facts[0][1] >= STRONG_FACT_SCORE and load_lexicon().has(u.words, "asks_time")
            if fact_part is not None and (part is None or fact_part == part or strong):
                first = _fact_sentence(fact_id, lang, self.facts)
                part = fact_part
        if first is None:
            note = self.facts.articles.get(article.number) if article.text_id == DECREE_ID else None
            if note is not None:
                first = note.summary.get(lang)
            else:
                name = _source_name(article.text_id, self.index, lang)
                first = (
                    f"Article {article.number} of the {name} says:"
                    if lang == "en"
                    else f"L'article {article.number} du {name} dispose :"
                )
        related = self._related(best, result.hits[1:])
        group = list_group(article, part) if part is not None and set(u.words) & _LIST_CUES else None
        quote = (
            _group_block(article, group, lang, self.index)
            if group
            else _quote_block(article, part, lang, self.index)
        )
        lines = [first, quote]
        see_also = _see_also(related, lang, self.facts)
        if see_also:
            lines.append(see_also)
        citations = (Citation(best.text_id, best.article, part.label if part else None), *related)
        margin = best.score - result.hits[1].score if len(result.hits) > 1 else best.score
        confidence = min(0.97, 0.3 + 0.5 * result.coverage + 0.4 * min(margin / max(best.score, 1e-6), 1.0))
        passages = (
            (Passage(article.text_id, article.number, part.label, part.alinea, part.text, 1.0),)
            if part
            else ()
        )
        return Answer(
            u.text, "rule_question", True, "\n\n".join(lines), citations, confidence, lang, passages
        )

    def _passage_for_categories(self, passages: tuple[Passage, ...], u: Understanding) -> Passage:
        """Prefer a close passage that names the category asked about ("un grossiste peut-il vendre à ...")."""
        top = passages[0]
        if not u.entities.categories:
            return top
        names = []
        for mention in u.entities.categories:
            category = self.facts.category(mention.number)
            if category is not None:
                names.append(frozenset(document_stems(category.name.fr, self.searcher.stopwords)))
        for passage in passages:
            if passage.score < 0.5 * top.score:
                break
            stems = frozenset(document_stems(passage.text, self.searcher.stopwords))
            if any(name <= stems for name in names):
                return passage
        return top

    def _fact_quote(self, fact_id: str) -> str | None:
        if fact_id.startswith("notice:"):
            notice = next((n for n in self.facts.notifications if n.id == fact_id[7:]), None)
            return notice.quote if notice else None
        delay = self.facts.delay(fact_id)
        return delay.quote if delay else None

    def _related(self, best: Hit, others: tuple[Hit, ...]) -> list[Citation]:
        """Return up to three related articles: the next hits that score close, then what the best cites."""
        related: list[Citation] = []
        for hit in others:
            if hit.score >= 0.6 * best.score and len(related) < 2:
                related.append(Citation(hit.text_id, hit.article))
        article = self.index.get(best.article, best.text_id)
        if article is not None:
            for ref in article.cites:
                if (
                    ref.external
                    or not ref.article
                    or ref.text_id != best.text_id
                    or ref.article == best.article
                ):
                    continue
                if all(c.article != ref.article for c in related) and len(related) < 3:
                    related.append(Citation(ref.text_id, ref.article))
        return related

    def _decline(self, u: Understanding, lang: str, topic: bool, result: Any = None) -> Answer:
        off = {w for phrase in u.off_topic for w in phrase.split()}
        if result is None or off:
            # The closest articles are sought without the words of the uncovered subject (fees, weather...).
            words = [w for w in u.words if w not in off]
            result = self.searcher.search(words, u.lang)
        words_text = (
            ", ".join(dict.fromkeys(_surface(u.text, p) for p in u.off_topic))
            if topic and u.off_topic
            else ""
        )
        topic_text = f" ({words_text})" if words_text else ""
        lines = [_p(lang, "not_covered").format(topic=topic_text)]
        closest = (
            [Citation(h.text_id, h.article) for h in result.hits[:3]]
            if result.coverage >= MIN_CLOSEST
            else []
        )
        if closest:
            items = []
            for c in closest:
                title = _title(c.article, lang, self.facts) if c.text == DECREE_ID else c.text
                items.append(f"art. {c.article}" + (f" ({title})" if title else ""))
            lines.append(_p(lang, "closest").format(items=" ; ".join(items)))
        lines.append(_p(lang, "human_offer"))
        return Answer(u.text, "out_of_scope", False, "\n".join(lines), tuple(closest), 0.75, lang)


def _surface(text: str, folded_phrase: str) -> str:
    """Return a folded phrase as the user wrote it ('coute' -> 'coûte'), or as is when not found."""
    from nlu.text import fold

    chars = [(fold(ch), i) for i, ch in enumerate(text)]
    flat = "".join(c for c, _ in chars)
    starts = [i for c, i in chars for _ in c]
    pattern = r"\W+".join(re.escape(w) for w in folded_phrase.split())
    found = re.search(rf"\b{pattern}\b", flat)
    if not found:
        return folded_phrase
    return text[starts[found.start()] : starts[found.end() - 1] + 1]


def _count_phrase(n: int, lang: str) -> str:
    if lang == "en":
        return "no assistant" if n == 0 else f"{n} assistant" + ("s" if n > 1 else "")
    return "aucun assistant" if n == 0 else f"{n} assistant" + ("s" if n > 1 else "")


def _part_with(article: Article | None, quote: str) -> Part | None:
    """Return the part of an article that holds a quote."""
    if article is None:
        return None
    wanted = re.sub(r"\s+", " ", quote)
    return next((p for p in article.parts if wanted in re.sub(r"\s+", " ", p.text)), None)


def _cite(articles: Any) -> tuple[Citation, ...]:
    return tuple(Citation(DECREE_ID, a) for a in dict.fromkeys(articles))


def _with_question(answer: Answer, question: str) -> Answer:
    return replace(answer, question=question)


def _with_text(answer: Answer, text: str) -> Answer:
    return replace(answer, answer=text)


_default: Answerer | None = None


def answer_question(text: str, lang: str | None = None) -> Answer:
    """Answer one question over the shipped texts (the answerer is built once per process)."""
    global _default
    if _default is None:
        _default = Answerer()
    return _default.answer(text, lang)
