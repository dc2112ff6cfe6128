"""Load test of the Matrix transport: N simulated users at once against a local Synapse and the real bot.

Starts Synapse on 127.0.0.1 (the test harness), runs ``vetpharma matrix`` in its own process, opens one direct
room per user, then each user asks a question, waits for the answer, reads it for a while (``--think``, 5 s on
average: someone reading an answer before the next question) and asks again, until the time is up. Prints
messages answered per second, reply latency p50/p99 (end to end, as the user sees it, and the bot's own path
from the server's timestamps), Synapse's and the bot's CPU per message, and any lost, incomplete or duplicated
answer. One warm-up message per user comes first and is reported on its own (cold caches, lazy loading).

    .venv/bin/python bench/load_matrix.py --users 50 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.synapse_harness import MatrixAccount, Synapse  # noqa: E402

# As set by bot.adapters.matrix on every answer: the question answered, and "part n of total".
RESPONSE_TO_KEY = "org.vetpharma.response_to"
PART_KEY = "org.vetpharma.part"
QUESTIONS = (
    "Combien d'assistants faut-il pour 80 personnes ?",
    "Quel est le délai de réponse pour une demande d'ouverture ?",
    "/article 14",
    "bonjour",
    "Quelles pièces pour un transfert ?",
    "What documents do I need to open an establishment?",
)
REPLY_TIMEOUT = 15.0  # a user gives up waiting and asks again; the question counts as lost if never answered
DRAIN_SECONDS = 15.0  # after the end, late answers still count (as answered, with their real latency)
USER_FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "ephemeral": {"not_types": ["*"]},
        "timeline": {"limit": 50},
        "state": {"lazy_load_members": True},
    },
}


@dataclass
class SimulatedUser:
    """One person in a direct room with the bot, speaking raw client-server HTTP (cheaper than a full SDK)."""

    http: aiohttp.ClientSession
    base_url: str
    account: MatrixAccount
    bot_id: str
    room_id: str = ""
    since: str | None = None
    sent: dict[str, float] = field(default_factory=dict)  # question event id -> send time
    answers: dict[str, list[tuple[float, str, str]]] = field(
        default_factory=dict
    )  # -> (time, event id, body)
    bot_joined: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    txn: int = 0
    # Server timestamps of questions and answers: their difference is the time spent in the bot's path
    # (sync to the bot, core, send back), without the simulated user's own HTTP round trips.
    stamps: dict[str, int] = field(default_factory=dict)

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> Any:
        headers = {"Authorization": f"Bearer {self.account.access_token}"}
        async with self.http.request(
            method, self.base_url + path, json=body, params=params or None, headers=headers
        ) as response:
            data = await response.json()
            if response.status != 200:
                raise RuntimeError(f"{method} {path}: {response.status} {data}")
            return data

    async def open_room(self) -> None:
        created = await self.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            {"invite": [self.bot_id], "is_direct": True, "preset": "trusted_private_chat"},
        )
        self.room_id = created["room_id"]

    async def sync_forever(self, stop: asyncio.Event) -> None:
        """Long-poll /sync and record the bot's answers as they arrive."""
        filter_json = json.dumps(USER_FILTER)
        while not stop.is_set():
            params = {"timeout": "10000", "filter": filter_json}
            if self.since:
                params["since"] = self.since
            try:
                data = await self.call("GET", "/_matrix/client/v3/sync", **params)
            except (TimeoutError, aiohttp.ClientError, RuntimeError):
                await asyncio.sleep(0.5)
                continue
            now = time.monotonic()
            self.since = data["next_batch"]
            room = data.get("rooms", {}).get("join", {}).get(self.room_id)
            for event in (room or {}).get("timeline", {}).get("events", []):
                if event.get("sender") == self.account.user_id and "event_id" in event:
                    self.stamps[event["event_id"]] = int(event.get("origin_server_ts", 0))
                if event.get("sender") != self.bot_id:
                    continue
                if (
                    event.get("type") == "m.room.member"
                    and event.get("content", {}).get("membership") == "join"
                ):
                    self.bot_joined.set()
                question = event.get("content", {}).get(RESPONSE_TO_KEY)
                if event.get("type") == "m.room.message" and isinstance(question, str):
                    part = event["content"].get(PART_KEY) or [1, 1]
                    self.answers.setdefault(question, []).append(
                        (now, event["event_id"], f"{part[0]}/{part[1]}")
                    )
                    self.stamps[event["event_id"]] = int(event.get("origin_server_ts", 0))
            self.changed.set()

    async def ask(self, text: str) -> None:
        """Send one question and wait (bounded) for its first answer."""
        self.txn += 1
        started = time.monotonic()
        path = f"/_matrix/client/v3/rooms/{quote(self.room_id)}/send/m.room.message/q{self.txn}"
        sent = await self.call("PUT", path, {"msgtype": "m.text", "body": text})
        event_id = sent["event_id"]
        self.sent[event_id] = started
        deadline = started + REPLY_TIMEOUT
        while event_id not in self.answers and time.monotonic() < deadline:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break

    async def converse(self, until: float, think: float, rng: random.Random) -> None:
        """Ask, read, think, ask again, until the end of the run (first question at a random moment)."""
        # People do not all press Enter in the same millisecond: spread the first questions over one pause.
        await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < until:
            await self.ask(rng.choice(QUESTIONS))
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def _cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process has used so far, from /proc; 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _cpu_pressure() -> float | None:
    """Share of the last minute some task waited for a CPU (Linux PSI): how busy the machine was."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return float(dict(item.split("=") for item in line.split()[1:])["avg60"])
    except (OSError, ValueError, KeyError, IndexError):
        return None


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _start_bot(synapse: Synapse, account: MatrixAccount, directory: Path) -> subprocess.Popen[bytes]:
    config = directory / "bench.toml"
    config.write_text("")
    env = {
        **os.environ,
        "VETPHARMA_CONFIG": str(config),
        "VETPHARMA_DATA_DIR": str(directory / "data"),
        "VETPHARMA_LOG_LEVEL": "WARNING",
        "VETPHARMA_MATRIX_HOMESERVER": synapse.base_url,
        "VETPHARMA_MATRIX_USER_ID": account.user_id,
        "VETPHARMA_MATRIX_PASSWORD": account.password,
        "VETPHARMA_MATRIX_STATE_DIR": str(directory / "matrix"),
    }
    with open(directory / "bot.log", "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "matrix"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def _wait_bot_ready(directory: Path, bot: subprocess.Popen[bytes], timeout: float = 120) -> None:
    state = directory / "matrix" / "sync_state.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            raise RuntimeError(
                f"the bot exited: {(directory / 'bot.log').read_text(errors='replace')[-3000:]}"
            )
        if state.exists() and json.loads(state.read_text() or "{}").get("next_batch"):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not finish its first sync")


async def run_matrix_load(users: int, seconds: float, think: float = 5.0, seed: int = 1) -> dict[str, Any]:
    """Drive ``users`` simulated users for ``seconds``; return messages/s, p50/p99 (ms), lost and duplicated."""
    with tempfile.TemporaryDirectory(prefix="vetpharma-load-") as tmp:
        directory = Path(tmp)
        synapse = Synapse(directory / "synapse")
        await asyncio.to_thread(synapse.start)
        bot: subprocess.Popen[bytes] | None = None
        try:
            bot_account = await asyncio.to_thread(synapse.register, "vetbot")
            accounts = [await asyncio.to_thread(synapse.register, f"user{n}") for n in range(users)]
            bot = _start_bot(synapse, bot_account, directory)
            await _wait_bot_ready(directory, bot)
            connector = aiohttp.TCPConnector(limit=0)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                people = [SimulatedUser(http, synapse.base_url, a, bot_account.user_id) for a in accounts]
                await asyncio.gather(*(p.open_room() for p in people))
                stop = asyncio.Event()
                syncing = [asyncio.create_task(p.sync_forever(stop)) for p in people]
                await asyncio.wait_for(asyncio.gather(*(p.bot_joined.wait() for p in people)), 120)
                # Warm-up, not measured: every user's first message (and every kind of question) reaches a
                # cold bot and cold server caches at once. Its duration is reported on its own.
                warm_start = time.monotonic()
                await asyncio.gather(*(p.ask(QUESTIONS[n % len(QUESTIONS)]) for n, p in enumerate(people)))
                warmup = time.monotonic() - warm_start
                for person in people:
                    person.sent.clear()
                rng = random.Random(seed)
                cpu_before = _cpu_seconds(synapse.pid), _cpu_seconds(bot.pid)
                started = time.monotonic()
                until = started + seconds
                await asyncio.gather(*(p.converse(until, think, random.Random(rng.random())) for p in people))
                elapsed = time.monotonic() - started
                cpu_used = _cpu_seconds(synapse.pid) - cpu_before[0], _cpu_seconds(bot.pid) - cpu_before[1]
                pressure = _cpu_pressure()
                drain_until = time.monotonic() + DRAIN_SECONDS
                while time.monotonic() < drain_until and any(
                    q not in p.answers for p in people for q in p.sent
                ):
                    await asyncio.sleep(0.2)
                stop.set()
                for task in syncing:
                    task.cancel()
                await asyncio.gather(*syncing, return_exceptions=True)
        finally:
            if bot is not None:
                bot.terminate()
                try:
                    bot.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    bot.kill()
            await asyncio.to_thread(synapse.stop)

    latencies: list[float] = []
    server_side: list[float] = []
    timeline: list[tuple[float, float]] = []  # (when asked, seconds from the start; latency)
    lost = duplicated = sent = incomplete = 0
    for person in people:
        for question, at in person.sent.items():
            sent += 1
            answers = person.answers.get(question, [])
            if not answers:
                lost += 1
                continue
            latencies.append(min(t for t, _, _ in answers) - at)
            timeline.append((round(at - started, 2), round(latencies[-1], 3)))
            first_answer = min(answers)[1]
            if question in person.stamps and first_answer in person.stamps:
                server_side.append((person.stamps[first_answer] - person.stamps[question]) / 1000)
            # The same event delivered twice, or the same part of an answer sent twice, is a duplicate.
            event_ids = [e for _, e, _ in answers]
            parts = [p for _, _, p in answers]
            duplicated += (len(event_ids) - len(set(event_ids))) + (len(parts) - len(set(parts)))
            total = int(parts[0].split("/")[1])
            incomplete += len(set(parts)) < total
    slowest = sorted(timeline, key=lambda item: -item[1])[:5]
    if os.environ.get("VETPHARMA_BENCH_TRACE"):  # every (when asked, latency) pair, for a closer look
        Path(os.environ["VETPHARMA_BENCH_TRACE"]).write_text(json.dumps(sorted(timeline)))
    return {
        "transport": "matrix",
        "users": users,
        "seconds": round(elapsed, 1),
        "warmup_seconds": round(warmup, 2),
        "sent": sent,
        "answered": sent - lost,
        "messages_per_second": round((sent - lost) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else float("nan"),
        "bot_path_p50_ms": round(_percentile(server_side, 0.50) * 1000, 1),
        "bot_path_p99_ms": round(_percentile(server_side, 0.99) * 1000, 1),
        # CPU per answered message: what each side costs, independent of how busy the machine was.
        "synapse_cpu_ms_per_msg": round(cpu_used[0] * 1000 / max(1, sent - lost), 1),
        "bot_cpu_ms_per_msg": round(cpu_used[1] * 1000 / max(1, sent - lost), 1),
        "slowest": slowest,
        # Other work on the machine slows Synapse and the bot alike: read the latencies with this figure.
        "cpu_pressure_pct_60s": pressure,
        "lost": lost,
        "incomplete": incomplete,
        "duplicated": duplicated,
    }


def main() -> int:
    """Run the load test and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean pause (s) between an answer and the next question"
    )
    args = parser.parse_args()
    result = asyncio.run(run_matrix_load(args.users, args.seconds, think=args.think))
    for key, value in result.items():
        print(f"{key:>20}: {value}")
    ok = not (result["lost"] or result["incomplete"] or result["duplicated"]) and result["p99_ms"] <= 1000
    print(f"{'target':>20}: {'met' if ok else 'NOT met'} (nothing lost or duplicated, p99 <= 1000 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
