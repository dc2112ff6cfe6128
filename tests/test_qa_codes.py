"""With a code corpus loaded, questions naming a code search it, and the decree's questions stay the decree's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import Answerer
from knowledge.index import DECREE_ID, build_codes_store, load_index
from knowledge.search import Searcher

# Three real articles, in the layout of the code corpus (one Markdown file per article, folder = code).
ARTICLES = {
    "code-civil/livre-iii/titre-iv/chapitre-ii/article-1382.md": (
        "# Article 1382\n\nTout fait quelconque de l'homme, qui cause à autrui un dommage, oblige celui par la "
        "faute duquel il est arrivé à le réparer.\n"
    ),
    "code-civil/livre-iii/titre-iv/chapitre-ii/article-1383.md": (
        "# Article 1383\n\nChacun est responsable du dommage  qu'il a causé non seulement par son fait, mais encore "
        "par sa négligence ou par son imprudence.\n"
    ),
    "code-de-la-route/partie-reglementaire/livre-iv/article-r413-3.md": (
        "# Article R413-3\n\nEn agglomération, la vitesse des véhicules est limitée à 50 km/ h.\n\nToutefois, cette "
        "limite peut être relevée à 70 km/ h sur les sections de route où les accès des riverains et les traversées "
        "des piétons sont en nombre limité et sont protégés par des dispositifs appropriés.\n"
    ),
}


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    root = tmp_path_factory.mktemp("codes")
    corpus = root / "codes-en-vigueur"
    for name, text in ARTICLES.items():
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    store, count = build_codes_store(corpus, root / "index" / "codes.sqlite3")
    assert count == 3
    return Answerer(Searcher(load_index(Path(store))), warm=False)


def test_a_question_naming_a_code_is_answered_from_it(answerer: Answerer) -> None:
    a = answerer.answer("Que dit le code civil sur la réparation du dommage causé à autrui par sa faute ?")
    assert a.answered
    assert (a.citations[0].text, a.citations[0].article) == ("code-civil", "1382")
    assert "Tout fait quelconque de l'homme" in a.answer


def test_an_article_of_a_code_is_looked_up(answerer: Answerer) -> None:
    a = answerer.answer("article 1383 du code civil")
    assert a.answered and a.intent == "article_lookup"
    assert "négligence" in a.answer


def test_decree_questions_are_not_crowded_out_by_the_codes(answerer: Answerer) -> None:
    a = answerer.answer("Quelle vitesse de décision pour une demande de modification ?")
    assert a.answered and (a.citations[0].text, a.citations[0].article) == (DECREE_ID, "13")
    assert all(c.text != "code-de-la-route" for c in a.citations)


def test_the_search_index_of_the_corpus_is_stored_and_reused(answerer: Answerer) -> None:
    store = Path(answerer.index.codes.path)  # type: ignore[union-attr]
    assert list(store.parent.glob("codes-bm25-*/keys.json"))
    again = Answerer(Searcher(answerer.index), warm=False)
    assert again.answer("code de la route vitesse en agglomération").citations[0].article == "R413-3"


def test_an_article_number_without_a_text_is_the_decrees(answerer: Answerer) -> None:
    a = answerer.answer("article 1383")
    assert not a.answered and a.intent == "article_lookup"
    assert all(
        c.text == DECREE_ID for c in a.citations
    )  # the nearest of the decree, not the civil code's 1383
    assert answerer.answer("article 14").citations[0].text == DECREE_ID


def test_an_unknown_code_article_offers_the_nearest_numbers_of_that_code(answerer: Answerer) -> None:
    a = answerer.answer("article 1382-1 du code civil")
    assert not a.answered and a.intent == "article_lookup"
    assert "1382-1" in a.answer and "1382" in [c.article for c in a.citations]
    route = answerer.answer("article R413-9 du code de la route")
    assert not route.answered and [c.article for c in route.citations] == ["R413-3"]


def test_the_corpus_store_reads_a_key_prefix_as_a_range(answerer: Answerer) -> None:
    store = answerer.index.codes
    assert store is not None
    assert sorted(k for _, k, _ in store.keys_with_prefix("13")) == ["1382", "1383"]
    assert [k for _, k, _ in store.keys_with_prefix("r4", "code-de-la-route")] == ["r413-3"]
    assert store.keys_with_prefix("r4", "code-civil") == []
