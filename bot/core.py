"""The conversation core: one ``Incoming`` in, a list of ``Reply`` out. No transport knows more."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Incoming, Reply


class Conversation(Protocol):
    """What every adapter talks to."""

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message."""
        ...


HELP_FR = (
    "Je suis l'assistant de l'Arrêté Ministériel n° 2003-175 (établissements pharmaceutiques vétérinaires).\n"
    "/article N : afficher un article\n/help : cette aide"
)


class Core:
    """First version of the core: greets, helps and prints articles (later issues fill it in)."""

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message."""
        text = incoming.text.strip()
        if text.startswith(("/article", "!article")):
            number = text.split(maxsplit=1)[1] if " " in text else ""
            from knowledge.render import render_article_lookup

            return [Reply(render_article_lookup(number))]
        if text.lower() in {"/start", "!start", "bonjour", "salut", "hello", "hi"}:
            return [Reply("Bonjour ! " + HELP_FR)]
        return [Reply(HELP_FR)]


def build_core(settings: object | None = None) -> Core:
    """Build the conversation core from settings (store, NLU, checker are wired here)."""
    return Core()
