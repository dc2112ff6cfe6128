"""The helpdesk over a real Synapse: a staff member answers a ticket by replying to the ticket message in the
staff room, and a 👎 reaction to an answer is recorded as feedback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.matrix import RESPONSE_TO_KEY
from bot.staff import helpdesk_parts
from tests.synapse_harness import MatrixAccount, Synapse
from tests.test_matrix import Person, bot_settings, direct_room, running_bot, unique

pytestmark = pytest.mark.slow


@pytest.fixture
def bot_account(synapse: Synapse) -> MatrixAccount:
    return synapse.register(unique("helpbot"))


@pytest.fixture
def user_account(synapse: Synapse) -> MatrixAccount:
    return synapse.register(unique("bob"))


def answer_events(person: Person, room: str, question: str) -> list[dict[str, Any]]:
    """Return the bot's events answering ``question`` (whole events, with their ids)."""
    return [
        e
        for e in person.events.get(room, [])
        if e.get("type") == "m.room.message" and e["content"].get(RESPONSE_TO_KEY) == question
    ]


async def test_staff_reply_in_the_staff_room_is_relayed_to_the_user(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    staff_account = synapse.register(unique("agent"))
    staff = await Person.login(synapse, staff_account)
    try:
        # The staff room exists (and the bot is invited) before the bot starts: its id goes in the settings.
        staff_room = await staff.open_room(bot_account.user_id, direct=False)
        settings = replace(
            bot_settings(synapse, bot_account, tmp_path),
            staff=(f"matrix:{staff_account.user_id}",),
            staff_rooms=(f"matrix:{staff_room}",),
        )
        async with (
            running_bot(settings, bot_account),
            direct_room(synapse, user_account, bot_account) as (person, room),
        ):
            await staff.membership_of(staff_room, bot_account.user_id, "join")
            asked = await person.say(room, "/human Mon dossier de transfert est-il complet ?")
            await person.answer_to(room, asked)

            def ticket_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
                return [
                    e
                    for e in events
                    if e.get("sender") == bot_account.user_id
                    and e.get("type") == "m.room.message"
                    and "Ticket #1" in e["content"].get("body", "")
                ]

            await staff.wait_for(staff_room, lambda events: bool(ticket_events(events)), "the ticket")
            ticket = ticket_events(staff.events[staff_room])[0]
            assert "transfert est-il complet" in ticket["content"]["body"]
            # A plain Matrix reply to the ticket message (no command), as Element sends it.
            await staff.send(
                staff_room,
                {
                    "msgtype": "m.text",
                    "body": "> <@bot> Ticket #1\n\nIl manque les procès-verbaux de l'article 20 c).",
                    "m.relates_to": {"m.in_reply_to": {"event_id": ticket["event_id"]}},
                },
            )

            def relayed(events: list[dict[str, Any]]) -> bool:
                return any(
                    "Il manque les procès-verbaux de l'article 20 c)." in e.get("content", {}).get("body", "")
                    for e in events
                    if e.get("sender") == bot_account.user_id
                )

            await person.wait_for(room, relayed, "the staff answer")
    finally:
        await staff.close()


async def test_a_thumbs_down_reaction_is_recorded_as_feedback(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        question = await person.say(room, "Combien d'assistants pour un distributeur de 150 personnes ?")
        await person.answer_to(room, question)
        answer = answer_events(person, room, question)[-1]
        assert "👎" in answer["content"]["body"]
        reaction = await person.client.room_send(
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": answer["event_id"], "key": "👎\ufe0f"}},
        )
        reaction_id = reaction.event_id  # type: ignore[union-attr]
        await person.answer_to(room, reaction_id)
        analytics, _ = helpdesk_parts(settings, running.core.inner.store)
        assert analytics.figures(days=1).feedback_down == 1
        assert [q.feedback for q in analytics.unanswered()] == ["down"]
        # A reaction to a message that is not the bot's, or another emoji, is not feedback.
        await person.client.room_send(
            room,
            "m.reaction",
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": question, "key": "👍"}},
        )
        hello = await person.say(room, "merci")
        await person.answer_to(room, hello)
        assert analytics.figures(days=1).feedback_up == 0
