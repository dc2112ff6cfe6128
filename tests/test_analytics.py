"""The question log and figures: feedback stored with its question, local days, anonymised rows, totals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import events as ev
from bot.analytics import Analytics
from bot.app import build_core
from bot.core import Core
from bot.messages import SessionKey
from bot.settings import HelpdeskSettings, Settings
from bot.store import open_store
from tests import postgres_server
from tests.transcript import Chat, Clock, make_helpdesk

STAFF = dict(staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",))
QUESTION = "combien d'assistants pour un fabricant de 80 personnes ?"


def _rows(core: Core, table: str) -> list[dict[str, Any]]:
    with core.store.engine.connect() as db:
        return [dict(r._mapping) for r in db.execute(sa.text(f'SELECT * FROM "{table}"'))]


def test_feedback_is_stored_with_the_question(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), helpdesk=HelpdeskSettings(low_confidence=0.0), **STAFF)
    alice = Chat(core)
    alice.send("combien d'assistants pour un fabricant de 80 personnes ?")
    up, down = alice.last.choices
    assert (up.label, down.label) == ("👍 Utile", "👎 Pas utile")
    assert all(len(c.value.encode()) <= 64 for c in alice.last.choices)  # Telegram's callback data limit
    alice.send(down.value)
    (row,) = _rows(core, "analytics_questions")
    assert (row["text"], row["feedback"], row["user"]) == (
        "combien d'assistants pour un fabricant de 80 personnes ?",
        "down",
        "alice",
    )
    alice.send(up.value)  # a change of mind counts once
    (row,) = _rows(core, "analytics_questions")
    assert row["feedback"] == "up"
    # In a dossier the answer is followed by the dossier's question: no feedback buttons to confuse numbers.
    alice.send("/dossier modification")
    alice.send("combien d'assistants pour un fabricant de 80 personnes ?")
    assert all(not c.value.startswith("/feedback") for r in alice.replies for c in r.choices)


def test_figures_follow_the_office_days(tmp_path: Path) -> None:
    # 23:30 UTC on Monday 17/11 is already Tuesday 18/11 in Monaco.
    clock = Clock()
    clock.now = clock.now.replace(day=17, hour=23, minute=30)
    core = make_helpdesk(tmp_path, clock, **STAFF)
    Chat(core, user="alice", transport="telegram", room="alice").send(QUESTION)
    clock.advance(hours=10)
    figures = Analytics(core.store, clock=clock).figures(2)
    assert [(d.day.isoformat(), d.questions) for d in figures.per_day] == [
        ("2025-11-17", 0),
        ("2025-11-18", 1),
    ]
    assert figures.last_day - figures.first_day == timedelta(days=1)


def test_feedback_can_be_typed_as_the_emoji(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), helpdesk=HelpdeskSettings(low_confidence=0.0), **STAFF)
    # On Matrix the buttons are a numbered list: a 👎 typed (or a reaction mapped to it) is the same answer.
    john = Chat(core, user="@john:example.org", transport="matrix", room="!dm:example.org")
    john.send(QUESTION)
    john.send("👎")
    assert "sera relue par le personnel" in john.text
    assert [c.value for c in john.last.choices] == ["/human unanswered"]
    (row,) = _rows(core, "analytics_questions")
    assert row["feedback"] == "down"
    agent = Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")
    agent.send("/unanswered")
    assert f"« {QUESTION} » — 👎 jugée pas utile" in agent.text
    john.send("👍")  # nothing offered any more: just a message, no feedback recorded
    (row,) = _rows(core, "analytics_questions")
    assert row["feedback"] == "down"


def test_feedback_without_the_helpdesk_or_turned_off_is_not_offered(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), helpdesk=HelpdeskSettings(feedback=False), **STAFF)
    alice = Chat(core)
    alice.send(QUESTION)
    assert alice.last.choices == ()
    alice.send("/feedback nonsense")
    assert alice.text.startswith("Pour donner votre avis sur une réponse")


ALICE = SessionKey("telegram", "1", "alice")


def test_rows_are_anonymised_and_totals_survive(tmp_path: Path) -> None:
    clock = Clock()
    core = make_helpdesk(tmp_path, clock, **STAFF)
    analytics = Analytics(core.store, clock=clock)
    analytics.record(
        ev.Event(
            ev.QUESTION,
            ALICE,
            "fr",
            {
                "text": "q1",
                "answered": True,
                "confidence": 0.9,
                "citations": [{"text": "am-2003-175", "article": "6"}],
                "ref": "r1",
            },
        )
    )
    analytics.record(
        ev.Event(ev.QUESTION, ALICE, "fr", {"text": "q2", "answered": False, "confidence": 0.1, "ref": "r2"})
    )
    analytics.record(ev.Event(ev.DOSSIER_STARTED, ALICE, "fr", {"kind": "opening", "number": 1}))
    analytics.record(
        ev.Event(ev.CHECK, ALICE, "fr", {"kind": "opening", "files": 3, "pieces": {"diploma": "present"}})
    )
    analytics.record(ev.Event(ev.HANDOFF, ALICE, "fr", {"ticket": 4, "reason": "unanswered"}))
    analytics.record(ev.Event(ev.HANDOFF, ALICE, "fr", {"ticket": 4, "reason": "unanswered"}))  # asked again
    with pytest.raises(ValueError):
        analytics.set_feedback("r1", ALICE, "sideways")
    assert analytics.set_feedback("r1", SessionKey("telegram", "1", "mallory"), "down") is None
    liked = analytics.set_feedback("r1", ALICE, "up")
    assert liked is not None and liked.articles == ("art. 6",)
    assert analytics.count_identified("telegram", "alice") == 6

    clock.advance(days=3)
    assert analytics.purge_identities(clock.now - timedelta(days=2)) == 6
    assert analytics.count_identified("telegram", "alice") == 0
    assert analytics.set_feedback("r1", ALICE, "down") is None  # nobody owns it any more
    totals = analytics.totals()
    assert totals.questions == {True: 1, False: 1}
    assert totals.feedback == {"up": 1}
    assert totals.dossiers == {("dossier_started", "opening"): 1}
    assert (totals.checks, totals.files_checked, totals.handoffs) == (1, 3, {"unanswered": 1})
    figures = analytics.figures(7)
    assert (figures.questions, figures.answered, figures.tickets_opened) == (2, 1, 1)
    assert figures.top_articles == (("art. 6", 1),)
    assert [q.text for q in analytics.unanswered()] == ["q2"]


def test_the_helpdesk_runs_on_postgresql(tmp_path: Path, postgres: str) -> None:
    clock = Clock()
    url = postgres_server.fresh_database(postgres)
    settings = Settings(data_dir=str(tmp_path), database_url=url, **STAFF)
    core = build_core(settings, store=open_store(url, clock=clock))
    try:
        alice = Chat(core, user="alice", transport="telegram", room="alice")
        agent = Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")
        alice.send(QUESTION)
        alice.send("2")  # 👎
        alice.send("/dossier opening")
        alice.send("/human")
        agent.send("/reply 1 Bonjour")
        assert "Bonjour" in agent.to(alice.key)[0].text
        agent.send("/stats")
        assert "Questions : 1, dont 1 avec une réponse (100 %)" in agent.text
        assert "tickets ouverts en ce moment : 1" in agent.text
        agent.send("/unanswered")
        assert QUESTION in agent.text
        analytics = Analytics(core.store, clock=clock)
        assert analytics.totals().feedback == {"down": 1}
        alice.send("/forget yes")
        assert core.store.count_rows("telegram", "alice") == 0
        assert analytics.count_identified("telegram", "alice") == 0
        clock.advance(days=40)
        assert analytics.purge_identities(clock.now) == 0  # nothing left to anonymise
    finally:
        core.close()
