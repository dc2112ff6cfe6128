"""``vetpharma run`` (``make run``): the configured chat transports, or the terminal chat when there are none."""

from __future__ import annotations

import argparse
import importlib
import sys

from bot.settings import Settings, load_settings
from bot.transports import how_to_configure


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vetpharma run``."""
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )
    parser.add_argument(
        "--terminal", action="store_true", help="chat in the terminal even when a transport is configured"
    )


def uses_terminal(settings: Settings) -> bool:
    """Tell whether ``run`` falls back to the terminal chat (no transport of the registry is configured)."""
    from bot.serve import configured_transports

    return not configured_transports(settings)


def run(args: argparse.Namespace) -> int:
    """Start the configured transports (Telegram, Matrix), else the terminal chat."""
    settings = load_settings(args.config)
    if args.terminal or uses_terminal(settings):
        from bot.adapters.console import chat_with_settings

        if sys.stdin.isatty():
            print(
                "vetpharma: no chat transport configured, starting the terminal chat (/quit to leave). "
                f"{how_to_configure()}; see the README.",
                file=sys.stderr,
            )
        return chat_with_settings(settings)
    serve = importlib.import_module("bot.serve").serve
    status: int = serve(settings)
    return status
