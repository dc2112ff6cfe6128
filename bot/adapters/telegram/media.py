"""Files on Telegram: the document or largest photo of a message, refused before download when too big."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.error import TelegramError

from bot.adapters.base import human_size
from bot.i18n import t
from bot.messages import Attachment

log = logging.getLogger("bot.adapters.telegram")  # one logger for the whole adapter


async def download(message: Message, lang: str, limit: int) -> tuple[Attachment | None, str | None]:
    """Fetch the document or largest photo, refusing oversize files before asking for them."""
    if message.document is not None:
        doc = message.document
        file_id, size = doc.file_id, doc.file_size
        name = doc.file_name or f"document-{doc.file_unique_id}"
        mime = doc.mime_type or "application/octet-stream"
    elif message.photo:
        best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        file_id, size = best.file_id, best.file_size
        name, mime = f"photo-{best.file_unique_id}.jpg", "image/jpeg"
    else:
        return None, None
    if size is not None and size > limit:
        return None, too_big(name, size, limit, lang)
    try:
        telegram_file = await message.get_bot().get_file(file_id)
        if telegram_file.file_size is not None and telegram_file.file_size > limit:
            return None, too_big(name, telegram_file.file_size, limit, lang)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download a file: %s", exc)
        return None, t(lang, "telegram_download_failed")
    if len(data) > limit:
        return None, too_big(name, len(data), limit, lang)
    return Attachment(name, mime, data, group=message.media_group_id or ""), None


def too_big(name: str, size: int, limit: int, lang: str) -> str:
    """Say that a file is over the size limit, with both sizes."""
    return t(lang, "telegram_too_big", name=name, size=human_size(size, lang), limit=human_size(limit, lang))
