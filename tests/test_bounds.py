"""Bounds on what one user can make the helpdesk keep and relay: /human repeated, long notes, /ticket."""

from __future__ import annotations

import json
from pathlib import Path

from bot.messages import SessionKey
from tests.transcript import Chat, Clock, make_helpdesk

STAFF = dict(staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",))
STAFF_ROOM = SessionKey("matrix", "!staff:gouv.mc", "")


def test_human_repeated_is_relayed_once_and_the_ticket_stays_small(tmp_path: Path) -> None:
    clock = Clock()
    core = make_helpdesk(tmp_path, clock, **STAFF)
    user = Chat(core, user="7001", transport="telegram", room="7001")
    agent = Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")
    relayed = 0
    for _ in range(60):
        user.send("/human")
        relayed += len(user.to(STAFF_ROOM))
    assert relayed == 2  # the ticket, then one reminder
    assert "qui sait que vous attendez une réponse" in user.text
    clock.advance(minutes=11)
    user.send("/human")
    assert len(user.to(STAFF_ROOM)) == 1  # a later reminder is relayed again
    for i in range(150):
        user.send(f"/human message {i} " + "x" * 3000)
    record = core.store.open_handoff(user.key)
    assert record is not None
    assert len(record.context["messages"]) == 100
    assert len(json.dumps(record.context)) < 150_000
    agent.send(f"/ticket {record.number}")
    assert "message 149" in agent.text and "message 100 " not in agent.text
    assert "(120 message(s) plus ancien(s) non affiché(s))" in agent.text
    assert len(agent.text) < 40_000
