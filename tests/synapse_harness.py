"""A real Synapse homeserver on 127.0.0.1 for the Matrix tests and the load bench (SQLite, no federation)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

SERVER_NAME = "vetpharma.test"
# Start-up imports a lot of Python and builds the SQLite schema: slow on two shared cores.
READY_TIMEOUT = float(os.environ.get("VETPHARMA_SYNAPSE_TIMEOUT", "240"))

# Limits raised far above what the tests and the bench send, so that Synapse never answers 429.
_FAST = {"per_second": 10000, "burst_count": 100000}  # copied per key below, so YAML has no aliases
RATE_LIMITS = {
    "rc_message": _FAST,
    "rc_registration": _FAST,
    "rc_registration_token_validity": _FAST,
    "rc_login": {"address": _FAST, "account": _FAST, "failed_attempts": _FAST},
    "rc_joins": {"local": _FAST, "remote": _FAST},
    "rc_joins_per_room": _FAST,
    "rc_invites": {"per_room": _FAST, "per_user": _FAST, "per_issuer": _FAST},
    "rc_3pid_validation": _FAST,
    "rc_admin_redaction": _FAST,
    "rc_media_create": _FAST,
    "rc_room_creation": _FAST,
    "rc_key_requests": _FAST,
    "rc_presence": {"per_user": _FAST},
    "rc_delayed_event_mgmt": _FAST,
    "rc_reports": _FAST,
    "rc_user_directory": _FAST,
    "rc_profile": _FAST,
}


class SynapseError(RuntimeError):
    """Synapse could not be started or refused a request; the message carries its log tail."""


@dataclass(frozen=True)
class MatrixAccount:
    """A registered user: its id, password and an access token from registration."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(directory: Path, port: int, db_dir: Path | None = None) -> Path:
    """Write a homeserver.yaml, a log config and a signing key into ``directory`` (the database in ``db_dir``)."""
    from signedjson.key import generate_signing_key, write_signing_keys

    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / "signing.key"
    with open(key_path, "w") as fh:
        write_signing_keys(fh, [generate_signing_key("a_test")])
    log_config = directory / "log.yaml"
    log_config.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "formatter": "plain",
                        "filename": str(directory / "homeserver.log"),
                    }
                },
                # WARNING keeps the log small under load; start-up errors are still there.
                "root": {"level": "WARNING", "handlers": ["file"]},
                "loggers": {"synapse.app": {"level": "INFO"}},
                "disable_existing_loggers": False,
            }
        )
    )
    config = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str((db_dir or directory) / "homeserver.db")}},
        "log_config": str(log_config),
        "media_store_path": str(directory / "media_store"),
        "signing_key_path": str(key_path),
        "registration_shared_secret": secrets.token_hex(16),
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "enable_registration": False,
        # Password hashing at full cost would dominate registering the bench's users.
        "bcrypt_rounds": 4,
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "max_upload_size": "50M",
        "require_auth_for_profile_requests": False,
        **json.loads(json.dumps(RATE_LIMITS)),
    }
    path = directory / "homeserver.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


class Synapse:
    """A running Synapse process: its base URL, shared secret and log."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        # The database on tmpfs when there is one: this throwaway server needs no fsync on every event,
        # which otherwise dominates message latency on a shared disk.
        shm = Path("/dev/shm")
        self._db_dir: Path | None = (
            Path(tempfile.mkdtemp(prefix="synapse-db-", dir=shm))
            if shm.is_dir() and os.access(shm, os.W_OK)
            else None
        )
        self.config_path = write_config(directory, self.port, self._db_dir or directory)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server_name = SERVER_NAME
        self.shared_secret: str = yaml.safe_load(self.config_path.read_text())["registration_shared_secret"]
        self.log_path = directory / "homeserver.log"
        self._stdout_path = directory / "stdout.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        """Start the homeserver and wait until the client API answers."""
        with open(self._stdout_path, "wb") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.directory,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SynapseError(f"Synapse exited with code {self._process.returncode}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/_matrix/client/versions", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        self.stop()
        raise SynapseError(f"Synapse did not answer within {timeout:.0f} s\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the homeserver (SIGTERM, then SIGKILL after 20 s)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._db_dir is not None:
            shutil.rmtree(self._db_dir, ignore_errors=True)
            self._db_dir = None

    @property
    def pid(self) -> int | None:
        """The homeserver's process id while it runs (for CPU accounting in the bench)."""
        return self._process.pid if self._process is not None else None

    def log_tail(self, lines: int = 60) -> str:
        """Return the last lines of Synapse's logs."""
        parts = []
        for path in (self._stdout_path, self.log_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def _request(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                result: dict[str, object] = json.loads(resp.read())
                return result
        except urllib.error.HTTPError as exc:
            raise SynapseError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from exc

    def register(self, localpart: str, password: str | None = None, admin: bool = False) -> MatrixAccount:
        """Register a user through the shared-secret admin API."""
        password = password or secrets.token_hex(12)
        nonce = str(self._request("GET", "/_synapse/admin/v1/register")["nonce"])
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        result = self._request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return MatrixAccount(
            user_id=str(result["user_id"]),
            password=password,
            access_token=str(result["access_token"]),
            device_id=str(result.get("device_id", "")),
        )


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """Start one Synapse for the whole test session."""
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    try:
        server.start()
    except SynapseError as exc:
        pytest.fail(f"could not start Synapse: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
