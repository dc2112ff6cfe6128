"""Settings: defaults, then ``config/vetpharma.toml``, then the private file ($VETPHARMA_CONFIG or ``--config``)
over it key by key, then environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dossier_checker.model import default_file_seconds

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    base_url: str = ""  # e.g. a local Bot API stand-in: http://127.0.0.1:8081/bot
    base_file_url: str = ""
    webhook_url: str = ""  # empty: long polling
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    # Shared by every bot process behind one balancer (each calls setWebhook with it); empty: a random one
    # per start, which only suits a single process.
    webhook_secret: str = ""
    max_download_bytes: int = 20 * 1024 * 1024
    typing_delay: float = 1.0  # seconds before a slow reply shows "typing…"
    album_wait: float = 1.5  # seconds without a new photo of an album before the album is checked


@dataclass(frozen=True)
class MatrixSettings:
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    allowed_inviters: tuple[str, ...] = ()  # user ids or ":server" suffixes; empty: anyone
    state_dir: str = ""  # sync token, device id
    device_name: str = "vetpharma"
    max_download_bytes: int = 20 * 1024 * 1024  # checked against info.size before downloading
    typing_delay: float = 1.0  # seconds before a slow reply shows "typing…"
    # Several processes on one PostgreSQL store: a standby tries to take over this often (seconds), and the
    # active one checks this often that it still holds the lease.
    standby_poll_seconds: float = 1.0
    lease_check_seconds: float = 5.0


@dataclass(frozen=True)
class HelpdeskSettings:
    """The staff side: office hours told to users, abuse limits, feedback, figures."""

    office_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    office_hours: str = "09:00-17:00"
    timezone: str = "Europe/Monaco"
    holidays: tuple[str, ...] = ()  # closed days, ISO dates ("2025-11-19")
    rate_limit_per_minute: int = 0  # messages per user per minute; 0: no limit (config file sets 20)
    feedback: bool = True  # offer 👍/👎 under answers to questions
    low_confidence: float = 0.5  # answers below it are listed by /unanswered
    metrics_port: int = 0  # Prometheus text endpoint; 0: off
    metrics_host: str = "127.0.0.1"


@dataclass(frozen=True)
class QueueSettings:
    """Document checks on a PostgreSQL task queue (procrastinate) run by ``vetpharma worker`` processes."""

    enabled: bool = False  # False: checks run in the bot process (the single-machine default)
    concurrency: int = 1  # checks one worker process runs at once (OCR takes a core each)
    heartbeat_seconds: float = 5.0  # how often a worker says it is alive
    stalled_after_seconds: float = 30.0  # a running check of a worker silent this long is queued again
    # On SIGTERM a worker takes no new check and waits this long for those in hand; a check still running then is
    # aborted for procrastinate but its reading thread runs to its end (bounded by limits.file_seconds a file).
    shutdown_grace_seconds: float = 120.0
    outbox_poll_seconds: float = 0.5  # how often a bot process looks for finished reports to deliver
    # A report claimed by a process that died is sent by another after this.
    outbox_lease_seconds: float = 30.0
    # A worker's CPU priority below the bot's, so answers keep their pace during a wave of scans.
    worker_nice: int = 10


@dataclass(frozen=True)
class LimitsSettings:
    """What one user may ask of the checker and the store (stated in /help and /privacy)."""

    # Wall-clock seconds to read one file, parsing and OCR together (the checker's CLI reads the same variable).
    file_seconds: float = field(default_factory=default_file_seconds)
    check_workers: int = 2  # files read at once, shared fairly between users
    stored_mb_per_user: int = 60  # uploads a user may have in the store, pending ones included
    files_per_message: int = 5  # files checked for one message (uploads waiting for a dossier included)
    pages_per_minute: int = 120  # pages read for one user in any minute
    check_seconds_per_minute: int = 60  # checking seconds spent for one user in any minute


@dataclass(frozen=True)
class Settings:
    database_url: str = ""  # empty: SQLite file under data_dir
    data_dir: str = str(ROOT / "var")
    default_language: str = "fr"
    log_level: str = "INFO"
    retention_days: int = 30
    staff: tuple[str, ...] = ()  # session users allowed staff commands, e.g. "matrix:@agent:gouv.mc"
    # Rooms that receive handoff tickets, as "transport:room": "matrix:!abc:gouv.mc", "telegram:-100123".
    staff_rooms: tuple[str, ...] = ()
    helpdesk: HelpdeskSettings = field(default_factory=HelpdeskSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    matrix: MatrixSettings = field(default_factory=MatrixSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir) / 'vetpharma.sqlite3'}"

    @property
    def telegram_configured(self) -> bool:
        return bool(self.telegram.token)

    @property
    def matrix_configured(self) -> bool:
        m = self.matrix
        return bool(m.homeserver and m.user_id and (m.password or m.access_token))


def _coerce(value: str, current: Any) -> Any:
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, tuple):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


def _apply(obj: Any, data: dict[str, Any], env_prefix: str) -> Any:
    changes: dict[str, Any] = {}
    for f in fields(obj):
        current = getattr(obj, f.name)
        if f.name == "extra":
            continue
        if hasattr(current, "__dataclass_fields__"):
            sub = data.get(f.name, {})
            changes[f.name] = _apply(
                current, sub if isinstance(sub, dict) else {}, f"{env_prefix}{f.name.upper()}_"
            )
            continue
        if f.name in data:
            raw = data[f.name]
            changes[f.name] = tuple(raw) if isinstance(current, tuple) and isinstance(raw, list) else raw
        env = os.environ.get(f"{env_prefix}{f.name.upper()}")
        if env is not None:
            changes[f.name] = _coerce(env, current)
    return replace(obj, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base`` key by key, tables recursively: a key ``top`` lacks keeps ``base``'s value."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        merged[key] = overlay(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the shipped settings, the private file over them (key by key), then VETPHARMA_* variables."""
    shipped = CONFIG_DIR / "vetpharma.toml"
    data = _read_toml(shipped)
    private = path or os.environ.get("VETPHARMA_CONFIG")
    if private and Path(private).resolve() != shipped.resolve():
        # A private file holding only secrets keeps the shipped rate limit, data directory and the rest.
        data = overlay(data, _read_toml(Path(private)))
    settings: Settings = _apply(Settings(), data, "VETPHARMA_")
    # Conventional names many deployments already use.
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if token and not settings.telegram.token:
        settings = replace(settings, telegram=replace(settings.telegram, token=token))
    known = {f.name for f in fields(Settings)}
    return replace(settings, extra={k: v for k, v in data.items() if k not in known})
