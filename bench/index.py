"""Benchmark the article index: build time and peak memory (decree alone, decree + code corpus), load time,
look-up time. Each measurement runs in a fresh child process so peak memory is its own.

    .venv/bin/python bench/index.py [--corpus ../shared/corpora/french-codes-en-vigueur.tar.xz]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "french-codes-en-vigueur.tar.xz"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
task, arg, store = sys.argv[1], sys.argv[2], sys.argv[3]
import knowledge.index  # imports are not part of the figures
t0 = time.perf_counter()
out = {{}}
if task == "build-decree":
    from knowledge.index import build_core_index
    doc = build_core_index()
    out["articles"] = len(doc["articles"])
elif task == "build-codes":
    from knowledge.index import build_core_index, build_codes_store
    build_core_index()
    path, count = build_codes_store(Path(arg), Path(store))
    out["articles"] = count
elif task == "load":
    from knowledge.index import load_index
    idx = load_index(Path(store) if store != "-" else None)
    out["load_s"] = time.perf_counter() - t0
    numbers = ["premier", "14", "art. 37", "64", "R4211-63"] * 200
    t1 = time.perf_counter()
    for n in numbers:
        assert idx.get(n) is not None
    out["lookup_us"] = (time.perf_counter() - t1) / len(numbers) * 1e6
    if store != "-":
        code_numbers = ["1240", "L110-1", "R4211-63", "L5121-5", "171 octies A"] * 200
        t1 = time.perf_counter()
        found = sum(1 for n in code_numbers if idx.get_all(n))
        out["code_lookup_us"] = (time.perf_counter() - t1) / len(code_numbers) * 1e6
        out["code_found"] = found / len(code_numbers)
        out["code_articles"] = len(idx.codes)
out["seconds"] = time.perf_counter() - t0
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def child(task: str, arg: str = "-", store: str = "-") -> dict[str, float]:
    code = CHILD.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, task, arg, store], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()

    decree = child("build-decree")
    print(
        f"build, decree + shipped texts: {decree['articles']:.0f} articles in {decree['seconds'] * 1000:.0f} ms, "
        f"peak {decree['peak_mb']:.0f} MB"
    )
    load = child("load")
    print(
        f"load stored index (decree): {load['load_s'] * 1000:.1f} ms; look-up {load['lookup_us']:.1f} µs/article; "
        f"peak {load['peak_mb']:.0f} MB"
    )
    if not args.corpus.exists():
        print(f"corpus not found at {args.corpus}: skipping the code corpus figures")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(args.corpus) as archive:
            archive.extractall(tmp, filter="data")
        folder = next(p for p in Path(tmp).iterdir() if p.is_dir())
        store = Path(tmp) / "codes.sqlite3"
        codes = child("build-codes", str(folder), str(store))
        print(
            f"build, decree + code corpus: {codes['articles']:.0f} code articles in {codes['seconds']:.1f} s, "
            f"peak {codes['peak_mb']:.0f} MB, store {store.stat().st_size / 1e6:.0f} MB"
        )
        loaded = child("load", "-", str(store))
        print(
            f"load stored index (decree + {loaded['code_articles']:.0f} code articles): "
            f"{loaded['load_s'] * 1000:.1f} ms; decree look-up {loaded['lookup_us']:.1f} µs; "
            f"code look-up {loaded['code_lookup_us']:.1f} µs (found {loaded['code_found']:.0%}); "
            f"peak {loaded['peak_mb']:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
