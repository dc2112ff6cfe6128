"""What one user may use: messages per minute, bytes stored, files per message, pages and checking
seconds per minute. One module for every per-user limit; the numbers are settings (``[limits]``, and
``helpdesk.rate_limit_per_minute``) that /privacy states."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.messages import SessionKey
from bot.settings import LimitsSettings
from bot.store import CheckUse, RateCounters, RateWindow, Store

WINDOW = timedelta(minutes=1)
_WINDOW_SECONDS = 60.0


def count_message(window: RateWindow, now: datetime, per_minute: int) -> tuple[RateWindow, bool | None]:
    """Count one message in a user's window: True if allowed, False if over and not yet told, None if told."""
    hits = tuple(at for at in window.hits if now - at < WINDOW)
    if len(hits) < per_minute:
        return RateWindow((*hits, now), None), True
    if window.warned_at is not None and now - window.warned_at < WINDOW:
        return RateWindow(hits, window.warned_at), None
    return RateWindow(hits, now), False


def seconds_to_wait(window: RateWindow, now: datetime, per_minute: int) -> int:
    """Return in how many whole seconds a user over the limit may send a message again (0: now)."""
    hits = [at for at in window.hits if now - at < WINDOW]
    if len(hits) < per_minute:
        return 0
    remaining = (hits[0] + WINDOW - now).total_seconds()
    return max(1, math.ceil(remaining))


class Limiter(Protocol):
    """Counts each user's messages against the per-minute limit."""

    def allow(self, key: SessionKey) -> bool | None:
        """Count one message: True if allowed, False if over the limit and not yet told, None if told."""
        ...

    def wait_seconds(self, key: SessionKey) -> int:
        """Return in how many whole seconds this user may send a message again (0: now)."""
        ...


class RateLimiter:
    """At most ``per_minute`` messages per user (over every chat of one transport) in any minute, in memory."""

    def __init__(self, per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._windows: dict[tuple[str, str], RateWindow] = {}
        self._lock = threading.Lock()

    def allow(self, key: SessionKey) -> bool | None:
        """Count one message: True if allowed, False if over the limit and not yet told, None if told."""
        if self.per_minute <= 0:
            return True
        who = (key.transport, key.user)
        now = self.clock()
        with self._lock:
            window, allowed = count_message(self._windows.get(who, RateWindow()), now, self.per_minute)
            self._windows[who] = window
            self._forget_idle(now)
            return allowed

    def wait_seconds(self, key: SessionKey) -> int:
        """Return in how many whole seconds this user may send a message again (0: now)."""
        if self.per_minute <= 0:
            return 0
        with self._lock:
            window = self._windows.get((key.transport, key.user), RateWindow())
        return seconds_to_wait(window, self.clock(), self.per_minute)

    def _forget_idle(self, now: datetime) -> None:
        # Keep memory bounded by the users active in the last minute.
        if len(self._windows) < 1024:
            return
        for who, window in list(self._windows.items()):
            if not window.hits or now - window.hits[-1] >= WINDOW:
                del self._windows[who]


class SharedRateLimiter:
    """The same limit counted in the database: several bot processes behind a balancer count one user once.

    Each message updates the user's row under a row lock (``SELECT … FOR UPDATE``), so two processes counting
    messages of one user at the same moment see each other's.
    """

    # Windows untouched this long are deleted, every this many messages.
    PURGE_EVERY = 200

    def __init__(self, per_minute: int, counters: RateCounters, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self.counters = counters
        self.clock = clock
        self._counted = 0

    def allow(self, key: SessionKey) -> bool | None:
        """Count one message: True if allowed, False if over the limit and not yet told, None if told."""
        if self.per_minute <= 0:
            return True
        now = self.clock()
        allowed = self.counters.update(
            key.transport, key.user, lambda window: count_message(window, now, self.per_minute)
        )
        self._counted += 1
        if self._counted % self.PURGE_EVERY == 0:
            self.counters.purge(now - WINDOW)
        return allowed

    def wait_seconds(self, key: SessionKey) -> int:
        """Return in how many whole seconds this user may send a message again (0: now)."""
        if self.per_minute <= 0:
            return 0
        return seconds_to_wait(self.counters.window(key.transport, key.user), self.clock(), self.per_minute)


def rate_limiter(per_minute: int, store: Store, clock: Callable[[], datetime]) -> Limiter:
    """Return the limiter that fits the store: in the database when it is PostgreSQL (several processes)."""
    if store.engine.dialect.name == "postgresql":
        return SharedRateLimiter(per_minute, RateCounters(store), clock)
    return RateLimiter(per_minute, clock)


def owner_of(key: SessionKey) -> str:
    """Name the user a quota counts for: one account on one transport, whatever the chat."""
    return f"{key.transport}:{key.user}"


@dataclass
class _Use:
    at: float
    pages: int
    seconds: float


@dataclass(frozen=True)
class Admission:
    """How many of the files offered may be checked now, and why the others may not (a message id)."""

    files: int
    refused: str | None = None
    reserved: tuple[int, ...] = ()  # ids of the reservations to settle once the check is done


class Quotas:
    """The per-user budgets of the checker (pages and checking seconds per minute) and of the store.

    A file admitted reserves the whole time a file may take (``file_seconds``) until its check is done
    and its real pages and seconds replace the reservation: while files wait for the checker, the next
    ones are refused. The budget may be passed by the files of one message at most, each bounded in time.
    """

    def __init__(self, limits: LimitsSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._uses: dict[str, deque[_Use]] = {}
        self._reserved: dict[int, _Use] = {}
        self._next_id = 0
        self._lock = threading.Lock()

    @property
    def max_stored_bytes(self) -> int:
        """Return the bytes of uploads one user may keep in the store."""
        return self.limits.stored_mb_per_user * 1024 * 1024

    def store_refusal(self, stored: int, size: int, waiting: int) -> str | None:
        """Say why a file may not be kept (a message id): too many waiting, or over the bytes allowed."""
        if waiting >= self.limits.files_per_message:
            return "quota_files"
        if stored + size > self.max_stored_bytes:
            return "quota_storage"
        return None

    def admit(self, owner: str, files: int) -> Admission:
        """Admit ``owner``'s files for checking now, unless the last minute's pages or seconds are spent.

        Each admitted file reserves the whole time a file may take until its check is settled: files sent
        together are admitted together, and the next ones wait for the minute to pass.
        """
        with self._lock:
            uses = self._recent(owner)
            pages = sum(u.pages for u in uses)
            seconds = sum(u.seconds for u in uses)
            if self.limits.pages_per_minute > 0 and pages >= self.limits.pages_per_minute:
                return Admission(0, "quota_pages")
            if self.limits.check_seconds_per_minute > 0 and seconds >= self.limits.check_seconds_per_minute:
                return Admission(0, "quota_seconds")
            ids = []
            for _ in range(files):
                use = _Use(self.clock(), 0, self.limits.file_seconds)
                self._next_id += 1
                self._reserved[self._next_id] = use
                uses.append(use)
                ids.append(self._next_id)
            return Admission(files, None, tuple(ids))

    def settle(self, admission: Admission, pages: int, seconds: float) -> None:
        """Replace an admission's reservations by the pages read and the seconds spent."""
        with self._lock:
            uses = [self._reserved.pop(i) for i in admission.reserved if i in self._reserved]
            for index, use in enumerate(uses):
                use.pages = pages if index == 0 else 0
                use.seconds = seconds if index == 0 else 0.0

    def _recent(self, owner: str) -> deque[_Use]:
        now = self.clock()
        uses = self._uses.setdefault(owner, deque())
        while (
            uses
            and now - uses[0].at >= _WINDOW_SECONDS
            and all(u is not uses[0] for u in self._reserved.values())
        ):
            uses.popleft()
        if len(self._uses) > 1024:
            for idle in [o for o, u in self._uses.items() if not u and o != owner]:
                del self._uses[idle]
        return uses


def queued_check_delay(uses: Sequence[CheckUse], limits: LimitsSettings, now: datetime) -> float:
    """Return how long a queued check must wait for its user's budget (0: it may run now).

    ``uses`` are the user's checks of the last minute, by every worker. As in process, a check may start while
    the minute's pages and seconds are not spent, and it reserves ``file_seconds`` a file until it is settled.
    """
    recent = [use for use in uses if now - use.at < WINDOW]
    over_pages = limits.pages_per_minute > 0 and sum(u.pages for u in recent) >= limits.pages_per_minute
    over_seconds = (
        limits.check_seconds_per_minute > 0
        and sum(u.seconds for u in recent) >= limits.check_seconds_per_minute
    )
    if not (over_pages or over_seconds):
        return 0.0
    return max(1.0, (recent[0].at + WINDOW - now).total_seconds())
