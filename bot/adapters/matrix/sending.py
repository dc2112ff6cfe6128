"""Sending replies to Matrix rooms: in order, in parts, with the question they answer and feedback remembered."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import nio

from bot.adapters.matrix.client import _remember
from bot.adapters.matrix.media import MatrixMedia
from bot.adapters.matrix.render import PART_KEY, RESPONSE_TO_KEY, Thread, render_reply
from bot.adapters.matrix.state import TRANSPORT
from bot.messages import Reply, SessionKey

log = logging.getLogger("bot.adapters.matrix")  # one logger for the whole adapter


class MatrixSender(MatrixMedia):
    """Sends replies: text events, files, relays to other sessions."""

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
