"""The whole hostile corpus (../shared/corpora/bad-pdfs.tar.xz) through the checker, in one dossier:
each file gets pages or one clear sentence, the process survives, and a good file among them is found."""

from __future__ import annotations

import random
import tarfile
from pathlib import Path

import pytest

from dossier_checker.check import check_files
from dossier_checker.model import InputFile, Limits
from dossier_checker.report import file_error_text
from tests.pdfgen import content, render

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "bad-pdfs.tar.xz"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not CORPUS.is_file():
        pytest.skip(
            f"hostile corpus not found at {CORPUS} (it lives in the shared folder beside the repository)"
        )
    target = tmp_path_factory.mktemp("badpdfs")
    with tarfile.open(CORPUS) as tar:
        tar.extractall(target, filter="data")
    return sorted(p for p in target.rglob("*") if p.is_file())


@pytest.mark.slow
def test_every_hostile_file_gets_an_answer(corpus: list[Path]) -> None:
    assert len(corpus) >= 190
    lease = render.to_pdf(content.premises_title(random.Random(4), "dev"), random.Random(4))
    inputs = [InputFile.from_path(p) for p in corpus] + [InputFile("bail.pdf", lease)]
    limits = Limits()
    report = check_files("opening", {}, inputs, limits)
    assert len(report.files) == len(inputs)
    by_name = {Path(f.name).name: f for f in report.files}
    for result in report.files:
        if result.error is None:
            assert result.page_count >= 1, result.name
        else:
            sentence = file_error_text(result, "fr")
            assert sentence and sentence.endswith("."), result.name
        assert result.peak_memory_bytes <= limits.memory_bytes
    codes = {f.error.code for f in report.files if f.error}
    assert "file_encrypted" in codes  # pdfminer's and pdfplumber's password samples
    bomb = by_name["flate-bomb-1gib.pdf"]
    assert bomb.error is not None and bomb.error.code in {
        "file_too_complex",
        "file_too_slow",
        "file_crashed_parser",
    }
    assert by_name["password-example.pdf"].error is not None
    assert by_name["bail.pdf"].error is None
    assert next(p for p in report.pieces if p.id == "premises_title").status == "present"
    assert [p.id for p in report.pieces if p.status == "present"] == ["premises_title"]
