"""Write ``knowledge/data/examples.jsonl``: the labelled questions the answerer's nearest-neighbour signal reads.

Sources: the development set (``tests/data/questions_dev.yaml``) and the external development set
(``../shared/data/questions_external.jsonl``); never a held-out set. Each line: the question, its gold
articles (first is the label), whether the texts answer it, its source and a group. Paraphrases of one
question (same source, same gold articles, cosine > 0.8) and a follow-up with the question it follows share
a group, so that cross-validation (``bench/qa.py --cv``) keeps them in one fold.

    .venv/bin/python bench/build_examples.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "knowledge" / "data" / "examples.jsonl"
PARAPHRASE = 0.8


def main() -> int:
    """Build and write the example bank."""
    from qa import SETS, load_items

    from nlu.encoder import encode

    rows = []
    for source in ("dev", "external"):
        for item in load_items(SETS[source]):
            if not item.oos and not item.gold:
                continue  # greetings, help, dossier requests: no article to learn
            if item.gold and any(text not in {"", "am-2003-175"} for text, _ in item.gold):
                gold = [
                    f"{text}:{number}" if text not in {"", "am-2003-175"} else number
                    for text, number in item.gold
                ]
            else:
                gold = [number for _, number in item.gold]
            rows.append(
                {"q": item.q, "gold": sorted(gold), "oos": item.oos, "source": source, "kind": item.kind}
            )
    vectors = encode([r["q"] for r in rows])
    parent = list(range(len(rows)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    sims = vectors @ vectors.T
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            same = rows[a]["source"] == rows[b]["source"] and rows[a]["gold"] == rows[b]["gold"]
            if same and sims[a, b] > PARAPHRASE:
                parent[find(a)] = find(b)
    for k in range(1, len(rows)):
        if rows[k]["kind"] == "follow_up" and rows[k]["source"] == rows[k - 1]["source"]:
            parent[find(k)] = find(k - 1)
    names: dict[int, str] = {}
    with OUT.open("w", encoding="utf-8") as fh:
        for k, row in enumerate(rows):
            root = find(k)
            group = names.setdefault(root, f"{row['source']}-{len(names):04d}")
            fh.write(json.dumps({**row, "group": group}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} examples, {len(names)} groups -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
