"""Logging in, and end-to-end encryption: the device's keys, trust on first use, messages decrypted late."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from typing import Any

import nio
from nio.crypto import ENCRYPTION_ENABLED

from bot.adapters.matrix.client import _REMEMBERED, MatrixStartError
from bot.adapters.matrix.sending import MatrixSender
from bot.adapters.matrix.state import TRANSPORT, SyncState, sync_filter
from bot.i18n import both_languages
from bot.messages import SessionKey

log = logging.getLogger("bot.adapters.matrix")  # one logger for the whole adapter

# An undecryptable message waits this long for its room key (requested from the sender) before the user is
# asked to send it again, and is retried until it is this old.
DECRYPT_GRACE_SECONDS = 5.0
DECRYPT_RETRY_SECONDS = 600.0
# Inbox id suffix of an encrypted message not decrypted yet: kept, so that the process that runs after this one
# (a restart, a standby taking over) tries it again once its room key is there.
SEALED = "#sealed"


class MatrixCrypto(MatrixSender):
    """Logs in and keeps end-to-end encryption working."""

    async def login(self) -> None:
        """Log in with the access token or the password, keeping the device id across restarts."""
        if self.config.access_token:
            self.client.access_token = self.config.access_token
            whoami = await self.client.whoami()
            if isinstance(whoami, nio.WhoamiError):
                raise MatrixStartError(f"access token refused by {self.config.homeserver}: {whoami.message}")
            self.client.user_id = self.user_id = whoami.user_id
            self.client.device_id = whoami.device_id or self.client.device_id
            if ENCRYPTION_ENABLED and self.client.device_id:
                # Loads (or creates) the crypto store of this device.
                self.client.restore_login(self.user_id, self.client.device_id, self.config.access_token)
        elif self.config.password:
            response = await self.client.login(
                password=self.config.password, device_name=self.config.device_name
            )
            if isinstance(response, nio.LoginError):
                raise MatrixStartError(f"login refused by {self.config.homeserver}: {response.message}")
            self.user_id = response.user_id
        else:
            raise MatrixStartError("set matrix.password or matrix.access_token")
        self._filter = sync_filter(self.user_id)
        if self.user_id != self.state.user_id:
            self.state = SyncState(user_id=self.user_id)
        self.state = replace(
            self.state,
            device_id=self.client.device_id or "",
            since_ms=self.state.since_ms or int(time.time() * 1000),
        )
        self._save()
        profile = await self.client.get_displayname(self.user_id)
        name = getattr(profile, "displayname", None)
        self.display_name = name if isinstance(name, str) else ""
        await self._start_encryption()
        log.info(
            "logged in to Matrix as %s (device %s, end-to-end encryption %s)",
            self.user_id,
            self.client.device_id,
            "on" if self.encrypted else "off",
        )

    async def _start_encryption(self) -> None:
        """Upload the device's keys, and retire a device whose crypto store was lost."""
        if not self.encrypted:
            if ENCRYPTION_ENABLED:
                log.warning("no crypto store loaded: encrypted rooms cannot be read")
            return
        if self.lost_device and self.lost_device != self.client.device_id:
            log.warning(
                "the crypto store of device %s was lost: now device %s; messages encrypted for the old "
                "device will be asked again",
                self.lost_device,
                self.client.device_id,
            )
            auth = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": self.config.password,
            }
            deleted = await self.client.delete_devices([self.lost_device], auth)
            if not isinstance(deleted, nio.DeleteDevicesResponse):
                log.warning("could not delete the old device %s: %s", self.lost_device, deleted)
        elif self.lost_device:
            log.error(
                "the crypto store of device %s was lost and an access token cannot change device: log in "
                "with a password, or with a new access token, to read encrypted rooms again",
                self.lost_device,
            )
        self.lost_device = ""
        await self._crypto_chores()

    async def _crypto_chores(self) -> None:
        """Send queued to-device messages, upload, query and claim keys, trust new devices, retry decryption."""
        if not self.encrypted:
            return
        client = self.client
        try:
            await client.send_to_device_messages()
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
        except nio.LocalProtocolError as exc:
            log.debug("key maintenance skipped: %s", exc)
        except Exception as exc:  # network trouble: the next sync tries again
            log.warning("key maintenance failed: %r", exc)
        self.trust_new_devices()
        self._retry_undecrypted()

    def trust_new_devices(self) -> int:
        """Trust on first use: mark every device seen for the first time as verified; return how many."""
        if not self.encrypted:
            return 0
        trusted = 0
        for device in list(self.client.device_store):
            if device.deleted or device.verified or device.blacklisted or device.ignored:
                continue
            self.client.verify_device(device)
            trusted += 1
        return trusted

    def device_lines(self, room_id: str) -> list[str]:
        """List the devices of a room's members: user, device id, fingerprint and trust."""
        room = self.client.rooms.get(room_id)
        if room is None or not self.encrypted:
            return []
        lines = []
        for user in sorted(room.users):
            for device in self.client.device_store.active_user_devices(user):
                fingerprint = " ".join(device.ed25519[i : i + 4] for i in range(0, len(device.ed25519), 4))
                trust = "✅" if device.verified else ("⛔" if device.blacklisted else "?")
                lines.append(f"{trust} {user} {device.id} {fingerprint}")
        return lines

    def _undecryptable(self, room_id: str, event: Any) -> None:
        """Keep an undecryptable message, ask its sender's devices for the key, and tell the user if it stays."""
        self._undecrypted[event.event_id] = (room_id, event, time.monotonic())
        while len(self._undecrypted) > _REMEMBERED:
            self._undecrypted.popitem(last=False)
        sender = str(getattr(event, "sender", "") or "")
        self.inbox.record(
            TRANSPORT,
            event.event_id + SEALED,
            SessionKey(TRANSPORT, room_id, sender),
            {"room": room_id, "sealed": event.source},
        )
        self._spawn(self._request_key(room_id, event))

    async def _request_key(self, room_id: str, event: Any) -> None:
        with contextlib.suppress(nio.LocalProtocolError):
            await self.client.request_room_key(event)
        await asyncio.sleep(DECRYPT_GRACE_SECONDS)
        self._retry_undecrypted()
        if event.event_id not in self._undecrypted:
            return
        now = time.monotonic()
        told = self._told_unreadable.get(room_id)
        if told is not None and now - told < 60.0:
            return  # one notice for a burst of unreadable messages
        self._told_unreadable[room_id] = now
        log.warning("could not decrypt %s in %s: asking the user to send it again", event.event_id, room_id)
        await self._send_text(room_id, both_languages("matrix_undecryptable"), event.event_id)

    def _retry_undecrypted(self) -> None:
        """Decrypt the messages whose keys arrived since, and answer them."""
        now = time.monotonic()
        for event_id, (room_id, event, seen) in list(self._undecrypted.items()):
            try:
                decrypted = self.client.decrypt_event(event)
            except Exception:
                if now - seen > DECRYPT_RETRY_SECONDS:
                    del self._undecrypted[event_id]
                    self.inbox.done(TRANSPORT, event_id + SEALED)  # given up
                continue
            del self._undecrypted[event_id]
            log.info("decrypted %s once its key arrived", event_id)
            # Recorded under its own id (and answered) before the sealed copy is let go.
            self._handle_event(room_id, decrypted)
            self.inbox.done(TRANSPORT, event_id + SEALED)

    def _retry_sealed(self, message_id: str, payload: dict[str, Any]) -> None:
        """Try again, after each sync, an encrypted message a previous process could not decrypt."""
        room_id, source = payload.get("room"), payload.get("sealed")
        event = None
        if isinstance(room_id, str) and isinstance(source, dict):
            with contextlib.suppress(Exception):
                event = nio.Event.parse_encrypted_event(source)
        if not isinstance(event, nio.MegolmEvent) or not self.encrypted:
            self.inbox.done(TRANSPORT, message_id)
            return
        event.room_id = room_id
        log.info("trying again %s, not decrypted before a restart", event.event_id)
        self._undecrypted[event.event_id] = (str(room_id), event, time.monotonic())
