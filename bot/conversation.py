"""What the core and its plug-ins share: the conversation protocol, command and filter hooks, one turn."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.messages import Incoming, Reply, SessionKey
from bot.store import OPEN_STATUSES, DossierRecord, SessionState, Store
from dossier_checker.spec import DossierSpec

# "/human unanswered": the offer under an answer the texts do not cover (the ticket says why).
UNANSWERED_OFFER = "/human unanswered"


class Conversation(Protocol):
    """What every adapter talks to."""

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message."""
        ...


@dataclass(frozen=True)
class CommandContext:
    """What a command added from outside the core (staff commands, …) is told about the message."""

    key: SessionKey
    lang: str
    arg: str
    display_name: str | None = None


CommandHandler = Callable[[CommandContext], list[Reply]]
# Sees each addressed message before the core: returns the replies that answer it instead (rate limit, a
# staff reply in a ticket's thread), or None to let the core answer it.
MessageFilter = Callable[[Incoming, SessionState], list[Reply] | None]
# Applies the retention period to data kept outside the store (analytics); returns how many rows changed.
Purger = Callable[[datetime], int]


@dataclass
class Turn:
    """What one message changes: the session, and whether the user's data was just deleted."""

    session: SessionState
    display_name: str | None = None
    forgotten: bool = False
    extra: list[Reply] = field(default_factory=list)
    # False: the message is not kept among the recent ones (staff commands, feedback: not the user's context).
    remember: bool = True

    @property
    def lang(self) -> str:
        """Return the session's language."""
        return self.session.lang


class Emit(Protocol):
    """Records an event of the turn (a failing sink never stops the conversation)."""

    def __call__(self, event_kind: str, turn: Turn, **data: Any) -> None:
        """Record ``event_kind`` with ``data`` for the turn's session."""
        ...


def active_dossier(
    store: Store, specs: Mapping[str, DossierSpec], session: SessionState
) -> DossierRecord | None:
    """Return the session's open dossier, or None (none chosen, closed, or of a type no longer served)."""
    if session.active_dossier is None:
        return None
    dossier = store.dossier(session.key, session.active_dossier)
    if dossier is None or dossier.status not in OPEN_STATUSES or dossier.kind not in specs:
        return None
    return dossier


def stored_reports(store: Store, dossier: DossierRecord) -> list[Mapping[str, Any]]:
    """Return the reports of every check made for the dossier, oldest first."""
    return [c.report for c in store.checks(dossier.id)]
