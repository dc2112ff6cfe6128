"""Commands in French and English, with / or !, hostile input, language, privacy, forget, human handoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands import parse_command
from bot.messages import Incoming, SessionKey
from tests.transcript import DIPLOMA_LINES, Chat, make_core, text_pdf


@pytest.fixture
def chat(tmp_path: Path) -> Chat:
    return Chat(make_core(tmp_path, retention_days=12))


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("/start", "start", ""),
        ("/start@vetpharma_bot", "start", ""),
        ("!aide", "help", ""),
        ("/Aide", "help", ""),
        ("/dossier transfert partiel", "dossier", "transfert partiel"),
        ("!annuler", "cancel", ""),
        ("/langue en", "lang", "en"),
        ("/vérifier", "check", ""),
        ("/confidentialité", "privacy", ""),
        ("/oublier", "forget", ""),
        ("/article 14", "article", "14"),
        ("/humain", "human", ""),
        ("/statut", "status", ""),
        ("/frobnicate", None, ""),
    ],
)
def test_parse_command(text: str, name: str | None, arg: str) -> None:
    command = parse_command(text)
    assert command is not None and (command.name, command.arg) == (name, arg)


@pytest.mark.parametrize("text", ["bonjour", "/home/user/plan.pdf", "/2", "!!!", "! important", ""])
def test_not_commands(text: str) -> None:
    assert parse_command(text) is None


def test_start_greets_and_offers_the_dossiers(chat: Chat) -> None:
    chat.send("/start")
    assert "Arrêté Ministériel n° 2003-175" in chat.text
    assert chat.choices == [
        "Ouverture (art. 5-6)",
        "Modification (art. 12-14)",
        "Transfert (art. 20)",
        "Transfert partiel (art. 21)",
    ]
    chat.send("3")  # the number of a choice picks it
    assert "Demande de transfert de l'autorisation d'ouverture" in chat.text


def test_greeting_in_english_switches_language(chat: Chat) -> None:
    chat.send("Hello")
    assert "Hello! I am the assistant" in chat.text
    chat.send("/dossier")
    assert "Which dossier do you want to prepare?" in chat.text
    chat.send("Opening (art. 5-6)")  # a label typed back picks it
    assert "Step 1/" in chat.text


def test_help_lists_the_commands_in_both_languages(chat: Chat) -> None:
    for command in ("/help", "!aide"):
        chat.send(command)
        for name in (
            "/dossier",
            "/status",
            "/check",
            "/cancel",
            "/lang",
            "/article",
            "/human",
            "/privacy",
            "/forget",
        ):
            assert name in chat.text
    chat.send("/lang en")
    assert "I will answer in English" in chat.text
    chat.send("/help")
    assert "Commands (with / or !)" in chat.text
    chat.send("!langue fr")
    assert "je vous réponds en français" in chat.text


def test_explicit_language_sticks(chat: Chat) -> None:
    chat.send("/lang en")
    chat.send("bonjour")
    assert "Hello! I am the assistant" in chat.text
    chat.send("/lang")
    assert chat.choices == ["Français", "English"]
    chat.send("1")
    assert "français" in chat.text


def test_unknown_command(chat: Chat) -> None:
    chat.send("/frobnicate now")
    assert "Je ne connais pas la commande « frobnicate »" in chat.text


def test_article_lookup(chat: Chat) -> None:
    chat.send("/article")
    assert "Quel article" in chat.text
    chat.send("/article 6")
    assert "copie certifiée conforme" in chat.text
    chat.send("!article 999")
    assert chat.text  # the nearest articles, never a traceback


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "x" * 100_000,
        "\x00\x01\x02\x03\xff\xfe" * 50,
        "🙂🚀🐶💊",
        "<script>alert(1)</script> **gras** [lien](http://x) <b>",
        "Как открыть аптеку?",
        "\ud800 unpaired surrogate",
        "/",
        "!",
    ],
)
def test_every_message_gets_a_reply_outside_a_dossier(chat: Chat, text: str) -> None:
    chat.send(text)
    assert chat.replies and all(r.text.strip() for r in chat.replies)
    assert "Traceback" not in chat.text


@pytest.mark.parametrize(
    "text",
    ["", "x" * 100_000, "\x00\x01\x02\xff" * 100, "🙂🚀", "<b>Dupont</b>", "'; DROP TABLE sessions; --"],
)
def test_every_message_gets_a_reply_inside_a_dossier(chat: Chat, text: str) -> None:
    chat.send("/dossier opening")
    chat.send(text)
    assert chat.replies and all(r.text.strip() for r in chat.replies)
    assert "Étape 1/" in chat.text  # the same question is asked again
    chat.send("Dupont")
    assert "Étape 2/" in chat.text


def test_long_message_is_refused_politely(chat: Chat) -> None:
    chat.send("x" * 100_000)
    assert "100000 caractères" in chat.text


def test_group_room_messages_not_addressed_to_the_bot_get_no_reply(chat: Chat) -> None:
    key = SessionKey("matrix", "!group:example.org", "@carol:example.org")
    assert chat.core.handle(Incoming(key=key, text="bonjour à tous", addressed=False)) == []


def test_privacy_states_the_configured_retention(chat: Chat) -> None:
    chat.send("/privacy")
    assert "12 jours" in chat.text and "/forget" in chat.text
    chat.send("/lang en")
    chat.send("/privacy")
    assert "12 days" in chat.text


def test_forget_deletes_everything_of_the_user(chat: Chat) -> None:
    store = chat.core.store
    chat.send("/keep on")
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    chat.send("/human")
    other = Chat(chat.core, user="bob")
    other.send("/dossier modification")
    assert store.count_rows("test", "alice") >= 5
    chat.send("/forget")
    assert "C'est définitif" in chat.text and chat.choices == ["Oui, tout effacer", "Non, annuler"]
    chat.send("2")
    assert "je n'efface rien" in chat.text and store.count_rows("test", "alice") >= 5
    chat.send("/oublier")
    chat.send("oui")
    assert (
        "tout ce que je conservais sur vous est effacé (1 dossier(s), 1 rapport(s), 1 fichier(s))"
        in chat.text
    )
    assert store.count_rows("test", "alice") == 0
    assert store.count_rows("test", "bob") == 2
    chat.send("/status")
    assert "pas de dossier en cours" in chat.text


def test_human_handoff_records_the_context(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.send("/human")
    assert "Votre demande a été enregistrée (n° 1)" in chat.text
    tickets = chat.core.store.handoffs(chat.key)
    assert len(tickets) == 1
    context = tickets[0]["context"]
    assert context["reason"] == "command"
    assert "Dupont" in context["recent"]
    assert context["dossier"]["kind"] == "opening"
    assert context["dossier"]["answers"] == {"responsible_last_name": "Dupont"}
    assert {p["id"] for p in context["dossier"]["pieces"]} >= {"diploma", "floor_plan"}


def test_internal_errors_become_a_polite_reply(chat: Chat) -> None:
    chat.send("/dossier opening")
    chat.core.store.close()
    chat.core.store.engine.dispose()
    # A store that cannot be reached: the user still gets a sentence, not a traceback.
    chat.core.store.engine = __import__("sqlalchemy").create_engine("sqlite:////nonexistent/dir/db.sqlite3")
    chat.core.store._sessions.configure(bind=chat.core.store.engine)
    chat.send("Dupont")
    assert "Je n'ai pas pu enregistrer votre message" in chat.text  # a storage error, told as such


def test_events_are_emitted_for_staff_figures(tmp_path: Path) -> None:
    from bot import events
    from bot.core import Core
    from bot.settings import Settings
    from bot.store import open_store

    sink = events.MemorySink()
    settings = Settings(data_dir=str(tmp_path))
    chat = Chat(Core(settings, open_store(settings.effective_database_url), events=sink))
    chat.send("/dossier opening")
    chat.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    chat.send("/human")
    chat.send("/cancel yes")
    assert [e.kind for e in sink.events] == ["dossier_started", "check", "handoff", "dossier_cancelled"]
    assert sink.of("check")[0].data["pieces"]["diploma"] == "present"
    assert sink.of("dossier_started")[0].key == chat.key


def test_commands_can_be_added_from_outside_the_core(chat: Chat) -> None:
    from bot.conversation import CommandContext
    from bot.messages import Reply

    def stats(context: CommandContext) -> list[Reply]:
        return [Reply(f"stats for {context.key.user} ({context.lang}): {context.arg or 'all'}")]

    chat.core.add_command("stats", stats, aliases=("statistiques",))
    chat.send("/stats today")
    assert chat.text == "stats for alice (fr): today"
    chat.send("!Statistiques")
    assert chat.text == "stats for alice (fr): all"
