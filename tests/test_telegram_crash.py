"""Nothing lost, nothing doubled on Telegram: the bot process is killed (SIGKILL) while it checks a scanned
PDF, restarted, and the file is answered exactly once (the update id is the idempotency key)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.pdfgen import content, render
from tests.telegram_standin import TOKEN, BotApiStandIn, serving

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

VETPHARMA = str(Path(sys.executable).with_name("vetpharma"))
WAIT = 120.0  # seconds: an upper bound on waiting for the bot, never an assertion on speed


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


@contextmanager
def bot_process(standin: BotApiStandIn, data_dir: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``vetpharma telegram`` against the stand-in, in its own process group."""
    config = data_dir / "private.toml"
    config.write_text(f'data_dir = "{data_dir}"\n\n[helpdesk]\nrate_limit_per_minute = 0\n')
    env = {
        **os.environ,
        "VETPHARMA_CONFIG": str(config),
        "VETPHARMA_TELEGRAM_TOKEN": TOKEN,
        "VETPHARMA_TELEGRAM_BASE_URL": standin.base_url,
        "VETPHARMA_TELEGRAM_BASE_FILE_URL": standin.base_file_url,
    }
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [VETPHARMA, "telegram"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def test_a_file_checked_when_the_bot_is_killed_is_answered_once_after_restart(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    rng = random.Random(3)
    scan = render.scanned(render.to_pdf(content.plans_before_after(rng, "dev"), rng), rng)
    user = standin.user(777)
    log = tmp_path / "bot.log"
    with bot_process(standin, tmp_path, log) as process:
        await standin.wait_until(lambda: bool(standin.calls_to("getUpdates")), WAIT)
        await standin.send_text(user, "/dossier modification")
        await standin.wait_for_messages(777, 1, WAIT)
        before = standin.count_sent(777)
        await standin.wait_until(lambda: standin.count_sent(777) == before, WAIT)
        typing = len(standin.calls_to("sendChatAction"))
        await standin.send_document(user, "plans.pdf", scan)
        # The check has started (the bot shows "typing…" while it reads the file): kill it there.
        await standin.wait_until(lambda: len(standin.calls_to("sendChatAction")) > typing, WAIT)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    sent_before_restart = standin.count_sent(777)
    assert not any("plans.pdf" in m.text for m in standin.sent_to(777)), "answered before the kill"

    with bot_process(standin, tmp_path, log) as process:
        await standin.wait_until(lambda: any("plans.pdf" in m.text for m in standin.sent_to(777)), WAIT)
        # Answers go out in order: an answer sent twice would arrive before this one's.
        await standin.send_text(user, "/status")
        await standin.wait_until(
            lambda: any("Dossier n° 1" in m.text for m in standin.sent_to(777)[sent_before_restart:]), WAIT
        )
        process.send_signal(signal.SIGTERM)
        # Waited for without blocking the loop: the stand-in must answer the bot's last getUpdates.
        await standin.wait_until(lambda: process.poll() is not None, WAIT)
        assert process.returncode == 0
    # A service manager's stop (SIGTERM) is clean: nothing logged as an error by the second run.
    second_run = log.read_text(errors="replace").split("starting: telegram")[-1]
    assert " ERROR " not in second_run and "Traceback" not in second_run, second_run[-2000:]
    reports = [m for m in standin.sent_to(777) if m.text.startswith("📄 plans.pdf")]
    assert len(reports) == 1, [m.text[:80] for m in standin.sent_to(777)]
