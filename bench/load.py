"""Load bench: N simulated users at once, through the real transports, on loopback only.

Telegram: the bot runs as a separate process (``vetpharma telegram``, as deployed) against the local Bot
API stand-in of the tests; each simulated user sends a message, waits for the answer, thinks, and sends
the next. Matrix: ``bench/load_matrix.py`` (real Synapse) when present.

    .venv/bin/python bench/load.py [--transport telegram|matrix|all] [--users 50] [--seconds 60]

Prints messages handled per second, reply latency p50/p99 (all messages, and questions alone), and any
lost (no answer within --lost-after seconds) or duplicated (same reply twice for one message) replies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.telegram_standin import TOKEN, BotApiStandIn  # noqa: E402

# What pharmacists ask (SPEC §1), plus the commands people use most.
QUESTIONS = [
    "combien d'assistants pour 80 personnes ?",
    "quel est le délai de réponse du ministre ?",
    "qui signe la demande d'ouverture ?",
    "quelles pièces pour une modification des locaux ?",
    "faut-il une autorisation pour changer de local ?",
    "le pharmacien responsable peut-il être absent ?",
    "que se passe-t-il si le ministre ne répond pas ?",
    "how long does the minister take to answer?",
    "which documents do I need to open an establishment?",
    "qui peut être pharmacien responsable ?",
]
COMMANDS = ["/start", "/help", "/article 14", "/article 5", "/article premier"]
QUESTION_SHARE = 0.8

USER_BASE_ID = 500_000


@dataclass
class Exchange:
    kind: str  # "question" or "command"
    latency: float | None = None  # seconds to the first reply; None: lost
    replies: list[str] = field(default_factory=list)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN when there is nothing to measure."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarise(
    transport: str, users: int, seconds: float, exchanges: list[Exchange], extra: dict[str, Any]
) -> dict[str, Any]:
    """Reduce exchanges to the figures the bench prints."""
    answered = [e for e in exchanges if e.latency is not None]
    latencies = [e.latency * 1000 for e in answered if e.latency is not None]
    questions = [e.latency * 1000 for e in answered if e.kind == "question" and e.latency is not None]
    duplicated = sum(len(e.replies) - len(set(e.replies)) for e in exchanges)
    return {
        "transport": transport,
        "users": users,
        "seconds": round(seconds, 1),
        "sent": len(exchanges),
        "answered": len(answered),
        "messages_per_second": round(len(answered) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "question_p50_ms": round(percentile(questions, 50), 1),
        "question_p99_ms": round(percentile(questions, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else float("nan"),
        "lost": len(exchanges) - len(answered),
        "duplicated": duplicated,
        **extra,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 when unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _wait_ready(standin: BotApiStandIn, bot: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not standin.calls_to("getUpdates"):
        if bot.poll() is not None:
            raise RuntimeError(f"the bot process exited with status {bot.returncode} during start-up")
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not start polling in time")
        await asyncio.sleep(0.1)


async def _warm_up(standin: BotApiStandIn, timeout: float) -> float:
    """Ask every question and command once (models and indexes load lazily); return the seconds spent."""
    user = standin.user(USER_BASE_ID - 1, "Warmup")
    started = time.monotonic()
    for text in [*QUESTIONS, *COMMANDS]:
        before = standin.count_sent(user["id"])
        await standin.send_text(user, text)
        await standin.wait_until(lambda n=before: standin.count_sent(user["id"]) > n, timeout)
    return time.monotonic() - started


async def _user(
    standin: BotApiStandIn,
    user_id: int,
    deadline: float,
    think: tuple[float, float],
    lost_after: float,
    rng: random.Random,
) -> list[Exchange]:
    user = standin.user(user_id, f"User{user_id}")
    exchanges: list[Exchange] = []
    previous = ""
    # Spread the first messages over the first think time, as real users do not arrive in lockstep.
    await asyncio.sleep(rng.uniform(0, think[1]))
    while time.monotonic() < deadline:
        if rng.random() < QUESTION_SHARE:
            kind, text = "question", rng.choice(QUESTIONS)
        else:
            kind, text = "command", rng.choice(COMMANDS)
        if text == previous:
            continue  # keeps a late reply from looking like a duplicate of the next exchange
        previous = text
        exchange = Exchange(kind)
        exchanges.append(exchange)
        before = standin.count_sent(user_id)
        started = time.monotonic()
        await standin.send_text(user, text)
        with contextlib.suppress(TimeoutError):
            await standin.wait_until(lambda n=before: standin.count_sent(user_id) > n, lost_after)
            exchange.latency = standin.sent_to(user_id)[before].at - started
        await asyncio.sleep(rng.uniform(*think))
        exchange.replies = [m.text for m in standin.sent_to(user_id)[before:]]
    return exchanges


async def run_telegram_load(
    users: int,
    seconds: float,
    think: tuple[float, float] = (2.0, 4.0),
    lost_after: float = 10.0,
    seed: int = 2003,
) -> dict[str, Any]:
    """Drive ``users`` simulated Telegram users for ``seconds`` against a ``vetpharma telegram`` process."""
    standin = BotApiStandIn()
    await standin.start()
    with tempfile.TemporaryDirectory(prefix="vetpharma-load-") as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text("")
        env = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN"}}
        env |= {
            "VETPHARMA_CONFIG": str(config),
            "VETPHARMA_DATA_DIR": tmp,
            "VETPHARMA_LOG_LEVEL": "WARNING",
            "VETPHARMA_TELEGRAM_TOKEN": TOKEN,
            "VETPHARMA_TELEGRAM_BASE_URL": standin.base_url,
            "VETPHARMA_TELEGRAM_BASE_FILE_URL": standin.base_file_url,
        }
        log_path = Path(tmp) / "bot.log"
        with open(log_path, "wb") as log:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "telegram"], cwd=ROOT, env=env, stdout=log, stderr=log
            )
            try:
                await _wait_ready(standin, bot, timeout=120)
                warmup = await _warm_up(standin, timeout=120)
                calls_before = len(standin.calls)
                cpu_before = _cpu_seconds(bot.pid)
                rng = random.Random(seed)
                started = time.monotonic()
                deadline = started + seconds
                per_user = await asyncio.gather(
                    *(
                        _user(
                            standin,
                            USER_BASE_ID + n,
                            deadline,
                            think,
                            lost_after,
                            random.Random(rng.random()),
                        )
                        for n in range(users)
                    )
                )
                elapsed = time.monotonic() - started
                cpu_used = _cpu_seconds(bot.pid) - cpu_before
            finally:
                if bot.poll() is None:
                    bot.send_signal(signal.SIGINT)
                    try:
                        await asyncio.to_thread(bot.wait, 30)
                    except subprocess.TimeoutExpired:
                        bot.kill()
                        bot.wait()
                await standin.stop()
        exchanges = [e for user_exchanges in per_user for e in user_exchanges]
        redelivered = sum(n - 1 for n in standin.updates_delivered.values() if n > 1)
        api_errors = sum(1 for c in standin.calls[calls_before:] if c.status != 200)
        failures = log_path.read_text(errors="replace").count("Traceback")
    return summarise(
        "telegram",
        users,
        elapsed,
        exchanges,
        {
            "warmup_seconds": round(warmup, 1),
            # CPU of the bot process per answered message: its cost, whatever else the machine was doing.
            "bot_cpu_ms_per_msg": round(
                cpu_used * 1000 / max(1, sum(e.latency is not None for e in exchanges)), 1
            ),
            "updates_redelivered": redelivered,
            "api_errors": api_errors,
            "bot_tracebacks": failures,
            "exit_status": bot.returncode,
        },
    )


def _matrix_runner() -> Callable[[int, float], Awaitable[dict[str, Any]]] | None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        module = importlib.import_module("load_matrix")
    except ModuleNotFoundError as exc:
        if exc.name != "load_matrix":
            raise
        return None
    runner: Callable[[int, float], Awaitable[dict[str, Any]]] = module.run_matrix_load
    return runner


def print_result(result: dict[str, Any]) -> None:
    """Print one transport's figures, one per line."""
    print(f"== {result.get('transport', '?')} ==")
    for key, value in result.items():
        if key != "transport":
            print(f"  {key:<24} {value}")


async def main_async(args: argparse.Namespace) -> int:
    results: list[dict[str, Any]] = []
    if args.transport in {"telegram", "all"}:
        results.append(
            await run_telegram_load(
                args.users, args.seconds, (args.think_min, args.think_max), args.lost_after
            )
        )
        print_result(results[-1])
    if args.transport in {"matrix", "all"}:
        runner = _matrix_runner()
        if runner is None:
            print("== matrix ==\n  bench/load_matrix.py is not there yet: skipped")
        else:
            results.append(await runner(args.users, args.seconds))
            print_result(results[-1])
    bad = [r for r in results if r.get("lost") or r.get("duplicated")]
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--transport", choices=["telegram", "matrix", "all"], default="all")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--think-min", type=float, default=2.0, help="shortest pause between a reply and the next message"
    )
    parser.add_argument(
        "--think-max", type=float, default=4.0, help="longest pause between a reply and the next message"
    )
    parser.add_argument(
        "--lost-after",
        type=float,
        default=10.0,
        help="seconds without an answer before a message counts as lost",
    )
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
