"""Staff commands: refused to everyone else; /stats, /unanswered, `vetpharma stats` and /metrics agree with what happened."""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.analytics import Analytics, article_label
from bot.cli import main
from bot.core import Core
from bot.metrics import start_metrics_server
from bot.questions import Questions
from bot.settings import HelpdeskSettings, Settings
from tests.test_core_transcripts import ANSWERS
from tests.transcript import DIPLOMA_LINES, Chat, Clock, answer_every_question, make_helpdesk, spec, text_pdf

STAFF = dict(staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",))
ANSWERABLE = (
    "combien d'assistants pour un fabricant de 80 personnes ?",
    "Quel est le rôle du pharmacien responsable ?",
)
UNANSWERABLE = "Quel est le prix d'un kilo de tomates au marché ?"


def agent_of(core: Core) -> Chat:
    return Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")


@pytest.mark.parametrize(
    "command", ["/stats", "/statistiques 30", "/unanswered", "/tickets", "/ticket 1", "/close 1"]
)
def test_staff_commands_are_refused_politely_to_other_users(tmp_path: Path, command: str) -> None:
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    marie = Chat(core, user="7001", transport="telegram", room="7001")
    marie.send("/human")
    marie.send(command)
    assert marie.text == (
        "Désolé, cette commande est réservée au personnel du ministère. "
        "Tapez /help pour voir ce que je peux faire pour vous."
    )
    assert all(r.to is None for r in marie.replies)
    # In the staff room itself, someone who is not a staff account is refused too.
    visitor = Chat(core, user="@visitor:gouv.mc", transport="matrix", room="!staff:gouv.mc")
    visitor.send("/lang en")
    visitor.send(command)
    assert visitor.text.startswith("Sorry, this command is reserved for the ministry's staff.")


def _first_article(question: str) -> str:
    answered = Questions().answer(question, "fr")
    assert answered is not None and answered.answered and answered.citations
    return article_label(answered.citations[0])


def test_stats_count_what_happened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock.real()
    clock.advance(days=-1)
    yesterday = clock.now
    core = make_helpdesk(tmp_path, clock, helpdesk=HelpdeskSettings(low_confidence=0.0), **STAFF)
    alice = Chat(core, user="alice", transport="telegram", room="alice")
    bob = Chat(core, user="@bob:example.org", transport="matrix", room="!dm:example.org")
    agent = agent_of(core)

    # Yesterday: one answered question, liked; a modification dossier completed with one check.
    alice.send(ANSWERABLE[0])
    assert [c.label for c in alice.last.choices] == ["👍 Utile", "👎 Pas utile"]
    alice.send("1")
    assert alice.text == "Merci pour votre avis !"
    alice.send("/dossier modification")
    alice.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    answer_every_question(alice, spec("modification"), "fr", ANSWERS["fr"])
    alice.send("valider")
    alice.send("oui")  # the letter with the pieces "à joindre"
    assert "est complet" in alice.text

    # Today: an answered question disliked, an unanswered one, an opening dossier abandoned, a ticket.
    clock.advance(days=1)
    bob.send(ANSWERABLE[1])
    bob.send("👎")
    assert "sera relue par le personnel" in bob.text
    bob.send(UNANSWERABLE)
    assert [c.value for c in bob.last.choices] == ["/human unanswered"]
    bob.send("/dossier opening")
    bob.send("/cancel yes")
    bob.send("/human")

    agent.send("/stats")
    stats = agent.text
    day_1, day_2 = (d.strftime("%d/%m") for d in (yesterday, clock.now))
    assert (
        "Questions : 3, dont 2 avec une réponse (67 %) ; 0 réponse(s) de confiance faible ; avis : 👍 1, 👎 1."
        in stats
    )
    assert f"{day_1} 1 · {day_2} 2" in stats
    top = sorted({_first_article(ANSWERABLE[0]), _first_article(ANSWERABLE[1])})
    listed = re.search(r"Articles les plus demandés : (.*)", stats)
    assert listed is not None and sorted(re.findall(r"(art\. \S+) \(1\)", listed.group(1))) == top
    assert "Dossiers : 2 commencé(s), 1 terminé(s), 1 abandonné(s)" in stats
    assert "Vérifications de documents : 1 (1 fichier(s))." in stats
    assert "Demandes de contact : 1 sur la période ; tickets ouverts en ce moment : 1." in stats

    agent.send("/stats 1")
    assert "Questions : 2, dont 1 avec une réponse (50 %)" in agent.text
    assert "Dossiers : 1 commencé(s), 0 terminé(s), 1 abandonné(s)" in agent.text

    # The review list: the unanswered question and the disliked answer, not the liked one.
    agent.send("/unanswered")
    review = agent.text
    assert "Questions à relire, les plus récentes d'abord (2) :" in review
    assert f"« {UNANSWERABLE} » — sans réponse" in review
    assert f"« {ANSWERABLE[1]} » — 👎 jugée pas utile" in review
    assert ANSWERABLE[0] not in review
    assert "alice" not in review and "@bob" not in review  # questions are reviewed without their askers

    agent.send("/tickets")
    assert "Tickets ouverts : 1" in agent.text and "#1 — " in agent.text

    # The command line reads the same database: the same figures, as text and as JSON.
    config = tmp_path / "vetpharma.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[helpdesk]\nlow_confidence = 0.0\n', encoding="utf-8")
    assert main(["stats", "--config", str(config), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["questions"], figures["answered"], figures["answered_share"]) == (3, 2, 0.6667)
    assert figures["feedback"] == {"up": 1, "down": 1}
    assert figures["dossiers"]["started"] == 2 and figures["dossiers"]["completed"] == 1
    assert figures["dossiers"]["started_by_kind"] == {"modification": 1, "opening": 1}
    assert (figures["checks"], figures["files_checked"], figures["open_tickets"]) == (1, 1, 1)
    assert sorted(a["article"] for a in figures["top_articles"]) == top
    assert [q["question"] for q in figures["unanswered"]] == [UNANSWERABLE, ANSWERABLE[1]]
    assert [t["reason"] for t in figures["tickets"]] == ["command"]
    assert "alice" not in json.dumps(figures) and "bob" not in json.dumps(figures)
    assert main(["stats", "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "Questions : 3, dont 2 avec une réponse (67 %)" in printed
    assert f"« {UNANSWERABLE} » — sans réponse" in printed
    assert main(["stats", "--config", str(config), "--lang", "en", "--days", "1"]) == 0
    assert "Questions: 2, 1 of them answered (50%)" in capsys.readouterr().out


def test_unanswered_lists_answers_below_the_confidence_threshold(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), helpdesk=HelpdeskSettings(low_confidence=0.999), **STAFF)
    alice = Chat(core, user="alice", transport="telegram", room="alice")
    alice.send(ANSWERABLE[1])  # a searched answer (a computed one may be surer than 0.999)
    agent = agent_of(core)
    agent.send("/unanswered")
    assert re.search(rf"« {re.escape(ANSWERABLE[1])} » — confiance 0,\d\d", agent.text)
    agent.send("/stats")
    assert "1 réponse(s) de confiance faible" in agent.text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(port: int, path: str = "/metrics") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return str(response.read().decode())


def test_metrics_endpoint_serves_the_same_counts(tmp_path: Path) -> None:
    port = _free_port()
    core = make_helpdesk(tmp_path, Clock(), helpdesk=HelpdeskSettings(metrics_port=port), **STAFF)
    try:
        alice = Chat(core, user="alice", transport="telegram", room="alice")
        alice.send(ANSWERABLE[0])
        alice.send("2")  # 👎
        alice.send(UNANSWERABLE)
        alice.send("/dossier transfer")
        alice.send("/human")
        metrics = _scrape(port)
        assert "# TYPE vetpharma_questions_total counter" in metrics
        assert 'vetpharma_questions_total{answered="true"} 1' in metrics
        assert 'vetpharma_questions_total{answered="false"} 1' in metrics
        assert 'vetpharma_feedback_total{value="down"} 1' in metrics
        assert 'vetpharma_dossiers_started_total{kind="transfer"} 1' in metrics
        assert 'vetpharma_handoffs_total{reason="command"} 1' in metrics
        assert "vetpharma_tickets_open 1" in metrics
        assert "alice" not in metrics
        with pytest.raises(urllib.error.HTTPError) as missing:
            _scrape(port, "/")
        assert missing.value.code == 404
    finally:
        core.close()
    with pytest.raises(OSError):
        _scrape(port)


def test_metrics_server_can_be_started_by_the_transports(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    analytics = Analytics(core.store)
    server = start_metrics_server(Settings(data_dir=str(tmp_path)), analytics, port=0)
    try:
        assert "vetpharma_tickets_open 0" in _scrape(server.port)
    finally:
        server.close()
        core.close()


def test_help_shows_staff_commands_to_staff_only(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    marie = Chat(core, user="7001", transport="telegram", room="7001")
    marie.send("/help")
    assert "/dossier" in marie.text and "/stats" not in marie.text and "/reply" not in marie.text
    agent = agent_of(core)
    agent.send("/aide")
    assert "Commandes du personnel du ministère" in agent.text
    assert "/reply N texte" in agent.text and "/stats [jours]" in agent.text
