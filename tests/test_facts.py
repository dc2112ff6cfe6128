"""The curated facts: each quote is in its article's repaired text, and no fact states a number the text lacks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from knowledge.facts import FACTS_DIR, FactsError, load_facts, load_facts_from
from knowledge.index import DECREE_ID, load_index
from knowledge.text import numbers_in


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _article_text(number: str) -> str:
    article = load_index().get(number, DECREE_ID)
    assert article is not None, number
    return _flat(article.text)


def _part_text(number: str, label: str) -> str:
    """Return the text of a part and of the parts nested under it."""
    article = load_index().get(number, DECREE_ID)
    assert article is not None
    wanted = label.split()
    texts = [p.text for p in article.parts if p.label.split()[: len(wanted)] == wanted]
    return _flat(" ".join(texts))


def test_every_quote_is_verbatim_in_its_article() -> None:
    facts = load_facts()
    quotes = list(facts.quotes())
    assert len(quotes) > 90
    missing = [q for q in quotes if _flat(q.text) not in _article_text(q.article)]
    assert missing == []


def test_category_quotes_sit_in_their_item_of_article_2() -> None:
    facts = load_facts()
    assert [c.number for c in facts.categories] == list(range(1, 15))
    for category in facts.categories:
        assert _flat(category.quote) in _part_text("2", category.label), category.number


def test_staffing_band_quotes_sit_in_their_item() -> None:
    for scale in load_facts().staffing.scales:
        for band in scale.bands:
            assert _flat(band.quote) in _part_text(scale.article, band.part)
        assert _flat(scale.step_quote) in _part_text(scale.article, scale.step_part)


def test_band_bounds_are_the_numbers_of_the_text() -> None:
    for scale in load_facts().staffing.scales:
        for band in scale.bands:
            assert f"de {band.low} à {band.high} personnes" in band.quote
        assert f"effectif de {scale.step} personnes supplémentaires" in scale.step_quote


def test_no_statement_or_summary_states_a_number_its_article_lacks() -> None:
    facts = load_facts()
    problems = []
    for delay in facts.delays:
        allowed = numbers_in(_article_text(delay.article))
        if delay.amount is not None and delay.amount not in allowed | {1}:
            problems.append((delay.id, "amount", delay.amount))
        for lang in ("fr", "en"):
            extra = numbers_in(delay.statement.get(lang)) - allowed
            if extra:
                problems.append((delay.id, lang, extra))
    for number, note in facts.articles.items():
        allowed = numbers_in(_article_text(number))
        for lang in ("fr", "en"):
            extra = numbers_in(note.summary.get(lang)) - allowed
            if extra:
                problems.append((f"article {number}", lang, extra))
    assert problems == []


@pytest.mark.parametrize(
    ("article", "amount", "unit"),
    [
        ("5", 90, "day"),
        ("9", 90, "day"),
        ("13", 30, "day"),
        ("13", 90, "day"),
        ("16", 1, "month"),
        ("17", None, "immediately"),
        ("18", 2, "year"),
        ("19", 1, "month"),
        ("23", 3, "month"),
        ("24", 1, "year"),
        ("26", 2, "year"),
        ("27", 6, "month"),
        ("28", 1, "month"),
        ("30", 15, "day"),
        ("30", 3, "month"),
        ("30", 1, "year"),
        ("31", 5, "year"),
        ("40", 1, "month"),
        ("42", 1, "year"),
        ("48", 5, "year"),
        ("49", None, "immediately"),
        ("50", 3, "year"),
        ("51", 2, "week"),
        ("51", 24, "hour"),
        ("54", 2, "month"),
        ("56", 5, "year"),
        ("57", None, "immediately"),
        ("61", 5, "year"),
    ],
)
def test_every_delay_of_the_decree_is_a_fact(article: str, amount: int | None, unit: str) -> None:
    assert any(d.amount == amount and d.unit == unit for d in load_facts().delays_of(article))


def test_every_article_has_a_title_and_summary_in_both_languages() -> None:
    notes = load_facts().articles
    assert sorted(notes, key=int) == [str(n) for n in range(1, 65)]
    assert all(n.title.fr and n.title.en and n.summary.fr and n.summary.en for n in notes.values())


def test_notifications_name_who_tells_whom() -> None:
    notes = {n.id: n for n in load_facts().notifications}
    assert notes["responsible_change"].article == "17"
    assert "Ministre" in notes["responsible_change"].whom.fr
    assert notes["long_replacement"].when == "replacement_fifteen_days"


def test_experience_and_scales_cover_the_categories_the_text_covers() -> None:
    facts = load_facts()
    assert sorted(c for s in facts.staffing.scales for c in s.categories) == list(range(1, 11))
    assert facts.staffing.uncovered_categories == (11, 12, 13, 14)
    assert sorted(c for r in facts.experience.rules for c in r.categories) == list(range(1, 11))


def test_a_malformed_file_is_named_with_its_key(tmp_path: Path) -> None:
    for path in FACTS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    delays = tmp_path / "delays.yaml"
    delays.write_text(
        delays.read_text(encoding="utf-8").replace("    unit: day", "    unit: fortnight", 1),
        encoding="utf-8",
    )
    with pytest.raises(FactsError, match=r"delays\.yaml\.delays\[0\]\.unit"):
        load_facts_from(tmp_path)


def test_procedure_formalities_state_only_numbers_of_their_articles() -> None:
    facts = load_facts()
    problems = []
    for procedure in facts.procedures:
        for point in procedure.points.values():
            allowed = set().union(*(numbers_in(_article_text(a)) for a in point.articles))
            for lang in ("fr", "en"):
                for text in (point.statement.get(lang), point.line.get(lang)):
                    extra = numbers_in(text) - allowed
                    if extra:
                        problems.append((procedure.id, point.aspect, lang, extra))
    for overview in facts.aspects.values():
        allowed = set().union(*(numbers_in(_article_text(a)) for a in overview.articles))
        for lang in ("fr", "en"):
            texts = [overview.lead.get(lang), overview.note.get(lang) if overview.note else ""]
            extra = set().union(*(numbers_in(t) for t in texts)) - allowed
            if extra:
                problems.append(("aspects", overview.aspect, lang, extra))
    assert problems == []


def test_every_request_says_who_files_it_and_how_it_is_decided() -> None:
    facts = load_facts()
    for pid in ("opening", "extension", "modification", "transfer"):
        procedure = facts.procedure(pid)
        assert procedure is not None
        assert {"delay", "silence", "signer", "copies", "addressee"} <= set(procedure.points), pid
    transfer = facts.procedure("transfer")
    assert transfer is not None
    assert transfer.points["delay"].articles[:3] == ("22", "9", "5")
    assert not transfer.points["copies"].stated  # article 20 sets no number of copies


def test_a_sentence_cut_by_an_unquoted_comma_is_refused(tmp_path: Path) -> None:
    for path in FACTS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    articles = tmp_path / "articles.yaml"
    text = articles.read_text(encoding="utf-8")
    quoted = '{fr: "Transfert de l\'autorisation (changement de propriétaire, location-gérance)",'
    assert quoted in text
    articles.write_text(
        text.replace(
            quoted, "{fr: Transfert de l'autorisation (changement de propriétaire, location-gérance),"
        ),
        encoding="utf-8",
    )
    with pytest.raises(FactsError, match=r"articles\.yaml\.articles\.20\.title: unexpected keys"):
        load_facts_from(tmp_path)


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> None:
    for path in FACTS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / name
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_missing_key_is_named_with_its_path(tmp_path: Path) -> None:
    _copy_with(tmp_path, "delays.yaml", "    kind: decision\n", "")
    with pytest.raises(FactsError, match=r"^delays\.yaml\.delays\[0\]: missing key 'kind'$"):
        load_facts_from(tmp_path)


def test_a_value_of_the_wrong_type_is_named_with_its_path(tmp_path: Path) -> None:
    _copy_with(tmp_path, "staffing.yaml", "step: 40", "step: quarante")
    with pytest.raises(FactsError, match=r"^staffing\.yaml\.scales\[0\]\.step: expected an integer$"):
        load_facts_from(tmp_path)


def test_an_unknown_key_is_refused_with_its_path(tmp_path: Path) -> None:
    _copy_with(tmp_path, "delays.yaml", "    unit: day\n", "    unit: day\n    units: day\n")
    with pytest.raises(FactsError, match=r"^delays\.yaml\.delays\[0\]: unknown key 'units'$"):
        load_facts_from(tmp_path)


def test_an_article_the_decree_lacks_is_refused_with_its_path(tmp_path: Path) -> None:
    _copy_with(tmp_path, "notifications.yaml", 'article: "', 'article: "9')
    with pytest.raises(
        FactsError,
        match=r"^notifications\.yaml\.notifications\[0\]\.article: '9\d+' is not an article of the decree",
    ):
        load_facts_from(tmp_path)
