"""The conversation core: one ``Incoming`` in, a list of ``Reply`` out. No transport knows more.

Commands, the dossier walkthrough, uploads handed to the checker, questions handed to the NLU, human
handoff and privacy all live here, over a store that survives restarts. Replies are plain text (adapters
escape and format them), with ``choices`` that adapters render as buttons or as a numbered list.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import events as ev
from bot import walkthrough as wt
from bot.commands import parse_command
from bot.conversation import (
    UNANSWERED_OFFER,
    CommandContext,
    CommandHandler,
    MessageFilter,
    Purger,
    Turn,
)
from bot.documents import (
    MISSING,
    PRESENT,
    UNCERTAIN,
    Documents,
    PhotoRuns,
    PieceStatus,
    checklist,
    upload_summary,
)
from bot.faults import log_failure
from bot.handoff import HandoffRequest, HumanDesk, StoreDesk
from bot.hygiene import MAX_TEXT, clean_text, unreadable
from bot.i18n import LANGUAGES, normalise_lang, t
from bot.letter import (
    ChecklistLine,
    LetterPiece,
    checklist_filename,
    checklist_pdf,
    letter_filename,
    request_letter,
)
from bot.messages import Attachment, Choice, Incoming, OutgoingFile, Reply, SessionKey
from bot.questions import Questions, Understood
from bot.quotas import Quotas, owner_of
from bot.settings import Settings
from bot.store import (
    CANCELLED,
    COMPLETED,
    IN_PROGRESS,
    OPEN_STATUSES,
    REVIEW,
    DossierRecord,
    SessionState,
    Store,
    is_storage_error,
)
from dossier_checker.model import Limits
from dossier_checker.spec import DossierSpec, FieldSpec, load_specs
from nlu.numbers import digits_value, normalise_digits, read_index

if TYPE_CHECKING:
    from bot.checkqueue import CheckQueue, QueuedCheckResult
    from bot.store import StoredFile

log = logging.getLogger(__name__)

# A reply to a clarifying question is a choice or a few words ("dépositaire", "6 ans"); longer is a new question.
CLARIFY_REPLY_WORDS = 6
PURGE_EVERY = timedelta(hours=1)

DOSSIER_ORDER = ("opening", "modification", "transfer", "partial_transfer")
# Words that name a dossier type, besides its id (compared folded: no accents, lower case).
DOSSIER_WORDS: dict[str, str] = {
    "opening": "opening", "ouverture": "opening", "open": "opening", "ouvrir": "opening",
    "creation": "opening", "extension": "opening", "extension d activite": "opening", "nouvel etablissement": "opening",
    "modification": "modification", "modifications": "modification", "modif": "modification",
    "change": "modification", "changes": "modification",
    "transfer": "transfer", "transfert": "transfer", "cession": "transfer", "location gerance": "transfer",
    "lease management": "transfer", "changement de proprietaire": "transfer", "rachat": "transfer",
    "partial transfer": "partial_transfer", "transfert partiel": "partial_transfer", "partiel": "partial_transfer",
    "partial": "partial_transfer", "partial_transfer": "partial_transfer", "partial transfert": "partial_transfer",
}  # fmt: skip
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


# Where a dossier keeps how many versions of its letter were issued (not a field: never asked nor shown).
LETTER_VERSION = "_letter_version"


def letter_version(dossier: DossierRecord) -> int:
    """Return the version of the dossier's last letter (0: none issued yet)."""
    value = dossier.answers.get(LETTER_VERSION)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def answer_value(field_id: str, value: str) -> str:
    """Return what a dossier question's button sends back: the question's id travels with the choice."""
    return f"/answer {field_id} {value}"


def looks_like_question(text: str) -> bool:
    """Tell whether a message reads as a question rather than an answer to the current field."""
    folded = wt.fold(text)
    words = folded.split()
    if text.rstrip().endswith("?") and len(words) >= 2:
        return True
    return len(words) >= 4 and any(folded.startswith(q + " ") for q in QUESTION_STARTS)


class Core:
    """The assistant: commands, walkthrough, checks, questions, handoff and privacy over one store."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        specs: Mapping[str, DossierSpec] | None = None,
        questions: Questions | None = None,
        documents: Documents | None = None,
        desk: HumanDesk | None = None,
        events: ev.EventSink | None = None,
        clock: Callable[[], datetime] | None = None,
        feedback: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.specs = dict(specs) if specs is not None else load_specs()
        self.questions = questions or Questions()
        self.quotas = Quotas(settings.limits)
        self._checking: set[str] = set()  # users whose files this process is checking now
        self.documents = documents or Documents(
            Limits(file_seconds=settings.limits.file_seconds), settings.limits.check_workers
        )
        self.photo_runs = PhotoRuns()  # photos sent in a row, checked together as one document
        self.desk: HumanDesk = desk or StoreDesk(store)
        self.events: ev.EventSink = events or ev.NullSink()
        self._extra_commands: dict[str, tuple[str, CommandHandler]] = {}
        self._filters: list[MessageFilter] = []
        self._purgers: list[Purger] = []
        self.default_lang = settings.default_language if settings.default_language in LANGUAGES else "fr"
        self._last_purge: datetime | None = None
        # Naive UTC now: the store's clock unless told otherwise (tests move it to check the retention).
        self.clock: Callable[[], datetime] = clock or store.clock
        # Offer 👍/👎 under answers (only when something records the "/feedback" command).
        self.feedback = feedback
        self._closers: list[Callable[[], None]] = []
        self._help_sections: list[Callable[[SessionKey, str], str | None]] = []
        # Set on PostgreSQL deployments with a task queue: uploads are checked by ``vetpharma worker``.
        self.check_queue: CheckQueue | None = None

    def add_command(self, name: str, handler: CommandHandler, aliases: Iterable[str] = ()) -> None:
        """Add a command (``/name`` or ``!name``, and its aliases) answered by ``handler``."""
        for spelling in (name, *aliases):
            self._extra_commands[wt.fold(spelling).replace(" ", "")] = (name, handler)

    def add_filter(self, message_filter: MessageFilter) -> None:
        """Let ``message_filter`` see each addressed message first, in the order filters were added."""
        self._filters.append(message_filter)

    def add_purger(self, purger: Purger) -> None:
        """Apply the retention period to more data: ``purger(before)`` runs with the store's purge."""
        self._purgers.append(purger)

    def add_help_section(self, section: Callable[[SessionKey, str], str | None]) -> None:
        """Add ``section(key, lang)``'s text (when not None) to /help, e.g. staff commands for staff."""
        self._help_sections.append(section)

    def add_closer(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the core is closed (a metrics server, …)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Stop what was started with the core, then release the store."""
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:
                log.exception("could not stop a helper of the core")
        self._closers.clear()
        self.documents.close()
        self.store.close()

    def _emit(self, event_kind: str, turn: Turn, **data: Any) -> None:
        try:
            self.events.record(ev.Event(event_kind, turn.session.key, turn.lang, data))
        except Exception:
            log_failure(log, "an event sink failed on %s", event_kind)

    # ------------------------------------------------------------------------------------------------------
    # Entry point

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message; never raise (an internal error becomes a polite reply)."""
        if not incoming.addressed:
            return []
        try:
            return self._handle(incoming)
        except Exception as exc:
            log_failure(log, "core failed on a message from transport %s", incoming.key.transport)
            lang = self.default_lang
            try:
                lang = self.store.load_session(incoming.key, self.default_lang).lang
            except Exception:
                log_failure(log, "could not read the session either")
            # A storage error is told as such: what the message said was not recorded, it must be sent again.
            return [Reply(t(lang, "storage_failed" if is_storage_error(exc) else "internal_error"))]

    def _handle(self, incoming: Incoming) -> list[Reply]:
        self._purge_if_due()
        turn = Turn(self.store.load_session(incoming.key, self.default_lang), incoming.display_name)
        if turn.session.checking and owner_of(incoming.key) not in self._checking:
            # The process that was checking these files died: they were lost with it.
            names = ", ".join(f"« {n} »" if turn.lang == "fr" else f'"{n}"' for n in turn.session.checking)
            turn.extra.append(Reply(t(turn.lang, "check_interrupted", names=names)))
            turn.session = replace(turn.session, checking=())
        for message_filter in self._filters:
            filtered = message_filter(incoming, turn.session)
            if filtered is not None:
                return filtered
        raw = incoming.text or ""
        text = clean_text(raw)
        if incoming.attachment is None:
            self.photo_runs.end(incoming.key)  # a message between photos ends their run
        if incoming.attachment is not None:
            replies = self._upload(turn, incoming.attachment)
        elif incoming.attachment_error:
            replies = [Reply(t(turn.lang, "upload_failed", reason=clean_text(incoming.attachment_error)))]
            replies += self._resume_prompt(turn)
        elif unreadable(raw, text):
            replies = [Reply(t(turn.lang, "unreadable_message")), *self._resume_prompt(turn)]
        elif len(text) > MAX_TEXT:
            replies = [Reply(t(turn.lang, "too_long", length=len(text), maximum=MAX_TEXT))]
            replies += self._resume_prompt(turn)
        elif incoming.correction_of is not None and (corrected := self._correct(turn, text, incoming)):
            replies = corrected
        else:
            text = self._resolve_choice(turn.session, text)
            turn.session = replace(turn.session, offered=())
            replies = self._text(turn, text)
        replies = [*turn.extra, *replies]
        if not turn.forgotten:
            last_choices = replies[-1].choices if replies else ()
            numbered = replies[-1].numbered if replies else True
            session = turn.session.remember(text if len(text) <= MAX_TEXT and turn.remember else "")
            session = replace(
                session, offered=tuple((c.label, c.value) for c in last_choices), offered_numbered=numbered
            )
            self.store.save_session(session)
        return replies or [Reply(t(turn.lang, "fallback"))]

    def _purge_if_due(self) -> None:
        now = self.clock()
        if self._last_purge is not None and timedelta(0) <= now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        self.photo_runs.purge(now)
        if self.settings.retention_days > 0:
            before = now - timedelta(days=self.settings.retention_days)
            done = self.store.purge_inactive(before)
            if done.total:
                log.info("retention purge removed %d rows", done.total)
            for purger in self._purgers:
                try:
                    changed = purger(before)
                except Exception:
                    log_failure(log, "a retention purger failed")
                    continue
                if changed:
                    log.info("retention purge anonymised %d analytics rows", changed)

    @staticmethod
    def _resolve_choice(session: SessionState, text: str) -> str:
        """Map a number or a label typed back to the value of a choice offered in the last reply."""
        if not session.offered:
            return text
        feedback = FEEDBACK_EMOJI.get(text.strip())
        if feedback is not None:
            for _, value in session.offered:
                if value.startswith(feedback):
                    return value
        folded = wt.fold(text)
        index = read_index(text, len(session.offered)) if session.offered_numbered else None
        if index is not None:
            return session.offered[index - 1][1]
        for label, value in session.offered:
            if folded and folded == wt.fold(label):
                return value
        return text

    # ------------------------------------------------------------------------------------------------------
    # Text

    def _text(self, turn: Turn, text: str) -> list[Reply]:
        dossier = self._active(turn.session)
        if not text:
            if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
                return self._walk_input(turn, dossier, "")
            return [Reply(t(turn.lang, "empty_message"), choices=self._start_choices(turn.lang))]
        command = parse_command(text)
        if command is not None:
            if turn.session.awaiting:
                turn.session = replace(turn.session, awaiting=None)
            extra = self._extra_commands.get(wt.fold(command.typed))
            if extra is not None:
                turn.remember = False
                context = CommandContext(turn.session.key, turn.lang, command.arg, turn.display_name)
                return extra[1](context)
            if command.name is None:
                return [Reply(t(turn.lang, "unknown_command", command=command.typed[:40]))]
            return self._command(turn, command.name, command.arg)
        if turn.session.awaiting == "cancel":
            turn.session = replace(turn.session, awaiting=None)
            folded = wt.fold(text)
            if folded in wt.YES_WORDS or folded in YES_FORGET:
                return self._cancel(turn, "yes")
            if folded in wt.NO_WORDS and dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
                return self._prompt(turn, dossier, prefix=t(turn.lang, "cancel_kept"))
        if turn.session.awaiting == "letter_missing":
            turn.session = replace(turn.session, awaiting=None)
            folded = wt.fold(text)
            if dossier is not None and dossier.status == REVIEW and not dossier.editing:
                if folded in CONFIRM_WORDS or folded in wt.YES_WORDS:
                    return self._finish(turn, dossier, "anyway")
                if folded in wt.NO_WORDS or folded in WAIT_WORDS:
                    return self._finish(turn, dossier, "wait")
        if turn.session.awaiting == "forget":
            turn.session = replace(turn.session, awaiting=None)
            if wt.fold(text) in YES_FORGET:
                return self._forget(turn)
            return [Reply(t(turn.lang, "forget_cancelled"))]
        if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
            return self._walk_input(turn, dossier, text)
        return self._free_text(turn, text)

    def _free_text(self, turn: Turn, text: str) -> list[Reply]:
        pending = turn.session.pending_question
        if pending is not None:
            turn.session = replace(turn.session, pending_question=None, pending_slot=None)
            if len(wt.fold(text).split()) <= CLARIFY_REPLY_WORDS:
                # The reply to a clarifying question completes it: "Combien d'assistants pour 80 personnes ?"
                # + "catégorie 5" is the question the user meant.
                meant = re.sub(r"[\s?]+$", "", pending) + f", {text} ?"
                return self._answer(turn, meant, clarified=True)
        # A follow-up ("et pour un dépositaire ?", "and for a transfer?") is the previous question, changed.
        meant = self.questions.follow_up(turn.session.last_question, text)
        if meant != text:
            return self._answer(turn, meant, feedback=True)
        folded = wt.fold(text)
        if folded in GREETINGS or folded.rstrip("!. ") in GREETINGS:
            if not turn.session.lang_explicit:
                turn.session = replace(turn.session, lang=GREETINGS.get(folded, turn.lang))
            return self._welcome(turn)
        if folded in THANKS:
            return [Reply(t(turn.lang, "thanks"))]
        if folded in HELP_WORDS:
            return self._help(turn)
        if folded in FAREWELL_WORDS:
            return [Reply(t(turn.lang, "farewell"))]
        if folded in MENU_WORDS:
            return self._welcome(turn)
        if folded in ACK_WORDS:
            return [Reply(t(turn.lang, "thanks"))]
        kind = DOSSIER_WORDS.get(folded)
        if kind is not None and kind in self.specs:
            return self._start_dossier(turn, kind)
        # Read once, with the session's language as a hint: the answer below reuses this reading.
        understood = self.questions.understand(text, turn.lang)
        if understood is not None:
            self._adopt_language(turn, text, understood.lang)
            if understood.intent == "greeting":
                return self._welcome(turn)
            if understood.intent == "help":
                return self._help(turn)
            if understood.intent == "human":
                return self._human(turn, reason="intent", said=text)
            if understood.intent == "dossier":
                kinds = [k for k in self._kinds_in(understood.entities, text) if k in self.specs]
                return self._start_dossier(turn, kinds[0]) if kinds else self._dossier_menu(turn)
            if understood.intent == "check_documents":
                return self._check(turn, "")
        kinds = [k for k in self._kinds_in(understood.entities, "") if k in self.specs] if understood else []
        offer_dossier = bool(kinds) and self._active(turn.session) is None
        # One set of buttons per answer: the dossier offer, else 👍/👎 (numbers typed back stay unambiguous).
        reading = understood if understood is not None and understood.hint == turn.lang else None
        replies = self._answer(turn, text, feedback=not offer_dossier, understood=reading)
        if offer_dossier and replies:
            # A question about a procedure: offer to prepare that dossier right away.
            offer = Choice(
                t(turn.lang, "button_prepare", title=self._short_title(kinds[0], turn.lang)),
                f"/dossier {kinds[0]}",
            )
            replies[-1] = replace(replies[-1], choices=(*replies[-1].choices, offer))
        return replies

    def _kinds_in(self, entities: Mapping[str, Any], text: str) -> list[str]:
        found = []
        for key in ("dossier", "dossier_type", "dossier_kind"):
            values = entities.get(key)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str):
                    kind = DOSSIER_WORDS.get(wt.fold(value), value)
                    found.append(kind)
        folded = wt.fold(text)
        for words, kind in sorted(DOSSIER_WORDS.items(), key=lambda item: -len(item[0])):
            if re.search(rf"\b{re.escape(words)}\b", folded) and kind not in found:
                found.append(kind)
        return found

    def _adopt_language(self, turn: Turn, text: str, lang: str | None) -> None:
        """Follow the language the user writes in, unless they chose one with /lang."""
        if turn.session.lang_explicit or lang not in LANGUAGES or lang == turn.lang:
            return
        if len(wt.fold(text).split()) >= 3:
            turn.session = replace(turn.session, lang=lang)

    def _answer(
        self,
        turn: Turn,
        text: str,
        *,
        feedback: bool = False,
        understood: Understood | None = None,
        clarified: bool = False,
    ) -> list[Reply]:
        """Answer a question about the decree (or say plainly that questions cannot be answered yet).

        ``feedback``: the answer stands alone (no dossier question follows it), so 👍/👎 may be offered.
        """
        if not self.questions.can_answer:
            return [Reply(t(turn.lang, "questions_unavailable"), choices=self._start_choices(turn.lang))]
        # The session language is a hint: the answerer follows a question clearly written in another one.
        answered = self.questions.answer(text, turn.lang, understood)
        if answered is None:
            return [Reply(t(turn.lang, "questions_unavailable"))]
        turn.session = replace(turn.session, last_question=text[:MAX_TEXT])
        dossier = self._active(turn.session)
        walking = dossier is not None and dossier.status in (IN_PROGRESS, REVIEW)
        if answered.clarify_question and answered.clarify_options and not clarified and not walking:
            # The answer depends on something the user did not say: ask it, and keep the question pending
            # (in the session, so that it survives a restart) until the reply completes it.
            self._adopt_language(turn, text, answered.lang)
            turn.session = replace(
                turn.session, pending_question=text[:MAX_TEXT], pending_slot=answered.clarify_slot
            )
            choices = tuple(Choice(label, value) for label, value in answered.clarify_options)
            return [Reply(answered.clarify_question, choices=choices)]
        self._adopt_language(turn, text, answered.lang)
        # The feedback buttons name the question by this reference, not by anything about the user.
        ref = secrets.token_urlsafe(9)
        self._emit(
            ev.QUESTION,
            turn,
            text=text,
            answered=answered.answered,
            confidence=answered.confidence,
            citations=[dict(c) for c in answered.citations],
            ref=ref,
        )
        body = answered.text.strip() or t(turn.lang, "not_answered")
        if not answered.answered:
            return [Reply(body, choices=(Choice(t(turn.lang, "button_human"), UNANSWERED_OFFER),))]
        if feedback and self.feedback:
            choices = (
                Choice(t(turn.lang, "button_feedback_up"), f"/feedback up {ref}"),
                Choice(t(turn.lang, "button_feedback_down"), f"/feedback down {ref}"),
            )
            return [Reply(body, choices=choices)]
        return [Reply(body)]

    # ------------------------------------------------------------------------------------------------------
    # Commands

    def _command(self, turn: Turn, name: str, arg: str) -> list[Reply]:
        lang = turn.lang
        match name:
            case "start":
                return self._welcome(turn)
            case "help":
                return self._help(turn)
            case "dossier":
                return self._dossier_command(turn, arg)
            case "dossiers":
                return self._list_dossiers(turn)
            case "status":
                return self._status(turn)
            case "check":
                return self._check(turn, arg)
            case "cancel":
                return self._cancel(turn, wt.fold(arg))
            case "lang":
                return self._lang(turn, arg)
            case "article":
                return self._article(turn, arg)
            case "human":
                if wt.fold(arg) == "unanswered":
                    return self._human(turn, reason="unanswered")
                return self._human(turn, reason="command", note=arg[:2000] or None)
            case "privacy":
                return [Reply(self._privacy_text(turn))]
            case "forget":
                return self._forget_command(turn, arg)
            case "keep":
                return self._keep(turn, arg)
            case "upload":
                return [Reply(t(lang, "upload_how"))]
            case "letter":
                return self._letter_command(turn)
            case "answer":
                return self._choice_command(turn, arg)
            case "back" | "skip" | "edit" | "review" | "confirm":
                dossier = self._active(turn.session)
                if dossier is not None and dossier.status == COMPLETED and name in {"edit", "review"}:
                    return self._reopen(turn, dossier, name, arg)
                if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
                    return [Reply(t(lang, "no_dossier_in_progress"), choices=self._start_choices(lang))]
                return self._walk_command(turn, dossier, name, arg)
        return [Reply(t(lang, "unknown_command", command=name))]

    def _welcome(self, turn: Turn) -> list[Reply]:
        lang = turn.lang
        text = t(lang, "welcome")
        dossier = self._active(turn.session)
        choices = self._start_choices(lang)
        if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
            title = self._short_title(dossier.kind, lang)
            text += "\n\n" + t(lang, "welcome_resume", number=dossier.number, title=title)
            # The dossier in progress comes first: "1" after a restart resumes it, it does not start another.
            resume = Choice(
                t(lang, "button_resume", number=dossier.number, title=title), f"/dossier {dossier.number}"
            )
            choices = (resume, *choices)
        return [Reply(text, choices=choices)]

    def _help(self, turn: Turn) -> list[Reply]:
        text = t(turn.lang, "help", days=self.settings.retention_days)
        for section in self._help_sections:
            extra = section(turn.session.key, turn.lang)
            if extra:
                text += "\n\n" + extra
        return [Reply(text)]

    def _start_choices(self, lang: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(self._short_title(kind, lang), f"/dossier {kind}")
            for kind in DOSSIER_ORDER
            if kind in self.specs
        )

    def _short_title(self, kind: str, lang: str) -> str:
        msg_id = f"dossier_{kind}"
        try:
            return t(lang, msg_id)
        except KeyError:
            spec = self.specs.get(kind)
            return spec.title.get(lang, kind) if spec else kind

    def _status_label(self, status: str, lang: str) -> str:
        return t(lang, f"status_{status}")

    def _lang(self, turn: Turn, arg: str) -> list[Reply]:
        chosen = normalise_lang(arg)
        if chosen is None:
            return [
                Reply(
                    t(turn.lang, "lang_ask"),
                    choices=(Choice("Français", "/lang fr"), Choice("English", "/lang en")),
                )
            ]
        turn.session = replace(turn.session, lang=chosen, lang_explicit=True)
        return [Reply(t(chosen, "lang_set")), *self._resume_prompt(turn)]

    def _article(self, turn: Turn, arg: str) -> list[Reply]:
        if not arg.strip():
            return [Reply(t(turn.lang, "article_ask"))]
        try:
            from knowledge.render import render_article_lookup
        except ImportError:
            return [Reply(t(turn.lang, "articles_unavailable"))]
        return [Reply(render_article_lookup(arg.strip()[:80], turn.lang))]

    def _privacy_text(self, turn: Turn) -> str:
        keep = t(turn.lang, "privacy_keep_on" if turn.session.keep_files else "privacy_keep_off")
        text = t(turn.lang, "privacy", days=self.settings.retention_days, keep=keep)
        return text + "\n" + self._limits_text(turn.lang)

    def _limits_text(self, lang: str) -> str:
        limits = self.settings.limits
        return t(
            lang,
            "limits_text",
            stored=limits.stored_mb_per_user,
            files=limits.files_per_message,
            pages=limits.pages_per_minute,
            seconds=limits.check_seconds_per_minute,
            file_seconds=f"{limits.file_seconds:g}",
            maximum=self.documents.max_bytes // 1024 // 1024,
        )

    def _forget_command(self, turn: Turn, arg: str) -> list[Reply]:
        folded = wt.fold(arg)
        if folded in YES_FORGET:
            return self._forget(turn)
        if folded in {"non", "no", "n"}:
            return [Reply(t(turn.lang, "forget_cancelled"))]
        turn.session = replace(turn.session, awaiting="forget")
        return [
            Reply(
                t(turn.lang, "forget_confirm"),
                choices=(
                    Choice(t(turn.lang, "button_forget_yes"), "/forget yes"),
                    Choice(t(turn.lang, "button_forget_no"), "/forget no"),
                ),
            )
        ]

    def _forget(self, turn: Turn) -> list[Reply]:
        lang = turn.lang
        key = turn.session.key
        done = self.store.forget_user(key.transport, key.user)
        turn.forgotten = True
        self._emit(ev.FORGET, turn, rows=done.total)
        return [Reply(t(lang, "forgotten", dossiers=done.dossiers, reports=done.checks, files=done.files))]

    def _keep(self, turn: Turn, arg: str) -> list[Reply]:
        folded = wt.fold(arg)
        if folded in {"on", "oui", "yes", "1", "true"}:
            turn.session = replace(turn.session, keep_files=True)
            return [Reply(t(turn.lang, "keep_on"))]
        if folded in {"off", "non", "no", "0", "false"}:
            turn.session = replace(turn.session, keep_files=False)
            return [Reply(t(turn.lang, "keep_off"))]
        state = t(turn.lang, "keep_state_on" if turn.session.keep_files else "keep_state_off")
        return [
            Reply(
                t(turn.lang, "keep_ask", state=state),
                choices=(
                    Choice(t(turn.lang, "button_keep_on"), "/keep on"),
                    Choice(t(turn.lang, "button_keep_off"), "/keep off"),
                ),
            )
        ]

    def _human(self, turn: Turn, *, reason: str, note: str | None = None, said: str = "") -> list[Reply]:
        """Hand the conversation to a person; ``said``: the message that asked for one, in words."""
        dossier = self._active(turn.session)
        recent = turn.session.remember(said).recent if said else turn.session.recent
        ticket = self.desk.open_ticket(
            HandoffRequest(
                key=turn.session.key,
                lang=turn.lang,
                reason=reason,
                recent=recent,
                display_name=turn.display_name,
                dossier=self._dossier_context(dossier) if dossier is not None else None,
                note=note,
            )
        )
        self._emit(ev.HANDOFF, turn, ticket=ticket.number, reason=reason)
        text = ticket.user_message or t(turn.lang, "human_requested", number=ticket.number)
        return [*ticket.relays, Reply(text)]

    def _dossier_context(self, dossier: DossierRecord) -> dict[str, Any]:
        """Describe one dossier for staff, in the staff's (default) language."""
        spec = self.specs[dossier.kind]
        lang = self.default_lang
        return {
            "kind": dossier.kind,
            "number": dossier.number,
            "status": dossier.status,
            "title": self._short_title(dossier.kind, lang),
            "status_label": self._status_label(dossier.status, lang),
            "answers": dict(dossier.answers),
            "summary": [
                line.removeprefix("• ") for line in self._answer_lines(spec, dossier, lang, numbered=False)
            ],
            "pieces": [
                {"id": p.id, "status": p.status, "article": p.article, "label": p.label, "file": p.file}
                for p in checklist(spec, dossier.answers, self._reports(dossier), lang)
            ],
        }

    # ------------------------------------------------------------------------------------------------------
    # Dossiers

    def _active(self, session: SessionState) -> DossierRecord | None:
        if session.active_dossier is None:
            return None
        dossier = self.store.dossier(session.key, session.active_dossier)
        if dossier is None or dossier.status not in OPEN_STATUSES or dossier.kind not in self.specs:
            return None
        return dossier

    def _kind_from(self, arg: str) -> str | None:
        folded = wt.fold(arg).replace("_", " ")
        if not folded:
            return None
        if folded.replace(" ", "_") in self.specs:
            return folded.replace(" ", "_")
        if folded in DOSSIER_WORDS:
            return DOSSIER_WORDS[folded]
        for kind, spec in self.specs.items():
            if folded in {wt.fold(title) for title in spec.title.values()}:
                return kind
        return None

    def _dossier_command(self, turn: Turn, arg: str) -> list[Reply]:
        lang = turn.lang
        if not arg:
            dossier = self._active(turn.session)
            if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
                return self._resume(turn, dossier)
            return self._dossier_menu(turn)
        number = re.fullmatch(r"(?:n[°o]?\s*|#)?([0-9]{1,6})", normalise_digits(arg), flags=re.IGNORECASE)
        if number:
            found = self.store.dossier_by_number(turn.session.key, digits_value(number.group(1)) or 0)
            if found is None or found.kind not in self.specs:
                return [
                    Reply(
                        t(lang, "dossier_not_found", number=number.group(1)),
                        choices=self._start_choices(lang),
                    )
                ]
            if found.status == CANCELLED:
                found = self.store.save_dossier(replace(found, status=IN_PROGRESS))
            turn.session = replace(turn.session, active_dossier=found.id)
            if found.status == COMPLETED:
                return self._status(turn)
            return self._resume(turn, found)
        kind = self._kind_from(arg)
        if kind is None:
            return [
                Reply(t(lang, "dossier_unknown_type", answer=arg[:80]), choices=self._start_choices(lang))
            ]
        return self._start_dossier(turn, kind)

    def _dossier_menu(self, turn: Turn) -> list[Reply]:
        lang = turn.lang
        lines = [t(lang, "dossier_menu")]
        for kind in DOSSIER_ORDER:
            if kind in self.specs:
                lines.append(f"• {self._short_title(kind, lang)} — {t(lang, f'dossier_{kind}_when')}")
        return [Reply("\n".join(lines), choices=self._start_choices(lang))]

    def _start_dossier(self, turn: Turn, kind: str) -> list[Reply]:
        lang = turn.lang
        spec = self.specs[kind]
        previous = self._active(turn.session)
        dossier = self.store.create_dossier(turn.session.key, kind)
        turn.session = replace(turn.session, active_dossier=dossier.id)
        self._emit(ev.DOSSIER_STARTED, turn, kind=kind, number=dossier.number)
        text = t(lang, "dossier_started", number=dossier.number, title=spec.title.get(lang, spec.title["fr"]))
        text += "\n\n" + spec.intro.get(lang, spec.intro["fr"])
        text += "\n\n" + t(lang, "walk_instructions")
        if previous is not None and previous.status in (IN_PROGRESS, REVIEW):
            text += "\n\n" + t(
                lang,
                "dossier_previous_kept",
                number=previous.number,
                title=self._short_title(previous.kind, lang),
            )
        replies = [Reply(text)]
        replies += self._check_pending_files(turn, dossier)
        replies += self._prompt(turn, self.store.dossier(turn.session.key, dossier.id) or dossier)
        return replies

    def _resume(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        lang = turn.lang
        intro = Reply(
            t(lang, "dossier_resumed", number=dossier.number, title=self._short_title(dossier.kind, lang))
        )
        return [intro, *self._prompt(turn, dossier)]

    def _list_dossiers(self, turn: Turn) -> list[Reply]:
        lang = turn.lang
        dossiers = [d for d in self.store.dossiers(turn.session.key) if d.kind in self.specs]
        if not dossiers:
            return [Reply(t(lang, "no_dossiers"), choices=self._start_choices(lang))]
        lines = [t(lang, "dossiers_title")]
        active = turn.session.active_dossier
        for d in dossiers:
            marker = " ◀" if d.id == active else ""
            lines.append(
                f"n° {d.number} — {self._short_title(d.kind, lang)} — {self._status_label(d.status, lang)}{marker}"
            )
        lines.append(t(lang, "dossiers_hint"))
        choices = tuple(
            Choice(f"n° {d.number} — {self._short_title(d.kind, lang)}", f"/dossier {d.number}")
            for d in dossiers
            if d.status != CANCELLED
        )
        return [Reply("\n".join(lines), choices=choices)]

    def _cancel(self, turn: Turn, confirm: str = "") -> list[Reply]:
        lang = turn.lang
        dossier = self._active(turn.session)
        if turn.session.awaiting:
            turn.session = replace(turn.session, awaiting=None)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return [Reply(t(lang, "nothing_to_cancel"), choices=self._start_choices(lang))]
        if confirm in wt.NO_WORDS:
            return self._prompt(turn, dossier, prefix=t(lang, "cancel_kept"))
        if confirm not in YES_FORGET and confirm not in wt.YES_WORDS:
            # Abandoning loses the thread of the walk: ask first (a stray "stop" must not end a dossier).
            turn.session = replace(turn.session, awaiting="cancel")
            title = self._short_title(dossier.kind, lang)
            return [
                Reply(
                    t(lang, "cancel_confirm", number=dossier.number, title=title),
                    choices=(
                        Choice(t(lang, "button_cancel_yes"), "/cancel yes"),
                        Choice(t(lang, "button_cancel_no"), "/cancel no"),
                    ),
                )
            ]
        self.store.save_dossier(replace(dossier, status=CANCELLED, editing=None))
        turn.session = replace(turn.session, active_dossier=None)
        self._emit(ev.DOSSIER_CANCELLED, turn, kind=dossier.kind, number=dossier.number)
        return [
            Reply(
                t(
                    lang,
                    "dossier_cancelled",
                    number=dossier.number,
                    title=self._short_title(dossier.kind, lang),
                ),
                choices=self._start_choices(lang),
            )
        ]

    def _status(self, turn: Turn) -> list[Reply]:
        lang = turn.lang
        dossier = self._active(turn.session)
        others = [
            d
            for d in self.store.dossiers(turn.session.key)
            if d.kind in self.specs and (dossier is None or d.id != dossier.id) and d.status != CANCELLED
        ]
        if dossier is None:
            text = t(lang, "status_none")
            if others:
                text += "\n\n" + t(lang, "status_others", count=len(others))
            return [Reply(text, choices=self._start_choices(lang))]
        spec = self.specs[dossier.kind]
        lines = [
            t(
                lang,
                "status_title",
                number=dossier.number,
                title=self._short_title(dossier.kind, lang),
                status=self._status_label(dossier.status, lang),
            )
        ]
        step = wt.next_step(spec, dossier.answers)
        answered = len(wt.answered_fields(spec, dossier.answers))
        lines.append(
            t(lang, "status_answers", answered=answered, total=len(spec.active_fields(dossier.answers)))
        )
        pieces = checklist(spec, dossier.answers, self._reports(dossier), lang)
        lines.append("")
        lines.append(self._checklist_text(pieces, lang))
        if isinstance(step, wt.Ask) and dossier.status == IN_PROGRESS:
            lines.append("")
            lines.append(t(lang, "status_next", number=step.number, total=step.total))
        if others:
            lines.append("")
            lines.append(t(lang, "status_others", count=len(others)))
        return [Reply("\n".join(lines))]

    def _check(self, turn: Turn, arg: str) -> list[Reply]:
        lang = turn.lang
        dossier = self._active(turn.session)
        if dossier is None:
            kind = self._kind_from(arg)
            if kind is not None:
                return self._start_dossier(turn, kind)
            return [Reply(t(lang, "check_no_dossier"), choices=self._start_choices(lang))]
        spec = self.specs[dossier.kind]
        pieces = checklist(spec, dossier.answers, self._reports(dossier), lang)
        text = self._checklist_text(pieces, lang)
        text += "\n\n" + t(lang, "upload_invite")
        return [Reply(text)]

    def _reports(self, dossier: DossierRecord) -> list[Mapping[str, Any]]:
        return [c.report for c in self.store.checks(dossier.id)]

    def _checklist_text(self, pieces: Sequence[PieceStatus], lang: str) -> str:
        received = sum(1 for p in pieces if p.status == PRESENT)
        lines = [t(lang, "checklist_title", received=received, total=len(pieces))]
        marks = {PRESENT: "✅", UNCERTAIN: "⚠️", MISSING: "☐"}
        for piece in pieces:
            state = t(lang, f"piece_{piece.status}")
            where = f" ({piece.file})" if piece.file else ""
            lines.append(f"{marks[piece.status]} {piece.label} — art. {piece.article} — {state}{where}")
            lines.extend(f"    ⚠ {w}" for w in piece.warnings)
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------------------------
    # Walkthrough

    def _save(self, dossier: DossierRecord) -> DossierRecord:
        return self.store.save_dossier(dossier)

    def _prompt(self, turn: Turn, dossier: DossierRecord, prefix: str = "") -> list[Reply]:
        """Ask whatever the dossier needs next: the field being edited, the next field, or the review."""
        spec = self.specs[dossier.kind]
        if dossier.editing:
            field_spec = spec.field(dossier.editing)
            if field_spec is not None:
                return [self._ask_reply(turn.lang, spec, field_spec, dossier, prefix=prefix, editing=True)]
        step = wt.next_step(spec, dossier.answers)
        if isinstance(step, wt.Review):
            if dossier.status != REVIEW:
                dossier = self._save(replace(dossier, status=REVIEW))
            return self._review(turn, dossier, prefix=prefix)
        if dossier.status != IN_PROGRESS:
            dossier = self._save(replace(dossier, status=IN_PROGRESS))
        return [self._ask_reply(turn.lang, spec, step.field, dossier, prefix=prefix, step=step)]

    def _resume_prompt(self, turn: Turn) -> list[Reply]:
        dossier = self._active(turn.session)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return []
        return self._prompt(turn, dossier)

    def _ask_reply(
        self,
        lang: str,
        spec: DossierSpec,
        field_spec: FieldSpec,
        dossier: DossierRecord,
        *,
        prefix: str = "",
        step: wt.Ask | None = None,
        editing: bool = False,
    ) -> Reply:
        parts = [prefix] if prefix else []
        if editing:
            parts.append(t(lang, "editing_header"))
        elif step is not None:
            parts.append(t(lang, "step", number=step.number, total=step.total))
        parts.append(field_spec.question.get(lang, field_spec.question["fr"]))
        choices: tuple[Choice, ...] = ()
        if field_spec.type == "categories":
            parts.append("\n".join(wt.choice_label(c, lang) for c in field_spec.choices))
            parts.append(t(lang, "hint_categories"))
        elif field_spec.type == "choice":
            choices = tuple(
                Choice(wt.choice_label(c, lang), answer_value(field_spec.id, c.value))
                for c in field_spec.choices
            )
        elif field_spec.type == "yes_no":
            choices = (
                Choice(t(lang, "button_yes"), answer_value(field_spec.id, "yes")),
                Choice(t(lang, "button_no"), answer_value(field_spec.id, "no")),
            )
        elif field_spec.type == "date" and not re.search(r"[JD]{2}/MM", parts[-1]):
            parts.append(t(lang, "hint_date"))
        if editing and field_spec.id in dossier.answers:
            current = wt.display_value(
                field_spec, dossier.answers[field_spec.id], lang, skipped=t(lang, "skipped")
            )
            parts.append(t(lang, "current_answer", value=current))
        if not field_spec.required:
            parts.append(t(lang, "hint_optional"))
        return Reply("\n".join(p for p in parts if p), choices=choices)

    def _current_field(self, spec: DossierSpec, dossier: DossierRecord) -> FieldSpec | None:
        """Return the field the dossier is asking now (None at the review)."""
        if dossier.editing:
            return spec.field(dossier.editing)
        step = wt.next_step(spec, dossier.answers)
        return step.field if isinstance(step, wt.Ask) else None

    def _choice_command(self, turn: Turn, arg: str) -> list[Reply]:
        """Record a button (or its number) only for the question it was shown with."""
        lang = turn.lang
        field_id, _, value = arg.strip().partition(" ")
        dossier = self._active(turn.session)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return [
                Reply(
                    t(lang, "stale_choice_no_dossier"), choices=self._start_choices(lang), refused_choice=True
                )
            ]
        spec = self.specs[dossier.kind]
        current = self._current_field(spec, dossier)
        shown_with = spec.field(field_id)
        if current is None or shown_with is None or current.id != shown_with.id:
            question = self._field_label(shown_with, lang) if shown_with else field_id[:40]
            refused = Reply(t(lang, "stale_choice", question=question), refused_choice=True)
            return [refused, *self._prompt(turn, dossier)]
        reading = wt.read_answer(current, value)
        if isinstance(reading, wt.Rejected):
            return self._prompt(turn, dossier, prefix=t(lang, reading.reason, **dict(reading.params)))
        return self._accept(turn, dossier, spec, current, reading.value)

    def _field_label(self, field_spec: FieldSpec, lang: str) -> str:
        try:
            return t(lang, f"label_{field_spec.id}")
        except KeyError:
            return field_spec.question.get(lang, field_spec.question["fr"]).rstrip(" ?")

    def _review(self, turn: Turn, dossier: DossierRecord, prefix: str = "") -> list[Reply]:
        lang = turn.lang
        spec = self.specs[dossier.kind]
        lines = [prefix] if prefix else []
        lines.append(
            t(lang, "review_title", number=dossier.number, title=self._short_title(dossier.kind, lang))
        )
        lines += self._answer_lines(spec, dossier, lang, numbered=True)
        pending = [a for a in spec.applicable_advice(dossier.answers) if a.id not in dossier.advice_shown]
        if pending:
            lines.append("")
            lines.append(t(lang, "advice_title"))
            lines += [f"• {a.text.get(lang, a.text['fr'])}" for a in pending]
            self._save(replace(dossier, advice_shown=(*dossier.advice_shown, *(a.id for a in pending))))
        lines.append("")
        lines.append(t(lang, "review_actions"))
        # The answers are numbered above: the actions are words, so "1" can only mean answer 1.
        return [Reply("\n".join(lines), choices=self._review_choices(lang), numbered=False)]

    @staticmethod
    def _review_choices(lang: str) -> tuple[Choice, ...]:
        return (Choice(t(lang, "button_confirm"), "/confirm"), Choice(t(lang, "button_edit"), "/edit"))

    def _answer_lines(
        self, spec: DossierSpec, dossier: DossierRecord, lang: str, *, numbered: bool
    ) -> list[str]:
        lines = []
        for i, field_spec in enumerate(wt.answered_fields(spec, dossier.answers), start=1):
            value = wt.display_value(
                field_spec, dossier.answers[field_spec.id], lang, skipped=t(lang, "skipped")
            )
            head = f"{i}. " if numbered else "• "
            lines.append(f"{head}{self._field_label(field_spec, lang)} : {value}")
        return lines

    def _walk_command(self, turn: Turn, dossier: DossierRecord, name: str, arg: str) -> list[Reply]:
        spec = self.specs[dossier.kind]
        lang = turn.lang
        if name == "back":
            return self._back(turn, dossier)
        if name == "skip":
            return self._skip(turn, dossier)
        if name == "review":
            if dossier.status == REVIEW:
                return self._review(turn, dossier)
            lines = [t(lang, "answers_so_far", number=dossier.number)]
            lines += self._answer_lines(spec, dossier, lang, numbered=True) or [t(lang, "no_answers_yet")]
            return [Reply("\n".join(lines)), *self._prompt(turn, dossier)]
        if name == "confirm":
            if dossier.status != REVIEW or dossier.editing:
                return [Reply(t(lang, "confirm_too_early")), *self._prompt(turn, dossier)]
            return self._finish(turn, dossier, wt.fold(arg))
        return self._edit(turn, dossier, arg)

    def _reopen(self, turn: Turn, dossier: DossierRecord, name: str, arg: str) -> list[Reply]:
        """Reopen a finished dossier for correction; confirming it again issues the letter's next version."""
        version = letter_version(dossier) + 1
        dossier = self._save(replace(dossier, status=REVIEW, editing=None))
        notice = Reply(t(turn.lang, "dossier_reopened", number=dossier.number, version=version))
        if name == "edit":
            return [notice, *self._edit(turn, dossier, arg)]
        return [notice, *self._review(turn, dossier)]

    def _edit(self, turn: Turn, dossier: DossierRecord, arg: str) -> list[Reply]:
        lang = turn.lang
        spec = self.specs[dossier.kind]
        fields = wt.answered_fields(spec, dossier.answers)
        target: FieldSpec | None = None
        wanted = arg.strip()
        index = read_index(wanted, len(fields))
        if index is not None:
            target = fields[index - 1]
        elif wanted:
            target = next((f for f in fields if f.id == wanted), None)
        if target is None:
            if not fields:
                return [Reply(t(lang, "no_answers_yet")), *self._prompt(turn, dossier)]
            lines = [t(lang, "edit_pick")]
            lines += self._answer_lines(spec, dossier, lang, numbered=True)
            choices = tuple(
                Choice(f"{i}. {self._field_label(f, lang)}", f"/edit {f.id}")
                for i, f in enumerate(fields, start=1)
            )
            return [Reply("\n".join(lines), choices=choices)]
        dossier = self._save(replace(dossier, editing=target.id))
        return self._prompt(turn, dossier)

    def _back(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        spec = self.specs[dossier.kind]
        if dossier.editing:
            dossier = self._save(replace(dossier, editing=None))
            return self._prompt(turn, dossier, prefix=t(turn.lang, "edit_abandoned"))
        answers, history, reopened = wt.go_back(spec, dossier.answers, dossier.history)
        if reopened is None:
            return self._prompt(turn, dossier, prefix=t(turn.lang, "back_nothing"))
        dossier = self._save(replace(dossier, answers=answers, history=history, status=IN_PROGRESS))
        return self._prompt(turn, dossier)

    def _skip(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        lang = turn.lang
        spec = self.specs[dossier.kind]
        field_spec = spec.field(dossier.editing) if dossier.editing else None
        if field_spec is None:
            step = wt.next_step(spec, dossier.answers)
            if isinstance(step, wt.Review):
                return self._review(turn, dossier)
            field_spec = step.field
        if field_spec.required:
            return self._prompt(turn, dossier, prefix=t(lang, "skip_refused", article=field_spec.article))
        answers, history = wt.record(dossier.answers, dossier.history, field_spec.id, wt.SKIPPED)
        dossier = self._save(replace(dossier, answers=answers, history=history, editing=None))
        return self._prompt(turn, dossier, prefix=t(lang, "skipped_ok"))

    def _walk_input(self, turn: Turn, dossier: DossierRecord, text: str) -> list[Reply]:
        """Read a message sent while a dossier is open: an answer, a navigation word, or a question."""
        lang = turn.lang
        spec = self.specs[dossier.kind]
        folded = wt.fold(text)
        if folded in BACK_WORDS:
            return self._back(turn, dossier)
        if folded in SKIP_WORDS:
            return self._skip(turn, dossier)
        if folded in CANCEL_WORDS:
            return self._cancel(turn)
        if text.strip() in HELP_WORDS or folded in HELP_WORDS:
            return self._field_help(turn, dossier)
        if folded in FAREWELL_WORDS:
            return [Reply(t(lang, "farewell_dossier", number=dossier.number))]
        if folded in MENU_WORDS:
            return self._welcome(turn)
        at_review = dossier.status == REVIEW and not dossier.editing
        if (folded in THANKS or folded in ACK_WORDS) and not (at_review and folded in CONFIRM_WORDS):
            # Not an answer: a company is not called "ok", nor a nationality "merci".
            return self._prompt(turn, dossier, prefix=t(lang, "walk_ack"))
        if dossier.status == REVIEW and not dossier.editing:
            if folded in CONFIRM_WORDS:
                return self._finish(turn, dossier)
            edit = re.fullmatch(r"(?:modifier|edit|changer|change|corriger|correct)\s+(?:n\s*)?(\d+)", folded)
            if edit:
                return self._edit(turn, dossier, edit.group(1))
            if re.fullmatch(r"(?:n\s*)?\d{1,3}", folded):
                # A number at the review names an answer to correct, never an action.
                return self._edit(turn, dossier, folded.removeprefix("n").strip())
            if text and (looks_like_question(text) or self._nlu_says_question(text)):
                return [
                    *self._answer(turn, text),
                    *self._review(turn, dossier, prefix=t(lang, "back_to_review")),
                ]
            return self._review(turn, dossier, prefix=t(lang, "review_not_understood"))
        field_spec = spec.field(dossier.editing) if dossier.editing else None
        if field_spec is None:
            step = wt.next_step(spec, dossier.answers)
            if isinstance(step, wt.Review):
                return self._review(turn, dossier)
            field_spec = step.field
        if text and looks_like_question(text) and field_spec.type not in {"yes_no"}:
            return [
                *self._answer(turn, text),
                *self._prompt(turn, dossier, prefix=t(lang, "back_to_dossier")),
            ]
        reading = wt.read_answer(field_spec, text)
        if isinstance(reading, wt.Rejected):
            structured = field_spec.type in {"yes_no", "choice", "categories", "date", "number"}
            if text and structured and self._nlu_says_question(text):
                return [
                    *self._answer(turn, text),
                    *self._prompt(turn, dossier, prefix=t(lang, "back_to_dossier")),
                ]
            problem = t(lang, reading.reason, **dict(reading.params))
            return self._prompt(turn, dossier, prefix=problem)
        if (
            field_spec.id in spec.letter.french_fields
            and isinstance(reading.value, str)
            and wt.looks_english(reading.value)
        ):
            return self._ask_french(turn, dossier, field_spec, reading.value)
        return self._accept(turn, dossier, spec, field_spec, reading.value)

    def _ask_french(
        self, turn: Turn, dossier: DossierRecord, field_spec: FieldSpec, value: str
    ) -> list[Reply]:
        """Ask again in French an answer the (French) letter would quote in English, or keep it if confirmed."""
        lang = turn.lang
        shown = value if len(value) <= 60 else value[:57] + "…"
        replies = self._prompt(turn, dossier, prefix=t(lang, "english_answer", answer=shown))
        keep = Choice(t(lang, "button_keep_answer", answer=shown), answer_value(field_spec.id, value))
        last = replies[-1]
        return [*replies[:-1], replace(last, choices=(*last.choices, keep))]

    def _nlu_says_question(self, text: str) -> bool:
        """Tell a question typed without "?" from a wrong answer ("vendeur de glaces" is a bad category)."""
        words = len(wt.fold(text).split())
        if words < 3:
            return False
        understood = self.questions.understand(text)
        if understood is None:
            return False
        if understood.intent in {"article_lookup", "calculation"}:
            return True
        # Short phrases are far more often a wrong answer than a question.
        return understood.intent == "rule_question" and words >= 5

    def _accept(
        self, turn: Turn, dossier: DossierRecord, spec: DossierSpec, field_spec: FieldSpec, value: Any
    ) -> list[Reply]:
        lang = turn.lang
        answers, history = wt.record(dossier.answers, dossier.history, field_spec.id, value)
        advice = wt.new_advice(spec, answers, dossier.advice_shown)
        dossier = self._save(
            replace(
                dossier,
                answers=answers,
                history=history,
                editing=None,
                advice_shown=(*dossier.advice_shown, *(a.id for a in advice)),
            )
        )
        prefix = ""
        if advice:
            prefix = "\n".join(f"ℹ️ {a.text.get(lang, a.text['fr'])}" for a in advice) + "\n"
        notice = wt.date_notice(field_spec, value, self.clock().date())
        if notice is not None:
            prefix += f"ℹ️ {t(lang, notice.reason, **dict(notice.params))}\n"
        return self._prompt(turn, dossier, prefix=prefix)

    def _field_help(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        lang = turn.lang
        spec = self.specs[dossier.kind]
        if dossier.status == REVIEW and not dossier.editing:
            return self._review(turn, dossier, prefix=t(lang, "review_help"))
        field_spec = spec.field(dossier.editing) if dossier.editing else None
        if field_spec is None:
            step = wt.next_step(spec, dossier.answers)
            if isinstance(step, wt.Review):
                return self._review(turn, dossier)
            field_spec = step.field
        text = t(
            lang,
            "field_help",
            help=field_spec.help.get(lang, field_spec.help["fr"]),
            article=field_spec.article,
        )
        return self._prompt(turn, dossier, prefix=text + "\n" + t(lang, "walk_instructions") + "\n")

    def _finish(self, turn: Turn, dossier: DossierRecord, choice: str = "") -> list[Reply]:
        lang = turn.lang
        spec = self.specs[dossier.kind]
        pieces = checklist(spec, dossier.answers, self._reports(dossier), lang)
        missing = [p for p in pieces if p.status != PRESENT]
        listed = "\n".join(f"☐ {p.label} — art. {p.article}" for p in missing)
        if missing and choice == "wait":
            return [Reply(t(lang, "letter_refused_missing", pieces=listed))]
        if missing and choice != "anyway":
            # The letter lists only received pieces as attached: say so, and let the user choose.
            turn.session = replace(turn.session, awaiting="letter_missing")
            text = t(lang, "confirm_missing", missing=len(missing), total=len(pieces), pieces=listed)
            choices = (
                Choice(t(lang, "button_letter_anyway"), "/confirm anyway"),
                Choice(t(lang, "button_letter_wait"), "/confirm wait"),
            )
            return [Reply(text, choices=choices)]
        version = letter_version(dossier) + 1
        answers = {**dossier.answers, LETTER_VERSION: version}
        dossier = self._save(replace(dossier, status=COMPLETED, editing=None, answers=answers))
        if version == 1:  # a letter issued again after a correction is not another dossier completed
            self._emit(ev.DOSSIER_COMPLETED, turn, kind=dossier.kind, number=dossier.number)
        lines = [t(lang, "completed", number=dossier.number, title=spec.title.get(lang, spec.title["fr"]))]
        lines += self._answer_lines(spec, dossier, lang, numbered=False)
        advice = spec.applicable_advice(dossier.answers)
        if advice:
            lines.append("")
            lines.append(t(lang, "advice_title"))
            lines += [f"• {a.text.get(lang, a.text['fr'])}" for a in advice]
        letter = self._letter_reply(dossier, lang)
        listing = Reply(
            t(lang, "checklist_caption"),
            file=OutgoingFile(
                checklist_filename(dossier.number),
                "application/pdf",
                checklist_pdf(
                    spec,
                    dossier.number,
                    [ChecklistLine(p.label, p.article, p.status, p.file, p.warnings) for p in pieces],
                    lang,
                ),
            ),
        )
        closing = (
            self._checklist_text(pieces, lang)
            + "\n\n"
            + t(lang, "completed_next", copies=self._copies_text(spec, lang))
        )
        return [Reply("\n".join(lines)), letter, listing, Reply(closing)]

    def _copies_text(self, spec: DossierSpec, lang: str) -> str:
        rule = spec.letter
        if rule.copies < 2:
            return t(lang, "copies_one")
        return t(lang, "copies_many", count=rule.copies, articles=", ".join(rule.copies_articles))

    def _letter_reply(self, dossier: DossierRecord, lang: str) -> Reply:
        spec = self.specs[dossier.kind]
        version = max(letter_version(dossier), 1)
        # The letter is French: its piece labels too; only pieces received and checked are "jointes".
        pieces = checklist(spec, dossier.answers, self._reports(dossier), "fr")
        listed = [LetterPiece(p.label, p.article, p.status == PRESENT) for p in pieces]
        data = request_letter(spec, dossier.answers, listed, version=version)
        return Reply(
            t(lang, "letter_caption", copies=self._copies_text(spec, lang)),
            file=OutgoingFile(letter_filename(spec, dossier.number, version), "application/pdf", data),
        )

    def _letter_command(self, turn: Turn) -> list[Reply]:
        lang = turn.lang
        dossier = self._active(turn.session)
        if dossier is None or dossier.status != COMPLETED:
            return [Reply(t(lang, "letter_not_ready")), *self._resume_prompt(turn)]
        reply = self._letter_reply(dossier, lang)
        spec = self.specs[dossier.kind]
        version = max(letter_version(dossier), 1)
        caption = t(lang, "letter_caption_user", version=version, copies=self._copies_text(spec, lang))
        return [replace(reply, text=caption)]

    # ------------------------------------------------------------------------------------------------------
    # Uploads

    def _upload(self, turn: Turn, attachment: Attachment) -> list[Reply]:
        lang = turn.lang
        name = clean_text(attachment.name)[:200] or "document"
        if attachment.size == 0:
            return [Reply(t(lang, "upload_empty", name=name)), *self._resume_prompt(turn)]
        if attachment.size > self.documents.max_bytes:
            size = round(attachment.size / 1024 / 1024, 1)
            maximum = self.documents.max_bytes // 1024 // 1024
            reply = Reply(t(lang, "upload_too_big", name=name, size=size, maximum=maximum))
            return [reply, *self._resume_prompt(turn)]
        dossier = self._active(turn.session)
        if dossier is None:
            refused = self._storage_refusal(turn, attachment.size)
            if refused is not None:
                return [Reply(t(lang, refused, name=name, **self._quota_params(refused)))]
            # Kept only until the user says which dossier it is for; checked and deleted then.
            self.store.add_file(
                turn.session.key, None, name, attachment.mime or "application/octet-stream", attachment.data
            )
            return [Reply(t(lang, "upload_which_dossier", name=name), choices=self._start_choices(lang))]
        upload = (name, attachment.mime, attachment.data)
        run = self.photo_runs.extend(turn.session.key, [upload], attachment.group, self.clock())
        replies = self._check_files(turn, dossier, run, new=[upload])
        if dossier.status == REVIEW and not dossier.editing:
            # At the review, a reminder of what to do next, not the whole review again after each upload.
            reminder = Reply(
                t(turn.lang, "review_reminder", number=dossier.number),
                choices=self._review_choices(turn.lang),
                numbered=False,
            )
            return [*replies, reminder]
        return replies + self._resume_prompt(turn)

    def _check_files(
        self,
        turn: Turn,
        dossier: DossierRecord,
        files: Sequence[tuple[str, str, bytes]],
        new: Sequence[tuple[str, str, bytes]] | None = None,
    ) -> list[Reply]:
        """Check files together (``new``: the ones just received, when earlier photos come again)."""
        lang = turn.lang
        if self.check_queue is not None:
            self.check_queue.submit(turn.session.key, dossier.id, files)
            return [Reply(t(lang, "upload_queued", name=", ".join(n for n, _, _ in files)))]
        spec = self.specs[dossier.kind]
        owner = owner_of(turn.session.key)
        admission = self.quotas.admit(owner, len(files))
        refused = [
            t(lang, admission.refused, name=name, **self._quota_params(admission.refused))
            for name, _, _ in files[admission.files :]
            if admission.refused is not None
        ]
        files = files[: admission.files]
        if not files:
            return [Reply("\n".join(refused))]
        # Saved before the check: if the process dies during it, the next message says so.
        self.store.save_session(replace(turn.session, checking=tuple(n for n, _, _ in files)))
        self._checking.add(owner)
        try:
            outcome = self.documents.check(
                dossier.kind, dossier.answers, [(n, d) for n, _, d in files], lang, owner
            )
        except BaseException:
            self.quotas.settle(admission, 0, 0.0)
            raise
        finally:
            self._checking.discard(owner)
        self.quotas.settle(admission, outcome.pages, outcome.seconds)
        self.store.add_check(dossier.id, [n for n, _, _ in files], outcome.report)
        statuses = {p["id"]: p["status"] for p in outcome.report.get("pieces", []) if isinstance(p, Mapping)}
        self._emit(ev.CHECK, turn, kind=dossier.kind, files=len(files), pieces=statuses)
        kept_all = turn.session.keep_files
        if turn.session.keep_files:
            for name, mime, data in files if new is None else new:
                not_kept = self._storage_refusal(turn, len(data), pending=False)
                if not_kept is not None:
                    refused.append(t(lang, not_kept, name=name, **self._quota_params(not_kept)))
                    kept_all = False
                    continue
                self.store.add_file(
                    turn.session.key, dossier.id, name, mime or "application/octet-stream", data
                )
        pieces = checklist(spec, dossier.answers, self._reports(dossier), lang)
        kept = t(lang, "upload_kept" if kept_all else "upload_deleted")
        summary = "\n".join([*upload_summary(outcome.report, lang), *refused])
        return [Reply(summary), Reply(self._checklist_text(pieces, lang) + "\n\n" + kept)]

    def _storage_refusal(self, turn: Turn, size: int, *, pending: bool = True) -> str | None:
        """Say why one more file may not be stored for this user (a message id), or None."""
        key = turn.session.key
        waiting = self.store.stored_files(key) if pending else 0
        return self.quotas.store_refusal(self.store.stored_bytes(key.transport, key.user), size, waiting)

    def _quota_params(self, refused: str | None) -> dict[str, object]:
        limits = self.settings.limits
        values: dict[str, object] = {
            "quota_files": limits.files_per_message,
            "quota_storage": limits.stored_mb_per_user,
            "quota_pages": limits.pages_per_minute,
            "quota_seconds": limits.check_seconds_per_minute,
        }
        return {"limit": values[refused]} if refused in values else {}

    def _check_pending_files(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        pending = self.store.files(turn.session.key, None)
        if not pending:
            return []
        if self.check_queue is not None:
            self.check_queue.submit_waiting(turn.session.key, dossier.id, [f.id for f in pending])
            return [Reply(t(turn.lang, "upload_queued", name=", ".join(f.name for f in pending)))]
        # Deleted before the check (their bytes are in hand): a crash during it is told on the next message,
        # with the files to send again, never left waiting unsaid.
        self.store.delete_files([f.id for f in pending])
        return self._check_files(turn, dossier, [(f.name, f.mime, f.data) for f in pending])

    def run_queued_check(
        self, key: SessionKey, dossier_id: int, files: Sequence[StoredFile]
    ) -> QueuedCheckResult | None:
        """Check files a bot process queued (on a worker): the report and the replies, not yet stored."""
        from bot.checkqueue import QueuedCheckResult

        dossier = self.store.dossier(key, dossier_id)
        if dossier is None:
            return None
        turn = Turn(self.store.load_session(key, self.default_lang), None)
        lang = turn.lang
        outcome = self.documents.check(
            dossier.kind, dossier.answers, [(f.name, f.data) for f in files], lang, owner_of(key)
        )
        statuses = {p["id"]: p["status"] for p in outcome.report.get("pieces", []) if isinstance(p, Mapping)}
        self._emit(ev.CHECK, turn, kind=dossier.kind, files=len(files), pieces=statuses)
        reports = [*self._reports(dossier), outcome.report]
        pieces = checklist(self.specs[dossier.kind], dossier.answers, reports, lang)
        keep = turn.session.keep_files
        kept = t(lang, "upload_kept" if keep else "upload_deleted")
        summary = "\n".join(upload_summary(outcome.report, lang))
        return QueuedCheckResult(
            file_names=tuple(f.name for f in files),
            report=dict(outcome.report),
            replies=(Reply(summary), Reply(self._checklist_text(pieces, lang) + "\n\n" + kept)),
            keep_files=keep,
        )

    def _correct(self, turn: Turn, text: str, incoming: Incoming) -> list[Reply] | None:
        """Read an edit of the user's last message as a correction of the answer it gave; None if it gave none."""
        dossier = self._active(turn.session)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW) or not dossier.history:
            return None
        spec = self.specs[dossier.kind]
        field_spec = spec.field(dossier.history[-1])
        if field_spec is None:
            return None
        before = wt.read_answer(field_spec, clean_text(incoming.correction_of or ""))
        if not isinstance(before, wt.Accepted) or before.value != dossier.answers.get(field_spec.id):
            return None  # the edited message was not the last answer (a question, a command): read it anew
        reading = wt.read_answer(field_spec, text)
        if isinstance(reading, wt.Rejected):
            problem = t(turn.lang, reading.reason, **dict(reading.params))
            return self._prompt(turn, dossier, prefix=problem)
        answers, history = wt.record(dossier.answers, dossier.history, field_spec.id, reading.value)
        dossier = self._save(replace(dossier, answers=answers, history=history))
        shown = wt.display_value(field_spec, reading.value, turn.lang)
        label = self._field_label(field_spec, turn.lang)
        return self._prompt(turn, dossier, prefix=t(turn.lang, "corrected", field=label, value=shown))
