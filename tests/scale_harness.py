"""Several processes behind a real balancer: PostgreSQL, nginx, Telegram webhook bots, check workers.

Shared by ``tests/test_scale.py`` (20 users, 30 s, one bot and one worker killed) and ``bench/scale.py``
(50 users, 60 s, figures). Users speak through the Bot API stand-in, which posts each update to nginx and,
like Telegram, posts it again when the call fails; a webhook call returns once its replies are sent, so
the replies of a message are those sent between its post and the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from dossier_checker.spec import load_specs
from tests.queue_harness import FAST_QUEUE, ROOT, environment, start_worker, stop
from tests.telegram_standin import TOKEN, BotApiStandIn

WEBHOOK_PATH = "/telegram-hook"
WEBHOOK_SECRET = "scale-test-secret-shared-by-every-bot-process"

QUESTIONS = [
    "Combien d'assistants pour 80 personnes ?",
    "Quel est le délai de réponse pour une demande d'ouverture ?",
    "Qui signe la demande d'ouverture ?",
    "Quelles pièces faut-il pour un transfert ?",
    "Combien de temps conserver les registres ?",
    "Qu'est-ce qu'un dépositaire ?",
    "/article 14",
    "/help",
]

# Answers to the opening dossier's questions, by field id (a field not listed ends the user's dossier).
ANSWERS = {
    "responsible_last_name": "Dupont",
    "responsible_first_name": "Marie",
    "responsible_nationality": "monégasque",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": "Pharmacien",
    "owner": "Une société",
    "company_form": "SAM",
    "company_name": "VetDistrib SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
    "categories": "1, 5",
}


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def nginx_available() -> str | None:
    """Say why nginx cannot run here, or None."""
    return None if shutil.which("nginx") or Path("/usr/sbin/nginx").exists() else "nginx is not installed"


def _nginx_config(folder: Path, port: int, upstreams: list[int]) -> str:
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in upstreams)
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  client_max_body_size 1m;
  upstream bots {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://bots;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # A process that refuses the connection or is stopping (503) is skipped for the next one; a call
      # already handed to a process that then dies is not replayed here: Telegram sends it again.
      proxy_next_upstream error timeout http_503;
      proxy_read_timeout 120s;
    }}
  }}
}}
"""


@dataclass
class Deployment:
    """The running processes of one deployment."""

    folder: Path
    url: str
    balancer_port: int
    bot_ports: list[int]
    bots: list[subprocess.Popen[bytes]]
    workers: list[subprocess.Popen[bytes]]
    nginx: subprocess.Popen[bytes]

    def kill_bot(self, index: int) -> None:
        """Kill one bot process with SIGKILL (no clean-up of any kind)."""
        self.bots[index].send_signal(signal.SIGKILL)
        self.bots[index].wait(10)

    def kill_worker(self, index: int) -> None:
        """Kill one worker process with SIGKILL."""
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait(10)

    def restart_worker(self, index: int) -> None:
        """Start a worker again in place of a stopped one."""
        self.workers[index] = start_worker(self.url, self.folder, f"worker{index}-again")


def _start_bot(
    standin: BotApiStandIn, url: str, folder: Path, port: int, balancer: int, name: str, queue: bool
) -> Any:
    extra = {
        "VETPHARMA_TELEGRAM_TOKEN": TOKEN,
        "VETPHARMA_TELEGRAM_BASE_URL": standin.base_url,
        "VETPHARMA_TELEGRAM_BASE_FILE_URL": standin.base_file_url,
        "VETPHARMA_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{balancer}{WEBHOOK_PATH}",
        "VETPHARMA_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "VETPHARMA_TELEGRAM_WEBHOOK_PORT": str(port),
        "VETPHARMA_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        **FAST_QUEUE,
        "VETPHARMA_QUEUE_ENABLED": "true" if queue else "false",
    }
    log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "telegram"],
        cwd=ROOT,
        env=environment(url, folder, extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"bot on port {port} exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with client.get(f"http://127.0.0.1:{port}/health/ready") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise AssertionError(f"bot on port {port} not ready")


@contextlib.asynccontextmanager
async def deployment(
    standin: BotApiStandIn, url: str, folder: Path, *, bots: int = 3, workers: int = 2, queue: bool = True
) -> AsyncIterator[Deployment]:
    """Start nginx, ``bots`` webhook processes and ``workers`` check workers; stop them all afterwards.

    Without ``queue`` (the single-machine default) each bot process checks uploads itself.
    """
    balancer = free_port()
    ports = [free_port() for _ in range(bots)]
    (folder / "nginx.conf").write_text(_nginx_config(folder, balancer, ports))
    nginx = subprocess.Popen(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "nginx.out", "wb"),  # noqa: SIM115
    )
    # The first process migrates the database; the others start once it is done (they would wait anyway).
    from bot.store import open_store

    open_store(url).close()
    started = [_start_bot(standin, url, folder, p, balancer, f"bot{i}", queue) for i, p in enumerate(ports)]
    running = [start_worker(url, folder, f"worker{i}") for i in range(workers)]
    deployed = Deployment(folder, url, balancer, ports, started, running, nginx)
    try:
        await asyncio.gather(*(_wait_ready(p, b) for p, b in zip(ports, started, strict=True)))
        yield deployed
    finally:
        for process in [*deployed.bots, *deployed.workers]:
            stop(process)
        stop(nginx, signal.SIGQUIT)


# ---- simulated users ------------------------------------------------------------------------------


def is_report(text: str) -> bool:
    """Tell whether a message is a check's report (sent later, through the outbox), not an answer."""
    return text.startswith(("📄", "✘")) or "après vérification" in text or "conservé à votre demande" in text


@dataclass
class Sent:
    """One message a user sent and what came back while its webhook call lasted."""

    user: int
    update_id: int
    kind: str  # question | dossier | upload
    text: str
    seconds: float
    replies: list[str]


@dataclass
class UserRun:
    """Everything one simulated user did."""

    user: int
    sent: list[Sent] = field(default_factory=list)
    answered_fields: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)


def _asked_field(text: str) -> str | None:
    spec = load_specs()["opening"]
    found = [f.id for f in spec.fields if f.question["fr"] in text]
    return max(found, key=lambda fid: len(spec.field(fid).question["fr"]), default=None)  # type: ignore[union-attr]


async def simulate_user(
    standin: BotApiStandIn,
    uid: int,
    until: float,
    scan: bytes,
    rng: random.Random,
    *,
    dossier: bool,
    upload: bool = True,
    think: tuple[float, float] = (0.05, 0.3),
) -> UserRun:
    """Talk until ``until`` (monotonic): a dossier user starts a dossier, answers, may upload one scan."""
    run = UserRun(uid)
    user = standin.user(uid, first_name=f"U{uid}")
    last_reply = ""
    uploaded = not upload

    async def say(kind: str, text: str, upload: bytes | None = None) -> list[str]:
        before = standin.count_sent(uid)
        started = time.monotonic()
        if upload is None:
            message = await standin.send_text(user, text)
        else:
            message = await standin.send_document(user, text, upload)
        seconds = time.monotonic() - started
        replies = [m.text for m in standin.sent_to(uid)[before:] if not is_report(m.text)]
        update_id = standin.update_of[(message["chat"]["id"], message["message_id"])]
        run.sent.append(Sent(uid, update_id, kind, text, seconds, replies))
        return replies

    if dossier:
        replies = await say("dossier", "/dossier opening")
        last_reply = "\n".join(replies)
    while time.monotonic() < until:
        await asyncio.sleep(rng.uniform(*think))
        field_id = _asked_field(last_reply) if dossier else None
        # The scan comes first, so every uploading user sends one however slow the machine is.
        if dossier and not uploaded:
            name = f"scan-u{uid}.pdf"
            replies = await say("upload", name, scan)
            run.uploads.append(name)
            uploaded = True
            last_reply = "\n".join(replies)
        elif field_id is not None and field_id in ANSWERS and rng.random() < 0.7:
            replies = await say("dossier", ANSWERS[field_id])
            run.answered_fields.append(field_id)
            last_reply = "\n".join(replies)
        else:
            replies = await say("question", rng.choice(QUESTIONS))
            if dossier:
                last_reply = "\n".join(replies) or last_reply
    return run


@dataclass
class Outcome:
    """What a load run found: losses, duplicates (and whether each was allowed), latencies."""

    messages: int
    lost: list[Sent]
    duplicates: list[Sent]
    unexplained_duplicates: list[Sent]
    retried: int
    uploads: int
    reports_missing: list[str]
    reports_twice: list[str]
    # Reports sent twice whose upload Telegram had not sent again (nor was claimed by a killed process).
    unexplained_reports_twice: list[str]
    question_seconds: list[float]


def _duplicated(replies: list[str]) -> bool:
    return len(set(replies)) < len(replies)


async def wait_for_reports(standin: BotApiStandIn, runs: list[UserRun], timeout: float) -> None:
    """Wait until every upload's report arrived (or ``timeout``)."""

    def missing() -> int:
        return sum(
            1
            for run in runs
            for name in run.uploads
            if not any(m.text.startswith(("📄", "✘")) and name in m.text for m in standin.sent_to(run.user))
        )

    deadline = time.monotonic() + timeout
    while missing() and time.monotonic() < deadline:
        await asyncio.sleep(0.25)


def reclaimed_reports(url: str) -> set[int]:
    """Return the users one of whose reports was taken again after its first sender went silent."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text('SELECT DISTINCT "user" FROM outbox WHERE claims > 1'))
            return {int(row[0]) for row in rows}
    finally:
        engine.dispose()


def outcome(standin: BotApiStandIn, runs: list[UserRun], url: str | None) -> Outcome:
    """Count losses and duplicates; a duplicate is allowed only for an update Telegram had to send again,
    or a report whose first sender died before recording it as sent."""
    reclaimed = reclaimed_reports(url) if url is not None else set()
    sent = [s for run in runs for s in run.sent]
    lost = [s for s in sent if not s.replies]
    duplicates = [s for s in sent if _duplicated(s.replies)]
    unexplained = [s for s in duplicates if standin.webhook_attempts.get(s.update_id, 0) < 2]
    missing, twice, unexplained_twice = [], [], []
    for run in runs:
        attempts = {
            s.text: standin.webhook_attempts.get(s.update_id, 0) for s in run.sent if s.kind == "upload"
        }
        for name in run.uploads:
            reports = [
                m for m in standin.sent_to(run.user) if m.text.startswith(("📄", "✘")) and name in m.text
            ]
            if not reports:
                missing.append(name)
            elif len(reports) > 1:
                twice.append(name)
                if attempts.get(name, 0) < 2 and run.user not in reclaimed:
                    unexplained_twice.append(name)
    return Outcome(
        messages=len(sent),
        lost=lost,
        duplicates=duplicates,
        unexplained_duplicates=unexplained,
        retried=sum(1 for s in sent if standin.webhook_attempts.get(s.update_id, 0) > 1),
        uploads=sum(len(run.uploads) for run in runs),
        reports_missing=missing,
        reports_twice=twice,
        unexplained_reports_twice=unexplained_twice,
        question_seconds=[s.seconds for s in sent if s.kind == "question"],
    )


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the values fall (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def diagnose(url: str, folder: Path) -> str:
    """Say where the checks and reports stand, and what the processes logged as errors (failure messages)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            jobs = connection.execute(
                sa.text("SELECT id, status, attempts, args::text FROM procrastinate_jobs ORDER BY id")
            ).all()
            parcels = connection.execute(
                sa.text('SELECT id, "user", source, claims, delivered_at FROM outbox ORDER BY id')
            ).all()
    finally:
        engine.dispose()
    errors = [
        f"{log.name}: {line}"
        for log in sorted(folder.glob("*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if " ERROR " in line or " WARNING " in line
    ]
    return "\n".join(["jobs:", *map(str, jobs), "outbox:", *map(str, parcels), "log:", *errors[-40:]])
