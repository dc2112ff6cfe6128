"""The staff figures as a Prometheus text endpoint (``GET /metrics``), served by a daemon thread.

Enabled by ``helpdesk.metrics_port``; counters are read from the database at each scrape, so they survive
restarts and agree across bot processes sharing one database. No user id or message text is exposed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.analytics import Analytics, Totals
from bot.settings import Settings

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_queue_metrics(engine: Engine, role: str) -> str:
    """Write this process's role and the check queue's depth, job ages and waiting reports (PostgreSQL)."""
    from bot.checkqueue import queue_figures
    from bot.outbox import figures

    queue, waiting = queue_figures(engine), figures(engine)
    samples = [
        ("vetpharma_process_info", "gauge", "This process's role (bot or worker).", f'{{role="{role}"}} 1'),
        ("vetpharma_check_jobs", "gauge", "Document checks in the queue, by status.", None),
        (
            "vetpharma_check_job_age_seconds",
            "gauge",
            "Age of the oldest check in the queue, by status.",
            None,
        ),
        (
            "vetpharma_reports_waiting",
            "gauge",
            "Check reports not yet sent to their user.",
            f" {waiting.waiting}",
        ),
        (
            "vetpharma_report_wait_seconds",
            "gauge",
            "Age of the oldest report not yet sent.",
            f" {waiting.oldest_seconds:.1f}",
        ),
    ]
    lines: list[str] = []
    for name, kind, text, value in samples:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        if name == "vetpharma_check_jobs":
            lines += [
                f'{name}{{status="waiting"}} {queue.waiting}',
                f'{name}{{status="running"}} {queue.running}',
            ]
        elif name == "vetpharma_check_job_age_seconds":
            lines += [
                f'{name}{{status="waiting"}} {queue.oldest_waiting_seconds:.1f}',
                f'{name}{{status="running"}} {queue.oldest_running_seconds:.1f}',
            ]
        else:
            lines.append(f"{name}{value}")
    return "\n".join(lines) + "\n"


def render_metrics(totals: Totals) -> str:
    """Write the totals in the Prometheus text exposition format."""
    lines: list[str] = []

    def family(name: str, kind: str, text: str, samples: list[tuple[dict[str, str], int]]) -> None:
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{inner}}} {value}" if inner else f"{name} {value}")

    family(
        "vetpharma_questions_total",
        "counter",
        "Questions asked, by whether the texts answered them.",
        [({"answered": str(a).lower()}, totals.questions.get(a, 0)) for a in (True, False)],
    )
    family(
        "vetpharma_feedback_total",
        "counter",
        "Feedback given on answers (up: helpful, down: not helpful).",
        [({"value": v}, totals.feedback.get(v, 0)) for v in ("up", "down")],
    )
    for event, name, text in (
        ("dossier_started", "vetpharma_dossiers_started_total", "Dossiers started, by type."),
        (
            "dossier_completed",
            "vetpharma_dossiers_completed_total",
            "Dossiers completed (letter issued), by type.",
        ),
        ("dossier_cancelled", "vetpharma_dossiers_cancelled_total", "Dossiers abandoned, by type."),
    ):
        samples = sorted((kind, n) for (e, kind), n in totals.dossiers.items() if e == event)
        family(name, "counter", text, [({"kind": kind}, n) for kind, n in samples])
    family("vetpharma_checks_total", "counter", "Document checks run.", [({}, totals.checks)])
    family(
        "vetpharma_files_checked_total", "counter", "Files read by the checker.", [({}, totals.files_checked)]
    )
    family(
        "vetpharma_handoffs_total",
        "counter",
        "Contact requests (tickets), by reason.",
        [({"reason": r}, n) for r, n in sorted(totals.handoffs.items())],
    )
    family("vetpharma_tickets_open", "gauge", "Tickets waiting for staff now.", [({}, totals.open_tickets)])
    return "\n".join(lines) + "\n"


@dataclass
class MetricsServer:
    """A running endpoint: where it listens, and how to stop it."""

    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        """Return the port it listens on (useful when asked for port 0)."""
        return int(self.server.server_address[1])

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _ready(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("health: the database does not answer (%s)", type(exc).__name__)
        return False


def start_metrics_server(
    settings: Settings, analytics: Analytics, *, port: int | None = None, role: str = "bot"
) -> MetricsServer:
    """Serve ``/metrics`` and ``/health/{alive,ready}`` on ``helpdesk.metrics_host:metrics_port`` (or ``port``)."""
    engine = analytics.store.engine

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path in ("/health/alive", "/health/ready"):
                healthy = path == "/health/alive" or _ready(engine)
                body = b"ok\n" if healthy else b"not ready\n"
                self.send_response(200 if healthy else 503)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if path != "/metrics":
                self.send_error(404)
                return
            try:
                text = render_metrics(analytics.totals())
                if settings.queue.enabled:
                    text += render_queue_metrics(engine, role)
                body = text.encode()
            except Exception:
                log.exception("could not read the figures for /metrics")
                self.send_error(500)
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # Scrapes every few seconds would flood the log: only errors are logged (log_error).
            del format, args

        def log_error(self, format: str, *args: Any) -> None:
            log.warning("metrics endpoint: " + format, *args)

    host = settings.helpdesk.metrics_host
    chosen = settings.helpdesk.metrics_port if port is None else port
    server = ThreadingHTTPServer((host, chosen), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="vetpharma-metrics", daemon=True)
    thread.start()
    log.info("metrics on http://%s:%d/metrics", host, int(server.server_address[1]))
    return MetricsServer(server, thread)
