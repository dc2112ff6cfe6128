"""What the Matrix adapter keeps across restarts: the device, the sync token, the first start; and the sync filter."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings

TRANSPORT = "matrix"


def sync_filter(user_id: str) -> dict[str, Any]:
    """Build the sync filter: only what the bot reads, never its own messages (they would wake the poll)."""
    # No presence, typing, receipts or account data either: nothing the bot uses.
    return {
        "presence": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
        "room": {
            "ephemeral": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
            "timeline": {"limit": 100, "not_senders": [user_id]},
        },
    }


@dataclass(frozen=True)
class SyncState:
    """What a restart needs: the device to reuse, where to resume, and when the bot first started."""

    user_id: str = ""
    device_id: str = ""
    next_batch: str = ""
    # Events older than the bot's first start are history: never answered.
    since_ms: int = 0


def state_path(settings: Settings) -> Path:
    """Return the file holding the Matrix sync state."""
    directory = Path(settings.matrix.state_dir or Path(settings.data_dir) / "matrix")
    return directory / "sync_state.json"


def crypto_dir(settings: Settings) -> Path:
    """Return the directory of the end-to-end encryption store (the device's keys and room keys)."""
    return state_path(settings).parent / "crypto"


def crypto_store_file(directory: Path, user_id: str, device_id: str) -> Path:
    """Return the file nio's default crypto store keeps for one device."""
    return directory / f"{user_id}_{device_id}.db"


def load_state(path: Path, user_id: str) -> SyncState:
    """Read the saved state; a missing or foreign (other account) file means a fresh start."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = SyncState(
            user_id=str(data.get("user_id", "")),
            device_id=str(data.get("device_id", "")),
            next_batch=str(data.get("next_batch", "")),
            since_ms=int(data.get("since_ms", 0)),
        )
    except (OSError, ValueError, AttributeError):
        return SyncState(user_id=user_id)
    if state.user_id != user_id:
        return SyncState(user_id=user_id)
    return state


def save_state(path: Path, state: SyncState) -> None:
    """Write the state atomically, so a crash mid-write never loses the sync token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)
