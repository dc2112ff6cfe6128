"""Conversation state that survives restarts: sessions, dossiers, check reports, kept files (SQLAlchemy).

The same code runs on the default SQLite file and on a PostgreSQL URL. Every value that leaves this package
is a frozen dataclass of plain data, so a session is JSON and a restart loses nothing. One module per
concern: the engine and migrations, sessions and dossiers, documents, tickets, forgetting, the adapters'
inbox and memo, and the shared per-user limits; ``Store`` puts the first five together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.store.documents import CheckRecord, DocumentStore, StoredFile
from bot.store.engine import StoreEngine, is_storage_error, utc_now
from bot.store.forget import ForgetResult, ForgetStore
from bot.store.inbox import INBOX_DONE, INBOX_PENDING, Inbox, InboxMessage, Memo
from bot.store.limits import CheckUsage, CheckUse, RateCounters, RateWindow
from bot.store.sessions import (
    CANCELLED,
    COMPLETED,
    DOSSIER_STATUSES,
    IN_PROGRESS,
    OPEN_STATUSES,
    RECENT_MESSAGES,
    REVIEW,
    DossierRecord,
    SessionState,
    SessionStore,
)
from bot.store.tickets import TICKET_CLOSED, TICKET_OPEN, HandoffRecord, TicketStore

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "DOSSIER_STATUSES",
    "INBOX_DONE",
    "INBOX_PENDING",
    "IN_PROGRESS",
    "OPEN_STATUSES",
    "RECENT_MESSAGES",
    "REVIEW",
    "TICKET_CLOSED",
    "TICKET_OPEN",
    "CheckRecord",
    "CheckUsage",
    "CheckUse",
    "DossierRecord",
    "ForgetResult",
    "HandoffRecord",
    "Inbox",
    "InboxMessage",
    "Memo",
    "RateCounters",
    "RateWindow",
    "SessionState",
    "Store",
    "StoreEngine",
    "StoredFile",
    "is_storage_error",
    "open_store",
    "utc_now",
]


class Store(SessionStore, DocumentStore, TicketStore, ForgetStore):
    """Sessions, dossiers, reports and kept files of every user, in one SQL database."""


def open_store(url: str, *, clock: Callable[[], datetime] | None = None) -> Store:
    """Open (and create if needed) the store at a SQLAlchemy URL."""
    return Store(url, clock=clock)
