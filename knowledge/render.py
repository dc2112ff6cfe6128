"""Articles as a person wants to read them: where they sit, their paragraphs and items, who cites whom."""

from __future__ import annotations

from knowledge.index import DECREE_ID, ArticleIndex, load_index
from knowledge.model import Article, Reference

_WORDS = {
    "fr": {
        "section": "Section",
        "cites": "Cite",
        "cited_by": "Cité par",
        "article": "Article",
        "premier": "Article Premier",
        "unknown": "Je ne trouve pas d'article « {query} »{where}.",
        "nearest": "Articles les plus proches : {items}.",
        "empty": "Indiquez un numéro d'article, par exemple /article 14, /article premier ou /article R4211-63.",
        "in_text": " dans {title}",
    },
    "en": {
        "section": "Section",
        "cites": "Cites",
        "cited_by": "Cited by",
        "article": "Article",
        "premier": "Article 1 (Article Premier)",
        "unknown": "I can't find an article “{query}”{where}.",
        "nearest": "Closest articles: {items}.",
        "empty": "Give an article number, for example /article 14, /article premier or /article R4211-63.",
        "in_text": " in {title}",
    },
}


def _words(lang: str) -> dict[str, str]:
    return _WORDS.get(lang, _WORDS["fr"])


def article_title(article: Article, lang: str = "fr") -> str:
    """Return 'Article 14' ('Article Premier' for the decree's first article)."""
    if article.text_id == DECREE_ID and article.number == "1":
        return _words(lang)["premier"]
    return f"{_words(lang)['article']} {article.number}"


def reference_label(ref: Reference, index: ArticleIndex, lang: str = "fr") -> str:
    """Return a short readable form of a citation: 'art. 2, 1°', 'art. 17 de la Loi n° 1.257 …'."""
    if ref.external:
        title = index.external_title(ref.text_id)
        if ref.article is None:
            return title
        part = f", {ref.part}" if ref.part else ""
        return f"art. {ref.article}{part} ({title})"
    part = f", {ref.part}" if ref.part else ""
    return f"art. {ref.article}{part}"


def render_article(article: Article, lang: str = "fr", index: ArticleIndex | None = None) -> str:
    """Render one article with its place in the text, its parts, what it cites and what cites it."""
    index = index or load_index()
    words = _words(lang)
    lines: list[str] = []
    text = index.texts.get(article.text_id)
    if text is not None:
        lines.append(text.title if len(text.title) < 90 else text.title[:87].rstrip() + "…")
    if article.section:
        where = f"{words['section']} {article.section}. {article.section_title}"
        if article.subsection:
            where += f" — {article.subsection}. {article.subsection_title}"
        lines.append(where)
    lines.append("")
    lines.append(article_title(article, lang))
    for part in article.parts:
        indent = "  " * part.depth
        lines.append(f"{indent}{part.text}")
    cites = [reference_label(r, index, lang) for r in article.cites]
    if cites:
        lines.append("")
        lines.append(f"{words['cites']} : " + " ; ".join(dict.fromkeys(cites)))
    citing = index.cited_by(article.text_id, article.number)
    if citing:
        numbers = dict.fromkeys(f"art. {c.article.number}" for c in citing)
        lines.append(f"{words['cited_by']} : " + ", ".join(numbers))
    return "\n".join(lines)


def render_article_lookup(
    query: str, lang: str = "fr", text_id: str | None = None, index: ArticleIndex | None = None
) -> str:
    """Render the article a user asked for, or say it does not exist and offer the nearest ones."""
    index = index or load_index()
    words = _words(lang)
    if not query.strip():
        return words["empty"]
    article = index.get(query, text_id)
    if article is not None:
        return render_article(article, lang, index)
    resolved = index.resolve_text(text_id)
    where = words["in_text"].format(title=index.external_title(resolved)) if resolved else ""
    message = words["unknown"].format(query=query.strip()[:60], where=where)
    nearest = index.nearest(query, text_id)
    if nearest:
        items = ", ".join(
            f"{a.number}" + (f" ({a.text_id})" if a.text_id != DECREE_ID else "") for a in nearest
        )
        message += " " + words["nearest"].format(items=items)
    return message
