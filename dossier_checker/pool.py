"""The checker's workers, shared fairly: one queue per user, the least served user first.

Each user with files waiting or being read counts the files started for them since they last had nothing
in hand. A free worker takes the oldest file of the waiting user with the lowest count; a user who arrives
starts just below the lowest count of those already active. So a user who sends ten slow files gets one
worker at a time like everyone else, and another user's file starts as soon as a worker is free (each file
is bounded by ``Limits.file_seconds``), before any further file of the users already served. One user
never holds every worker (``per_owner``, one less than the workers): another user's file finds a free
worker at once unless several users are busy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Started:
    """One job taken by a worker: whose, which, and when (``time.monotonic()``), and how long it waited."""

    owner: str
    label: str
    at: float
    waited: float


class FairPool:
    """A fixed number of worker threads serving per-owner FIFO queues round-robin."""

    def __init__(self, workers: int, *, per_owner: int = 0, history: int = 1000) -> None:
        self.workers = max(1, workers)
        self.per_owner = per_owner if per_owner > 0 else max(1, self.workers - 1)
        self._queues: dict[str, deque[tuple[Future[Any], Callable[[], Any], str, float]]] = {}
        self._served: dict[str, int] = {}  # files started per active owner (queued or running)
        self._running: dict[str, int] = {}
        self._lock = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False
        # The order in which jobs started, most recent last (for the bench and the tests).
        self.started: deque[Started] = deque(maxlen=history)

    def submit(self, owner: str, job: Callable[[], T], label: str = "") -> Future[T]:
        """Queue ``job`` for ``owner``; it runs when a worker reaches this owner's turn."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the checker's pool is closed")
            if owner not in self._served:
                floor = min(self._served.values(), default=0)
                self._served[owner] = max(0, floor - 1)
            self._queues.setdefault(owner, deque()).append((future, job, label, time.monotonic()))
            self._start_workers()
            self._lock.notify()
        return future

    def waiting(self, owner: str) -> int:
        """Return how many of ``owner``'s jobs wait for a worker."""
        with self._lock:
            return len(self._queues.get(owner, ()))

    def close(self) -> None:
        """Let the workers finish the jobs in hand and stop."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join()

    def _start_workers(self) -> None:
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"checker-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next(self) -> tuple[str, Future[Any], Callable[[], Any]] | None:
        with self._lock:
            while True:
                ready = [o for o in self._queues if self._running.get(o, 0) < self.per_owner]
                if ready:
                    break
                if self._closed and not self._queues:
                    return None
                self._lock.wait()
            owner = min(ready, key=lambda o: (self._served[o], self._queues[o][0][3]))
            queue = self._queues[owner]
            future, job, label, queued = queue.popleft()
            if not queue:
                del self._queues[owner]
            self._served[owner] += 1
            self._running[owner] = self._running.get(owner, 0) + 1
            now = time.monotonic()
            self.started.append(Started(owner, label, now, now - queued))
            return owner, future, job

    def _done(self, owner: str) -> None:
        with self._lock:
            self._running[owner] -= 1
            self._lock.notify_all()  # a worker waiting for this owner's turn may go on
            if not self._running[owner]:
                del self._running[owner]
                if owner not in self._queues:
                    del self._served[owner]  # nothing in hand: a fresh start next time

    def _work(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            owner, future, job = taken
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(job())
                    except BaseException as exc:  # handed to the waiting caller
                        future.set_exception(exc)
            finally:
                self._done(owner)
