"""Rule questions answered by searching the texts: the best passage quoted, related articles, or a decline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.answering.confidence import Evidence, gather, probability
from bot.answering.context import Context, phrase
from bot.answering.lookup import texts_named
from bot.answering.model import Answer, Citation, cite
from bot.answering.neighbours import Reading
from bot.answering.quoting import (
    article_items,
    fact_quote,
    fact_sentence,
    group_block,
    list_group,
    part_with,
    quote_block,
    source_name,
    surface,
)
from bot.answering.ranker import Ranking, candidates, rank
from bot.answering.topics import off_object_articles, topic_counts
from knowledge.index import DECREE_ID
from knowledge.model import Article, Part
from knowledge.search import Hit, Passage, SearchResult, document_stems
from knowledge.text import fold
from nlu import Understanding
from nlu.lexicon import load_lexicon

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


def asks_definition(u: Understanding) -> bool:
    """Tell whether a question asks what something is."""
    return any(cue in f" {u.normalized} " for cue in _DEFINITION_CUES)


def definition(ctx: Context, u: Understanding, lang: str) -> Answer | None:
    """Answer 'qu'est-ce qu'un dépositaire ?' from the curated categories, quoting article 2."""
    e = u.entities
    if not e.categories or not asks_definition(u) or len(e.categories) > 1:
        return None
    category = ctx.facts.category(e.categories[0].number)
    article = ctx.index.get("2", DECREE_ID)
    if category is None or article is None:
        return None
    part = next((p for p in article.parts if p.label == category.label), None)
    name = category.name.en.lower() if lang == "en" else category.name.fr[0].lower() + category.name.fr[1:]
    text = phrase(
        lang,
        "definition",
        label=category.label,
        name=name,
        definition=category.definition.get(lang),
        may_do=category.may_do.get(lang),
    )
    quote = quote_block(article, part, lang, ctx.index)
    return Answer(
        u.text,
        "rule_question",
        True,
        f"{text}\n\n{quote}",
        cite(["2", "3"]),
        0.0,  # weighed by the evidence model (``confidence``)
        lang,
        route="definition",
    )


def search(ctx: Context, u: Understanding, also: Sequence[tuple[str, str]] = ()) -> SearchResult:
    """Search the texts for a question's words, with what the question says of its subject."""
    texts = texts_named(ctx, u)
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
        {(DECREE_ID, "2"): ctx.config.retrieval.definitions_factor}
        if u.entities.categories and not asks_definition(u)
        else {}
    )
    result: SearchResult = ctx.searcher.search(
        list(u.words),
        u.lang,
        named_articles=[*named, *also],
        named_texts=texts,
        weak=weak,
        fact_kinds=kinds,
        damped=damped,
        categories=[c.number for c in u.entities.categories],
        limit=ctx.config.ranker.search_limit,
    )
    return result


@dataclass(frozen=True)
class Assessment:
    """What the evidence says of a rule question: the search, the neighbours, the ranking, the confidence."""

    result: SearchResult
    reading: Reading | None
    ranking: Ranking
    evidence: Evidence
    confidence: float
    direct: bool  # the evidence is strong enough to assert an answer


def assess(ctx: Context, u: Understanding) -> Assessment:
    """Rank the articles for a rule question from BM25 and the nearest labelled questions, and weigh the evidence."""
    result = search(ctx, u)
    # The labelled questions are about the decree: a question naming a code is left to BM25 over that code.
    on_codes = any(t != DECREE_ID for t in result.texts if t in texts_named(ctx, u))
    reading = None if on_codes else ctx.reading(u.text)
    topical = {} if on_codes else topic_counts(u.text)
    off_object = frozenset() if on_codes else off_object_articles(u.text)
    found = candidates(
        result.hits,
        result.coverage,
        reading,
        DECREE_ID,
        ctx.config.ranker.neighbour_candidates,
        topical,
        off_object,
    )
    ranking = rank(found, ctx.config.ranker.weights)
    ev = gather(ranking, result.coverage, result.hits, reading, bool(u.unknown_nouns), bool(u.off_topic))
    if on_codes:
        # No labelled questions about the codes: their answers rest on how much of the question BM25 found.
        conf = ctx.config.confidence
        hits = result.hits
        margin = (hits[0].score - hits[1].score) / max(hits[0].score, 1e-6) if len(hits) > 1 else 1.0
        confidence = min(
            conf.cap, conf.base + conf.coverage * result.coverage + conf.margin * min(margin, 1.0)
        )
        named = any(h.named for h in hits[:1])
        direct = result.coverage >= ctx.config.retrieval.min_coverage or named
    else:
        confidence = probability(ctx.config.evidence.weights, ev, None, "rule", False)
        direct = confidence >= ctx.config.evidence.threshold
    return Assessment(result, reading, ranking, ev, confidence, direct)


def rule(ctx: Context, u: Understanding, lang: str, assessed: Assessment | None = None) -> Answer:
    """Answer a rule question with the best passage of the texts; below the confidence threshold, give the
    closest passages instead of asserting, or decline when the texts hold little of the question."""
    assessed = assessed if assessed is not None else assess(ctx, u)
    return replace(_rule(ctx, u, lang, assessed), route="rule", evidence=assessed.evidence)


def _rule(ctx: Context, u: Understanding, lang: str, assessed: Assessment) -> Answer:
    result = assessed.result
    ranked = assessed.ranking.candidates
    if not ranked:
        return decline(ctx, u, lang, topic=False, result=result)
    chosen = ranked[0]
    best = next((h for h in result.hits if (h.text_id, h.article) == (chosen.text_id, chosen.article)), None)
    if best is None:
        # An article only the neighbours proposed: search again naming it, for its best passages.
        again = search(ctx, u, also=[(chosen.text_id, chosen.article)])
        best = next(
            (h for h in again.hits if (h.text_id, h.article) == (chosen.text_id, chosen.article)), None
        )
    article = ctx.index.get(chosen.article, chosen.text_id)
    if best is None or article is None or not assessed.direct:
        return _undirected(ctx, u, lang, assessed, found=best is not None and article is not None)
    first, part = _opening(ctx, u, lang, article, best)
    return _direct(ctx, u, lang, assessed, article, best, first, part)


def _undirected(ctx: Context, u: Understanding, lang: str, assessed: Assessment, found: bool) -> Answer:
    """Decline, or give the closest passages, when the evidence does not support a direct answer."""
    result = assessed.result
    closest = tuple(Citation(c.text_id, c.article) for c in assessed.ranking.candidates[:3])
    # "Not covered" only when the texts hold little of the question and it reads like the questions they
    # do not answer; an unfamiliar wording of a request they do answer gets the closest passages.
    reading = assessed.reading
    unlike = reading is None or reading.out_of_scope >= reading.best + ctx.config.evidence.out_of_scope_margin
    if not found or (result.coverage < ctx.config.retrieval.min_coverage and unlike):
        return decline(
            ctx, u, lang, topic=False, result=result, closest=closest, confidence=1 - assessed.confidence
        )
    return _closest_passages(ctx, u, lang, assessed)


def _opening(
    ctx: Context, u: Understanding, lang: str, article: Article, best: Hit
) -> tuple[str, Part | None]:
    """Return the answer's first sentence (the curated fact the question matches, else the article's summary,
    led by the figure it sets when the question asks for one) and the part to quote."""
    settings = ctx.config.retrieval
    part: Part | None = None
    if best.passages:
        top = _passage_for_categories(ctx, best.passages, u)
        part = next((p for p in article.parts if p.label == top.label and p.text == top.text), None)
    matched = best.facts[0] if best.facts and best.facts[0][1] >= settings.min_fact_score else None
    if matched is not None:
        quote_text = fact_quote(matched[0], ctx.facts)
        fact_part = part_with(article, quote_text) if quote_text else None
        # The fact opens the answer when it sits in the passage quoted, or when the question asks "how long"
        # and the fact (a delay or period) matches it clearly: its passage is then the one to quote.
        strong = matched[1] >= settings.strong_fact_score and load_lexicon().has(u.words, "asks_time")
        stated = fact_sentence(matched[0], lang, ctx.facts)
        if fact_part is not None and stated and (part is None or fact_part == part or strong):
            return stated, fact_part
    note = ctx.facts.articles.get(article.number) if article.text_id == DECREE_ID else None
    if note is None:
        name = source_name(article.text_id, ctx.index, lang)
        return phrase(lang, "article_says", number=article.number, name=name), part
    # The curated delay the question matches (or, for a "how long" question, the one delay the article sets)
    # is the key figure: it opens the answer even when the passage quoted is another part of the article.
    stated = (
        fact_sentence(matched[0], lang, ctx.facts)
        if matched is not None
        else _only_delay(ctx, u, article, lang)
    )
    summary = note.summary.get(lang)
    return (f"{stated} {summary}" if stated else summary), part


def _only_delay(ctx: Context, u: Understanding, article: Article, lang: str) -> str | None:
    """Return the statement of the one delay an article sets, when the question asks how long or when."""
    delays = ctx.facts.delays_of(article.number) if article.text_id == DECREE_ID else ()
    if len(delays) != 1 or not _asks_when(u):
        return None
    return delays[0].statement.get(lang)


def _asks_when(u: Understanding) -> bool:
    """Tell whether a question asks how long or when ("when" opening or ending a clause, not as a conjunction)."""
    lexicon = load_lexicon()
    if lexicon.has(u.words, "asks_when"):
        return True
    for clause in re.split(r"[.?!;:,\n]+", fold(u.text)):
        tokens = re.findall(r"\w+", clause)
        while tokens and lexicon.has(tokens[:1], "clause_openers"):
            tokens = tokens[1:]
        if tokens and (lexicon.has(tokens[:1], "when_words") or lexicon.has(tokens[-1:], "when_words")):
            return True
    return False


def _direct(
    ctx: Context,
    u: Understanding,
    lang: str,
    assessed: Assessment,
    article: Article,
    best: Hit,
    first: str,
    part: Part | None,
) -> Answer:
    """Write a direct answer: the first sentence, the passage (or its whole enumeration), related articles."""
    settings = ctx.config.retrieval
    others = tuple(h for h in assessed.result.hits if (h.text_id, h.article) != (best.text_id, best.article))
    related = _related(ctx, best, others)
    group = (
        list_group(article, part, settings.max_list_chars)
        if part is not None and set(u.words) & _LIST_CUES
        else None
    )
    index = ctx.index
    quote = group_block(article, group, lang, index) if group else quote_block(article, part, lang, index)
    lines = [first, quote]
    if related:
        lines.append(phrase(lang, "see_also_line", items=article_items(related, lang, ctx.facts)))
    citations = (Citation(best.text_id, best.article, part.label if part else None), *related)
    passages = (
        (Passage(article.text_id, article.number, part.label, part.alinea, part.text, 1.0),) if part else ()
    )
    return Answer(
        u.text, "rule_question", True, "\n\n".join(lines), citations, assessed.confidence, lang, passages
    )


def _closest_passages(ctx: Context, u: Understanding, lang: str, assessed: Assessment) -> Answer:
    """Give the closest passages without asserting anything: the evidence is too weak for a direct answer."""
    keys = [(c.text_id, c.article) for c in assessed.ranking.candidates[:3]]
    return closest_passages(ctx, u, lang, keys, assessed.result.hits, (), assessed.confidence)


def closest_passages(
    ctx: Context,
    u: Understanding,
    lang: str,
    keys: Sequence[tuple[str, str]],
    hits: Sequence[Hit],
    passages: Sequence[Passage],
    confidence: float,
    intent: str = "rule_question",
) -> Answer:
    """Quote the passages of the closest articles (most likely first) without asserting, and offer a human."""
    lines = [phrase(lang, "closest_passages")]
    citations: list[Citation] = []
    for text_id, number in keys[:3]:
        article = ctx.index.get(number, text_id)
        if article is None or any(c.article == article.number for c in citations):
            continue
        citations.append(Citation(article.text_id, article.number))
        if len(citations) <= 2:
            lines += _closest_lines(ctx, article, hits, passages, lang)
    lines.append(phrase(lang, "human_offer"))
    return Answer(u.text, intent, False, "\n\n".join(lines), tuple(citations), confidence, lang)


def _closest_lines(
    ctx: Context, article: Article, hits: Sequence[Hit], passages: Sequence[Passage], lang: str
) -> list[str]:
    """Return one close article: what it is about (its curated summary, in the reader's language), then the
    passage given or found, else its first part."""
    given = next((p for p in passages if p.article == article.number), None)
    hit = next((h for h in hits if h.article == article.number), None)
    top = given or (hit.passages[0] if hit is not None and hit.passages else None)
    part = next((p for p in article.parts if top and p.label == top.label and p.text == top.text), None)
    if part is None and len(article.parts) > 1:
        part = article.parts[0]
    note = ctx.facts.articles.get(article.number) if article.text_id == DECREE_ID else None
    lines = [f"Art. {article.number} — {note.summary.get(lang)}"] if note is not None else []
    return [*lines, quote_block(article, part, lang, ctx.index)]


def _passage_for_categories(ctx: Context, passages: tuple[Passage, ...], u: Understanding) -> Passage:
    """Prefer a close passage that names the category asked about ("un grossiste peut-il vendre à ...")."""
    top = passages[0]
    if not u.entities.categories:
        return top
    names = []
    for mention in u.entities.categories:
        category = ctx.facts.category(mention.number)
        if category is not None:
            names.append(frozenset(document_stems(category.name.fr, ctx.searcher.stopwords)))
    for passage in passages:
        if passage.score < 0.5 * top.score:
            break
        stems = frozenset(document_stems(passage.text, ctx.searcher.stopwords))
        if any(name <= stems for name in names):
            return passage
    return top


def _related(ctx: Context, best: Hit, others: tuple[Hit, ...]) -> list[Citation]:
    """Return up to three related articles: the next hits that score close, then what the best cites."""
    related: list[Citation] = []
    for hit in others:
        if hit.score >= ctx.config.retrieval.related_share * best.score and len(related) < 2:
            related.append(Citation(hit.text_id, hit.article))
    article = ctx.index.get(best.article, best.text_id)
    if article is not None:
        for ref in article.cites:
            if ref.external or not ref.article or ref.text_id != best.text_id or ref.article == best.article:
                continue
            if all(c.article != ref.article for c in related) and len(related) < 3:
                related.append(Citation(ref.text_id, ref.article))
    return related


def decline(
    ctx: Context,
    u: Understanding,
    lang: str,
    topic: bool,
    result: Any = None,
    closest: tuple[Citation, ...] | None = None,
    confidence: float | None = None,
) -> Answer:
    """Say plainly that the texts do not cover a question, with the closest articles and a human."""
    off = {w for p in u.off_topic for w in p.split()}
    if result is None or off:
        # The closest articles are sought without the words of the uncovered subject (fees, weather...).
        words = [w for w in u.words if w not in off]
        result = ctx.searcher.search(words, u.lang)
    words_text = (
        ", ".join(dict.fromkeys(surface(u.text, p) for p in u.off_topic)) if topic and u.off_topic else ""
    )
    topic_text = f" ({words_text})" if words_text else ""
    lines = [phrase(lang, "not_covered", topic=topic_text)]
    if closest is None:
        closest = (
            tuple(Citation(h.text_id, h.article) for h in result.hits[:3])
            if result.coverage >= ctx.config.retrieval.min_closest
            else ()
        )
    if closest:
        lines.append(phrase(lang, "closest", items=article_items(closest, lang, ctx.facts)))
    lines.append(phrase(lang, "human_offer"))
    conf = 1.0 if confidence is None else confidence  # nothing in the texts matches: declining is safe
    return Answer(u.text, "out_of_scope", False, "\n".join(lines), tuple(closest), conf, lang)
