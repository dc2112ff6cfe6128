"""The SQL store: sessions and dossiers survive a reopen, belong to one user, and can be deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.messages import SessionKey
from bot.store import COMPLETED, IN_PROGRESS, SessionState, Store, open_store
from tests import postgres_server
from tests.transcript import Chat, answer_every_question, pdf_text, spec

ALICE = SessionKey("matrix", "!room:example.org", "@alice:example.org")
BOB = SessionKey("matrix", "!room:example.org", "@bob:example.org")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on the default SQLite file and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sub' / 'store.sqlite3'}"
    return postgres_server.fresh_database(request.getfixturevalue("postgres"))


def test_a_new_session_is_not_stored_until_saved(url: str) -> None:
    store = open_store(url)
    session = store.load_session(ALICE, "fr")
    assert session.lang == "fr" and not store.session_exists(ALICE)
    store.save_session(session)
    assert store.session_exists(ALICE)


def test_session_and_dossier_survive_a_reopen(url: str) -> None:
    store = open_store(url)
    dossier = store.create_dossier(ALICE, "opening")
    dossier = store.save_dossier(
        replace(
            dossier,
            answers={"owner": "company", "categories": ["1", "5"], "premises": True},
            history=("owner",),
        )
    )
    store.save_session(
        SessionState(
            key=ALICE,
            lang="en",
            lang_explicit=True,
            active_dossier=dossier.id,
            offered=(("Yes", "yes"), ("No", "no")),
            keep_files=True,
        ).remember("hello")
    )
    store.close()

    reopened = open_store(url)
    session = reopened.load_session(ALICE, "fr")
    assert (session.lang, session.lang_explicit, session.active_dossier) == ("en", True, dossier.id)
    assert session.offered == (("Yes", "yes"), ("No", "no"))
    assert session.keep_files and session.recent == ("hello",)
    again = reopened.dossier(ALICE, dossier.id)
    assert again is not None
    assert again.answers == {"owner": "company", "categories": ["1", "5"], "premises": True}
    assert again.history == ("owner",) and again.status == IN_PROGRESS


def test_dossiers_are_numbered_per_user_and_private(url: str) -> None:
    store = open_store(url)
    first = store.create_dossier(ALICE, "opening")
    second = store.create_dossier(ALICE, "transfer")
    bobs = store.create_dossier(BOB, "modification")
    assert (first.number, second.number, bobs.number) == (1, 2, 1)
    assert [d.kind for d in store.dossiers(ALICE)] == ["opening", "transfer"]
    assert store.dossier(BOB, first.id) is None
    assert store.dossier_by_number(BOB, 2) is None
    found = store.dossier_by_number(ALICE, 2)
    assert found is not None and found.id == second.id


def test_completion_is_dated_and_unknown_statuses_refused(url: str) -> None:
    store = open_store(url)
    dossier = store.create_dossier(ALICE, "opening")
    done = store.save_dossier(replace(dossier, status=COMPLETED))
    assert done.completed_at is not None
    with pytest.raises(ValueError):
        store.save_dossier(replace(dossier, status="lost"))


def test_recent_messages_are_bounded(url: str) -> None:
    session = SessionState(key=ALICE, lang="fr")
    for i in range(25):
        session = session.remember(f"message {i}")
    assert len(session.recent) == 10 and session.recent[-1] == "message 24"
    assert session.remember("").recent == session.recent


def test_checks_and_files(url: str) -> None:
    store = open_store(url)
    dossier = store.create_dossier(ALICE, "opening")
    store.add_check(dossier.id, ["diplome.pdf"], {"pieces": [{"id": "diploma", "status": "present"}]})
    assert store.checks(dossier.id)[0].report["pieces"][0]["status"] == "present"
    pending = store.add_file(ALICE, None, "scan.pdf", "application/pdf", b"%PDF-1.4")
    kept = store.add_file(ALICE, dossier.id, "bail.pdf", "application/pdf", b"%PDF-1.7")
    assert [f.id for f in store.files(ALICE, None)] == [pending.id]
    assert [f.data for f in store.files(ALICE, dossier.id)] == [b"%PDF-1.7"]
    assert store.files(BOB, None) == []
    assert store.delete_files([pending.id, kept.id]) == 2
    assert store.files(ALICE, dossier.id) == []


def test_forget_user_deletes_every_row_of_that_user_only(url: str) -> None:
    store = open_store(url)
    for key in (ALICE, replace(ALICE, chat="!other:example.org"), BOB):
        store.save_session(SessionState(key=key, lang="fr"))
        dossier = store.create_dossier(key, "opening")
        store.add_check(dossier.id, ["a.pdf"], {"pieces": []})
        store.add_file(key, dossier.id, "a.pdf", "application/pdf", b"data")
        store.add_file(key, None, "b.pdf", "application/pdf", b"data")
        store.add_handoff(key, "fr", {"recent": ["help"]})
    before_bob = store.count_rows(BOB.transport, BOB.user)
    done = store.forget_user(ALICE.transport, ALICE.user)
    assert (done.sessions, done.dossiers, done.checks, done.files, done.handoffs) == (2, 2, 2, 4, 2)
    assert store.count_rows(ALICE.transport, ALICE.user) == 0
    assert store.count_rows(BOB.transport, BOB.user) == before_bob == 6


def test_purge_inactive_applies_the_retention(url: str) -> None:
    store = open_store(url)
    for key in (ALICE, BOB):
        store.save_session(SessionState(key=key, lang="fr"))
        store.create_dossier(key, "opening")
    now = datetime.now(UTC).replace(tzinfo=None)
    old = now - timedelta(days=40)
    with store.engine.begin() as db:
        db.execute(
            sa.text('UPDATE sessions SET updated_at = :old WHERE "user" = :user'),
            {"old": old, "user": ALICE.user},
        )
    done = store.purge_inactive(now - timedelta(days=30))
    assert done.sessions == 1 and done.dossiers == 1
    assert store.count_rows(ALICE.transport, ALICE.user) == 0
    assert store.count_rows(BOB.transport, BOB.user) == 2


def test_store_accepts_in_memory_sqlite() -> None:
    store = Store("sqlite:///:memory:")
    store.save_session(SessionState(key=ALICE, lang="en"))
    assert store.load_session(ALICE, "fr").lang == "en"


def test_a_whole_dossier_on_this_store_with_a_restart_in_the_middle(url: str, tmp_path: Path) -> None:
    from bot.core import Core
    from bot.settings import Settings

    settings = Settings(data_dir=str(tmp_path), database_url=url)
    chat = Chat(Core(settings, open_store(url)))
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.send("Marie")
    chat.core.store.close()
    chat = Chat(Core(settings, open_store(url)))
    chat.send("/dossier")
    assert "Étape 3/" in chat.text
    answers = {
        "responsible_civility": "Madame",
        "responsible_nationality": "monégasque",
        "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
        "responsible_profession": "1",
        "owner": "2",
        "owner_last_name": "Dupont",
        "owner_first_name": "Marie",
        "establishment_address": "5 rue de l'Industrie, Fontvieille",
        "annex_addresses": "aucune",
        "categories": "5",
    }
    answer_every_question(chat, spec("opening"), "fr", answers)
    chat.send("valider")
    chat.send("oui")  # the letter with the pieces "à joindre"
    letter = next(r.file for r in chat.replies if r.file is not None and r.file.name.startswith("demande-"))
    assert "Marie DUPONT" in pdf_text(letter.data)
