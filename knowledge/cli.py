"""``vetpharma article NUMBER [--text ID]``: print one article."""

from __future__ import annotations

import argparse
from pathlib import Path

from knowledge.index import default_codes_store, load_index
from knowledge.render import render_article_lookup


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of the article command."""
    parser.add_argument("number", nargs="+", help="article number: 14, premier, 'art. 14', R4211-63")
    parser.add_argument("--text", default=None, help="text id: am-2003-175 (default), csp, or a code's id")
    parser.add_argument("--lang", default="fr", choices=["fr", "en"])
    parser.add_argument(
        "--codes",
        type=Path,
        default=None,
        help="code corpus store built by 'vetpharma index build --codes DIR' (default: used when present)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the article, or the nearest existing numbers."""
    store = args.codes or default_codes_store()
    index = load_index(store if store.is_file() else None)
    query = " ".join(args.number)
    text = render_article_lookup(query, args.lang, args.text, index)
    print(text)
    return 0 if index.get(query, args.text) is not None else 1
