"""``vetpharma check``: check dossier files from the command line (SPEC §3)."""

from __future__ import annotations

import argparse
import json
import sys

from dossier_checker.answers import AnswerError, parse_answer
from dossier_checker.spec import DOSSIER_IDS, SpecError, load_spec


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument("--dossier", required=True, choices=DOSSIER_IDS, help="dossier type")
    parser.add_argument(
        "--set",
        dest="conditions",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an answer that decides which pieces are required, e.g. owner=company, premises_change=yes",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of labels and messages")
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="PDF files, photos or scans (JPEG, PNG, HEIC), Word or OpenDocument files (DOCX, DOC, ODT); "
        "consecutive photos of one document are read as one document, in order",
    )


def _conditions(dossier: str, pairs: list[str]) -> dict[str, object] | str:
    spec = load_spec(dossier)
    conditions: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            return f"--set expects KEY=VALUE, got {pair!r}"
        field = spec.field(key)
        if field is None:
            conditions[key] = raw.strip()  # not a field of this dossier: kept as given
            continue
        value = parse_answer(field, raw)
        if isinstance(value, AnswerError):
            return f"--set {key}: {value.reason}"
        conditions[key] = value
    return conditions


def run(args: argparse.Namespace) -> int:
    """Check the files and print the report; exit 0 when complete, 1 when not, 2 on a usage error."""
    from dossier_checker.check import check_files
    from dossier_checker.model import InputFile
    from dossier_checker.report import render_report, report_dict

    try:
        conditions = _conditions(args.dossier, args.conditions)
    except SpecError as exc:
        print(f"vetpharma check: {exc}", file=sys.stderr)
        return 2
    if isinstance(conditions, str):
        print(f"vetpharma check: {conditions}", file=sys.stderr)
        return 2
    inputs: list[InputFile] = []
    for path in args.files:
        try:
            inputs.append(InputFile.from_path(path))
        except OSError as exc:
            inputs.append(InputFile(name=path, data=b""))  # reported as an unreadable (empty) file
            print(f"vetpharma check: {path}: {exc.strerror or exc}", file=sys.stderr)
    report = check_files(args.dossier, conditions, inputs)
    if args.json:
        print(json.dumps(report_dict(report, args.lang), ensure_ascii=False))
    else:
        print(render_report(report, args.lang))
    return 0 if report.complete else 1
