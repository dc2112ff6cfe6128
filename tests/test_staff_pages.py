"""Staff views are paged: /tickets lists a page of tickets with the way to the next one."""

from __future__ import annotations

from pathlib import Path

from bot.helpdesk import TICKETS_PER_PAGE
from tests.transcript import Chat, Clock, make_helpdesk

STAFF = dict(staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",))


def test_tickets_are_listed_a_page_at_a_time(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    agent = Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")
    count = TICKETS_PER_PAGE * 2 + 3
    for i in range(count):
        Chat(core, user=f"{7000 + i}", transport="telegram", room=f"{7000 + i}").send(f"/human dossier {i}")
    agent.send("/tickets")
    first = agent.text
    assert first.startswith(f"Tickets ouverts : {count}")
    assert first.count("\n#") == TICKETS_PER_PAGE and f"#{count} —" in first  # newest first
    assert "Page 1/3 — la suivante : /tickets 2" in first
    agent.send("/tickets 3")
    last = agent.text
    assert last.count("\n#") == 3 and "\n#1 —" in last and "Page 3/3 (la dernière)" in last
    agent.send("/tickets page 2")
    assert agent.text.count("\n#") == TICKETS_PER_PAGE and f"\n#{count - TICKETS_PER_PAGE} —" in agent.text
    agent.send("/tickets 4")
    assert agent.text == "Il n'y a pas de page « 4 » : les pages vont de 1 à 3."
    agent.send("/close 1")
    agent.send("/tickets 3")
    assert "\n#1 —" not in agent.text  # closed: no longer listed as open
    agent.send("/tickets all 3")
    assert "\n#1 —" in agent.text and "/tickets all 1" in agent.text
    core.close()
