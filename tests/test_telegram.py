"""Transcript tests: the real python-telegram-bot stack against the local Bot API stand-in.

Each test starts the real ``Application`` (long polling, AIORateLimiter) on ``base_url``/``base_file_url``
pointing at ``tests.telegram_standin`` on 127.0.0.1, plays a user through the stand-in and reads what the
bot sent back, as Telegram would show it.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.telegram import MAX_CALLBACK_BYTES
from bot.messages import Choice, Incoming, OutgoingFile, Reply, SessionKey
from tests.telegram_standin import BotApiStandIn, make_settings, running_bot, serving, utf16_len

pytestmark = pytest.mark.asyncio(loop_scope="session")

USER = 7001
OTHER = 7002


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with serving() as server:
        yield server


class ScriptedConversation:
    """A small conversation for adapter behaviour the real core has no reason to show on demand.

    It answers from the user's own words, so every assertion below still depends on the adapter
    carrying text, files and choices both ways.
    """

    def __init__(self) -> None:
        self.received: list[Incoming] = []

    def handle(self, incoming: Incoming) -> list[Reply]:
        self.received.append(incoming)
        text = incoming.text
        if text.startswith("boom"):
            raise RuntimeError("the core tripped")
        if incoming.attachment_error:
            return [Reply(incoming.attachment_error)]
        if incoming.attachment is not None:
            a = incoming.attachment
            return [Reply(f"reçu {a.name} ({a.mime}, {a.size} octets)")]
        if text.startswith("choose "):
            options = text.split()[1:]
            return [Reply("Quel type ?", choices=tuple(Choice(o.upper(), o) for o in options))]
        if text.startswith("file "):
            name = text.split()[1]
            return [
                Reply(
                    "Voici le rapport.",
                    file=OutgoingFile(name, "application/pdf", b"%PDF-1.4 " + name.encode()),
                )
            ]
        if text.startswith("relay "):
            _, chat, user, rest = text.split(" ", 3)
            return [Reply("transmis"), Reply(rest, to=SessionKey("telegram", chat, user))]
        return [Reply(f"vous avez écrit : {text}")]


# ---- start-up --------------------------------------------------------------------------------


async def test_command_menu_is_registered_in_french_and_english(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.wait_until(lambda: bool(standin.calls_to("getUpdates")))
    names = {c["command"] for c in standin.commands[""]}
    assert names == {
        "start",
        "help",
        "dossier",
        "status",
        "check",
        "cancel",
        "lang",
        "article",
        "dossiers",
        "edit",
        "letter",
        "keep",
        "human",
        "privacy",
        "forget",
    }
    assert {c["command"] for c in standin.commands["en"]} == names
    french = {c["command"]: c["description"] for c in standin.commands[""]}
    english = {c["command"]: c["description"] for c in standin.commands["en"]}
    assert "dossier" in french["dossier"].lower() and "dossier" in english["dossier"].lower()
    assert french["forget"] != english["forget"]
    # The bot identified itself first and cleared any webhook before long polling.
    methods = [c.method for c in standin.calls]
    assert methods.index("getMe") < methods.index("deleteWebhook") < methods.index("getUpdates")


# ---- the real core ---------------------------------------------------------------------------


async def test_article_command_is_answered_with_the_article(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.send_text(user, "/article 14")
        replies = await standin.wait_for_messages(USER, 1)
    assert "adressée en double exemplaire au Ministre d'Etat" in replies[0].text
    assert replies[0].source.count("<") == 0  # plain text, nothing the user did not mean to format


async def test_question_is_answered_with_the_article_it_rests_on(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.send_text(user, "combien d'assistants pour un fabricant de 80 personnes ?")
        replies = await standin.wait_for_messages(USER, 1)
    answer = replies[0].text
    assert replies[0].reply_to is None  # a private chat needs no quote
    assert "80 personnes" in answer and "3 pharmaciens ou vétérinaires assistants" in answer
    assert "art. 37" in answer or "article 37" in answer


async def test_long_article_is_split_under_4096_utf16_units(standin: BotApiStandIn, tmp_path: Path) -> None:
    from knowledge.render import render_article_lookup

    whole = render_article_lookup("2")
    assert utf16_len(whole) > 4096  # the premise: article 2 does not fit one message
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        await standin.send_text(user, "/article 2")
        replies = await standin.wait_for_messages(USER, 3)
    assert all(utf16_len(m.text) <= 4096 for m in replies)
    # Nothing lost or reordered: the pieces put together are the article (splits are on whitespace).
    assert re.sub(r"\s+", "", "".join(m.text for m in replies)) == re.sub(r"\s+", "", whole)
    # Splits fall on line ends: every piece but the last ends where a line of the article ends.
    lines = {line.strip() for line in whole.splitlines()}
    assert all(m.text.splitlines()[-1].strip() in lines for m in replies)


async def test_429_is_retried_after_retry_after_and_delivered(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path)):
        standin.fail_next("sendMessage", retry_after=1)
        await standin.send_text(user, "/article 14")
        replies = await standin.wait_for_messages(USER, 1)
    assert [c.status for c in standin.calls_to("sendMessage")] == [429, 200]
    assert len(replies) == 1
    assert "Ministre d'Etat" in replies[0].text


# ---- rendering and files (scripted conversation) ---------------------------------------------


async def test_markup_in_user_text_is_shown_literally(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path), ScriptedConversation()):
        await standin.send_text(user, "<b>gras</b> & <script>x</script> &amp;")
        (reply,) = await standin.wait_for_messages(USER, 1)
    assert reply.text == "vous avez écrit : <b>gras</b> & <script>x</script> &amp;"
    assert reply.entities == []  # nothing became bold


async def test_long_reply_with_astral_characters_counts_utf16_units(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    # 3000 emoji are 3000 characters but 6000 UTF-16 units: a character count would send one message
    # and Telegram would refuse it as too long.
    user = standin.user(USER)
    text = "🐄" * 3000
    async with running_bot(standin, make_settings(standin, tmp_path), ScriptedConversation()):
        await standin.send_text(user, text)
        replies = await standin.wait_for_messages(USER, 2)
    assert all(utf16_len(m.text) <= 4096 for m in replies)
    assert "".join(m.text for m in replies).count("🐄") == 3000
    assert all(c.status == 200 for c in standin.calls_to("sendMessage"))


async def test_choice_is_answered_edited_in_place_and_sent_as_text(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user = standin.user(USER)
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_text(user, "choose opening modification transfer")
        (question,) = await standin.wait_for_messages(USER, 1)
        assert [label for label, _ in question.buttons] == ["OPENING", "MODIFICATION", "TRANSFER"]
        data = dict(question.buttons)["MODIFICATION"]
        query_id = await standin.press_button(user, question, data)
        replies = await standin.wait_for_messages(USER, 2)
    assert replies[1].text == "vous avez écrit : modification"
    assert conversation.received[-1].text == "modification"
    assert [c.params["callback_query_id"] for c in standin.calls_to("answerCallbackQuery")] == [query_id]
    (edit,) = standin.edits_in(USER)
    assert edit.message_id == question.message_id
    assert edit.text == "Quel type ?\n\n✅ MODIFICATION"
    assert "reply_markup" not in standin.message(USER, question.message_id)  # the keyboard is gone


async def test_long_choice_values_travel_as_short_ids(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    long_value = "établissement-" + "x" * 80
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_text(user, f"choose court {long_value}")
        (question,) = await standin.wait_for_messages(USER, 1)
        assert all(len(data.encode()) <= MAX_CALLBACK_BYTES for _, data in question.buttons)
        await standin.press_button(user, question, question.buttons[1][1])
        await standin.wait_for_messages(USER, 2)
        # A second press on the same (already answered) keyboard is not a second answer.
        await standin.press_button(user, question, question.buttons[0][1])
        await standin.wait_until(lambda: len(standin.calls_to("answerCallbackQuery")) == 2)
    assert [i.text for i in conversation.received] == [f"choose court {long_value}", long_value]


async def test_unknown_button_is_refused_with_an_alert(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_text(user, "choose a b")
        (question,) = await standin.wait_for_messages(USER, 1)
        await standin.press_button(user, question, "#forgotten-after-a-restart")
        await standin.wait_until(lambda: bool(standin.calls_to("answerCallbackQuery")))
    (answer,) = standin.calls_to("answerCallbackQuery")
    assert answer.params.get("show_alert") is True and "bouton" in answer.params["text"]
    assert len(conversation.received) == 1


async def test_pdf_upload_is_downloaded_with_typing_indicator(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    pdf = b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF\n"
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_document(user, "diplome.pdf", pdf)
        (reply,) = await standin.wait_for_messages(USER, 1)
    assert reply.text == f"reçu diplome.pdf (application/pdf, {len(pdf)} octets)"
    attachment = conversation.received[0].attachment
    assert attachment is not None and attachment.data == pdf
    actions = standin.calls_to("sendChatAction")
    assert actions and actions[0].params["action"] == "typing"
    first_action = standin.calls.index(actions[0])
    assert first_action < standin.calls.index(standin.calls_to("sendMessage")[0])


async def test_oversize_document_is_refused_before_getfile(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_document(user, "scan.pdf", b"%PDF-1.4 small", announced_size=25 * 1024 * 1024)
        (reply,) = await standin.wait_for_messages(USER, 1)
    assert standin.calls_to("getFile") == []
    assert "25,0 Mo" in reply.text and "20,0 Mo" in reply.text
    assert conversation.received[0].attachment is None


async def test_oversize_document_message_follows_the_users_language(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user = standin.user(USER, language_code="en-GB")
    async with running_bot(standin, make_settings(standin, tmp_path), ScriptedConversation()):
        await standin.send_document(user, "scan.pdf", b"%PDF-1.4 small", announced_size=21 * 1024 * 1024)
        (reply,) = await standin.wait_for_messages(USER, 1)
    assert "21.0 MB" in reply.text and "20.0 MB" in reply.text


async def test_photo_is_taken_at_its_largest_size(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    sizes = [(90, 67, b"\xff\xd8small"), (800, 600, b"\xff\xd8" + b"L" * 3000), (320, 240, b"\xff\xd8medium")]
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        message = await standin.send_photo(user, sizes)
        await standin.wait_for_messages(USER, 1)
    largest = message["photo"][1]["file_id"]
    assert [c.params["file_id"] for c in standin.calls_to("getFile")] == [largest]
    attachment = conversation.received[0].attachment
    assert attachment is not None and attachment.data == sizes[1][2] and attachment.mime == "image/jpeg"


async def test_file_reply_is_sent_as_a_document(standin: BotApiStandIn, tmp_path: Path) -> None:
    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path), ScriptedConversation()):
        await standin.send_text(user, "file rapport-dossier.pdf")
        text, document = await standin.wait_for_messages(USER, 2)
    assert text.text == "Voici le rapport."
    assert document.method == "sendDocument" and document.document is not None
    name, _, data = document.document
    assert name == "rapport-dossier.pdf" and data == b"%PDF-1.4 rapport-dossier.pdf"


async def test_reply_addressed_to_another_session_goes_through_the_router(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user, agent = standin.user(USER), standin.user(OTHER, "Agent")
    async with running_bot(standin, make_settings(standin, tmp_path), ScriptedConversation()):
        await standin.send_text(agent, "bonjour")  # the agent's chat exists
        await standin.wait_for_messages(OTHER, 1)
        await standin.send_text(user, f"relay {OTHER} {OTHER} un usager demande de l'aide <urgent>")
        await standin.wait_for_messages(OTHER, 2)
        await standin.wait_for_messages(USER, 1)
    assert standin.sent_to(OTHER)[1].text == "un usager demande de l'aide <urgent>"
    assert [m.text for m in standin.sent_to(USER)] == ["transmis"]


async def test_a_failing_core_still_answers_and_the_bot_goes_on(
    standin: BotApiStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.dispatch import fallback_error

    user = standin.user(USER)
    async with running_bot(standin, make_settings(standin, tmp_path), ScriptedConversation()):
        await standin.send_text(user, "boom mon numéro de téléphone 06 12 34 56 78")
        await standin.wait_for_messages(USER, 1)
        await standin.send_text(user, "encore là ?")
        replies = await standin.wait_for_messages(USER, 2)
    assert [m.text for m in replies] == [fallback_error(), "vous avez écrit : encore là ?"]
    assert "06 12 34 56 78" not in caplog.text  # the user's words stay out of the logs


async def test_a_button_press_too_old_to_answer_is_still_taken(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user = standin.user(USER)
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_text(user, "choose oui non")
        (question,) = await standin.wait_for_messages(USER, 1)
        standin.fail_next("answerCallbackQuery", status=400, description="Bad Request: query is too old")
        await standin.press_button(user, question, question.buttons[0][1])
        await standin.wait_for_messages(USER, 2)
    assert [c.status for c in standin.calls_to("answerCallbackQuery")] == [400]
    assert conversation.received[-1].text == "oui"


# ---- groups ----------------------------------------------------------------------------------


async def test_in_a_group_only_addressed_messages_are_answered(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user = standin.user(USER)
    group = standin.group_chat(-1001)
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_text(user, "on parle d'autre chose", chat=group)
        await standin.send_text(user, "/start@another_bot", chat=group)
        asked = await standin.send_text(user, "@vetpharma_test_bot combien d'assistants ?", chat=group)
        (first,) = await standin.wait_for_messages(-1001, 1)
        assert first.reply_to == asked["message_id"]  # in a group, the answer quotes the question
        await standin.send_text(user, "/article@vetpharma_test_bot 14", chat=group)
        await standin.wait_for_messages(-1001, 2)
        bot_message = standin.message(-1001, first.message_id)
        await standin.send_text(user, "et pour un dépositaire ?", chat=group, reply_to=bot_message)
        await standin.wait_for_messages(-1001, 3)
    assert [i.text for i in conversation.received] == [
        "combien d'assistants ?",
        "/article 14",
        "et pour un dépositaire ?",
    ]
    assert all(i.key == SessionKey("telegram", "-1001", str(USER)) for i in conversation.received)


async def test_in_a_group_only_the_asked_person_can_press_the_buttons(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    user, bystander = standin.user(USER), standin.user(OTHER, "Passant")
    group = standin.group_chat(-1002)
    conversation = ScriptedConversation()
    async with running_bot(standin, make_settings(standin, tmp_path), conversation):
        await standin.send_text(user, "@vetpharma_test_bot choose oui non", chat=group)
        (question,) = await standin.wait_for_messages(-1002, 1)
        await standin.press_button(bystander, question, question.buttons[0][1])
        await standin.wait_until(lambda: bool(standin.calls_to("answerCallbackQuery")))
        await standin.press_button(user, question, question.buttons[1][1])
        await standin.wait_for_messages(-1002, 2)
    refused = standin.calls_to("answerCallbackQuery")[0]
    assert refused.params.get("show_alert") is True
    assert [i.text for i in conversation.received][-1] == "non"
    assert len(conversation.received) == 2


# ---- webhook mode ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_webhook_mode_receives_updates_posted_by_telegram(
    standin: BotApiStandIn, tmp_path: Path
) -> None:
    port = _free_port()
    settings = make_settings(
        standin,
        tmp_path,
        webhook_url=f"http://127.0.0.1:{port}/telegram-hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    user = standin.user(USER)
    async with running_bot(standin, settings):
        (hook,) = standin.calls_to("setWebhook")
        assert hook.params["url"] == f"http://127.0.0.1:{port}/telegram-hook"
        assert len(hook.params["secret_token"]) >= 32
        await standin.send_text(user, "/article 14")
        (reply,) = await standin.wait_for_messages(USER, 1)
    assert "Ministre d'Etat" in reply.text
    assert standin.calls_to("getUpdates") == []
