"""A Telegram album (photos sent together, one update each) is checked once, as one document, in one report
naming the pages each piece was found on; the gatherer hands the album on once no photo came for a moment."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.base import AlbumGatherer
from bot.app import build_core
from bot.conversation import Conversation
from bot.messages import Incoming, Reply
from tests.telegram_standin import BotApiStandIn, make_settings, running_bot, serving
from tests.test_photo_groups import STATUTES

pytestmark = pytest.mark.timeout(180)
ASYNC = pytest.mark.asyncio(loop_scope="session")

USER = 7301


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


@ASYNC
async def test_the_gatherer_hands_every_part_to_the_first_once_quiet() -> None:
    gatherer: AlbumGatherer[str] = AlbumGatherer(0.2)
    handled: list[str] = []

    async def part(order: int, name: str) -> None:
        album = await gatherer.join("me", "album", order, name)
        if album.leader:
            handled.extend(album.ordered())
            album.finish()
        else:
            await album.finished()
            handled.append(f"{name} answered")

    async def sent_in_a_row() -> None:
        tasks = []
        for order, name in ((3, "c"), (1, "a"), (2, "b")):  # updates may be handled out of order
            tasks.append(asyncio.create_task(part(order, name)))
            await asyncio.sleep(0.05)
        await asyncio.gather(*tasks)

    await asyncio.wait_for(sent_in_a_row(), 5)
    assert handled[:3] == ["a", "b", "c"]
    assert sorted(handled[3:]) == ["a answered", "b answered"]
    later = await asyncio.wait_for(gatherer.join("me", "album", 4, "d"), 5)
    assert later.leader and later.ordered() == ["d"]  # the album was closed: a new one starts


class CountedCore:
    """The real core, counting the checks it runs."""

    def __init__(self, core: Conversation) -> None:
        self.core = core
        self.attachments: list[bool] = []  # for each file received: whether more of its album follow
        self._lock = threading.Lock()

    def handle(self, incoming: Incoming) -> list[Reply]:
        with self._lock:
            if incoming.attachment is not None:
                self.attachments.append(incoming.attachment.follows)
        return self.core.handle(incoming)


@ASYNC
async def test_an_album_of_a_three_page_statute_is_checked_once_as_one_document(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user = standin.user(USER)
    settings = make_settings(standin, tmp_path, album_wait=0.5)
    core = CountedCore(build_core(settings))
    async with running_bot(standin, settings, core):
        await standin.send_text(user, "/dossier opening")
        started = len(await standin.wait_for_messages(USER, 1, timeout=30))
        for page in STATUTES:
            await standin.send_photo(user, [(1240, 1754, page)], media_group_id="album-42")
        await standin.wait_until(lambda: any("📄" in m.text for m in standin.sent_to(USER)), timeout=120)
        await asyncio.sleep(1.5)  # time for any further check to show up
    shown = standin.sent_to(USER)[started:]
    summaries = [m.text for m in shown if "📄" in m.text]
    assert core.attachments == [True, True, False]
    assert len(summaries) == 1, summaries
    assert summaries[0].count(".jpg") == 3 and "3 page(s)" in summaries[0]
    assert "Statuts" in summaries[0] and "p. 1, 2, 3" in summaries[0]


def test_photos_named_on_one_terminal_upload_line_are_checked_once(tmp_path: Path) -> None:
    import io

    from bot.adapters.console import Console
    from bot.messages import SessionKey
    from tests.transcript import make_core

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, data in enumerate(STATUTES, start=1):
        (folder / f"IMG_{i:04d}.jpg").write_bytes(data)
    out = io.StringIO()
    console = Console(make_core(tmp_path / "data"), SessionKey("console", "me", "me"), tmp_path / "out", out)
    console.send("/dossier opening")
    console.send(f"/upload {folder / 'IMG_0001.jpg'} {folder / 'IMG_0002.jpg'} {folder / 'IMG_0003.jpg'}")
    text = out.getvalue()
    assert text.count("📄") == 1, text
    assert "IMG_0001.jpg + IMG_0002.jpg + IMG_0003.jpg (3 page(s)" in text
    assert "Statuts" in text and "p. 1, 2, 3" in text


class _Event:
    def __init__(self, event_id: str, sender: str, msgtype: str, mime: str = "image/jpeg") -> None:
        content = {"msgtype": msgtype, "body": event_id, "info": {"mimetype": mime}}
        self.source = {"event_id": event_id, "sender": sender, "type": "m.room.message", "content": content}


def test_pictures_sent_in_a_row_in_one_matrix_sync_make_an_album() -> None:
    from bot.adapters.matrix import album_marks

    events = [
        _Event("$a", "@u:x", "m.image"),
        _Event("$b", "@u:x", "m.file"),  # a photo sent as a file
        _Event("$c", "@u:x", "m.image"),
        _Event("$t", "@u:x", "m.text"),  # a message ends the run
        _Event("$d", "@u:x", "m.image"),  # alone: no album
        _Event("$e", "@u:x", "m.file", mime="application/pdf"),
        _Event("$f", "@u:x", "m.image"),
        _Event("$g", "@v:x", "m.image"),  # another sender
    ]
    assert album_marks(events) == {"$a": ("$a", True), "$b": ("$a", True), "$c": ("$a", False)}
