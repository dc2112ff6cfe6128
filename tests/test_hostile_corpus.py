"""A sample of the second hostile corpus (../shared/corpora/hostile-2.tar.xz) through the checker: every
file gets pages or one clear sentence within its time, in bounded memory, and the valid controls are read.
``bench/robustness.py`` runs all of it (and the first corpus) and prints the figures."""

from __future__ import annotations

import random
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dossier_checker.check import read_file
from dossier_checker.model import FileResult, InputFile, Limits
from dossier_checker.report import file_error_text

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "hostile-2.tar.xz"
CHOSEN = (
    "crafted/jpeg_25000x25000_white.jpg",
    "crafted/jpeg_sof_65000x65000_tiny.jpg",
    "crafted/png_ihdr_2e9x2e9.png",
    "crafted/png_ztxt_bomb_50MB.png",
    "crafted/tiff_dims_1e9.tif",
    "crafted/pdf_content_60pages_20k_glyphs.pdf",
    "crafted/pdf_1M_kids_same_page.pdf",
    "crafted/pdf_pagetree_self_loop.pdf",
    "crafted/pdf_xref_prev_self_loop.pdf",
    "crafted/pdf_objstm_n_1e9.pdf",
    "crafted/pdf_form_xobject_loop.pdf",
    "crafted/pdf_image_flate_1GB.pdf",
    "crafted/pdf_mediabox_1e38_text.pdf",
    "crafted/pdf_userunit_75000.pdf",
    "crafted/zip_then_pdf_polyglot.pdf",
    "crafted/pdf_encrypt_unknown_filter.pdf",
    "good/diploma.pdf",
    "good/lease.pdf",
)
LIMITS = Limits(file_seconds=5.0)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not CORPUS.is_file():
        pytest.skip(
            f"hostile corpus not found at {CORPUS} (it lives in the shared folder beside the repository)"
        )
    target = tmp_path_factory.mktemp("hostile2")
    with tarfile.open(CORPUS) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        others = sorted(
            m.name
            for m in members
            if m.name.split("/", 1)[-1].split("/")[0] in {"pillow", "pypdf", "qpdf_extra"}
        )
        wanted = {f"hostile-2/{name}" for name in CHOSEN} | set(random.Random(16).sample(others, 12))
        tar.extractall(target, members=[m for m in members if m.name in wanted], filter="data")
    files = sorted(p for p in target.rglob("*") if p.is_file())
    assert len(files) == len(CHOSEN) + 12
    return files


def test_every_sampled_hostile_file_gets_pages_or_one_sentence_in_bounded_memory(sample: list[Path]) -> None:
    with ThreadPoolExecutor(2) as pool:
        results: list[FileResult] = list(
            pool.map(lambda p: read_file(InputFile.from_path(p), LIMITS), sample)
        )
    by_name = {Path(r.name).name: r for r in results}
    for result in results:
        if result.error is None:
            assert result.page_count >= 1 and (result.pages or result.unread_pages), result.name
        else:
            sentence = file_error_text(result, "fr")
            assert sentence and sentence.endswith("."), result.name
        assert result.peak_memory_bytes <= LIMITS.memory_bytes, result.name
    for good in ("diploma.pdf", "lease.pdf"):
        assert by_name[good].error is None and by_name[good].pages
    bomb = by_name["jpeg_25000x25000_white.jpg"]
    assert bomb.error is not None and bomb.error.code == "image_too_big"
    told = file_error_text(bomb, "fr") or ""
    assert "40 Mpx" in told and "decompression" not in told and "80" not in told
    slow = by_name["pdf_content_60pages_20k_glyphs.pdf"]
    assert (slow.error is not None and slow.error.code == "file_too_slow") or slow.unread_pages
