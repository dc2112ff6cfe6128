"""Inline keyboards: a choice as a button's callback data (64 bytes at most) and back; button presses answered."""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from telegram import CallbackQuery
from telegram.error import TelegramError

from bot.adapters.telegram.addressing import TRANSPORT
from bot.messages import Choice, SessionKey
from bot.store import Memo

log = logging.getLogger("bot.adapters.telegram")  # one logger for the whole adapter

MAX_CALLBACK_BYTES = 64  # Bot API limit on an inline button's callback_data


@dataclass(frozen=True)
class PendingChoice:
    """What a pressed button stands for; ``user`` is who may press it (empty: whoever sees it)."""

    value: str
    user: str = ""


class ChoiceCallbacks:
    """Maps choices to callback data of at most 64 bytes, and back.

    A short value in a private chat travels in the button itself (it survives a restart); a long value,
    or any value in a group (where only the asked person may answer), travels as a short token.
    """

    VALUE = "="
    TOKEN = "#"

    def __init__(self, capacity: int = 50_000, memo: Memo | None = None) -> None:
        self._tokens: OrderedDict[str, PendingChoice] = OrderedDict()
        self._capacity = capacity
        # Tokens are also kept in the store, so that buttons sent before a restart still work.
        self._memo = memo

    def encode(self, key: SessionKey, choice: Choice) -> str:
        """Return the callback data for ``choice`` offered to ``key``."""
        private = key.chat == key.user
        direct = self.VALUE + choice.value
        if private and len(direct.encode()) <= MAX_CALLBACK_BYTES:
            return direct
        token = self.TOKEN + secrets.token_urlsafe(12)
        pending = PendingChoice(choice.value, "" if private else key.user)
        self._tokens[token] = pending
        if self._memo is not None:
            self._memo.put(TRANSPORT, "button", token, json.dumps([pending.value, pending.user]))
        while len(self._tokens) > self._capacity:
            self._tokens.popitem(last=False)
        return token

    def decode(self, data: str) -> PendingChoice | None:
        """Return what ``data`` stands for, or None when it is unknown or forgotten."""
        if data.startswith(self.VALUE):
            return PendingChoice(data[len(self.VALUE) :])
        found = self._tokens.get(data)
        if found is None and self._memo is not None and data.startswith(self.TOKEN):
            remembered = self._memo.get(TRANSPORT, "button", data)
            if remembered is not None:
                value, user = json.loads(remembered)
                found = PendingChoice(str(value), str(user))
        return found


async def _answer(query: CallbackQuery, alert: str | None = None) -> None:
    """Stop the button's spinner (with an alert if given); a query too old to answer is no failure."""
    try:
        await query.answer(alert, show_alert=alert is not None)
    except TelegramError as exc:
        log.info("could not answer a button press: %s", exc)
