"""Crafted DOCX/ODT/HEIC bombs (``tests/office_bombs.py``) through the checker: each gets its sentence (or is
read, its hostile part never decoded) within the file's time and in bounded memory, and no entity is ever
resolved. ``bench/robustness.py`` runs the same files as its "office-bombs" corpus."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from dossier_checker.check import read_file
from dossier_checker.model import FileResult, InputFile, Limits
from dossier_checker.report import file_error_text
from tests.office_bombs import BOMBS

LIMITS = Limits(file_seconds=5.0)
# The second work bomb costs the same as the first: one is enough in the suite (the bench reads both).
SAMPLE = [b for b in BOMBS if b.name != "odt_500k_paragraphs.odt"]


@pytest.mark.timeout(240)
def test_every_office_and_heic_bomb_gets_its_sentence_in_bounded_memory() -> None:
    with ThreadPoolExecutor(2) as pool:
        results: list[FileResult] = list(
            pool.map(lambda bomb: read_file(InputFile(bomb.name, bomb.make()), LIMITS), SAMPLE)
        )
    for bomb, result in zip(SAMPLE, results, strict=True):
        code = result.error.code if result.error is not None else None
        assert code in bomb.expected, (bomb.name, result.error)
        assert result.peak_memory_bytes <= LIMITS.memory_bytes, bomb.name
        if result.error is not None:
            sentence = file_error_text(result, "fr")
            assert sentence and sentence.endswith("."), bomb.name
        text = "\n".join(page.text for page in result.pages)
        assert "root:" not in text and "lollol" not in text, bomb.name  # no entity resolved
    read = {b.name: r for b, r in zip(SAMPLE, results, strict=True)}
    inside = read["docx_png_20000x20000_inside.docx"]
    assert inside.format == "docx" and "STATUTS" in inside.pages[0].text  # the text, not the image
