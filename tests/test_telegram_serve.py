"""``vetpharma serve`` and ``vetpharma telegram`` around the Telegram transport, and the reply router."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters import telegram as telegram_command
from bot.messages import Reply, SessionKey
from bot.router import Router
from bot.serve import configured_transports, run_transports
from bot.settings import Settings, TelegramSettings
from tests.telegram_standin import TOKEN, BotApiStandIn, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALICE = SessionKey("telegram", "1", "1")
AGENT = SessionKey("matrix", "!room", "@agent:gouv.mc")


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


def telegram_settings(standin: BotApiStandIn, data_dir: Path, token: str = TOKEN) -> Settings:
    return Settings(
        data_dir=str(data_dir),
        telegram=TelegramSettings(
            token=token, base_url=standin.base_url, base_file_url=standin.base_file_url
        ),
    )


async def test_router_sends_each_reply_to_its_session_on_its_transport() -> None:
    sent: list[tuple[str, SessionKey, str]] = []

    def transport(name: str):  # type: ignore[no-untyped-def]
        async def send(key: SessionKey, reply: Reply) -> None:
            sent.append((name, key, reply.text))

        return send

    router = Router()
    router.register("telegram", transport("telegram"))
    router.register("matrix", transport("matrix"))
    results = await router.deliver_all([Reply("à vous"), Reply("un usager attend", to=AGENT)], ALICE)
    assert sent == [("telegram", ALICE, "à vous"), ("matrix", AGENT, "un usager attend")]
    assert all(r.delivered for r in results)


async def test_router_reports_what_it_could_not_deliver() -> None:
    async def broken(key: SessionKey, reply: Reply) -> None:
        raise ConnectionError("bot blocked")

    router = Router()
    router.register("telegram", broken)
    failed, missing = await router.deliver_all([Reply("a"), Reply("b", to=AGENT)], ALICE)
    assert (failed.delivered, failed.reason) == (False, "ConnectionError")
    assert not missing.delivered and missing.key == AGENT and "matrix" in (missing.reason or "")


async def test_configured_transports_follow_the_settings() -> None:
    assert configured_transports(Settings()) == []
    assert configured_transports(Settings(telegram=TelegramSettings(token="1:x"))) == ["telegram"]


async def test_serve_runs_telegram_until_stopped(standin: BotApiStandIn, tmp_path: Path) -> None:
    stop = asyncio.Event()
    serving = asyncio.create_task(run_transports(telegram_settings(standin, tmp_path), stop))
    user = standin.user(4242)
    await standin.wait_until(lambda: bool(standin.calls_to("getUpdates")))
    await standin.send_text(user, "/article 14")
    (reply,) = await standin.wait_for_messages(4242, 1)
    assert "Ministre d'Etat" in reply.text
    stop.set()
    assert await asyncio.wait_for(serving, 30) == 0


async def test_serve_fails_when_telegram_refuses_the_token(standin: BotApiStandIn, tmp_path: Path) -> None:
    stop = asyncio.Event()
    status = await asyncio.wait_for(
        run_transports(telegram_settings(standin, tmp_path, token="999:wrong"), stop), 30
    )
    assert status == 1
    assert [c.status for c in standin.calls_to("getMe")] == [401]


async def test_serve_without_any_transport_says_so(tmp_path: Path) -> None:
    assert await run_transports(Settings(data_dir=str(tmp_path)), asyncio.Event()) == 2


async def test_telegram_command_without_token_explains_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    for name in ("TELEGRAM_BOT_TOKEN", "VETPHARMA_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert telegram_command.run(argparse.Namespace(config=str(empty))) == 2
    assert "BotFather" in capsys.readouterr().out
