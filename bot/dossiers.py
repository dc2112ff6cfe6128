"""Dossiers as a whole: start, resume, list, cancel, status and checklist; how staff see one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot import events as ev
from bot import walkthrough as wt
from bot.conversation import Emit, Turn, active_dossier, stored_reports
from bot.documents import checklist, dossier_notes
from bot.dossier_walk import Walk
from bot.i18n import t
from bot.messages import Choice, Reply
from bot.render import answer_lines, checklist_text, short_title, start_choices, status_label
from bot.store import CANCELLED, COMPLETED, IN_PROGRESS, REVIEW, DossierRecord, Store
from bot.uploads import Uploads
from bot.words import YES_FORGET, dossier_words
from dossier_checker.spec import DossierSpec
from nlu.numbers import digits_value, normalise_digits


class Dossiers:
    """A user's dossiers: which one is open, starting and leaving one, and what each holds."""

    def __init__(
        self,
        store: Store,
        specs: Mapping[str, DossierSpec],
        emit: Emit,
        walk: Walk,
        uploads: Uploads,
        default_lang: str,
    ) -> None:
        self.store = store
        self.specs = specs
        self.emit = emit
        self.walk = walk
        self.uploads = uploads
        self.default_lang = default_lang

    def dossier_context(self, dossier: DossierRecord) -> dict[str, Any]:
        """Describe one dossier for staff, in the staff's (default) language."""
        spec = self.specs[dossier.kind]
        lang = self.default_lang
        return {
            "kind": dossier.kind,
            "number": dossier.number,
            "status": dossier.status,
            "title": short_title(self.specs, dossier.kind, lang),
            "status_label": status_label(dossier.status, lang),
            "answers": dict(dossier.answers),
            "summary": [
                line.removeprefix("• ") for line in answer_lines(spec, dossier, lang, numbered=False)
            ],
            "pieces": [
                {"id": p.id, "status": p.status, "article": p.article, "label": p.label, "file": p.file}
                for p in checklist(spec, dossier.answers, stored_reports(self.store, dossier), lang)
            ],
        }

    def _kind_from(self, arg: str) -> str | None:
        folded = wt.fold(arg).replace("_", " ")
        if not folded:
            return None
        if folded.replace(" ", "_") in self.specs:
            return folded.replace(" ", "_")
        words = dossier_words(self.specs)
        if folded in words:
            return words[folded]
        for kind, spec in self.specs.items():
            if folded in {wt.fold(title) for title in spec.title.values()}:
                return kind
        return None

    def dossier_command(self, turn: Turn, arg: str) -> list[Reply]:
        """Open a dossier by number or type (/dossier), or resume the one in progress."""
        lang = turn.lang
        if not arg:
            dossier = active_dossier(self.store, self.specs, turn.session)
            if dossier is not None and dossier.status in (IN_PROGRESS, REVIEW):
                return self._resume(turn, dossier)
            return self.dossier_menu(turn)
        number = re.fullmatch(r"(?:n[°o]?\s*|#)?([0-9]{1,6})", normalise_digits(arg), flags=re.IGNORECASE)
        if number:
            found = self.store.dossier_by_number(turn.session.key, digits_value(number.group(1)) or 0)
            if found is None or found.kind not in self.specs:
                return [
                    Reply(
                        t(lang, "dossier_not_found", number=number.group(1)),
                        choices=start_choices(self.specs, lang),
                    )
                ]
            if found.status == CANCELLED:
                found = self.store.save_dossier(replace(found, status=IN_PROGRESS))
            turn.session = replace(turn.session, active_dossier=found.id)
            if found.status == COMPLETED:
                return self.status(turn)
            return self._resume(turn, found)
        kind = self._kind_from(arg)
        if kind is None:
            return [
                Reply(
                    t(lang, "dossier_unknown_type", answer=arg[:80]), choices=start_choices(self.specs, lang)
                )
            ]
        return self.start_dossier(turn, kind)

    def dossier_menu(self, turn: Turn) -> list[Reply]:
        """List the dossier types, each with when it applies."""
        lang = turn.lang
        lines = [t(lang, "dossier_menu")]
        for kind in self.specs:  # in the specs' order (dossier_checker.spec.DOSSIER_IDS)
            lines.append(f"• {short_title(self.specs, kind, lang)} — {t(lang, f'dossier_{kind}_when')}")
        return [Reply("\n".join(lines), choices=start_choices(self.specs, lang))]

    def start_dossier(self, turn: Turn, kind: str) -> list[Reply]:
        """Start a new dossier of ``kind``, check files already sent, and ask the first question."""
        lang = turn.lang
        spec = self.specs[kind]
        previous = active_dossier(self.store, self.specs, turn.session)
        dossier = self.store.create_dossier(turn.session.key, kind)
        turn.session = replace(turn.session, active_dossier=dossier.id)
        self.emit(ev.DOSSIER_STARTED, turn, kind=kind, number=dossier.number)
        text = t(lang, "dossier_started", number=dossier.number, title=spec.title.get(lang, spec.title["fr"]))
        text += "\n\n" + spec.intro.get(lang, spec.intro["fr"])
        text += "\n\n" + t(lang, "walk_instructions")
        if previous is not None and previous.status in (IN_PROGRESS, REVIEW):
            text += "\n\n" + t(
                lang,
                "dossier_previous_kept",
                number=previous.number,
                title=short_title(self.specs, previous.kind, lang),
            )
        replies = [Reply(text)]
        replies += self.uploads.check_pending_files(turn, dossier)
        replies += self.walk.prompt(turn, self.store.dossier(turn.session.key, dossier.id) or dossier)
        return replies

    def _resume(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        lang = turn.lang
        intro = Reply(
            t(
                lang,
                "dossier_resumed",
                number=dossier.number,
                title=short_title(self.specs, dossier.kind, lang),
            )
        )
        return [intro, *self.walk.prompt(turn, dossier)]

    def list_dossiers(self, turn: Turn) -> list[Reply]:
        """List the user's dossiers with their status."""
        lang = turn.lang
        dossiers = [d for d in self.store.dossiers(turn.session.key) if d.kind in self.specs]
        if not dossiers:
            return [Reply(t(lang, "no_dossiers"), choices=start_choices(self.specs, lang))]
        lines = [t(lang, "dossiers_title")]
        active = turn.session.active_dossier
        for d in dossiers:
            marker = " ◀" if d.id == active else ""
            lines.append(
                f"n° {d.number} — {short_title(self.specs, d.kind, lang)} — {status_label(d.status, lang)}{marker}"
            )
        lines.append(t(lang, "dossiers_hint"))
        choices = tuple(
            Choice(f"n° {d.number} — {short_title(self.specs, d.kind, lang)}", f"/dossier {d.number}")
            for d in dossiers
            if d.status != CANCELLED
        )
        return [Reply("\n".join(lines), choices=choices)]

    def cancel(self, turn: Turn, confirm: str = "") -> list[Reply]:
        """Abandon the open dossier, after asking to confirm."""
        lang = turn.lang
        dossier = active_dossier(self.store, self.specs, turn.session)
        if turn.session.awaiting:
            turn.session = replace(turn.session, awaiting=None)
        if dossier is None or dossier.status not in (IN_PROGRESS, REVIEW):
            return [Reply(t(lang, "nothing_to_cancel"), choices=start_choices(self.specs, lang))]
        if confirm in wt.NO_WORDS:
            return self.walk.prompt(turn, dossier, prefix=t(lang, "cancel_kept"))
        if confirm not in YES_FORGET and confirm not in wt.YES_WORDS:
            # Abandoning loses the thread of the walk: ask first (a stray "stop" must not end a dossier).
            turn.session = replace(turn.session, awaiting="cancel")
            title = short_title(self.specs, dossier.kind, lang)
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
        self.emit(ev.DOSSIER_CANCELLED, turn, kind=dossier.kind, number=dossier.number)
        return [
            Reply(
                t(
                    lang,
                    "dossier_cancelled",
                    number=dossier.number,
                    title=short_title(self.specs, dossier.kind, lang),
                ),
                choices=start_choices(self.specs, lang),
            )
        ]

    def status(self, turn: Turn) -> list[Reply]:
        """Tell where the open dossier stands: answers given, pieces received, the next step."""
        lang = turn.lang
        dossier = active_dossier(self.store, self.specs, turn.session)
        others = [
            d
            for d in self.store.dossiers(turn.session.key)
            if d.kind in self.specs and (dossier is None or d.id != dossier.id) and d.status != CANCELLED
        ]
        if dossier is None:
            text = t(lang, "status_none")
            if others:
                text += "\n\n" + t(lang, "status_others", count=len(others))
            return [Reply(text, choices=start_choices(self.specs, lang))]
        spec = self.specs[dossier.kind]
        lines = [
            t(
                lang,
                "status_title",
                number=dossier.number,
                title=short_title(self.specs, dossier.kind, lang),
                status=status_label(dossier.status, lang),
            )
        ]
        step = wt.next_step(spec, dossier.answers)
        answered = len(wt.answered_fields(spec, dossier.answers))
        lines.append(
            t(lang, "status_answers", answered=answered, total=len(spec.active_fields(dossier.answers)))
        )
        pieces = checklist(spec, dossier.answers, stored_reports(self.store, dossier), lang)
        lines.append("")
        lines.append(checklist_text(pieces, lang, self._notes(dossier, lang)))
        if isinstance(step, wt.Ask) and dossier.status == IN_PROGRESS:
            lines.append("")
            lines.append(t(lang, "status_next", number=step.number, total=step.total))
        if others:
            lines.append("")
            lines.append(t(lang, "status_others", count=len(others)))
        return [Reply("\n".join(lines))]

    def check(self, turn: Turn, arg: str) -> list[Reply]:
        """Show the open dossier's checklist and invite uploads (or start a dossier first)."""
        lang = turn.lang
        dossier = active_dossier(self.store, self.specs, turn.session)
        if dossier is None:
            kind = self._kind_from(arg)
            if kind is not None:
                return self.start_dossier(turn, kind)
            return [Reply(t(lang, "check_no_dossier"), choices=start_choices(self.specs, lang))]
        spec = self.specs[dossier.kind]
        pieces = checklist(spec, dossier.answers, stored_reports(self.store, dossier), lang)
        text = checklist_text(pieces, lang, self._notes(dossier, lang))
        text += "\n\n" + t(lang, "upload_invite")
        return [Reply(text)]

    def _notes(self, dossier: DossierRecord, lang: str) -> list[str]:
        """Weigh the dossier's dates against today (they pass while a dossier waits)."""
        return dossier_notes(self.specs[dossier.kind], dossier.answers, lang, self.walk.clock().date())
