"""Telegram transport (python-telegram-bot v22): updates in as ``Incoming``, ``Reply`` out as messages.

The only package that imports ``telegram`` (one module a concern: ``addressing``, ``keyboards``, ``media``,
``transport``, ``webhook``, ``service``). It is also the ``vetpharma telegram`` command.
"""

from __future__ import annotations

import argparse

from bot.adapters import base
from bot.adapters.base import utf16_len
from bot.adapters.telegram.addressing import (
    MAX_MESSAGE_UTF16,
    TRANSPORT,
    Addressing,
    address,
    split_message,
)
from bot.adapters.telegram.keyboards import MAX_CALLBACK_BYTES, ChoiceCallbacks, PendingChoice
from bot.adapters.telegram.service import run_transport
from bot.adapters.telegram.transport import MENU_COMMANDS, TelegramTransport, build_application
from bot.adapters.telegram.webhook import WebhookServer
from bot.settings import Settings

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_MESSAGE_UTF16",
    "MENU_COMMANDS",
    "TRANSPORT",
    "Addressing",
    "ChoiceCallbacks",
    "PendingChoice",
    "TelegramTransport",
    "WebhookServer",
    "address",
    "build_application",
    "configure",
    "configured",
    "run",
    "run_transport",
    "split_message",
    "utf16_len",
]


def configured(settings: Settings) -> bool:
    """Tell whether the settings give this transport what it needs to run (a Telegram bot token)."""
    return settings.telegram_configured


# ---- the `vetpharma telegram` command -------------------------------------------------------

configure = base.configure_command


def run(args: argparse.Namespace) -> int:
    """Run the Telegram bot until interrupted."""
    return base.run_command(
        args,
        TRANSPORT,
        configured,
        "vetpharma telegram: no bot token. Set TELEGRAM_BOT_TOKEN (or VETPHARMA_TELEGRAM_TOKEN, "
        "or [telegram] token in the settings file); BotFather gives one with /newbot.",
        to_stdout=True,
    )
