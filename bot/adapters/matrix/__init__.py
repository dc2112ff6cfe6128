"""Matrix transport on matrix-nio: room events in, the core's replies out, in plain or encrypted rooms.

The only package that imports ``nio`` (one module a concern: ``state``, ``render``, ``reading``, ``client``,
``media``, ``sending``, ``crypto``, ``answering``, ``sync``). It logs in (password or access token, device id kept), syncs with a
persisted token so that a restart never answers a message twice, joins rooms it is invited to by allowed
users, downloads uploads (encrypted attachments included), and renders each ``Reply`` as an ``m.notice``
with a plain ``body`` and an HTML ``formatted_body``.

End-to-end encryption (``matrix-nio[e2e]``): the device's keys live in a crypto store under the state
directory (``<state_dir>/crypto``), uploaded at login; room keys are shared with the members' devices when
the bot writes in an encrypted room, and requested from the sender when a message cannot be decrypted.
Device trust is *trust on first use*: a device is trusted the first time its keys are seen, and a device
whose keys later change is not (nio refuses the new keys). ``/whoami`` lists the devices of the room's
members with their fingerprints, so staff can compare them with what their own clients show. If the crypto
store is lost, the bot logs in as a new device (deleting the old one when it has the password), and a
message it cannot decrypt gets a notice asking the user to send it again.
"""

from __future__ import annotations

import argparse

from bot.adapters import base
from bot.adapters.matrix.client import MatrixStartError, ReplyRouter
from bot.adapters.matrix.media import MediaRef, file_content, media_ref
from bot.adapters.matrix.reading import (
    album_marks,
    inviter_allowed,
    normalise_command,
    server_of,
    strip_emoji_modifiers,
    strip_reply_fallback,
)
from bot.adapters.matrix.render import (
    HTML_FORMAT,
    MAX_BODY_CHARS,
    PART_KEY,
    RESPONSE_TO_KEY,
    Thread,
    render_reply,
    split_text,
)
from bot.adapters.matrix.state import (
    TRANSPORT,
    SyncState,
    crypto_dir,
    crypto_store_file,
    load_state,
    save_state,
    state_path,
    sync_filter,
)
from bot.adapters.matrix.sync import MatrixBot, run_transport
from bot.settings import Settings

__all__ = [
    "HTML_FORMAT",
    "MAX_BODY_CHARS",
    "PART_KEY",
    "RESPONSE_TO_KEY",
    "TRANSPORT",
    "MatrixBot",
    "MatrixStartError",
    "MediaRef",
    "ReplyRouter",
    "SyncState",
    "Thread",
    "album_marks",
    "configure",
    "configured",
    "crypto_dir",
    "crypto_store_file",
    "file_content",
    "inviter_allowed",
    "load_state",
    "media_ref",
    "normalise_command",
    "render_reply",
    "run",
    "run_transport",
    "save_state",
    "server_of",
    "split_text",
    "state_path",
    "strip_emoji_modifiers",
    "strip_reply_fallback",
    "sync_filter",
]


def configured(settings: Settings) -> bool:
    """Tell whether the settings give this transport what it needs to run (a Matrix homeserver, user id and password or access token)."""
    return settings.matrix_configured


# --- the ``vetpharma matrix`` command ---------------------------------------------------------------


configure = base.configure_command


def run(args: argparse.Namespace) -> int:
    """Run the Matrix bot until interrupted."""
    return base.run_command(
        args,
        TRANSPORT,
        configured,
        "vetpharma matrix: no Matrix account. Set matrix.homeserver, matrix.user_id and matrix.password "
        "or matrix.access_token (VETPHARMA_MATRIX_HOMESERVER, VETPHARMA_MATRIX_USER_ID, "
        "VETPHARMA_MATRIX_PASSWORD or VETPHARMA_MATRIX_ACCESS_TOKEN).",
    )
