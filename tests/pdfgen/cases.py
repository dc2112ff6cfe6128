"""Fixture dossiers: files (PDF bundles, scans, photos, decoys) with the status each piece should get.

``dev`` cases are the ones the checker's signals were tuned on; ``heldout`` cases use other seeds and the
held-out wordings of ``content`` and are only ever measured (bench/check.py, tests), never tuned on.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from dossier_checker.spec import load_spec
from tests.pdfgen import content, render
from tests.pdfgen.content import Doc, Split


@dataclass
class Case:
    name: str
    dossier: str
    conditions: dict[str, object]
    files: list[tuple[str, bytes]]
    expected: dict[str, str]  # piece id -> present | missing
    ocr: bool = False  # needs OCR (slow)
    tags: set[str] = field(default_factory=set)


OPENING_COMPANY = [
    "diploma",
    "premises_title",
    "floor_plan",
    "statutes",
    "company_registration",
    "designation_decision",
]


def _expected(dossier: str, present: set[str]) -> dict[str, str]:
    return {p.id: ("present" if p.document_kind in present else "missing") for p in load_spec(dossier).pieces}


def _make(kind: str, rng: random.Random, split: Split) -> Doc:
    maker: Callable[..., Doc] = content.PIECE_MAKERS[kind]
    if kind == "diploma":
        return maker(rng, split, language=rng.choice(["fr", "fr", "it", "en"]))
    if kind == "premises_title":
        return maker(rng, split, variant=rng.choice(["lease", "lease", "notarial"]))
    if kind == "company_registration":
        return maker(rng, split, variant=rng.choice(["rci", "rci", "kbis"]))
    if kind == "acquisition_act":
        return maker(rng, split, variant=rng.choice(["sale", "lease_management"]))
    return maker(rng, split)


def _decoy(name: str, rng: random.Random, split: Split) -> Doc:
    return content.DECOY_MAKERS[name](rng, split)


def _pdf(doc: Doc, rng: random.Random) -> bytes:
    return render.to_pdf(doc, rng)


def _text_cases(split: Split, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    rounds = 3
    for r in range(rounds):
        # Opening, company, one file per piece.
        files = [(f"{k}_{r}.pdf", _pdf(_make(k, rng, split), rng)) for k in OPENING_COMPANY]
        cases.append(
            Case(
                f"opening_separate_{r}",
                "opening",
                {"owner": "company"},
                files,
                _expected("opening", set(OPENING_COMPANY)),
                tags={"text"},
            )
        )
        # Opening, individual owner: three pieces.
        kinds = ["diploma", "premises_title", "floor_plan"]
        files = [(f"{k}.pdf", _pdf(_make(k, rng, split), rng)) for k in kinds]
        cases.append(
            Case(
                f"opening_individual_{r}",
                "opening",
                {"owner": "individual"},
                files,
                _expected("opening", set(kinds)),
                tags={"text"},
            )
        )
        # One shuffled bundle with a cover letter and an invoice inside.
        docs = [_make(k, rng, split) for k in OPENING_COMPANY] + [
            _decoy("letter", rng, split),
            _decoy("invoice", rng, split),
        ]
        rng.shuffle(docs)
        bundle = render.merge([_pdf(d, rng) for d in docs])
        cases.append(
            Case(
                f"opening_bundle_{r}",
                "opening",
                {"owner": "company"},
                [(f"dossier_{r}.pdf", bundle)],
                _expected("opening", set(OPENING_COMPANY)),
                tags={"text", "bundle"},
            )
        )
        # Missing pieces, replaced by decoys that look like them.
        present = set(rng.sample(OPENING_COMPANY, 3))
        docs = [
            _make(k, rng, split) for k in sorted(present)
        ]  # sets iterate in hash order: sort for reproducible cases
        docs += [_decoy(n, rng, split) for n in ("cv", "sketch", "brochure", "invoice")]
        rng.shuffle(docs)
        files = [(f"piece_{i}.pdf", _pdf(d, rng)) for i, d in enumerate(docs)]
        cases.append(
            Case(
                f"opening_missing_decoys_{r}",
                "opening",
                {"owner": "company"},
                files,
                _expected("opening", present),
                tags={"text", "decoys"},
            )
        )
        # Modification with premises change.
        kinds = ["plans_before_after", "impact_note", "premises_title"]
        files = [(f"{k}.pdf", _pdf(_make(k, rng, split), rng)) for k in kinds]
        cases.append(
            Case(
                f"modification_{r}",
                "modification",
                {"premises_change": True},
                files,
                _expected("modification", set(kinds)),
                tags={"text"},
            )
        )
        # Modification bundle without the plans, with a sketch instead.
        docs = [_make("impact_note", rng, split), _decoy("sketch", rng, split), _decoy("invoice", rng, split)]
        rng.shuffle(docs)
        cases.append(
            Case(
                f"modification_noplans_{r}",
                "modification",
                {"premises_change": False},
                [("modif.pdf", render.merge([_pdf(d, rng) for d in docs]))],
                _expected("modification", {"impact_note"}),
                tags={"text", "bundle", "decoys"},
            )
        )
        # Transfer: everything, minutes of both companies, shuffled bundle.
        kinds = [*OPENING_COMPANY, "conditions_statement", "acquisition_act"]
        docs = [_make(k, rng, split) for k in kinds] + [
            content.board_minutes(rng, split),
            content.board_minutes(rng, split),
        ]
        rng.shuffle(docs)
        cases.append(
            Case(
                f"transfer_bundle_{r}",
                "transfer",
                {"owner": "company", "transfer_kind": "ownership"},
                [("transfert.pdf", render.merge([_pdf(d, rng) for d in docs]))],
                _expected("transfer", {*kinds, "board_minutes"}),
                tags={"text", "bundle"},
            )
        )
        # Transfer without act or minutes; a convocation and a lease look a little like them.
        kinds = ["diploma", "premises_title", "floor_plan", "conditions_statement"]
        docs = [_make(k, rng, split) for k in kinds] + [
            _decoy("convocation", rng, split),
            _decoy("cv", rng, split),
        ]
        files = [(f"t_{i}.pdf", _pdf(d, rng)) for i, d in enumerate(docs)]
        cases.append(
            Case(
                f"transfer_missing_{r}",
                "transfer",
                {"owner": "individual"},
                files,
                _expected("transfer", set(kinds)),
                tags={"text", "decoys"},
            )
        )
        # A copier's "searchable PDF": the text layer is OCR output, with its errors.
        docs = [content.with_ocr_errors(_make(k, rng, split), rng) for k in OPENING_COMPANY]
        docs.append(content.with_ocr_errors(_decoy("cv", rng, split), rng))
        cases.append(
            Case(
                f"opening_ocr_text_layer_{r}",
                "opening",
                {"owner": "company"},
                [(f"copieur_{i}.pdf", _pdf(d, rng)) for i, d in enumerate(docs)],
                _expected("opening", set(OPENING_COMPANY)),
                tags={"text", "ocr_layer"},
            )
        )
        # Only decoys.
        docs = [_decoy(n, rng, split) for n in content.DECOY_MAKERS]
        files = [(f"d_{i}.pdf", _pdf(d, rng)) for i, d in enumerate(docs)]
        cases.append(
            Case(
                f"decoys_only_{r}",
                "transfer",
                {"owner": "company"},
                files,
                _expected("transfer", set()),
                tags={"text", "decoys"},
            )
        )
        # Partial transfer: opening pieces for the part, act and minutes, modification pieces.
        kinds = [*OPENING_COMPANY, "acquisition_act", "plans_before_after", "impact_note"]
        docs = [_make(k, rng, split) for k in kinds] + [
            content.board_minutes(rng, split),
            content.board_minutes(rng, split),
        ]
        files = [(f"p_{i}.pdf", _pdf(d, rng)) for i, d in enumerate(docs)]
        cases.append(
            Case(
                f"partial_transfer_{r}",
                "partial_transfer",
                {"owner": "company", "premises_change": True},
                files,
                _expected("partial_transfer", {*kinds, "board_minutes"}),
                tags={"text"},
            )
        )
    return cases


def _ocr_cases(split: Split, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    # Scanned pieces: one per file, each a different kind and degradation.
    kinds = [
        "diploma",
        "premises_title",
        "floor_plan",
        "statutes",
        "company_registration",
        "designation_decision",
    ]
    files = []
    for k in kinds:
        doc = _make(k, rng, split)
        pdf = _pdf(doc, rng)
        files.append(
            (
                f"scan_{k}.pdf",
                render.scanned(
                    pdf,
                    rng,
                    dpi=rng.choice([150, 200]),
                    blur=rng.choice([0.0, 0.6, 1.0]),
                    noise=rng.choice([6.0, 12.0, 18.0]),
                ),
            )
        )
    cases.append(
        Case(
            "opening_scanned",
            "opening",
            {"owner": "company"},
            files,
            _expected("opening", set(kinds)),
            ocr=True,
            tags={"scan"},
        )
    )
    # Phone photos of three pieces, one stored sideways with an EXIF orientation; a photographed invoice.
    kinds = ["diploma", "premises_title", "impact_note"]
    files = [
        (f"photo_{k}.jpg", render.photo(_pdf(_make(k, rng, split), rng), rng, exif_rotate=(i == 1)))
        for i, k in enumerate(kinds)
    ]
    files.append(("photo_invoice.jpg", render.photo(_pdf(_decoy("invoice", rng, split), rng), rng)))
    cases.append(
        Case(
            "photos",
            "modification",
            {"premises_change": True},
            files,
            _expected("modification", {"premises_title", "impact_note"}),
            ocr=True,
            tags={"photo"},
        )
    )
    cases.append(
        Case(
            "photos_opening",
            "opening",
            {"owner": "individual"},
            files[:2],
            _expected("opening", {"diploma", "premises_title"}),
            ocr=True,
            tags={"photo"},
        )
    )
    # A scanned transfer bundle: minutes of both companies, a scanned sketch decoy.
    docs = [
        content.board_minutes(rng, split),
        content.board_minutes(rng, split),
        _make("acquisition_act", rng, split),
        _decoy("sketch", rng, split),
    ]
    rng.shuffle(docs)
    bundle = render.scanned(render.merge([_pdf(d, rng) for d in docs]), rng, dpi=200)
    cases.append(
        Case(
            "transfer_scanned_bundle",
            "transfer",
            {"owner": "company"},
            [("scan_bundle.pdf", bundle)],
            _expected("transfer", {"board_minutes", "acquisition_act"}),
            ocr=True,
            tags={"scan", "bundle"},
        )
    )
    return cases


SEEDS = {"dev": (101, 202), "heldout": (9001, 9002)}


@functools.cache
def cases(split: Split, ocr: bool = True) -> tuple[Case, ...]:
    """Build (once per process) the fixture dossiers of a split; with ``ocr``, the scanned ones too."""
    text_seed, ocr_seed = SEEDS[split]
    built = _text_cases(split, text_seed)
    if ocr:
        built += _ocr_cases(split, ocr_seed)
    return tuple(built)
