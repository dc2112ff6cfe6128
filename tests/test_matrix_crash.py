"""Nothing lost, nothing doubled on Matrix: the bot process is killed (SIGKILL) while it checks a scanned PDF,
restarted, and the file is answered exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nio
import pytest

from bot.adapters.matrix import PART_KEY
from tests.pdfgen import content, render
from tests.synapse_harness import MatrixAccount, Synapse
from tests.test_matrix import WAIT, Person, unique

pytestmark = pytest.mark.slow

VETPHARMA = str(Path(sys.executable).with_name("vetpharma"))


@dataclass
class WatchingPerson(Person):
    """A user who also sees typing notifications (the bot shows one while it checks a file)."""

    typing: set[str] = field(default_factory=set)

    async def pump(self, timeout_ms: int = 1000) -> None:
        response = await self.client.sync(timeout=timeout_ms, since=self.since)
        assert isinstance(response, nio.SyncResponse), response
        self.since = response.next_batch
        for room_id, info in response.rooms.join.items():
            self.events.setdefault(room_id, []).extend(event.source for event in info.timeline.events)
            for event in info.ephemeral:
                if isinstance(event, nio.TypingNoticeEvent):
                    self.typing = set(event.users)


@contextmanager
def bot_process(synapse: Synapse, account: MatrixAccount, data_dir: Path, log: Path) -> Iterator[int]:
    """Run ``vetpharma matrix`` in its own process group; the caller may kill it."""
    config = data_dir / "private.toml"
    config.write_text(f'data_dir = "{data_dir}"\n\n[helpdesk]\nrate_limit_per_minute = 0\n')
    env = {
        **os.environ,
        "VETPHARMA_CONFIG": str(config),
        "VETPHARMA_MATRIX_HOMESERVER": synapse.base_url,
        "VETPHARMA_MATRIX_USER_ID": account.user_id,
        "VETPHARMA_MATRIX_PASSWORD": account.password,
    }
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [VETPHARMA, "matrix"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def test_a_file_checked_when_the_bot_is_killed_is_answered_once_after_restart(
    synapse: Synapse, tmp_path: Path
) -> None:
    bot_account, user_account = synapse.register(unique("crashbot")), synapse.register(unique("alice"))
    rng = random.Random(3)
    scan = render.scanned(render.to_pdf(content.plans_before_after(rng, "dev"), rng), rng)
    log = tmp_path / "bot.log"
    client = nio.AsyncClient(synapse.base_url, user_account.user_id)
    client.access_token, client.user_id, client.device_id = (
        user_account.access_token,
        user_account.user_id,
        user_account.device_id,
    )
    person = WatchingPerson(client, user_account.user_id)
    try:
        await person.pump(0)
        room = await person.open_room(bot_account.user_id)
        with bot_process(synapse, bot_account, tmp_path, log) as pid:
            await person.membership_of(room, bot_account.user_id, "join")
            assert await person.exchange(room, "/dossier modification")
            mxc = await person.upload(scan, "application/pdf", "plans.pdf")
            sent = await person.send(
                room,
                {
                    "msgtype": "m.file",
                    "body": "plans.pdf",
                    "url": mxc,
                    "info": {"mimetype": "application/pdf", "size": len(scan)},
                },
            )
            deadline = time.monotonic() + WAIT
            while bot_account.user_id not in person.typing:  # the check has started
                assert time.monotonic() < deadline, log.read_text()
                await person.pump(200)
            os.killpg(pid, signal.SIGKILL)
        await person.pump(0)
        assert person.answers(room, sent) == [], "answered before the kill: nothing left to recover"

        with bot_process(synapse, bot_account, tmp_path, log):
            parts = await person.answer_to(room, sent)
            assert "plans.pdf" in " ".join(p["body"] for p in parts)
            # Answers go out in order: an answer sent twice would arrive before this one's.
            assert await person.exchange(room, "/status")
        numbers = sorted(int(p[PART_KEY][0]) for p in person.answers(room, sent))
        assert numbers == list(range(1, int(parts[0][PART_KEY][1]) + 1)), numbers
    finally:
        await person.close()
