"""The adapters' dispatcher: order per session, uploads apart, every message answered."""

from __future__ import annotations

import asyncio
import threading
import time

from bot.dispatch import Dispatcher, fallback_error
from bot.messages import Attachment, Incoming, Reply, SessionKey


class RecordingCore:
    """A conversation that records the order it saw messages in; slow on uploads, failing on 'boom'."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.release = threading.Event()

    def handle(self, incoming: Incoming) -> list[Reply]:
        if incoming.attachment is not None:
            self.release.wait(5)
        if incoming.text == "boom":
            raise RuntimeError("core bug")
        time.sleep(0.01)
        self.seen.append((incoming.key.user, incoming.text))
        return [Reply(f"echo {incoming.text}")]


def key(user: str) -> SessionKey:
    return SessionKey("test", user, user)


async def test_messages_of_one_session_stay_in_order() -> None:
    core = RecordingCore()
    dispatcher = Dispatcher(core)
    replies = await asyncio.gather(*(dispatcher.handle(Incoming(key("a"), str(i))) for i in range(20)))
    assert [r[0].text for r in replies] == [f"echo {i}" for i in range(20)]
    assert [text for _, text in core.seen] == [str(i) for i in range(20)]
    assert not dispatcher._locks  # idle sessions leave no lock behind
    dispatcher.close()


async def test_an_upload_in_progress_does_not_block_other_users() -> None:
    core = RecordingCore()
    dispatcher = Dispatcher(core, upload_workers=1)
    upload = asyncio.create_task(
        dispatcher.handle(Incoming(key("a"), "", Attachment("x.pdf", "application/pdf", b"%PDF")))
    )
    await asyncio.sleep(0.05)
    answer = await dispatcher.handle(Incoming(key("b"), "question"))
    assert answer[0].text == "echo question" and not upload.done()
    core.release.set()
    await upload
    dispatcher.close()


async def test_a_core_exception_still_gets_a_reply() -> None:
    dispatcher = Dispatcher(RecordingCore())
    (failed,) = await dispatcher.handle(Incoming(key("a"), "boom"))
    assert failed.message_id == "internal_error_retry" and failed.text == fallback_error()
    dispatcher.close()
