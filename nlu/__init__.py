"""Natural-language understanding: a message in, its language, intent and entities out.

``understand(text)`` never raises: empty, binary, overlong or foreign messages get an intent too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.text import word_set
from nlu.calculators import calculation
from nlu.dictionary import general_words, is_general_word
from nlu.entities import (
    ArticleRef,
    CategoryMention,
    Duration,
    Entities,
    find_article_refs,
    find_categories,
    find_dates,
    find_durations,
    find_headcounts,
    find_texts,
)
from nlu.language import detect_with_margin
from nlu.lexicon import Correction, Lexicon, find_phrases, load_lexicon
from nlu.text import clean, contains_fact, fold, number_value, tokens

__all__ = [
    "INTENTS",
    "ArticleRef",
    "CategoryMention",
    "Duration",
    "Entities",
    "Understanding",
    "contains_fact",
    "understand",
    "warm_up",
]

INTENTS = (
    "rule_question",
    "article_lookup",
    "calculation",
    "dossier",
    "check_documents",
    "help",
    "greeting",
    "human",
    "out_of_scope",
)

_COMMANDS = {
    "help": "help",
    "start": "help",
    "aide": "help",
    "human": "human",
    "humain": "human",
    "dossier": "dossier",
    "status": "dossier",
    "check": "check_documents",
    "article": "article_lookup",
}
_QUESTION_WORDS = word_set("question_words")
_CONTACT_VERBS = word_set("contact_verbs")
_HUMAN_ALONE = word_set("human_alone")
_FIRST_PERSON = word_set("first_person")
_CONTENT_POS = frozenset({"NOUN", "PROPN"})


@dataclass(frozen=True)
class Understanding:
    """What the NLU read in one message."""

    text: str  # the message, cleaned and cut to a sane length
    lang: str  # fr | en | other
    intent: str
    entities: Entities
    confidence: float
    words: tuple[str, ...] = ()  # folded tokens, typos mended
    unknown: tuple[str, ...] = ()  # content words the texts and glossaries do not know
    unknown_nouns: tuple[str, ...] = ()  # the unknown words that are nouns (the subject of the question)
    off_topic: tuple[str, ...] = ()  # words of subjects the texts do not cover (fees, weather, ...)
    command: str | None = None  # "/article" for "/article 14"
    lemmas: tuple[str, ...] = field(default=())
    # The formality of a request the question asks about and nothing else: delay, silence, signer, copies,
    # addressee ("combien de temps pour un transfert ?", "qui signe la demande ?").
    formality: str | None = None

    @property
    def normalized(self) -> str:
        """Return the message as folded, mended words."""
        return " ".join(self.words)


def warm_up() -> None:
    """Load the language model and the vocabulary now, not on the first message."""
    from nlu.pipeline import is_word, load

    load()
    is_word("ouverture")  # builds the model's word list, read when a word is outside the texts
    load_lexicon()
    general_words("en")
    understand("Quel est le délai de réponse pour une demande d'ouverture ?")


def _content(words: list[str], lexicon: Lexicon) -> list[str]:
    return [w for w in words if w not in lexicon.stop_fr and w not in lexicon.stop_en and not w.isdigit()]


def _only(words: list[str], allowed: set[str] | frozenset[str]) -> bool:
    return bool(words) and all(w in allowed for w in words)


def _phrase_words(lexicon: Lexicon, key: str) -> set[str]:
    return {w for p in lexicon.words(key) for w in p.words}


@dataclass(frozen=True)
class _Reading:
    """What the intent rules look at in one message."""

    raw: str
    words: list[str]
    entities: Entities
    lexicon: Lexicon
    content: list[str]
    word_set: frozenset[str]

    def has(self, phrase_list: str) -> bool:
        """Tell whether the message holds a phrase of one of the lexicon's lists."""
        return self.lexicon.has(self.words, phrase_list)


_Found = tuple[str, float] | None


def _social(r: _Reading) -> _Found:
    """A greeting, a request for a person, a request for help."""
    greeting_words = _phrase_words(r.lexicon, "greeting")
    if r.has("greeting") and (
        not r.content or _only(r.content, greeting_words | {"beaucoup", "much", "lot"})
    ):
        return "greeting", 0.9
    if (r.has("human") and r.word_set & _CONTACT_VERBS) or _only(r.content, _HUMAN_ALONE):
        return "human", 0.9
    if r.has("help") and len(r.content) <= 4 and not r.entities.articles:
        return "help", 0.85
    return None


def _documents_or_dossier(r: _Reading) -> _Found:
    """A request to check one's documents, or to start or resume a dossier."""
    is_question = "?" in r.raw or bool(r.word_set & _QUESTION_WORDS)
    first_person = bool(r.word_set & _FIRST_PERSON)
    checks = r.has("check_verb") and r.has("check_object") and first_person
    if checks and (not r.entities.categories or not is_question):
        return "check_documents", 0.85
    if not r.word_set & _QUESTION_WORDS:
        wish = r.has("dossier_wish") and r.has("dossier_action")
        if (wish and r.has("dossier_object")) or r.has("dossier_resume"):
            return "dossier", 0.85
    return None


def _article_lookup(r: _Reading) -> _Found:
    """An article named with nothing else asked ("article 14", "article 1240 du code civil")."""
    if not r.entities.articles:
        return None
    lookup_words = _phrase_words(r.lexicon, "lookup") | {"premier", "1er"}
    # "article 1240 du code civil": the words naming a code are part of the reference.
    named_code = r.words[r.words.index("code") :] if "code" in r.words else []
    rest = [
        w
        for w in r.content
        if w not in lookup_words and w not in named_code and not re.fullmatch(r"[a-h]|[ivx]+|[lrd]\d*|al", w)
    ]
    named = {t for text_id in r.entities.texts for t in text_id.split("-")}
    return ("article_lookup", 0.95) if all(w in named or w.isdigit() for w in rest) else None


def _calculation(r: _Reading) -> _Found:
    """A computation a calculator of the lexicon makes, with the numbers it needs."""
    return calculation(r.words, r.entities)


def _intent(
    raw: str,
    words: list[str],
    lang: str,
    entities: Entities,
    off_topic: list[str],
    lexicon: Lexicon,
) -> tuple[str, float]:
    if lang == "other":
        return "out_of_scope", 0.8
    content = _content(words, lexicon)
    reading = _Reading(raw, words, entities, lexicon, content, frozenset(words))
    for rule in (_social, _documents_or_dossier, _article_lookup, _calculation):
        found = rule(reading)
        if found is not None:
            return found
    if off_topic:
        return "out_of_scope", 0.8
    if not content:
        return ("help", 0.3) if not entities.articles else ("article_lookup", 0.8)
    return "rule_question", 0.6


def understand(text: str, lang: str | None = None) -> Understanding:
    """Read one message: language, intent, entities and a confidence between 0 and 1."""
    raw = clean(text if isinstance(text, str) else "")
    hint = lang if lang in {"fr", "en"} else None
    if not raw or not any(ch.isalnum() for ch in raw):
        return Understanding(raw, hint or "fr", "help", Entities(), 0.0)
    lexicon = load_lexicon()
    command = None
    m = re.match(r"^[/!]([a-z_]+)\b", fold(raw))
    if m:
        command = "/" + m.group(1)
    typed = tokens(raw)
    detected, margin = detect_with_margin(raw, typed, lexicon)
    # The caller's language (a session's) is a default: a message clearly in the other language wins.
    language = detected if hint is None or (detected != hint and margin >= 1.5) else hint
    corrections = lexicon.correct_all(typed)
    words = [w for c in corrections for w in c.read]
    folded = fold(raw)
    corrected_text = " ".join(words)
    durations, study = find_durations(folded)
    if study is None:
        _, study = find_durations(corrected_text)
    from knowledge.index import load_index

    text_ids = [t for t in load_index().texts if t.startswith("code")]
    entities = Entities(
        articles=tuple(find_article_refs(raw)),
        categories=tuple(find_categories(words, folded, language)),
        headcounts=tuple(find_headcounts(words, lexicon)),
        dates=tuple(find_dates(folded, language)),
        durations=tuple(durations),
        study_years=study,
        third_cycle=lexicon.has(words, "third_cycle"),
        on_site_inspection=lexicon.has(words, "on_site_inspection"),
        procedure=_procedure(words, lexicon),
        partial_transfer=lexicon.has(words, "partial_transfer"),
        texts=tuple(find_texts(folded, text_ids)),
    )
    off_topic = [" ".join(words[m.start : m.end]) for m in lexicon.find(words, "out_of_scope")]
    if command:
        intent, confidence = _COMMANDS.get(command[1:], "help"), 1.0
    elif language == "other":
        intent, confidence = "out_of_scope", 0.8
    else:
        intent, confidence = _intent(raw, words, language, entities, off_topic, lexicon)
    unknown, nouns, lemmas = _unknown_words(raw, corrections, language, lexicon)
    formality = _formality(words, entities, lexicon) if intent in _FORMALITY_INTENTS else None
    return Understanding(
        text=raw,
        lang=language,
        intent=intent,
        entities=entities,
        confidence=confidence,
        words=tuple(words),
        unknown=tuple(unknown),
        unknown_nouns=tuple(nouns),
        off_topic=tuple(off_topic),
        command=command,
        lemmas=tuple(lemmas),
        formality=formality,
    )


# Cue lists, most specific first: "n'a pas répondu après 30 jours" asks about silence, not the delay.
_FORMALITY_CUES = (
    ("asks_silence", "silence"),
    ("asks_copies", "copies"),
    ("asks_signer", "signer"),
    ("asks_addressee", "addressee"),
    ("asks_admissibility", "admissibility"),
    ("asks_delay", "delay"),
)
_FORMALITY_INTENTS = frozenset({"rule_question", "dossier", "calculation"})


def _formality(words: list[str], entities: Entities, lexicon: Lexicon) -> str | None:
    """Return the formality of a request a question asks about, when it asks about nothing else."""
    if entities.articles or entities.date is not None or entities.categories or entities.headcounts:
        return None
    if lexicon.has(words, "after_authorisation"):
        return None
    found: str | None = None
    covered: set[int] = set()
    for key, name in _FORMALITY_CUES:
        for match in lexicon.find(words, key):
            found = found or name
            covered.update(range(match.start, match.end))
    if found is None:
        return None
    frame = _phrase_words(lexicon, "procedure_frame") | _phrase_words(lexicon, "generic_nouns")
    frame |= {w for phrases in lexicon.procedures.values() for p in phrases for w in p.words}
    frame |= _phrase_words(lexicon, "partial_transfer") | _QUESTION_WORDS
    for i, word in enumerate(words):
        if i in covered or word in frame or word.isdigit() or number_value(word) is not None:
            continue
        if word in lexicon.stop_fr or word in lexicon.stop_en:
            continue
        return None  # the question is about something else too ("délai pour déclarer la cessation")
    return found


def _procedure(words: list[str], lexicon: Lexicon) -> str | None:
    for name in ("transfer", "modification", "extension", "opening"):
        phrases = [(p.text, p.words) for p in lexicon.procedures.get(name, ())]
        if find_phrases(words, phrases, fuzzy=False):
            return name
    return None


# Lexicon lists whose words say what a message is, never what it is about.
_SIGNAL_LISTS = (
    "greeting",
    "help",
    "human",
    "lookup",
    "dossier_wish",
    "dossier_action",
    "check_verb",
    "deadline",
    "generic_nouns",
)


def _outside_vocabulary(corrections: list[Correction], lexicon: Lexicon) -> list[str]:
    """Return the typed content words that the texts' vocabulary does not hold."""
    stop = lexicon.stop_fr | lexicon.stop_en
    signals = {w for key in _SIGNAL_LISTS for p in lexicon.words(key) for w in p.words}
    from nlu.entities import MONTH_NAMES

    unknown = []
    for c in corrections:
        if c.typed in stop or c.typed.isdigit() or len(c.typed) < 3 or c.typed in signals:
            continue
        if c.typed in MONTH_NAMES:
            continue  # a month dates the user's situation; it is no subject the texts should hold
        if not all(lexicon.in_domain(w) or w in stop for w in c.read):
            unknown.append(c.typed)
    return unknown


def _unknown_words(
    raw: str, corrections: list[Correction], lang: str, lexicon: Lexicon
) -> tuple[list[str], list[str], list[str]]:
    """Return the content words outside the texts' vocabulary, those of them that are nouns, and lemmas."""
    unknown = _outside_vocabulary(corrections, lexicon)
    if not unknown:
        return [], [], []
    from nlu.pipeline import analyse

    analysed = analyse(raw)
    lemmas = [fold(t.lemma) for t in analysed if t.pos in _CONTENT_POS | {"VERB", "ADJ"}]
    # English has no part-of-speech model and the texts' English is a glossary: an everyday English word
    # ("write", "between", "warehouse") is no other subject, only a word the glossary lacks. French nouns the
    # texts never use ("honoraires") do tell a subject they do not treat: French keeps the tagger's reading.
    strange = [w for w in unknown if lang != "en" or not is_general_word(w, lang)]
    if lang == "en":
        # No English part-of-speech model: adverbs and verb forms are told by their endings.
        nouns = [w for w in strange if not w.endswith(("ly", "ing", "ed"))]
        return unknown, nouns, lemmas
    pos = {fold(t.text): t.pos for t in analysed}
    nouns = [w for w in strange if pos.get(w, "NOUN") in _CONTENT_POS]
    return unknown, nouns, lemmas
