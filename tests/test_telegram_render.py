"""The Telegram adapter's pure parts: message splitting, addressing in groups, callback data."""

from __future__ import annotations

import re
from pathlib import Path

from bot.adapters.telegram import (
    MAX_CALLBACK_BYTES,
    ChoiceCallbacks,
    address,
    split_message,
    utf16_len,
)
from bot.messages import Choice, SessionKey

PRIVATE = SessionKey("telegram", "42", "42")
GROUP = SessionKey("telegram", "-100123", "42")


def test_short_text_is_one_message() -> None:
    assert split_message("  Bonjour !\n") == ["Bonjour !"]
    assert split_message("   ") == []


def test_split_prefers_paragraphs_then_lines() -> None:
    paragraph = "Article 2. " + "mot " * 600  # about 2400 units
    text = f"{paragraph}\n\n{paragraph}\n\n{paragraph}"
    chunks = split_message(text)
    assert len(chunks) == 3
    assert all(chunk.startswith("Article 2.") for chunk in chunks)

    lines = "\n".join(f"{i}° une ligne de la liste des activités" for i in range(300))
    chunks = split_message(lines)
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == lines  # cut exactly at line ends, nothing lost


def test_split_counts_utf16_units_not_characters() -> None:
    text = "🐄" * 2100  # 2100 characters, 4200 units
    chunks = split_message(text)
    assert len(chunks) == 2
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert "".join(chunks) == text


def test_split_without_any_space_cuts_hard_at_the_limit() -> None:
    text = "x" * 10_000
    chunks = split_message(text, limit=4096)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]


def test_private_messages_are_always_addressed() -> None:
    result = address("combien d'assistants ?", private=True, bot_username="vet_bot", replied_to_bot=False)
    assert result.addressed and result.text == "combien d'assistants ?"


def test_group_messages_need_a_command_mention_or_reply() -> None:
    def group(text: str, replied: bool = False) -> tuple[bool, str]:
        result = address(text, private=False, bot_username="Vet_Bot", replied_to_bot=replied)
        return result.addressed, result.text

    assert group("on parle d'autre chose") == (False, "on parle d'autre chose")
    assert group("@vet_bot, délai de réponse ?") == (True, "délai de réponse ?")
    assert group("délai de réponse @Vet_Bot ?") == (True, "délai de réponse ?")
    assert group("écrivez à @vet_bot_fan") == (False, "écrivez à @vet_bot_fan")
    assert group("/article@vet_bot 14") == (True, "/article 14")
    assert group("/article 14") == (True, "/article 14")
    assert group("/start@other_bot") == (False, "/start@other_bot")
    assert group("et pour un dépositaire ?", replied=True) == (True, "et pour un dépositaire ?")


def test_short_values_travel_in_the_button_in_private_chats() -> None:
    callbacks = ChoiceCallbacks()
    data = callbacks.encode(PRIVATE, Choice("Ouverture", "opening"))
    assert data == "=opening"
    pressed = ChoiceCallbacks().decode(data)  # survives a restart: no memory needed
    assert pressed is not None and pressed.value == "opening" and pressed.user == ""


def test_long_values_and_group_choices_travel_as_tokens() -> None:
    callbacks = ChoiceCallbacks()
    value = "é" * 40  # 80 bytes in UTF-8
    data = callbacks.encode(PRIVATE, Choice("long", value))
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    pressed = callbacks.decode(data)
    assert pressed is not None and pressed.value == value

    data = callbacks.encode(GROUP, Choice("Oui", "oui"))
    assert not data.startswith("=")
    pressed = callbacks.decode(data)
    assert pressed is not None and pressed.value == "oui" and pressed.user == "42"


def test_forgotten_tokens_decode_to_nothing() -> None:
    callbacks = ChoiceCallbacks(capacity=2)
    first = callbacks.encode(GROUP, Choice("a", "a"))
    callbacks.encode(GROUP, Choice("b", "b"))
    callbacks.encode(GROUP, Choice("c", "c"))
    assert callbacks.decode(first) is None
    assert callbacks.decode("#never-issued") is None


def test_article_2_is_cut_between_items_not_inside_one(tmp_path: Path) -> None:
    from tests.test_matrix_units import article_2_text

    text = article_2_text(tmp_path)
    chunks = split_message(text)
    assert len(chunks) >= 3 and all(utf16_len(c) <= 4096 for c in chunks)
    # Item 12° (and every other) stays whole: a later message starts an item, not an indented continuation.
    assert all(re.match(r"\d+° ", c) for c in chunks[1:]), [c[:30] for c in chunks]
    assert " ".join(chunks).split() == text.split()


def test_a_ticket_answer_is_addressed_in_a_staff_room_only() -> None:
    def group(text: str, staff_room: bool) -> bool:
        return address(
            text, private=False, bot_username="vet_bot", replied_to_bot=False, staff_room=staff_room
        ).addressed

    assert group("#3 Le dossier est complet.", staff_room=True)
    assert not group("#3 Le dossier est complet.", staff_room=False)
    assert not group("#3", staff_room=True) and not group("on en parle #3", staff_room=True)
