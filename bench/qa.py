"""Benchmark question answering on the question sets of ``tests/data``.

Prints, for the development and the held-out questions: top-1 and top-3 article accuracy, the share of
answers holding their expected facts, the share of out-of-scope questions declined (and of in-scope ones
wrongly declined), intent accuracy, beside a plain BM25 baseline over whole articles measured in the same
run; then latency per question (p50/p99) with the decree alone and with the whole code corpus loaded,
process start-up time and peak memory. Each latency run is a fresh child process, so peak memory is its own.

    .venv/bin/python bench/qa.py [--set dev|heldout|all] [--failures] [--no-codes]

The code corpus is the store ``vetpharma index build --codes`` writes (``var/index/codes.sqlite3``); when
it is missing, ``../shared/corpora/french-codes-en-vigueur.tar.xz`` is unpacked under ``var/`` and stored.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data"
CORPUS = ROOT.parent / "shared" / "corpora" / "french-codes-en-vigueur.tar.xz"
SETS = {"dev": DATA / "questions_dev.yaml", "heldout": DATA / "questions_heldout.yaml"}


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read one question set."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions: list[dict[str, Any]] = data["questions"]
    return questions


def gold_keys(question: dict[str, Any]) -> set[tuple[str, str]]:
    """Return the gold (text id, article) pairs of a question."""
    keys = set()
    for item in question.get("articles") or []:
        text_id, _, number = str(item).rpartition(":")
        keys.add((text_id or "am-2003-175", number))
    return keys


def score_answers(questions: list[dict[str, Any]], answers: list[Any]) -> dict[str, Any]:
    """Compute the figures for one set from its answers."""
    from nlu import contains_fact

    top1 = top3 = n_ranked = 0
    facts_ok = n_facts = 0
    declined = n_oos = 0
    wrongly_declined = n_inscope = 0
    intent_ok = 0
    failures = []
    for q, a in zip(questions, answers, strict=True):
        expect_answered = q.get("answered", True)
        intent_ok += a.intent == q["intent"] or (q["intent"] == "out_of_scope" and not a.answered)
        cited = [(c.text, c.article) for c in a.citations]
        gold = gold_keys(q)
        problems = []
        if not expect_answered:
            n_oos += 1
            declined += not a.answered
            if a.answered:
                problems.append("answered an out-of-scope question")
        else:
            if q["intent"] in {"rule_question", "calculation", "article_lookup"}:
                n_inscope += 1
                wrongly_declined += not a.answered
            if gold:
                n_ranked += 1
                hit1 = bool(cited) and cited[0] in gold
                top1 += hit1
                top3 += bool(set(cited[:3]) & gold)
                if not hit1:
                    problems.append(
                        f"top citations {[c[1] for c in cited[:3]]}, gold {sorted(g[1] for g in gold)}"
                    )
            if q.get("facts"):
                n_facts += 1
                missing = [f for f in q["facts"] if not contains_fact(a.answer, f)]
                facts_ok += not missing
                if missing:
                    problems.append(f"missing facts {missing}")
        if problems:
            failures.append((q["q"], a.intent, a.answered, problems))
    return {
        "questions": len(questions),
        "top1": top1 / n_ranked if n_ranked else 0.0,
        "top3": top3 / n_ranked if n_ranked else 0.0,
        "facts": facts_ok / n_facts if n_facts else 0.0,
        "oos_declined": declined / n_oos if n_oos else 0.0,
        "wrongly_declined": wrongly_declined / n_inscope if n_inscope else 0.0,
        "intent": intent_ok / len(questions),
        "ranked": n_ranked,
        "with_facts": n_facts,
        "oos": n_oos,
        "failures": failures,
    }


def baseline(questions: list[dict[str, Any]]) -> dict[str, float]:
    """Plain BM25 over whole decree articles: folded words, no stemming, synonyms, glossary or typo repair."""
    import bm25s
    import numpy as np

    from knowledge.index import DECREE_ID, load_index
    from knowledge.search import words_of

    articles = list(load_index().articles(DECREE_ID))
    model = bm25s.BM25()
    model.index([words_of(a.text) for a in articles], show_progress=False)
    top1 = top3 = n = 0
    for q in questions:
        gold = gold_keys(q)
        if not gold or not q.get("answered", True):
            continue
        n += 1
        words = [w for w in words_of(q["q"]) if w in model.vocab_dict]
        scores = model.get_scores(words) if words else np.zeros(len(articles))
        order = [(DECREE_ID, articles[i].number) for i in np.argsort(-scores)[:3] if scores[i] > 0]
        top1 += bool(order) and order[0] in gold
        top3 += bool(set(order) & gold)
    return {"top1": top1 / n if n else 0.0, "top3": top3 / n if n else 0.0}


def codes_store() -> Path | None:
    """Return the code corpus store, unpacking and storing the corpus when needed."""
    from knowledge.index import build_codes_store, default_codes_store

    store = default_codes_store()
    if store.is_file():
        return store
    if not CORPUS.is_file():
        return None
    target = ROOT / "var"
    folder = target / "codes-en-vigueur"
    if not folder.is_dir():
        with tarfile.open(CORPUS) as tar:
            tar.extractall(target, filter="data")
    path, _ = build_codes_store(folder, store)
    return path


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from pathlib import Path
from bot.answer import Answerer
from knowledge.search import Searcher
from knowledge.index import load_index
from nlu import warm_up
store = sys.argv[1]
questions = json.loads(sys.stdin.read())
index = load_index(Path(store) if store != "-" else None)
answerer = Answerer(Searcher(index))
warm_up()
if store != "-":
    answerer.searcher.codes()  # load (or build once) the code corpus search index
ready = time.perf_counter() - t0
times = []
for text in questions:
    t1 = time.perf_counter()
    answerer.answer(text)
    times.append((time.perf_counter() - t1) * 1000)
times.sort()
pick = lambda p: times[min(len(times) - 1, int(round(p * (len(times) - 1))))]
print(json.dumps({{"ready_s": ready, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": times[-1],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


# Questions that name a code: with the corpus loaded they search it (the decree questions never do).
CODE_QUESTIONS = [
    "Que dit le code civil sur la réparation du dommage causé à autrui par sa faute ?",
    "Selon le code de commerce, qui doit s'immatriculer au registre du commerce et des sociétés ?",
    "code rural : prescription vétérinaire des aliments médicamenteux",
    "Que prévoit le code de la santé publique sur le certificat de conformité aux bonnes pratiques ?",
    "code du travail durée maximale hebdomadaire de travail",
    "Dans le code de la consommation, quel est le délai de rétractation ?",
    "code de la route vitesse maximale en agglomération",
    "code pénal peine encourue pour le vol",
    "article 1240 du code civil",
    "article L5143-2 du code de la santé publique",
]


def latency(questions: list[str], store: Path | None) -> dict[str, float]:
    """Answer every question in a fresh child process; return start-up, p50/p99 and peak memory."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), str(store) if store else "-"],
        input=json.dumps(questions),
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def startup() -> tuple[float, float]:
    """Time fresh processes (median of three): to a first answer, and to the language model loaded too."""
    first = sorted(
        _startup_once('answer_question("délai de réponse pour une modification ?")') for _ in range(3)
    )
    warm = sorted(_startup_once('answer_question("x"); from nlu import warm_up; warm_up()') for _ in range(3))
    return first[1], warm[1]


def _startup_once(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bot.answer import answer_question; {code}",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--failures", action="store_true", help="list the questions that miss")
    parser.add_argument("--no-codes", action="store_true", help="skip the run with the code corpus loaded")
    parser.add_argument("--no-latency", action="store_true", help="only accuracy figures")
    args = parser.parse_args()
    from bot.answer import Answerer

    answerer = Answerer()
    names = ["dev", "heldout"] if args.set == "all" else [args.set]
    every: list[str] = []
    for name in names:
        questions = load_questions(SETS[name])
        every += [q["q"] for q in questions]
        answers = [answerer.answer(q["q"]) for q in questions]
        figures = score_answers(questions, answers)
        base = baseline(questions)
        print(
            f"== {name}: {figures['questions']} questions ({figures['ranked']} with gold articles, "
            f"{figures['with_facts']} with facts, {figures['oos']} out of scope)"
        )
        print(
            f"   top-1 {figures['top1']:.3f}   top-3 {figures['top3']:.3f}   "
            f"(plain BM25 over whole articles: top-1 {base['top1']:.3f}, top-3 {base['top3']:.3f})"
        )
        print(
            f"   facts {figures['facts']:.3f}   out-of-scope declined {figures['oos_declined']:.3f}   "
            f"in-scope wrongly declined {figures['wrongly_declined']:.3f}   intent {figures['intent']:.3f}"
        )
        if args.failures:
            for text, intent, answered, problems in figures["failures"]:
                print(f"   ✗ {text!r} [{intent}, answered={answered}]: {'; '.join(problems)}")
    if args.no_latency:
        return 0
    alone = latency(every, None)
    print(
        f"== latency, decree alone ({len(every)} questions): p50 {alone['p50_ms']:.1f} ms, "
        f"p99 {alone['p99_ms']:.1f} ms, max {alone['max_ms']:.1f} ms; ready in {alone['ready_s']:.2f} s; "
        f"peak memory {alone['peak_mb']:.0f} MB"
    )
    first, warm = startup()
    print(f"== process start-up: first answer after {first:.2f} s; language model loaded after {warm:.2f} s")
    if not args.no_codes:
        store = codes_store()
        if store is None:
            print("== code corpus: not found, skipped")
        else:
            codes = latency(every, store)
            print(
                f"== latency, with the code corpus ({store.name}): p50 {codes['p50_ms']:.1f} ms, "
                f"p99 {codes['p99_ms']:.1f} ms, max {codes['max_ms']:.1f} ms; ready in {codes['ready_s']:.2f} s; "
                f"peak memory {codes['peak_mb']:.0f} MB"
            )
            named = latency(CODE_QUESTIONS * 5, store)
            print(
                f"== latency, {len(CODE_QUESTIONS)} questions naming a code (searched in the corpus, x5): "
                f"p50 {named['p50_ms']:.1f} ms, p99 {named['p99_ms']:.1f} ms, max {named['max_ms']:.1f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
