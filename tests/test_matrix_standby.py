"""Matrix hot standby: two ``vetpharma matrix`` processes on one account and one PostgreSQL store, in encrypted
rooms. One syncs, the other waits on the account's lease. The active one is killed (SIGKILL) while it checks a
scanned PDF; the standby takes over, answers the file the dead one left pending and a question sent while no
process was syncing, each exactly once."""

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
from datetime import datetime
from pathlib import Path

import nio
import pytest

from bot.adapters.matrix import PART_KEY
from tests import postgres_server
from tests.pdfgen import content, render
from tests.synapse_harness import MatrixAccount, Synapse
from tests.test_matrix import WAIT, unique
from tests.test_matrix_e2e import CryptoPerson, people

pytestmark = pytest.mark.slow

VETPHARMA = str(Path(sys.executable).with_name("vetpharma"))
# The bound on a takeover: from the kill to the standby logged in and syncing in its place. (The answer
# itself then takes what answering takes on this machine, which a loaded test run cannot bound.)
TAKEOVER_SECONDS = 10.0
LOGGED_IN = "INFO bot.adapters.matrix: logged in to Matrix as"


@dataclass
class TypingCryptoPerson(CryptoPerson):
    """An e2e user who also sees typing notifications (the bot shows one while it checks a file)."""

    typing: set[str] = field(default_factory=set)

    async def watch_typing(self, who: str) -> None:
        """Sync until ``who`` is typing somewhere."""
        deadline = time.monotonic() + WAIT
        while who not in self.typing:
            assert time.monotonic() < deadline, f"{who} never showed typing"
            response = await self.client.sync(timeout=200, since=self.since)
            assert isinstance(response, nio.SyncResponse), response
            self.since = response.next_batch
            for room_id, info in response.rooms.join.items():
                self.events.setdefault(room_id, []).extend(event.source for event in info.timeline.events)
                for event in info.ephemeral:
                    if isinstance(event, nio.TypingNoticeEvent):
                        self.typing = set(event.users)
            await self.chores()


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    reason = postgres_server.available()
    if reason is not None:
        pytest.skip(reason)
    with postgres_server.postgres_server() as admin_url:
        yield admin_url


@contextmanager
def bot_process(
    synapse: Synapse, account: MatrixAccount, data_dir: Path, database_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``vetpharma matrix`` on the shared data folder and database, in its own process group."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "private.toml"
    config.write_text(
        f'data_dir = "{data_dir}"\ndatabase_url = "{database_url}"\n\n[helpdesk]\nrate_limit_per_minute = 0\n'
    )
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
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    """Wait until the process logs ``text``."""
    deadline = time.monotonic() + WAIT * 3  # a cold start loads the models
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.2)


async def answered_once(person: CryptoPerson, room: str, event_id: str) -> list[dict[str, object]]:
    """Return the one answer to ``event_id``, after checking that each of its parts came once."""
    parts = await person.answer_to(room, event_id)
    # Answers go out in order: an answer sent twice would arrive before the answer to this one.
    assert await person.exchange(room, "/status")
    numbers = sorted(int(p[PART_KEY][0]) for p in person.answers(room, event_id))
    assert numbers == list(range(1, int(parts[0][PART_KEY][1]) + 1)), numbers
    return parts


async def test_the_standby_takes_over_when_the_active_process_is_killed(
    synapse: Synapse, postgres: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_database(postgres)
    bot = synapse.register(unique("standbybot"))
    alice_account, bob_account = synapse.register(unique("alice")), synapse.register(unique("bob"))
    rng = random.Random(5)
    scan = render.scanned(render.to_pdf(content.plans_before_after(rng, "dev"), rng), rng)
    data = tmp_path / "bot"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    alice = await TypingCryptoPerson.login_e2e(synapse, alice_account, tmp_path / "alice")
    async with people(synapse, tmp_path, bob_account) as (bob,):
        try:
            with bot_process(synapse, bot, data, url, first_log) as first:
                wait_for_line(first_log, "active for", first)
                alice_room = await alice.open_encrypted(bot.user_id)
                bob_room = await bob.open_encrypted(bot.user_id)
                await alice.membership_of(alice_room, bot.user_id, "join")
                await bob.membership_of(bob_room, bot.user_id, "join")
                assert await alice.exchange(alice_room, "/dossier modification")
                assert await bob.exchange(bob_room, "/privacy")

                with bot_process(synapse, bot, data, url, second_log) as second:
                    wait_for_line(second_log, "standby for", second)
                    assert "active for" not in second_log.read_text(errors="replace")
                    # The active process is checking Alice's scan when it is killed.
                    scanned = await alice.send_encrypted_file(
                        alice_room, scan, "plans.pdf", "application/pdf"
                    )
                    await alice.watch_typing(bot.user_id)
                    os.killpg(first.pid, signal.SIGKILL)
                    first.wait()
                    killed = datetime.now()
                    # Sent while no process syncs the account, encrypted with the keys the bot's device holds.
                    asked = await bob.say(bob_room, "Quel est le délai de réponse pour une modification ?")
                    answer = await bob.answer_to(bob_room, asked)
                    assert answer
                    text = second_log.read_text(errors="replace")
                    (line,) = [line for line in text.splitlines() if LOGGED_IN in line]
                    resumed = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                    assert (resumed - killed).total_seconds() < TAKEOVER_SECONDS, text

                    report = " ".join(str(p["body"]) for p in await answered_once(alice, alice_room, scanned))
                    assert "plans.pdf" in report
                    await answered_once(bob, bob_room, asked)
                    # Nothing arrived that the users' devices could not read.
                    assert not alice.undecryptable and not bob.undecryptable
                    second_text = second_log.read_text(errors="replace")
                    assert " ERROR " not in second_text, second_text
        finally:
            await alice.close()
