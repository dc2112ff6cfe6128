"""Curated facts of the decree, as data: categories, delays, staffing scales, experience rules, notices.

Every fact names its article and carries a verbatim quote of that article; the YAML files live in
``knowledge/facts/``. Loading validates each file and names the file and key of any error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from knowledge.facts_reader import FactsError as FactsError  # raised by load_facts_from
from knowledge.facts_reader import FactsReader, read_facts_file
from knowledge.facts_reader import Text as Text  # a fact's sentence in both languages

FACTS_DIR = Path(str(files(__package__ or "knowledge"))) / "facts"
UNITS = ("day", "week", "month", "year", "hour", "immediately")
KINDS = ("decision", "deadline", "maximum", "minimum", "retention", "frequency", "threshold", "lapse")


@dataclass(frozen=True)
class Category:
    """One of the 14 categories of establishment of article 2."""

    number: int
    name: Text
    definition: Text
    may_do: Text
    aliases: tuple[str, ...]
    quote: str
    article: str = "2"

    @property
    def label(self) -> str:
        """Return the item label, '5°'."""
        return f"{self.number}°"


@dataclass(frozen=True)
class Delay:
    """A delay, duration, period or frequency set by one article."""

    id: str
    article: str
    quote: str
    amount: int | None
    unit: str
    kind: str
    procedures: tuple[str, ...]
    subject: Text
    counted_from: Text | None
    statement: Text
    keywords: tuple[str, ...]
    # For a computed date: the role of the event the delay runs from ("released", "expiry"), and a second
    # period of the same sentence that must also have run ("un an après la péremption et cinq ans après la
    # libération"): (amount, unit, role).
    start_role: str | None = None
    also: tuple[int, str, str] | None = None


@dataclass(frozen=True)
class Band:
    """A printed band of a staffing scale: this many assistants from `low` to `high` persons."""

    assistants: int
    low: int
    high: int
    part: str
    quote: str


@dataclass(frozen=True)
class StaffingScale:
    """The scale of article 37 or 38: bands, then one more assistant per `step` further persons."""

    article: str
    categories: tuple[int, ...]
    quote: str
    bands: tuple[Band, ...]
    step: int
    step_part: str
    step_quote: str


@dataclass(frozen=True)
class Staffing:
    """Both staffing scales, how staff are counted (art. 39) and the categories no scale covers."""

    scales: tuple[StaffingScale, ...]
    headcount_article: str
    headcount_quote: str
    operations: tuple[Text, ...]
    uncovered_categories: tuple[int, ...]
    uncovered_articles: tuple[str, ...]
    uncovered_quote_article: str
    uncovered_quote: str
    uncovered_note: Text
    assistants_rule_article: str
    assistants_rule_quote: str

    def scale_for(self, category: int) -> StaffingScale | None:
        """Return the scale that covers this category, or None."""
        return next((s for s in self.scales if category in s.categories), None)


@dataclass(frozen=True)
class ExperienceRule:
    """The practical experience required of a category's responsible and deputies (art. 26-27)."""

    id: str
    article: str
    part: str
    categories: tuple[int, ...]
    months: int
    reducible: bool
    quote: str
    where: Text


@dataclass(frozen=True)
class Reduction:
    """A reduction of article 26 II, by length of study (and a third-cycle diploma)."""

    id: str
    part: str
    study_years: int
    study_years_max: int | None
    third_cycle: bool
    months: int
    quote: str


@dataclass(frozen=True)
class Experience:
    """Articles 25-27: the rules, the reductions and the categories they do not cover."""

    general_article: str
    general_quote: str
    rules: tuple[ExperienceRule, ...]
    reductions_article: str
    reductions_part: str
    reductions_quote: str
    reductions: tuple[Reduction, ...]
    uncovered_categories: tuple[int, ...]
    uncovered_note: Text

    def rule_for(self, category: int) -> ExperienceRule | None:
        """Return the rule for this category, or None."""
        return next((r for r in self.rules if category in r.categories), None)


@dataclass(frozen=True)
class Notification:
    """Who must tell whom what (and, when a delay applies, which)."""

    id: str
    article: str
    who: Text
    whom: Text
    what: Text
    quote: str
    when: str | None


@dataclass(frozen=True)
class ArticleNote:
    """A title, a one-sentence summary and the words people use, for one article of the decree."""

    number: str
    title: Text
    summary: Text
    words: tuple[str, ...]
    # The categories of article 2 the article applies to, when it names them ("mentionnés au 1° de l'article
    # 2"); empty when it applies to every establishment. Retrieval ranks it lower for another category.
    categories: tuple[int, ...] = ()


ASPECTS = ("delay", "silence", "signer", "copies", "addressee", "admissibility")


@dataclass(frozen=True)
class Excerpt:
    """A verbatim passage of one article, to be quoted."""

    article: str
    quote: str


@dataclass(frozen=True)
class ProcedurePoint:
    """What the decree says of one aspect of one request (its delay, who signs it, ...), with its articles."""

    procedure: str
    aspect: str
    articles: tuple[str, ...]  # cited, most relevant first
    statement: Text  # the answer when the request is named
    line: Text  # one line of an overview across requests
    quotes: tuple[Excerpt, ...]
    stated: bool = True  # False: the decree says nothing of it, and the statement says so


@dataclass(frozen=True)
class Procedure:
    """A request the decree organises (opening, modification, transfer, ...) and its formalities."""

    id: str
    name: Text
    points: Mapping[str, ProcedurePoint]


@dataclass(frozen=True)
class AspectOverview:
    """How one aspect differs across requests, for a question that names none."""

    aspect: str
    lead: Text
    procedures: tuple[str, ...]
    note: Text | None
    articles: tuple[str, ...]
    quotes: tuple[Excerpt, ...]


@dataclass(frozen=True)
class Quote:
    """A verbatim quote a fact relies on, with where it is declared."""

    article: str
    text: str
    where: str


@dataclass(frozen=True)
class Facts:
    """Every curated fact of the decree."""

    categories: tuple[Category, ...]
    delays: tuple[Delay, ...]
    staffing: Staffing
    experience: Experience
    notifications: tuple[Notification, ...]
    articles: Mapping[str, ArticleNote]
    procedures: tuple[Procedure, ...] = ()
    aspects: Mapping[str, AspectOverview] = field(default_factory=dict)

    def category(self, number: int) -> Category | None:
        """Return the category of article 2 with this number."""
        return next((c for c in self.categories if c.number == number), None)

    def delay(self, delay_id: str) -> Delay | None:
        """Return the delay with this id."""
        return next((d for d in self.delays if d.id == delay_id), None)

    def procedure(self, procedure_id: str) -> Procedure | None:
        """Return the request with this id (opening, extension, modification, transfer, partial_transfer)."""
        return next((p for p in self.procedures if p.id == procedure_id), None)

    def delays_of(self, article: str) -> tuple[Delay, ...]:
        """Return the delays set by one article."""
        return tuple(d for d in self.delays if d.article == article)

    def quotes(self) -> Iterator[Quote]:
        """Yield every verbatim quote with its article, for checks against the text."""
        for c in self.categories:
            yield Quote(c.article, c.quote, f"categories.yaml {c.number}")
        for d in self.delays:
            yield Quote(d.article, d.quote, f"delays.yaml {d.id}")
        st = self.staffing
        for s in st.scales:
            yield Quote(s.article, s.quote, f"staffing.yaml {s.article}")
            yield Quote(s.article, s.step_quote, f"staffing.yaml {s.article} step")
            for b in s.bands:
                yield Quote(s.article, b.quote, f"staffing.yaml {s.article} {b.part}")
        yield Quote(st.headcount_article, st.headcount_quote, "staffing.yaml headcount")
        yield Quote(st.uncovered_quote_article, st.uncovered_quote, "staffing.yaml not_covered")
        yield Quote(st.assistants_rule_article, st.assistants_rule_quote, "staffing.yaml not_covered rule")
        ex = self.experience
        yield Quote(ex.general_article, ex.general_quote, "experience.yaml general")
        for r in ex.rules:
            yield Quote(r.article, r.quote, f"experience.yaml {r.id}")
        yield Quote(ex.reductions_article, ex.reductions_quote, "experience.yaml reductions")
        for red in ex.reductions:
            yield Quote(ex.reductions_article, red.quote, f"experience.yaml {red.id}")
        for n in self.notifications:
            yield Quote(n.article, n.quote, f"notifications.yaml {n.id}")
        for p in self.procedures:
            for point in p.points.values():
                for q in point.quotes:
                    yield Quote(q.article, q.quote, f"procedures.yaml {p.id} {point.aspect}")
        for overview in self.aspects.values():
            for q in overview.quotes:
                yield Quote(q.article, q.quote, f"procedures.yaml aspects {overview.aspect}")


# --- loading and validation -------------------------------------------------------------------------


def _article_number(value: str, where: str) -> str:
    if not re.fullmatch(r"\d{1,2}", value) or not 1 <= int(value) <= 64:
        raise FactsError(f"{where}: {value!r} is not an article of the decree (1-64)")
    return value


def _categories(r: FactsReader) -> tuple[Category, ...]:
    result = []
    for item in r.items("categories"):
        result.append(
            Category(
                number=item.integer("number"),
                name=item.text("name"),
                definition=item.text("definition"),
                may_do=item.text("may_do"),
                aliases=item.strings("aliases"),
                quote=item.string("quote"),
            )
        )
    if [c.number for c in result] != list(range(1, 15)):
        raise FactsError(f"{r.where}.categories: expected the categories 1 to 14, in order")
    return tuple(result)


def _also(item: FactsReader) -> tuple[int, str, str] | None:
    if "also" not in item.data:
        return None
    also = item.sub("also")
    return (also.integer("amount"), also.choice("unit", UNITS), also.string("start_role"))


def _delays(r: FactsReader) -> tuple[Delay, ...]:
    result = []
    for item in r.items("delays"):
        result.append(
            Delay(
                id=item.string("id"),
                article=_article_number(item.string("article"), f"{item.where}.article"),
                quote=item.string("quote"),
                amount=item.opt_integer("amount"),
                unit=item.choice("unit", UNITS),
                kind=item.choice("kind", KINDS),
                procedures=item.strings("procedures", default=()),
                subject=item.text("subject"),
                counted_from=item.opt_text("counted_from"),
                statement=item.text("statement"),
                keywords=item.strings("keywords", default=()),
                start_role=item.opt_string("start_role"),
                also=_also(item),
            )
        )
    ids = [d.id for d in result]
    if len(set(ids)) != len(ids):
        raise FactsError(f"{r.where}.delays: duplicate ids")
    return tuple(result)


def _staffing(r: FactsReader) -> Staffing:
    scales = []
    for s in r.items("scales"):
        bands = tuple(
            Band(
                b.integer("assistants"),
                b.integer("low"),
                b.integer("high"),
                b.string("part"),
                b.string("quote"),
            )
            for b in s.items("bands")
        )
        for i, band in enumerate(bands):
            if band.assistants != i + 1 or band.low > band.high or (i and bands[i - 1].high + 1 != band.low):
                raise FactsError(
                    f"{s.where}.bands[{i}]: bands must count 1, 2, … assistants over adjoining ranges"
                )
        scales.append(
            StaffingScale(
                article=_article_number(s.string("article"), f"{s.where}.article"),
                categories=s.integers("categories"),
                quote=s.string("quote"),
                bands=bands,
                step=s.integer("step"),
                step_part=s.string("step_part"),
                step_quote=s.string("step_quote"),
            )
        )
    head = r.sub("headcount")
    unc = r.sub("not_covered")
    return Staffing(
        scales=tuple(scales),
        headcount_article=head.string("article"),
        headcount_quote=head.string("quote"),
        operations=tuple(Text(o.string("fr"), o.string("en")) for o in head.items("operations")),
        uncovered_categories=unc.integers("categories"),
        uncovered_articles=unc.strings("articles"),
        uncovered_quote_article=unc.string("quote_article"),
        uncovered_quote=unc.string("quote"),
        uncovered_note=unc.text("note"),
        assistants_rule_article=unc.string("assistants_rule_article"),
        assistants_rule_quote=unc.string("assistants_rule_quote"),
    )


def _experience(r: FactsReader) -> Experience:
    general = r.sub("general")
    red = r.sub("reductions")
    unc = r.sub("not_covered")
    return Experience(
        general_article=general.string("article"),
        general_quote=general.string("quote"),
        rules=tuple(
            ExperienceRule(
                id=x.string("id"),
                article=_article_number(x.string("article"), f"{x.where}.article"),
                part=x.string("part"),
                categories=x.integers("categories"),
                months=x.integer("months"),
                reducible=x.flag("reducible"),
                quote=x.string("quote"),
                where=x.text("where"),
            )
            for x in r.items("rules")
        ),
        reductions_article=red.string("article"),
        reductions_part=red.string("part"),
        reductions_quote=red.string("quote"),
        reductions=tuple(
            Reduction(
                id=x.string("id"),
                part=x.string("part"),
                study_years=x.integer("study_years"),
                study_years_max=x.opt_integer("study_years_max"),
                third_cycle=x.flag("third_cycle"),
                months=x.integer("months"),
                quote=x.string("quote"),
            )
            for x in red.items("steps")
        ),
        uncovered_categories=unc.integers("categories"),
        uncovered_note=unc.text("note"),
    )


def _notifications(r: FactsReader, delay_ids: set[str]) -> tuple[Notification, ...]:
    result = []
    for x in r.items("notifications"):
        when = x.opt_string("when")
        if when is not None and when not in delay_ids:
            raise FactsError(f"{x.where}.when: {when!r} is not a delay id of delays.yaml")
        result.append(
            Notification(
                id=x.string("id"),
                article=_article_number(x.string("article"), f"{x.where}.article"),
                who=x.text("who"),
                whom=x.text("whom"),
                what=x.text("what"),
                quote=x.string("quote"),
                when=when,
            )
        )
    return tuple(result)


def _articles(r: FactsReader) -> dict[str, ArticleNote]:
    table = r.sub("articles")
    notes = {}
    for number in table.data:
        key = str(number)
        x = table.sub(number)
        notes[key] = ArticleNote(
            number=_article_number(key, f"{x.where}"),
            title=x.text("title"),
            summary=x.text("summary"),
            words=x.strings("words"),
            categories=_categories_list(x),
        )
    if sorted(notes, key=int) != [str(n) for n in range(1, 65)]:
        raise FactsError(f"{table.where}: expected one entry for each article 1 to 64")
    return notes


def _categories_list(r: FactsReader) -> tuple[int, ...]:
    if r.data.get("categories") is None:
        return ()
    numbers = r.integers("categories")
    if not numbers or not all(1 <= n <= 14 for n in numbers):
        raise FactsError(f"{r.where}.categories: expected categories of article 2 (1-14)")
    return numbers


def _passages(r: FactsReader, key: str) -> tuple[Excerpt, ...]:
    return tuple(
        Excerpt(_article_number(q.string("article"), f"{q.where}.article"), q.string("quote"))
        for q in r.items(key)
    )


def _articles_list(r: FactsReader, key: str) -> tuple[str, ...]:
    numbers = r.strings(key)
    if not numbers:
        raise FactsError(f"{r.where}.{key}: expected at least one article")
    return tuple(_article_number(n, f"{r.where}.{key}") for n in numbers)


def _procedures(r: FactsReader) -> tuple[tuple[Procedure, ...], dict[str, AspectOverview]]:
    procedures = []
    for item in r.items("procedures"):
        pid = item.string("id")
        table = item.sub("points")
        points = {}
        for aspect in table.data:
            if aspect not in ASPECTS:
                raise FactsError(f"{table.where}: {aspect!r} is not one of {', '.join(ASPECTS)}")
            x = table.sub(aspect)
            stated = x.flag("stated") if "stated" in x.data else True
            quotes = _passages(x, "quotes")
            if stated and not quotes:
                raise FactsError(f"{x.where}.quotes: a stated point quotes its passage")
            points[aspect] = ProcedurePoint(
                pid,
                aspect,
                _articles_list(x, "articles"),
                x.text("statement"),
                x.text("line"),
                quotes,
                stated,
            )
        procedures.append(Procedure(pid, item.text("name"), points))
    ids = {p.id for p in procedures}
    aspects = {}
    table = r.sub("aspects")
    for aspect in table.data:
        x = table.sub(aspect)
        if aspect not in ASPECTS:
            raise FactsError(f"{table.where}: {aspect!r} is not one of {', '.join(ASPECTS)}")
        listed = x.strings("procedures")
        for pid in listed:
            procedure = next((p for p in procedures if p.id == pid), None)
            if procedure is None or aspect not in procedure.points:
                raise FactsError(f"{x.where}.procedures: {pid!r} has no {aspect!r} point")
        aspects[aspect] = AspectOverview(
            aspect,
            x.text("lead"),
            listed,
            x.opt_text("note") if "note" in x.data else None,
            _articles_list(x, "articles"),
            _passages(x, "quotes"),
        )
    if len(ids) != len(procedures):
        raise FactsError(f"{r.where}.procedures: duplicate ids")
    return tuple(procedures), aspects


def load_facts_from(directory: Path) -> Facts:
    """Load and validate every facts file of a directory."""
    delays = _delays(read_facts_file(directory, "delays.yaml"))
    procedures, aspects = _procedures(read_facts_file(directory, "procedures.yaml"))
    return Facts(
        categories=_categories(read_facts_file(directory, "categories.yaml")),
        delays=delays,
        staffing=_staffing(read_facts_file(directory, "staffing.yaml")),
        experience=_experience(read_facts_file(directory, "experience.yaml")),
        notifications=_notifications(
            read_facts_file(directory, "notifications.yaml"), {d.id for d in delays}
        ),
        articles=_articles(read_facts_file(directory, "articles.yaml")),
        procedures=procedures,
        aspects=aspects,
    )


@cache
def load_facts() -> Facts:
    """Load the curated facts of the decree (cached)."""
    return load_facts_from(FACTS_DIR)
