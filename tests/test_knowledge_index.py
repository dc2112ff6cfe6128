"""The article index: structure of the decree, OCR repairs, references, the code-article reader, the store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge.decree import read_decree, structure_parts
from knowledge.index import (
    DECREE_ID,
    SOURCES_DIR,
    STORED_INDEX,
    ArticleIndex,
    CodeStore,
    build_core_index,
    load_index,
    number_key,
)
from knowledge.markdown_codes import read_markdown_article, read_markdown_tree
from knowledge.model import normalise_label
from knowledge.render import render_article_lookup
from knowledge.repairs import REPAIRS, apply_repairs, legal_numbers

RAW = (SOURCES_DIR / "am-2003-175.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def index() -> ArticleIndex:
    return load_index()


def internal(index: ArticleIndex, number: str) -> set[tuple[str | None, str | None]]:
    article = index.get(number)
    assert article is not None
    return {(r.article, r.part) for r in article.cites if not r.external}


def test_stored_index_matches_the_sources() -> None:
    stored = json.loads(STORED_INDEX.read_text(encoding="utf-8"))
    assert stored == build_core_index(), "knowledge/data/index.json is stale: run `vetpharma index build`"


def test_title_publication_visas_and_signature(index: ArticleIndex) -> None:
    text = index.texts[DECREE_ID]
    assert text.title.startswith(
        "Arrêté Ministériel n° 2003-175 du 3 mars 2003 relatif aux conditions d'ouverture"
    )
    assert text.publication == {"journal": "7591", "date": "21/03/2003", "quality": "98.84%", "page": "615"}
    assert len(text.visas) == 5 and text.visas[0].startswith("Vu la loi n° 1.257 du 12 juillet 2002")
    assert "P. LECLERCQ" in text.signature
    everything = "\n".join(a.text for a in index.articles(DECREE_ID))
    for noise in ("icon-summary", "Imprimer l'article", "Tous droits", "Version 2018", "ANNEXES"):
        assert noise not in everything


def test_sixty_four_articles_in_eight_sections(index: ArticleIndex) -> None:
    articles = list(index.articles(DECREE_ID))
    assert [a.number for a in articles] == [str(n) for n in range(1, 65)]
    sections = index.texts[DECREE_ID].sections
    assert [s.number for s in sections] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    assert [s.number for s in sections[1].subsections] == ["I", "II", "III", "IV"]
    assert sections[1].subsections[3].title == "Du transfert de l'autorisation"
    by_section = {a.number: (a.section, a.subsection) for a in articles}
    assert by_section["1"] == ("I", None)
    assert by_section["5"] == ("II", "I") and by_section["9"] == ("II", "II")
    assert by_section["12"] == ("II", "III") and by_section["23"] == ("II", "IV")
    assert by_section["24"] == ("III", None) and by_section["54"] == ("VIII", None)
    assert index.get("premier") is index.get("1") is index.get("Article Premier")
    assert index.get("art. 14") is index.get("14")


def test_items_of_article_2_6_and_14(index: ArticleIndex) -> None:
    art2 = index.get("2")
    assert art2 is not None
    top = [p.label for p in art2.parts if p.kind == "item" and p.depth == 0]
    assert top == [f"{n}°" for n in range(1, 15)]
    assert art2.part("5°")[0].text.startswith("5° Distributeur en gros de médicaments vétérinaires")
    assert art2.part("2° a)")[0].text.startswith("a) d'Etats non membres")
    # Continuation paragraphs belong to their item: "La fabrication comprend…" is part of 1°.
    assert any(p.text.startswith("La fabrication comprend") for p in art2.part("1°"))
    art6 = index.get("6")
    assert art6 is not None
    assert [p.label for p in art6.parts if p.kind == "item"] == ["a)", "b)", "c)", "a)", "b)", "c)", "d)"]
    assert art6.part("d)")[0].text.startswith(
        "d) dans le cas où l'établissement doit être exploité par une société"
    )
    art14 = index.get("14")
    assert art14 is not None
    assert [p.label for p in art14.parts if p.kind == "item"] == ["a)", "b)", "c)", "d)", "e)", "f)"]
    assert art14.part("al. 1")[0].text.startswith("La demande d'autorisation de modification")


def test_nested_items_are_addressable(index: ArticleIndex) -> None:
    art26 = index.get("26")
    assert art26 is not None
    assert art26.part("II 2° a)")[0].text.startswith("a) pour ceux dont les études supérieures")
    assert art26.part("II 1°")[0].text.startswith("1° à une année")
    assert [p.label for p in art26.part("I")][:2] == ["I", "I"]  # the second paragraph of I belongs to I
    art55 = index.get("55")
    assert art55 is not None and art55.part("I 4° b)")[0].text.startswith("b) se conserve")
    art41 = index.get("41")
    assert art41 is not None and len([p for p in art41.parts if p.kind == "item"]) == 5
    art39 = index.get("39")
    assert art39 is not None and art39.part("3.")[0].text.startswith("3. suivi des lots")
    assert normalise_label("II-2°a)") == "II 2° a)"


def test_a_paragraph_after_a_list_closes_it() -> None:
    parts = structure_parts(["Intro :", "1° un ;", "2° deux.", "Après la liste.", "a) autre liste"])
    assert [p.label for p in parts] == ["al. 1", "1°", "2°", "al. 4", "a)"]


def test_every_repair_is_in_the_table_and_applied() -> None:
    _, logs = apply_repairs(RAW)
    changes = {log.repair_id: log.changes for log in logs}
    assert set(changes) == {r.id for r in REPAIRS}
    assert changes["degree-read-as-8"] == (
        ("au 18 ou au 28", "au 1° ou au 2°"),
        ("aux 18 et 2°", "aux 1° et 2°"),
        ("au 18", "au 1°"),
        ("au 48", "au 4°"),
    )
    assert len(changes["oeuvre"]) == 2
    assert changes["missing-space-after-period"] == ((".", ". "),)
    assert len(changes["broken-line"]) >= 3


def test_repaired_text_in_articles(index: ArticleIndex) -> None:
    def text(n: str) -> str:
        article = index.get(n)
        assert article is not None
        return article.text

    assert "mentionnés aux 1° et 2° de l'article 2" in text("47")
    assert "mentionnés au 1° de l'article 2" in text("48")
    assert "définis au 4° de l'article 2" in text("53")
    assert "au 1° ou au 2° du présent article" in text("2")
    assert "mise en œuvre effective" in text("52") and "mise en œuvre des bonnes pratiques" in text("54")
    assert "ouvre" not in " ".join(index.get(n).text for n in ("52", "54"))  # type: ignore[union-attr]
    # Broken sentences are whole again (article 2, 10°; 52; 55).
    assert "tout vétérinaire ou toute société propriétaire de l'un" in index.get("2").part("10°")[0].text  # type: ignore[union-attr]
    assert "retrait de lots de ces médicaments organisé" in text("52")
    assert "à l'exception des aliments médicamenteux fabriqués" in text("55")
    assert "santé publique. Le pharmacien ou le vétérinaire exerce" in text("54")


def test_repairs_never_change_another_legal_number() -> None:
    repaired, _logs = apply_repairs(RAW)
    before, after = legal_numbers(RAW), legal_numbers(repaired)
    removed = before - after
    added = after - before
    # Only the OCR-misread item numbers changed: 18 (x3), 28, 48 became 1, 2, 4 (followed by '°').
    assert removed == {"18": 3, "28": 1, "48": 1}
    assert added == {"1": 3, "2": 1, "4": 1}
    # Real article numbers 18, 28 and 48 are untouched.
    for heading in ("Art. 18.", "Art. 28.", "Art. 48.", "articles 28 à 32", "l'article 18 de la loi"):
        assert heading in repaired


def test_reference_graph(index: ArticleIndex) -> None:
    assert {("5", None), ("6", None)} <= internal(index, "15")
    assert {("9", None), ("20", None)} <= internal(index, "22")
    assert {("2", "1°"), ("2", "2°")} <= internal(index, "47")
    assert {("28", None), ("29", None), ("30", None), ("31", None), ("32", None), ("54", None)} <= internal(
        index, "57"
    )
    assert ("2", "3°") in internal(index, "26")
    assert {("2", f"{n}°") for n in range(4, 11)} <= internal(index, "38")
    assert {("2", "5°"), ("2", "7°"), ("2", "9°")} <= internal(index, "51")  # "de l'article précité"
    assert ("5", "al. 3") in internal(index, "9")
    assert ("31", "I") in internal(index, "32")
    assert ("5", None) in internal(index, "6") and ("37", None) in internal(index, "39")
    cited_by_6 = {c.article.number for c in index.cited_by(DECREE_ID, "6")}
    assert {"15", "20", "21"} <= cited_by_6
    assert {c.article.number for c in index.cited_by(DECREE_ID, "2")} >= {"26", "27", "37", "38", "47", "51"}


def test_external_references_are_named(index: ArticleIndex) -> None:
    def external(n: str) -> set[tuple[str, str | None]]:
        article = index.get(n)
        assert article is not None
        return {(r.text_id, r.article) for r in article.cites if r.external}

    assert ("loi-1.257", "17") in external("2") and ("dir-2001-82-ce", "44") in external("2")
    assert ("dir-90-167-cee", "4") in external("2") and ("am-2003-174", "2") in external("2")
    assert ("os-15.713", None) in external("45")
    assert ("am-2003-173", None) in external("54")
    assert ("am-81-477", "1-15") in external("63")
    assert ("loi-1.257", "18") in external("5") and ("loi-1.257", "19") in external("5")
    # A law article is never mistaken for an article of the decree.
    assert ("17", None) not in internal(index, "2")
    assert "Loi n° 1.257" in index.external_title("loi-1.257")


def test_markdown_article_reader(index: ArticleIndex) -> None:
    article = index.get("R4211-63")
    assert article is not None and article.text_id == "code-de-la-sante-publique"
    assert index.get("R4211-63", "csp") is article
    assert len(article.parts) == 5 and "<" not in article.text
    assert article.parts[1].text.startswith("Ce certificat peut être délivré")
    assert {(r.text_id, r.article) for r in article.cites} == {
        ("code-de-la-sante-publique", "L5121-5"),
        ("code-de-la-sante-publique", "R4211-55"),
    }


def test_markdown_tables_links_and_folder(tmp_path: Path) -> None:
    code = tmp_path / "code-test" / "livre-1"
    code.mkdir(parents=True)
    (code / "article-l1.md").write_text(
        "# Article L1\n\n<div align='left'>Voir l'article <a href='/code-test/livre-1/article-l2.md'>L. 2</a>."
        "<br/><br/><table><tr><th>Taux</th><th>Valeur</th></tr><tr><td>A</td><td>5 %</td></tr></table></div>",
        encoding="utf-8",
    )
    (code / "article-l2.md").write_text("# Article L2\n\nTexte simple.\n\nSecond alinéa.", encoding="utf-8")
    (code / "README.md").write_text("not an article", encoding="utf-8")
    articles = list(read_markdown_tree(tmp_path))
    assert [a.number for a in articles] == ["L1", "L2"]
    first = articles[0]
    assert first.text_id == "code-test"
    assert [p.text for p in first.parts] == ["Voir l'article L. 2.", "Taux | Valeur", "A | 5 %"]
    assert first.cites[0].article == "L2" and not first.cites[0].external
    store = tmp_path / "codes.sqlite3"
    assert CodeStore.build(store, articles) == 2
    index = ArticleIndex([], [], CodeStore(store))
    found = index.get("L2", "code-test")
    assert found is not None and found.parts[1].text == "Second alinéa."
    assert read_markdown_article("no heading", "x") is None


def test_number_keys_and_nearest(index: ArticleIndex) -> None:
    assert number_key("Article Premier") == "1" and number_key("art. 14") == "14"
    assert number_key("R. 4211-63") == "r4211-63" and number_key("l'article 5") == "5"
    assert [a.number for a in index.nearest("65")] == ["64", "63", "62"]
    message = render_article_lookup("99", "fr", index=index)
    assert "Je ne trouve pas" in message and "64" in message
    english = render_article_lookup("R4211-64", "en", index=index)
    assert "R4211-63" in english
    assert render_article_lookup("", "fr", index=index).startswith("Indiquez")


def test_render_shows_place_parts_citations(index: ArticleIndex) -> None:
    text = render_article_lookup("15", index=index)
    assert (
        "Section II. DE L'AUTORISATION D'OUVERTURE — III. De la modification de la demande initiale" in text
    )
    assert "Article 15" in text and "Cite : art. 5 ; art. 6" in text
    assert re.search(r"Cité par : .*art\. 21", render_article_lookup("14", index=index))


def test_decree_reader_on_a_small_page() -> None:
    page = (
        "menu icons\n\nArrêté Ministériel n° 2099-1 du 1er janvier 2099 relatif à un essai.\n"
        "  • N° journal 1\n  • Date de publication 01/01/2099\n"
        "Vu la loi n° 1.257 ;\n\nArrêtons :\n\nSECTION I.\nDU TOUT\n\n\nArticle Premier.\n\nLe texte\n"
        "continue ici.\n\nArt. 2.\n\nVoir l'article premier.\n\nFait à Monaco, le jour.\n\nANNEXES\nImprimer"
    )
    reading = read_decree(page, "am-2099-1")
    assert [a.number for a in reading.articles] == ["1", "2"]
    assert reading.articles[0].parts[0].text == "Le texte continue ici."
    assert ("1", None) in {(r.article, r.part) for r in reading.articles[1].cites}
    assert reading.text.publication == {"journal": "1", "date": "01/01/2099"}
