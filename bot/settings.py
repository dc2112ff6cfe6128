"""Settings: defaults, then ``config/vetpharma.toml``, then the private file ($VETPHARMA_CONFIG or ``--config``)
over it key by key, then environment variables (``VETPHARMA_<KEY>``, ``VETPHARMA_<SECTION>_<KEY>``).

Every section is a frozen pydantic dataclass that refuses unknown keys and values of the wrong type, so a typo
(``retention_day = 7``) or a bad value (``FEEDBACK=ture``) stops start-up with the key named."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, ValidationError, create_model
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from config import CONFIG_DIR as CONFIG_DIR  # where callers have always found it
from config import default_data_dir
from dossier_checker.model import DEFAULT_RESERVE_SECONDS, default_file_seconds

ROOT = Path(__file__).resolve().parents[1]
ENV_PREFIX = "VETPHARMA_"
_STRICT = ConfigDict(extra="forbid")


class SettingsError(ValueError):
    """A settings file or variable names an unknown key or holds a bad value."""


def _data_dir() -> str:
    return str(default_data_dir())


def _split_commas(value: object) -> object:
    """Read ``"a, b"`` (an environment variable) as ``("a", "b")``; lists pass through."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


# A list of names: a TOML array, or comma-separated in an environment variable.
Names = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas)]


@dataclass(frozen=True, config=_STRICT)
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


@dataclass(frozen=True, config=_STRICT)
class MatrixSettings:
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    allowed_inviters: Names = ()  # user ids or ":server" suffixes; empty: anyone
    state_dir: str = ""  # sync token, device id
    device_name: str = "vetpharma"
    max_download_bytes: int = 20 * 1024 * 1024  # checked against info.size before downloading
    typing_delay: float = 1.0  # seconds before a slow reply shows "typing…"
    # Several processes on one PostgreSQL store: a standby tries to take over this often (seconds), and the
    # active one checks this often that it still holds the lease.
    standby_poll_seconds: float = 1.0
    lease_check_seconds: float = 5.0


@dataclass(frozen=True, config=_STRICT)
class HelpdeskSettings:
    """The staff side: office hours told to users, abuse limits, feedback, figures."""

    office_days: Names = ("mon", "tue", "wed", "thu", "fri")
    office_hours: str = "09:00-17:00"
    timezone: str = "Europe/Monaco"
    holidays: Names = ()  # closed days, ISO dates ("2025-11-19")
    rate_limit_per_minute: int = 0  # messages per user per minute; 0: no limit (config file sets 20)
    feedback: bool = True  # offer 👍/👎 under answers to questions
    low_confidence: float = 0.5  # answers below it are listed by /unanswered
    metrics_port: int = 0  # Prometheus text endpoint; 0: off
    metrics_host: str = "127.0.0.1"


@dataclass(frozen=True, config=_STRICT)
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


@dataclass(frozen=True, config=_STRICT)
class LimitsSettings:
    """What one user may ask of the checker and the store (stated in /help and /privacy)."""

    # Wall-clock seconds to read one file, parsing and OCR together (the checker's CLI reads the same variable).
    file_seconds: float = field(default_factory=default_file_seconds)
    # Of file_seconds, kept for what follows the reading (stopping it, classifying, the report): reading stops
    # this much earlier, so that a file's whole check stays within file_seconds (at most a quarter of it).
    file_reserve_seconds: float = DEFAULT_RESERVE_SECONDS
    check_workers: int = 2  # files read at once, shared fairly between users
    stored_mb_per_user: int = 60  # uploads a user may have in the store, pending ones included
    files_per_message: int = 5  # files checked for one message (uploads waiting for a dossier included)
    pages_per_minute: int = 120  # pages read for one user in any minute
    check_seconds_per_minute: int = 60  # checking seconds spent for one user in any minute


@dataclass(frozen=True, config=_STRICT)
class Settings:
    database_url: str = ""  # empty: SQLite file under data_dir
    data_dir: str = field(default_factory=_data_dir)
    default_language: str = "fr"
    log_level: str = "INFO"
    retention_days: int = 30
    staff: Names = ()  # session users allowed staff commands, e.g. "matrix:@agent:gouv.mc"
    # Rooms that receive handoff tickets, as "transport:room": "matrix:!abc:gouv.mc", "telegram:-100123".
    staff_rooms: Names = ()
    helpdesk: HelpdeskSettings = field(default_factory=HelpdeskSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    matrix: MatrixSettings = field(default_factory=MatrixSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)

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


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}  # e.g. VETPHARMA_CONFIG=none.toml: no private settings
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"settings file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path}: {exc}") from None


def overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base`` key by key, tables recursively: a key ``top`` lacks keeps ``base``'s value."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        merged[key] = overlay(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged


FIELDS: dict[str, FieldInfo] = Settings.__pydantic_fields__  # type: ignore[attr-defined]
SECTIONS = frozenset(
    name for name, info in FIELDS.items() if hasattr(info.annotation, "__dataclass_fields__")
)


class _SectionEnvSource(EnvSettingsSource):
    """Environment variables, where ``VETPHARMA_<SECTION>_<KEY>`` sets one key of a section."""

    def explode_env_vars(
        self, field_name: str, field: FieldInfo, env_vars: Mapping[str, str | None]
    ) -> dict[str, Any]:
        # Only sections have keys: VETPHARMA_STAFF_ROOMS is a setting of its own, not a key of ``staff``.
        if field_name not in SECTIONS:
            return {}
        return super().explode_env_vars(field_name, field, env_vars)


class _Sources(BaseSettings):
    """The files' settings (given as keyword arguments) under the environment's."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="_", env_nested_max_split=1, extra="forbid"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: the environment over the files.
        return (_SectionEnvSource(settings_cls), init_settings)


# The same fields as Settings, declared once there; Settings itself stays a plain value (no environment read).
_SettingsSources: type[_Sources] = create_model(  # type: ignore[call-overload]
    "_SettingsSources",
    __base__=_Sources,
    **{name: (info.annotation, info) for name, info in FIELDS.items()},
)


def _nested(data: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def _explain(exc: ValidationError, layers: list[tuple[Path, dict[str, Any]]]) -> str:
    """Say which key is wrong, where it was set (variable or file), and why."""
    lines = []
    for error in exc.errors():
        path = tuple(str(part) for part in error["loc"])
        key = ".".join(path)
        variable = ENV_PREFIX + "_".join(path).upper()
        files = [str(file) for file, data in reversed(layers) if _nested(data, path)]
        where = variable if variable in os.environ else (files[0] if files else "settings")
        if error["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown settings key {key!r}")
        else:
            lines.append(f"{where}: settings key {key!r}: {error['msg']} (got {error['input']!r})")
    return "\n".join(lines)


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the shipped settings, the private file over them (key by key), then VETPHARMA_* variables."""
    shipped = CONFIG_DIR / "vetpharma.toml"
    layers = [(shipped, _read_toml(shipped))]
    private = path or os.environ.get("VETPHARMA_CONFIG")
    if private and Path(private).resolve() != shipped.resolve():
        # A private file holding only secrets keeps the shipped rate limit, data directory and the rest.
        layers.append((Path(private), _read_toml(Path(private))))
    data: dict[str, Any] = {}
    for _, layer in layers:
        data = overlay(data, layer)
    try:
        sources = _SettingsSources(**data)
        settings = Settings(**{name: getattr(sources, name) for name in FIELDS})
    except ValidationError as exc:
        raise SettingsError(_explain(exc, layers)) from None
    # Conventional names many deployments already use.
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if token and not settings.telegram.token:
        settings = replace(settings, telegram=replace(settings.telegram, token=token))
    return settings
