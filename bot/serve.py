"""``vetpharma serve``: every configured transport in one process, sharing one core and one dispatcher."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from bot import recovery
from bot.app import build_core
from bot.dispatch import Dispatcher
from bot.router import Router
from bot.settings import Settings, load_settings
from bot.transports import adapter_modules, how_to_configure
from bot.workspace import start_up

log = logging.getLogger(__name__)

# Libraries whose INFO lines are per request or per event (nio logs every sync and room event; bm25s sets its
# own logger to DEBUG): only their warnings reach the bot's log.
NOISY_LIBRARIES = (
    "httpx",
    "httpcore",
    "aiohttp.access",
    "tornado.access",
    "nio",
    "bm25s",
    "peewee",
    "PIL",
    "pdfminer",
)
TransportRunner = Callable[[Settings, Dispatcher, Router, asyncio.Event], Coroutine[Any, Any, None]]


def configured_transports(settings: Settings) -> list[str]:
    """Names of the transports the settings give credentials for (each adapter says so itself)."""
    names = []
    # The one registry (``bot.transports``): each adapter module says whether the settings configure it.
    for name, module_name in adapter_modules().items():
        configured: Callable[[Settings], bool] = importlib.import_module(module_name).configured
        if configured(settings):
            names.append(name)
    return names


def _runner(name: str) -> TransportRunner:
    module = importlib.import_module(adapter_modules()[name])
    runner: TransportRunner = module.run_transport
    return runner


async def run_transports(
    settings: Settings, stop: asyncio.Event, transports: Sequence[str] | None = None
) -> int:
    """Run the chosen (default: all configured) transports until ``stop`` is set; 1 if one of them fails."""
    names = [n for n in configured_transports(settings) if transports is None or n in transports]
    if not names:
        log.error("no transport configured (%s)", how_to_configure())
        return 2
    core = build_core(settings)
    # The models load while the transports connect; "ready" is logged once a question waits for nothing.
    core.questions.warm_up_in_background()
    threading.Thread(target=_log_when_ready, args=(core.questions.ready,), daemon=True).start()
    # Uploads a crash cut short during their check are checked again before the transports start (and
    # before their inboxes replay what was received): their reports wait in the outbox, delivered below.
    resumed = await asyncio.to_thread(recovery.recover, core, names)
    dispatcher = Dispatcher(core, warm=core.questions.ready)
    router = Router()
    tasks: dict[asyncio.Task[None], str] = {
        asyncio.create_task(_runner(name)(settings, dispatcher, router, stop), name=f"transport-{name}"): name
        for name in names
    }
    delivering = None
    if settings.queue.enabled or resumed:
        # Reports of checks done by workers wait in the database: this process sends its share of them.
        from bot.outbox import deliver_forever

        lease = timedelta(seconds=settings.queue.outbox_lease_seconds)
        every = settings.queue.outbox_poll_seconds
        delivering = asyncio.create_task(
            deliver_forever(core.store.engine, router, stop, every=every, lease=lease)
        )
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({*tasks, stopping}, return_when=asyncio.FIRST_COMPLETED)
    failed = False
    ended_early = {task for task in tasks if task in done}
    for task in ended_early:
        # A transport ending on its own is a failure (bad token, server gone): stop the others too, and
        # let the service manager restart the whole process.
        error = task.exception()
        if error is not None or not stop.is_set():
            failed = True
            log.error("transport %s stopped: %s", tasks[task], error or "ended", exc_info=error)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, BaseException) and task not in ended_early:
            failed = True
            log.error("transport %s failed while stopping", tasks[task], exc_info=result)
    stopping.cancel()
    if delivering is not None:
        await delivering
    # Let the answers in hand finish, then release the core's resources (metrics endpoint, database).
    await asyncio.to_thread(dispatcher.close)
    core.close()
    return 1 if failed else 0


def _log_when_ready(ready: threading.Event) -> None:
    ready.wait()
    log.info("ready: models loaded, questions are answered at once")


async def _serve_until_signal(settings: Settings, transports: Sequence[str] | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # platforms without signal handlers in the loop
            loop.add_signal_handler(signum, stop.set)
    return await run_transports(settings, stop, transports)


def configure_logging(settings: Settings) -> None:
    """Log at the configured level; never the HTTP client's request lines (the bot token is in the URL)."""
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in NOISY_LIBRARIES:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A library that sets its own level on import (bm25s) is still held back, by the handlers themselves.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LibraryNoiseFilter) for f in handler.filters):
            handler.addFilter(LibraryNoiseFilter())


class LibraryNoiseFilter(logging.Filter):
    """Drop the records of noisy libraries below WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record unless a noisy library logged it below WARNING."""
        if record.levelno >= logging.WARNING:
            return True
        return not any(record.name == n or record.name.startswith(n + ".") for n in NOISY_LIBRARIES)


def serve(settings: Settings, transports: Sequence[str] | None = None) -> int:
    """Run the configured transports until SIGINT or SIGTERM; return the process exit status."""
    configure_logging(settings)
    names = [n for n in configured_transports(settings) if transports is None or n in transports]
    if not names:
        print(f"vetpharma: no transport configured. {how_to_configure()}; see the README.")
        return 2
    refused = start_up(settings.data_dir, settings.effective_database_url, settings.default_language)
    if refused is not None:
        print(refused, file=sys.stderr)
        return 2
    log.info("starting: %s", ", ".join(names))
    return asyncio.run(_serve_until_signal(settings, transports))


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )


def run(args: argparse.Namespace) -> int:
    """Run every configured transport in one process."""
    return serve(load_settings(args.config))
