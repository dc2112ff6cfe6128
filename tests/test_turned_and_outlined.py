"""Text that is not laid out in lines: a turned "copie certifiée conforme" stamp (text layer, scan, photo)
and a floor plan whose labels are drawn as outlines (rendered and read by OCR on top of its text layer)."""

from __future__ import annotations

import random

import pytest

from dossier_checker.check import check_files
from dossier_checker.model import DossierReport, InputFile
from tests.pdfgen import render
from tests.pdfgen.drawn import outlined_floor_plan, stamped_diploma

needs_ocr = pytest.mark.skipif(
    not __import__("dossier_checker.ocr").ocr.available(), reason="tesseract-ocr-fra missing"
)


def _diploma_warnings(report: DossierReport) -> list[str]:
    piece = next(p for p in report.pieces if p.id == "diploma")
    assert piece.status == "present"
    return [w.code for w in piece.warnings]


@pytest.mark.parametrize("angle", [25.0, -35.0, 90.0])
def test_turned_stamp_in_the_text_layer_is_read_along_its_baseline(angle: float) -> None:
    report = check_files("opening", {}, [InputFile("diplome.pdf", stamped_diploma(angle))])
    assert "warn_diploma_not_certified" not in _diploma_warnings(report)
    text = report.files[0].pages[0].text
    assert "COPIE CERTIFIÉE CONFORME" in text and "Mairie de Monaco, le 3 mars 2024" in text


def test_diploma_without_stamp_is_still_not_certified() -> None:
    report = check_files("opening", {}, [InputFile("diplome.pdf", stamped_diploma(stamp=None))])
    assert "warn_diploma_not_certified" in _diploma_warnings(report)


@needs_ocr
@pytest.mark.timeout(150)
def test_turned_stamp_on_a_scan_and_a_photo_is_read_by_ocr() -> None:
    files = [
        InputFile("scan.pdf", render.scanned(stamped_diploma(25.0), random.Random(1))),
        InputFile("photo.jpg", render.photo(stamped_diploma(-35.0), random.Random(2))),
    ]
    for file in files:
        report = check_files("opening", {}, [file])
        assert report.files[0].ocr_pages == 1
        assert "warn_diploma_not_certified" not in _diploma_warnings(report), file.name


@needs_ocr
@pytest.mark.timeout(120)
def test_plan_with_outlined_labels_is_read_by_ocr() -> None:
    report = check_files("opening", {}, [InputFile("plan.pdf", outlined_floor_plan())])
    file = report.files[0]
    assert file.page_count == 1 and file.ocr_pages == 1
    assert "Cabinet Durand" in file.pages[0].text  # the text layer is kept
    assert "RÉSERVE" in file.pages[0].text.upper()  # and the outlined labels are read
    plan = next(p for p in report.pieces if p.id == "floor_plan")
    assert plan.status == "present" and plan.pages == (1,)
