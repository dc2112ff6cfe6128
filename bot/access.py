"""Who may do what: staff accounts and staff rooms from the settings, and the per-user rate limit."""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.messages import SessionKey

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)


def parse_target(text: str) -> tuple[str, str] | None:
    """Read "transport:rest" ("matrix:@agent:gouv.mc", "telegram:-100123"); None when malformed."""
    transport, sep, rest = text.strip().partition(":")
    if not sep or not transport or not rest or not transport.isidentifier():
        return None
    return transport, rest


@dataclass(frozen=True)
class StaffAccounts:
    """The ministry's staff: accounts allowed the staff commands, and the rooms tickets go to."""

    accounts: frozenset[tuple[str, str]]
    rooms: tuple[SessionKey, ...]

    @classmethod
    def from_settings(cls, staff: Iterable[str], staff_rooms: Iterable[str]) -> StaffAccounts:
        """Read the ``staff`` and ``staff_rooms`` settings, warning about entries that cannot be read."""
        accounts = set()
        for entry in staff:
            target = parse_target(entry)
            if target is None:
                log.warning("ignoring staff entry %r: write transport:user, e.g. telegram:12345", entry)
                continue
            accounts.add(target)
        rooms = []
        for entry in staff_rooms:
            target = parse_target(entry)
            if target is None:
                log.warning("ignoring staff room %r: write transport:room, e.g. matrix:!abc:gouv.mc", entry)
                continue
            # A room is a session with no particular user: replies with this ``to`` go to the room.
            rooms.append(SessionKey(target[0], target[1], ""))
        return cls(frozenset(accounts), tuple(dict.fromkeys(rooms)))

    def is_staff(self, key: SessionKey) -> bool:
        """Tell whether the sender of a message is a configured staff account."""
        return (key.transport, key.user) in self.accounts

    def is_staff_room(self, key: SessionKey) -> bool:
        """Tell whether a message was written in one of the staff rooms."""
        return any(room.transport == key.transport and room.chat == key.chat for room in self.rooms)


class RateLimiter:
    """At most ``per_minute`` messages per user (over every chat of one transport) in any minute."""

    def __init__(self, per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[datetime]] = {}
        self._warned: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def allow(self, key: SessionKey) -> bool | None:
        """Count one message: True if allowed, False if over the limit and not yet told, None if told."""
        if self.per_minute <= 0:
            return True
        who = (key.transport, key.user)
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(who, deque())
            while seen and now - seen[0] >= WINDOW:
                seen.popleft()
            if len(seen) < self.per_minute:
                seen.append(now)
                self._warned.pop(who, None)
                self._forget_idle(now)
                return True
            warned = self._warned.get(who)
            if warned is not None and now - warned < WINDOW:
                return None
            self._warned[who] = now
            return False

    def wait_seconds(self, key: SessionKey) -> int:
        """Return in how many whole seconds this user may send a message again (0: now)."""
        if self.per_minute <= 0:
            return 0
        now = self.clock()
        with self._lock:
            seen = self._seen.get((key.transport, key.user))
            if not seen or len(seen) < self.per_minute:
                return 0
            remaining = (seen[0] + WINDOW - now).total_seconds()
        return max(1, math.ceil(remaining))

    def _forget_idle(self, now: datetime) -> None:
        # Keep memory bounded by the users active in the last minute.
        if len(self._seen) < 1024:
            return
        for who in [w for w, seen in self._seen.items() if not seen or now - seen[-1] >= WINDOW]:
            del self._seen[who]
            self._warned.pop(who, None)
