"""The Matrix adapter end to end: a real Synapse, the real bot, and a second nio client playing the user."""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nio
import pytest
from fpdf import FPDF
from nio.crypto.attachments import encrypt_attachment

from bot.adapters.matrix import PART_KEY, RESPONSE_TO_KEY, MatrixBot, load_state, run_transport, state_path
from bot.app import build_core
from bot.dispatch import Dispatcher
from bot.messages import Choice, Incoming, OutgoingFile, Reply, SessionKey
from bot.settings import MatrixSettings, Settings
from tests.pdfgen import content, render
from tests.synapse_harness import MatrixAccount, Synapse
from tests.test_core_transcripts import ANSWERS
from tests.transcript import pdf_text, spec

pytestmark = pytest.mark.slow

WAIT = 60.0  # seconds: an upper bound on waiting for the server, never an assertion on speed
_names = itertools.count()


def unique(prefix: str) -> str:
    """Return a fresh localpart: the homeserver lives for the whole session."""
    return f"{prefix}{next(_names)}_{int(time.time() * 1000) % 100000}"


def make_pdf(text: str) -> bytes:
    """Build a small one-page PDF holding ``text``."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


class RecordingCore:
    """The real core, with every message it received kept for inspection."""

    def __init__(self, settings: Settings) -> None:
        self.inner = build_core(settings)
        self.seen: list[Incoming] = []

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Record the message, then let the real core answer it."""
        self.seen.append(incoming)
        return self.inner.handle(incoming)


@dataclass
class Person:
    """A human on Matrix, driven through nio: sends messages and reads what arrives."""

    client: nio.AsyncClient
    user_id: str
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    since: str | None = None

    @classmethod
    async def login(cls, synapse: Synapse, account: MatrixAccount) -> Person:
        client = nio.AsyncClient(synapse.base_url, account.user_id)
        client.access_token = account.access_token
        client.user_id = account.user_id
        client.device_id = account.device_id
        person = cls(client, account.user_id)
        await person.pump(0)
        return person

    async def pump(self, timeout_ms: int = 1000) -> None:
        response = await self.client.sync(timeout=timeout_ms, since=self.since)
        assert isinstance(response, nio.SyncResponse), response
        self.since = response.next_batch
        for room_id, info in response.rooms.join.items():
            self.events.setdefault(room_id, []).extend(event.source for event in info.timeline.events)

    async def wait_for(self, room_id: str, check: Callable[[list[dict[str, Any]]], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not check(self.events.get(room_id, [])):
            if time.monotonic() > deadline:
                seen = [
                    (e.get("type"), e.get("sender"), e.get("content")) for e in self.events.get(room_id, [])
                ]
                pytest.fail(f"{self.user_id} never saw {what} in {room_id}; saw {seen}")
            await self.pump()

    def answers(self, room_id: str, event_id: str) -> list[dict[str, Any]]:
        """Return the contents of the bot's messages answering ``event_id``, in the order it sent them."""
        found = [
            e["content"]
            for e in self.events.get(room_id, [])
            if e.get("type") == "m.room.message" and e["content"].get(RESPONSE_TO_KEY) == event_id
        ]
        return sorted(found, key=lambda content: int(content[PART_KEY][0]))

    def complete(self, room_id: str, event_id: str) -> bool:
        """Tell whether every part of the answer to ``event_id`` has arrived."""
        parts = self.answers(room_id, event_id)
        return bool(parts) and len(parts) >= int(parts[0][PART_KEY][1])

    async def answer_to(self, room_id: str, event_id: str) -> list[dict[str, Any]]:
        """Wait for the whole answer to ``event_id`` and return its parts."""
        await self.wait_for(room_id, lambda _: self.complete(room_id, event_id), f"answer to {event_id}")
        return self.answers(room_id, event_id)

    async def exchange(self, room_id: str, text: str) -> list[dict[str, Any]]:
        """Say something and return the whole answer."""
        return await self.answer_to(room_id, await self.say(room_id, text))

    async def membership_of(self, room_id: str, user_id: str, membership: str) -> None:
        def has(events: list[dict[str, Any]]) -> bool:
            return any(
                e.get("type") == "m.room.member"
                and e.get("state_key") == user_id
                and e.get("content", {}).get("membership") == membership
                for e in events
            )

        await self.wait_for(room_id, has, f"{user_id} {membership}")

    async def open_room(self, *invite: str, direct: bool = True) -> str:
        response = await self.client.room_create(
            is_direct=direct, invite=list(invite), preset=nio.RoomPreset.trusted_private_chat
        )
        assert isinstance(response, nio.RoomCreateResponse), response
        return str(response.room_id)

    async def send(self, room_id: str, content: dict[str, Any]) -> str:
        response = await self.client.room_send(room_id, "m.room.message", content)
        assert isinstance(response, nio.RoomSendResponse), response
        return str(response.event_id)

    async def say(self, room_id: str, text: str) -> str:
        return await self.send(room_id, {"msgtype": "m.text", "body": text})

    async def upload(self, data: bytes, mime: str, name: str) -> str:
        response, _ = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=name, filesize=len(data)
        )
        assert isinstance(response, nio.UploadResponse), response
        return str(response.content_uri)

    async def download(self, mxc: str) -> bytes:
        response = await self.client.download(mxc=mxc)
        assert isinstance(response, nio.DownloadResponse), response
        return bytes(response.body)

    async def close(self) -> None:
        await self.client.close()


@dataclass
class RunningBot:
    bot: MatrixBot
    core: RecordingCore
    account: MatrixAccount


def bot_settings(synapse: Synapse, account: MatrixAccount, state_dir: Path, **matrix: Any) -> Settings:
    config = MatrixSettings(
        homeserver=synapse.base_url,
        user_id=account.user_id,
        password=account.password,
        state_dir=str(state_dir),
    )
    return Settings(data_dir=str(state_dir), matrix=replace(config, **matrix))


@asynccontextmanager
async def running_bot(settings: Settings, account: MatrixAccount) -> AsyncIterator[RunningBot]:
    """Run the bot as ``run_transport`` does, until the block ends."""
    core = RecordingCore(settings)
    bot = MatrixBot(settings, Dispatcher(core))
    stop = asyncio.Event()
    await bot.login()
    task = asyncio.create_task(bot.run(stop))
    await asyncio.wait_for(bot.ready.wait(), WAIT)
    try:
        yield RunningBot(bot, core, account)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
        await bot.close()


@pytest.fixture
def bot_account(synapse: Synapse) -> MatrixAccount:
    return synapse.register(unique("vetbot"))


@pytest.fixture
def user_account(synapse: Synapse) -> MatrixAccount:
    return synapse.register(unique("alice"))


@asynccontextmanager
async def direct_room(
    synapse: Synapse, user_account: MatrixAccount, bot_account: MatrixAccount
) -> AsyncIterator[tuple[Person, str]]:
    """Open a direct room with the bot (already running) and wait until it joins."""
    person = await Person.login(synapse, user_account)
    try:
        room = await person.open_room(bot_account.user_id)
        await person.membership_of(room, bot_account.user_id, "join")
        yield person, room
    finally:
        await person.close()


async def test_invited_bot_joins_and_answers_greeting_help_and_article(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path, allowed_inviters=(user_account.user_id,))
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        hello = await person.say(room, "bonjour")
        greeting = await person.answer_to(room, hello)
        assert all(part["msgtype"] == "m.notice" for part in greeting)
        assert all(part["format"] == "org.matrix.custom.html" for part in greeting)
        assert "Bonjour" in greeting[0]["body"] and "Bonjour" in greeting[0]["formatted_body"]

        help_text = await person.exchange(room, "/help")
        assert "/article" in " ".join(part["body"] for part in help_text)

        for command in ("/article 14", "!article 14"):
            article = " ".join(part["body"] for part in await person.exchange(room, command))
            assert "14" in article
            assert "La demande d'autorisation de modification prévue à l'article 12" in article

        seen = running.core.seen
        assert [i.text for i in seen] == ["bonjour", "/help", "/article 14", "/article 14"]
        # A direct chat's session is the user's own (their dossiers follow them to any direct chat).
        assert all(i.key == SessionKey("matrix", user_account.user_id, user_account.user_id) for i in seen)
        assert all(i.addressed for i in seen)


async def test_pdf_uploads_plain_and_encrypted_reach_the_core(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    pdf = make_pdf("Plan coté des locaux, établissement pharmaceutique vétérinaire.")
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        mxc = await person.upload(pdf, "application/pdf", "plan.pdf")
        plain = await person.send(
            room,
            {
                "msgtype": "m.file",
                "body": "plan.pdf",
                "filename": "plan.pdf",
                "url": mxc,
                "info": {"mimetype": "application/pdf", "size": len(pdf)},
            },
        )
        assert await person.answer_to(room, plain)

        ciphertext, keys = encrypt_attachment(pdf)
        encrypted_mxc = await person.upload(ciphertext, "application/octet-stream", "")
        encrypted = await person.send(
            room,
            {
                "msgtype": "m.file",
                "body": "statuts.pdf",
                "info": {"mimetype": "application/pdf", "size": len(pdf)},
                "file": {"url": encrypted_mxc, "mimetype": "application/pdf", **keys},
            },
        )
        assert await person.answer_to(room, encrypted)

        image = await person.upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png", "scan.png")
        photo = await person.send(room, {"msgtype": "m.image", "body": "scan.png", "url": image, "info": {}})
        assert await person.answer_to(room, photo)

    files = [
        (i.attachment.name, i.attachment.mime, i.attachment.data) for i in running.core.seen if i.attachment
    ]
    assert files[0] == ("plan.pdf", "application/pdf", pdf)
    assert files[1] == ("statuts.pdf", "application/pdf", pdf)
    assert files[2][0] == "scan.png" and files[2][1] == "image/png"
    assert all(i.attachment_error is None for i in running.core.seen)


async def test_oversize_or_broken_uploads_become_errors_and_are_still_answered(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path, max_download_bytes=1000)
    big = make_pdf("x " * 2000) + b"%" * 2000
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        mxc = await person.upload(big, "application/pdf", "gros.pdf")
        announced = await person.send(
            room, {"msgtype": "m.file", "body": "gros.pdf", "url": mxc, "info": {"size": len(big)}}
        )
        unannounced = await person.send(room, {"msgtype": "m.file", "body": "gros.pdf", "url": mxc})
        ciphertext, keys = encrypt_attachment(b"%PDF-1.4 small")
        keys["hashes"] = {"sha256": "AAAA"}  # tampered: the integrity check must refuse it
        small_mxc = await person.upload(ciphertext, "application/octet-stream", "")
        tampered = await person.send(
            room, {"msgtype": "m.file", "body": "t.pdf", "file": {"url": small_mxc, **keys}}
        )
        foreign = await person.send(
            room, {"msgtype": "m.file", "body": "x.pdf", "url": "https://example.org/x.pdf"}
        )
        malformed = await person.send(
            room, {"msgtype": "m.image", "body": "y.png", "file": {"url": small_mxc}}
        )
        for event_id in (announced, unannounced, tampered, foreign, malformed):
            assert await person.answer_to(room, event_id)
        after = await person.say(room, "bonjour")
        assert await person.answer_to(room, after)

    errors = [i.attachment_error for i in running.core.seen[:5]]
    assert all(i.attachment is None for i in running.core.seen[:5])
    assert "1000 o" in (errors[0] or "") and "gros.pdf" in (errors[0] or "")
    assert "gros.pdf" in (errors[1] or "")
    assert all(errors), errors


async def test_reply_with_choices_and_file_is_rendered_for_matrix(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    report = make_pdf("Rapport de vérification")
    reply = Reply(
        "Quel dossier <b>préparez</b>-vous ? R&D",
        choices=(Choice("Ouverture", "opening"), Choice("Modification", "modification")),
        file=OutgoingFile("rapport.pdf", "application/pdf", report),
    )
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        await running.bot.send_to_session(SessionKey("matrix", room, user_account.user_id), reply)

        def arrived(events: list[dict[str, Any]]) -> bool:
            return any(e.get("content", {}).get("msgtype") == "m.file" for e in events)

        await person.wait_for(room, arrived, "the report file")
        sent = [e["content"] for e in person.events[room] if e.get("sender") == bot_account.user_id]
        text, document = [c for c in sent if c.get("msgtype") in {"m.notice", "m.file"}][-2:]
        assert text["body"] == "Quel dossier <b>préparez</b>-vous ? R&D\n\n1. Ouverture\n2. Modification"
        assert text["formatted_body"] == (
            "Quel dossier &lt;b&gt;préparez&lt;/b&gt;-vous ? R&amp;D<ol><li>Ouverture</li><li>Modification</li></ol>"
        )
        assert document["body"] == "rapport.pdf"
        assert document["info"] == {"mimetype": "application/pdf", "size": len(report)}
        assert await person.download(document["url"]) == report


async def test_invites_are_filtered_by_the_allow_list(
    synapse: Synapse, bot_account: MatrixAccount, tmp_path: Path
) -> None:
    alice, mallory = synapse.register(unique("alice")), synapse.register(unique("mallory"))
    settings = bot_settings(
        synapse, bot_account, tmp_path, allowed_inviters=(alice.user_id, ":elsewhere.example")
    )
    async with running_bot(settings, bot_account):
        intruder = await Person.login(synapse, mallory)
        friend = await Person.login(synapse, alice)
        try:
            refused = await intruder.open_room(bot_account.user_id)
            await intruder.membership_of(refused, bot_account.user_id, "leave")
            accepted = await friend.open_room(bot_account.user_id)
            await friend.membership_of(accepted, bot_account.user_id, "join")
            # Refused first, accepted second: by now the bot has long decided on mallory's room.
            await intruder.pump(0)
            members = [
                e["content"]["membership"]
                for e in intruder.events[refused]
                if e.get("type") == "m.room.member" and e.get("state_key") == bot_account.user_id
            ]
            assert "join" not in members
        finally:
            await intruder.close()
            await friend.close()

    server_wide = bot_settings(synapse, bot_account, tmp_path, allowed_inviters=(":" + synapse.server_name,))
    async with running_bot(server_wide, bot_account):
        person = await Person.login(synapse, mallory)
        try:
            room = await person.open_room(bot_account.user_id)
            await person.membership_of(room, bot_account.user_id, "join")
        finally:
            await person.close()


async def test_restart_answers_each_message_once_and_keeps_the_device(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    person = await Person.login(synapse, user_account)
    try:
        room = await person.open_room(bot_account.user_id)
        before_start = await person.say(room, "bonjour, message d'avant le bot")

        stop = asyncio.Event()
        first_run = asyncio.create_task(run_transport(settings, Dispatcher(build_core(settings)), None, stop))
        await person.membership_of(room, bot_account.user_id, "join")
        first = await person.say(room, "/help")
        await person.answer_to(room, first)
        stop.set()
        await asyncio.wait_for(first_run, WAIT)
        device = load_state(state_path(settings), bot_account.user_id).device_id
        assert device

        while_down = await person.say(room, "bonjour")
        stop = asyncio.Event()
        second_run = asyncio.create_task(
            run_transport(settings, Dispatcher(build_core(settings)), None, stop)
        )
        await person.answer_to(room, while_down)
        last = await person.say(room, "/article 14")
        await person.answer_to(room, last)
        stop.set()
        await asyncio.wait_for(second_run, WAIT)

        # Answers are sent in order per session: anything sent twice would have arrived before the last one.
        assert person.answers(room, before_start) == []
        assert len(person.answers(room, first)) == 1
        assert len(person.answers(room, while_down)) == 1
        assert load_state(state_path(settings), bot_account.user_id).device_id == device
        devices = await person_devices(synapse, bot_account)
        assert devices == [device]
    finally:
        await person.close()


async def person_devices(synapse: Synapse, account: MatrixAccount) -> list[str]:
    """List the devices of an account, logged in with its password (the registration device excluded)."""
    client = nio.AsyncClient(synapse.base_url, account.user_id)
    client.access_token, client.user_id = account.access_token, account.user_id
    try:
        response = await client.devices()
        assert isinstance(response, nio.DevicesResponse), response
        return sorted(d.id for d in response.devices if d.id != account.device_id)
    finally:
        await client.close()


async def test_group_room_answers_only_when_addressed(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    other = synapse.register(unique("bob"))
    async with running_bot(settings, bot_account):
        person = await Person.login(synapse, user_account)
        bob = await Person.login(synapse, other)
        try:
            room = await person.open_room(bot_account.user_id, other.user_id, direct=False)
            joined = await bob.client.join(room)
            assert isinstance(joined, nio.JoinResponse), joined
            await person.membership_of(room, bot_account.user_id, "join")
            await person.membership_of(room, other.user_id, "join")

            chatter = await person.say(room, "bonjour Bob, on prépare le dossier ?")
            localpart = bot_account.user_id[1:].split(":")[0]
            by_name = await person.say(room, f"{localpart}: bonjour")
            named = (await person.answer_to(room, by_name))[0]
            assert named["m.relates_to"] == {"m.in_reply_to": {"event_id": by_name}}
            assert named["m.mentions"] == {"user_ids": [user_account.user_id]}

            command = await person.say(room, "!help")
            assert await person.answer_to(room, command)
            pill = await person.send(
                room,
                {
                    "msgtype": "m.text",
                    "body": "VB /article 14",
                    "format": "org.matrix.custom.html",
                    "formatted_body": f'<a href="https://matrix.to/#/{bot_account.user_id}">VB</a> /article 14',
                    "m.mentions": {"user_ids": [bot_account.user_id]},
                },
            )
            assert await person.answer_to(room, pill)
            assert "modification" in person.answers(room, pill)[0]["body"].lower()
            bot_message = next(
                e["event_id"]
                for e in person.events[room]
                if e.get("sender") == bot_account.user_id and e.get("type") == "m.room.message"
            )
            threaded = await bob.send(
                room,
                {
                    "msgtype": "m.text",
                    "body": "et pour un transfert ?",
                    "m.relates_to": {"m.in_reply_to": {"event_id": bot_message}},
                },
            )
            assert await bob.answer_to(room, threaded)
            after = await bob.say(room, "merci")
            last = await bob.say(room, "/help")
            await bob.answer_to(room, last)
            assert person.answers(room, chatter) == []
            assert bob.answers(room, after) == []
        finally:
            await person.close()
            await bob.close()


async def test_odd_events_never_stop_the_bot(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(synapse, bot_account, tmp_path)
    async with (
        running_bot(settings, bot_account),
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        await person.send(room, {"msgtype": "m.notice", "body": "a notice from another bot"})
        odd = [
            await person.send(room, {"msgtype": "m.location", "body": "ici", "geo_uri": "geo:43.73,7.42"}),
            await person.send(room, {"msgtype": "org.example.poll", "body": "sondage"}),
            await person.send(
                room,
                {
                    "msgtype": "m.text",
                    "body": "/article 14",
                    "formatted_body": 42,
                },
            ),
        ]
        empty = await person.say(room, "")
        huge = await person.say(room, "<script>alert(1)</script> & " + "a" * 40_000 + " ✅")
        encrypted = await person.client.room_send(
            room, "m.room.encrypted", {"algorithm": "m.megolm.v1.aes-sha2"}
        )
        assert isinstance(encrypted, nio.RoomSendResponse)
        (notice,) = await person.answer_to(room, encrypted.event_id)  # one notice, not one per message
        assert "could not decrypt" in notice["body"]
        for event_id in (*odd, empty, huge):
            assert await person.answer_to(room, event_id)
        last = await person.say(room, "bonjour")
        assert await person.answer_to(room, last)


async def test_a_whole_dossier_with_uploads_through_matrix(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    dossier = spec("modification")
    answers = ANSWERS["fr"]
    rng = random.Random(7)
    plans = render.to_pdf(content.plans_before_after(rng, "dev"), rng)
    note = render.to_pdf(content.impact_note(rng, "dev"), rng)
    settings = bot_settings(synapse, bot_account, tmp_path)
    async with (
        running_bot(settings, bot_account),
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        parts = await person.exchange(room, "/dossier modification")
        assert dossier.title["fr"] in " ".join(p["body"] for p in parts)
        asked: list[str] = []
        for _ in range(40):
            question = parts[-1]["body"]
            found = [f for f in dossier.fields if f.question["fr"] in question]
            if not found:
                break
            field_id = max(found, key=lambda f: len(f.question["fr"])).id
            asked.append(field_id)
            parts = await person.exchange(room, answers[field_id])
        # "premises_change_kind" is a numbered choice, answered "1".
        assert "premises_change_kind" in asked and "premises_concerned" in asked
        assert "Relecture du dossier" in " ".join(p["body"] for p in parts)
        # The review's actions are listed as words, not numbers: "1" reopens answer 1, it does not submit.
        assert "• ✅ Valider le dossier" in parts[-1]["body"] and "1. ✅" not in parts[-1]["body"]
        reopened = " ".join(p["body"] for p in await person.exchange(room, "1"))
        assert "Modification d'une réponse" in reopened and "est complet" not in reopened
        parts = await person.exchange(room, answers[asked[0]])
        assert "Relecture du dossier" in " ".join(p["body"] for p in parts)

        await person.exchange(room, "valider")
        done = await person.exchange(room, "1")  # the letter, with the pieces not received "à joindre"
        (letter,) = [p for p in done if p["msgtype"] == "m.file" and p["body"].startswith("demande-")]
        assert letter["body"].endswith(".pdf") and letter["info"]["mimetype"] == "application/pdf"
        letter_text = pdf_text(await person.download(letter["url"]))
        assert "Entrepôt B, 120 m²" in letter_text and "15/09/2031" in letter_text

        mxc = await person.upload(plans, "application/pdf", "plans.pdf")
        checked = await person.send(
            room,
            {
                "msgtype": "m.file",
                "body": "plans.pdf",
                "url": mxc,
                "info": {"mimetype": "application/pdf", "size": len(plans)},
            },
        )
        report = " ".join(p["body"] for p in await person.answer_to(room, checked))
        assert (
            "📄 plans.pdf" in report and "✅ trouvé : Plans des locaux avant et après modification" in report
        )

        ciphertext, keys = encrypt_attachment(note)
        encrypted_mxc = await person.upload(ciphertext, "application/octet-stream", "")
        checked = await person.send(
            room,
            {
                "msgtype": "m.file",
                "body": "note.pdf",
                "info": {"mimetype": "application/pdf", "size": len(note)},
                "file": {"url": encrypted_mxc, **keys},
            },
        )
        report = " ".join(p["body"] for p in await person.answer_to(room, checked))
        assert "📄 note.pdf" in report
        assert "✅ trouvé : Note sur l'importance et les conséquences de la modification" in report
        # Compact: what was found, then what is missing in one line.
        assert (
            "Reçues et vérifiées : 2 sur 3. Encore à fournir : Titre de propriété ou bail des locaux concernés (art. 14)."
            in (report)
        )


async def bot_rooms(synapse: Synapse, account: MatrixAccount) -> list[str]:
    """List the rooms the bot account has joined, asked through its registration session."""
    client = nio.AsyncClient(synapse.base_url, account.user_id)
    client.access_token, client.user_id = account.access_token, account.user_id
    try:
        response = await client.joined_rooms()
        assert isinstance(response, nio.JoinedRoomsResponse), response
        return list(response.rooms)
    finally:
        await client.close()


async def test_access_token_login_and_closed_rooms_are_left(
    synapse: Synapse, bot_account: MatrixAccount, user_account: MatrixAccount, tmp_path: Path
) -> None:
    settings = bot_settings(
        synapse, bot_account, tmp_path, password="", access_token=bot_account.access_token
    )
    async with (
        running_bot(settings, bot_account) as running,
        direct_room(synapse, user_account, bot_account) as (person, room),
    ):
        assert running.bot.client.device_id == bot_account.device_id  # the token's own device
        assert await person.exchange(room, "bonjour")
        # A member event that is not a departure (a new display name) must not make the bot leave.
        renamed = await person.client.set_displayname("Alice Renommée")
        assert isinstance(renamed, nio.ProfileSetDisplayNameResponse), renamed
        assert await person.exchange(room, "/help")
        assert room in await bot_rooms(synapse, bot_account)

        left = await person.client.room_leave(room)
        assert isinstance(left, nio.RoomLeaveResponse), left
        deadline = time.monotonic() + WAIT
        while room in await bot_rooms(synapse, bot_account):
            assert time.monotonic() < deadline, "the bot stayed alone in a closed direct room"
            await asyncio.sleep(0.2)
