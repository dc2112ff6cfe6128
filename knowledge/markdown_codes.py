"""Reader for the Markdown-with-HTML article layout of the French code mirrors (`# Article R4211-63`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from knowledge.model import Article, Part, Reference

_HEADING = re.compile(r"^#\s*Article\s+(?P<number>.+?)\s*$", re.M)
_BLOCK_TAGS = {"div", "p", "table", "tbody", "thead", "ul", "ol", "li", "h1", "h2", "h3", "h4"}


class _HtmlToText(HTMLParser):
    """HTML body to paragraphs: <br> is a line break, tables become 'cell | cell' rows, links are kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._href: str | None = None
        self._link_text: list[str] = []
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None

    def _write(self, text: str) -> None:
        if self._cell is not None:
            self._cell.append(text)
        else:
            self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._write(" " if self._cell is not None else "\n")
        elif tag == "tr":
            self._cells = []
        elif tag in {"td", "th"}:
            self._cell = []
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._link_text = []
        elif tag in _BLOCK_TAGS and self._cell is None:
            self.out.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._cells is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            self.out.append("\n" + " | ".join(self._cells) + "\n")
            self._cells = None
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._link_text).split())))
            self._href = None
        elif tag in _BLOCK_TAGS and self._cell is None:
            self.out.append("\n\n" if tag in {"div", "p", "table"} else "\n")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._link_text.append(data)
        self._write(data)


def article_number_from_link(href: str) -> tuple[str, str]:
    """Return (code slug, article number) of a link such as '/code-de-la-sante-publique/…/l5121-5.md'."""
    segments = [s for s in href.split("/") if s]
    code = segments[0] if segments else ""
    stem = segments[-1].removesuffix(".md") if segments else ""
    stem = stem.removeprefix("article-")
    return code, stem.upper()


def read_markdown_article(content: str, text_id: str, path: str | None = None) -> Article | None:
    """Read one article file; None when it has no '# Article' heading."""
    heading = _HEADING.search(content)
    if heading is None:
        return None
    body = content[heading.end() :]
    parser = _HtmlToText()
    parser.feed(body)
    parser.close()
    text = "".join(parser.out)
    paragraphs = [" ".join(chunk.split()) for chunk in re.split(r"\n\s*\n|\n", text)]
    paragraphs = [p for p in paragraphs if p]
    parts = tuple(Part(f"al. {i}", i, "paragraph", p) for i, p in enumerate(paragraphs, start=1))
    cites: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    for href, label in parser.links:
        code, number = article_number_from_link(href)
        if (code, number) in seen or not number:
            continue
        seen.add((code, number))
        cites.append(Reference(label or number, code, number, None, external=code != text_id))
    number = " ".join(heading.group("number").split())
    return Article(
        text_id=text_id,
        number=number,
        heading=f"Article {number}",
        parts=parts,
        cites=tuple(cites),
        path=path,
    )


def read_markdown_tree(root: Path) -> Iterator[Article]:
    """Read every article file under a folder; the text id is the first folder below the root (the code)."""
    root = Path(root)
    for path in sorted(root.rglob("*.md")):
        relative = path.relative_to(root)
        text_id = relative.parts[0] if len(relative.parts) > 1 else root.name
        try:
            content = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        article = read_markdown_article(content, text_id, str(relative))
        if article is not None:
            yield article
