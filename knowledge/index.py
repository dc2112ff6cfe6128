"""The article index: every article of every loaded text, keyed by text and number, with its citations.

The shipped texts (``knowledge/sources/``) are read once into ``knowledge/data/index.json`` (committed, and
checked against the sources by a test). A folder of code articles (90,078 files) is read into an SQLite file
under ``var/`` by ``vetpharma index build --codes DIR`` and opened lazily.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from config import default_data_dir
from knowledge.decree import read_decree
from knowledge.markdown_codes import read_markdown_article, read_markdown_tree
from knowledge.model import Article, LegalText, Reference
from knowledge.references import EXTERNAL_TEXTS

PACKAGE_DIR = Path(str(files(__package__ or "knowledge")))  # sources and the stored index: package data
SOURCES_DIR = PACKAGE_DIR / "sources"
STORED_INDEX = PACKAGE_DIR / "data" / "index.json"
DECREE_ID = "am-2003-175"
INDEX_VERSION = 1

# The shipped sources: file -> (text id, reader, title when the file does not carry one).
SOURCES: dict[str, tuple[str, str, str]] = {
    "am-2003-175.txt": (DECREE_ID, "journal-de-monaco", ""),
    "csp-r4211-63.md": ("code-de-la-sante-publique", "markdown-article", "Code de la santé publique"),
}
TEXT_ALIASES = {"csp": "code-de-la-sante-publique", "decree": DECREE_ID, "arrete": DECREE_ID, "am": DECREE_ID}


def number_key(number: str) -> str:
    """Normalise an article number for look-up: 'Article Premier' -> '1', 'R. 4211-63' -> 'r4211-63'."""
    text = number.strip().lower()
    text = re.sub(r"^(l'|l’)?(article|art\.?)\s*", "", text)
    text = text.strip(" .:")
    if text in {"premier", "1er", "1 er", "première"}:
        return "1"
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"(?<=[a-z])[.\s]+(?=\d)", "", text).replace(" ", "-")


@dataclass(frozen=True)
class Citation:
    """An article citing another: who cites, with which reference."""

    article: Article
    reference: Reference


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_core_index(sources_dir: Path = SOURCES_DIR) -> dict[str, Any]:
    """Read the shipped sources into the stored-index document (deterministic)."""
    texts: list[LegalText] = []
    articles: list[Article] = []
    repairs: dict[str, list[dict[str, Any]]] = {}
    hashes: dict[str, str] = {}
    for filename, (text_id, reader, title) in SOURCES.items():
        path = sources_dir / filename
        hashes[filename] = _sha256(path)
        raw = path.read_text(encoding="utf-8")
        if reader == "journal-de-monaco":
            reading = read_decree(raw, text_id, source=filename)
            texts.append(reading.text)
            articles.extend(reading.articles)
            repairs[text_id] = [
                {"repair": log.repair_id, "changes": [list(change) for change in log.changes]}
                for log in reading.repairs
            ]
        else:
            article = read_markdown_article(raw, text_id, filename)
            if article is None:
                raise ValueError(f"{filename}: no '# Article' heading")
            texts.append(LegalText(text_id, title, "code", source=filename))
            articles.append(article)
    return {
        "version": INDEX_VERSION,
        "sources": hashes,
        "texts": [t.to_dict() for t in texts],
        "articles": [a.to_dict() for a in articles],
        "repairs": repairs,
    }


def write_core_index(path: Path = STORED_INDEX) -> dict[str, Any]:
    """Rebuild the stored index of the shipped sources."""
    document = build_core_index()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return document


class CodeStore:
    """Articles of a code corpus in SQLite, read on demand (thread-safe, one connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    @staticmethod
    def build(path: Path, articles: Iterable[Article]) -> int:
        """Write a corpus store from articles; return how many were stored."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        db.execute(
            "create table article (id integer primary key, text_id text, key text, number text, doc text)"
        )
        count = 0
        batch: list[tuple[str, str, str, str]] = []
        for article in articles:
            doc = json.dumps(article.to_dict(), ensure_ascii=False)
            batch.append((article.text_id, number_key(article.number), article.number, doc))
            count += 1
            if len(batch) >= 5000:
                db.executemany("insert into article (text_id, key, number, doc) values (?,?,?,?)", batch)
                batch.clear()
        db.executemany("insert into article (text_id, key, number, doc) values (?,?,?,?)", batch)
        db.execute("create index article_key on article (key, text_id)")
        db.commit()
        db.close()
        tmp.replace(path)
        return count

    def get(self, key: str, text_id: str | None = None) -> list[Article]:
        """Return the articles with this normalised number (in one text, or in all)."""
        if text_id:
            rows = self._db().execute("select doc from article where key=? and text_id=?", (key, text_id))
        else:
            rows = self._db().execute("select doc from article where key=? order by text_id", (key,))
        return [Article.from_dict(json.loads(doc)) for (doc,) in rows]

    def keys(self, text_id: str | None = None) -> list[tuple[str, str, str]]:
        """Return (text id, key, number) of every stored article."""
        if text_id:
            rows = self._db().execute("select text_id, key, number from article where text_id=?", (text_id,))
        else:
            rows = self._db().execute("select text_id, key, number from article")
        return [(t, k, n) for t, k, n in rows]

    def keys_with_prefix(self, prefix: str, text_id: str | None = None) -> list[tuple[str, str, str]]:
        """Return (text id, key, number) of the stored articles whose key starts with a prefix.

        A range over the key index: scanning every key of a large corpus took 40 to 110 ms.
        """
        if not prefix:
            return self.keys(text_id)
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        query = "select text_id, key, number from article where key >= ? and key < ?"
        params: tuple[str, ...] = (prefix, upper)
        if text_id:
            query += " and text_id=?"
            params += (text_id,)
        return [(t, k, n) for t, k, n in self._db().execute(query, params)]

    def texts(self) -> list[tuple[str, int]]:
        """Return each text id with its article count."""
        rows = self._db().execute("select text_id, count(*) from article group by text_id order by text_id")
        return [(t, n) for t, n in rows]

    def iter_articles(self, text_id: str | None = None) -> Iterator[Article]:
        """Yield every stored article (for building search indexes)."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            query = "select doc from article" + (" where text_id=?" if text_id else "") + " order by id"
            for (doc,) in db.execute(query, (text_id,) if text_id else ()):
                yield Article.from_dict(json.loads(doc))
        finally:
            db.close()

    def __len__(self) -> int:
        row = self._db().execute("select count(*) from article").fetchone()
        return int(row[0])


class ArticleIndex:
    """Every article of the loaded texts, keyed by text and number; who cites whom."""

    def __init__(
        self, texts: Iterable[LegalText], articles: Iterable[Article], codes: CodeStore | None = None
    ):
        self.texts: dict[str, LegalText] = {t.text_id: t for t in texts}
        self._articles: dict[tuple[str, str], Article] = {}
        self._order: list[Article] = []
        for article in articles:
            self._articles[(article.text_id, number_key(article.number))] = article
            self._order.append(article)
        self.codes = codes
        self._cited_by: dict[tuple[str, str], list[Citation]] = defaultdict(list)
        for article in self._order:
            for ref in article.cites:
                if ref.article and not ref.external:
                    self._cited_by[(ref.text_id, number_key(ref.article))].append(Citation(article, ref))

    @staticmethod
    def resolve_text(text_id: str | None) -> str | None:
        """Accept a text id or a short alias ('csp', 'decree')."""
        if text_id is None:
            return None
        return TEXT_ALIASES.get(text_id.lower(), text_id)

    def get(self, number: str, text_id: str | None = None) -> Article | None:
        """Return one article by number ('14', 'premier', 'art. 14', 'R4211-63'); the decree first."""
        key = number_key(number)
        text_id = self.resolve_text(text_id)
        if text_id:
            found = self._articles.get((text_id, key))
            if found is None and self.codes is not None:
                stored = self.codes.get(key, text_id)
                found = stored[0] if stored else None
            return found
        for tid in [DECREE_ID, *[t for t in self.texts if t != DECREE_ID]]:
            if (tid, key) in self._articles:
                return self._articles[(tid, key)]
        if self.codes is not None:
            stored = self.codes.get(key)
            return stored[0] if stored else None
        return None

    def get_all(self, number: str) -> list[Article]:
        """Return every article with this number, in every loaded text."""
        key = number_key(number)
        found = [a for (tid, k), a in self._articles.items() if k == key]
        if self.codes is not None:
            found += [a for a in self.codes.get(key) if (a.text_id, key) not in self._articles]
        return found

    def articles(self, text_id: str | None = None) -> Iterator[Article]:
        """Yield the articles of the shipped texts (and of the code corpus when ``include_codes``)."""
        text_id = self.resolve_text(text_id)
        for article in self._order:
            if text_id is None or article.text_id == text_id:
                yield article

    def cited_by(self, text_id: str, number: str) -> list[Citation]:
        """Return the articles that cite this one (any of its parts)."""
        return list(self._cited_by.get((self.resolve_text(text_id) or text_id, number_key(number)), []))

    def nearest(self, number: str, text_id: str | None = None, limit: int = 3) -> list[Article]:
        """Return the existing articles whose numbers are closest to an unknown one."""
        from rapidfuzz import fuzz, process

        key = number_key(number)
        text_id = self.resolve_text(text_id) or (DECREE_ID if re.fullmatch(r"\d+", key) else None)
        candidates = [a for a in self._order if text_id is None or a.text_id == text_id]
        if re.fullmatch(r"\d+", key) and candidates and all(a.number.isdigit() for a in candidates):
            wanted = int(key)
            return sorted(candidates, key=lambda a: (abs(int(a.number) - wanted), int(a.number)))[:limit]
        keys = {number_key(a.number): a for a in candidates}
        if self.codes is not None and not re.fullmatch(r"\d+", key):
            prefix = key[:2]
            for tid, k, _ in self.codes.keys_with_prefix(prefix, text_id):
                if k.startswith(prefix) and k not in keys:
                    keys[k] = Article(tid, k.upper(), "", ())
        best = process.extract(key, list(keys), scorer=fuzz.ratio, limit=limit)
        return [keys[k] for k, _, _ in best]

    def external_title(self, text_id: str) -> str:
        """Return the title of a cited text (external or loaded)."""
        if text_id in self.texts:
            return self.texts[text_id].title
        return EXTERNAL_TEXTS.get(text_id, text_id)


def default_codes_store() -> Path:
    """Return where ``vetpharma index build --codes`` stores the code corpus."""
    return default_data_dir() / "index" / "codes.sqlite3"


def load_stored_document(path: Path = STORED_INDEX) -> dict[str, Any]:
    """Read the stored index document (rebuild it when missing)."""
    if not path.is_file():
        return write_core_index(path)
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _load(codes: Path | None) -> ArticleIndex:
    document = load_stored_document()
    texts = [LegalText.from_dict(t) for t in document["texts"]]
    articles = [Article.from_dict(a) for a in document["articles"]]
    store = CodeStore(codes) if codes is not None else None
    if store is not None:
        texts += [LegalText(tid, tid.replace("-", " ").capitalize(), "code") for tid, _ in store.texts()]
        # A shipped text keeps its title when the corpus holds the same code.
        seen: dict[str, LegalText] = {}
        for t in texts:
            seen.setdefault(t.text_id, t)
        texts = list(seen.values())
    return ArticleIndex(texts, articles, store)


@lru_cache(maxsize=4)
def load_index(codes: Path | None = None) -> ArticleIndex:
    """Return the index of the shipped texts, plus a built code corpus store when given (cached)."""
    return _load(Path(codes) if codes is not None else None)


def build_codes_store(folder: Path, store: Path | None = None) -> tuple[Path, int]:
    """Read a folder tree of code articles into the SQLite store; return its path and article count."""
    target = store or default_codes_store()
    count = CodeStore.build(target, read_markdown_tree(folder))
    return target, count
