"""Quoting the texts: a passage with its lead-in, a whole enumeration, references and 'see also' lines."""

from __future__ import annotations

import re

from bot.answering.context import Context, phrase
from bot.answering.model import Citation
from knowledge.facts import Facts
from knowledge.index import DECREE_ID, ArticleIndex
from knowledge.model import Article, Part


def reference(number: str, label: str | None, lang: str) -> str:
    """Return 'Art. 13, al. 1' (or 'Art. 13, para. 1' in English)."""
    label_text = ""
    if label:
        label_text = (
            ", " + label.replace("al.", phrase(lang, "al")) if label.startswith("al.") else f", {label}"
        )
    return f"Art. {number}{label_text}"


def source_name(text_id: str, index: ArticleIndex, lang: str) -> str:
    """Return the name of a text: the decree's in the reader's language, a code's title."""
    if text_id == DECREE_ID:
        return phrase(lang, "decree")
    text = index.texts.get(text_id)
    return text.title if text is not None else text_id


def title(number: str, lang: str, facts: Facts) -> str:
    """Return a decree article's curated title, or ''."""
    note = facts.articles.get(number)
    return note.title.get(lang) if note else ""


def lead_in(article: Article, part: Part) -> str | None:
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


def list_group(article: Article, part: Part, max_chars: int = 1800) -> list[Part] | None:
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
    if len(group) < 2 or sum(len(p.text) for p in group) > max_chars:
        return None
    return group


def group_block(article: Article, group: list[Part], lang: str, index: ArticleIndex) -> str:
    """Quote a lead-in and its items, then the reference of the enumeration."""
    body = "\n".join(("  " * p.depth if p.kind == "item" else "") + p.text for p in group)
    labels = [p.label for p in group if p.kind == "item"]
    span = phrase(lang, "span", first=labels[0], last=labels[-1])
    ref = reference(article.number, group[0].label, lang) + f", {span}"
    source = source_name(article.text_id, index, lang)
    return f"{phrase(lang, 'quote', body=body)}\n— {ref}, {source}"


def quote_block(article: Article, part: Part | None, lang: str, index: ArticleIndex) -> str:
    """Quote one part (with its lead-in) or a whole article, then its reference."""
    if part is None:
        body = "\n".join(p.text for p in article.parts)
        ref = reference(article.number, None, lang)
    else:
        lead = lead_in(article, part)
        body = f"{lead} […] {part.text}" if lead else part.text
        ref = reference(article.number, part.label, lang)
    source = source_name(article.text_id, index, lang)
    return f"{phrase(lang, 'quote', body=body)}\n— {ref}, {source}"


def article_items(citations: list[Citation] | tuple[Citation, ...], lang: str, facts: Facts) -> str:
    """Return 'art. 5 (title) ; art. 9 (title)' for a list of citations."""
    items = []
    for c in citations:
        name = title(c.article, lang, facts) if c.text == DECREE_ID else c.text
        items.append(f"art. {c.article}" + (f" ({name})" if name else ""))
    return " ; ".join(items)


def see_also(citations: list[Citation], lang: str, facts: Facts) -> str:
    """Return the 'see also' line of related articles, or ''."""
    if not citations:
        return ""
    return phrase(lang, "see_also_line", items=article_items(citations, lang, facts))


def closest_line(citations: tuple[Citation, ...], lang: str, facts: Facts) -> str:
    """Return the line naming the closest articles."""
    return phrase(lang, "closest", items=article_items(citations, lang, facts))


def fact_sentence(fact_id: str, lang: str, facts: Facts) -> str | None:
    """Return the sentence stating a curated delay or notice."""
    if fact_id.startswith("notice:"):
        notice = next((n for n in facts.notifications if n.id == fact_id[7:]), None)
        if notice is None:
            return None
        who = notice.who.en.capitalize() if lang == "en" else notice.who.fr[0].upper() + notice.who.fr[1:]
        whom = notice.whom.en if lang == "en" else notice.whom.fr
        what = notice.what.en if lang == "en" else notice.what.fr
        return phrase(lang, "notice", who=who, whom=whom, what=what, article=notice.article)
    delay = facts.delay(fact_id)
    return delay.statement.get(lang) if delay else None


def fact_quote(fact_id: str, facts: Facts) -> str | None:
    """Return the passage a curated delay or notice quotes."""
    if fact_id.startswith("notice:"):
        notice = next((n for n in facts.notifications if n.id == fact_id[7:]), None)
        return notice.quote if notice else None
    delay = facts.delay(fact_id)
    return delay.quote if delay else None


def part_with(article: Article | None, quote: str) -> Part | None:
    """Return the part of an article that holds a quote."""
    if article is None:
        return None
    wanted = re.sub(r"\s+", " ", quote)
    return next((p for p in article.parts if wanted in re.sub(r"\s+", " ", p.text)), None)


def quote_source(ctx: Context, article_number: str, quote: str, lang: str) -> str:
    """Return a decree passage quoted with its reference, or '' when it is not found."""
    article = ctx.index.get(article_number, DECREE_ID)
    if article is None:
        return ""
    return quote_block(article, part_with(article, quote), lang, ctx.index)


def surface(text: str, folded_phrase: str) -> str:
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
