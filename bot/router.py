"""Delivery of replies to any registered transport: a reply with ``to`` set may cross transports."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.messages import Reply, SessionKey

log = logging.getLogger(__name__)

# What a transport registers: send one reply to one session of its own.
Send = Callable[[SessionKey, Reply], Awaitable[None]]


@dataclass(frozen=True)
class Delivery:
    """The outcome of delivering one reply; ``reason`` says why it was not delivered."""

    key: SessionKey
    delivered: bool
    reason: str | None = None


class Router:
    """Knows every running transport and sends each reply to the session it is meant for."""

    def __init__(self) -> None:
        self._transports: dict[str, Send] = {}

    def register(self, transport: str, send: Send) -> None:
        """Make ``transport`` reachable (replaces an earlier registration of the same name)."""
        self._transports[transport] = send

    def unregister(self, transport: str) -> None:
        """Stop delivering to ``transport`` (when it shuts down)."""
        self._transports.pop(transport, None)

    @property
    def transports(self) -> frozenset[str]:
        """Names of the transports currently registered."""
        return frozenset(self._transports)

    async def deliver(self, reply: Reply, default_key: SessionKey) -> Delivery:
        """Send ``reply`` to ``reply.to``, or to ``default_key`` (the session that was answered)."""
        key = reply.to or default_key
        send = self._transports.get(key.transport)
        if send is None:
            log.warning("no running transport %r for a reply", key.transport)
            return Delivery(key, False, f"transport {key.transport!r} is not running")
        try:
            await send(key, reply)
        except Exception as exc:
            # One failed delivery (blocked bot, deleted chat, network) must not stop the others.
            log.warning("delivery on %s failed: %s", key.transport, type(exc).__name__, exc_info=exc)
            return Delivery(key, False, type(exc).__name__)
        return Delivery(key, True)

    async def deliver_all(self, replies: Iterable[Reply], default_key: SessionKey) -> list[Delivery]:
        """Deliver replies one after the other, in order."""
        return [await self.deliver(reply, default_key) for reply in replies]
