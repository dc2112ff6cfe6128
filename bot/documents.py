"""The core's view of the dossier checker: check uploaded files, keep the reports, merge them into a checklist.

Files are checked one upload at a time and their bytes are not kept, so the checklist of a dossier is the
best evidence over every stored report: a piece found in any upload counts as received.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.i18n import t
from bot.messages import SessionKey
from dossier_checker.model import InputFile, Limits, PieceWarning, Status
from dossier_checker.pool import FairPool
from dossier_checker.spec import DossierSpec, PieceSpec

log = logging.getLogger(__name__)

# Stored reports hold these as plain strings.
PRESENT: str = Status.PRESENT
UNCERTAIN: str = Status.UNCERTAIN
MISSING: str = Status.MISSING
_RANK = {PRESENT: 2, UNCERTAIN: 1, MISSING: 0}


@dataclass(frozen=True)
class CheckOutcome:
    """One checker run: the report as plain data (the JSON of ``vetpharma check --json``)."""

    report: Mapping[str, Any]
    complete: bool
    pages: int = 0  # pages read, for the user's quota
    seconds: float = 0.0  # wall-clock seconds spent reading the files


@dataclass(frozen=True)
class PieceStatus:
    """Where one required piece stands: received and checked, uncertain, or still missing."""

    id: str
    label: str
    article: str
    status: str
    file: str | None = None
    warnings: tuple[str, ...] = ()


class Documents:
    """Runs the dossier checker on uploads (each file parsed in a sandboxed child process).

    Files are read on one pool of ``workers`` shared fairly between users (``dossier_checker.pool``).
    """

    def __init__(self, limits: Limits | None = None, workers: int = 2) -> None:
        self.limits = limits or Limits()
        self.pool = FairPool(workers)

    def close(self) -> None:
        """Stop the checker's workers once the files in hand are read."""
        self.pool.close()

    @property
    def max_bytes(self) -> int:
        """Return the largest file the checker reads."""
        return self.limits.max_bytes

    def check(
        self,
        dossier_id: str,
        answers: Mapping[str, Any],
        files: Sequence[tuple[str, bytes]],
        lang: str,
        owner: str = "",
    ) -> CheckOutcome:
        """Check uploaded files against a dossier type (in ``owner``'s queue); return the report as data."""
        # Imported on first upload: the PDF parsers are not needed to start the bot.
        from dossier_checker.check import check_files
        from dossier_checker.report import report_dict

        conditions = {k: v for k, v in answers.items() if v is not None}
        inputs = [InputFile(name=name, data=data) for name, data in files]
        # The cross-checks are left to the checklist, which runs them on the stored features with the answers
        # of the moment (they change after the upload).
        report = check_files(
            dossier_id, conditions, inputs, self.limits, pool=self.pool, owner=owner, cross=False
        )
        data = report_dict(report, lang)
        # Kept with the stored report (not in `check --json`): what answer-dependent warnings read again.
        features = {p.id: dict(p.features) for p in report.pieces if p.features}
        pieces = data.get("pieces")
        for piece in pieces if isinstance(pieces, list) else []:
            if isinstance(piece, dict) and piece.get("id") in features:
                piece["features"] = features[piece["id"]]
        return CheckOutcome(
            report=data,
            complete=report.complete,
            pages=sum(len(f.pages) for f in report.files),
            # A file cut at its deadline spent its whole time (its reading stops before, for the report).
            seconds=sum(
                self.limits.file_seconds
                if f.unread_pages or (f.error is not None and f.error.code == "file_too_slow")
                else f.seconds
                for f in report.files
            ),
        )


def upload_summary(
    report: Mapping[str, Any], lang: str, pieces: Sequence[PieceStatus] | None = None
) -> list[str]:
    """Describe what one check found, file by file, then what is still missing (one line).

    With ``pieces`` (the dossier's checklist), the warnings are those recomputed with the answers and the
    other uploads, and a last line names the pieces still to send.
    """
    lines: list[str] = []
    current = {p.id: p for p in pieces or ()}
    found_pieces = [p for p in report.get("pieces", []) or [] if isinstance(p, Mapping)]
    for file in report.get("files", []) or []:
        if isinstance(file, Mapping):
            lines += _file_summary(file, found_pieces, current, lang)
    if pieces is not None:
        lines.append(still_missing(pieces, lang))
    return lines


def _file_summary(
    file: Mapping[str, Any],
    found_pieces: Sequence[Mapping[str, Any]],
    current: Mapping[str, PieceStatus],
    lang: str,
) -> list[str]:
    """Describe one file of a check: why it could not be read, or the pieces found in it."""
    name = str(file.get("path", "")).replace("\\", "/").rsplit("/", 1)[-1]
    if file.get("error"):
        return ["✘ " + t(lang, "report_file_error", name=name, error=file["error"])]
    found = [
        p
        for p in found_pieces
        if p.get("file") == file.get("path") and p.get("status") in (PRESENT, UNCERTAIN)
    ]
    lines = [f"📄 {name} ({_pages_text(file, lang)})"]
    if file.get("unread"):
        lines.append(f"   ⚠ {file['unread']}")
    if not found:
        lines.append("   " + t(lang, "upload_nothing_recognised"))
    for piece in found:
        lines += _found_lines(piece, current.get(str(piece.get("id"))), lang)
    return lines


def _found_lines(piece: Mapping[str, Any], now: PieceStatus | None, lang: str) -> list[str]:
    """Say one piece found in a file (its state in the checklist now, if known), then its warnings."""
    status = now.status if now is not None and now.file == piece.get("file") else piece.get("status")
    mark = "✅" if status == PRESENT else "⚠️"
    pages = ", ".join(str(n) for n in piece.get("pages", []) or [])
    where = f" — p. {pages}" if pages else ""
    said = t(lang, "upload_found" if status == PRESENT else "upload_maybe")
    lines = [f"   {mark} {said} {piece.get('label')} (art. {piece.get('article')}){where}"]
    warnings = (
        list(now.warnings)
        if now is not None
        else [_warning(w, lang) for w in piece.get("warnings", []) or []]
    )
    return lines + [f"      ⚠ {w}" for w in warnings]


def still_missing(pieces: Sequence[PieceStatus], lang: str) -> str:
    """Say in one line how many pieces are received and which are still to send."""
    received = sum(1 for p in pieces if p.status == PRESENT)
    missing = [f"{p.label} (art. {p.article})" for p in pieces if p.status != PRESENT]
    if not missing:
        return t(lang, "upload_all_received", total=len(pieces))
    return t(
        lang,
        "upload_still_missing",
        received=received,
        total=len(pieces),
        pieces=t(lang, "list_separator").join(missing),
    )


def _pages_text(file: Mapping[str, Any], lang: str) -> str:
    return t(lang, "upload_pages", pages=file.get("pages", 0), ocr=file.get("ocr_pages", 0))


def _warning(warning: Any, lang: str) -> str:
    """Render a stored warning in the reader's language (from its code and parameters)."""
    if isinstance(warning, Mapping):
        from dossier_checker.report import stored_warning_text

        return stored_warning_text(warning, lang)
    return str(warning)


# Warnings that a later upload can answer: code -> how many files holding the piece answer it.
_RESOLVED_BY_FILES = {"warn_minutes_one_company": 2}


def _resolved(warning: Any, files: set[str]) -> bool:
    """Tell whether other uploads answer a warning (each company's minutes sent in its own file)."""
    code = warning.get("code") if isinstance(warning, Mapping) else None
    needed = _RESOLVED_BY_FILES.get(str(code))
    return needed is not None and len(files) >= needed


def _stored_features(found: Mapping[str, Any]) -> dict[str, str]:
    stored = found.get("features")
    return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, Mapping) else {}


def _recomputed(warning: Any, found: Mapping[str, Any]) -> bool:
    """Tell whether a stored warning is recomputed from the document's features (it read old answers)."""
    from dossier_checker.answer_checks import ANSWER_WARNINGS
    from dossier_checker.crosscheck import CROSS_WARNINGS

    code = warning.get("code") if isinstance(warning, Mapping) else None
    return code in ANSWER_WARNINGS | CROSS_WARNINGS and bool(_stored_features(found))


def _answer_warnings(
    piece: PieceSpec, found: Mapping[str, Any], answers: Mapping[str, Any], lang: str
) -> tuple[str, ...]:
    """Check the document's stored features against the answers as they are now (a corrected name)."""
    stored = _stored_features(found)
    if not stored:
        return ()
    from dossier_checker.answer_checks import answer_warnings
    from dossier_checker.report import warning_text

    fresh = answer_warnings(piece, stored, answers)
    return tuple(warning_text(w, lang) for w in fresh)


def checklist(
    spec: DossierSpec, answers: Mapping[str, Any], reports: Sequence[Mapping[str, Any]], lang: str
) -> list[PieceStatus]:
    """List the pieces the answers require, each with the best status any stored report gave it."""
    from dossier_checker.crosscheck import dossier_cross_warnings

    best, found_in = _best_found(spec, answers, reports)
    # Every piece found is cross-checked with the answers as they are now, and with the other pieces.
    features = {
        pid: _stored_features(p) for pid, p in best.items() if p.get("status") in (PRESENT, UNCERTAIN)
    }
    cross = dossier_cross_warnings(spec, features, answers)
    return [
        _piece_status(piece, best.get(piece.id, {}), found_in.get(piece.id, set()), answers, cross, lang)
        for piece in spec.required_pieces(answers)
    ]


def _best_found(
    spec: DossierSpec, answers: Mapping[str, Any], reports: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Mapping[str, Any]], dict[str, set[str]]]:
    """Keep each piece's best finding over the stored reports, and the files it was found present in."""
    from dossier_checker.crosscheck import DOUBTFUL, cross_warnings

    best: dict[str, Mapping[str, Any]] = {}
    # Files in which each piece was found: a piece made of one document per party (the minutes of each
    # company, art. 20 c)) may arrive one file per upload, each checked alone.
    found_in: dict[str, set[str]] = {}
    rules = {p.id: p.cross_checks for p in spec.pieces}

    def rank(piece: Mapping[str, Any]) -> tuple[int, int]:
        # A document that is another company's (or a foreign register's) ranks below the company's own.
        found = cross_warnings(rules.get(str(piece["id"]), {}), "", _stored_features(piece), answers)
        return _RANK.get(str(piece.get("status")), 0), 0 if any(w.code in DOUBTFUL for w in found) else 1

    for report in reports:
        for piece in report.get("pieces", []) or []:
            if not isinstance(piece, Mapping) or not isinstance(piece.get("id"), str):
                continue
            if str(piece.get("status", MISSING)) == "present" and piece.get("file"):
                found_in.setdefault(piece["id"], set()).add(str(piece["file"]))
            held = best.get(piece["id"])
            if held is None or rank(piece) > rank(held):
                best[piece["id"]] = piece
    return best, found_in


def _piece_status(
    piece: PieceSpec,
    found: Mapping[str, Any],
    files: set[str],
    answers: Mapping[str, Any],
    cross: Mapping[str, Sequence[PieceWarning]],
    lang: str,
) -> PieceStatus:
    """Say where one required piece stands, with the warnings of its best finding worded now."""
    from dossier_checker.crosscheck import DOUBTFUL
    from dossier_checker.report import warning_text

    status = str(found.get("status", MISSING))
    if status not in _RANK:
        status = MISSING
    warnings: tuple[str, ...] = ()
    if status != MISSING:
        kept = [w for w in (found.get("warnings") or ()) if not _resolved(w, files)]
        warnings = tuple(_warning(w, lang) for w in kept if not _recomputed(w, found))
        warnings += _answer_warnings(piece, found, answers, lang)
        fresh = cross.get(piece.id, [])
        warnings += tuple(warning_text(w, lang) for w in fresh)
        if status == PRESENT and any(w.code in DOUBTFUL for w in fresh):
            status = UNCERTAIN  # another company's extract, or a foreign register's: not received
    file = found.get("file") if status != MISSING else None
    return PieceStatus(
        id=piece.id,
        label=piece.label.get(lang) or piece.label["fr"],
        article=piece.article,
        status=status,
        file=str(file) if file else None,
        warnings=warnings,
    )


def dossier_notes(spec: DossierSpec, answers: Mapping[str, Any], lang: str, today: date) -> list[str]:
    """Weigh the answered dates against today and the decree's delays (a date passed since it was given)."""
    from dossier_checker.crosscheck import date_warnings
    from dossier_checker.model import PieceWarning
    from dossier_checker.report import warning_text

    dates = [
        (f.id, f.article, f.validation, answers[f.id])
        for f in spec.active_fields(answers)
        if f.type == "date" and answers.get(f.id)
    ]
    notes = []
    for warning in date_warnings(dates, today):
        params = dict(warning.params)
        field = spec.field(params["field"])
        params["field"] = _field_label(params["field"], field.question if field else {}, lang)
        notes.append(warning_text(PieceWarning(warning.code, warning.article, tuple(params.items())), lang))
    return notes


def _field_label(field_id: str, question: Mapping[str, str], lang: str) -> str:
    try:
        return t(lang, f"label_{field_id}")
    except KeyError:
        return (question.get(lang) or question.get("fr") or field_id).rstrip(" ?")


# Photos of one document arrive one message each (an album, or pictures sent in a row).
PHOTO_RUN_WINDOW = timedelta(minutes=3)  # a photo later than this after the previous one starts anew
PHOTO_RUN_MAX = 10  # photos checked together at most (the oldest drop out of a longer run)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".tif", ".tiff")

Upload = tuple[str, str, bytes]  # name, media type, bytes


def is_photo(name: str, mime: str) -> bool:
    """Tell whether an upload is a picture (photo or scan image) rather than a PDF or a document."""
    return mime.lower().startswith("image/") or name.lower().endswith(PHOTO_SUFFIXES)


@dataclass
class _Run:
    last: datetime
    group: str
    photos: list[Upload] = field(default_factory=list)
    unchecked: list[Upload] = field(default_factory=list)  # held, not yet checked (an album's first photos)


class PhotoRuns:
    """The photos each user sent one after another, kept in memory a few minutes to be checked together.

    The checker joins consecutive pictures whose content continues into one document (photos of a
    three-page statute), so each new photo is checked with the ones just before it. A text message, a
    non-photo file, a pause longer than the window or another album ends the run, and its bytes go.
    Held in this process only: after a restart, or on another bot process, a photo starts a new run.
    """

    def __init__(self, window: timedelta = PHOTO_RUN_WINDOW, max_photos: int = PHOTO_RUN_MAX) -> None:
        self.window = window
        self.max_photos = max_photos
        self._runs: dict[SessionKey, _Run] = {}
        self._lock = threading.Lock()

    def extend(self, key: SessionKey, uploads: Sequence[Upload], group: str, now: datetime) -> list[Upload]:
        """Add uploads to the user's run and return the run to check (only the uploads when not photos)."""
        with self._lock:
            if not uploads or not all(is_photo(name, mime) for name, mime, _ in uploads):
                self._runs.pop(key, None)
                return list(uploads)
            run = self._runs.get(key)
            stale = run is None or not timedelta(0) <= now - run.last <= self.window
            other_album = run is not None and bool(group) and bool(run.group) and group != run.group
            if run is None or stale or other_album:
                run = self._runs[key] = _Run(now, group)
            run.last, run.group = now, group or run.group
            run.photos = [*run.photos, *uploads][-self.max_photos :]
            run.unchecked = [*run.unchecked, *uploads][-self.max_photos :]
            return list(run.photos)

    def take_unchecked(self, key: SessionKey) -> list[Upload]:
        """Return the photos of the user's run not checked yet, and count them checked from now on."""
        with self._lock:
            run = self._runs.get(key)
            if run is None:
                return []
            unchecked, run.unchecked = run.unchecked, []
            return unchecked

    def end(self, key: SessionKey) -> None:
        """Forget the user's run (a text message came, or they asked to forget everything)."""
        with self._lock:
            self._runs.pop(key, None)

    def purge(self, now: datetime) -> None:
        """Drop runs older than the window."""
        with self._lock:
            for key in [k for k, r in self._runs.items() if now - r.last > self.window]:
                del self._runs[key]
