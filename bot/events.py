"""What happened in a conversation, for whoever wants to count it (staff figures, unanswered-question log).

The core emits one ``Event`` per notable step; a sink stores or counts them. The default sink drops them,
so the core works the same with or without analytics plugged in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.messages import SessionKey

# Event kinds the core emits, and what their ``data`` holds.
QUESTION = "question"  # text, answered, confidence, citations ([{text, article}]), ref (feedback)
DOSSIER_STARTED = "dossier_started"  # kind, number
DOSSIER_COMPLETED = "dossier_completed"  # kind, number
DOSSIER_CANCELLED = "dossier_cancelled"  # kind, number
CHECK = "check"  # kind, files, pieces ({id: status})
HANDOFF = "handoff"  # ticket, reason
FORGET = "forget"  # rows deleted


@dataclass(frozen=True)
class Event:
    """One notable step of one conversation."""

    kind: str
    key: SessionKey
    lang: str
    data: Mapping[str, Any] = field(default_factory=dict)


class EventSink(Protocol):
    """Receives the core's events (must not raise; called on the core's thread)."""

    def record(self, event: Event) -> None:
        """Take one event."""
        ...


class NullSink:
    """Drops every event."""

    def record(self, event: Event) -> None:
        """Ignore the event."""
        del event


class MemorySink:
    """Keeps events in a list (tests, and a simple in-process counter)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def record(self, event: Event) -> None:
        """Append the event."""
        self.events.append(event)

    def of(self, kind: str) -> list[Event]:
        """Return the events of one kind, in order."""
        return [e for e in self.events if e.kind == kind]
