"""Benchmark the answers that read the user's situation, per kind of question, on the external question set.

Prints, for each kind (calculator, date_calc, experience, replacement, staffing, follow_up by default):
the count, top-1, top-3 and the share of answers holding their expected facts; with ``--failures``, the
questions that miss. The set is read-only evaluation data (``../shared/data/questions_external.jsonl``).

    .venv/bin/python bench/situations.py [--kinds calculator,date_calc] [--failures]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXTERNAL = ROOT.parent / "shared" / "data" / "questions_external.jsonl"
KINDS = ("calculator", "date_calc", "experience", "replacement", "staffing", "follow_up")


def load_external(path: Path = EXTERNAL) -> list[dict[str, Any]]:
    """Read the external set in the layout of ``bench/qa.py`` (q, intent, articles, facts, answered)."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        questions.append(
            {
                "q": item["q"],
                "kind": item.get("kind", ""),
                "intent": "out_of_scope" if item.get("oos") else "rule_question",
                "answered": not item.get("oos"),
                "articles": item.get("gold") or [],
                "facts": item.get("facts") or [],
            }
        )
    return questions


def has_fact(answer: str, pattern: str) -> bool:
    """Tell whether an answer states a fact of the external set (a regular expression, case ignored)."""
    from nlu.text import fold

    return bool(re.search(pattern, answer, re.I) or re.search(fold(pattern), fold(answer), re.I))


def score(questions: list[dict[str, Any]], answers: list[Any]) -> dict[str, Any]:
    """Compute top-1, top-3 and facts for some questions of the external set, and list the misses."""
    from bench.qa import gold_keys

    top1 = top3 = facts = 0
    failures = []
    for q, a in zip(questions, answers, strict=True):
        cited = [(c.text, c.article) for c in a.citations]
        gold = gold_keys(q)
        hit1 = bool(cited) and cited[0] in gold
        top1 += hit1
        top3 += bool(set(cited[:3]) & gold)
        missing = [f for f in q["facts"] if not has_fact(a.answer, f)]
        facts += not missing
        problems = []
        if not hit1:
            problems.append(f"top citations {[c[1] for c in cited[:3]]}, gold {sorted(g[1] for g in gold)}")
        if missing:
            problems.append(f"missing facts {missing}")
        if problems:
            failures.append((q["q"], a.intent, a.answered, problems))
    n = max(len(questions), 1)
    return {"top1": top1 / n, "top3": top3 / n, "facts": facts / n, "failures": failures}


def main() -> int:
    """Print the figures per kind."""
    from bot.answer import Answerer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds of the external set")
    parser.add_argument("--failures", action="store_true", help="list the questions that miss")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    answerer = Answerer()
    every = load_external()
    total: list[tuple[dict[str, Any], Any]] = []
    for kind in kinds:
        questions = [q for q in every if q["kind"] == kind and q["answered"]]
        if not questions:
            continue
        answers = [answerer.answer(q["q"]) for q in questions]
        total += list(zip(questions, answers, strict=True))
        figures = score(questions, answers)
        print(
            f"== {kind}: {len(questions)} questions   top-1 {figures['top1']:.3f}   top-3 {figures['top3']:.3f}   "
            f"facts {figures['facts']:.3f}"
        )
        if args.failures:
            for text, intent, answered, problems in figures["failures"]:
                print(f"   ✗ {text!r} [{intent}, answered={answered}]: {'; '.join(problems)}")
    if total:
        figures = score([q for q, _ in total], [a for _, a in total])
        print(
            f"== all these kinds: {len(total)} questions   top-1 {figures['top1']:.3f}   "
            f"top-3 {figures['top3']:.3f}   facts {figures['facts']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
