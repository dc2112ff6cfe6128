"""Async bridge for adapters: one message at a time per session, the core run in a worker thread."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from bot.core import Conversation
from bot.messages import Incoming, Reply, SessionKey

log = logging.getLogger(__name__)

FALLBACK_ERROR = (
    "Désolé, une erreur interne m'empêche de répondre à ce message ; rien n'a été perdu, réessayez dans un instant. "
    "/ Sorry, an internal error stopped me from answering; nothing was lost, please try again."
)


class Dispatcher:
    """Serialises messages per session and keeps every message answered, even on an internal error."""

    def __init__(self, core: Conversation) -> None:
        self.core = core
        self._locks: defaultdict[SessionKey, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Run the core on one message, in order for its session."""
        async with self._locks[incoming.key]:
            try:
                return await asyncio.to_thread(self.core.handle, incoming)
            except Exception:
                log.exception("core failed on a message from %s", incoming.key.transport)
                return [Reply(FALLBACK_ERROR)]
