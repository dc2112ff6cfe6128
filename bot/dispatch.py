"""Async bridge for adapters: one message at a time per session, the core run in worker threads."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.conversation import Conversation
from bot.faults import log_failure
from bot.i18n import both_languages
from bot.messages import Incoming, Reply, SessionKey

log = logging.getLogger(__name__)


def fallback_error() -> str:
    """Say, in both languages (the user's is not known here), that an internal error stopped the answer."""
    return both_languages("internal_error_retry")


class Dispatcher:
    """Serialises messages per session and keeps every message answered, even on an internal error.

    Uploads (a document check can take seconds of OCR) run on their own small pool, so a few dossiers being
    checked never hold up the questions of everyone else.
    """

    # Upload threads mostly wait for the checker's own pool, which shares its workers fairly between users:
    # enough of them that one user's uploads never queue another's behind them here.
    def __init__(
        self,
        core: Conversation,
        *,
        text_workers: int = 8,
        upload_workers: int = 16,
        warm: threading.Event | None = None,
    ) -> None:
        self.core = core
        # Set once the core's models are loaded (None: nothing to wait for); a standby contends only then.
        self.warm = warm
        self._locks: dict[SessionKey, asyncio.Lock] = {}
        self._waiting: dict[SessionKey, int] = {}
        self._text_pool = ThreadPoolExecutor(text_workers, thread_name_prefix="core-text")
        self._upload_pool = ThreadPoolExecutor(upload_workers, thread_name_prefix="core-upload")

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Run the core on one message, in order for its session."""
        key = incoming.key
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                pool = self._upload_pool if incoming.attachment is not None else self._text_pool
                try:
                    return await asyncio.get_running_loop().run_in_executor(pool, self.core.handle, incoming)
                except Exception:
                    log_failure(log, "core failed on a message from %s", key.transport)
                    return [Reply(fallback_error())]
        finally:
            # Forget the lock of an idle session, so the table does not grow with every user ever seen.
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    def close(self) -> None:
        """Stop the worker threads once the messages in hand are answered."""
        self._text_pool.shutdown(wait=True)
        self._upload_pool.shutdown(wait=True)
