"""Reading a Telegram message: is it meant for the bot (groups), in which language, cut to the size limit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import User

from bot.adapters.base import split_text
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES

TRANSPORT = "telegram"
MAX_MESSAGE_UTF16 = 4096  # Bot API limit on a message's text after entity parsing


def split_message(text: str, limit: int = MAX_MESSAGE_UTF16) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` UTF-16 units, at paragraph, item or line ends."""
    return split_text(text.strip(), limit)


def _language(user: User | None, default: str) -> str:
    code = (user.language_code or "") if user else ""
    for lang in LANGUAGES:
        if code.lower().startswith(lang):
            return lang
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Addressing:
    """Whether a message is meant for the bot, and its text with the bot's name taken out."""

    addressed: bool
    text: str


_COMMAND = re.compile(r"^/(\w+)(?:@(\w+))?(.*)$", re.DOTALL)


# "#12 text": a staff member's answer to ticket 12, read in a staff room without a mention.
TICKET_ANSWER = re.compile(r"\s*#\d{1,9}\s+\S")


def address(
    text: str, *, private: bool, bot_username: str, replied_to_bot: bool, staff_room: bool = False
) -> Addressing:
    """Decide if the bot is addressed (private chat, command, @mention, reply, "#N" in a staff room)."""
    match = _COMMAND.match(text)
    if match:
        command, target, rest = match.groups()
        if target and target.lower() != bot_username.lower():
            return Addressing(False, text)  # a command for another bot in the same group
        return Addressing(True, f"/{command}{rest}")
    mention = re.compile(rf"(?<![\w@])@{re.escape(bot_username)}\b[,:]?", re.IGNORECASE)
    cleaned, mentions = mention.subn("", text)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    staff_answer = staff_room and TICKET_ANSWER.match(text) is not None
    return Addressing(
        private or replied_to_bot or staff_answer or mentions > 0, cleaned if mentions else text
    )
