"""One record of incoming updates: the webhook guard and the long-polling/Matrix inbox share the inbox table."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cluster import update_guard
from bot.messages import SessionKey
from bot.store import INBOX_DONE, INBOX_PENDING, Inbox, open_store
from tests import postgres_server

KEY = SessionKey("telegram", "42", "42")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return postgres_server.fresh_database(request.getfixturevalue("postgres"))


async def test_a_webhook_update_is_recorded_pending_then_done_and_refused_when_sent_again(url: str) -> None:
    store = open_store(url)
    inbox = Inbox(store)
    guard = update_guard(url, inbox)
    try:
        async with guard.once("telegram", "7", "42") as fresh:
            assert fresh
            assert inbox.status("telegram", "7") == INBOX_PENDING  # recorded before it is handled
        assert inbox.status("telegram", "7") == INBOX_DONE
        async with guard.once("telegram", "7", "42") as fresh:
            assert not fresh  # Telegram's redelivery of an answered update
    finally:
        await guard.close()
        store.close()


async def test_a_pending_update_left_by_a_dead_process_is_handled_again(url: str) -> None:
    store = open_store(url)
    inbox = Inbox(store)
    # A process recorded it, then died before answering: Telegram posts it again, to another process.
    assert inbox.record("telegram", "8", KEY, {})
    guard = update_guard(url, inbox)
    try:
        async with guard.once("telegram", "8", "42") as fresh:
            assert fresh
        assert inbox.status("telegram", "8") == INBOX_DONE
    finally:
        await guard.close()
        store.close()


async def test_an_update_answered_by_long_polling_is_not_answered_again_by_a_webhook(url: str) -> None:
    store = open_store(url)
    inbox = Inbox(store)
    assert inbox.record("telegram", "9", KEY, {"update_id": 9})
    inbox.done("telegram", "9")
    guard = update_guard(url, inbox)
    try:
        async with guard.once("telegram", "9", "42") as fresh:
            assert not fresh
    finally:
        await guard.close()
        store.close()
