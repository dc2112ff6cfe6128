"""Answering one Matrix message: is it for the bot (groups), its text or file, the core's replies sent back."""

from __future__ import annotations

import contextlib
import html
import logging
import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from bot.adapters.base import typing_while
from bot.adapters.matrix.client import _REMEMBERED
from bot.adapters.matrix.crypto import MatrixCrypto
from bot.adapters.matrix.media import media_ref
from bot.adapters.matrix.reading import (
    _LEADING_PILL,
    ALBUM_KEY,
    CORRECTION_KEY,
    MEDIA_TYPES,
    TICKET_ANSWER,
    WHOAMI,
    normalise_command,
    strip_reply_fallback,
)
from bot.adapters.matrix.render import Thread
from bot.adapters.matrix.state import TRANSPORT
from bot.dispatch import fallback_error
from bot.faults import log_failure
from bot.i18n import both_languages
from bot.messages import Attachment, Incoming, Reply, SessionKey

log = logging.getLogger("bot.adapters.matrix")  # one logger for the whole adapter

TYPING_REFRESH_SECONDS = 20.0  # the typing notice is sent for 30 s: renewed before it fades


class MatrixAnswerer(MatrixCrypto):
    """Turns a message into the core's ``Incoming`` and sends the replies."""

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
        async with self._locks.hold(key):
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
            addressed = self._addressed_text(room_id, key, content, body, text, reply_to_text is not None)
            if addressed is None:
                return  # group chatter not meant for the bot
            text = addressed
        text = normalise_command(text.strip())
        room = self.client.rooms.get(room_id)
        member = room.users.get(key.user) if room is not None else None
        display_name = getattr(member, "display_name", None)
        attachment: Attachment | None = None
        attachment_error: str | None = None
        if msgtype in MEDIA_TYPES:
            text, attachment, attachment_error = await self._read_media(content, body)
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
        await self._respond(room_id, key, event_id, incoming, group)

    def _addressed_text(
        self, room_id: str, key: SessionKey, content: dict[str, Any], body: str, text: str, replied: bool
    ) -> str | None:
        """Return the text of a group message meant for the bot (its mention taken out); None for chatter."""
        command = text.lstrip().startswith(("!", "/"))
        mentioned = self._mentioned(room_id, content, body)
        staff_answer = bool(TICKET_ANSWER.match(text)) and (
            room_id in self._staff_rooms or key.user in self._staff_users
        )
        if not (command or mentioned or staff_answer or replied):
            return None
        return self._strip_mention(room_id, content, text) if mentioned else text

    async def _read_media(
        self, content: dict[str, Any], body: str
    ) -> tuple[str, Attachment | None, str | None]:
        """Download a file message: its caption as the text, the file (an album's part marked), or why not."""
        ref = media_ref(content)
        if ref is None:
            return "", None, self._error_text("download_failed", name=body or "?")
        text = normalise_command(ref.caption.strip())
        attachment, attachment_error = await self._download(ref)
        album = content.get(ALBUM_KEY)
        if attachment is not None and isinstance(album, list) and len(album) == 2:
            attachment = replace(attachment, group=str(album[0]), follows=album[1] is True)
        return text, attachment, attachment_error

    async def _respond(
        self, room_id: str, key: SessionKey, event_id: str, incoming: Incoming, group: bool
    ) -> None:
        """Have the core answer, then send the replies for this room here and relay the others."""
        # "typing…" at once for a file (it will be checked), after a moment for any slow reply.
        delay = 0.0 if incoming.attachment is not None else self.config.typing_delay

        async def show(on: bool) -> None:
            await self._typing(room_id, on)

        async with typing_while(show, delay=delay, refresh=TYPING_REFRESH_SECONDS):
            replies = await self.dispatcher.handle(incoming)
        local = [reply for reply in replies if reply.to is None or reply.to == key]
        if WHOAMI.match(incoming.text) and self._room_encrypted(room_id):
            # Setting up an encrypted (staff) room: the devices the bot trusts there, to compare fingerprints.
            local.append(
                Reply("\n".join([both_languages("matrix_devices_title") + ":", *self.device_lines(room_id)]))
            )
        await self.send_replies(room_id, local, Thread(event_id, mention=key.user if group else None))
        for reply in replies:
            if reply.to is not None and reply.to != key:
                await self._relay(reply, key)
