"""Who may do what: staff accounts and staff rooms from the settings (per-user limits: ``bot.quotas``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

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
