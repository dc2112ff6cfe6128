"""Handing a conversation to a person: the desk the core talks to, and the plain desk that records requests.

A ticket system (staff room, relays, office hours) plugs in by implementing ``HumanDesk``; the core only
builds the request (who, language, recent messages, dossier state) and shows the user the desk's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.messages import Reply, SessionKey
from bot.store import Store


@dataclass(frozen=True)
class HandoffRequest:
    """Everything a person needs to pick the conversation up."""

    key: SessionKey
    lang: str
    reason: str  # "command" (/human), "unanswered" (the bot could not answer), "intent" (asked in words)
    recent: tuple[str, ...] = ()
    display_name: str | None = None
    dossier: Mapping[str, Any] | None = None  # kind, number, status, answers, merged checklist
    note: str | None = None  # what the user wrote after /human, for the person


@dataclass(frozen=True)
class HandoffTicket:
    """The desk's answer: a ticket number, and any messages to send elsewhere (e.g. to a staff room)."""

    number: int
    relays: tuple[Reply, ...] = field(default=())
    # None: the core tells the user in its own words; otherwise the desk's sentence (office hours, …).
    user_message: str | None = None


class HumanDesk(Protocol):
    """Where requests for a person go."""

    def open_ticket(self, request: HandoffRequest) -> HandoffTicket:
        """Record the request and return its ticket."""
        ...


class StoreDesk:
    """Records each request with its context in the store, for staff to pick up."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def open_ticket(self, request: HandoffRequest) -> HandoffTicket:
        """Record the request and return its number."""
        number = self.store.add_handoff(
            request.key,
            request.lang,
            {
                "reason": request.reason,
                "recent": list(request.recent),
                "display_name": request.display_name,
                "dossier": dict(request.dossier) if request.dossier is not None else None,
                "note": request.note,
            },
        )
        return HandoffTicket(number=number)
