"""Matrix transport on matrix-nio: room events in, the core's replies out (unencrypted rooms only).

The only module that imports ``nio``. It logs in (password or access token, device id kept), syncs with a
persisted token so that a restart never answers a message twice, joins rooms it is invited to by allowed
users, downloads uploads (encrypted attachments included), and renders each ``Reply`` as an ``m.notice``
with a plain ``body`` and an HTML ``formatted_body``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import io
import json
import logging
import os
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import nio
from nio.crypto.attachments import decrypt_attachment

from bot.dispatch import FALLBACK_ERROR, Dispatcher
from bot.faults import log_failure
from bot.messages import Attachment, Incoming, OutgoingFile, Reply, SessionKey
from bot.settings import MatrixSettings, Settings

log = logging.getLogger(__name__)

TRANSPORT = "matrix"
HTML_FORMAT = "org.matrix.custom.html"
# Custom, namespaced content key: the event a reply answers. Invisible to clients; lets tests, the load
# bench and operators pair every answer with its question, even in direct rooms without a visible quote.
RESPONSE_TO_KEY = "org.vetpharma.response_to"
# [n, total]: this event is part n of the total sent for that message, so a reader knows when it has all.
PART_KEY = "org.vetpharma.part"
SYNC_TIMEOUT_MS = 30_000
# Matrix caps an event at 64 KiB; the body and its HTML copy must both fit.
MAX_BODY_CHARS = 12_000
STOP_GRACE_SECONDS = 30.0
MEDIA_TYPES = frozenset({"m.file", "m.image", "m.audio", "m.video"})


def sync_filter(user_id: str) -> dict[str, Any]:
    """Build the sync filter: only what the bot reads, never its own messages (they would wake the poll)."""
    # No presence, typing, receipts or account data either: nothing the bot uses.
    return {
        "presence": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
        "room": {
            "ephemeral": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
            "timeline": {"limit": 100, "not_senders": [user_id]},
        },
    }


# Why a file could not reach the core, in the bot's default language (Matrix does not tell the user's); the
# core puts it after its own "I could not receive your file:".
ATTACHMENT_ERRORS: dict[str, dict[str, str]] = {
    "fr": {
        "too_big": "« {name} » fait {size}, et je ne peux pas recevoir plus de {limit}. "
        "Envoyez-le en plusieurs parties, ou compressez-le.",
        "download_failed": "le serveur Matrix ne m'a pas donné « {name} ». Renvoyez-le, s'il vous plaît.",
        "decrypt_failed": "« {name} » est chiffré, et sa clé ou son empreinte ne correspond pas. "
        "Renvoyez-le, s'il vous plaît.",
    },
    "en": {
        "too_big": "“{name}” is {size}, and I cannot receive more than {limit}. "
        "Send it in several parts, or compress it.",
        "download_failed": "the Matrix server did not give me “{name}”. Please send it again.",
        "decrypt_failed": "“{name}” is encrypted, and its key or hash does not match. Please send it again.",
    },
}
# Sentences sent without the core, to someone whose language is unknown: both languages.
ENCRYPTED_ROOM = (
    "Ce salon est chiffré de bout en bout : je ne peux pas lire vos messages. Écrivez-moi dans un salon "
    "non chiffré. / This room is end-to-end encrypted, so I cannot read your messages. Please talk to me "
    "in an unencrypted room."
)
FILE_NOT_SENT = (
    "Je n'ai pas pu envoyer le fichier « {name} » ; réessayez dans un instant. "
    "/ I could not send the file “{name}”; please try again in a moment."
)


class MatrixStartError(RuntimeError):
    """The bot could not log in (bad credentials, unknown homeserver)."""


SendToSession = Callable[[SessionKey, Reply], Awaitable[None]]


class ReplyRouter(Protocol):
    """The cross-transport router of ``bot.router`` (handoff relays between sessions)."""

    def register(self, transport: str, send: SendToSession) -> None:
        """Register the function that sends a reply to one of this transport's sessions."""
        ...

    async def deliver(self, reply: Reply, default_key: SessionKey) -> object:
        """Send a reply to ``reply.to``, or to ``default_key`` when it has none."""
        ...


# --- state that survives restarts -------------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    """What a restart needs: the device to reuse, where to resume, and when the bot first started."""

    user_id: str = ""
    device_id: str = ""
    next_batch: str = ""
    # Events older than the bot's first start are history: never answered.
    since_ms: int = 0


def state_path(settings: Settings) -> Path:
    """Return the file holding the Matrix sync state."""
    directory = Path(settings.matrix.state_dir or Path(settings.data_dir) / "matrix")
    return directory / "sync_state.json"


def load_state(path: Path, user_id: str) -> SyncState:
    """Read the saved state; a missing or foreign (other account) file means a fresh start."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = SyncState(
            user_id=str(data.get("user_id", "")),
            device_id=str(data.get("device_id", "")),
            next_batch=str(data.get("next_batch", "")),
            since_ms=int(data.get("since_ms", 0)),
        )
    except (OSError, ValueError, AttributeError):
        return SyncState(user_id=user_id)
    if state.user_id != user_id:
        return SyncState(user_id=user_id)
    return state


def save_state(path: Path, state: SyncState) -> None:
    """Write the state atomically, so a crash mid-write never loses the sync token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)


# --- pure helpers ----------------------------------------------------------------------------------


def server_of(user_id: str) -> str:
    """Return the server part of a user id (``@user:server``); room ids are never parsed."""
    if not user_id.startswith("@") or ":" not in user_id:
        return ""
    return user_id.split(":", 1)[1]


def inviter_allowed(inviter: str, allowed: Iterable[str]) -> bool:
    """Tell whether an invite from this user is accepted (``@user:server`` or ``:server`` entries)."""
    entries = [entry.strip() for entry in allowed if entry.strip()]
    if not entries:
        return True
    server = server_of(inviter)
    for entry in entries:
        if entry.startswith("@"):
            if entry == inviter:
                return True
        elif server and entry.removeprefix(":") == server:
            return True
    return False


def human_size(size: int, lang: str = "fr") -> str:
    """Format a byte count for a sentence: ``20 Mo`` in French, ``20 MB`` in English."""
    units = ("o", "ko", "Mo") if lang == "fr" else ("B", "kB", "MB")
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} {units[2]}"
    if size >= 1024:
        return f"{size / 1024:.0f} {units[1]}"
    return f"{size} {units[0]}"


_LEADING_PILL = re.compile(r'\s*<a href="https://matrix\.to/#/([^"?]+)[^"]*">(.*?)</a>', re.DOTALL)
_REPLY_FALLBACK = re.compile(r"\A(?:>[^\n]*\n)+\n?")


def strip_reply_fallback(body: str) -> str:
    """Remove the quoted ``> <@user> ...`` lines older clients put before a reply's text."""
    return _REPLY_FALLBACK.sub("", body, count=1) if body.startswith(">") else body


def split_text(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Cut a long text into pieces under ``limit`` characters, at paragraph or line ends when possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return [piece for piece in pieces if piece] or [""]


def _html_text(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br/>")


def render_reply(reply: Reply) -> list[dict[str, Any]]:
    """Turn a reply's text and choices into ``m.notice`` contents (numbered choices, HTML escaped)."""
    chunks = split_text(reply.text) if reply.text or reply.choices else []
    contents: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks):
        body, formatted = chunk, _html_text(chunk)
        if reply.choices and index == len(chunks) - 1:
            marks = [f"{n}." if reply.numbered else "•" for n in range(1, len(reply.choices) + 1)]
            numbered = [f"{mark} {choice.label}" for mark, choice in zip(marks, reply.choices, strict=True)]
            items = "".join(f"<li>{html.escape(choice.label, quote=False)}</li>" for choice in reply.choices)
            body = "\n".join([body, "", *numbered]) if body else "\n".join(numbered)
            tag = "ol" if reply.numbered else "ul"
            formatted = f"{formatted}<{tag}>{items}</{tag}>" if formatted else f"<{tag}>{items}</{tag}>"
        contents.append(
            {"msgtype": "m.notice", "body": body, "format": HTML_FORMAT, "formatted_body": formatted}
        )
    return contents


def file_content(name: str, mime: str, size: int, mxc: str) -> dict[str, Any]:
    """Build the ``m.file`` content for an uploaded file."""
    return {
        "msgtype": "m.file",
        "body": name,
        "filename": name,
        "url": mxc,
        "info": {"mimetype": mime, "size": size},
    }


@dataclass(frozen=True)
class MediaRef:
    """Where an uploaded file is and how to read it, from an event's content."""

    name: str
    mime: str
    size: int | None
    mxc: str
    # Encrypted attachment (``content.file``): JWK key, IV and SHA-256 of the ciphertext.
    key: str = ""
    iv: str = ""
    sha256: str = ""
    caption: str = ""

    @property
    def encrypted(self) -> bool:
        return bool(self.key)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def media_ref(content: dict[str, Any]) -> MediaRef | None:
    """Read the file reference of an ``m.file``/``m.image`` content, plain or encrypted; None if unusable."""
    raw_info = content.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    body, filename = _text(content.get("body")), _text(content.get("filename"))
    name = filename or body or "fichier"
    # Since Matrix 1.10 a body that differs from the filename is the caption.
    caption = body if filename and body and body != filename else ""
    raw_size = info.get("size")
    size = raw_size if isinstance(raw_size, int) and not isinstance(raw_size, bool) else None
    mime = _text(info.get("mimetype"))
    encrypted = content.get("file")
    if isinstance(encrypted, dict):
        key = encrypted.get("key")
        hashes = encrypted.get("hashes")
        url, iv = encrypted.get("url"), encrypted.get("iv")
        if not (
            isinstance(key, dict)
            and isinstance(hashes, dict)
            and isinstance(url, str)
            and isinstance(iv, str)
        ):
            return None
        k, sha = key.get("k"), hashes.get("sha256")
        if not (isinstance(k, str) and isinstance(sha, str)):
            return None
        mime = mime or str(encrypted.get("mimetype") or "")
        return MediaRef(name, mime or "application/octet-stream", size, url, k, iv, sha, caption)
    url = content.get("url")
    if not isinstance(url, str):
        return None
    return MediaRef(name, mime or "application/octet-stream", size, url, caption=caption)


def normalise_command(text: str) -> str:
    """Turn a Matrix-style ``!command`` into the core's ``/command``."""
    if len(text) > 1 and text[0] == "!" and text[1].isalpha():
        return "/" + text[1:]
    return text


# --- the bot ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """Where an answer belongs: the message it answers (None for a relay) and whom to mention in a group."""

    event_id: str | None = None
    mention: str | None = None


# 👍/👎 reactions (any skin tone, with or without the emoji variation selector) give feedback on an answer.
FEEDBACK_REACTIONS = {"👍": "up", "👎": "down"}
_EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_REMEMBERED = 2_000


def strip_emoji_modifiers(key: str) -> str:
    """Drop variation selectors and skin tones from a reaction key."""
    return _EMOJI_MODIFIERS.sub("", key).strip()


def _remember(table: OrderedDict[str, Any], key: str, value: Any) -> None:
    table[key] = value
    while len(table) > _REMEMBERED:
        table.popitem(last=False)


class _BoundedSet:
    """The last ``size`` ids seen: enough to drop a repeated event without growing forever."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, item: str) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def __contains__(self, item: object) -> bool:
        return item in self._items


class MatrixBot:
    """One logged-in Matrix account answering through the dispatcher."""

    def __init__(self, settings: Settings, dispatcher: Dispatcher, router: ReplyRouter | None = None) -> None:
        self.settings = settings
        self.config: MatrixSettings = settings.matrix
        self.dispatcher = dispatcher
        self.router = router
        self.state_file = state_path(settings)
        self.state = load_state(self.state_file, self.config.user_id)
        self.client = nio.AsyncClient(
            self.config.homeserver.rstrip("/"),
            self.config.user_id,
            device_id=self.state.device_id or self.config.device_id or None,
            config=nio.AsyncClientConfig(
                request_timeout=60,
                max_limit_exceeded=None,
                max_timeouts=None,
                max_timeout_retry_wait_time=30,
            ),
        )
        self.user_id = self.config.user_id
        self._filter = sync_filter(self.user_id)
        self.display_name = ""
        self._seen = _BoundedSet()
        self._sent = _BoundedSet()
        # What the bot said in its recent messages, and the feedback choices offered with them: a reply or a
        # 👍/👎 reaction to one of them is read against it (staff replies to tickets, feedback on answers).
        self._sent_text: OrderedDict[str, str] = OrderedDict()
        self._feedback: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._warned_encrypted: set[str] = set()
        self._locks: dict[SessionKey, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Set once the first sync is handled: from then on every new message is answered.
        self.ready = asyncio.Event()

    # -- start and stop --

    async def login(self) -> None:
        """Log in with the access token or the password, keeping the device id across restarts."""
        if self.config.access_token:
            self.client.access_token = self.config.access_token
            whoami = await self.client.whoami()
            if isinstance(whoami, nio.WhoamiError):
                raise MatrixStartError(f"access token refused by {self.config.homeserver}: {whoami.message}")
            self.client.user_id = self.user_id = whoami.user_id
            self.client.device_id = whoami.device_id or self.client.device_id
        elif self.config.password:
            response = await self.client.login(
                password=self.config.password, device_name=self.config.device_name
            )
            if isinstance(response, nio.LoginError):
                raise MatrixStartError(f"login refused by {self.config.homeserver}: {response.message}")
            self.user_id = response.user_id
        else:
            raise MatrixStartError("set matrix.password or matrix.access_token")
        self._filter = sync_filter(self.user_id)
        if self.user_id != self.state.user_id:
            self.state = SyncState(user_id=self.user_id)
        self.state = replace(
            self.state,
            device_id=self.client.device_id or "",
            since_ms=self.state.since_ms or int(time.time() * 1000),
        )
        self._save()
        profile = await self.client.get_displayname(self.user_id)
        name = getattr(profile, "displayname", None)
        self.display_name = name if isinstance(name, str) else ""
        log.info("logged in to Matrix as %s (device %s)", self.user_id, self.client.device_id)

    async def close(self) -> None:
        """Wait for the answers under way, save the sync token and close the HTTP session."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
        self._save()
        await self.client.close()

    def _save(self) -> None:
        try:
            save_state(self.state_file, self.state)
        except OSError:
            log.exception("could not save the Matrix sync state to %s", self.state_file)

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
            # Without a saved token the first sync is history: joined rooms' timelines are not answered.
            await self.process_sync(response, answer=resuming or not first)
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
            if answer and getattr(info.timeline, "limited", False) and self.ready.is_set():
                log.warning("more new events in %s than one sync holds: the oldest were skipped", room_id)
            for event in info.timeline.events:
                try:
                    self._on_event(room_id, event, answer)
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

    def _on_event(self, room_id: str, event: Any, answer: bool) -> None:
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
        kind = source.get("type")
        if kind == "m.room.member":
            self._leave_if_alone(room_id)
            return
        if kind == "m.room.encrypted":
            if room_id not in self._warned_encrypted:
                self._warned_encrypted.add(room_id)
                self._spawn(self._send_text(room_id, ENCRYPTED_ROOM, event_id))
            return
        content = source.get("content")
        if kind == "m.reaction" and isinstance(content, dict):
            text = self._reaction_text(content)
            if text is not None:
                self._spawn(self._answer(room_id, sender, event_id, {"msgtype": "m.text", "body": text}))
            return
        if kind != "m.room.message" or not isinstance(content, dict):
            return
        msgtype = content.get("msgtype")
        relation = content.get("m.relates_to")
        if isinstance(relation, dict) and relation.get("rel_type") == "m.replace":
            return  # an edit of a message already answered
        # m.notice is what bots send: never answer one, so two bots cannot talk forever. Key verification
        # requests are for encryption, which this bot does not do.
        if not isinstance(msgtype, str) or msgtype == "m.notice" or msgtype.startswith("m.key."):
            return
        self._spawn(self._answer(room_id, sender, event_id, content))

    def _leave_if_alone(self, room_id: str) -> None:
        """Leave a room once everyone else has left it (a closed direct chat), so it stops costing syncs."""
        room = self.client.rooms.get(room_id)
        if room is not None and int(room.joined_count) <= 1 and int(room.invited_count) == 0:
            log.info("everyone left %s: leaving it too", room_id)
            self._spawn(self._leave(room_id))

    async def _leave(self, room_id: str) -> None:
        await self.client.room_leave(room_id)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _lock(self, key: SessionKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def _is_group(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and int(room.member_count) > 2

    def _names(self, room_id: str) -> list[str]:
        names = [self.user_id]
        room = self.client.rooms.get(room_id)
        member = room.users.get(self.user_id) if room is not None else None
        for name in (getattr(member, "display_name", None), self.display_name):
            if isinstance(name, str) and name.strip() and name not in names:
                names.append(name)
        return names

    def _mentioned(self, room_id: str, content: dict[str, Any], body: str) -> bool:
        mentions = content.get("m.mentions")
        if isinstance(mentions, dict) and self.user_id in (mentions.get("user_ids") or []):
            return True
        formatted = content.get("formatted_body")
        if isinstance(formatted, str) and (
            f"matrix.to/#/{self.user_id}" in formatted or f"matrix.to/#/{quote(self.user_id)}" in formatted
        ):
            return True
        lowered = body.lower()
        return any(name.lower() in lowered for name in self._names(room_id))

    async def _replied_bot_text(self, room_id: str, content: dict[str, Any]) -> str | None:
        """Return the text of the bot's message this one replies to (None when it replies to no bot message)."""
        relation = content.get("m.relates_to")
        in_reply_to = relation.get("m.in_reply_to") if isinstance(relation, dict) else None
        target = in_reply_to.get("event_id") if isinstance(in_reply_to, dict) else None
        if not isinstance(target, str):
            return None
        if target in self._sent_text:
            return self._sent_text[target]
        # Sent before a restart (or too long ago to remember): ask the server who wrote it.
        response = await self.client.room_get_event(room_id, target)
        event = getattr(response, "event", None)
        if getattr(event, "sender", None) != self.user_id:
            return None
        source = getattr(event, "source", {})
        body = source.get("content", {}).get("body") if isinstance(source, dict) else None
        return strip_reply_fallback(body) if isinstance(body, str) else ""

    def _reaction_text(self, content: dict[str, Any]) -> str | None:
        """Turn a 👍/👎 reaction to one of the bot's answers into the feedback command offered with it."""
        relation = content.get("m.relates_to")
        if not isinstance(relation, dict) or relation.get("rel_type") != "m.annotation":
            return None
        target, key = relation.get("event_id"), relation.get("key")
        if not isinstance(target, str) or not isinstance(key, str) or target not in self._sent:
            return None
        direction = FEEDBACK_REACTIONS.get(strip_emoji_modifiers(key))
        if direction is None:
            return None
        for value in self._feedback.get(target, ()):
            if value.startswith(f"/feedback {direction} "):
                return value
        return None

    def _strip_mention(self, room_id: str, content: dict[str, Any], body: str) -> str:
        names = self._names(room_id)
        # A mention "pill" shows whatever text the client chose: read it from the leading link to the bot.
        formatted = content.get("formatted_body")
        pill = _LEADING_PILL.match(formatted) if isinstance(formatted, str) else None
        if pill and pill.group(1) in {self.user_id, quote(self.user_id)}:
            names.append(html.unescape(re.sub(r"<[^>]*>", "", pill.group(2))))
        for name in sorted((n for n in names if n.strip()), key=len, reverse=True):
            match = re.match(rf"\s*{re.escape(name)}\s*[:,]?\s*", body, flags=re.IGNORECASE)
            if match:
                return body[match.end() :]
        return body

    async def _answer(self, room_id: str, sender: str, event_id: str, content: dict[str, Any]) -> None:
        key = SessionKey(TRANSPORT, room_id, sender)
        async with self._lock(key):
            try:
                await self._answer_locked(key, event_id, content)
            except Exception:
                log_failure(log, "failed to answer %s in %s", event_id, room_id)
                with contextlib.suppress(Exception):
                    await self.send_replies(room_id, [Reply(FALLBACK_ERROR)], Thread(event_id))
        lock = self._locks.get(key)
        if lock is not None and not lock.locked():
            del self._locks[key]

    async def _answer_locked(self, key: SessionKey, event_id: str, content: dict[str, Any]) -> None:
        room_id = key.chat
        msgtype = content.get("msgtype")
        raw_body = content.get("body")
        body = strip_reply_fallback(raw_body) if isinstance(raw_body, str) else ""
        group = self._is_group(room_id)
        reply_to_text = await self._replied_bot_text(room_id, content)
        # Text, emotes, locations and unknown message types are answered from their body.
        text = body if msgtype not in MEDIA_TYPES else ""
        if group:
            command = text.lstrip().startswith(("!", "/"))
            mentioned = self._mentioned(room_id, content, body)
            if not (command or mentioned or reply_to_text is not None):
                return  # group chatter not meant for the bot
            if mentioned:
                text = self._strip_mention(room_id, content, text)
        text = normalise_command(text.strip())
        room = self.client.rooms.get(room_id)
        member = room.users.get(key.user) if room is not None else None
        display_name = getattr(member, "display_name", None)
        attachment: Attachment | None = None
        attachment_error: str | None = None
        if msgtype in MEDIA_TYPES:
            ref = media_ref(content)
            if ref is None:
                attachment_error = self._error_text("download_failed", name=body or "?")
            else:
                text = normalise_command(ref.caption.strip())
                attachment, attachment_error = await self._download(ref)
        incoming = Incoming(
            key=key,
            text=text,
            attachment=attachment,
            addressed=True,
            display_name=display_name if isinstance(display_name, str) else None,
            attachment_error=attachment_error,
            reply_to_text=reply_to_text,
        )
        typing = attachment is not None
        if typing:
            await self._typing(room_id, True)
        try:
            replies = await self.dispatcher.handle(incoming)
        finally:
            if typing:
                await self._typing(room_id, False)
        local = [reply for reply in replies if reply.to is None or reply.to == key]
        await self.send_replies(room_id, local, Thread(event_id, mention=key.user if group else None))
        for reply in replies:
            if reply.to is not None and reply.to != key:
                await self._relay(reply, key)

    def _error_text(self, reason: str, **params: str) -> str:
        lang = self.settings.default_language if self.settings.default_language in ATTACHMENT_ERRORS else "fr"
        return ATTACHMENT_ERRORS[lang][reason].format(**params)

    async def _download(self, ref: MediaRef) -> tuple[Attachment | None, str | None]:
        limit = self.config.max_download_bytes
        lang = self.settings.default_language
        if ref.size is not None and ref.size > limit:
            size, most = human_size(ref.size, lang), human_size(limit, lang)
            return None, self._error_text("too_big", name=ref.name, size=size, limit=most)
        if not ref.mxc.startswith("mxc://"):
            return None, self._error_text("download_failed", name=ref.name)
        response = await self.client.download(mxc=ref.mxc)
        data = getattr(response, "body", None)
        if isinstance(response, nio.DownloadError) or not isinstance(data, bytes):
            log.warning("download of %s failed: %s", ref.mxc, getattr(response, "message", response))
            return None, self._error_text("download_failed", name=ref.name)
        if len(data) > limit:  # info.size was missing or understated
            size, most = human_size(len(data), lang), human_size(limit, lang)
            return None, self._error_text("too_big", name=ref.name, size=size, limit=most)
        if ref.encrypted:
            try:
                data = decrypt_attachment(data, ref.key, ref.sha256, ref.iv)
            except Exception:
                log.warning("could not decrypt %s", ref.mxc, exc_info=True)
                return None, self._error_text("decrypt_failed", name=ref.name)
        mime = ref.mime
        if mime == "application/octet-stream":
            mime = str(getattr(response, "content_type", "") or mime).split(";")[0].strip()
        return Attachment(name=ref.name, mime=mime, data=data), None

    async def _typing(self, room_id: str, on: bool) -> None:
        with contextlib.suppress(Exception):
            await self.client.room_typing(room_id, typing_state=on, timeout=30_000)

    # -- sending --

    async def _relay(self, reply: Reply, key: SessionKey) -> None:
        if self.router is not None:
            await self.router.deliver(reply, key)
        elif reply.to is not None and reply.to.transport == TRANSPORT:
            await self.send_to_session(reply.to, reply)
        else:
            log.warning("no router to deliver a reply to %s", reply.to.transport if reply.to else "?")

    async def send_to_session(self, key: SessionKey, reply: Reply) -> None:
        """Send a reply to a Matrix session (used by the router for handoff relays)."""
        await self.send_replies(key.chat, [replace(reply, to=None)], Thread())

    async def send_replies(self, room_id: str, replies: Sequence[Reply], thread: Thread) -> None:
        """Send replies in order: each one's text (with numbered choices), then its file, if any."""
        planned = [(reply, render_reply(reply)) for reply in replies]
        total = sum(len(contents) + (reply.file is not None) for reply, contents in planned)
        part = 0
        for reply, contents in planned:
            feedback = tuple(c.value for c in reply.choices if c.value.startswith("/feedback "))
            for content in contents:
                part += 1
                event_id = await self._send(room_id, content, thread, part, total)
                if event_id is not None:
                    _remember(self._sent_text, event_id, str(content.get("body", "")))
                    if feedback:
                        _remember(self._feedback, event_id, feedback)
            if reply.file is not None:
                part += 1
                await self._send(room_id, await self._upload(reply.file), thread, part, total)

    async def _upload(self, file: OutgoingFile) -> dict[str, Any]:
        """Upload a file and return its m.file content, or a notice saying it could not be sent."""
        upload, _ = await self.client.upload(
            io.BytesIO(file.data), content_type=file.mime, filename=file.name, filesize=len(file.data)
        )
        if isinstance(upload, nio.UploadResponse):
            return file_content(file.name, file.mime, len(file.data), upload.content_uri)
        log.warning("upload of %s failed: %s", file.name, getattr(upload, "message", upload))
        (notice,) = render_reply(Reply(FILE_NOT_SENT.format(name=file.name)))
        return notice

    async def _send_text(self, room_id: str, text: str, event_id: str | None) -> None:
        await self.send_replies(room_id, [Reply(text)], Thread(event_id))

    async def _send(
        self, room_id: str, content: dict[str, Any], thread: Thread, part: int, total: int
    ) -> str | None:
        content = dict(content)
        # Explicit mentions: no accidental ping of a name quoted in an answer; the asker is pinged in groups.
        content["m.mentions"] = {"user_ids": [thread.mention]} if thread.mention else {}
        if thread.event_id is not None:
            content[RESPONSE_TO_KEY] = thread.event_id
            content[PART_KEY] = [part, total]
            if thread.mention:
                content["m.relates_to"] = {"m.in_reply_to": {"event_id": thread.event_id}}
        response = await self.client.room_send(room_id, "m.room.message", content)
        if isinstance(response, nio.RoomSendResponse):
            self._sent.add(response.event_id)
            return str(response.event_id)
        log.warning("could not send to %s: %s", room_id, getattr(response, "message", response))
        return None


async def run_transport(
    settings: Settings, dispatcher: Dispatcher, router: ReplyRouter | None, stop: asyncio.Event
) -> None:
    """Run the Matrix bot until ``stop`` is set; raise ``MatrixStartError`` if it cannot log in."""
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
        await bot.close()


# --- the ``vetpharma matrix`` command ---------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument(
        "--config", help="settings file (default: config/vetpharma.toml or $VETPHARMA_CONFIG)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the Matrix bot until interrupted."""
    from bot.serve import serve
    from bot.settings import load_settings

    settings = load_settings(args.config)
    if not settings.matrix_configured:
        print(
            "vetpharma matrix: no Matrix account. Set matrix.homeserver, matrix.user_id and matrix.password "
            "or matrix.access_token (VETPHARMA_MATRIX_HOMESERVER, VETPHARMA_MATRIX_USER_ID, "
            "VETPHARMA_MATRIX_PASSWORD or VETPHARMA_MATRIX_ACCESS_TOKEN).",
            file=sys.stderr,
        )
        return 2
    # One code path for one transport or all of them: logging, signals, the router and the exit status.
    return serve(settings, transports=(TRANSPORT,))
