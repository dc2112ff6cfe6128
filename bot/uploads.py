"""Uploads: files received, checked against the open dossier (here or by a queue worker), kept or deleted."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot import events as ev
from bot import recovery
from bot.conversation import Emit, Turn, active_dossier, stored_reports
from bot.documents import Documents, PhotoRuns, checklist, upload_summary
from bot.dossier_walk import Walk
from bot.hygiene import clean_text
from bot.i18n import t
from bot.messages import Attachment, Reply, SessionKey
from bot.quotas import Quotas, owner_of
from bot.render import quota_params, review_choices, start_choices
from bot.settings import Settings
from bot.store import REVIEW, DossierRecord, Store
from dossier_checker.spec import DossierSpec

if TYPE_CHECKING:
    from bot.checkqueue import CheckQueue, QueuedCheckResult
    from bot.store import StoredFile


class Uploads:
    """Files sent in the chat: refused, kept until a dossier is chosen, or checked and summed up."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        specs: Mapping[str, DossierSpec],
        documents: Documents,
        photo_runs: PhotoRuns,
        clock: Callable[[], datetime],
        emit: Emit,
        walk: Walk,
        default_lang: str,
    ) -> None:
        self.settings = settings
        self.store = store
        self.specs = specs
        self.documents = documents
        self.photo_runs = photo_runs
        self.clock = clock
        self.emit = emit
        self.walk = walk
        self.default_lang = default_lang
        self.quotas = Quotas(settings.limits)
        self.checking: set[str] = set()  # users whose files this process is checking now
        # Set on PostgreSQL deployments with a task queue: uploads are checked by ``vetpharma worker``.
        self.check_queue: CheckQueue | None = None

    def upload(self, turn: Turn, attachment: Attachment) -> list[Reply]:
        """Receive one file: refuse it, keep it until a dossier is chosen, or check it."""
        lang = turn.lang
        name = clean_text(attachment.name)[:200] or "document"
        if attachment.size == 0:
            return [Reply(t(lang, "upload_empty", name=name)), *self.walk.resume_prompt(turn)]
        if attachment.size > self.documents.max_bytes:
            size = round(attachment.size / 1024 / 1024, 1)
            maximum = self.documents.max_bytes // 1024 // 1024
            reply = Reply(t(lang, "upload_too_big", name=name, size=size, maximum=maximum))
            return [reply, *self.walk.resume_prompt(turn)]
        dossier = active_dossier(self.store, self.specs, turn.session)
        if dossier is None:
            refused = self._storage_refusal(turn, attachment.size)
            if refused is not None:
                return [Reply(t(lang, refused, name=name, **quota_params(self.settings.limits, refused)))]
            # Kept only until the user says which dossier it is for; checked and deleted then.
            self.store.add_file(
                turn.session.key, None, name, attachment.mime or "application/octet-stream", attachment.data
            )
            if attachment.follows:
                return []  # an album: one question, asked on its last photo
            return [
                Reply(t(lang, "upload_which_dossier", name=name), choices=start_choices(self.specs, lang))
            ]
        upload = (name, attachment.mime, attachment.data)
        run = self.photo_runs.extend(turn.session.key, [upload], attachment.group, self.clock())
        if attachment.follows and len(run) < self.photo_runs.max_photos:
            return []  # an album's photo: checked with the rest of the album, in one report, by its last
        new = self.photo_runs.take_unchecked(turn.session.key) or [upload]
        replies = self._check_files(turn, dossier, run, new=new)
        if dossier.status == REVIEW and not dossier.editing:
            # At the review, a reminder of what to do next, not the whole review again after each upload.
            reminder = Reply(
                t(turn.lang, "review_reminder", number=dossier.number),
                choices=review_choices(turn.lang),
                numbered=False,
            )
            return [*replies, reminder]
        return replies + self.walk.resume_prompt(turn)

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
            t(lang, admission.refused, name=name, **quota_params(self.settings.limits, admission.refused))
            for name, _, _ in files[admission.files :]
            if admission.refused is not None
        ]
        files = files[: admission.files]
        if not files:
            return [Reply("\n".join(refused))]
        # Kept in the store while checked: a check a crash cuts short is run again at the next start.
        held = recovery.hold(self.store, turn.session.key, dossier.id, files)
        if held is None:  # a transport hands over again an upload checked and reported after a restart
            self.quotas.settle(admission, 0, 0.0)
            return [Reply(t(lang, "upload_reported_after_restart", name=", ".join(n for n, _, _ in files)))]
        self.store.save_session(replace(turn.session, checking=tuple(n for n, _, _ in files)))
        self.checking.add(owner)
        try:
            outcome = self.documents.check(
                dossier.kind, dossier.answers, [(n, d) for n, _, d in files], lang, owner
            )
        except BaseException:
            self.quotas.settle(admission, 0, 0.0)
            recovery.release(self.store, held)
            raise
        finally:
            self.checking.discard(owner)
        self.quotas.settle(admission, outcome.pages, outcome.seconds)
        recovery.finish(self.store, held, dossier.id, [n for n, _, _ in files], dict(outcome.report))
        statuses = {p["id"]: p["status"] for p in outcome.report.get("pieces", []) if isinstance(p, Mapping)}
        self.emit(ev.CHECK, turn, kind=dossier.kind, files=len(files), pieces=statuses)
        kept_all = turn.session.keep_files
        if turn.session.keep_files:
            for name, mime, data in files if new is None else new:
                not_kept = self._storage_refusal(turn, len(data), pending=False)
                if not_kept is not None:
                    refused.append(
                        t(lang, not_kept, name=name, **quota_params(self.settings.limits, not_kept))
                    )
                    kept_all = False
                    continue
                self.store.add_file(
                    turn.session.key, dossier.id, name, mime or "application/octet-stream", data
                )
        pieces = checklist(spec, dossier.answers, stored_reports(self.store, dossier), lang)
        kept = t(lang, "upload_kept" if kept_all else "upload_deleted")
        # Compact: what this upload held, then what is still missing in one line (/status for the rest).
        summary = "\n".join([*upload_summary(outcome.report, lang, pieces), *refused])
        return [Reply(summary + "\n\n" + kept)]

    def _storage_refusal(self, turn: Turn, size: int, *, pending: bool = True) -> str | None:
        """Say why one more file may not be stored for this user (a message id), or None."""
        key = turn.session.key
        waiting = self.store.stored_files(key) if pending else 0
        return self.quotas.store_refusal(self.store.stored_bytes(key.transport, key.user), size, waiting)

    def check_pending_files(self, turn: Turn, dossier: DossierRecord) -> list[Reply]:
        """Check the files sent before any dossier was chosen, now for ``dossier``."""
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
        self.emit(ev.CHECK, turn, kind=dossier.kind, files=len(files), pieces=statuses)
        reports = [*stored_reports(self.store, dossier), outcome.report]
        pieces = checklist(self.specs[dossier.kind], dossier.answers, reports, lang)
        keep = turn.session.keep_files
        kept = t(lang, "upload_kept" if keep else "upload_deleted")
        summary = "\n".join(upload_summary(outcome.report, lang, pieces))
        return QueuedCheckResult(
            file_names=tuple(f.name for f in files),
            report=dict(outcome.report),
            replies=(Reply(summary + "\n\n" + kept),),
            keep_files=keep,
            pages=outcome.pages,
            seconds=outcome.seconds,
        )
