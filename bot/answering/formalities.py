"""Formalities of a request (its decision delay, what silence means, who signs, copies, addressee), from
``procedures.yaml``: for the request named, or for each request in turn when none is."""

from __future__ import annotations

from typing import Any

from bot.answering.context import Context, phrase
from bot.answering.model import Answer, cite
from bot.answering.quoting import closest_line, part_with, quote_block
from knowledge.index import DECREE_ID
from knowledge.search import Passage
from nlu import Understanding


def formality(ctx: Context, u: Understanding, lang: str) -> Answer | None:
    """Answer a question on one formality of a request, for the request named or for each one in turn."""
    aspect = u.formality
    assert aspect is not None
    e = u.entities
    procedure_id = "partial_transfer" if e.procedure == "transfer" and e.partial_transfer else e.procedure
    having = [p.id for p in ctx.facts.procedures if aspect in p.points]
    if procedure_id is None and aspect not in ctx.facts.aspects and len(having) == 1:
        procedure_id = having[0]  # only one request has it (admissibility: the opening's, art. 7)
    if procedure_id is not None:
        procedure = ctx.facts.procedure(procedure_id)
        point = procedure.points.get(aspect) if procedure is not None else None
        if point is None:
            return None
        citations = cite(point.articles)
        if not point.stated:
            lines = [
                point.statement.get(lang),
                closest_line(citations, lang, ctx.facts),
                phrase(lang, "human_offer"),
            ]
            return Answer(
                u.text,
                "rule_question",
                False,
                "\n".join(lines),
                citations,
                0.0,
                lang,
                route="formality",
                assumed=True,
            )
        blocks, passages = excerpts(ctx, point.quotes, lang)
        text = "\n\n".join([point.statement.get(lang), *blocks])
        return Answer(u.text, "rule_question", True, text, citations, 0.0, lang, passages, route="formality")
    overview = ctx.facts.aspects.get(aspect)
    if overview is None:
        return None
    lines = [overview.lead.get(lang)]
    for listed in overview.procedures:
        procedure = ctx.facts.procedure(listed)
        if procedure is not None:
            lines.append("• " + procedure.points[aspect].line.get(lang) + ("." if lang == "en" else " ;"))
    lines[-1] = lines[-1].rstrip(" ;.") + "."
    if overview.note is not None:
        lines.append(overview.note.get(lang))
    blocks, passages = excerpts(ctx, overview.quotes, lang)
    text = "\n".join(lines) + "".join("\n\n" + b for b in blocks)
    # No request named: the aspect for each request in turn (the confidence model weighs it as an assumption).
    return Answer(
        u.text,
        "rule_question",
        True,
        text,
        cite(overview.articles),
        0.0,
        lang,
        passages,
        route="formality",
        assumed=True,
    )


def excerpts(ctx: Context, quotes: Any, lang: str) -> tuple[list[str], tuple[Passage, ...]]:
    """Quote the parts holding curated passages, each once, in order."""
    blocks: list[str] = []
    passages: list[Passage] = []
    for excerpt in quotes:
        article = ctx.index.get(excerpt.article, DECREE_ID)
        part = part_with(article, excerpt.quote)
        if article is None or part is None:
            continue
        if any(p.article == article.number and p.label == part.label for p in passages):
            continue
        blocks.append(quote_block(article, part, lang, ctx.index))
        passages.append(Passage(article.text_id, article.number, part.label, part.alinea, part.text, 1.0))
    return blocks, tuple(passages)
