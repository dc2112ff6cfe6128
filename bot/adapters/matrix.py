"""Matrix transport on matrix-nio: room events in, the core's replies out, in plain or encrypted rooms.

The only module that imports ``nio``. It logs in (password or access token, device id kept), syncs with a
persisted token so that a restart never answers a message twice, joins rooms it is invited to by allowed
users, downloads uploads (encrypted attachments included), and renders each ``Reply`` as an ``m.notice``
with a plain ``body`` and an HTML ``formatted_body``.

End-to-end encryption (``matrix-nio[e2e]``): the device's keys live in a crypto store under the state
directory (``<state_dir>/crypto``), uploaded at login; room keys are shared with the members' devices when
the bot writes in an encrypted room, and requested from the sender when a message cannot be decrypted.
Device trust is *trust on first use*: a device is trusted the first time its keys are seen, and a device
whose keys later change is not (nio refuses the new keys). ``/whoami`` lists the devices of the room's
members with their fingerprints, so staff can compare them with what their own clients show. If the crypto
store is lost, the bot logs in as a new device (deleting the old one when it has the password), and a
message it cannot decrypt gets a notice asking the user to send it again.
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
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import nio
from nio.crypto import ENCRYPTION_ENABLED
from nio.crypto.attachments import decrypt_attachment

from bot.adapters import base
from bot.adapters.base import human_size, typing_while
from bot.dispatch import Dispatcher, fallback_error
from bot.faults import log_failure
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, both_languages, t
from bot.messages import Attachment, Incoming, OutgoingFile, Reply, SessionKey
from bot.settings import MatrixSettings, Settings
from bot.standby import active_lease, until_either
from bot.store import Inbox, Memo, open_store

log = logging.getLogger(__name__)

TRANSPORT = "matrix"
HTML_FORMAT = "org.matrix.custom.html"
# Custom, namespaced content key: the event a reply answers. Invisible to clients; lets tests, the load
# bench and operators pair every answer with its question, even in direct rooms without a visible quote.
RESPONSE_TO_KEY = "org.vetpharma.response_to"
# [n, total]: this event is part n of the total sent for that message, so a reader knows when it has all.
PART_KEY = "org.vetpharma.part"
SYNC_TIMEOUT_MS = 30_000
# Matrix caps an event at 64 KiB, but Element shows a long event as a wall of text: a reply is cut into events
# of at most this many UTF-16 units (an article of the decree in a few events, each at an item's start).
MAX_BODY_CHARS = 4_000
STOP_GRACE_SECONDS = 30.0
TYPING_REFRESH_SECONDS = 20.0  # the typing notice is sent for 30 s: renewed before it fades
MEDIA_TYPES = frozenset({"m.file", "m.image", "m.audio", "m.video"})
# An undecryptable message waits this long for its room key (requested from the sender) before the user is
# asked to send it again, and is retried until it is this old.
DECRYPT_GRACE_SECONDS = 5.0
DECRYPT_RETRY_SECONDS = 600.0
# Ids of answered messages are kept this long, to refuse a duplicate delivery.
INBOX_KEPT = timedelta(days=7)
# Inbox id suffix of an encrypted message not decrypted yet: kept, so that the process that runs after this one
# (a restart, a standby taking over) tries it again once its room key is there.
SEALED = "#sealed"


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


# Why a file could not reach the core is said in the bot's default language (Matrix does not tell the user's),
# after the core's own "I could not receive your file:" (catalogue: matrix_too_big, matrix_download_failed,
# matrix_decrypt_failed). Sentences sent without the core, to someone whose language is unknown, are said in
# both languages (matrix_encrypted_room, matrix_undecryptable, matrix_file_not_sent).


class MatrixStartError(RuntimeError):
    """The bot could not log in (bad credentials, unknown homeserver)."""


SendToSession = Callable[[SessionKey, Reply], Awaitable[None]]


class ReplyRouter(Protocol):
    """The cross-transport router of ``bot.router`` (handoff relays between sessions)."""

    def register(self, transport: str, send: SendToSession) -> None:
        """Register the function that sends a reply to one of this transport's sessions."""
        ...

    def unregister(self, transport: str) -> None:
        """Stop delivering to this transport (its process went back to standby)."""
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


def crypto_dir(settings: Settings) -> Path:
    """Return the directory of the end-to-end encryption store (the device's keys and room keys)."""
    return state_path(settings).parent / "crypto"


def crypto_store_file(directory: Path, user_id: str, device_id: str) -> Path:
    """Return the file nio's default crypto store keeps for one device."""
    return directory / f"{user_id}_{device_id}.db"


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


_LEADING_PILL = re.compile(r'\s*<a href="https://matrix\.to/#/([^"?]+)[^"]*">(.*?)</a>', re.DOTALL)
_REPLY_FALLBACK = re.compile(r"\A(?:>[^\n]*\n)+\n?")


def strip_reply_fallback(body: str) -> str:
    """Remove the quoted ``> <@user> ...`` lines older clients put before a reply's text."""
    return _REPLY_FALLBACK.sub("", body, count=1) if body.startswith(">") else body


def split_text(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Cut a long text into events Element shows well, at paragraph, item or line ends when possible."""
    return base.split_text(text, limit)


def render_reply(reply: Reply) -> list[dict[str, Any]]:
    """Turn a reply's text and choices into ``m.notice`` contents (numbered choices, HTML escaped)."""
    chunks = split_text(reply.text) if reply.text or reply.choices else []
    if reply.choices and not chunks:
        chunks = [""]
    contents: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks):
        body, formatted = chunk, base.matrix_html(chunk)
        if reply.choices and index == len(chunks) - 1:
            body = base.numbered_choices(body, reply.choices, numbered=reply.numbered)
            items = "".join(f"<li>{html.escape(choice.label, quote=False)}</li>" for choice in reply.choices)
            tag = "ol" if reply.numbered else "ul"
            formatted = f"{formatted}<{tag}>{items}</{tag}>"
        contents.append(
            {"msgtype": "m.notice", "body": body, "format": HTML_FORMAT, "formatted_body": formatted}
        )
    return contents


def file_content(
    name: str, mime: str, size: int, mxc: str, keys: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the ``m.file`` content for an uploaded file (``keys``: an encrypted upload's decryption keys)."""
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": name,
        "filename": name,
        "info": {"mimetype": mime, "size": size},
    }
    if keys is None:
        content["url"] = mxc
    else:
        content["file"] = {"url": mxc, "mimetype": mime, **keys}
    return content


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
# "#12 text": a staff member's answer to ticket 12, read in a staff room without a mention.
# /whoami (and the spellings bot.staff registers): in an encrypted room, the devices trusted there follow.
WHOAMI = re.compile(r"\s*/(?:whoami|quisuisje|id|compte)\b", re.IGNORECASE)
# Set by the adapter on an edit of the user's last message: [original event id, text it replaces].
CORRECTION_KEY = "org.vetpharma.correction_of"
# Pictures a user sent one after another in one sync (several photos picked at once): one album, whose
# parts carry [album id, whether more parts follow] under this key (kept in the inbox for a replay).
ALBUM_KEY = "org.vetpharma.album"


def _is_picture(source: dict[str, Any]) -> bool:
    content = source.get("content")
    if source.get("type") != "m.room.message" or not isinstance(content, dict):
        return False
    info = content.get("info")
    mime = info.get("mimetype") if isinstance(info, dict) else None
    return content.get("msgtype") == "m.image" or (
        content.get("msgtype") == "m.file" and isinstance(mime, str) and mime.startswith("image/")
    )


def album_marks(events: Iterable[Any]) -> dict[str, tuple[str, bool]]:
    """Find runs of pictures one sender sent in a row: event id -> (album id, whether more follow)."""
    marks: dict[str, tuple[str, bool]] = {}
    run: list[str] = []
    sender: object = None

    def close() -> None:
        for i, event_id in enumerate(run if len(run) > 1 else []):
            marks[event_id] = (run[0], i < len(run) - 1)

    for event in events:
        source = getattr(event, "source", None)
        if not isinstance(source, dict) or not isinstance(source.get("event_id"), str):
            continue
        if _is_picture(source) and (not run or source.get("sender") == sender):
            run.append(source["event_id"])
            sender = source.get("sender")
            continue
        close()
        run = [source["event_id"]] if _is_picture(source) else []
        sender = source.get("sender")
    close()
    return marks


TICKET_ANSWER = re.compile(r"\s*#\d{1,9}\s+\S")


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
        self.crypto_dir = crypto_dir(settings)
        device = self.state.device_id or self.config.device_id
        # A device that had keys and lost its crypto store cannot decrypt nor prove who it is any more: with a
        # password, log in as a new device (the old one is deleted once logged in).
        self.lost_device = ""
        if (
            ENCRYPTION_ENABLED
            and self.state.device_id
            and not crypto_store_file(self.crypto_dir, self.config.user_id, self.state.device_id).exists()
        ):
            self.lost_device = self.state.device_id
            if self.config.password and not self.config.access_token:
                device = ""
        if ENCRYPTION_ENABLED:
            self.crypto_dir.mkdir(parents=True, exist_ok=True)
        self.client = nio.AsyncClient(
            self.config.homeserver.rstrip("/"),
            self.config.user_id,
            device_id=device or None,
            store_path=str(self.crypto_dir) if ENCRYPTION_ENABLED else "",
            config=nio.AsyncClientConfig(
                request_timeout=60,
                max_limit_exceeded=None,
                max_timeouts=None,
                max_timeout_retry_wait_time=30,
                encryption_enabled=ENCRYPTION_ENABLED,
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
        self._known_rooms: set[str] = set()
        self._last_dm: dict[str, str] = {}  # user -> the direct chat they last wrote from
        self._in_flight: set[str] = set()  # ids of the messages being answered
        self._held_parts: dict[SessionKey, list[str]] = {}  # album parts answered but held for their last
        # (room, user) -> (event id, text) of the user's last text message: an edit of it is a correction.
        self._last_text: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()
        # Staff accounts and staff rooms of this transport: "#N text" there is a staff answer, never chatter.
        self._staff_users = {e.partition(":")[2] for e in settings.staff if e.startswith(f"{TRANSPORT}:")}
        self._staff_rooms = {
            e.partition(":")[2] for e in settings.staff_rooms if e.startswith(f"{TRANSPORT}:")
        }
        # Encrypted messages whose room key has not arrived yet: event id -> (room, event, first seen).
        self._undecrypted: OrderedDict[str, tuple[str, Any, float]] = OrderedDict()
        self._told_unreadable: dict[str, float] = {}
        self._locks: dict[SessionKey, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Set once the first sync is handled: from then on every new message is answered.
        self.ready = asyncio.Event()
        # Every message is recorded before it is handled and marked done once answered (crash recovery).
        self._store = open_store(settings.effective_database_url)
        self.inbox = Inbox(self._store)
        self.memo = Memo(self._store)

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
            if ENCRYPTION_ENABLED and self.client.device_id:
                # Loads (or creates) the crypto store of this device.
                self.client.restore_login(self.user_id, self.client.device_id, self.config.access_token)
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
        await self._start_encryption()
        log.info(
            "logged in to Matrix as %s (device %s, end-to-end encryption %s)",
            self.user_id,
            self.client.device_id,
            "on" if self.encrypted else "off",
        )

    @property
    def encrypted(self) -> bool:
        """Tell whether end-to-end encryption is working (crypto store loaded)."""
        return self.client.olm is not None

    async def _start_encryption(self) -> None:
        """Upload the device's keys, and retire a device whose crypto store was lost."""
        if not self.encrypted:
            if ENCRYPTION_ENABLED:
                log.warning("no crypto store loaded: encrypted rooms cannot be read")
            return
        if self.lost_device and self.lost_device != self.client.device_id:
            log.warning(
                "the crypto store of device %s was lost: now device %s; messages encrypted for the old "
                "device will be asked again",
                self.lost_device,
                self.client.device_id,
            )
            auth = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": self.config.password,
            }
            deleted = await self.client.delete_devices([self.lost_device], auth)
            if not isinstance(deleted, nio.DeleteDevicesResponse):
                log.warning("could not delete the old device %s: %s", self.lost_device, deleted)
        elif self.lost_device:
            log.error(
                "the crypto store of device %s was lost and an access token cannot change device: log in "
                "with a password, or with a new access token, to read encrypted rooms again",
                self.lost_device,
            )
        self.lost_device = ""
        await self._crypto_chores()

    async def close(self, *, abandon: bool = False) -> None:
        """Wait for the answers under way, save the sync token and close the HTTP session.

        ``abandon``: the lease was lost and another process may be active: the answers under way are cancelled
        (they stay pending in the inbox, for the active process) and the sync token is left as it is.
        """
        if self._tasks and abandon:
            for task in self._tasks:
                task.cancel()
            await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
        elif self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
        if not abandon:
            self._save()
        await self.client.close()
        self._store.close()

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

    # -- end-to-end encryption --

    async def _crypto_chores(self) -> None:
        """Send queued to-device messages, upload, query and claim keys, trust new devices, retry decryption."""
        if not self.encrypted:
            return
        client = self.client
        try:
            await client.send_to_device_messages()
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
        except nio.LocalProtocolError as exc:
            log.debug("key maintenance skipped: %s", exc)
        except Exception as exc:  # network trouble: the next sync tries again
            log.warning("key maintenance failed: %r", exc)
        self.trust_new_devices()
        self._retry_undecrypted()

    def trust_new_devices(self) -> int:
        """Trust on first use: mark every device seen for the first time as verified; return how many."""
        if not self.encrypted:
            return 0
        trusted = 0
        for device in list(self.client.device_store):
            if device.deleted or device.verified or device.blacklisted or device.ignored:
                continue
            self.client.verify_device(device)
            trusted += 1
        return trusted

    def device_lines(self, room_id: str) -> list[str]:
        """List the devices of a room's members: user, device id, fingerprint and trust."""
        room = self.client.rooms.get(room_id)
        if room is None or not self.encrypted:
            return []
        lines = []
        for user in sorted(room.users):
            for device in self.client.device_store.active_user_devices(user):
                fingerprint = " ".join(device.ed25519[i : i + 4] for i in range(0, len(device.ed25519), 4))
                trust = "✅" if device.verified else ("⛔" if device.blacklisted else "?")
                lines.append(f"{trust} {user} {device.id} {fingerprint}")
        return lines

    def _undecryptable(self, room_id: str, event: Any) -> None:
        """Keep an undecryptable message, ask its sender's devices for the key, and tell the user if it stays."""
        self._undecrypted[event.event_id] = (room_id, event, time.monotonic())
        while len(self._undecrypted) > _REMEMBERED:
            self._undecrypted.popitem(last=False)
        sender = str(getattr(event, "sender", "") or "")
        self.inbox.record(
            TRANSPORT,
            event.event_id + SEALED,
            SessionKey(TRANSPORT, room_id, sender),
            {"room": room_id, "sealed": event.source},
        )
        self._spawn(self._request_key(room_id, event))

    async def _request_key(self, room_id: str, event: Any) -> None:
        with contextlib.suppress(nio.LocalProtocolError):
            await self.client.request_room_key(event)
        await asyncio.sleep(DECRYPT_GRACE_SECONDS)
        self._retry_undecrypted()
        if event.event_id not in self._undecrypted:
            return
        now = time.monotonic()
        told = self._told_unreadable.get(room_id)
        if told is not None and now - told < 60.0:
            return  # one notice for a burst of unreadable messages
        self._told_unreadable[room_id] = now
        log.warning("could not decrypt %s in %s: asking the user to send it again", event.event_id, room_id)
        await self._send_text(room_id, both_languages("matrix_undecryptable"), event.event_id)

    def _retry_undecrypted(self) -> None:
        """Decrypt the messages whose keys arrived since, and answer them."""
        now = time.monotonic()
        for event_id, (room_id, event, seen) in list(self._undecrypted.items()):
            try:
                decrypted = self.client.decrypt_event(event)
            except Exception:
                if now - seen > DECRYPT_RETRY_SECONDS:
                    del self._undecrypted[event_id]
                    self.inbox.done(TRANSPORT, event_id + SEALED)  # given up
                continue
            del self._undecrypted[event_id]
            log.info("decrypted %s once its key arrived", event_id)
            # Recorded under its own id (and answered) before the sealed copy is let go.
            self._handle_event(room_id, decrypted)
            self.inbox.done(TRANSPORT, event_id + SEALED)

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

    def _retry_sealed(self, message_id: str, payload: dict[str, Any]) -> None:
        """Try again, after each sync, an encrypted message a previous process could not decrypt."""
        room_id, source = payload.get("room"), payload.get("sealed")
        event = None
        if isinstance(room_id, str) and isinstance(source, dict):
            with contextlib.suppress(Exception):
                event = nio.Event.parse_encrypted_event(source)
        if not isinstance(event, nio.MegolmEvent) or not self.encrypted:
            self.inbox.done(TRANSPORT, message_id)
            return
        event.room_id = room_id
        log.info("trying again %s, not decrypted before a restart", event.event_id)
        self._undecrypted[event.event_id] = (str(room_id), event, time.monotonic())

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
        key = self.session_key(room_id, sender)
        if key.chat != room_id:
            self._last_dm[sender] = room_id
        self._in_flight.add(event_id)
        async with self._lock(key):
            try:
                await self._answer_locked(room_id, key, event_id, content)
            except Exception:
                log_failure(log, "failed to answer %s in %s", event_id, room_id)
                with contextlib.suppress(Exception):
                    await self.send_replies(room_id, [Reply(fallback_error())], Thread(event_id))
            # Not reached when cancelled or killed: the message stays pending and is answered after a restart.
            # An album's held parts stay pending until its last part is answered: a replay gathers them all.
            album = content.get(ALBUM_KEY)
            if isinstance(album, list) and len(album) == 2 and album[1] is True:
                self._held_parts.setdefault(key, []).append(event_id)
            else:
                for held in [*self._held_parts.pop(key, []), event_id]:
                    self.inbox.done(TRANSPORT, held)
            self._in_flight.discard(event_id)
        lock = self._locks.get(key)
        if lock is not None and not lock.locked():
            del self._locks[key]

    async def _answer_locked(
        self, room_id: str, key: SessionKey, event_id: str, content: dict[str, Any]
    ) -> None:
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
            staff_answer = bool(TICKET_ANSWER.match(text)) and (
                room_id in self._staff_rooms or key.user in self._staff_users
            )
            if not (command or mentioned or staff_answer or reply_to_text is not None):
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
                album = content.get(ALBUM_KEY)
                if attachment is not None and isinstance(album, list) and len(album) == 2:
                    attachment = replace(attachment, group=str(album[0]), follows=album[1] is True)
        correction = content.get(CORRECTION_KEY)
        corrected = correction if isinstance(correction, list) and len(correction) == 2 else None
        if msgtype not in MEDIA_TYPES:
            # The user's last message (an edit keeps the id of the message it edits).
            self._last_text[(room_id, key.user)] = (str(corrected[0]) if corrected else event_id, text)
            while len(self._last_text) > _REMEMBERED:
                self._last_text.popitem(last=False)
        incoming = Incoming(
            key=key,
            text=text,
            attachment=attachment,
            addressed=True,
            display_name=display_name if isinstance(display_name, str) else None,
            attachment_error=attachment_error,
            reply_to_text=reply_to_text,
            correction_of=str(corrected[1]) if corrected else None,
        )
        # "typing…" at once for a file (it will be checked), after a moment for any slow reply.
        delay = 0.0 if attachment is not None else self.config.typing_delay

        async def show(on: bool) -> None:
            await self._typing(room_id, on)

        async with typing_while(show, delay=delay, refresh=TYPING_REFRESH_SECONDS):
            replies = await self.dispatcher.handle(incoming)
        local = [reply for reply in replies if reply.to is None or reply.to == key]
        if WHOAMI.match(text) and self._room_encrypted(room_id):
            # Setting up an encrypted (staff) room: the devices the bot trusts there, to compare fingerprints.
            local.append(
                Reply("\n".join([both_languages("matrix_devices_title") + ":", *self.device_lines(room_id)]))
            )
        await self.send_replies(room_id, local, Thread(event_id, mention=key.user if group else None))
        for reply in replies:
            if reply.to is not None and reply.to != key:
                await self._relay(reply, key)

    def _error_text(self, reason: str, **params: str) -> str:
        lang = (
            self.settings.default_language
            if self.settings.default_language in LANGUAGES
            else DEFAULT_LANGUAGE
        )
        return t(lang, f"matrix_{reason}", **params)

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
        room_id = key.chat if key.chat != key.user else self.direct_room(key.user)
        if not room_id:
            log.warning("no direct room known for a reply to a Matrix user")
            return
        await self.send_replies(room_id, [replace(reply, to=None)], Thread())

    def session_key(self, room_id: str, sender: str) -> SessionKey:
        """Return the session of a message: the user's own in a direct chat (any of them), the room's otherwise.

        A user's dossiers follow them from one direct chat with the bot to another, as on Telegram, where a
        private chat's id is the user's; a group or a staff room keeps one session per member.
        """
        if room_id in self._staff_rooms or self._is_group(room_id):
            return SessionKey(TRANSPORT, room_id, sender)
        return SessionKey(TRANSPORT, sender, sender)

    def direct_room(self, user_id: str) -> str:
        """Return the direct chat a user last wrote from (after a restart: from the inbox, or any shared one)."""
        known = self._last_dm.get(user_id) or self.inbox.last_chat(TRANSPORT, user_id)
        if known and known in self.client.rooms:
            return known
        for room_id, room in self.client.rooms.items():
            if user_id in room.users and not self._is_group(room_id) and room_id not in self._staff_rooms:
                return str(room_id)
        return known or ""

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
                        self.memo.put(TRANSPORT, "feedback", event_id, json.dumps(feedback))
            if reply.file is not None:
                part += 1
                await self._send(room_id, await self._upload(room_id, reply.file), thread, part, total)

    async def _ensure_room(self, room_id: str) -> None:
        """Know a room joined since the last sync (nio must know whether it is encrypted before sending)."""
        if not self.encrypted or room_id in self.client.rooms:
            return
        state = await self.client.room_get_state_event(room_id, "m.room.encryption")
        encrypted = isinstance(state, nio.RoomGetStateEventResponse)
        if room_id not in self.client.rooms:
            self.client.rooms[room_id] = nio.MatrixRoom(room_id, self.user_id, encrypted)
            if encrypted:
                self.client.encrypted_rooms.add(room_id)

    def _room_encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and bool(room.encrypted)

    async def _upload(self, room_id: str, file: OutgoingFile) -> dict[str, Any]:
        """Upload a file (encrypted for an encrypted room) and return its m.file content, or a notice."""
        encrypt = self.encrypted and self._room_encrypted(room_id)
        upload, keys = await self.client.upload(
            io.BytesIO(file.data),
            content_type=file.mime,
            filename=file.name,
            filesize=len(file.data),
            encrypt=encrypt,
        )
        if isinstance(upload, nio.UploadResponse):
            return file_content(
                file.name, file.mime, len(file.data), upload.content_uri, keys if encrypt else None
            )
        log.warning("upload of %s failed: %s", file.name, getattr(upload, "message", upload))
        (notice,) = render_reply(Reply(both_languages("matrix_file_not_sent", name=file.name)))
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
        await self._ensure_room(room_id)
        # Encrypted rooms: the room key goes to every member's devices (trusted on first use).
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        if isinstance(response, nio.RoomSendResponse):
            self._sent.add(response.event_id)
            return str(response.event_id)
        log.warning("could not send to %s: %s", room_id, getattr(response, "message", response))
        return None


async def run_transport(
    settings: Settings, dispatcher: Dispatcher, router: ReplyRouter | None, stop: asyncio.Event
) -> None:
    """Run the Matrix bot until ``stop`` is set; raise ``MatrixStartError`` if it cannot log in.

    With a PostgreSQL store, several processes may run for one account: one syncs, the others wait on
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


def configured(settings: Settings) -> bool:
    """Tell whether the settings give this transport what it needs to run (a Matrix homeserver, user id and password or access token)."""
    return settings.matrix_configured


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
