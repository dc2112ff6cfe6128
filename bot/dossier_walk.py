"""The dossier walkthrough in chat: ask, read answers, navigate, review, correct, and issue the letter."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot import events as ev
from bot import walkthrough as wt
from bot.conversation import Emit, Turn, active_dossier, stored_reports
from bot.documents import PRESENT, checklist, dossier_notes
from bot.hygiene import clean_text
from bot.i18n import t
from bot.letter import (
    ChecklistLine,
    LetterPiece,
    checklist_filename,
    checklist_pdf,
    letter_filename,
    request_letter,
)
from bot.messages import Choice, Incoming, OutgoingFile, Reply
from bot.questions import Questions
from bot.render import (
    answer_lines,
    answer_value,
    ask_reply,
    checklist_text,
    copies_text,
    field_label,
    review_choices,
    short_title,
    start_choices,
)
from bot.store import COMPLETED, IN_PROGRESS, REVIEW, DossierRecord, Store
from bot.words import (
    ACK_WORDS,
    BACK_WORDS,
    CANCEL_WORDS,
    CONFIRM_WORDS,
    FAREWELL_WORDS,
    HELP_WORDS,
    MENU_WORDS,
    SKIP_WORDS,
    THANKS,
    looks_like_question,
)
from dossier_checker.spec import DossierSpec, FieldSpec
from nlu.numbers import read_index

# What the walk hands back to the conversation: a question to answer, the welcome, abandoning the dossier.
Answerer = Callable[[Turn, str], list[Reply]]
TurnReplies = Callable[[Turn], list[Reply]]

# Where a dossier keeps how many versions of its letter were issued (not a field: never asked nor shown).
LETTER_VERSION = "_letter_version"


def letter_version(dossier: DossierRecord) -> int:
    """Return the version of the dossier's last letter (0: none issued yet)."""
    value = dossier.answers.get(LETTER_VERSION)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class Walk:
    """One open dossier, field by field: what to ask next, what an answer means, and the end of the walk."""

    def __init__(
        self,
        store: Store,
        specs: Mapping[str, DossierSpec],
        questions: Questions,
        clock: Callable[[], datetime],
        emit: Emit,
        *,
        answer: Answerer,
        welcome: TurnReplies,
        cancel: TurnReplies,
    ) -> None:
        self.store = store
        self.specs = specs
        self.questions = questions
        self.clock = clock
        self.emit = emit
        self.answer = answer
        self.welcome = welcome
        self.cancel = cancel

    def _save(self, dossier: DossierRecord) -> DossierRecord:
        return self.store.save_dossier(dossier)

    def prompt(self, turn: Turn, dossier: DossierRecord, prefix: str = "") -> list[Reply]:
        """Ask whatever the dossier needs next: the field being edited, the next field, or the review."""
        spec = self.specs[dossier.kind]
        if dossier.editing:
            field_spec = spec.field(dossier.editing)
            if field_spec is not None:
                return [ask_reply(turn.lang, spec, field_spec, dossier, prefix=prefix, editing=True)]
        step = wt.next_step(spec, dossier.answers)
        if isinstance(step, wt.Review):
            if dossier.status != REVIEW:
                dossier = self._save(replace(dossier, status=REVIEW))
            return self._review(turn, dossier, prefix=prefix)
        if dossier.status != IN_PROGRESS:
            dossier = self._save(replace(dossier, status=IN_PROGRESS))
        return [ask_reply(turn.lang, spec, step.field, dossier, prefix=prefix, step=step)]

    def resume_prompt(self, turn: Turn) -> list[Reply]:
        """Ask the open dossier's next question again (nothing when no dossier is being filled)."""
        dossier = active_dossier(self.store, self.specs, turn.session)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return []
        return self.prompt(turn, dossier)

    def _current_field(self, spec: DossierSpec, dossier: DossierRecord) -> FieldSpec | None:
        """Return the field the dossier is asking now (None at the review)."""
        if dossier.editing:
            return spec.field(dossier.editing)
        step = wt.next_step(spec, dossier.answers)
        return step.field if isinstance(step, wt.Ask) else None

    def choice_command(self, turn: Turn, arg: str) -> list[Reply]:
        """Record a button (or its number) only for the question it was shown with."""
        lang = turn.lang
        field_id, _, value = arg.strip().partition(" ")
        dossier = active_dossier(self.store, self.specs, turn.session)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return [
                Reply(
                    t(lang, "stale_choice_no_dossier"),
                    choices=start_choices(self.specs, lang),
                    refused_choice=True,
                )
            ]
        spec = self.specs[dossier.kind]
        current = self._current_field(spec, dossier)
        shown_with = spec.field(field_id)
        if current is None or shown_with is None or current.id != shown_with.id:
            question = field_label(shown_with, lang) if shown_with else field_id[:40]
            refused = Reply(t(lang, "stale_choice", question=question), refused_choice=True)
            return [refused, *self.prompt(turn, dossier)]
        reading = wt.read_answer(current, value)
        if isinstance(reading, wt.Rejected):
            return self.prompt(turn, dossier, prefix=t(lang, reading.reason, **dict(reading.params)))
        return self._accept(turn, dossier, spec, current, reading.value)

    def _review(self, turn: Turn, dossier: DossierRecord, prefix: str = "") -> list[Reply]:
        lang = turn.lang
        spec = self.specs[dossier.kind]
        lines = [prefix] if prefix else []
        lines.append(
            t(lang, "review_title", number=dossier.number, title=short_title(self.specs, dossier.kind, lang))
        )
        lines += answer_lines(spec, dossier, lang, numbered=True)
        lines += [f"⚠ {n}" for n in dossier_notes(spec, dossier.answers, lang, self.clock().date())]
        pending = [a for a in spec.applicable_advice(dossier.answers) if a.id not in dossier.advice_shown]
        if pending:
            lines.append("")
            lines.append(t(lang, "advice_title"))
            lines += [f"• {a.text.get(lang, a.text['fr'])}" for a in pending]
            self._save(replace(dossier, advice_shown=(*dossier.advice_shown, *(a.id for a in pending))))
        lines.append("")
        lines.append(t(lang, "review_actions"))
        # The answers are numbered above: the actions are words, so "1" can only mean answer 1.
        return [Reply("\n".join(lines), choices=review_choices(lang), numbered=False)]

    def walk_command(self, turn: Turn, dossier: DossierRecord, name: str, arg: str) -> list[Reply]:
        """Run a navigation command (/back, /skip, /edit, /review, /confirm) on the open dossier."""
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
            lines += answer_lines(spec, dossier, lang, numbered=True) or [t(lang, "no_answers_yet")]
            return [Reply("\n".join(lines)), *self.prompt(turn, dossier)]
        if name == "confirm":
            if dossier.status != REVIEW or dossier.editing:
                return [Reply(t(lang, "confirm_too_early")), *self.prompt(turn, dossier)]
            return self.finish(turn, dossier, wt.fold(arg))
        return self._edit(turn, dossier, arg)

    def reopen(self, turn: Turn, dossier: DossierRecord, name: str, arg: str) -> list[Reply]:
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
                return [Reply(t(lang, "no_answers_yet")), *self.prompt(turn, dossier)]
            lines = [t(lang, "edit_pick")]
            lines += answer_lines(spec, dossier, lang, numbered=True)
            choices = tuple(
                Choice(f"{i}. {field_label(f, lang)}", f"/edit {f.id}") for i, f in enumerate(fields, start=1)
            )
            return [Reply("\n".join(lines), choices=choices)]
        dossier = self._save(replace(dossier, editing=target.id))
        return self.prompt(turn, dossier)

    def _back(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        spec = self.specs[dossier.kind]
        if dossier.editing:
            dossier = self._save(replace(dossier, editing=None))
            return self.prompt(turn, dossier, prefix=t(turn.lang, "edit_abandoned"))
        answers, history, reopened = wt.go_back(spec, dossier.answers, dossier.history)
        if reopened is None:
            return self.prompt(turn, dossier, prefix=t(turn.lang, "back_nothing"))
        dossier = self._save(replace(dossier, answers=answers, history=history, status=IN_PROGRESS))
        return self.prompt(turn, dossier)

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
            return self.prompt(turn, dossier, prefix=t(lang, "skip_refused", article=field_spec.article))
        answers, history = wt.record(dossier.answers, dossier.history, field_spec.id, wt.SKIPPED)
        dossier = self._save(replace(dossier, answers=answers, history=history, editing=None))
        return self.prompt(turn, dossier, prefix=t(lang, "skipped_ok"))

    def walk_input(self, turn: Turn, dossier: DossierRecord, text: str) -> list[Reply]:
        """Read a message sent while a dossier is open: an answer, a navigation word, or a question."""
        lang = turn.lang
        spec = self.specs[dossier.kind]
        folded = wt.fold(text)
        said = self._walk_word(turn, dossier, text, folded)
        if said is not None:
            return said
        if dossier.status == REVIEW and not dossier.editing:
            return self._review_input(turn, dossier, text, folded)
        field_spec = spec.field(dossier.editing) if dossier.editing else None
        if field_spec is None:
            step = wt.next_step(spec, dossier.answers)
            if isinstance(step, wt.Review):
                return self._review(turn, dossier)
            field_spec = step.field
        if text and looks_like_question(text) and field_spec.type not in {"yes_no"}:
            return [
                *self.answer(turn, text),
                *self.prompt(turn, dossier, prefix=t(lang, "back_to_dossier")),
            ]
        reading = wt.read_answer(field_spec, text)
        if isinstance(reading, wt.Rejected):
            structured = field_spec.type in {"yes_no", "choice", "categories", "date", "number"}
            if text and structured and self._nlu_says_question(text):
                return [
                    *self.answer(turn, text),
                    *self.prompt(turn, dossier, prefix=t(lang, "back_to_dossier")),
                ]
            problem = t(lang, reading.reason, **dict(reading.params))
            return self.prompt(turn, dossier, prefix=problem)
        if (
            field_spec.id in spec.letter.french_fields
            and isinstance(reading.value, str)
            and wt.looks_english(reading.value)
        ):
            return self._ask_french(turn, dossier, field_spec, reading.value)
        return self._accept(turn, dossier, spec, field_spec, reading.value)

    def _walk_word(self, turn: Turn, dossier: DossierRecord, text: str, folded: str) -> list[Reply] | None:
        """Answer a navigation or small-talk word (back, skip, cancel, help, bye, menu, thanks); None otherwise."""
        lang = turn.lang
        if folded in BACK_WORDS:
            return self._back(turn, dossier)
        if folded in SKIP_WORDS:
            return self._skip(turn, dossier)
        if folded in CANCEL_WORDS:
            return self.cancel(turn)
        if text.strip() in HELP_WORDS or folded in HELP_WORDS:
            return self._field_help(turn, dossier)
        if folded in FAREWELL_WORDS:
            return [Reply(t(lang, "farewell_dossier", number=dossier.number))]
        if folded in MENU_WORDS:
            return self.welcome(turn)
        at_review = dossier.status == REVIEW and not dossier.editing
        if (folded in THANKS or folded in ACK_WORDS) and not (at_review and folded in CONFIRM_WORDS):
            # Not an answer: a company is not called "ok", nor a nationality "merci".
            return self.prompt(turn, dossier, prefix=t(lang, "walk_ack"))
        return None

    def _review_input(self, turn: Turn, dossier: DossierRecord, text: str, folded: str) -> list[Reply]:
        """Read a message at the review: a confirmation, an answer's number to correct, or a question."""
        lang = turn.lang
        if folded in CONFIRM_WORDS:
            return self.finish(turn, dossier)
        edit = re.fullmatch(r"(?:modifier|edit|changer|change|corriger|correct)\s+(?:n\s*)?(\d+)", folded)
        if edit:
            return self._edit(turn, dossier, edit.group(1))
        if re.fullmatch(r"(?:n\s*)?\d{1,3}", folded):
            # A number at the review names an answer to correct, never an action.
            return self._edit(turn, dossier, folded.removeprefix("n").strip())
        if text and (looks_like_question(text) or self._nlu_says_question(text)):
            return [
                *self.answer(turn, text),
                *self._review(turn, dossier, prefix=t(lang, "back_to_review")),
            ]
        return self._review(turn, dossier, prefix=t(lang, "review_not_understood"))

    def _ask_french(
        self, turn: Turn, dossier: DossierRecord, field_spec: FieldSpec, value: str
    ) -> list[Reply]:
        """Ask again in French an answer the (French) letter would quote in English, or keep it if confirmed."""
        lang = turn.lang
        shown = value if len(value) <= 60 else value[:57] + "…"
        replies = self.prompt(turn, dossier, prefix=t(lang, "english_answer", answer=shown))
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
        return self.prompt(turn, dossier, prefix=prefix)

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
        return self.prompt(turn, dossier, prefix=text + "\n" + t(lang, "walk_instructions") + "\n")

    def finish(self, turn: Turn, dossier: DossierRecord, choice: str = "") -> list[Reply]:
        """Complete the dossier: the summary, the letter, the checklist (or ask first when pieces are missing)."""
        lang = turn.lang
        spec = self.specs[dossier.kind]
        pieces = checklist(spec, dossier.answers, stored_reports(self.store, dossier), lang)
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
            self.emit(ev.DOSSIER_COMPLETED, turn, kind=dossier.kind, number=dossier.number)
        lines = [t(lang, "completed", number=dossier.number, title=spec.title.get(lang, spec.title["fr"]))]
        lines += answer_lines(spec, dossier, lang, numbered=False)
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
            checklist_text(pieces, lang, dossier_notes(spec, dossier.answers, lang, self.clock().date()))
            + "\n\n"
            + t(lang, "completed_next", copies=copies_text(spec, lang))
        )
        return [Reply("\n".join(lines)), letter, listing, Reply(closing)]

    def _letter_reply(self, dossier: DossierRecord, lang: str) -> Reply:
        spec = self.specs[dossier.kind]
        version = max(letter_version(dossier), 1)
        # The letter is French: its piece labels too; only pieces received and checked are "jointes".
        pieces = checklist(spec, dossier.answers, stored_reports(self.store, dossier), "fr")
        listed = [LetterPiece(p.label, p.article, p.status == PRESENT) for p in pieces]
        data = request_letter(spec, dossier.answers, listed, version=version)
        return Reply(
            t(lang, "letter_caption", copies=copies_text(spec, lang)),
            file=OutgoingFile(letter_filename(spec, dossier.number, version), "application/pdf", data),
        )

    def letter_command(self, turn: Turn) -> list[Reply]:
        """Send the letter of the completed dossier again."""
        lang = turn.lang
        dossier = active_dossier(self.store, self.specs, turn.session)
        if dossier is None or dossier.status != COMPLETED:
            return [Reply(t(lang, "letter_not_ready")), *self.resume_prompt(turn)]
        reply = self._letter_reply(dossier, lang)
        spec = self.specs[dossier.kind]
        version = max(letter_version(dossier), 1)
        caption = t(lang, "letter_caption_user", version=version, copies=copies_text(spec, lang))
        return [replace(reply, text=caption)]

    def correct(self, turn: Turn, text: str, incoming: Incoming) -> list[Reply] | None:
        """Read an edit of the user's last message as a correction of the answer it gave; None if it gave none."""
        dossier = active_dossier(self.store, self.specs, turn.session)
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
            return self.prompt(turn, dossier, prefix=problem)
        answers, history = wt.record(dossier.answers, dossier.history, field_spec.id, reading.value)
        dossier = self._save(replace(dossier, answers=answers, history=history))
        shown = wt.display_value(field_spec, reading.value, turn.lang)
        label = field_label(field_spec, turn.lang)
        return self.prompt(turn, dossier, prefix=t(turn.lang, "corrected", field=label, value=shown))
