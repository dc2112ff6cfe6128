"""Hostile message strategies shared by the fuzz test and ``bench/robustness.py``."""

from __future__ import annotations

from hypothesis import strategies as st

# Characters that look like digits to one Unicode function and not to another (superscripts, circled,
# Tai Lue, Ethiopic, Arabic-Indic, full-width, Devanagari), and the circled 20 that folds to two digits.
TRICKY_DIGITS = "²³¹①②⑳᧚፩٣٤۵०１２𝟏⁰₁½⅓Ⅻ"
COMMANDS = (
    "/edit", "/dossier", "/article", "/ticket", "/human", "/status", "/check", "/cancel", "/lang", "/help",
    "/privacy", "/forget", "/start", "/review", "/confirm", "/back", "/skip", "/reply", "/close", "/feedback",
    "!edit", "/tickets", "/stats", "/unanswered", "/letter",
)  # fmt: skip
WORDS = (
    "oui", "non", "ok", "1", "2", "3", "-1", "0", "99999999999999999999", "société", "pharmacien", "opening",
    "modification", "transfert", "Dupont", "Jean", "française", "12 rue Grimaldi", "combien d'assistants ?",
    "délai de réponse ?", "retour", "passer", "valider", "annuler", "aide", "bonjour", "15/09/2026",
    "2026-13-45", "31/02/2026", "1er mars 2026", "grossiste", "catégorie 5", "art 14", "article premier",
)  # fmt: skip

_digitish = st.text(alphabet=TRICKY_DIGITS + "0123456789 -.,/#°", min_size=1, max_size=12)
_unicode = st.text(min_size=0, max_size=60)
_long = st.builds(
    lambda c, n: c * n, st.sampled_from(["⑳", "٣", "9", "²", "a ", "é", "\u200b"]), st.integers(1, 2500)
)
_word = st.sampled_from(WORDS)
_command = st.builds(
    lambda c, arg: f"{c} {arg}".strip(),
    st.sampled_from(COMMANDS),
    st.one_of(_digitish, _word, _unicode, st.just("")),
)
_mixed = st.builds(lambda a, b: f"{a} {b}", _word, st.one_of(_digitish, _unicode))

message = st.one_of(_command, _digitish, _word, _unicode, _long, _mixed)
