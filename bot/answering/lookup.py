"""Article look-ups: "article 14", "6 d)", "article 1240 du code civil"."""

from __future__ import annotations

from bot.answering.context import Context, phrase
from bot.answering.model import Answer, Citation
from bot.answering.quoting import quote_block, source_name, title
from knowledge.index import DECREE_ID
from knowledge.search import Passage
from nlu import Understanding


def texts_named(ctx: Context, u: Understanding) -> tuple[str, ...]:
    """Return the texts a message names, among those loaded (the code corpus when there is one)."""
    if ctx.index.codes is None:
        return u.entities.texts
    from nlu.entities import find_texts
    from nlu.text import fold

    return tuple(find_texts(fold(u.text), [t for t in ctx.index.texts if t != DECREE_ID]))


def lookup(ctx: Context, u: Understanding, lang: str) -> Answer:
    """Print the article (or part) a message names, or the nearest numbers when there is none."""
    ref = u.entities.articles[0]
    conf = ctx.config.confidence
    index = ctx.index
    texts = texts_named(ctx, u)
    text_id = texts[0] if texts else ref.text_id
    if text_id is None and ref.number.isdigit():
        # "article 99" names no text: it is the decree's (a code's article 99 would be a surprise).
        text_id = DECREE_ID
    article = index.get(ref.number, text_id)
    if article is None and text_id and text_id != DECREE_ID:
        article = index.get(ref.number)
    if article is None:
        nearest = index.nearest(ref.number, text_id)
        message = phrase(lang, "unknown_article", number=ref.number)
        if nearest:
            items = " ; ".join(
                f"art. {a.number}"
                + (f" ({source_name(a.text_id, index, lang)})" if a.text_id != DECREE_ID else "")
                for a in nearest
            )
            message += " " + phrase(lang, "closest", items=items)
        citations = tuple(Citation(a.text_id, a.number) for a in nearest)
        return Answer(
            u.text, "article_lookup", False, message, citations, conf.unknown_article, lang, route="lookup"
        )
    parts = article.part(ref.part) if ref.part else []
    lines: list[str] = []
    name = title(article.number, lang, ctx.facts) if article.text_id == DECREE_ID else ""
    heading = f"Article {article.number}" + (f" — {name}" if name else "")
    if article.text_id != DECREE_ID:
        heading += f" ({source_name(article.text_id, index, lang)})"
    if parts:
        lines.append(phrase(lang, "heading", heading=heading))
        for part in parts:
            lines.append(quote_block(article, part, lang, index))
    else:
        if ref.part:
            lines.append(phrase(lang, "part_missing", number=article.number, part=ref.part))
        note = ctx.facts.articles.get(article.number) if article.text_id == DECREE_ID else None
        lines.append(heading + (". " + note.summary.get(lang) if note else "."))
        from knowledge.render import render_article

        lines.append(render_article(article, lang, index))
    part_label = parts[0].label if parts else None
    citation = Citation(article.text_id, article.number, part_label)
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
