"""A whole dossier over Telegram with the real core: buttons pressed, a PDF uploaded, the letter received.

The bot is the real PTB ``Application`` against the Bot API stand-in; the core is the real one on a
SQLite file. The user reads each question from the messages Telegram shows, presses the button whose
label is the answer when there is one, and types the answer otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.telegram import split_message
from bot.app import build_core
from bot.conversation import Conversation
from bot.messages import Incoming, Reply, SessionKey
from tests.telegram_standin import BotApiStandIn, SentMessage, make_settings, running_bot, serving
from tests.transcript import DIPLOMA_LINES, pdf_text, spec, text_pdf

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = 8001
ANSWERS = {
    "responsible_last_name": "Dupont",
    "responsible_first_name": "Marie",
    "responsible_civility": "Madame",
    "responsible_nationality": "monégasque",
    "responsible_address": "12 boulevard des Moulins, 98000 Monaco",
    "responsible_profession": "Pharmacien",
    "owner": "Une société",
    "company_form": "SAM",
    "company_name": "VetDistrib SAM",
    "company_head_office": "1 avenue de la Costa, 98000 Monaco",
    "establishment_address": "5 rue de l'Industrie, 98000 Fontvieille",
    "annex_addresses": "passer",
    "categories": "1, 5",
    "pharmaceutical_forms": "comprimés et solutions buvables <b>sans</b> & co",
}


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


class ObservedCore:
    """The real core, with a record of how many replies each message got (to know when a turn ends)."""

    def __init__(self, core: Conversation) -> None:
        self.core = core
        self.turns: list[list[Reply]] = []
        self._lock = threading.Lock()

    def handle(self, incoming: Incoming) -> list[Reply]:
        replies = self.core.handle(incoming)
        with self._lock:
            self.turns.append(replies)
        return replies


def telegram_messages(replies: list[Reply]) -> int:
    """How many Telegram messages a turn's replies become (long texts split, files as documents)."""
    count = 0
    for reply in replies:
        texts = len(split_message(reply.text))
        count += texts or (1 if reply.choices and reply.file is None else 0)
        count += 1 if reply.file is not None else 0
    return count


class TelegramUser:
    """One person in a private chat with the bot, turn by turn."""

    def __init__(self, standin: BotApiStandIn, core: ObservedCore, user_id: int) -> None:
        self.standin = standin
        self.core = core
        self.user = standin.user(user_id, "Marie")
        self.chat_id = user_id
        self.shown: list[SentMessage] = []  # what the last turn showed

    async def _turn(self, action: object) -> list[SentMessage]:
        before_turns, before_messages = len(self.core.turns), self.standin.count_sent(self.chat_id)
        await action  # type: ignore[misc]

        def done() -> bool:
            if len(self.core.turns) <= before_turns:
                return False
            expected = telegram_messages(self.core.turns[before_turns])
            return self.standin.count_sent(self.chat_id) >= before_messages + expected

        await self.standin.wait_until(done, timeout=60)
        expected = telegram_messages(self.core.turns[before_turns])
        self.shown = self.standin.sent_to(self.chat_id)[before_messages : before_messages + expected]
        return self.shown

    async def say(self, text: str) -> list[SentMessage]:
        return await self._turn(self.standin.send_text(self.user, text))

    async def upload(self, name: str, data: bytes) -> list[SentMessage]:
        return await self._turn(self.standin.send_document(self.user, name, data))

    async def press(self, label: str) -> list[SentMessage]:
        message = next(m for m in reversed(self.shown) if m.buttons)
        data = dict(message.buttons)[label]
        return await self._turn(self.standin.press_button(self.user, message, data))

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.shown)

    @property
    def buttons(self) -> list[str]:
        return [label for m in self.shown for label, _ in m.buttons]


def asked(text: str, kind: str) -> str | None:
    fields = [f for f in spec(kind).fields if f.question["fr"] in text]
    return max(fields, key=lambda f: len(f.question["fr"])).id if fields else None


async def test_opening_dossier_over_telegram_with_a_pdf_and_the_letter(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    settings = make_settings(standin, tmp_path)
    core = ObservedCore(build_core(settings))
    marie = TelegramUser(standin, core, USER)
    pressed: list[str] = []
    async with running_bot(standin, settings, core):
        await marie.say("/start")
        await marie.say("/dossier opening")
        assert spec("opening").title["fr"] in marie.text
        await marie.say(ANSWERS["responsible_last_name"])

        await marie.upload("diplome-dupont.pdf", text_pdf(*DIPLOMA_LINES))
        assert "✅ trouvé : Copie certifiée conforme du diplôme" in marie.text
        # Compact: what the file held and what is still missing in one line, not the whole checklist.
        assert "Encore à fournir : Titre de propriété ou bail des locaux (art. 6 b))" in marie.text
        assert "Pièces à joindre (" not in marie.text
        assert standin.calls_to("sendChatAction")  # "typing…" while the checker read the PDF

        for _ in range(40):
            field = asked(marie.text, "opening")
            if field is None:
                break
            answer = ANSWERS[field]
            if answer in marie.buttons:
                pressed.append(answer)
                await marie.press(answer)
            else:
                await marie.say(answer)
        assert "Relecture du dossier" in marie.text
        # What the user typed is shown back as text, never as formatting.
        assert "comprimés et solutions buvables <b>sans</b> & co" in marie.text

        assert "✅ Valider le dossier" in marie.buttons
        pressed.append("✅ Valider le dossier")
        await marie.press("✅ Valider le dossier")
        assert "pas encore reçues" in marie.text  # 1 of 6 pieces: the letter lists the others "à joindre"
        await marie.press("📄 Établir la lettre (pièces « à joindre »)")
        documents = [m for m in marie.shown if m.method == "sendDocument"]

    assert {"Pharmacien", "Une société"} <= set(pressed)
    # Each pressed question was edited in place: the choice under it, the keyboard gone.
    edits = standin.edits_in(USER)
    assert len(edits) >= len(pressed)
    assert all("reply_markup" not in standin.message(USER, e.message_id) for e in edits)
    assert any(e.text.endswith("✅ Une société") for e in edits)

    assert "Le dossier n° 1 est complet" in marie.text
    (letter,) = [d for d in documents if d.document is not None and d.document[0].startswith("demande-")]
    assert letter.document is not None
    name, _, data = letter.document
    assert name.endswith(".pdf")
    text = pdf_text(data)
    assert "Marie DUPONT" in text and "VetDistrib SAM" in text
    assert all(c.status == 200 for c in standin.calls if c.method != "getUpdates")


async def test_a_stale_button_pressed_later_is_refused_and_not_stored(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    settings = make_settings(standin, tmp_path)
    real = build_core(settings)
    core = ObservedCore(real)
    marie = TelegramUser(standin, core, USER + 1)
    async with running_bot(standin, settings, core):
        await marie.say("/dossier opening")
        for _ in range(10):
            if asked(marie.text, "opening") == "owner":
                break
            await marie.say(ANSWERS[asked(marie.text, "opening") or ""])
        owner_question = next(m for m in reversed(marie.shown) if m.buttons)
        assert "Une personne physique" in dict(owner_question.buttons)
        await marie.say("Une société")  # typed, the buttons stay under the question
        await marie.say("SAM")
        assert asked(marie.text, "opening") == "company_name"
        # The old "Une personne physique" button, pressed while the bot asks for the company name.
        data = dict(owner_question.buttons)["Une personne physique"]
        await marie._turn(standin.press_button(marie.user, owner_question, data))
        assert "répondait à une autre question" in marie.text
        assert asked(marie.text, "opening") == "company_name"
        # The old question is not marked as answered "Une personne physique": its keyboard just goes.
        old = standin.message(USER + 1, owner_question.message_id)
        assert "reply_markup" not in old and "Une personne physique" not in old.get("text", "")
        await marie.say("VetDistrib SAM")
    [dossier] = real.store.dossiers(real.store.load_session(_key(USER + 1), "fr").key)
    assert dossier.answers["owner"] == "company"
    assert dossier.answers["company_name"] == "VetDistrib SAM"


def _key(user: int) -> SessionKey:
    return SessionKey("telegram", str(user), str(user))
