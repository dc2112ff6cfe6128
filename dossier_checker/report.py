"""The dossier report as JSON (SPEC §3) and as a human table (the CLI and the chat show the same)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import catalogue, t
from dossier_checker.model import DEFAULT_MAX_BYTES, DossierReport, FileResult, PieceResult, PieceWarning
from dossier_checker.spec import DOSSIER_IDS, load_spec


def file_error_text(result: FileResult, lang: str = "fr") -> str | None:
    """Say why a file could not be read, in the user's language."""
    if result.error is None:
        return None
    params = {"detail": result.error.detail, "limit": result.error.limit or DEFAULT_MAX_BYTES // 2**20}
    return t(lang, result.error.code, **params)


def unread_text(result: FileResult, seconds: float, lang: str = "fr") -> str | None:
    """Name the pages of a file left unread when its time ran out, in the user's language."""
    if not result.unread_pages:
        return None
    return t(lang, "file_unread_pages", seconds=f"{seconds:g}", pages=_pages(result.unread_pages))


def warning_text(warning: PieceWarning, lang: str = "fr") -> str:
    """Say what looks wrong with a piece, with its article."""
    params: dict[str, object] = dict(warning.params)
    if warning.code == "warn_ambiguous":
        params["other"] = _kind_label(str(params.get("other", "")), lang)
    if warning.code == "warn_looks_like":
        params["what"] = t(lang, f"doc_{params.get('what', '')}")
    if not warning.article:  # a rule from practice, not the decree
        return t(lang, warning.code, **params)
    return f"{t(lang, warning.code, **params)} ({t(lang, 'article_word')} {warning.article})"


def stored_warning_text(warning: Mapping[str, object], lang: str = "fr") -> str:
    """Render a warning kept with a stored report in the reader's language, from its code and parameters."""
    code, params = warning.get("code"), warning.get("params")
    if isinstance(code, str) and catalogue().has(code):
        pairs = tuple((str(k), str(v)) for k, v in params.items()) if isinstance(params, Mapping) else ()
        try:
            return warning_text(PieceWarning(code, str(warning.get("article") or ""), pairs), lang)
        except KeyError:
            pass  # kept before its parameters were: the sentence as it was written then
    return str(warning.get("message") or code or "")


def _kind_label(kind: str, lang: str) -> str:
    for dossier in DOSSIER_IDS:
        piece = load_spec(dossier).piece(kind)
        if piece is not None:
            return piece.label.get(lang, piece.label["fr"])
    return kind


def report_dict(report: DossierReport, lang: str = "fr") -> dict[str, object]:
    """Return the report as the JSON object of ``vetpharma check --json``."""
    return {
        "dossier": report.dossier,
        "conditions": dict(report.conditions),
        "complete": report.complete,
        "files": [_file_dict(f, report.file_seconds, lang) for f in report.files],
        "pieces": [_piece_dict(p, lang) for p in report.pieces],
    }


def _file_dict(result: FileResult, seconds: float, lang: str) -> dict[str, object]:
    found: dict[str, object] = {
        "path": result.name,
        "pages": result.page_count,
        "ocr_pages": result.ocr_pages,
        "error": file_error_text(result, lang),
    }
    if result.parts:  # photos of one document joined, in this order
        found["parts"] = list(result.parts)
    if result.unread_pages:  # a file cut short by its time: the pages it was not checked on
        found["unread_pages"] = list(result.unread_pages)
        found["unread"] = unread_text(result, seconds, lang)
    return found


def _piece_dict(piece: PieceResult, lang: str) -> dict[str, object]:
    return {
        "id": piece.id,
        "label": piece.label.get(lang, piece.label["fr"]),
        "article": piece.article,
        "required": piece.required,
        "status": piece.status,
        "file": piece.file,
        "pages": list(piece.pages),
        "evidence": piece.evidence,
        # Code and parameters are kept, so a stored report is shown in the language of whoever reads it.
        "warnings": [
            {"code": w.code, "article": w.article, "params": dict(w.params), "message": warning_text(w, lang)}
            for w in piece.warnings
        ],
    }


def _pages(pages: tuple[int, ...]) -> str:
    if not pages:
        return ""
    runs: list[str] = []
    start = previous = pages[0]
    for number in (*pages[1:], None):
        if number is not None and number == previous + 1:
            previous = number
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(runs)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_report(report: DossierReport, lang: str = "fr") -> str:
    """Render the report as a plain-text table: each piece's status, where it is, and warnings."""
    spec = load_spec(report.dossier)
    title = spec.title.get(lang, spec.title["fr"])
    lines = [t(lang, "report_title", title=title), _verdict(report, lang), ""]
    lines += _piece_table(report, lang)
    lines += ["", t(lang, "report_files")]
    for f in report.files:
        lines += _file_lines(f, report.file_seconds, lang)
    return "\n".join(lines)


def _verdict(report: DossierReport, lang: str) -> str:
    """Say whether the dossier is complete, else how many required pieces are missing or uncertain."""
    if report.complete:
        return t(lang, "report_complete")
    required = [p for p in report.pieces if p.required]
    missing = sum(1 for p in required if p.status == "missing")
    uncertain = sum(1 for p in required if p.status == "uncertain")
    return t(lang, "report_incomplete", missing=missing, uncertain=uncertain)


def _piece_table(report: DossierReport, lang: str) -> list[str]:
    """Lay out one line per piece shown (required, or found), each followed by its warnings."""
    shown = [p for p in report.pieces if p.required or p.status != "missing"]
    label_width = min(52, max((len(p.label.get(lang, p.label["fr"])) for p in shown), default=10))
    article_width = min(16, max((len(p.article) for p in shown), default=4))
    status_width = max(len(t(lang, f"status_{s}")) for s in ("present", "missing", "uncertain"))
    header = (
        f"{t(lang, 'col_piece'):<{label_width}}  {t(lang, 'col_article'):<{article_width}}  "
        f"{t(lang, 'col_status'):<{status_width + 2}}  {t(lang, 'col_where')}"
    )
    lines = [header, "-" * len(header)]
    marks = {"present": "✔", "missing": "✘", "uncertain": "?"}
    for piece in shown:
        label = _short(piece.label.get(lang, piece.label["fr"]), label_width)
        status = t(lang, f"status_{piece.status}")
        lines.append(
            f"{label:<{label_width}}  {piece.article:<{article_width}}  {marks[piece.status]} "
            f"{status:<{status_width}}  {_where(piece, lang)}".rstrip()
        )
        lines += [f"    ⚠ {warning_text(warning, lang)}" for warning in piece.warnings]
    return lines


def _where(piece: PieceResult, lang: str) -> str:
    """Say where a piece was found (file and pages), and whether it is optional."""
    where = ""
    if piece.file:
        where = f"{_basename(piece.file)} {t(lang, 'pages_short')} {_pages(piece.pages)}"
    if not piece.required:
        where = f"{where} {t(lang, 'optional')}".strip()
    return where


def _file_lines(f: FileResult, seconds: float, lang: str) -> list[str]:
    """Say what was read of one file, or why it could not be."""
    error = file_error_text(f, lang)
    if error:
        return ["  ✘ " + t(lang, "report_file_error", name=_basename(f.name), error=error)]
    lines = ["  " + t(lang, "report_file_line", name=_basename(f.name), pages=f.page_count, ocr=f.ocr_pages)]
    unread = unread_text(f, seconds, lang)
    if unread:
        lines.append(f"    ⚠ {unread}")
    return lines


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]
