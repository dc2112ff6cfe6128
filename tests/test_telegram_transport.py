"""Telegram findings of issue 13, each on the real python-telegram-bot stack against the Bot API stand-in:
a burst past the rate limit, edited messages, the command menu, size wording, a clean stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.messages import Choice, Incoming, Reply
from bot.settings import HelpdeskSettings
from tests.telegram_standin import BotApiStandIn, make_settings, running_bot, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = 7301


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


async def test_a_burst_past_the_rate_limit_gets_every_message_answered_or_told_when(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    settings = replace(make_settings(standin, tmp_path), helpdesk=HelpdeskSettings(rate_limit_per_minute=5))
    user = standin.user(USER)
    async with running_bot(standin, settings):
        for n in range(12):
            await standin.send_text(user, f"/whoami {n}")
        sent = await standin.wait_for_messages(USER, 12)
        answered = [m for m in sent if "telegram:" in m.text]
        told = [m for m in sent if "Renvoyez-le dans" in m.text]
        assert len(answered) == 5 and len(told) == 7, [m.text[:60] for m in sent]
        # Each message not read is quoted back, so the user knows which ones to send again.
        quoted = {m.text.split("« ")[1].split(" »")[0] for m in told}
        assert len(quoted) == 7 and quoted <= {f"/whoami {n}" for n in range(12)}


async def test_stopping_is_clean_no_error_logged(
    standin: BotApiStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.send_text(user, "/whoami")
        await standin.wait_for_messages(USER, 1)
        # Stopped while a long poll is waiting for updates, as a service manager's SIGTERM would.
        await standin.wait_until(lambda: len(standin.calls_to("getUpdates")) >= 2)
    errors = [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]
    assert errors == [], [(r.name, r.getMessage()) for r in errors]


class Chooser:
    """A conversation offering a choice whose value is too long for a button (so it travels as a token)."""

    LONG = "/dossier " + "transfert partiel d'une partie de l'activité de distribution en gros " * 2

    def __init__(self) -> None:
        self.received: list[str] = []

    def handle(self, incoming: Incoming) -> list[Reply]:
        self.received.append(incoming.text)
        return [Reply("Lequel ?", choices=(Choice("Transfert partiel", self.LONG),))]


async def test_a_button_sent_before_a_restart_still_works(standin: BotApiStandIn, tmp_path: Path) -> None:
    settings = make_settings(standin, tmp_path)
    user = standin.user(USER)
    async with running_bot(standin, settings, core=Chooser()):
        await standin.send_text(user, "bonjour")
        (question,) = await standin.wait_for_messages(USER, 1)
    ((_label, data),) = question.buttons
    assert data.startswith("#")  # a token, not the value itself
    after = Chooser()
    async with running_bot(standin, settings, core=after):
        await standin.press_button(user, question, data)
        await standin.wait_until(lambda: bool(after.received))
    assert after.received == [Chooser.LONG]


async def test_an_edited_last_answer_is_a_correction(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.send_text(user, "/dossier modification")
        await standin.wait_until(lambda: any("Étape 1/" in m.text for m in standin.sent_to(USER)))
        count = standin.count_sent(USER)
        typo = await standin.send_text(user, "Dupnot")
        await standin.wait_until(lambda: standin.count_sent(USER) > count)
        assert "prénom" in standin.sent_to(USER)[-1].text
        count = standin.count_sent(USER)
        await standin.push_update(
            {"edited_message": {**typo, "text": "Dupont", "edit_date": typo["date"] + 5}}
        )
        await standin.wait_until(lambda: standin.count_sent(USER) > count)
        corrected = standin.sent_to(USER)[-1].text
        assert "corrigé" in corrected and "Dupont" in corrected and "prénom" in corrected


async def test_size_wording_has_one_colon_and_a_decimal(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.send_document(user, "scan.pdf", b"%PDF-1.4 x", announced_size=int(20.9 * 1024 * 1024))
        (reply,) = await standin.wait_for_messages(USER, 1, 30)
    assert "« scan.pdf » fait 20,9 Mo" in reply.text and "plus de 20,0 Mo" in reply.text
    assert reply.text.count(" : ") <= 1, reply.text


async def test_a_chosen_label_with_a_check_mark_gets_no_second_one(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    class Confirm:
        def handle(self, incoming: Incoming) -> list[Reply]:
            return [Reply("Tout est exact ?", choices=(Choice("✅ Valider", "valider"),))]

    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path), core=Confirm()):
        await standin.send_text(user, "bonjour")
        (question,) = await standin.wait_for_messages(USER, 1)
        await standin.press_button(user, question, question.buttons[0][1])
        await standin.wait_until(lambda: bool(standin.edits_in(USER)))
    edited = standin.edits_in(USER)[0].text
    assert edited.endswith("✅ Valider") and "✅ ✅" not in edited


async def test_a_slow_answer_shows_typing(standin: BotApiStandIn, tmp_path: Path) -> None:
    settings = make_settings(standin, tmp_path, typing_delay=0.0)
    user = standin.user(USER)
    async with running_bot(standin, settings):
        await standin.send_text(user, "Combien d'assistants pour un distributeur de 150 personnes ?")
        await standin.wait_for_messages(USER, 1, 60)
    (action,) = {c.params.get("action") for c in standin.calls_to("sendChatAction")}
    assert action == "typing"
