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
    first = agent.text
    assert (
        first.startswith(f"Ticket #{record.number}") and len(first) < 4096
    )  # one message on every transport
    assert "(50 message(s) plus ancien(s) non affiché(s))" in first  # the 100 latest are kept
    pages = int(first.rsplit("Page 1/", 1)[1].split(" ", 1)[0])
    shown = [first]
    for page in range(2, pages + 1):
        agent.send(f"/ticket {record.number} {page}")
        assert len(agent.text) < 4096 and f"Page {page}/{pages}" in agent.text
        shown.append(agent.text)
    whole = "\n".join(shown)
    assert all(f"message {i} " in whole for i in range(50, 150)) and "message 49 " not in whole
    assert whole.index("message 50 ") < whole.index("message 149 ")  # in the order written
    assert f"la première : /ticket {record.number} 1" in shown[-1]
    agent.send(f"/ticket {record.number} {pages + 1}")
    assert agent.text == f"Il n'y a pas de page « {pages + 1} » : les pages vont de 1 à {pages}."


def test_two_processes_creating_one_users_dossiers_never_collide(tmp_path: Path) -> None:
    import threading

    from bot.store import open_store

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    stores = [open_store(url), open_store(url)]  # two bot processes on one database
    key = SessionKey("telegram", "7001", "7001")
    numbers: list[int] = []
    errors: list[BaseException] = []

    def create(store_index: int) -> None:
        for _ in range(40):
            try:
                numbers.append(stores[store_index].create_dossier(key, "opening").number)
            except BaseException as exc:  # counted: none expected
                errors.append(exc)

    threads = [threading.Thread(target=create, args=(i % 2,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == [] and sorted(numbers) == list(range(1, 161))
