"""The Matrix account's client and what every layer of the bot shares: its state, rooms, locks and tasks.

``MatrixBot`` is built in layers, one module each: this client, media (downloads and uploads), sending,
end-to-end encryption (with the login), answering a message, and the sync loop on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import nio
from nio.crypto import ENCRYPTION_ENABLED

from bot.adapters.base import BoundedSet, SessionLocks
from bot.adapters.matrix.state import (
    TRANSPORT,
    crypto_dir,
    crypto_store_file,
    load_state,
    save_state,
    state_path,
    sync_filter,
)
from bot.dispatch import Dispatcher
from bot.messages import Reply, SessionKey
from bot.settings import MatrixSettings, Settings
from bot.store import Inbox, Memo, open_store

log = logging.getLogger("bot.adapters.matrix")  # one logger for the whole adapter

STOP_GRACE_SECONDS = 30.0
_REMEMBERED = 2_000


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


def _remember(table: OrderedDict[str, Any], key: str, value: Any) -> None:
    table[key] = value
    while len(table) > _REMEMBERED:
        table.popitem(last=False)


class MatrixClient:
    """One Matrix account's client, with what the bot remembers of its rooms and messages."""

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
        self._seen: BoundedSet[str] = BoundedSet()
        self._sent: BoundedSet[str] = BoundedSet()
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
        self._locks = SessionLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        # Set once the first sync is handled: from then on every new message is answered.
        self.ready = asyncio.Event()
        # Every message is recorded before it is handled and marked done once answered (crash recovery).
        self._store = open_store(settings.effective_database_url)
        self.inbox = Inbox(self._store)
        self.memo = Memo(self._store)

    @property
    def encrypted(self) -> bool:
        """Tell whether end-to-end encryption is working (crypto store loaded)."""
        return self.client.olm is not None

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

    def _room_encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and bool(room.encrypted)

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

    async def _typing(self, room_id: str, on: bool) -> None:
        with contextlib.suppress(Exception):
            await self.client.room_typing(room_id, typing_state=on, timeout=30_000)

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

    def _handle_event(self, room_id: str, event: Any, album: tuple[str, bool] | None = None) -> None:
        """Answer one new event of a joined room (the sync layer's; a message decrypted late comes here)."""
        raise NotImplementedError
