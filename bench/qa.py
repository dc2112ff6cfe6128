"""Benchmark question answering on the question sets of ``tests/data``.

Prints, for the development and the held-out questions: top-1 and top-3 article accuracy, the share of
answers holding their expected facts, the share of out-of-scope questions declined (and of in-scope ones
wrongly declined), intent accuracy, beside a plain BM25 baseline over whole articles measured in the same
run; then latency per question (p50/p99) with the decree alone and with the whole code corpus loaded,
process start-up time and peak memory. Each latency run is a fresh child process, so peak memory is its own.

    .venv/bin/python bench/qa.py [--set dev|heldout|external|all|PATH]... [--failures] [--no-codes] [--no-latency]

The code corpus is the store ``vetpharma index build --codes`` writes (``var/index/codes.sqlite3``); when
it is missing, ``../shared/corpora/french-codes-en-vigueur.tar.xz`` is unpacked under ``var/`` and stored.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = ROOT / "tests" / "data"
CORPUS = ROOT.parent / "shared" / "corpora" / "french-codes-en-vigueur.tar.xz"
EXTERNAL = ROOT.parent / "shared" / "data" / "questions_external.jsonl"
SETS = {
    "dev": DATA / "questions_dev.yaml",
    "heldout": DATA / "questions_heldout.yaml",
    "external": EXTERNAL,
}
QUESTION_INTENTS = {"rule_question", "calculation", "article_lookup"}
BANDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


@dataclass(frozen=True)
class Item:
    """One benchmark question, whatever the file it came from."""

    q: str
    lang: str
    gold: frozenset[tuple[str, str]]  # (text id or "" for any text, article number)
    facts: tuple[str, ...]
    regex_facts: bool  # jsonl sets hold Python regexes; YAML sets hold folded phrases
    oos: bool
    in_scope: bool  # a question the texts answer (counts for coverage)
    kind: str
    intent: str | None
    group: str  # questions sharing a group (paraphrases, follow-ups) stay in one cross-validation fold


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read one YAML question set."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions: list[dict[str, Any]] = data["questions"]
    return questions


def gold_keys(question: dict[str, Any]) -> set[tuple[str, str]]:
    """Return the gold (text id, article) pairs of a YAML question."""
    keys = set()
    for item in question.get("articles") or []:
        text_id, _, number = str(item).rpartition(":")
        keys.add((text_id or "am-2003-175", number))
    return keys


def load_items(path: Path) -> list[Item]:
    """Read a question set: the project's YAML sets or a jsonl set (format of ../shared/data/README.md)."""
    items: list[Item] = []
    if path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            row = json.loads(line)
            gold = frozenset(("", str(a)) for a in row.get("gold") or [])
            oos = bool(row.get("oos"))
            items.append(
                Item(
                    q=row["q"],
                    lang=row.get("lang", "fr"),
                    gold=gold,
                    facts=tuple(row.get("facts") or ()),
                    regex_facts=True,
                    oos=oos,
                    in_scope=not oos,
                    kind=row.get("kind", "other"),
                    intent=None,
                    group="|".join(sorted(a for _, a in gold)) or f"oos-{n}",
                )
            )
        return items
    for n, q in enumerate(load_questions(path)):
        expect = q.get("answered", True)
        gold = frozenset(gold_keys(q))
        items.append(
            Item(
                q=q["q"],
                lang=q.get("lang", "fr"),
                gold=gold,
                facts=tuple(q.get("facts") or ()),
                regex_facts=False,
                oos=not expect,
                in_scope=bool(expect and q["intent"] in QUESTION_INTENTS),
                kind=q["intent"],
                intent=q["intent"],
                group="|".join(sorted(a for _, a in gold)) or f"q-{n}",
            )
        )
    return items


def _hit(cited: tuple[str, str], gold: frozenset[tuple[str, str]]) -> bool:
    return any(cited[1] == number and (not text or cited[0] == text) for text, number in gold)


def _fact_ok(item: Item, answer: str, fact: str) -> bool:
    from nlu import contains_fact

    if item.regex_facts:
        return re.search(fact, answer, re.I) is not None
    return contains_fact(answer, fact)


def score(items: list[Item], answers: list[Any]) -> dict[str, Any]:
    """Compute every figure of one set (or of one language's part of it) from its answers."""
    n = len(items)
    ranked = [(i, a) for i, a in zip(items, answers, strict=True) if i.gold and not i.oos]
    top1 = sum(
        bool(a.citations) and _hit((a.citations[0].text, a.citations[0].article), i.gold) for i, a in ranked
    )
    top3 = sum(any(_hit((c.text, c.article), i.gold) for c in a.citations[:3]) for i, a in ranked)
    with_facts = [(i, a) for i, a in zip(items, answers, strict=True) if i.facts and not i.oos]
    facts = sum(all(_fact_ok(i, a.answer, f) for f in i.facts) for i, a in with_facts)
    oos = [(i, a) for i, a in zip(items, answers, strict=True) if i.oos]
    declined = sum(not a.answered for _, a in oos)
    in_scope = [(i, a) for i, a in zip(items, answers, strict=True) if i.in_scope]
    direct = [(i, a) for i, a in in_scope if a.answered]
    direct_ranked = [(i, a) for i, a in direct if i.gold]
    right = sum(
        bool(a.citations) and _hit((a.citations[0].text, a.citations[0].article), i.gold)
        for i, a in direct_ranked
    )
    procedure = [(i, a) for i, a in ranked if i.kind == "procedure"]
    proc1 = sum(
        bool(a.citations) and _hit((a.citations[0].text, a.citations[0].article), i.gold)
        for i, a in procedure
    )
    intents = [(i, a) for i, a in zip(items, answers, strict=True) if i.intent]
    intent_ok = sum(
        a.intent == i.intent or (i.intent == "out_of_scope" and not a.answered) for i, a in intents
    )
    bands = []
    for low, high in itertools.pairwise(BANDS):
        band = [
            bool(a.citations) and _hit((a.citations[0].text, a.citations[0].article), i.gold)
            for i, a in direct_ranked
            if low <= a.confidence < high
        ]
        bands.append((low, high, sum(band), len(band)))

    def share(k: int, m: int) -> float:
        return k / m if m else 0.0

    return {
        "questions": n,
        "ranked": len(ranked),
        "with_facts": len(with_facts),
        "oos": len(oos),
        "in_scope": len(in_scope),
        "top1": share(top1, len(ranked)),
        "top3": share(top3, len(ranked)),
        "facts": share(facts, len(with_facts)),
        "oos_declined": share(declined, len(oos)),
        "oos_declined_n": declined,
        "precision": share(right, len(direct_ranked)),
        "coverage": share(len(direct), len(in_scope)),
        "wrong_direct": share(len(direct_ranked) - right, len(in_scope)),
        "wrong_direct_n": len(direct_ranked) - right,
        "procedure_top1": share(proc1, len(procedure)),
        "procedure_n": len(procedure),
        "intent": share(intent_ok, len(intents)) if intents else None,
        "bands": bands,
    }


def failures(items: list[Item], answers: list[Any]) -> list[str]:
    """Describe each question that misses its article, its facts or its decline."""
    lines = []
    for i, a in zip(items, answers, strict=True):
        cited = [c.article for c in a.citations[:3]]
        problems = []
        if i.oos and a.answered:
            problems.append("answered an out-of-scope question")
        if (
            not i.oos
            and i.gold
            and not (a.citations and _hit((a.citations[0].text, a.citations[0].article), i.gold))
        ):
            problems.append(f"top citations {cited}, gold {sorted(g[1] for g in i.gold)}")
        if not i.oos:
            missing = [f for f in i.facts if not _fact_ok(i, a.answer, f)]
            if missing:
                problems.append(f"missing facts {missing}")
        if problems:
            lines.append(
                f"   ✗ {i.q!r} [{i.kind}, {a.intent}, answered={a.answered}, conf {a.confidence:.2f}]: "
                + "; ".join(problems)
            )
    return lines


def print_figures(name: str, figures: dict[str, Any], indent: str = "   ") -> None:
    """Print one set's figures."""
    f = figures
    print(
        f"{indent}top-1 {f['top1']:.3f}   top-3 {f['top3']:.3f}   facts {f['facts']:.3f} "
        f"(of {f['ranked']} ranked, {f['with_facts']} with facts)"
    )
    print(
        f"{indent}direct answers: precision {f['precision']:.3f}   coverage {f['coverage']:.3f} "
        f"(of {f['in_scope']} in scope)   wrong first article answered directly {f['wrong_direct']:.3f} "
        f"({f['wrong_direct_n']})"
    )
    intent = f" intent {f['intent']:.3f}" if f["intent"] is not None else ""
    print(
        f"{indent}out-of-scope declined {f['oos_declined']:.3f} ({f['oos_declined_n']} of {f['oos']})   "
        f"procedure top-1 {f['procedure_top1']:.3f} (of {f['procedure_n']}){intent}"
    )


def print_reliability(figures: dict[str, Any], indent: str = "   ") -> None:
    """Print confidence band -> accuracy of the first article among direct answers."""
    cells = []
    for low, high, right, count in figures["bands"]:
        if count:
            cells.append(f"[{low:.2f},{min(high, 1.0):.2f}) {right / count:.2f} n={count}")
    print(
        f"{indent}reliability (direct answers, confidence band -> first article right): " + "  ".join(cells)
    )


def print_kinds(items: list[Item], answers: list[Any]) -> None:
    """Print top-1 and facts per kind of question (procedure, delay...), French and English apart, with counts."""
    kinds = sorted({i.kind for i in items if i.gold and not i.oos})
    if len(kinds) < 2:
        return
    cells = []
    for kind in kinds:
        part = []
        for lang in ("fr", "en"):
            chosen = [
                (i, a)
                for i, a in zip(items, answers, strict=True)
                if i.kind == kind and i.lang == lang and i.gold and not i.oos
            ]
            if chosen:
                f = score([i for i, _ in chosen], [a for _, a in chosen])
                part.append(f"{lang} {f['top1']:.2f}/{f['facts']:.2f} n={len(chosen)}")
        cells.append(f"{kind} " + ", ".join(part))
    print("   by kind (top-1/facts): " + "; ".join(cells))


def print_configuration() -> None:
    """Print the typed answering configuration (weights, thresholds) the figures were measured with."""
    try:
        from bot.answering.config import load_config
    except ImportError:
        import bot.answer as legacy

        names = [k for k in dir(legacy) if k.isupper() and isinstance(getattr(legacy, k), int | float)]
        print(
            "== configuration (bot.answer constants): "
            + ", ".join(f"{k}={getattr(legacy, k)}" for k in names)
        )
        return
    print("== configuration: " + load_config().describe())


def cv_answerers(folds: int, answerer: Any) -> tuple[list[Any], dict[tuple[str, str], str]]:
    """Return one answerer per fold: the labelled questions and the fitted weights of the other folds only."""
    import pickle

    from train_answering import collect, fold_banks, fold_configs, group_index

    from bot.answering import Answerer

    cache = ROOT / "var" / "cache" / f"train-rows-{folds}.pickle"
    rows = pickle.loads(cache.read_bytes()) if cache.is_file() else collect(folds)
    configs = fold_configs(rows, folds, answerer.context.config.evidence.threshold)
    banks = fold_banks(folds)
    return [
        Answerer(answerer.searcher, warm=False, config=configs[f], neighbours=banks[f]) for f in range(folds)
    ], group_index()


def run_set(
    name: str,
    path: Path,
    answerer: Any,
    show_failures: bool,
    cv: tuple[list[Any], dict[Any, str]] | None = None,
) -> list[str]:
    """Answer one set, print its figures (whole set, then French and English apart) and latency.

    ``cv``: per-fold answerers; a question of the bank is answered by the one that never saw its fold."""
    from train_answering import fold_of

    items = load_items(path)
    answers = []
    times = []
    source = {"questions_dev": "dev", "questions_external": "external"}.get(path.stem, path.stem)
    for item in items:
        chosen = answerer
        if cv is not None:
            group = cv[1].get((source, item.q))
            if group is not None:
                chosen = cv[0][fold_of(group, len(cv[0]))]
        t0 = time.perf_counter()
        answers.append(chosen.answer(item.q))
        times.append((time.perf_counter() - t0) * 1000)
    figures = score(items, answers)
    times.sort()

    def pick(p: float) -> float:
        return times[min(len(times) - 1, round(p * (len(times) - 1)))]

    how = f", cross-validated over {len(cv[0])} folds" if cv is not None else ""
    print(f"== {name} ({path.name}): {len(items)} questions, {figures['oos']} out of scope{how}")
    print_figures(name, figures)
    for lang in ("fr", "en"):
        part = [k for k, i in enumerate(items) if i.lang == lang]
        if part:
            sub = score([items[k] for k in part], [answers[k] for k in part])
            print(f"   -- {lang}: {len(part)} questions")
            print_figures(name, sub, indent="      ")
            print_reliability(sub, indent="      ")
    print_reliability(figures)
    print_kinds(items, answers)
    print(
        f"   latency warm, in process: p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {times[-1]:.1f} ms"
    )
    if show_failures:
        for line in failures(items, answers):
            print(line)
    return [i.q for i in items]


def baseline(items: list[Item]) -> dict[str, float]:
    """Plain BM25 over whole decree articles: folded words, no stemming, synonyms, glossary or typo repair."""
    import bm25s
    import numpy as np

    from knowledge.index import DECREE_ID, load_index
    from knowledge.text import words_of

    articles = list(load_index().articles(DECREE_ID))
    model = bm25s.BM25()
    model.index([words_of(a.text) for a in articles], show_progress=False)
    top1 = top3 = n = 0
    for item in items:
        if not item.gold or item.oos:
            continue
        n += 1
        words = [w for w in words_of(item.q) if w in model.vocab_dict]
        scores = model.get_scores(words) if words else np.zeros(len(articles))
        order = [(DECREE_ID, articles[i].number) for i in np.argsort(-scores)[:3] if scores[i] > 0]
        top1 += bool(order) and _hit(order[0], item.gold)
        top3 += any(_hit(o, item.gold) for o in order)
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


READY = r"""
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from bot.questions import Questions
questions = Questions()
questions.warm_up_in_background()
questions.ready.wait()
ready = time.perf_counter() - t0
firsts = []
for text in {questions!r}:
    t1 = time.perf_counter()
    questions.answer(text, None)
    firsts.append((time.perf_counter() - t1) * 1000)
print(json.dumps({{"ready_s": ready, "first_ms": firsts[0], "max_ms": max(firsts)}}))
"""


def ready_then_first(questions: list[str]) -> dict[str, float]:
    """Start a fresh process as chat and serve do (warm-up in the background), wait until it says it is ready,
    then time its first questions."""
    code = READY.format(root=str(ROOT), questions=questions)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


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
    parser.add_argument(
        "--set",
        action="append",
        help="dev | heldout | external | all (the three), or a path to a .jsonl/.yaml set; repeatable",
    )
    parser.add_argument("--failures", action="store_true", help="list the questions that miss")
    parser.add_argument("--no-codes", action="store_true", help="skip the run with the code corpus loaded")
    parser.add_argument("--no-latency", action="store_true", help="only accuracy figures")
    parser.add_argument(
        "--cv",
        type=int,
        default=0,
        metavar="K",
        help="grouped K-fold: questions of the labelled bank answered without their fold (bench/train_answering.py)",
    )
    args = parser.parse_args()
    from bot.answer import Answerer
    from nlu import warm_up

    answerer = Answerer(warm=False)
    warm_up()
    answerer.warm_up()  # every lazy model loaded before timing
    print_configuration()
    cv = cv_answerers(args.cv, answerer) if args.cv else None
    chosen = args.set or ["all"]
    names: list[tuple[str, Path]] = []
    for name in chosen:
        if name == "all":
            names += [(k, v) for k, v in SETS.items()]
        elif name in SETS:
            names.append((name, SETS[name]))
        else:
            names.append((Path(name).stem, Path(name)))
    every: list[str] = []
    for name, path in names:
        every += run_set(name, path, answerer, args.failures, cv)
        base = baseline(load_items(path))
        print(f"   plain BM25 over whole articles: top-1 {base['top1']:.3f}, top-3 {base['top3']:.3f}")
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
    hard = [
        "On ferme notre entrepôt à la fin du mois : quelles démarches côté ministère ?",
        "combien d'assistants pour un grossiste de 150 personnes ?",
        "Do we need approval before installing a new blister packaging line?",
    ]
    ready = ready_then_first(hard)
    print(
        f"== ready (chat/serve warm-up) after {ready['ready_s']:.2f} s; first question after ready answered in "
        f"{ready['first_ms']:.0f} ms (slowest of {len(hard)}: {ready['max_ms']:.0f} ms)"
    )
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
