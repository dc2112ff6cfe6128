"""``vetpharma ask [QUESTION] [--json]``: answer one question, or one question per line of standard input.

With ``--json`` each answer is one JSON object on one line (SPEC §3), in input order. Input that is not
UTF-8 is read with replacement characters; an empty line gets the same reply as an empty message.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.answer import Answer, Answerer


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``vetpharma ask``."""
    parser.add_argument("question", nargs="?", help="the question (default: one question per stdin line)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per answer, one per line")
    parser.add_argument(
        "--lang", choices=["fr", "en"], help="answer in this language when the question's is unclear"
    )
    parser.add_argument(
        "--codes",
        metavar="STORE",
        help="also load a code corpus store (built by 'vetpharma index build --codes'); 'auto': the default one",
    )


def _answerer(codes: str | None) -> Answerer:
    if not codes:
        return Answerer()
    from knowledge.index import default_codes_store, load_index
    from knowledge.search import Searcher

    store = default_codes_store() if codes == "auto" else Path(codes)
    if not store.is_file():
        print(
            f"vetpharma ask: no code corpus store at {store}; answering from the shipped texts",
            file=sys.stderr,
        )
        return Answerer()
    return Answerer(Searcher(load_index(store)))


def _print(answer: Answer, as_json: bool, several: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json_dict(), ensure_ascii=False), flush=True)
        return
    if several:
        print(f"» {answer.question}")
    print(answer.answer, end="\n\n" if several else "\n", flush=True)


def run(args: argparse.Namespace) -> int:
    """Answer the question given, or every line of standard input in order."""
    answerer = _answerer(args.codes)
    if args.question is not None:
        _print(answerer.answer(args.question, args.lang), args.json, several=False)
        return 0
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        _print(answerer.answer(line, args.lang), args.json, several=True)
    return 0
