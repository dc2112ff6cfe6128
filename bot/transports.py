"""The one registry of chat transports: a new transport is its adapter, its settings section and one entry here.

Each entry names the adapter module, which exposes ``configured(settings)`` (whether the settings give it what
it needs), ``run_transport(settings, dispatcher, router, stop)``, and ``configure(parser)`` / ``run(args)`` for
its own ``vetpharma <name>`` command. ``bot.serve`` runs the configured ones, ``vetpharma run`` (``make run``)
falls back to the terminal chat when none is, and ``bot.cli`` lists their commands.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Transport:
    """One chat transport: its name, its adapter module, its command's help line, and what configures it."""

    name: str
    module: str
    summary: str
    needs: str


TRANSPORTS: tuple[Transport, ...] = (
    Transport(
        "telegram",
        "bot.adapters.telegram",
        "run the Telegram bot",
        "TELEGRAM_BOT_TOKEN for Telegram",
    ),
    Transport(
        "matrix",
        "bot.adapters.matrix",
        "run the Matrix bot",
        "VETPHARMA_MATRIX_HOMESERVER, VETPHARMA_MATRIX_USER_ID and VETPHARMA_MATRIX_PASSWORD (or _ACCESS_TOKEN) "
        "for Matrix",
    ),
)


def adapter_modules() -> dict[str, str]:
    """Return each transport's adapter module, by name, in the registry's order."""
    return {transport.name: transport.module for transport in TRANSPORTS}


def how_to_configure() -> str:
    """Say what to set to configure a transport ("Set A for Telegram, or B for Matrix")."""
    return "Set " + ", or ".join(transport.needs for transport in TRANSPORTS)
