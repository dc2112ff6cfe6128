"""The outbox: reports left in the database are sent once by a bot process, and tried again when sending fails."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import outbox
from bot.messages import Choice, OutgoingFile, Reply, SessionKey
from bot.router import Router
from bot.store import open_store

ANA = SessionKey("telegram", "42", "42")
LEASE = timedelta(seconds=30)


def test_replies_survive_the_round_trip_through_the_database() -> None:
    replies = (
        Reply("📄 scan.pdf", choices=(Choice("Oui", "yes"),)),
        Reply("lettre", file=OutgoingFile("a.pdf", "application/pdf", b"%PDF-1.4 \x00\xff")),
        Reply("ticket", to=SessionKey("matrix", "!staff:gouv.mc", "")),
    )
    assert outbox.decode_replies(outbox.encode_replies(replies)) == replies


def test_a_parcel_is_sent_once_and_a_failed_one_is_tried_again(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with Session(store.engine) as db, db.begin():
        outbox.post(db, ANA, [Reply("📄 report"), Reply("checklist")], source="check:1")
        assert outbox.already_posted(db, "check:1") and not outbox.already_posted(db, "check:2")
    sent: list[str] = []
    failing = True

    async def send(key: SessionKey, reply: Reply) -> None:
        if failing:
            raise ConnectionError("network down")
        sent.append(reply.text)

    router = Router()
    router.register("telegram", send)
    # Sending fails: the parcel stays, set aside for a while, not marked sent.
    assert asyncio.run(outbox.deliver_once(store.engine, router, lease=LEASE)) == 0
    assert outbox.figures(store.engine).waiting == 1
    assert asyncio.run(outbox.deliver_once(store.engine, router, lease=LEASE)) == 0  # not yet due again
    with store.engine.begin() as connection:
        connection.execute(sa.update(outbox.outbox).values(claimed_until=None))
    failing = False
    assert asyncio.run(outbox.deliver_once(store.engine, router, lease=LEASE)) == 1
    assert sent == ["📄 report", "checklist"]
    assert outbox.figures(store.engine).waiting == 0
    assert asyncio.run(outbox.deliver_once(store.engine, router, lease=LEASE)) == 0
    assert sent == ["📄 report", "checklist"]
    store.close()


def test_parcels_for_a_transport_this_process_does_not_run_are_left_to_others(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with Session(store.engine) as db, db.begin():
        outbox.post(db, SessionKey("matrix", "!r:x", "@u:x"), [Reply("report")])
    router = Router()

    async def send(key: SessionKey, reply: Reply) -> None:
        raise AssertionError("not this transport")

    router.register("telegram", send)
    assert asyncio.run(outbox.deliver_once(store.engine, router, lease=LEASE)) == 0
    assert outbox.figures(store.engine).waiting == 1
    store.close()
