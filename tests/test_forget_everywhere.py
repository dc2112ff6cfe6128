"""/forget reaches every table that names the user, on SQLite and PostgreSQL: sessions, dossiers, reports,
files, tickets, the shared limits (rate counters, check usage), the outbox and the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot import outbox, recovery
from bot.messages import Reply, SessionKey
from bot.quotas import owner_of, rate_limiter
from bot.store import CheckUsage, Inbox, RateCounters, Store, open_store
from tests import postgres_server

ALICE = SessionKey("telegram", "100", "100")
BOB = SessionKey("telegram", "200", "200")
NOW = datetime(2026, 11, 29, 10, 0, 0)
# Every table of the store that names a user, as ``Store.user_rows`` counts them.
PER_USER_TABLES = {
    "sessions",
    "dossiers",
    "files",
    "handoffs",
    "rate_counters",
    "check_usage",
    "outbox",
    "inbox",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same tests on a SQLite file and on a real PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        url = postgres_server.fresh_database(request.getfixturevalue("postgres"))
    opened = open_store(url, clock=lambda: NOW)
    yield opened
    opened.close()


def _leave_traces(store: Store, key: SessionKey, tag: str) -> None:
    """A user who wrote, built a dossier, had a check counted and reported, asked for a person."""
    state = store.load_session(key, "fr")
    store.save_session(state.remember("bonjour"))
    dossier = store.create_dossier(key, "opening")
    store.add_check(dossier.id, ["plan.pdf"], {"complete": False})
    store.add_file(key, None, "plan.pdf", "application/pdf", b"%PDF-1.4 " + tag.encode())
    store.add_handoff(key, "fr", {"recent": ["bonjour"]})
    RateCounters(store).update(key.transport, key.user, lambda window: (window, None))
    CheckUsage(store).reserve(owner_of(key), 2.0)
    with store._tx() as db:
        outbox.post(db, key, [Reply(f"rapport {tag}")], source=f"job:{tag}")
    inbox = Inbox(store)
    assert inbox.record(key.transport, f"{tag}-answered", key, {"text": "bonjour"})
    inbox.done(key.transport, f"{tag}-answered")
    # The /forget itself, pending while it is being answered.
    assert inbox.record(key.transport, f"{tag}-forget", key, {"text": "/forget"})


def test_forget_clears_every_table_that_names_the_user(store: Store) -> None:
    _leave_traces(store, ALICE, "alice")
    _leave_traces(store, BOB, "bob")
    before = store.user_rows(ALICE.transport, ALICE.user)
    assert set(before) == PER_USER_TABLES
    assert all(count >= 1 for count in before.values()), before  # so the test can fail
    bob_before = store.user_rows(BOB.transport, BOB.user)

    done = store.forget_user(ALICE.transport, ALICE.user)
    recovery.forget(store, ALICE.transport, ALICE.user)

    after = store.user_rows(ALICE.transport, ALICE.user)
    # Only the message being answered (the /forget) still names her, until it is answered and purged.
    assert after == {**dict.fromkeys(PER_USER_TABLES, 0), "inbox": 1}
    assert [m.message_id for m in Inbox(store).pending(ALICE.transport)] == ["alice-forget", "bob-forget"]
    assert done.limits == 2 and done.messages == 2  # counter + usage; outbox reply + answered message
    assert store.user_rows(BOB.transport, BOB.user) == bob_before
    # Her answered message keeps its id only: delivered again, it is still refused.
    assert not Inbox(store).record(ALICE.transport, "alice-answered", ALICE, {"text": "bonjour"})
    # Her rate limit starts afresh; Bob's count is his own.
    assert RateCounters(store).window(ALICE.transport, ALICE.user).hits == ()
    assert CheckUsage(store).since(owner_of(ALICE), NOW) == []
    assert len(CheckUsage(store).since(owner_of(BOB), NOW)) == 1


def test_the_shared_rate_limit_forgets_the_user_through_the_store(store: Store) -> None:
    """On PostgreSQL the core counts messages in ``rate_counters``; after /forget, no row of hers is left."""
    limiter = rate_limiter(10, store, lambda: NOW)
    for _ in range(3):
        limiter.allow(ALICE)
    store.forget_user(ALICE.transport, ALICE.user)
    assert store.user_rows(ALICE.transport, ALICE.user)["rate_counters"] == 0
