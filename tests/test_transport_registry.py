"""The registry of chat transports: every entry is a complete adapter, and a new one is one entry away."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import pytest

from bot import transports
from bot.cli import COMMANDS
from bot.run_command import uses_terminal
from bot.serve import configured_transports, run_transports
from bot.settings import Settings
from bot.transports import TRANSPORTS, Transport

# A transport as a newcomer would write one: the adapter module only. It answers one message and stops.
ECHO_ADAPTER = '''
"""A one-message transport for the registry test."""

from __future__ import annotations

import asyncio

from bot.messages import Incoming, SessionKey

said: list[str] = []


def configured(settings: object) -> bool:
    return True


async def run_transport(settings: object, dispatcher: object, router: object, stop: asyncio.Event) -> None:
    replies = await dispatcher.handle(Incoming(SessionKey("echo", "7", "7"), "/start"))  # type: ignore[attr-defined]
    said.extend(reply.message_id or reply.text for reply in replies)
    stop.set()
'''


def test_every_registered_transport_is_a_complete_adapter() -> None:
    for transport in TRANSPORTS:
        module = importlib.import_module(transport.module)
        for name in ("configured", "run_transport", "configure", "run"):
            assert callable(getattr(module, name)), f"{transport.module} has no {name}()"
        # Its own command: ``vetpharma <name>``.
        assert COMMANDS[transport.name] == (transport.module, transport.summary)


async def test_a_new_transport_is_its_adapter_and_one_registry_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "echo_transport.py").write_text(ECHO_ADAPTER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = Transport("echo", "echo_transport", "run the echo bot", "ECHO_TOKEN for Echo")
    monkeypatch.setattr(transports, "TRANSPORTS", (*TRANSPORTS, entry))
    settings = Settings(data_dir=str(tmp_path / "data"))
    assert configured_transports(settings) == ["echo"]
    assert not uses_terminal(settings)  # ``make run`` starts it instead of the terminal chat
    assert "ECHO_TOKEN for Echo" in transports.how_to_configure()
    assert await run_transports(settings, asyncio.Event(), ["echo"]) == 0
    said = sys.modules["echo_transport"].said
    assert said == ["welcome"]  # the core's welcome, through the shared dispatcher
