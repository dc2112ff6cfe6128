"""The dossier checker: PDFs, scans and photos in; each required piece present, missing or uncertain out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dossier_checker.check import check_files
    from dossier_checker.model import DossierReport, FileResult, InputFile, Limits, PieceResult
    from dossier_checker.report import render_report

__all__ = [
    "DossierReport",
    "FileResult",
    "InputFile",
    "Limits",
    "PieceResult",
    "check_files",
    "render_report",
]

_WHERE = {
    "check_files": "dossier_checker.check",
    "render_report": "dossier_checker.report",
    "DossierReport": "dossier_checker.model",
    "FileResult": "dossier_checker.model",
    "InputFile": "dossier_checker.model",
    "Limits": "dossier_checker.model",
    "PieceResult": "dossier_checker.model",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: loading the specs must not pull in the PDF parsers.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
