"""Matrix findings of issue 13 on a real Synapse: dossiers follow the user from one direct chat to another,
the staff answer reaches the direct chat the user last wrote from, reactions on answers sent before a restart
still count, and an edited message is read as a correction."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.staff import helpdesk_parts
from tests.synapse_harness import MatrixAccount, Synapse
from tests.test_matrix import Person, bot_settings, direct_room, running_bot, unique

pytestmark = pytest.mark.slow


@pytest.fixture
def bot_account(synapse: Synapse) -> MatrixAccount:
    return synapse.register(unique("tbot"))


@pytest.fixture
def user_account(synapse: Synapse) -> MatrixAccount:
    return synapse.register(unique("alice"))


def text_of(parts: list[dict[str, Any]]) -> str:
    return "\n".join(part["body"] for part in parts)


async def test_a_dossier_follows_the_user_to_another_direct_chat_and_so_does_the_staff_answer(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    agent_account = synapse.register(unique("agent"))
    agent = await Person.login(synapse, agent_account)
    try:
        staff_room = await agent.open_room(bot_account.user_id, direct=False)
        settings = replace(
            bot_settings(synapse, bot_account, tmp_path),
            staff=(f"matrix:{agent_account.user_id}",),
            staff_rooms=(f"matrix:{staff_room}",),
        )
        async with (
            running_bot(settings, bot_account),
            direct_room(synapse, user_account, bot_account) as (person, first),
        ):
            await agent.membership_of(staff_room, bot_account.user_id, "join")
            assert "Dossier n° 1" in text_of(await person.exchange(first, "/dossier modification"))
            assert "prénom" in text_of(await person.exchange(first, "Dupont"))
            asked = await person.exchange(first, "/human Où envoyer le dossier ?")
            assert "#1" in text_of(asked)

            second = await person.open_room(bot_account.user_id)
            await person.membership_of(second, bot_account.user_id, "join")
            status = text_of(await person.exchange(second, "/status"))
            assert "Dossier n° 1" in status and "Réponses : 1 sur" in status

            await agent.wait_for(
                staff_room,
                lambda events: any("Ticket #1" in e.get("content", {}).get("body", "") for e in events),
                "the ticket",
            )
            # A staff room of two (the agent and the bot) is still a staff room, not a direct chat.
            await agent.say(staff_room, "#1 Déposez-le au guichet numéro 7.")

            def relayed(events: list[dict[str, Any]]) -> bool:
                return any(
                    "guichet numéro 7" in e.get("content", {}).get("body", "")
                    for e in events
                    if e.get("sender") == bot_account.user_id
                )

            await person.wait_for(second, relayed, "the staff answer in the chat written from last")
            assert not relayed(person.events[first])
    finally:
        await agent.close()


async def test_a_reaction_to_an_answer_sent_before_a_restart_is_feedback(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    person = await Person.login(synapse, user_account)
    try:
        async with running_bot(settings, bot_account):
            room = await person.open_room(bot_account.user_id)
            await person.membership_of(room, bot_account.user_id, "join")
            question = await person.say(room, "Combien d'assistants pour un distributeur de 150 personnes ?")
            (answer,) = [
                e
                for e in (await person.answer_to(room, question), person.events[room])[1]
                if e.get("content", {}).get("org.vetpharma.response_to") == question
            ]
        async with running_bot(settings, bot_account) as running:
            reaction = await person.client.room_send(
                room,
                "m.reaction",
                {"m.relates_to": {"rel_type": "m.annotation", "event_id": answer["event_id"], "key": "👎"}},
            )
            await person.answer_to(room, reaction.event_id)  # type: ignore[union-attr]
            analytics, _ = helpdesk_parts(settings, running.core.inner.store)
            assert analytics.figures(days=1).feedback_down == 1
    finally:
        await person.close()


async def test_an_edit_of_the_last_answer_corrects_it(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        await person.exchange(room, "/dossier modification")
        typo = await person.say(room, "Dupnot")
        assert "prénom" in text_of(await person.answer_to(room, typo))
        # As Element sends an edit: a fallback body with "* ", the new content, and the replaced event.
        edit = await person.send(
            room,
            {
                "msgtype": "m.text",
                "body": "* Dupont",
                "m.new_content": {"msgtype": "m.text", "body": "Dupont"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": typo},
            },
        )
        corrected = text_of(await person.answer_to(room, edit))
        assert "corrigé" in corrected and "Dupont" in corrected and "prénom" in corrected
        (dossier,) = running.core.inner.store.dossiers(running.core.seen[-1].key)
        assert "Dupont" in dossier.answers.values() and "Dupnot" not in dossier.answers.values()
        # An edit of an older message is not the last answer: ignored.
        assert "Étape 3/" in text_of(await person.exchange(room, "Marie"))
        late = await person.send(
            room,
            {
                "msgtype": "m.text",
                "body": "* Durand",
                "m.new_content": {"msgtype": "m.text", "body": "Durand"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": typo},
            },
        )
        after = await person.say(room, "/status")
        await person.answer_to(room, after)
        assert person.answers(room, late) == []


async def test_a_question_shows_typing_and_sizes_have_a_decimal(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    from tests.test_matrix_crash import WatchingPerson

    settings = bot_settings(synapse, bot_account, tmp_path, typing_delay=0.0)
    person = await WatchingPerson.login(synapse, user_account)
    assert isinstance(person, WatchingPerson)
    seen_typing: set[str] = set()
    try:
        async with running_bot(settings, bot_account):
            room = await person.open_room(bot_account.user_id)
            await person.membership_of(room, bot_account.user_id, "join")
            question = await person.say(room, "Combien d'assistants pour un distributeur de 150 personnes ?")
            while not person.complete(room, question):
                await person.pump(200)
                seen_typing |= person.typing
            assert bot_account.user_id in seen_typing
            # 20.9 MB announced: refused before downloading, with its size as users read it.
            big = await person.send(
                room,
                {
                    "msgtype": "m.file",
                    "body": "scan.pdf",
                    "url": "mxc://vetpharma.test/none",
                    "info": {"mimetype": "application/pdf", "size": int(20.9 * 1024 * 1024)},
                },
            )
            refused = text_of(await person.answer_to(room, big))
            assert "20,9 Mo" in refused and "20,0 Mo" in refused
    finally:
        await person.close()
