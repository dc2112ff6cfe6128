"""Article look-ups: "article 14", "6 d)", "article 1240 du code civil"."""

from __future__ import annotations

from bot.answering.context import Context, phrase
from bot.answering.model import Answer, Citation
from bot.answering.quoting import quote_block, source_name, title
from knowledge.index import DECREE_ID
from knowledge.model import Article, Part
from knowledge.search import Passage
from nlu import Understanding
from nlu.entities import ArticleRef


def texts_named(ctx: Context, u: Understanding) -> tuple[str, ...]:
    """Return the texts a message names, among those loaded (the code corpus when there is one)."""
    if ctx.index.codes is None:
        return u.entities.texts
    from nlu.entities import find_texts
    from nlu.text import fold

    return tuple(find_texts(fold(u.text), [t for t in ctx.index.texts if t != DECREE_ID]))


def _named_article(ctx: Context, u: Understanding, ref: ArticleRef) -> tuple[str | None, Article | None]:
    """Return the text a reference points to and its article (None when the texts hold no such article)."""
    texts = texts_named(ctx, u)
    text_id = texts[0] if texts else ref.text_id
    if text_id is None and ref.number.isdigit():
        # "article 99" names no text: it is the decree's (a code's article 99 would be a surprise).
        text_id = DECREE_ID
    article = ctx.index.get(ref.number, text_id)
    if article is None and text_id and text_id != DECREE_ID:
        article = ctx.index.get(ref.number)
    return text_id, article


def _unknown(ctx: Context, u: Understanding, ref: ArticleRef, text_id: str | None, lang: str) -> Answer:
    """Say the texts hold no such article, with the nearest numbers."""
    nearest = ctx.index.nearest(ref.number, text_id)
    message = phrase(lang, "unknown_article", number=ref.number)
    if nearest:
        items = " ; ".join(
            f"art. {a.number}"
            + (f" ({source_name(a.text_id, ctx.index, lang)})" if a.text_id != DECREE_ID else "")
            for a in nearest
        )
        message += " " + phrase(lang, "closest", items=items)
    citations = tuple(Citation(a.text_id, a.number) for a in nearest)
    conf = ctx.config.confidence.unknown_article
    return Answer(u.text, "article_lookup", False, message, citations, conf, lang, route="lookup")


def _printed(
    ctx: Context, article: Article, parts: list[Part], asked_part: str | None, lang: str
) -> list[str]:
    """Return the lines printing an article: its heading, then the parts asked for or the whole article."""
    index = ctx.index
    decree = article.text_id == DECREE_ID
    name = title(article.number, lang, ctx.facts) if decree else ""
    heading = f"Article {article.number}" + (f" — {name}" if name else "")
    if not decree:
        heading += f" ({source_name(article.text_id, index, lang)})"
    if parts:
        return [
            phrase(lang, "heading", heading=heading),
            *(quote_block(article, p, lang, index) for p in parts),
        ]
    lines: list[str] = []
    if asked_part:
        lines.append(phrase(lang, "part_missing", number=article.number, part=asked_part))
    note = ctx.facts.articles.get(article.number) if decree else None
    lines.append(heading + (". " + note.summary.get(lang) if note else "."))
    from knowledge.render import render_article

    lines.append(render_article(article, lang, index))
    return lines


def lookup(ctx: Context, u: Understanding, lang: str) -> Answer:
    """Print the article (or part) a message names, or the nearest numbers when there is none."""
    ref = u.entities.articles[0]
    text_id, article = _named_article(ctx, u, ref)
    if article is None:
        return _unknown(ctx, u, ref, text_id, lang)
    parts = article.part(ref.part) if ref.part else []
    lines = _printed(ctx, article, parts, ref.part, lang)
    citation = Citation(article.text_id, article.number, parts[0].label if parts else None)
    return Answer(
        u.text,
        "article_lookup",
        True,
        "\n\n".join(lines),
        (citation,),
        0.0,  # weighed by the evidence model (``confidence``)
        lang,
        tuple(Passage(article.text_id, article.number, p.label, p.alinea, p.text, 1.0) for p in parts),
        route="lookup",
    )
