"""Per-user quotas: bytes stored, files waiting, pages and checking seconds per minute; the space of
deleted uploads goes back to the disk; the limits are stated in /privacy."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.settings import LimitsSettings
from tests.hostile_files import slow_pdf
from tests.transcript import DIPLOMA_LINES, Chat, make_core, text_pdf

DIPLOMA = text_pdf(*DIPLOMA_LINES)


def _chat(tmp_path: Path, **limits: Any) -> Chat:
    return Chat(make_core(tmp_path, limits=replace(LimitsSettings(), **limits)))


def test_uploads_waiting_for_a_dossier_stop_at_the_users_bytes(tmp_path: Path) -> None:
    chat = _chat(tmp_path, stored_mb_per_user=1)
    chat.upload("a.pdf", os.urandom(600_000))
    assert "a.pdf" in chat.text and "n'est pas conservé" not in chat.text
    chat.upload("b.pdf", os.urandom(600_000))
    assert "« b.pdf » n'est pas conservé : vos fichiers conservés dépasseraient 1 Mo" in chat.text
    assert chat.core.store.stored_bytes("test", "alice") == 600_000
    chat.send("/dossier opening")  # the waiting file is checked, then deleted: room again
    assert chat.core.store.stored_bytes("test", "alice") == 0


def test_files_waiting_for_a_dossier_are_capped_per_message(tmp_path: Path) -> None:
    chat = _chat(tmp_path, files_per_message=2)
    for name in ("a.pdf", "b.pdf"):
        chat.upload(name, DIPLOMA)
    chat.upload("c.pdf", DIPLOMA)
    assert "« c.pdf » n'est pas conservé : 2 fichiers attendent déjà le choix d'un dossier" in chat.text
    chat.send("/dossier opening")
    assert chat.text.count("📄") == 2


def test_pages_per_minute_refuse_a_file_at_once(tmp_path: Path) -> None:
    chat = _chat(tmp_path, pages_per_minute=2)
    chat.send("/dossier opening")
    chat.upload("a.pdf", DIPLOMA)
    chat.upload("b.pdf", DIPLOMA)
    assert "📄 b.pdf" in chat.text
    chat.upload("c.pdf", DIPLOMA)
    assert (
        "« c.pdf » n'a pas été vérifié : j'ai déjà lu 2 pages pour vous dans la dernière minute" in chat.text
    )
    assert "📄" not in chat.text
    other = Chat(chat.core, user="bob", room="bob")  # another user's budget is their own
    other.send("/dossier opening")
    other.upload("d.pdf", DIPLOMA)
    assert "📄 d.pdf" in other.text


def test_checking_seconds_per_minute_refuse_a_file_at_once(tmp_path: Path) -> None:
    chat = _chat(tmp_path, file_seconds=2.0, check_seconds_per_minute=2)
    chat.send("/dossier opening")
    chat.upload("slow.pdf", slow_pdf())  # takes its whole 2 s
    chat.upload("again.pdf", slow_pdf())
    assert (
        "« again.pdf » n'a pas été vérifié : le temps de vérification de vos fichiers (2 s par minute)"
        in (chat.text)
    )


def test_forget_gives_the_space_back_to_the_disk(tmp_path: Path) -> None:
    chat = _chat(tmp_path, stored_mb_per_user=50)
    database = tmp_path / "vetpharma.sqlite3"
    chat.send("bonjour")
    empty = database.stat().st_size
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        chat.upload(name, os.urandom(3_000_000))
    chat.core.store.checkpoint()
    assert database.stat().st_size > empty + 8_000_000
    chat.send("/forget yes")
    assert database.stat().st_size < empty + 500_000


def test_privacy_states_the_limits(tmp_path: Path) -> None:
    chat = _chat(tmp_path, stored_mb_per_user=7, files_per_message=3, pages_per_minute=90, file_seconds=15.0)
    chat.send("/privacy")
    assert "Limites par utilisateur" in chat.text and "3 fichiers par message" in chat.text
    assert "7 Mo de fichiers conservés" in chat.text and "90 pages" in chat.text
    assert "lu en 15 s au plus" in chat.text
