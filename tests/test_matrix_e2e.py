"""End-to-end encrypted Matrix rooms over a real Synapse, with e2e-capable nio clients playing users and staff.

A whole session in an encrypted direct chat: a question, a dossier with an encrypted PDF upload, the letter
received as an encrypted file, a handoff to an encrypted staff room and the staff answer relayed; the bot is
restarted in the middle, and nothing arrives unreadable or goes missing. Then the crypto store is lost: the
bot comes back as a new device and asks for the message it could not decrypt.
"""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nio
import pytest
from nio.crypto.attachments import decrypt_attachment, encrypt_attachment

from bot.adapters.matrix import crypto_dir, load_state, state_path
from bot.settings import Settings
from tests.pdfgen import content, render
from tests.synapse_harness import MatrixAccount, Synapse
from tests.test_core_transcripts import ANSWERS
from tests.test_matrix import Person, bot_settings, person_devices, running_bot, unique
from tests.transcript import pdf_text, spec

pytestmark = pytest.mark.slow

ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


@dataclass
class CryptoPerson(Person):
    """A user with an e2e-capable nio client: its own device, keys and crypto store; trusts on first use."""

    undecryptable: list[str] = field(default_factory=list)
    decrypted: set[str] = field(default_factory=set)

    @classmethod
    async def login_e2e(cls, synapse: Synapse, account: MatrixAccount, store: Path) -> CryptoPerson:
        store.mkdir(parents=True, exist_ok=True)
        client = nio.AsyncClient(
            synapse.base_url,
            account.user_id,
            store_path=str(store),
            config=nio.AsyncClientConfig(encryption_enabled=True),
        )
        login = await client.login(account.password, device_name="element-like")
        assert isinstance(login, nio.LoginResponse), login
        person = cls(client, account.user_id)
        await person.chores()
        await person.pump(0)
        return person

    async def chores(self) -> None:
        """Do what a client does between syncs: keys up, keys of others down, to-device messages out."""
        client = self.client
        await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        for device in list(client.device_store):
            if not (device.verified or device.blacklisted or device.deleted):
                client.verify_device(device)

    async def pump(self, timeout_ms: int = 1000) -> None:
        response = await self.client.sync(timeout=timeout_ms, since=self.since, full_state=self.since is None)
        assert isinstance(response, nio.SyncResponse), response
        self.since = response.next_batch
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if isinstance(event, nio.MegolmEvent):
                    self.undecryptable.append(event.event_id)
                elif getattr(event, "decrypted", False):
                    self.decrypted.add(event.event_id)
                self.events.setdefault(room_id, []).append(event.source)
        await self.chores()

    async def open_encrypted(self, *invite: str, direct: bool = True) -> str:
        response = await self.client.room_create(
            is_direct=direct,
            invite=list(invite),
            preset=nio.RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION],
        )
        assert isinstance(response, nio.RoomCreateResponse), response
        await self.pump(0)
        return str(response.room_id)

    async def send(self, room_id: str, content: dict[str, Any]) -> str:
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, nio.RoomSendResponse), response
        return str(response.event_id)

    async def send_encrypted_file(self, room_id: str, data: bytes, name: str, mime: str) -> str:
        ciphertext, keys = encrypt_attachment(data)
        mxc = await self.upload(ciphertext, "application/octet-stream", "")
        return await self.send(
            room_id,
            {
                "msgtype": "m.file",
                "body": name,
                "filename": name,
                "info": {"mimetype": mime, "size": len(data)},
                "file": {"url": mxc, "mimetype": mime, **keys},
            },
        )

    async def download_encrypted(self, file: dict[str, Any]) -> bytes:
        data = await self.download(file["url"])
        return bytes(decrypt_attachment(data, file["key"]["k"], file["hashes"]["sha256"], file["iv"]))

    def bot_messages(self, room_id: str, bot: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events.get(room_id, [])
            if e.get("sender") == bot and e.get("type") in {"m.room.message", "m.room.encrypted"}
        ]


@asynccontextmanager
async def people(
    synapse: Synapse, tmp_path: Path, *accounts: MatrixAccount
) -> AsyncIterator[list[CryptoPerson]]:
    logged = [
        await CryptoPerson.login_e2e(synapse, account, tmp_path / f"client-{n}")
        for n, account in enumerate(accounts)
    ]
    try:
        yield logged
    finally:
        for person in logged:
            await person.close()


async def walk_dossier(
    person: CryptoPerson, room: str, parts: list[dict[str, Any]], limit: int
) -> list[dict[str, Any]]:
    """Answer the walkthrough's questions (at most ``limit`` of them); return the last answer's parts."""
    dossier = spec("modification")
    answers = ANSWERS["fr"]
    for _ in range(limit):
        question = parts[-1]["body"]
        found = [f for f in dossier.fields if f.question["fr"] in question]
        if not found:
            break
        field_id = max(found, key=lambda f: len(f.question["fr"])).id
        parts = await person.exchange(room, answers[field_id])
    return parts


async def test_a_whole_session_in_encrypted_rooms_with_a_restart(
    synapse: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot_account = synapse.register(unique("e2ebot"))
    alice_account, agent_account = synapse.register(unique("alice")), synapse.register(unique("agent"))
    colleague = synapse.register(unique("colleague"))
    rng = random.Random(11)
    plans = render.to_pdf(content.plans_before_after(rng, "dev"), rng)
    async with people(synapse, tmp_path, alice_account, agent_account) as (alice, agent):
        # An encrypted staff room of three (two agents and the bot), created before the bot starts.
        staff_room = await agent.open_encrypted(bot_account.user_id, colleague.user_id, direct=False)
        other = await Person.login(synapse, colleague)
        try:
            assert isinstance(await other.client.join(staff_room), nio.JoinResponse)
        finally:
            await other.close()
        settings: Settings = replace(
            bot_settings(synapse, bot_account, tmp_path / "bot"),
            staff=(f"matrix:{agent_account.user_id}",),
            staff_rooms=(f"matrix:{staff_room}",),
        )
        async with running_bot(settings, bot_account) as running:
            assert running.bot.encrypted
            await agent.membership_of(staff_room, bot_account.user_id, "join")
            room = await alice.open_encrypted(bot_account.user_id)
            await alice.membership_of(room, bot_account.user_id, "join")

            answer = await alice.exchange(
                room, "Combien d'assistants pour un distributeur de 150 personnes ?"
            )
            assert "assistant" in " ".join(part["body"] for part in answer).lower()

            parts = await alice.exchange(room, "/dossier modification")
            parts = await walk_dossier(alice, room, parts, limit=2)
            device = running.bot.client.device_id

        # While the bot is down, the next answer is sent (encrypted with the keys it already has).
        dossier = spec("modification")
        question = parts[-1]["body"]
        field_id = max(
            (f for f in dossier.fields if f.question["fr"] in question), key=lambda f: len(f.question["fr"])
        ).id
        while_down = await alice.say(room, ANSWERS["fr"][field_id])

        async with running_bot(settings, bot_account) as running:
            assert running.bot.client.device_id == device  # same device, same keys: nothing to re-share
            parts = await alice.answer_to(room, while_down)
            parts = await walk_dossier(alice, room, parts, limit=40)
            assert "Relecture du dossier" in " ".join(p["body"] for p in parts)
            await alice.exchange(room, "valider")
            done = await alice.exchange(room, "1")  # the letter, with the pieces not received "à joindre"
            (letter,) = [p for p in done if p["msgtype"] == "m.file" and p["body"].startswith("demande-")]
            assert "url" not in letter and letter["file"]["url"].startswith("mxc://")  # an encrypted upload
            letter_text = pdf_text(await alice.download_encrypted(letter["file"]))
            assert "Entrepôt B, 120 m²" in letter_text

            checked = await alice.send_encrypted_file(room, plans, "plans.pdf", "application/pdf")
            report = " ".join(p["body"] for p in await alice.answer_to(room, checked))
            assert "📄 plans.pdf" in report
            assert "✅ trouvé : Plans des locaux avant et après modification" in report

            asked = await alice.exchange(room, "/human Il me manque un document, pouvez-vous m'aider ?")
            assert asked

            def ticket(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
                return [
                    e
                    for e in events
                    if e.get("sender") == bot_account.user_id
                    and "Ticket #1" in e.get("content", {}).get("body", "")
                ]

            await agent.wait_for(staff_room, lambda events: bool(ticket(events)), "the ticket")
            assert "pouvez-vous m'aider" in ticket(agent.events[staff_room])[0]["content"]["body"]
            # "#N text" in a staff room of three: no mention, no reply, still read by the bot.
            await agent.say(staff_room, "#1 Envoyez le plan coté signé, s'il vous plaît.")

            def relayed(events: list[dict[str, Any]]) -> bool:
                return any(
                    "Envoyez le plan coté signé" in e.get("content", {}).get("body", "")
                    for e in events
                    if e.get("sender") == bot_account.user_id
                )

            await alice.wait_for(room, relayed, "the staff answer")
            # /whoami in the encrypted staff room lists the devices the bot trusts there, with fingerprints.
            whoami = "\n".join(part["body"] for part in await agent.exchange(staff_room, "/whoami"))
            fingerprint = agent.client.olm.account.identity_keys["ed25519"]  # type: ignore[union-attr]
            assert f"✅ {agent_account.user_id} {agent.client.device_id} {fingerprint[:4]}" in whoami

        # Joining a room is no lost history: no "oldest were skipped" warning.
        assert not [r for r in caplog.records if "oldest were skipped" in r.getMessage()]
        # Nothing unreadable, and every message of the bot in both rooms arrived encrypted.
        assert alice.undecryptable == [] and agent.undecryptable == []
        for person, where in ((alice, room), (agent, staff_room)):
            sent = person.bot_messages(where, bot_account.user_id)
            assert sent and all(e["event_id"] in person.decrypted for e in sent)


async def test_a_lost_crypto_store_asks_for_the_message_again(
    synapse: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot_account, alice_account = synapse.register(unique("e2ebot")), synapse.register(unique("alice"))
    settings = bot_settings(synapse, bot_account, tmp_path / "bot")
    async with people(synapse, tmp_path, alice_account) as (alice,):
        async with running_bot(settings, bot_account) as running:
            room = await alice.open_encrypted(bot_account.user_id)
            await alice.membership_of(room, bot_account.user_id, "join")
            assert await alice.exchange(room, "bonjour")
            old_device = running.bot.client.device_id
        shutil.rmtree(crypto_dir(settings))
        # Encrypted for the old device only: the new one cannot read it.
        lost = await alice.say(room, "/article 14")
        async with running_bot(settings, bot_account) as running:
            new_device = running.bot.client.device_id
            assert new_device != old_device
            assert load_state(state_path(settings), bot_account.user_id).device_id == new_device
            (notice,) = await alice.answer_to(room, lost)
            assert "send it again" in notice["body"] and "Renvoyez-le" in notice["body"]
            again = await alice.exchange(room, "/article 14")
            assert "La demande d'autorisation de modification" in " ".join(p["body"] for p in again)
        # The unreadable message is kept sealed: the next process (a restart, a standby) tries it again with its
        # keys, and says nothing more about it while they do not open it.
        with caplog.at_level(logging.INFO, logger="bot.adapters.matrix"):
            async with running_bot(settings, bot_account):
                assert await alice.exchange(room, "/privacy")
        assert [
            r
            for r in caplog.records
            if r.getMessage() == f"trying again {lost}, not decrypted before a restart"
        ]
        assert len(alice.answers(room, lost)) == 1
        assert await person_devices(synapse, bot_account) == [new_device]
