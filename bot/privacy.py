"""Privacy: /privacy, /forget, /keep, and the retention purge of what users left behind."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot import events as ev
from bot import recovery
from bot import walkthrough as wt
from bot.conversation import Emit, Purger, Turn
from bot.documents import Documents, PhotoRuns
from bot.faults import log_failure
from bot.i18n import t
from bot.messages import Choice, Reply
from bot.render import limits_text
from bot.settings import Settings
from bot.store import Store
from bot.words import YES_FORGET

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)


class Privacy:
    """What users are told about their data, deleting it on request, and deleting it when it expires."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        documents: Documents,
        photo_runs: PhotoRuns,
        clock: Callable[[], datetime],
        emit: Emit,
    ) -> None:
        self.settings = settings
        self.store = store
        self.documents = documents
        self.photo_runs = photo_runs
        self.clock = clock
        self.emit = emit
        self.purgers: list[Purger] = []
        self._last_purge: datetime | None = None

    def privacy_text(self, turn: Turn) -> str:
        """Describe what is kept, for how long, and the limits on files."""
        keep = t(turn.lang, "privacy_keep_on" if turn.session.keep_files else "privacy_keep_off")
        text = t(turn.lang, "privacy", days=self.settings.retention_days, keep=keep)
        return text + "\n" + limits_text(self.settings.limits, self.documents.max_bytes, turn.lang)

    def forget_command(self, turn: Turn, arg: str) -> list[Reply]:
        """Delete the user's data once confirmed (/forget)."""
        folded = wt.fold(arg)
        if folded in YES_FORGET:
            return self.forget(turn)
        if folded in {"non", "no", "n"}:
            return [Reply(t(turn.lang, "forget_cancelled"))]
        turn.session = replace(turn.session, awaiting="forget")
        return [
            Reply(
                t(turn.lang, "forget_confirm"),
                choices=(
                    Choice(t(turn.lang, "button_forget_yes"), "/forget yes"),
                    Choice(t(turn.lang, "button_forget_no"), "/forget no"),
                ),
            )
        ]

    def forget(self, turn: Turn) -> list[Reply]:
        """Delete everything kept about the user now."""
        lang = turn.lang
        key = turn.session.key
        done = self.store.forget_user(key.transport, key.user)
        recovery.forget(self.store, key.transport, key.user)
        turn.forgotten = True
        self.emit(ev.FORGET, turn, rows=done.total)
        return [Reply(t(lang, "forgotten", dossiers=done.dossiers, reports=done.checks, files=done.files))]

    def keep(self, turn: Turn, arg: str) -> list[Reply]:
        """Turn keeping the checked files on or off (/keep)."""
        folded = wt.fold(arg)
        if folded in {"on", "oui", "yes", "1", "true"}:
            turn.session = replace(turn.session, keep_files=True)
            return [Reply(t(turn.lang, "keep_on"))]
        if folded in {"off", "non", "no", "0", "false"}:
            turn.session = replace(turn.session, keep_files=False)
            return [Reply(t(turn.lang, "keep_off"))]
        state = t(turn.lang, "keep_state_on" if turn.session.keep_files else "keep_state_off")
        return [
            Reply(
                t(turn.lang, "keep_ask", state=state),
                choices=(
                    Choice(t(turn.lang, "button_keep_on"), "/keep on"),
                    Choice(t(turn.lang, "button_keep_off"), "/keep off"),
                ),
            )
        ]

    def purge_if_due(self) -> None:
        """Apply the retention period, at most once every ``PURGE_EVERY``."""
        now = self.clock()
        if self._last_purge is not None and timedelta(0) <= now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        self.photo_runs.purge(now)
        if self.settings.retention_days > 0:
            before = now - timedelta(days=self.settings.retention_days)
            done = self.store.purge_inactive(before)
            if done.total:
                log.info("retention purge removed %d rows", done.total)
            for purger in self.purgers:
                try:
                    changed = purger(before)
                except Exception:
                    log_failure(log, "a retention purger failed")
                    continue
                if changed:
                    log.info("retention purge anonymised %d analytics rows", changed)
