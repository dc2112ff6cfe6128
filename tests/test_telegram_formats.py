"""Telegram carries the formats applicants send: Word, OpenDocument and HEIC files keep their name and
media type, and the photos of an album keep the album's id, so the core checks them as one document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.messages import Incoming, Reply
from tests.telegram_standin import BotApiStandIn, make_settings, running_bot, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = 7101
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


class Received:
    """Keeps what the adapter hands the core and acknowledges each file."""

    def __init__(self) -> None:
        self.received: list[Incoming] = []

    def handle(self, incoming: Incoming) -> list[Reply]:
        self.received.append(incoming)
        a = incoming.attachment
        return [Reply(f"reçu {a.name} ({a.mime}) [{a.group}]" if a else "?")]


async def test_word_odt_and_heic_documents_reach_the_core(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    core = Received()
    files = [("statuts.docx", DOCX), ("statuts.odt", ODT), ("IMG_0042.HEIC", "image/heic")]
    async with running_bot(standin, make_settings(standin, tmp_path), core):
        for name, mime in files:
            await standin.send_document(user, name, b"PK\x03\x04 bytes of " + name.encode(), mime=mime)
        await standin.wait_for_messages(USER, 3)
    assert [(i.attachment.name, i.attachment.mime) for i in core.received if i.attachment] == files


async def test_album_photos_carry_the_album_id(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    core = Received()
    async with running_bot(standin, make_settings(standin, tmp_path), core):
        for page in (b"1", b"2"):
            await standin.send_photo(user, [(800, 600, b"\xff\xd8" + page * 100)], media_group_id="album-7")
        await standin.send_photo(user, [(800, 600, b"\xff\xd8" + b"3" * 100)])
        await standin.wait_for_messages(USER, 3)
    groups = [i.attachment.group for i in core.received if i.attachment]
    assert groups == ["album-7", "album-7", ""]
