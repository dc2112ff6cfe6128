"""Privacy and access: /forget leaves nothing of the user in the database or on disk, the retention purge, logs
without message text, and nobody reaches another user's dossiers or reports."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.analytics import Analytics
from bot.core import Core
from bot.messages import SessionKey
from tests.transcript import DIPLOMA_LINES, Chat, Clock, make_helpdesk, text_pdf

STAFF = dict(staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",))
ALICE_ID = "u-alice-4242"
SURNAME = "Zwyrtkowska"  # a name nothing else in the database holds
STAFF_ROOM = SessionKey("matrix", "!staff:gouv.mc", "")


def every_cell(core: Core) -> list[str]:
    """Every value of every row of every table, as text (bytes decoded loosely)."""
    cells = []
    with core.store.engine.connect() as db:
        for table in sa.inspect(core.store.engine).get_table_names():
            for row in db.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes):
                        cells.append(value.decode("latin-1"))
                    elif value is not None:
                        cells.append(str(value))
    return cells


def disk_bytes(directory: Path) -> bytes:
    """Everything written under the data directory (database, write-ahead log, anything else)."""
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def alice_with_everything(core: Core) -> tuple[Chat, bytes]:
    """Alice: a kept file, a dossier with her name, a check report, a question, feedback, a ticket, follow-ups."""
    alice = Chat(core, user=ALICE_ID, transport="telegram", room=ALICE_ID, name=f"Anna {SURNAME}")
    pdf = text_pdf(*DIPLOMA_LINES, f"Titulaire : Anna {SURNAME}")
    alice.send("/keep on")
    alice.send("combien d'assistants pour 80 personnes ?")
    alice.send("1")  # 👍
    alice.send("/dossier opening")
    alice.send(SURNAME)
    alice.upload("diplome.pdf", pdf)
    alice.send(f"/human Je suis Anna {SURNAME}, rappelez-moi")
    alice.send("Anna")
    return alice, pdf


def test_forget_leaves_no_row_and_no_file_of_the_user(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    alice, pdf = alice_with_everything(core)
    agent = Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")
    agent.send("/reply 1 Nous vous rappelons demain.")
    bob = Chat(core, user="bob", transport="telegram", room="bob")
    bob.send("/dossier modification")
    analytics = Analytics(core.store)
    chunk = pdf[len(pdf) // 2 : len(pdf) // 2 + 64]  # a piece of the file as stored

    # Before: Alice is everywhere (so the checks below can fail).
    assert core.store.count_rows("telegram", ALICE_ID) == 5  # session, dossier, report, file, ticket
    assert analytics.count_identified("telegram", ALICE_ID) >= 4
    assert any(SURNAME in cell for cell in every_cell(core))
    assert chunk in disk_bytes(tmp_path) and SURNAME.encode() in disk_bytes(tmp_path)

    alice.send("/forget")
    alice.send("oui")
    assert (
        "tout ce que je conservais sur vous est effacé (1 dossier(s), 1 rapport(s), 1 fichier(s))"
        in alice.text
    )

    assert core.store.count_rows("telegram", ALICE_ID) == 0
    assert analytics.count_identified("telegram", ALICE_ID) == 0
    cells = every_cell(core)
    assert not [c for c in cells if ALICE_ID in c or SURNAME in c]
    assert not [c for c in cells if "rappelez-moi" in c or "Nous vous rappelons" in c]  # the ticket is gone
    on_disk = disk_bytes(tmp_path)
    assert chunk not in on_disk and SURNAME.encode() not in on_disk and ALICE_ID.encode() not in on_disk
    # The question stays in the figures, without its asker; Bob keeps everything of his.
    assert analytics.figures().questions == 1
    assert core.store.count_rows("telegram", "bob") == 2
    agent.send("/reply 1 Allô ?")
    assert agent.text.startswith("Il n'y a pas de ticket #1")


def test_retention_purge_follows_the_clock(tmp_path: Path) -> None:
    clock = Clock()
    core = make_helpdesk(tmp_path, clock, retention_days=30, **STAFF)
    _, pdf = alice_with_everything(core)
    analytics = Analytics(core.store, clock=clock)
    carol = Chat(core, user="carol", transport="matrix", room="!carol:example.org")

    clock.advance(days=20)
    carol.send("/dossier transfer")
    clock.advance(days=9, hours=23)
    carol.send("/status")  # 29 days and 23 hours after Alice's last message: nothing is purged yet
    assert core.store.count_rows("telegram", ALICE_ID) == 5  # session, dossier, report, file, ticket

    clock.advance(hours=2)
    carol.send("/status")
    assert core.store.count_rows("telegram", ALICE_ID) == 0
    assert analytics.count_identified("telegram", ALICE_ID) == 0
    assert not [c for c in every_cell(core) if ALICE_ID in c or SURNAME in c]
    assert pdf[100:164] not in disk_bytes(tmp_path)
    assert analytics.figures(31).questions == 1  # kept, anonymous
    # Carol was active 10 days ago: all hers is kept, and still hers.
    assert core.store.count_rows("matrix", "carol") == 2
    assert analytics.count_identified("matrix", "carol") == 1
    assert "Transfert" in carol.text


def test_privacy_says_what_is_kept_why_and_how_long(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), retention_days=12, **STAFF)
    alice = Chat(core)
    alice.send("/privacy")
    text = alice.text
    for expected in (
        "Ce que je conserve, et pourquoi",
        "les rapports de vérification de vos pièces",
        "effacés dès qu'ils ont été vérifiés",
        "vos demandes de contact (/human)",
        "vos questions et votre avis",
        "Tout est effacé 12 jours après votre dernier message",
        "sans rien qui vous identifie",
        "/forget",
    ):
        assert expected in text
    alice.send("/lang en")
    alice.send("/privacy")
    assert "Everything is deleted 12 days after your last message" in alice.text


def _fail_session_writes(core: Core) -> None:
    with core.store.engine.begin() as db:
        db.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE UPDATE ON sessions BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )


def test_logs_hold_no_message_text_or_document_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    alice, _ = alice_with_everything(core)
    _fail_session_writes(core)
    alice.send(f"Mon adresse : 3 rue {SURNAME}")  # the store fails while saving this message
    assert "Je n'ai pas pu enregistrer votre message" in alice.text  # a storage error, told as such
    assert any(r.levelno >= logging.ERROR for r in caplog.records)  # the failure was logged…
    logged = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
    assert (
        SURNAME not in logged and "rappelez-moi" not in logged and "Titulaire" not in logged
    )  # …without text
    assert "80 personnes" not in logged


def test_users_only_ever_see_their_own_dossiers_and_reports(tmp_path: Path) -> None:
    core = make_helpdesk(tmp_path, Clock(), **STAFF)
    # Alice and Bob in the same group room, and Bob alone.
    alice = Chat(core, user="alice", transport="matrix", room="!group:example.org")
    bob = Chat(core, user="bob", transport="matrix", room="!group:example.org")
    bob_alone = Chat(core, user="bob", transport="matrix", room="!bob:example.org")
    alice.send("/dossier opening")
    alice.send(SURNAME)
    alice.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    assert "✅" in alice.text

    def sees_nothing(chat: Chat) -> None:
        for command in ("/dossier 1", "/dossiers", "/status", "/check", "/letter", "/review"):
            chat.send(command)
            assert SURNAME not in chat.text and "diplome.pdf" not in chat.text, (command, chat.text)
            assert "✅" not in chat.text

    sees_nothing(bob)
    sees_nothing(bob_alone)
    # Feedback on someone else's answer is refused and changes nothing.
    alice.send("/cancel yes")
    alice.send("combien d'assistants pour 80 personnes ?")
    ref = alice.last.choices[0].value.split()[-1]
    bob.send(f"/feedback down {ref}")
    assert bob.text.startswith("Je ne retrouve pas cette réponse")
    staff = Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc")
    staff.send("/unanswered")
    assert staff.text == "Aucune question à relire." or "👎" not in staff.text
