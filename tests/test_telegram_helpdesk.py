"""Ticket round trip over Telegram: the user asks for a person, staff reply to the ticket message in the
staff group (a plain Telegram reply, no command), and the answer reaches the user; feedback buttons count."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.telegram_standin import BotApiStandIn, make_settings, running_bot, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER, STAFF, STAFF_GROUP = 7001, 7900, -1007900


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


async def test_staff_reply_to_the_ticket_message_reaches_the_user(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    settings = dataclasses.replace(
        make_settings(standin, tmp_path),
        staff=(f"telegram:{STAFF}",),
        staff_rooms=(f"telegram:{STAFF_GROUP}",),
    )
    user, staff = standin.user(USER, "Marie"), standin.user(STAFF, "Agent")
    group = standin.group_chat(STAFF_GROUP, "Helpdesk")
    async with running_bot(standin, settings):
        await standin.send_text(user, "/human Ma demande d'ouverture est-elle recevable ?")
        [ticket] = await standin.wait_for_messages(STAFF_GROUP, 1)
        assert "Ticket #1" in ticket.text and "recevable" in ticket.text
        # A plain reply to the bot's ticket message, as staff do in the Telegram app.
        await standin.send_text(
            staff,
            "Oui, si toutes les pièces de l'article 6 sont jointes.",
            chat=group,
            reply_to=standin.message(STAFF_GROUP, ticket.message_id),
        )
        await standin.wait_until(
            lambda: any(
                "si toutes les pièces de l'article 6 sont jointes" in m.text for m in standin.sent_to(USER)
            )
        )
        # Staff see a confirmation in their group.
        await standin.wait_until(lambda: standin.count_sent(STAFF_GROUP) >= 2)
        assert any("#1" in m.text for m in standin.sent_to(STAFF_GROUP)[1:])


async def test_a_reply_to_another_users_message_is_not_a_ticket_reply(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    settings = dataclasses.replace(
        make_settings(standin, tmp_path),
        staff=(f"telegram:{STAFF}",),
        staff_rooms=(f"telegram:{STAFF_GROUP}",),
    )
    user, staff = standin.user(USER, "Marie"), standin.user(STAFF, "Agent")
    group = standin.group_chat(STAFF_GROUP, "Helpdesk")
    async with running_bot(standin, settings):
        await standin.send_text(user, "/human bonjour")
        await standin.wait_for_messages(STAFF_GROUP, 1)
        colleague = await standin.send_text(staff, "Je m'en occupe", chat=group)
        before = standin.count_sent(USER)
        # Replying to a colleague (not to the bot) is group chatter: nothing reaches the user.
        await standin.send_text(standin.user(7901, "Autre"), "merci", chat=group, reply_to=colleague)
        await standin.send_text(user, "/status")
        await standin.wait_until(lambda: standin.count_sent(USER) > before)
        assert not any("merci" in m.text for m in standin.sent_to(USER)[before:])


async def test_feedback_button_under_an_answer_is_recorded(standin: BotApiStandIn, tmp_path: Path) -> None:
    from bot.app import build_core
    from bot.staff import helpdesk_parts

    settings = make_settings(standin, tmp_path)
    core = build_core(settings)
    user = standin.user(USER, "Marie")
    async with running_bot(standin, settings, core):
        await standin.send_text(user, "Combien d'assistants pour un distributeur de 150 personnes ?")
        await standin.wait_until(lambda: any(m.buttons for m in standin.sent_to(USER)), timeout=60)
        answer = next(m for m in standin.sent_to(USER) if m.buttons)
        down = next(data for label, data in answer.buttons if "👎" in label)
        await standin.press_button(user, answer, down)
        await standin.wait_until(lambda: bool(standin.edits_in(USER)))
        await standin.wait_until(lambda: standin.count_sent(USER) >= 2)
    analytics, _ = helpdesk_parts(settings, core.store)
    figures = analytics.figures(days=1)
    assert (figures.feedback_up, figures.feedback_down) == (0, 1)
    assert [q.feedback for q in analytics.unanswered()] == ["down"]
