"""Commands typed as ``/name arg`` or ``!name arg``, in English or French ("/aide", "!annuler", "/langue en")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import fold

# Canonical name -> every spelling accepted (compared without accents, case or hyphens).
ALIASES: dict[str, tuple[str, ...]] = {
    "start": ("start", "demarrer", "commencer", "debut", "debuter"),
    "help": ("help", "aide", "h", "commandes", "commands"),
    "dossier": ("dossier", "demande", "application", "nouveau", "new"),
    "dossiers": ("dossiers", "mesdossiers", "list", "liste"),
    "status": ("status", "statut", "etat", "suivi", "avancement", "progress"),
    "check": ("check", "verifier", "verification", "controle", "controler", "pieces", "checklist"),
    "cancel": ("cancel", "annuler", "abandonner", "abandon", "stop"),
    "lang": ("lang", "langue", "language", "langage"),
    "article": ("article", "art"),
    "human": ("human", "humain", "agent", "conseiller", "personne", "operator", "operateur", "contact"),
    "privacy": ("privacy", "confidentialite", "vieprivee", "donnees", "rgpd", "gdpr", "data"),
    "forget": ("forget", "oublier", "effacer", "supprimer", "delete", "forgetme", "oubliemoi"),
    "back": ("back", "retour", "precedent", "previous", "revenir"),
    "skip": ("skip", "passer", "suivant", "ignorer"),
    "edit": ("edit", "modifier", "corriger", "changer", "change"),
    "review": ("review", "recap", "recapitulatif", "relire", "resume"),
    "confirm": ("confirm", "valider", "confirmer", "terminer", "finish", "done", "fini"),
    "letter": ("letter", "lettre", "courrier", "pdf"),
    "keep": ("keep", "garder", "conserver"),
    "upload": ("upload", "envoyer", "televerser", "fichier", "file"),
    # A button of a dossier question: "/answer FIELD VALUE" (accepted only while FIELD is the one asked).
    "answer": ("answer",),
}
_BY_SPELLING = {spelling: name for name, spellings in ALIASES.items() for spelling in spellings}


@dataclass(frozen=True)
class Command:
    """A command: its canonical name, what followed it, and how the user spelled it."""

    name: str | None  # None: looks like a command but is not one we know
    arg: str
    typed: str


def _plain(word: str) -> str:
    return fold(word).replace("-", "").replace("_", "")


def parse_command(text: str) -> Command | None:
    """Read a command, or return None when the text is not one (a path or a "!" sentence is not)."""
    stripped = text.strip()
    match = re.match(r"^[/!]([^\s/@!]{1,40})(?:@\S+)?(?:\s+(.*))?$", stripped, flags=re.DOTALL)
    if match is None:
        return None
    typed = match.group(1)
    name = _BY_SPELLING.get(_plain(typed))
    if name is None and not typed.isalpha():
        # "/2" or "!!!" is text, not a command.
        return None
    return Command(name=name, arg=(match.group(2) or "").strip(), typed=typed)
