"""The sync loop: invites, room events, edits and reactions read, crash recovery; one active process per account."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

import nio

from bot.adapters.matrix.answering import MatrixAnswerer
from bot.adapters.matrix.client import MatrixStartError, ReplyRouter
from bot.adapters.matrix.crypto import SEALED
from bot.adapters.matrix.reading import (
    ALBUM_KEY,
    CORRECTION_KEY,
    FEEDBACK_REACTIONS,
    album_marks,
    inviter_allowed,
    strip_emoji_modifiers,
)
from bot.adapters.matrix.state import TRANSPORT
from bot.dispatch import Dispatcher
from bot.faults import log_failure
from bot.i18n import both_languages
from bot.messages import SessionKey
from bot.settings import Settings
from bot.standby import active_lease, until_either

log = logging.getLogger("bot.adapters.matrix")  # one logger for the whole adapter

SYNC_TIMEOUT_MS = 30_000
# Ids of answered messages are kept this long, to refuse a duplicate delivery.
INBOX_KEPT = timedelta(days=7)


class MatrixBot(MatrixAnswerer):
    """One logged-in Matrix account answering through the dispatcher."""

    # -- the sync loop --

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until ``stop`` is set, answering every new message."""
        resuming = bool(self.state.next_batch)
        first = True
        failures = 0
        while not stop.is_set():
            response = await self._sync_or_stop(stop, full_state=first)
            if response is None:
                return
            if isinstance(response, nio.SyncError) or not isinstance(response, nio.SyncResponse):
                failures += 1
                message = getattr(response, "message", response)
                if getattr(response, "status_code", None) == "M_UNKNOWN_TOKEN":
                    # Logged out (device deleted, token revoked): log in again if a password allows it.
                    if not self.config.password:
                        raise MatrixStartError(f"the access token was revoked: {message}")
                    log.warning("Matrix session ended (%s); logging in again", message)
                    self.client.access_token = ""
                    with contextlib.suppress(MatrixStartError):
                        await self.login()
                log.warning("Matrix sync failed (%s); retrying", message)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=min(60.0, 2.0**failures))
                continue
            failures = 0
            if first:
                # Before this sync's messages are recorded: only what a crash left unanswered is replayed.
                self._replay_pending()
            # Without a saved token the first sync is history: joined rooms' timelines are not answered.
            await self.process_sync(response, answer=resuming or not first)
            await self._crypto_chores()
            first = False
            self.state = replace(self.state, next_batch=response.next_batch)
            self._save()
            self.ready.set()

    async def _sync_or_stop(self, stop: asyncio.Event, full_state: bool) -> Any:
        sync = asyncio.ensure_future(
            self.client.sync(
                timeout=SYNC_TIMEOUT_MS,
                sync_filter=self._filter,
                since=self.state.next_batch or None,
                full_state=full_state,
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait({sync, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if sync in done:
            try:
                return sync.result()
            except Exception as exc:  # a transport error must not end the bot
                log.warning("Matrix sync raised %r", exc)
                return nio.SyncError(str(exc))
        sync.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sync
        return None

    async def process_sync(self, response: Any, answer: bool = True) -> None:
        """Handle one sync response: invites, then the new timeline events of joined rooms."""
        for room_id, info in response.rooms.invite.items():
            try:
                await self._on_invite(room_id, info)
            except Exception:
                log.exception("could not handle the invite to %s", room_id)
        for room_id, info in response.rooms.join.items():
            # A room just joined comes with a cut history: only a known room's cut timeline lost messages.
            known = room_id in self._known_rooms
            self._known_rooms.add(room_id)
            if answer and known and getattr(info.timeline, "limited", False) and self.ready.is_set():
                log.warning("more new events in %s than one sync holds: the oldest were skipped", room_id)
            albums = album_marks(info.timeline.events)
            for event in info.timeline.events:
                try:
                    self._on_event(room_id, event, answer, albums)
                except Exception:
                    log_failure(log, "could not handle an event in %s", room_id)

    # -- invites --

    def _inviter(self, info: Any) -> str:
        for event in info.invite_state:
            # nio keeps only type/sender/state_key in a stripped event's source: read its attributes.
            source = getattr(event, "source", {})
            content = source.get("content") if isinstance(source, dict) else None
            membership = getattr(event, "membership", None) or (
                content.get("membership") if isinstance(content, dict) else None
            )
            if (
                getattr(event, "state_key", None) == self.user_id
                and membership == "invite"
                and isinstance(getattr(event, "sender", None), str)
            ):
                return str(event.sender)
        return ""

    async def _on_invite(self, room_id: str, info: Any) -> None:
        inviter = self._inviter(info)
        if not inviter_allowed(inviter, self.config.allowed_inviters):
            log.info("refusing the invite of %s to %s (not in matrix.allowed_inviters)", inviter, room_id)
            await self.client.room_leave(room_id)
            return
        for attempt in range(3):
            joined = await self.client.join(room_id)
            if isinstance(joined, nio.JoinResponse):
                log.info("joined %s on the invite of %s", room_id, inviter)
                return
            log.warning("could not join %s: %s", room_id, getattr(joined, "message", joined))
            await asyncio.sleep(2**attempt)

    # -- room events --

    def _on_event(
        self, room_id: str, event: Any, answer: bool, albums: dict[str, tuple[str, bool]] | None = None
    ) -> None:
        source = getattr(event, "source", None)
        if not isinstance(source, dict):
            return
        event_id, sender = source.get("event_id"), source.get("sender")
        if not isinstance(event_id, str) or not isinstance(sender, str):
            return
        if sender == self.user_id:
            self._sent.add(event_id)
            return
        if event_id in self._seen:
            return
        self._seen.add(event_id)
        timestamp = source.get("origin_server_ts")
        if not answer or not isinstance(timestamp, int) or timestamp < self.state.since_ms:
            return
        self._handle_event(room_id, event, (albums or {}).get(event_id))

    def _handle_event(self, room_id: str, event: Any, album: tuple[str, bool] | None = None) -> None:
        """Answer one new event of a joined room (already checked as new, not the bot's own)."""
        source: dict[str, Any] = event.source
        event_id, sender = str(source["event_id"]), str(source["sender"])
        kind = source.get("type")
        if kind == "m.room.member":
            self._leave_if_alone(room_id)
            return
        if kind == "m.room.encrypted":
            if self.encrypted and isinstance(event, nio.MegolmEvent):
                self._undecryptable(room_id, event)
            elif room_id not in self._warned_encrypted:
                # Malformed (not Megolm), or no crypto store: say once per room that it cannot be read.
                self._warned_encrypted.add(room_id)
                notice = both_languages("matrix_undecryptable" if self.encrypted else "matrix_encrypted_room")
                self._spawn(self._send_text(room_id, notice, event_id))
            return
        content = source.get("content")
        if kind == "m.reaction" and isinstance(content, dict):
            text = self._reaction_text(content)
            if text is not None:
                self._accept(room_id, sender, event_id, {"msgtype": "m.text", "body": text})
            return
        if kind != "m.room.message" or not isinstance(content, dict):
            return
        msgtype = content.get("msgtype")
        relation = content.get("m.relates_to")
        if isinstance(relation, dict) and relation.get("rel_type") == "m.replace":
            self._on_edit(room_id, sender, event_id, relation, content)
            return
        content = {k: v for k, v in content.items() if k not in (CORRECTION_KEY, ALBUM_KEY)}
        if album is not None:
            content[ALBUM_KEY] = [album[0], album[1]]
        # m.notice is what bots send: never answer one, so two bots cannot talk forever. Interactive key
        # verification requests are not answered: devices are trusted on first use.
        if not isinstance(msgtype, str) or msgtype == "m.notice" or msgtype.startswith("m.key."):
            return
        self._accept(room_id, sender, event_id, content)

    def _on_edit(
        self, room_id: str, sender: str, event_id: str, relation: dict[str, Any], content: dict[str, Any]
    ) -> None:
        """Read an edit (``m.replace``) of the user's last message as a correction; other edits are ignored."""
        new_content = content.get("m.new_content")
        last = self._last_text.get((room_id, sender))
        if not isinstance(new_content, dict) or last is None or relation.get("event_id") != last[0]:
            return
        if new_content.get("msgtype") not in {"m.text", "m.emote"}:
            return
        self._accept(room_id, sender, event_id, {**new_content, CORRECTION_KEY: [last[0], last[1]]})

    def _accept(self, room_id: str, sender: str, event_id: str, content: dict[str, Any]) -> None:
        """Record a message in the inbox (before the sync token moves past it), then answer it."""
        key = SessionKey(TRANSPORT, room_id, sender)
        payload = {"room": room_id, "sender": sender, "content": content}
        if not self.inbox.record(TRANSPORT, event_id, key, payload):
            return  # delivered again (a replayed sync): already answered, or answered by the replay
        self._spawn(self._answer(room_id, sender, event_id, content))

    def _replay_pending(self) -> None:
        """Answer the messages recorded before a crash and never answered (once: the inbox has their ids)."""
        self.inbox.purge(self._store.clock() - INBOX_KEPT)
        self.memo.purge(self._store.clock() - timedelta(days=max(self.settings.retention_days, 1)))
        for message in self.inbox.pending(TRANSPORT):
            if message.message_id in self._in_flight:
                continue
            if message.message_id.endswith(SEALED):
                self._retry_sealed(message.message_id, message.payload)
                continue
            content = message.payload.get("content")
            if not isinstance(content, dict):
                self.inbox.done(TRANSPORT, message.message_id)
                continue
            log.info("answering %s, received before a restart", message.message_id)
            self._spawn(self._answer(message.key.chat, message.key.user, message.message_id, content))

    def _reaction_text(self, content: dict[str, Any]) -> str | None:
        """Turn a 👍/👎 reaction to one of the bot's answers into the feedback command offered with it."""
        relation = content.get("m.relates_to")
        if not isinstance(relation, dict) or relation.get("rel_type") != "m.annotation":
            return None
        target, key = relation.get("event_id"), relation.get("key")
        if not isinstance(target, str) or not isinstance(key, str):
            return None
        direction = FEEDBACK_REACTIONS.get(strip_emoji_modifiers(key))
        if direction is None:
            return None
        offered = self._feedback.get(target)
        if offered is None:
            # Sent before a restart: the feedback offered with it was kept in the store.
            remembered = self.memo.get(TRANSPORT, "feedback", target)
            offered = tuple(json.loads(remembered)) if remembered else ()
        for value in offered:
            if value.startswith(f"/feedback {direction} "):
                return value
        return None


async def run_transport(
    settings: Settings, dispatcher: Dispatcher, router: ReplyRouter | None, stop: asyncio.Event
) -> None:
    """Run the Matrix bot until ``stop`` is set; raise ``MatrixStartError`` if it cannot log in.

    With a PostgreSQL store, several processes may run for one account: one syncs, the others wait (warm) on
    standby (``bot.standby``) and one of them takes over when it stops.
    """
    config = settings.matrix
    while not stop.is_set():
        async with active_lease(
            settings.effective_database_url,
            f"{TRANSPORT}:{config.user_id}",
            stop,
            poll_seconds=config.standby_poll_seconds,
            check_seconds=config.lease_check_seconds,
            warm=dispatcher.warm,
        ) as lease:
            if lease is None:
                return
            halt = await until_either(stop, lease.lost)
            await _run_active(settings, dispatcher, router, halt, lease.lost)
        if lease.lost.is_set() and router is not None:
            router.unregister(TRANSPORT)


async def _run_active(
    settings: Settings,
    dispatcher: Dispatcher,
    router: ReplyRouter | None,
    stop: asyncio.Event,
    lost: asyncio.Event,
) -> None:
    bot = MatrixBot(settings, dispatcher, router)
    try:
        # The homeserver may be down at start: nio retries, and ``stop`` must still end the wait.
        login = asyncio.ensure_future(bot.login())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({login, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not login.done():
            login.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await login
            return
        login.result()
        if router is not None:
            router.register(TRANSPORT, bot.send_to_session)
        await bot.run(stop)
    finally:
        await bot.close(abandon=lost.is_set())
