"""Webhook mode: several bot processes behind a balancer, each update answered once, health checks."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application

from bot.adapters.telegram.addressing import TRANSPORT
from bot.adapters.telegram.transport import ALLOWED_UPDATES, TelegramTransport
from bot.cluster import UpdateGuard

log = logging.getLogger("bot.adapters.telegram")  # one logger for the whole adapter


async def _set_webhook(application: Application, url: str, secret: str, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """Tell Telegram where to post updates (every process of a deployment says the same)."""
    for attempt in range(6):
        try:
            await application.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            return
        except NetworkError as exc:
            if attempt == 5 or stop.is_set():
                raise
            log.warning("setWebhook failed (%s); retrying", exc)
            await asyncio.sleep(2**attempt)


class WebhookServer:
    """Receives Telegram's webhook calls and answers each only once its update is handled.

    python-telegram-bot's own server answers 200 as soon as an update is queued, so a process that dies
    then loses it. Here the answer comes after the replies were sent and the update recorded (by the
    guard, which also keeps one user's updates in order across processes): a process killed mid-way gets
    no answer, and Telegram sends the update again, to whichever process the balancer picks. It also
    serves ``/health/alive`` and ``/health/ready`` for the balancer and the service manager.
    """

    def __init__(self, transport: TelegramTransport, guard: UpdateGuard, secret: str) -> None:
        self.transport = transport
        self.guard = guard
        self.secret = secret
        self.stopping = False
        self.in_flight = 0
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self, listen: str, port: int, path: str) -> None:
        """Listen for webhook calls on ``path`` and health checks under ``/health/``."""
        app = tornado.web.Application(
            [
                (r"/health/(alive|ready)", _HealthHandler, {"hook": self}),
                (re.escape(path), _UpdateHandler, {"hook": self}),
            ]
        )
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=16 * 1024 * 1024)
        self._server.listen(port, address=listen)

    async def stop(self, grace: float = 30.0) -> None:
        """Stop taking calls (the balancer sends them elsewhere) and finish those in hand."""
        self.stopping = True
        if self._server is not None:
            self._server.stop()
        for _ in range(int(grace * 10)):
            if not self.in_flight:
                break
            await asyncio.sleep(0.1)
        if self._server is not None:
            await self._server.close_all_connections()
        await self.guard.close()

    async def ready(self) -> bool:
        """Tell whether this process should get updates: running, and the database answers."""
        return not self.stopping and self.transport.application.running and await self.guard.ready()

    async def handle(self, data: object) -> int:
        """Handle one posted update once; return the HTTP status to answer."""
        application = self.transport.application
        update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
        if update is None:
            return 400
        sender = update.effective_user or update.effective_chat
        who = str(sender.id) if sender is not None else ""
        async with self.guard.once(TRANSPORT, str(update.update_id), who) as fresh:
            if fresh:
                await application.process_update(update)
        return 200


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, hook: WebhookServer) -> None:
        self.hook = hook

    async def post(self) -> None:
        header = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(header, self.hook.secret):
            self.set_status(403)
            return
        if self.hook.stopping:
            self.set_status(503)  # Telegram sends it again, the balancer to another process
            return
        try:
            data = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            return
        self.hook.in_flight += 1
        try:
            self.set_status(await self.hook.handle(data))
        except Exception:
            log.exception("a webhook update could not be handled")
            self.set_status(500)
        finally:
            self.hook.in_flight -= 1

    def log_exception(self, *args: object) -> None:
        log.warning("webhook request failed")


class _HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    def initialize(self, hook: WebhookServer) -> None:
        self.hook = hook

    async def get(self, which: str) -> None:
        healthy = True if which == "alive" else await self.hook.ready()
        self.set_status(200 if healthy else 503)
        self.write("ok\n" if healthy else "not ready\n")
