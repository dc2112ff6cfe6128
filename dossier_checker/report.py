"""The dossier report as JSON (SPEC §3) and as a human table (the CLI and the chat show the same)."""

from __future__ import annotations

from dossier_checker.messages import message
from dossier_checker.model import DEFAULT_MAX_BYTES, DossierReport, FileResult, PieceResult, PieceWarning
from dossier_checker.spec import load_spec


def file_error_text(result: FileResult, lang: str = "fr") -> str | None:
    """Say why a file could not be read, in the user's language."""
    if result.error is None:
        return None
    params = {"detail": result.error.detail, "limit": result.error.limit or DEFAULT_MAX_BYTES // 2**20}
    return message(result.error.code, lang, params)


def unread_text(result: FileResult, seconds: float, lang: str = "fr") -> str | None:
    """Name the pages of a file left unread when its time ran out, in the user's language."""
    if not result.unread_pages:
        return None
    return message(
        "file_unread_pages", lang, {"seconds": f"{seconds:g}", "pages": _pages(result.unread_pages)}
    )


def warning_text(warning: PieceWarning, lang: str = "fr") -> str:
    """Say what looks wrong with a piece, with its article."""
    params: dict[str, object] = dict(warning.params)
    if warning.code == "warn_ambiguous":
        params["other"] = _kind_label(str(params.get("other", "")), lang)
    if warning.code == "warn_looks_like":
        params["what"] = message(f"doc_{params.get('what', '')}", lang)
    return f"{message(warning.code, lang, params)} ({message('article_word', lang)} {warning.article})"


def _kind_label(kind: str, lang: str) -> str:
    for dossier in ("opening", "transfer", "modification"):
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
        "warnings": [
            # The code and parameters are kept so that a stored report is shown in the reader's language.
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
    lines = [message("report_title", lang, {"title": title})]
    required = [p for p in report.pieces if p.required]
    if report.complete:
        lines.append(message("report_complete", lang))
    else:
        missing = sum(1 for p in required if p.status == "missing")
        uncertain = sum(1 for p in required if p.status == "uncertain")
        lines.append(message("report_incomplete", lang, {"missing": missing, "uncertain": uncertain}))
    lines.append("")
    shown = [p for p in report.pieces if p.required or p.status != "missing"]
    label_width = min(52, max((len(p.label.get(lang, p.label["fr"])) for p in shown), default=10))
    article_width = min(16, max((len(p.article) for p in shown), default=4))
    status_width = max(len(message(f"status_{s}", lang)) for s in ("present", "missing", "uncertain"))
    header = (
        f"{message('col_piece', lang):<{label_width}}  {message('col_article', lang):<{article_width}}  "
        f"{message('col_status', lang):<{status_width + 2}}  {message('col_where', lang)}"
    )
    lines += [header, "-" * len(header)]
    marks = {"present": "✔", "missing": "✘", "uncertain": "?"}
    for piece in shown:
        label = _short(piece.label.get(lang, piece.label["fr"]), label_width)
        status = message(f"status_{piece.status}", lang)
        where = ""
        if piece.file:
            where = f"{_basename(piece.file)} {message('pages_short', lang)} {_pages(piece.pages)}"
        if not piece.required:
            where = f"{where} {message('optional', lang)}".strip()
        lines.append(
            f"{label:<{label_width}}  {piece.article:<{article_width}}  {marks[piece.status]} "
            f"{status:<{status_width}}  {where}".rstrip()
        )
        for warning in piece.warnings:
            lines.append(f"    ⚠ {warning_text(warning, lang)}")
    lines += ["", message("report_files", lang)]
    for f in report.files:
        error = file_error_text(f, lang)
        if error:
            lines.append(
                f"  ✘ {_basename(f.name)} : {error}" if lang == "fr" else f"  ✘ {_basename(f.name)}: {error}"
            )
        else:
            lines.append(
                "  "
                + message(
                    "report_file_line",
                    lang,
                    {"name": _basename(f.name), "pages": f.page_count, "ocr": f.ocr_pages},
                )
            )
            unread = unread_text(f, report.file_seconds, lang)
            if unread:
                lines.append(f"    ⚠ {unread}")
    return "\n".join(lines)


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]
