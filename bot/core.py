"""The conversation core: one ``Incoming`` in, a list of ``Reply`` out. No transport knows more.

``Core`` is the entry and the routing: input hygiene, plug-ins (commands, filters, purgers, help sections),
commands and free text sent where they belong, questions handed to the NLU, and human handoff. The dossier
flow (``bot.dossiers``, ``bot.dossier_walk``), uploads (``bot.uploads``) and privacy (``bot.privacy``) are its
collaborators; replies are drawn by ``bot.render``. ``bot.app.build_core`` assembles it from settings.
Replies are plain text (adapters escape and format them), with ``choices`` that adapters render as buttons or
as a numbered list.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
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
    active_dossier,
)
from bot.documents import Documents, PhotoRuns
from bot.dossier_walk import Walk
from bot.dossiers import Dossiers
from bot.faults import log_failure
from bot.handoff import HandoffRequest, HumanDesk, StoreDesk
from bot.hygiene import MAX_TEXT, clean_text, unreadable
from bot.i18n import LANGUAGES, normalise_lang, t
from bot.long_message import question_in
from bot.messages import Choice, Incoming, Reply, SessionKey
from bot.privacy import Privacy
from bot.questions import Questions, Understood
from bot.quotas import owner_of
from bot.render import short_title, start_choices
from bot.settings import Settings
from bot.store import COMPLETED, IN_PROGRESS, REVIEW, SessionState, Store, is_storage_error
from bot.uploads import Uploads
from bot.words import (
    ACK_WORDS,
    CANCEL_WORDS,
    CONFIRM_WORDS,
    FAREWELL_WORDS,
    FEEDBACK_EMOJI,
    GREETINGS,
    HELP_WORDS,
    MENU_WORDS,
    QUIT_WORDS,
    THANKS,
    WAIT_WORDS,
    YES_FORGET,
    dossier_words,
)
from dossier_checker.model import Limits
from dossier_checker.spec import DossierSpec, load_specs
from nlu.numbers import read_index

if TYPE_CHECKING:
    from bot.checkqueue import CheckQueue, QueuedCheckResult
    from bot.store import DossierRecord, StoredFile

log = logging.getLogger(__name__)

# A reply to a clarifying question is a choice or a few words ("dépositaire", "6 ans"); longer is a new question.
CLARIFY_REPLY_WORDS = 6


class Core:
    """The assistant's entry and routing: each message to the dossier flow, uploads, privacy or the NLU."""

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
        self.dossier_words = dossier_words(self.specs)
        self.questions = questions or Questions()
        self.documents = documents or Documents(
            Limits(
                file_seconds=settings.limits.file_seconds,
                reserve_seconds=settings.limits.file_reserve_seconds,
            ),
            settings.limits.check_workers,
        )
        self.photo_runs = PhotoRuns()  # photos sent in a row, checked together as one document
        self.desk: HumanDesk = desk or StoreDesk(store)
        self.events: ev.EventSink = events or ev.NullSink()
        self._extra_commands: dict[str, tuple[str, CommandHandler]] = {}
        self._filters: list[MessageFilter] = []
        self.default_lang = settings.default_language if settings.default_language in LANGUAGES else "fr"
        # Naive UTC now: the store's clock unless told otherwise (tests move it to check the retention).
        self.clock: Callable[[], datetime] = clock or store.clock
        # Offer 👍/👎 under answers (only when something records the "/feedback" command).
        self.feedback = feedback
        self._closers: list[Callable[[], None]] = []
        self._help_sections: list[Callable[[SessionKey, str], str | None]] = []
        self.privacy = Privacy(settings, store, self.documents, self.photo_runs, self.clock, self.emit)
        self.walk = Walk(
            store,
            self.specs,
            self.questions,
            self.clock,
            self.emit,
            answer=self.answer,
            welcome=self.welcome,
            cancel=lambda turn: self.dossiers.cancel(turn),
        )
        self.uploads = Uploads(
            settings,
            store,
            self.specs,
            self.documents,
            self.photo_runs,
            self.clock,
            self.emit,
            self.walk,
            self.default_lang,
        )
        self.quotas = self.uploads.quotas
        self.dossiers = Dossiers(store, self.specs, self.emit, self.walk, self.uploads, self.default_lang)

    @property
    def check_queue(self) -> CheckQueue | None:
        """Return the task queue uploads go to (set on PostgreSQL deployments), or None: checked here."""
        return self.uploads.check_queue

    @check_queue.setter
    def check_queue(self, queue: CheckQueue | None) -> None:
        self.uploads.check_queue = queue

    def run_queued_check(
        self, key: SessionKey, dossier_id: int, files: Sequence[StoredFile]
    ) -> QueuedCheckResult | None:
        """Check files a bot process queued (on a worker): the report and the replies, not yet stored."""
        return self.uploads.run_queued_check(key, dossier_id, files)

    def add_command(self, name: str, handler: CommandHandler, aliases: Iterable[str] = ()) -> None:
        """Add a command (``/name`` or ``!name``, and its aliases) answered by ``handler``."""
        for spelling in (name, *aliases):
            self._extra_commands[wt.fold(spelling).replace(" ", "")] = (name, handler)

    def add_filter(self, message_filter: MessageFilter) -> None:
        """Let ``message_filter`` see each addressed message first, in the order filters were added."""
        self._filters.append(message_filter)

    def add_purger(self, purger: Purger) -> None:
        """Apply the retention period to more data: ``purger(before)`` runs with the store's purge."""
        self.privacy.purgers.append(purger)

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

    def emit(self, event_kind: str, turn: Turn, **data: Any) -> None:
        """Record an event of the turn; a failing sink is logged, never raised."""
        try:
            self.events.record(ev.Event(event_kind, turn.session.key, turn.lang, data))
        except Exception:
            log_failure(log, "an event sink failed on %s", event_kind)

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
        self.privacy.purge_if_due()
        turn = Turn(self.store.load_session(incoming.key, self.default_lang), incoming.display_name)
        if turn.session.checking and owner_of(incoming.key) not in self.uploads.checking:
            # The process that was checking these files died: they were lost with it.
            names = ", ".join(t(turn.lang, "quoted", text=n) for n in turn.session.checking)
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
        if len(text) > MAX_TEXT and incoming.attachment is None and not unreadable(raw, text):
            # Too long to read whole: read the question it asks, and say which part was read.
            length, text = len(text), question_in(text, MAX_TEXT)
            raw = text
            turn.extra.append(Reply(t(turn.lang, "long_message_read", length=length, excerpt=text[:300])))
        text, replies = self._route(turn, incoming, raw, text)
        replies = [*turn.extra, *replies]
        if not turn.forgotten:
            self._save_turn(turn, text, replies)
        return replies or [Reply(t(turn.lang, "fallback"))]

    def _route(self, turn: Turn, incoming: Incoming, raw: str, text: str) -> tuple[str, list[Reply]]:
        """Send a message where it belongs (upload, failed upload, correction, text); return the text read."""
        if incoming.attachment is not None:
            return text, self.uploads.upload(turn, incoming.attachment)
        if incoming.attachment_error:
            replies = [Reply(t(turn.lang, "upload_failed", reason=clean_text(incoming.attachment_error)))]
            return text, replies + self.walk.resume_prompt(turn)
        if unreadable(raw, text):
            return text, [Reply(t(turn.lang, "unreadable_message")), *self.walk.resume_prompt(turn)]
        if incoming.correction_of is not None and (corrected := self.walk.correct(turn, text, incoming)):
            return text, corrected
        text = self._resolve_choice(turn.session, text)
        turn.session = replace(turn.session, offered=())
        return text, self._text(turn, text)

    def _save_turn(self, turn: Turn, text: str, replies: list[Reply]) -> None:
        """Save the session with the message said and the choices the last reply offers."""
        last_choices = replies[-1].choices if replies else ()
        numbered = replies[-1].numbered if replies else True
        session = turn.session.remember(text if len(text) <= MAX_TEXT and turn.remember else "")
        session = replace(
            session, offered=tuple((c.label, c.value) for c in last_choices), offered_numbered=numbered
        )
        self.store.save_session(session)

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

    def _text(self, turn: Turn, text: str) -> list[Reply]:
        dossier = active_dossier(self.store, self.specs, turn.session)
        walking = dossier if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW) else None
        if not text:
            if walking is not None:
                return self.walk.walk_input(turn, walking, "")
            return [Reply(t(turn.lang, "empty_message"), choices=start_choices(self.specs, turn.lang))]
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
        awaited = self._awaited(turn, dossier, wt.fold(text))
        if awaited is not None:
            return awaited
        if walking is not None:
            return self.walk.walk_input(turn, walking, text)
        return self._free_text(turn, text)

    def _awaited(self, turn: Turn, dossier: DossierRecord | None, folded: str) -> list[Reply] | None:
        """Read the reply to the question asked last (cancel, letter, forget); None when it is not one."""
        awaiting = turn.session.awaiting
        if awaiting not in ("cancel", "letter_missing", "forget"):
            return None
        turn.session = replace(turn.session, awaiting=None)
        if awaiting == "forget":
            return (
                self.privacy.forget(turn)
                if folded in YES_FORGET
                else [Reply(t(turn.lang, "forget_cancelled"))]
            )
        if awaiting == "cancel":
            if folded in wt.YES_WORDS or folded in YES_FORGET:
                return self.dossiers.cancel(turn, "yes")
            if folded in wt.NO_WORDS and dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
                return self.walk.prompt(turn, dossier, prefix=t(turn.lang, "cancel_kept"))
            return None
        if dossier is None or dossier.status != REVIEW or dossier.editing:
            return None
        if folded in CONFIRM_WORDS or folded in wt.YES_WORDS:
            return self.walk.finish(turn, dossier, "anyway")
        if folded in wt.NO_WORDS or folded in WAIT_WORDS:
            return self.walk.finish(turn, dossier, "wait")
        return None

    def _free_text(self, turn: Turn, text: str) -> list[Reply]:
        pending = turn.session.pending_question
        if pending is not None:
            turn.session = replace(turn.session, pending_question=None, pending_slot=None)
            if len(wt.fold(text).split()) <= CLARIFY_REPLY_WORDS:
                # The reply to a clarifying question completes it: "Combien d'assistants pour 80 personnes ?"
                # + "catégorie 5" is the question the user meant.
                meant = re.sub(r"[\s?]+$", "", pending) + f", {text} ?"
                return self.answer(turn, meant, clarified=True)
        # A follow-up ("et pour un dépositaire ?", "and for a transfer?") is the previous question, changed.
        meant = self.questions.follow_up(turn.session.last_question, text)
        if meant != text:
            return self.answer(turn, meant, feedback=True)
        said = self._small_talk(turn, wt.fold(text))
        if said is not None:
            return said
        # Read once, with the session's language as a hint: the answer below reuses this reading.
        understood = self.questions.understand(text, turn.lang)
        if understood is not None:
            self._adopt_language(turn, text, understood.lang)
            routed = self._by_intent(turn, text, understood)
            if routed is not None:
                return routed
        kinds = [k for k in self._kinds_in(understood.entities, "") if k in self.specs] if understood else []
        offer_dossier = bool(kinds) and active_dossier(self.store, self.specs, turn.session) is None
        # One set of buttons per answer: the dossier offer, else 👍/👎 (numbers typed back stay unambiguous).
        reading = understood if understood is not None and understood.hint == turn.lang else None
        replies = self.answer(turn, text, feedback=not offer_dossier, understood=reading)
        if offer_dossier and replies:
            # A question about a procedure: offer to prepare that dossier right away.
            offer = Choice(
                t(turn.lang, "button_prepare", title=short_title(self.specs, kinds[0], turn.lang)),
                f"/dossier {kinds[0]}",
            )
            replies[-1] = replace(replies[-1], choices=(*replies[-1].choices, offer))
        return replies

    def _small_talk(self, turn: Turn, folded: str) -> list[Reply] | None:
        """Answer a greeting, thanks, help, goodbye, menu or cancel word, or a dossier's name; None otherwise."""
        if folded in GREETINGS or folded.rstrip("!. ") in GREETINGS:
            if not turn.session.lang_explicit:
                turn.session = replace(turn.session, lang=GREETINGS.get(folded, turn.lang))
            return self.welcome(turn)
        words: tuple[tuple[Collection[str], Callable[[Turn], list[Reply]]], ...] = (
            (THANKS, lambda turn: [Reply(t(turn.lang, "thanks"))]),
            (HELP_WORDS, self._help),
            (FAREWELL_WORDS | QUIT_WORDS, lambda turn: [Reply(t(turn.lang, "farewell"))]),
            (MENU_WORDS, self.welcome),
            (ACK_WORDS, lambda turn: [Reply(t(turn.lang, "thanks"))]),
            # Nothing in progress: said so, never read as a question on the decree.
            (CANCEL_WORDS, lambda turn: self.dossiers.cancel(turn)),
        )
        for said, reply in words:
            if folded in said:
                return reply(turn)
        kind = self.dossier_words.get(folded)
        if kind is not None and kind in self.specs:
            return self.dossiers.start_dossier(turn, kind)
        return None

    def _by_intent(self, turn: Turn, text: str, understood: Understood) -> list[Reply] | None:
        """Answer what the NLU read as a greeting, help, a human, a dossier or a check; None for a question."""
        intents: dict[str, Callable[[], list[Reply]]] = {
            "greeting": lambda: self.welcome(turn),
            "help": lambda: self._help(turn),
            "human": lambda: self._human(turn, reason="intent", said=text),
            "dossier": lambda: self._dossier_asked(turn, text, understood),
            "check_documents": lambda: self.dossiers.check(turn, ""),
        }
        chosen = intents.get(understood.intent)
        return chosen() if chosen is not None else None

    def _dossier_asked(self, turn: Turn, text: str, understood: Understood) -> list[Reply]:
        kinds = [k for k in self._kinds_in(understood.entities, text) if k in self.specs]
        return self.dossiers.start_dossier(turn, kinds[0]) if kinds else self.dossiers.dossier_menu(turn)

    def _kinds_in(self, entities: Mapping[str, Any], text: str) -> list[str]:
        found = []
        for key in ("dossier", "dossier_type", "dossier_kind"):
            values = entities.get(key)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str):
                    kind = self.dossier_words.get(wt.fold(value), value)
                    found.append(kind)
        folded = wt.fold(text)
        for words, kind in sorted(self.dossier_words.items(), key=lambda item: -len(item[0])):
            if re.search(rf"\b{re.escape(words)}\b", folded) and kind not in found:
                found.append(kind)
        return found

    def _adopt_language(self, turn: Turn, text: str, lang: str | None) -> None:
        """Follow the language the user writes in, unless they chose one with /lang."""
        if turn.session.lang_explicit or lang not in LANGUAGES or lang == turn.lang:
            return
        if len(wt.fold(text).split()) >= 3:
            turn.session = replace(turn.session, lang=lang)

    def answer(
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
            return [
                Reply(t(turn.lang, "questions_unavailable"), choices=start_choices(self.specs, turn.lang))
            ]
        # The session language is a hint: the answerer follows a question clearly written in another one.
        answered = self.questions.answer(text, turn.lang, understood)
        if answered is None:
            return [Reply(t(turn.lang, "questions_unavailable"))]
        turn.session = replace(turn.session, last_question=text[:MAX_TEXT])
        dossier = active_dossier(self.store, self.specs, turn.session)
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
        self.emit(
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

    def _command(self, turn: Turn, name: str, arg: str) -> list[Reply]:
        handler = self._commands().get(name)
        if handler is None:
            return [Reply(t(turn.lang, "unknown_command", command=name))]
        return handler(turn, arg)

    def _commands(self) -> dict[str, Callable[[Turn, str], list[Reply]]]:
        """The built-in commands: name -> handler of (turn, argument)."""
        return {
            "start": lambda turn, _: self.welcome(turn),
            "help": lambda turn, _: self._help(turn),
            "dossier": self.dossiers.dossier_command,
            "dossiers": lambda turn, _: self.dossiers.list_dossiers(turn),
            "status": lambda turn, _: self.dossiers.status(turn),
            "check": self.dossiers.check,
            "cancel": lambda turn, arg: self.dossiers.cancel(turn, wt.fold(arg)),
            "lang": self._lang,
            "article": self._article,
            "human": self._human_command,
            "privacy": lambda turn, _: [Reply(self.privacy.privacy_text(turn))],
            "forget": self.privacy.forget_command,
            "keep": self.privacy.keep,
            "upload": lambda turn, _: [Reply(t(turn.lang, "upload_how"))],
            "letter": lambda turn, _: self.walk.letter_command(turn),
            "answer": self.walk.choice_command,
            **{
                step: partial(self._walk_step, step) for step in ("back", "skip", "edit", "review", "confirm")
            },
        }

    def _human_command(self, turn: Turn, arg: str) -> list[Reply]:
        if wt.fold(arg) == "unanswered":
            return self._human(turn, reason="unanswered")
        return self._human(turn, reason="command", note=arg[:2000] or None)

    def _walk_step(self, name: str, turn: Turn, arg: str) -> list[Reply]:
        """Move in the dossier in progress (back, skip, edit, review, confirm); reopen a completed one."""
        lang = turn.lang
        dossier = active_dossier(self.store, self.specs, turn.session)
        if dossier is not None and dossier.status == COMPLETED and name in {"edit", "review"}:
            return self.walk.reopen(turn, dossier, name, arg)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return [Reply(t(lang, "no_dossier_in_progress"), choices=start_choices(self.specs, lang))]
        return self.walk.walk_command(turn, dossier, name, arg)

    def welcome(self, turn: Turn) -> list[Reply]:
        """Greet the user, offering the dossier in progress first."""
        lang = turn.lang
        text = t(lang, "welcome")
        dossier = active_dossier(self.store, self.specs, turn.session)
        choices = start_choices(self.specs, lang)
        if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
            title = short_title(self.specs, dossier.kind, lang)
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
        return [Reply(t(chosen, "lang_set")), *self.walk.resume_prompt(turn)]

    def _article(self, turn: Turn, arg: str) -> list[Reply]:
        if not arg.strip():
            return [Reply(t(turn.lang, "article_ask"))]
        try:
            from knowledge.render import render_article_lookup
        except ImportError:
            return [Reply(t(turn.lang, "articles_unavailable"))]
        return [Reply(render_article_lookup(arg.strip()[:80], turn.lang))]

    def _human(self, turn: Turn, *, reason: str, note: str | None = None, said: str = "") -> list[Reply]:
        """Hand the conversation to a person; ``said``: the message that asked for one, in words."""
        dossier = active_dossier(self.store, self.specs, turn.session)
        recent = turn.session.remember(said).recent if said else turn.session.recent
        ticket = self.desk.open_ticket(
            HandoffRequest(
                key=turn.session.key,
                lang=turn.lang,
                reason=reason,
                recent=recent,
                display_name=turn.display_name,
                dossier=self.dossiers.dossier_context(dossier) if dossier is not None else None,
                note=note,
            )
        )
        self.emit(ev.HANDOFF, turn, ticket=ticket.number, reason=reason)
        text = ticket.user_message or t(turn.lang, "human_requested", number=ticket.number)
        return [*ticket.relays, Reply(text)]
