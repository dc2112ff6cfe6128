"""The answerer: reads a message once, then routes it to a look-up, a calculator, a formality, a definition,
a search of the texts, or a plain decline. It never raises."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from bot.answering.calculations import calculate, experience
from bot.answering.confidence import probability
from bot.answering.config import AnsweringConfig, load_config
from bot.answering.context import Context, phrase
from bot.answering.followups import compose, continues, split_questions
from bot.answering.formalities import formality
from bot.answering.lookup import lookup
from bot.answering.model import Answer, Clarification, cite
from bot.answering.neighbours import Neighbours
from bot.answering.polarity import yes_statement
from bot.answering.quoting import quote_source
from bot.answering.retrieval import assess, closest_passages, decline, definition, rule
from bot.answering.situations import (
    SituationReply,
    absence_answer,
    activity_verdict,
    dated_answer,
    retention_lines,
)
from bot.faults import log_failure
from knowledge.facts import Facts
from knowledge.index import DECREE_ID, ArticleIndex
from knowledge.search import Searcher, load_searcher
from nlu import Understanding, understand, warm_up
from nlu.lexicon import load_lexicon

log = logging.getLogger(__name__)

MAX_SHOWN = 2000  # characters of a question kept in its answer

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


class Answerer:
    """Answers questions over one index (the decree alone, or with the code corpus)."""

    def __init__(
        self,
        searcher: Searcher | None = None,
        warm: bool = True,
        config: AnsweringConfig | None = None,
        neighbours: Neighbours | None = None,
    ):
        self.context = Context(searcher or load_searcher(), config or load_config(), neighbours)
        if warm:
            # The models take seconds to load: start now, so the first question does not wait for them.
            threading.Thread(target=self.warm_up, name="answering-warm-up", daemon=True).start()

    def warm_up(self) -> None:
        """Load the language model, the sentence encoder and the labelled questions, and answer once."""
        warm_up()
        self.context.reading("délai de réponse pour une modification ?")
        self.answer("Quel est le délai de réponse pour une demande d'ouverture ?")

    @property
    def searcher(self) -> Searcher:
        """Return the search over the texts."""
        return self.context.searcher

    @property
    def index(self) -> ArticleIndex:
        """Return the article index."""
        return self.context.index

    @property
    def facts(self) -> Facts:
        """Return the curated facts."""
        return self.context.facts

    def answer(
        self, text: str, lang: str | None = None, understanding: Understanding | None = None
    ) -> Answer:
        """Answer one message (read once: pass what the NLU already made of it); never raises."""
        question = text if isinstance(text, str) else ""
        try:
            return self._answer(question, lang, understanding)
        except Exception:  # a reply, never a traceback: log it for the maintainers
            log_failure(log, "answer failed for a message of %d characters", len(question))
            out = lang if lang in {"fr", "en"} else "fr"
            return Answer(question[:MAX_SHOWN], "out_of_scope", False, phrase(out, "error"), (), 0.0, out)

    def _answer(self, question: str, lang: str | None, understanding: Understanding | None) -> Answer:
        u = understanding if understanding is not None else understand(question, lang)
        out = u.lang if u.lang in {"fr", "en"} else (lang if lang in {"fr", "en"} else "fr")
        shown = question[:MAX_SHOWN]
        if not u.text or not any(ch.isalnum() for ch in u.text):
            # Markup or emoji alone is a message, just not a question: saying it is empty would be untrue.
            key = "empty" if not question.strip() else "no_question"
            return Answer(shown, u.intent, False, phrase(out, key), (), 0.0, out)
        if u.lang == "other":
            conf = self.context.config.confidence.other_language
            return Answer(shown, "out_of_scope", False, phrase(out, "other_language"), (), conf, "other")
        questions = split_questions(u.text) if u.intent not in {"greeting", "help", "human"} else [u.text]
        if len(questions) > 1:
            return replace(self._several(questions, lang, out), question=shown)
        answer = self._route(u, out)
        if len(question) > MAX_SHOWN and answer.answered:
            answer = replace(answer, answer=answer.answer + "\n\n" + phrase(out, "truncated"))
        return replace(answer, question=shown)

    def _several(self, questions: list[str], lang: str | None, out: str) -> Answer:
        """Answer each question of a message; a question that leans on the first takes its subject."""
        parts: list[Answer] = []
        for i, text in enumerate(questions):
            meant = compose(questions[0], text) if i and continues(text) else text
            u = understand(meant, lang)
            part = self._route(u, u.lang if u.lang in {"fr", "en"} else out)
            parts.append(replace(part, question=text))
        lines = [f"{i}. {p.question}\n{p.answer}" for i, p in enumerate(parts, 1)]
        # Each answer's first article comes first, then the others, each once.
        citations = list(dict.fromkeys(p.citations[0] for p in parts if p.citations))
        for p in parts:
            citations += [c for c in p.citations if c not in citations]
        first = parts[0]
        return Answer(
            first.question,
            first.intent,
            all(p.answered for p in parts),
            "\n\n".join(lines),
            tuple(citations),
            min(p.confidence for p in parts),
            first.lang,
            tuple(x for p in parts for x in p.passages),
            parts=tuple(parts),
        )

    def _situation(self, u: Understanding, lang: str, reply: SituationReply) -> Answer:
        """Write an answer computed from the situation, with the passages it rests on."""
        blocks = [quote_source(self.context, number, quote, lang) for number, quote in reply.quotes]
        text = "\n\n".join([reply.text, *dict.fromkeys(b for b in blocks if b)])
        return Answer(
            u.text,
            reply.intent,
            True,
            text,
            cite(reply.articles),
            0.0,
            lang,
            clarify=reply.clarify,
            route="computed",
            assumed=reply.assumed,
        )

    def _route(self, u: Understanding, lang: str) -> Answer:
        """Answer one question by its route, then weigh the answer with the evidence model."""
        return _with_polarity(u, lang, self._calibrate(u, lang, self._by_route(u, lang)))

    def _calibrate(self, u: Understanding, lang: str, answer: Answer) -> Answer:
        """Give a route's answer the calibrated confidence of its first article; below the threshold, the
        closest passages instead of an assertion; an answer that depends on an unsaid fact asks for it."""
        ctx = self.context
        if answer.clarify is not None:
            answer = _asking(answer, answer.clarify, lang)
        if answer.route == "rule" or (answer.route == "" and answer.intent != "out_of_scope"):
            return answer  # searched answers are weighed by the search; greetings and dossiers are no claims
        assessed = assess(ctx, u)
        weights = ctx.config.evidence.weights
        if answer.route == "":  # a decline before any search: how sure is it that the texts do not answer?
            p = probability(weights, assessed.evidence, None, "rule", False)
            return replace(answer, confidence=1 - p, evidence=assessed.evidence)
        if not answer.citations or answer.citations[0].text != DECREE_ID:
            # A code's article: no labelled questions about the codes, the search's own measure.
            return replace(answer, confidence=assessed.confidence, evidence=assessed.evidence)
        first = answer.citations[0].article
        p = probability(weights, assessed.evidence, first, answer.route, answer.assumed)
        answer = replace(answer, confidence=p, evidence=assessed.evidence)
        if answer.answered and p < ctx.config.evidence.threshold:
            keys = [(c.text, c.article) for c in answer.citations]
            hedged = closest_passages(
                ctx, u, lang, keys, assessed.result.hits, answer.passages, p, intent=answer.intent
            )
            return replace(hedged, route=answer.route, assumed=answer.assumed, evidence=assessed.evidence)
        return answer

    def _out_of_scope(self, u: Understanding) -> bool:
        """Tell whether a message the intent step reads as off the texts is close to requests they do not
        answer (positive evidence), rather than only worded unlike the decree."""
        reading = self.context.reading(u.text)
        return reading.out_of_scope >= reading.best + self.context.config.evidence.out_of_scope_margin

    def _by_route(self, u: Understanding, lang: str) -> Answer:
        intent = u.intent
        if intent in {"greeting", "help", "human"}:
            return _conversational(u, lang)
        if intent not in {"article_lookup", "dossier", "check_documents"}:
            computed = self._from_situation(u, lang)
            if computed is not None:
                return computed
        if u.formality is not None:
            formal = formality(self.context, u, lang)
            if formal is not None:
                return formal
        if intent in {"dossier", "check_documents"}:
            return _dossier(u, lang)
        if intent == "article_lookup":
            return lookup(self.context, u, lang)
        if intent == "calculation":
            calculated = calculate(self.context, u, lang)
            if calculated is not None:
                return calculated
        return self._searched(u, lang)

    def _from_situation(self, u: Understanding, lang: str) -> Answer | None:
        """Answer from the situation described (dates with their role, an absence, activities, studies)."""
        ctx = self.context
        situation = (
            dated_answer(u, lang, ctx.facts)
            or absence_answer(u, lang, ctx.facts)
            or activity_verdict(u, lang, ctx.facts)
        )
        if situation is not None:
            return self._situation(u, lang, situation)
        e = u.entities
        if u.intent != "calculation" and e.category is not None and e.study_years is not None:
            # "5 ans d'études, 18 mois chez un exploitant : puis-je être responsable ?" asks for art. 26.
            return replace(experience(ctx, u, lang), route="computed")
        return None

    def _searched(self, u: Understanding, lang: str) -> Answer:
        """Decline what lies off the texts, else answer a definition or search the texts."""
        ctx = self.context
        if u.intent == "out_of_scope" and self._out_of_scope(u):
            return decline(ctx, u, lang, topic=True)
        if load_lexicon().has(u.words, "asks_translation"):
            text = phrase(lang, "translation") + "\n" + phrase(lang, "human_offer")
            return Answer(
                u.text, "rule_question", False, text, (), ctx.config.confidence.other_language, lang
            )
        defined = definition(ctx, u, lang)
        if defined is not None:
            return defined
        found = rule(ctx, u, lang)
        # Records kept for a period, and a date: say until when (the computation first, then the rule), from
        # the closest article that sets a retention period, which then comes first.
        for citation in found.citations[:3] if found.answered else ():
            kept = retention_lines(u, lang, ctx.facts, citation.article)
            if kept:
                first = (citation, *[c for c in found.citations if c != citation])
                text = "\n".join(kept) + "\n\n" + found.answer
                return replace(found, answer=text, citations=first, intent="calculation")
        return found


def _conversational(u: Understanding, lang: str) -> Answer:
    """Answer a greeting, a request for help or for a human."""
    intent = u.intent
    if intent == "greeting":
        thanked = any(w in {"merci", "thanks", "thank"} for w in u.words)
        opener = phrase(lang, "thanks" if thanked else "greeting")
        return Answer(u.text, intent, True, opener + phrase(lang, "help"), (), u.confidence, lang)
    if intent == "help" and u.confidence < 0.5 and u.command is None:  # nothing readable: no request for help
        text = phrase(lang, "not_understood") + " " + phrase(lang, "help")
        return Answer(u.text, intent, False, text, (), 0.0, lang)
    key = "help" if intent == "help" else "human"
    return Answer(u.text, intent, True, phrase(lang, key), (), u.confidence, lang)


def _dossier(u: Understanding, lang: str) -> Answer:
    """Point to the articles of the dossier a message asks about (or asks to check)."""
    kind = u.entities.procedure or "opening"
    articles = _DOSSIER_ARTICLES[kind]
    listed = ", ".join(f"art. {a}" for a in articles)
    text = (
        phrase(lang, "dossier", kind=_DOSSIER_KIND[lang][kind], articles=listed)
        if u.intent == "dossier"
        else phrase(lang, "check", articles=listed)
    )
    return Answer(u.text, u.intent, True, text, cite(articles), u.confidence, lang)


_default: Answerer | None = None
_default_lock = threading.Lock()


def default_answerer() -> Answerer:
    """Return the answerer over the shipped texts, built once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Answerer(warm=False)
        return _default


def warm_up_default() -> None:
    """Load every model the default answerer reads and answer once: the next question waits for nothing."""
    default_answerer().warm_up()


def answer_question(text: str, lang: str | None = None, understanding: Understanding | None = None) -> Answer:
    """Answer one question over the shipped texts (the answerer is built once per process)."""
    return default_answerer().answer(text, lang, understanding)


def _with_polarity(u: Understanding, lang: str, answer: Answer) -> Answer:
    """Open a direct answer to a yes/no question with the decree's "yes" when its first article states it."""
    if not answer.answered or not answer.citations or answer.citations[0].text != DECREE_ID:
        return answer
    stated = yes_statement(u, answer.citations[0].article, lang)
    return replace(answer, answer=f"{stated}\n\n{answer.answer}") if stated else answer


def _asking(answer: Answer, clarify: Clarification, lang: str) -> Answer:
    """Turn an answer that depends on an unsaid fact into the clarifying question (SPEC §3: not a direct
    answer), its choices, then what holds for each choice."""
    options = "\n".join(f"• {label}" for label, _ in clarify.options)
    text = f"{clarify.question}\n{options}\n\n{answer.answer}"
    return replace(answer, answered=False, answer=text)
