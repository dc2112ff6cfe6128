"""Running the Telegram bot: getMe retried, then long polling or the webhook until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.adapters.telegram.addressing import TRANSPORT
from bot.adapters.telegram.transport import ALLOWED_UPDATES, TelegramTransport
from bot.adapters.telegram.webhook import WebhookServer, _set_webhook
from bot.cluster import update_guard
from bot.dispatch import Dispatcher
from bot.router import Router
from bot.settings import Settings

log = logging.getLogger("bot.adapters.telegram")  # one logger for the whole adapter


async def _initialize(application: Application, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """Call getMe until it works (network trouble is retried; a bad token is not); False if stopped."""
    delay = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise
        except NetworkError as exc:
            log.warning("Telegram unreachable (%s); retrying in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 60.0)
    return False


async def run_transport(
    settings: Settings, dispatcher: Dispatcher, router: Router, stop: asyncio.Event
) -> None:
    """Run the Telegram bot until ``stop`` is set (long polling, or a webhook when configured)."""
    transport = TelegramTransport(settings, dispatcher, router)
    application = transport.application
    if not await _initialize(application, stop):
        transport.close()
        return
    updater = application.updater
    assert updater is not None
    webhook: WebhookServer | None = None
    try:
        await application.start()
        await transport.register_commands()
        await transport.replay_pending()
        tg = settings.telegram
        if tg.webhook_url:
            # setWebhook hands the secret to Telegram, which sends it back on every call. Processes behind one
            # balancer share a configured one; a single process may draw a fresh one each start.
            secret = tg.webhook_secret or secrets.token_urlsafe(32)
            webhook = WebhookServer(
                transport, update_guard(settings.effective_database_url, transport.inbox), secret
            )
            await webhook.start(tg.webhook_listen, tg.webhook_port, urlsplit(tg.webhook_url).path or "/")
            await _set_webhook(application, tg.webhook_url, secret, stop)
            log.info("telegram: webhook on %s:%d", tg.webhook_listen, tg.webhook_port)
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=5)
            log.info("telegram: long polling as @%s", application.bot.username)
        # Registered once updates flow: until then nobody can be answered anyway.
        router.register(TRANSPORT, transport.send)
        await stop.wait()
    finally:
        router.unregister(TRANSPORT)
        if webhook is not None:
            await webhook.stop()
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        transport.close()
