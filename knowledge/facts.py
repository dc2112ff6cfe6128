"""Curated facts of the decree, as data: categories, delays, staffing scales, experience rules, notices.

Every fact names its article and carries a verbatim quote of that article; the YAML files live in
``knowledge/facts/``. Loading validates each file and names the file and key of any error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from knowledge.facts_models import (
    ArticlesFile,
    Band,
    CategoriesFile,
    Category,
    Delay,
    DelaysFile,
    Excerpt,
    ExperienceFile,
    ExperienceRule,
    FactsError,
    Notification,
    NotificationsFile,
    ProceduresFile,
    Reduction,
    StaffingFile,
    StaffingScale,
    Text,
    read_facts_file,
)

# The values read from the files are the models' (validated on load); the rest are built from them below.
__all__ = [
    "Band",
    "Category",
    "Delay",
    "Excerpt",
    "ExperienceRule",
    "FactsError",
    "Notification",
    "Reduction",
    "StaffingScale",
    "Text",
]

FACTS_DIR = Path(str(files(__package__ or "knowledge"))) / "facts"


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
class ArticleNote:
    """A title, a one-sentence summary and the words people use, for one article of the decree."""

    number: str
    title: Text
    summary: Text
    words: tuple[str, ...]
    # The categories of article 2 the article applies to, when it names them ("mentionnés au 1° de l'article
    # 2"); empty when it applies to every establishment. Retrieval ranks it lower for another category.
    categories: tuple[int, ...] = ()


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


# --- loading: the files are validated by their models (knowledge/facts_models.py), then assembled -----------


def _staffing(f: StaffingFile) -> Staffing:
    head, gap = f.headcount, f.not_covered
    return Staffing(
        scales=f.scales,
        headcount_article=head.article,
        headcount_quote=head.quote,
        operations=head.operations,
        uncovered_categories=gap.categories,
        uncovered_articles=gap.articles,
        uncovered_quote_article=gap.quote_article,
        uncovered_quote=gap.quote,
        uncovered_note=gap.note,
        assistants_rule_article=gap.assistants_rule_article,
        assistants_rule_quote=gap.assistants_rule_quote,
    )


def _experience(f: ExperienceFile) -> Experience:
    return Experience(
        general_article=f.general.article,
        general_quote=f.general.quote,
        rules=f.rules,
        reductions_article=f.reductions.article,
        reductions_part=f.reductions.part,
        reductions_quote=f.reductions.quote,
        reductions=f.reductions.steps,
        uncovered_categories=f.not_covered.categories,
        uncovered_note=f.not_covered.note,
    )


def _notifications(f: NotificationsFile, delays: tuple[Delay, ...]) -> tuple[Notification, ...]:
    ids = {d.id for d in delays}
    for i, x in enumerate(f.notifications):
        if x.when is not None and x.when not in ids:
            raise FactsError(
                f"notifications.yaml.notifications[{i}].when: {x.when!r} is not a delay id of delays.yaml"
            )
    return f.notifications


def _articles(f: ArticlesFile) -> dict[str, ArticleNote]:
    return {
        number: ArticleNote(number, x.title, x.summary, x.words, x.categories or ())
        for number, x in f.articles.items()
    }


def _procedures(f: ProceduresFile) -> tuple[tuple[Procedure, ...], dict[str, AspectOverview]]:
    procedures = tuple(
        Procedure(
            p.id,
            p.name,
            {
                aspect: ProcedurePoint(p.id, aspect, x.articles, x.statement, x.line, x.quotes, x.stated)
                for aspect, x in p.points.items()
            },
        )
        for p in f.procedures
    )
    aspects: dict[str, AspectOverview] = {
        aspect: AspectOverview(aspect, x.lead, x.procedures, x.note, x.articles, x.quotes)
        for aspect, x in f.aspects.items()
    }
    return procedures, aspects


def load_facts_from(directory: Path) -> Facts:
    """Load and validate every facts file of a directory."""
    delays = read_facts_file(directory, "delays.yaml", DelaysFile).delays
    procedures, aspects = _procedures(read_facts_file(directory, "procedures.yaml", ProceduresFile))
    return Facts(
        categories=read_facts_file(directory, "categories.yaml", CategoriesFile).categories,
        delays=delays,
        staffing=_staffing(read_facts_file(directory, "staffing.yaml", StaffingFile)),
        experience=_experience(read_facts_file(directory, "experience.yaml", ExperienceFile)),
        notifications=_notifications(
            read_facts_file(directory, "notifications.yaml", NotificationsFile), delays
        ),
        articles=_articles(read_facts_file(directory, "articles.yaml", ArticlesFile)),
        procedures=procedures,
        aspects=aspects,
    )


@cache
def load_facts() -> Facts:
    """Load the curated facts of the decree (cached)."""
    return load_facts_from(FACTS_DIR)
