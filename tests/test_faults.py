"""Faults told truthfully: a storage error says the message was not recorded, and nothing acknowledged
is lost; the storage error is a real one, raised by SQLite itself when writes are refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.core import Core
from bot.i18n import t
from tests.transcript import Chat, make_core


class WritesRefused:
    """Make SQLite refuse every write of a store, as a full or failing disk does, until lifted."""

    def __init__(self, core: Core) -> None:
        self.on = False
        self.engine = core.store.engine
        event.listen(self.engine, "connect", self._install)
        self.engine.dispose()  # connections opened from now on get the authorizer

    def _install(self, dbapi_connection: Any, _record: Any) -> None:
        def authorize(action: int, *_: Any) -> int:
            writes = (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)
            return sqlite3.SQLITE_DENY if self.on and action in writes else sqlite3.SQLITE_OK

        dbapi_connection.set_authorizer(authorize)


def test_an_answer_not_stored_is_told_so_and_is_not_lost(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier opening")
    first_question = chat.text
    fault = WritesRefused(chat.core)
    fault.on = True
    chat.send("Dupont")
    assert chat.text == t("fr", "storage_failed")
    assert "Je n'ai pas pu enregistrer votre message" in chat.text and "Rien n'a été perdu" not in chat.text
    fault.on = False
    chat.send("/dossier")  # nothing was recorded: the same question is asked again
    assert first_question.splitlines()[-1] in chat.text
    chat.send("Dupont")
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None and "Dupont" in dossier.answers.values()


def test_an_internal_error_does_not_claim_nothing_was_lost() -> None:
    for lang in ("fr", "en"):
        assert "perdu" not in t(lang, "internal_error") and "lost" not in t(lang, "internal_error")
