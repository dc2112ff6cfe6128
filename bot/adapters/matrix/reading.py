"""Reading Matrix events: who may invite, reply fallbacks, ``!commands``, reactions, albums of pictures."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MEDIA_TYPES = frozenset({"m.file", "m.image", "m.audio", "m.video"})
# 👍/👎 reactions (any skin tone, with or without the emoji variation selector) give feedback on an answer.
FEEDBACK_REACTIONS = {"👍": "up", "👎": "down"}
_EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
# /whoami (and the spellings bot.staff registers): in an encrypted room, the devices trusted there follow.
WHOAMI = re.compile(r"\s*/(?:whoami|quisuisje|id|compte)\b", re.IGNORECASE)
# Set by the adapter on an edit of the user's last message: [original event id, text it replaces].
CORRECTION_KEY = "org.vetpharma.correction_of"
# Pictures a user sent one after another in one sync (several photos picked at once): one album, whose
# parts carry [album id, whether more parts follow] under this key (kept in the inbox for a replay).
ALBUM_KEY = "org.vetpharma.album"


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


def normalise_command(text: str) -> str:
    """Turn a Matrix-style ``!command`` into the core's ``/command``."""
    if len(text) > 1 and text[0] == "!" and text[1].isalpha():
        return "/" + text[1:]
    return text


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


# "#12 text": a staff member's answer to ticket 12, read in a staff room without a mention.
TICKET_ANSWER = re.compile(r"\s*#\d{1,9}\s+\S")


def strip_emoji_modifiers(key: str) -> str:
    """Drop variation selectors and skin tones from a reaction key."""
    return _EMOJI_MODIFIERS.sub("", key).strip()
