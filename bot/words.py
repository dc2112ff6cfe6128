"""Words the conversation reads as themselves: greetings, navigation, confirmations (dossier names: the specs' aliases).

Compared folded (no accents, lower case, punctuation as spaces), as ``walkthrough.fold`` makes them.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import walkthrough as wt
from dossier_checker.spec import DossierSpec

GREETINGS = {
    "bonjour": "fr", "salut": "fr", "bonsoir": "fr", "coucou": "fr", "allo": "fr", "bjr": "fr",
    "hello": "en", "hi": "en", "hey": "en", "good morning": "en", "good afternoon": "en", "good evening": "en",
}  # fmt: skip
THANKS = {"merci", "merci beaucoup", "thanks", "thank you", "thx", "ok merci", "parfait", "super", "great"}
BACK_WORDS = {"retour", "back", "precedent", "previous", "revenir", "go back", "retour en arriere"}
SKIP_WORDS = {"passer", "skip", "suivant", "next", "je ne sais pas", "i don t know", "plus tard", "later"}
HELP_WORDS = {
    "aide",
    "help",
    "?",
    "au secours",
    "je ne comprends pas",
    "i don t understand",
    "explique",
    "explain",
}
CONFIRM_WORDS = {
    "valider",
    "confirmer",
    "confirm",
    "ok",
    "oui",
    "yes",
    "terminer",
    "finish",
    "c est bon",
    "done",
}
CANCEL_WORDS = {"annuler", "cancel", "abandonner", "stop", "quit"}
WAIT_WORDS = {"attendre", "wait", "plus tard", "later", "pas maintenant", "not now"}
# Small talk that is no answer and no question: a goodbye, the menu, a plain acknowledgement.
FAREWELL_WORDS = {
    "au revoir",
    "bye",
    "goodbye",
    "bye bye",
    "a bientot",
    "a plus",
    "ciao",
    "bonne journee",
    "see you",
}
QUIT_WORDS = {"quit", "exit", "quitter", "sortir", "fin", "end"}  # outside a dossier: a goodbye
MENU_WORDS = {"menu", "accueil", "home", "start", "demarrer"}
ACK_WORDS = {"ok", "okay", "d accord", "daccord", "entendu", "compris", "understood", "got it"}
QUESTION_STARTS = {
    "combien", "quel", "quelle", "quels", "quelles", "comment", "pourquoi", "quand", "ou", "est ce", "qui",
    "what", "how", "which", "when", "why", "who", "where", "is", "are", "can", "do", "does", "should", "must",
    "faut il", "dois je", "puis je", "peut on", "y a t il",
}  # fmt: skip
YES_FORGET = {"oui", "yes", "o", "y", "confirmer", "confirm", "effacer", "delete"}
# An emoji typed alone after an answer means the feedback button of the same emoji.
FEEDBACK_EMOJI = {"👍": "/feedback up ", "👎": "/feedback down "}


def looks_like_question(text: str) -> bool:
    """Tell whether a message reads as a question rather than an answer to the current field."""
    folded = wt.fold(text)
    words = folded.split()
    if text.rstrip().endswith("?") and len(words) >= 2:
        return True
    return len(words) >= 4 and any(folded.startswith(q + " ") for q in QUESTION_STARTS)


def dossier_words(specs: Mapping[str, DossierSpec]) -> dict[str, str]:
    """Map each word that names a dossier type (its id with spaces, its aliases; folded) to the dossier's id."""
    return {
        word: spec.id
        for spec in specs.values()
        for word in (spec.id, spec.id.replace("_", " "), *spec.aliases)
    }
