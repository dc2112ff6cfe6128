"""``vetpharma index build [--codes DIR]``: rebuild the stored article index."""

from __future__ import annotations

import argparse
import tarfile
import tempfile
import time
from pathlib import Path

from knowledge.index import STORED_INDEX, build_codes_store, default_codes_store, write_core_index


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of the index command."""
    parser.add_argument("action", choices=["build"])
    parser.add_argument(
        "--codes", type=Path, default=None, help="folder (or .tar.xz) of code articles to index"
    )
    parser.add_argument("--store", type=Path, default=None, help="where to write the code corpus store")


def run(args: argparse.Namespace) -> int:
    """Rebuild the index of the shipped texts, and of a code corpus when given."""
    started = time.perf_counter()
    document = write_core_index()
    print(f"{len(document['articles'])} articles of {len(document['texts'])} texts -> {STORED_INDEX}")
    if args.codes is not None:
        store = args.store or default_codes_store()
        if args.codes.is_file():
            with tempfile.TemporaryDirectory() as tmp:
                with tarfile.open(args.codes) as archive:
                    archive.extractall(tmp, filter="data")
                roots = [p for p in Path(tmp).iterdir() if p.is_dir()]
                path, count = build_codes_store(roots[0] if len(roots) == 1 else Path(tmp), store)
        else:
            path, count = build_codes_store(args.codes, store)
        print(f"{count} code articles -> {path}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
