"""Stored reports keep codes and parameters: they are shown in the language of whoever reads them."""

from __future__ import annotations

import random
from pathlib import Path

from bot.i18n import t
from dossier_checker.report import stored_warning_text
from tests.pdfgen import content, render
from tests.transcript import Chat, make_core


def test_after_lang_en_the_checklist_warnings_are_english(tmp_path: Path) -> None:
    minutes = content.board_minutes(random.Random(8), "dev")
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier transfer")
    chat.upload("pv-cedant.pdf", render.to_pdf(minutes, random.Random(1)))
    chat.send("/check")
    assert t("fr", "warn_minutes_one_company") in chat.text  # checked and stored while the user spoke French
    chat.send("/lang en")
    chat.send("/check")
    assert t("en", "warn_minutes_one_company") in chat.text, chat.transcript()
    assert t("fr", "warn_minutes_one_company") not in chat.text
    chat.send("/lang fr")
    chat.send("/check")
    assert t("fr", "warn_minutes_one_company") in chat.text


def test_a_stored_warning_is_rendered_from_its_code_and_parameters() -> None:
    stored = {"code": "warn_diploma_name_differs", "article": "6 a)", "params": {"name": "Claire"}}
    assert (
        stored_warning_text(stored, "en")
        == f"{t('en', 'warn_diploma_name_differs', name='Claire')} (art. 6 a))"
    )
    assert "Claire" in stored_warning_text(stored, "fr")
    # A report kept before its parameters were: the sentence as written then, never a crash.
    old = {"code": "warn_diploma_name_differs", "article": "6 a)", "message": "Le nom « X » …"}
    assert stored_warning_text(old, "en") == "Le nom « X » …"


def test_replies_carry_their_message_id(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/nosuchcommand")
    assert [r.message_id for r in chat.replies] == ["unknown_command"]
    chat.send("")
    assert chat.replies[0].message_id == "empty_message"
