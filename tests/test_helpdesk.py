"""Handoff to a person: a ticket in the staff room, staff answers relayed to the user, office hours, rate limit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.core import Core
from bot.helpdesk import OfficeHours
from bot.messages import SessionKey
from bot.settings import HelpdeskSettings
from bot.store import TICKET_CLOSED, TICKET_OPEN
from tests.transcript import Chat, Clock, make_helpdesk

STAFF_ROOM = SessionKey("matrix", "!staff:gouv.mc", "")
STAFF = dict(
    staff=("matrix:@agent:gouv.mc", "telegram:900"),
    staff_rooms=("matrix:!staff:gouv.mc",),
)


def marie_on_telegram(core: Core) -> Chat:
    return Chat(core, user="7001", transport="telegram", room="7001", name="Marie Dupont")


def agent_in_staff_room(core: Core) -> Chat:
    return Chat(core, user="@agent:gouv.mc", transport="matrix", room="!staff:gouv.mc", name="Agent Rossi")


@pytest.fixture
def clock() -> Clock:
    return Clock()  # a Tuesday, 11:00 in Monaco


@pytest.fixture
def core(tmp_path: Path, clock: Clock) -> Core:
    return make_helpdesk(tmp_path, clock, **STAFF)


def test_handoff_round_trip_through_the_staff_room(core: Core) -> None:
    marie, agent = marie_on_telegram(core), agent_in_staff_room(core)
    marie.send("/dossier opening")
    marie.send("Dupont")
    marie.send("/human")

    # The staff room gets the ticket, with who, where, what was said and the dossier's state.
    (ticket,) = marie.to(STAFF_ROOM)
    assert ticket.text.startswith("Ticket #1 — demande de contact (commande /human)")
    assert "Marie Dupont — telegram, langue : fr" in ticket.text
    assert "› Dupont" in ticket.text
    assert "Dossier n° 1 — Ouverture (art. 5-6) — en cours" in ticket.text
    assert "• Nom du responsable : Dupont" in ticket.text
    assert "☐ Copie certifiée conforme du diplôme — art. 6 a)" in ticket.text
    assert "/reply 1" in ticket.text and "/close 1" in ticket.text
    # The user is told a person will answer, and roughly when (office hours: today).
    (told,) = marie.mine
    assert "Votre demande #1 est transmise au personnel du ministère" in told.text
    assert "normalement aujourd'hui avant 17:00" in told.text
    assert "du lundi au vendredi, de 09:00 à 17:00, heure de Monaco" in told.text

    # Staff answer from the Matrix room; the answer goes to Marie's Telegram chat.
    agent.send("/reply 1 Bonjour Madame, votre dossier est bien reçu.")
    (relay,) = agent.to(marie.key)
    assert relay.to == SessionKey("telegram", "7001", "7001")
    assert "Réponse du personnel du ministère (demande #1)" in relay.text
    assert "Bonjour Madame, votre dossier est bien reçu." in relay.text
    assert [r.text for r in agent.mine] == ["Ticket #1 — réponse transmise à l'usager (telegram)."]

    # Marie answers by replying to that message: it goes to the staff room, the bot does not answer it.
    marie.send("Merci, j'envoie le plan coté demain.", reply_to=relay.text)
    (back,) = marie.to(STAFF_ROOM)
    assert back.text == "Ticket #1 — message de l'usager :\nMerci, j'envoie le plan coté demain."
    assert "Message transmis au personnel du ministère (demande #1)" in marie.mine[0].text

    # Staff answer again by replying to the ticket message in the thread, then with "#1 text".
    agent.send("Parfait, merci.", reply_to=ticket.text)
    assert "Parfait, merci." in agent.to(marie.key)[0].text
    agent.send("#1 N'oubliez pas les deux exemplaires signés.")
    assert "N'oubliez pas les deux exemplaires signés." in agent.to(marie.key)[0].text

    agent.send("/ticket 1")
    history = agent.text
    assert "personnel (Agent Rossi) : Bonjour Madame" in history
    assert "usager : Merci, j'envoie le plan coté demain." in history

    agent.send("/close 1")
    (closed,) = agent.to(marie.key)
    assert "Votre demande #1 a été close par le personnel du ministère" in closed.text
    assert agent.mine[0].text == "Ticket #1 — clos ; l'usager en est informé."
    ticket_record = core.store.handoff(1)
    assert ticket_record is not None and ticket_record.status == TICKET_CLOSED
    agent.send("/close 1")
    assert agent.text == "Le ticket #1 est déjà clos."
    agent.send("/tickets")
    assert agent.text == "Aucun ticket ouvert."


def test_the_user_answers_in_english_when_that_is_their_language(core: Core) -> None:
    john = Chat(core, user="@john:example.org", transport="matrix", room="!dm:example.org")
    agent = Chat(core, user="900", transport="telegram", room="-100900")
    john.send("/lang en")
    john.send("/human I need help with the lease")
    (ticket,) = john.to(STAFF_ROOM)
    assert "Message de l'usager : I need help with the lease" in ticket.text  # staff read French
    assert "A person will answer you here, normally today before 17:00" in john.mine[0].text
    agent.send("/reply 1 Hello, which lease?")
    (relay,) = agent.to(john.key)
    assert relay.text.startswith("💬 Answer from the ministry's staff (request #1):\nHello, which lease?")
    # The staff member wrote from a Telegram group that is not the staff room: the room is told too.
    (copy,) = agent.to(STAFF_ROOM)
    assert copy.text == "Ticket #1 — 900 a répondu :\nHello, which lease?"


def test_tickets_survive_a_restart(tmp_path: Path, clock: Clock) -> None:
    first = make_helpdesk(tmp_path, clock, **STAFF)
    marie = marie_on_telegram(first)
    marie.send("/human")
    first.close()

    second = make_helpdesk(tmp_path, clock, **STAFF)
    agent = agent_in_staff_room(second)
    agent.send("/tickets")
    assert "#1 — 18/11/2025 11:00 — Marie Dupont (telegram, fr) — commande /human — en attente" in agent.text
    agent.send("/reply 1 Nous revenons vers vous.")
    (relay,) = agent.to(SessionKey("telegram", "7001", "7001"))
    assert "Nous revenons vers vous." in relay.text
    agent.send("/tickets")
    assert "répondu" in agent.text


def test_a_second_request_reuses_the_open_ticket(core: Core) -> None:
    marie = marie_on_telegram(core)
    marie.send("/human")
    marie.send("/human")
    assert [r.text for r in marie.to(STAFF_ROOM)] == ["Ticket #1 — l'usager demande de nouveau une personne."]
    assert "Votre demande #1 est déjà transmise" in marie.mine[0].text
    marie.send("/human Mon bail commence le 1er mars.")
    assert [r.text for r in marie.to(STAFF_ROOM)] == [
        "Ticket #1 — message de l'usager :\nMon bail commence le 1er mars."
    ]
    assert [t.number for t in core.store.list_handoffs(TICKET_OPEN)] == [1]


def test_the_bot_keeps_answering_and_the_ticket_keeps_the_follow_ups(core: Core) -> None:
    marie, agent = marie_on_telegram(core), agent_in_staff_room(core)
    marie.send("/human")
    marie.send("bonjour")
    assert "Bonjour ! Je suis l'assistant" in marie.text and marie.to(STAFF_ROOM) == []
    marie.send("/dossier modification")
    marie.send("A.M. n° 2004-123")
    assert marie.to(STAFF_ROOM) == []
    agent.send("/ticket 1")
    assert "Écrit au bot depuis la demande :" in agent.text
    assert "› bonjour" in agent.text and "› A.M. n° 2004-123" in agent.text


def test_an_unanswered_question_offers_a_person_and_the_ticket_says_why(core: Core) -> None:
    marie = marie_on_telegram(core)
    marie.send("Quel est le prix d'un kilo de tomates au marché ?")
    assert [c.value for c in marie.last.choices] == ["/human unanswered"]
    marie.send("1")  # the offered button, by its number
    (ticket,) = marie.to(STAFF_ROOM)
    assert ticket.text.startswith("Ticket #1 — demande de contact (question restée sans réponse)")
    assert "› Quel est le prix d'un kilo de tomates au marché ?" in ticket.text


def test_asking_for_a_person_in_words_opens_a_ticket(core: Core) -> None:
    marie = marie_on_telegram(core)
    marie.send("je veux parler à un humain")
    (ticket,) = marie.to(STAFF_ROOM)
    assert ticket.text.startswith("Ticket #1 — demande de contact (demandé dans un message)")
    assert "› je veux parler à un humain" in ticket.text


def test_staff_see_the_ticket_context_not_the_users_other_dossiers(core: Core) -> None:
    marie, agent = marie_on_telegram(core), agent_in_staff_room(core)
    marie.send("/dossier opening")
    marie.send("Dupont")
    marie.send("/cancel yes")
    marie.send("/dossier modification")
    marie.send("/human")
    agent.send("/ticket 1")
    assert "Dossier n° 2 — Modification (art. 12-14)" in agent.text
    assert "Dossier n° 1" not in agent.text and "Nom du responsable" not in agent.text
    # Staff's own dossier commands only ever reach staff's own dossiers.
    agent.send("/dossier 1")
    assert "Vous n'avez pas de dossier n° 1" in agent.text
    agent.send("/dossiers")
    assert "Vous n'avez encore aucun dossier" in agent.text


def test_only_staff_answer_tickets(core: Core) -> None:
    marie = marie_on_telegram(core)
    bob = Chat(core, user="8002", transport="telegram", room="8002")
    marie.send("/human")
    (ticket,) = marie.to(STAFF_ROOM)
    bob.send("/reply 1 je suis du ministère")
    assert bob.text.startswith("Désolé, cette commande est réservée au personnel du ministère.")
    bob.send("#1 je suis du ministère")
    bob.send("coucou", reply_to=ticket.text)
    assert all(r.to is None for _, replies in bob.log for r in replies)
    # The same user id on another transport is somebody else.
    impostor = Chat(core, user="900", transport="matrix", room="!other:example.org")
    impostor.send("/reply 1 bonjour")
    assert impostor.text.startswith("Désolé, cette commande est réservée")
    ticket_record = core.store.handoff(1)
    assert ticket_record is not None and ticket_record.context["messages"] == []


def test_unknown_tickets_and_bad_commands_get_a_sentence(core: Core) -> None:
    agent = agent_in_staff_room(core)
    agent.send("/reply 42 bonjour")
    assert agent.text.startswith("Il n'y a pas de ticket #42")
    agent.send("/reply bonjour")
    assert agent.text == "Écrivez /reply N votre texte (N : le numéro du ticket)."
    agent.send("/close")
    assert agent.text == "Écrivez /close N (N : le numéro du ticket)."
    agent.send("/ticket")
    assert agent.text.startswith("Écrivez /ticket N")
    agent.send("/close 7")
    assert agent.text.startswith("Il n'y a pas de ticket #7")


def test_without_a_staff_room_tickets_are_kept_for_staff(tmp_path: Path, clock: Clock) -> None:
    core = make_helpdesk(tmp_path, clock, staff=("telegram:900",))
    marie = marie_on_telegram(core)
    marie.send("/human")
    assert marie.to(STAFF_ROOM) == [] and all(r.to is None for r in marie.replies)
    assert "Votre demande #1" in marie.text
    agent = Chat(core, user="900", transport="telegram", room="900")
    agent.send("/tickets")
    assert "#1 — " in agent.text


HOURS = OfficeHours.from_settings(HelpdeskSettings(holidays=("2025-11-19",)))  # Monaco's national day


@pytest.mark.parametrize(
    ("utc", "lang", "expected"),
    [
        # Tuesday 18/11 11:00 in Monaco: open.
        (datetime(2025, 11, 18, 10, 0), "fr", "normalement aujourd'hui avant 17:00"),
        # Tuesday 07:30 in Monaco: later today.
        (datetime(2025, 11, 18, 6, 30), "fr", "répondra ici aujourd'hui à partir de 09:00"),
        # Tuesday 18:00: Wednesday is a holiday, so Thursday.
        (datetime(2025, 11, 18, 17, 0), "fr", "répondra ici jeudi 20/11 à partir de 09:00"),
        (datetime(2025, 11, 18, 17, 0), "en", "answer you here on Thursday 20/11 from 09:00"),
        # Thursday 20:00: tomorrow.
        (datetime(2025, 11, 20, 19, 0), "en", "answer you here tomorrow from 09:00"),
        # Friday 17:30 and Saturday: Monday.
        (datetime(2025, 11, 21, 16, 30), "fr", "répondra ici lundi 24/11 à partir de 09:00"),
        (datetime(2025, 11, 22, 12, 0), "fr", "répondra ici lundi 24/11 à partir de 09:00"),
        # Summer time: 16:30 UTC is 18:30 in Monaco, closed.
        (datetime(2025, 7, 1, 16, 30), "en", "The office is closed now"),
    ],
)
def test_office_hours_say_when_a_person_answers(utc: datetime, lang: str, expected: str) -> None:
    assert expected in HOURS.eta(lang, utc)


def test_office_hours_are_checked_when_read() -> None:
    with pytest.raises(ValueError, match=r"helpdesk\.office_hours"):
        OfficeHours.from_settings(HelpdeskSettings(office_hours="9h-8h"))
    with pytest.raises(ValueError, match=r"helpdesk\.office_days"):
        OfficeHours.from_settings(HelpdeskSettings(office_days=("mon", "funday")))
    weekend = OfficeHours.from_settings(
        HelpdeskSettings(office_days=("sat", "dim"), office_hours="10:00-12:30")
    )
    assert weekend.describe("fr") == "samedi, dimanche, de 10:00 à 12:30, heure de Monaco"


def test_rate_limit_answers_politely_then_lets_the_user_back(tmp_path: Path, clock: Clock) -> None:
    core = make_helpdesk(tmp_path, clock, helpdesk=HelpdeskSettings(rate_limit_per_minute=5), **STAFF)
    marie, agent = marie_on_telegram(core), agent_in_staff_room(core)
    other = Chat(core, user="8002", transport="telegram", room="8002")
    for _ in range(5):
        marie.send("/status")
        assert "pas de dossier en cours" in marie.text
        clock.advance(seconds=1)
    marie.send("/status")
    assert marie.text.startswith("Vous m'envoyez beaucoup de messages à la suite")
    assert "« /status »" in marie.text and "dans 55 s" in marie.text
    clock.advance(seconds=10)
    marie.send("une question qui arrive trop tôt")
    # Never silent: each message over the limit is told when to come again.
    assert "« une question qui arrive trop tôt »" in marie.text and "dans 45 s" in marie.text
    other.send("/status")
    assert "pas de dossier en cours" in other.text  # one user's limit is not another's
    for _ in range(8):
        agent.send("/tickets")  # staff are not limited
        assert agent.text == "Aucun ticket ouvert."
    clock.advance(seconds=60)
    marie.send("/status")
    assert "pas de dossier en cours" in marie.text
    terminal = Chat(core, user="operator", transport="console", room="terminal")
    for _ in range(8):
        terminal.send("/status")  # the terminal chat is the operator's own: never limited
        assert "pas de dossier en cours" in terminal.text


def test_close_in_the_thread_and_whoami_for_setting_up(core: Core) -> None:
    marie, agent = marie_on_telegram(core), agent_in_staff_room(core)
    marie.send("/whoami")
    assert marie.text == (
        "Votre compte : telegram:7001 (à inscrire dans « staff » pour le personnel) ; "
        "ce salon : telegram:7001 (à inscrire dans « staff_rooms » pour y recevoir les tickets)."
    )
    agent.send("/whoami")
    assert "matrix:@agent:gouv.mc" in agent.text and "matrix:!staff:gouv.mc" in agent.text
    assert "ce salon reçoit les tickets" in agent.text
    marie.send("/human")
    (ticket,) = marie.to(STAFF_ROOM)
    agent.send("/close", reply_to=ticket.text)  # a bare /close in the ticket's thread closes that ticket
    assert agent.mine[0].text == "Ticket #1 — clos ; l'usager en est informé."
    assert "a été close" in agent.to(marie.key)[0].text
