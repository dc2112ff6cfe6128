"""Statuses kept in the store, as ``StrEnum``: stored and compared as their plain values."""

from enum import StrEnum


class DossierStatus(StrEnum):
    """Where a dossier stands: answering questions, reviewing the answers, finished (letter issued), abandoned."""

    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    """A handoff ticket: waiting for (or talking with) staff, or closed by staff."""

    OPEN = "open"
    CLOSED = "closed"
