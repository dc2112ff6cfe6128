"""An upload whose check a crash cut short is checked at the next start, its report left for the user's
transport, once: a transport that hands the same upload over again (an inbox replay) is told the report was
sent. The kill -9 of a real terminal bot is in ``tests/test_hostile_runtime.py``."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot import outbox, recovery
from tests.transcript import DIPLOMA_LINES, Chat, make_core, text_pdf

DIPLOMA = text_pdf(*DIPLOMA_LINES)


def test_an_interrupted_check_is_reported_once_after_the_restart(tmp_path: Path) -> None:
    core = make_core(tmp_path)
    marie = Chat(core, user="marie")
    marie.send("/dossier opening")
    dossier = core.store.dossiers(marie.key)[0]
    # The state a process killed during the check leaves: the files and the record of the check in hand.
    held = recovery.hold(core.store, marie.key, dossier.id, [("diplome.pdf", "application/pdf", DIPLOMA)])
    assert held is not None
    with Session(core.store.engine) as db, db.begin():
        db.execute(recovery.checks_in_hand.update().values(holder="gone.example:1"))  # another machine...
    assert recovery.recover(core, ["test"]) == []  # ...whose process may still be checking: left alone
    with Session(core.store.engine) as db, db.begin():
        # ...until no check could still be running there; on this machine, as soon as its process is gone.
        db.execute(recovery.checks_in_hand.update().values(created_at=sa.func.datetime("now", "-2 hours")))
    core.close()

    restarted = make_core(tmp_path)
    assert recovery.recover(restarted, ["matrix"]) == []  # another transport's process does not take it
    assert recovery.recover(restarted, ["test"]) == [marie.key]
    assert recovery.recover(restarted, ["test"]) == []  # once
    shown = [r.text for r in recovery.take_replies(restarted.store, marie.key)]
    assert shown[0].startswith("Le service a redémarré pendant la vérification de : « diplome.pdf »")
    assert "trouvé : Copie certifiée conforme du diplôme" in "\n".join(shown)
    assert recovery.take_replies(restarted.store, marie.key) == []  # taken once
    assert restarted.store.stored_files(marie.key) == 0 and not restarted.store.files(marie.key, dossier.id)
    with Session(restarted.store.engine) as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(outbox.outbox)) == 1

    again = Chat(restarted, user="marie")
    # The transport hands the upload over again (its inbox replays the message): not checked twice.
    assert "vérifié après le redémarrage du service" in again.upload("diplome.pdf", DIPLOMA)
    assert len(restarted.store.checks(dossier.id)) == 1
    # Another file is checked as usual, and no "interrupted" sentence comes with it.
    other = again.upload("bail.pdf", text_pdf("CONTRAT DE BAIL COMMERCIAL", "Entre les soussignés"))
    assert "interrompu" not in other and len(restarted.store.checks(dossier.id)) == 2
    restarted.close()


def test_forget_deletes_the_records_of_the_users_checks(tmp_path: Path) -> None:
    core = make_core(tmp_path)
    marie = Chat(core, user="marie")
    marie.send("/dossier opening")
    dossier = core.store.dossiers(marie.key)[0]
    recovery.hold(core.store, marie.key, dossier.id, [("diplome.pdf", "application/pdf", DIPLOMA)])
    marie.send("/forget")
    marie.send("oui")
    with Session(core.store.engine) as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(recovery.checks_in_hand)) == 0
    assert core.store.count_rows("test", "marie") <= 1  # at most the session of the last reply
    core.close()
