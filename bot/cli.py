"""The ``vetpharma`` command: each sub-command lives in its own module, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.transports import TRANSPORTS

# name -> (module, one-line help). Each module exposes configure(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "bot.run_command",
        "start the configured transports, or the terminal chat when none is configured",
    ),
    "chat": ("bot.adapters.console", "talk to the assistant in the terminal"),
    "ask": ("bot.ask_command", "answer questions (argument, or one per stdin line)"),
    "check": ("dossier_checker.cli", "check dossier PDFs for every required piece"),
    "article": ("knowledge.cli", "print one article of the decree or of another loaded text"),
    "index": ("knowledge.index_command", "build the stored article index"),
    # One command a chat transport (``vetpharma telegram``, ``vetpharma matrix``), from the registry.
    **{transport.name: (transport.module, transport.summary) for transport in TRANSPORTS},
    "serve": ("bot.serve", "run every configured transport in one process"),
    "stats": ("bot.staff_command", "print usage figures for ministry staff"),
    "db": ("bot.db_command", "show or upgrade the database schema (migrations)"),
    "worker": ("bot.worker_command", "run queued document checks (PostgreSQL task queue)"),
}


def _usage() -> str:
    lines = ["usage: vetpharma COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the sub-command named first on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    name = args[0]
    if name not in COMMANDS:
        print(f"vetpharma: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, text = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"vetpharma {name}: not available in this version.", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog=f"vetpharma {name}", description=text)
    module.configure(parser)
    parsed = parser.parse_args(args[1:])
    from bot.settings import SettingsError  # after the sub-command's own imports, which load it anyway

    try:
        result: int = module.run(parsed)
    except SettingsError as exc:
        print(f"vetpharma {name}: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
