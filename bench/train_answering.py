"""Fit the learned parts of the answering on the development sets, with grouped k-fold cross-validation.

For every question of ``tests/data/questions_dev.yaml`` and ``../shared/data/questions_external.jsonl``
(never a held-out set), whatever route answers it (search, calculator, situation, formality, look-up,
definition), the evidence is collected with a bank of labelled questions that leaves out the question's own
fold (its paraphrases and follow-ups included), with the route and the article it puts first. Then: the
ranker's weights (softmax over candidate articles) and the confidence's weights (one logistic model for every
route: is the first article right?) are fitted fold by fold, the cross-validated figures printed (by source,
language and route, and the reliability table), the threshold of a direct answer chosen on the
cross-validated confidences, and the weights fitted on everything written to ``config/answering.toml``.

    .venv/bin/python bench/train_answering.py [--folds 5] [--precision 0.98] [--dry-run]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import pickle
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CONFIG = ROOT / "config" / "answering.toml"


@dataclass
class Row:
    """One labelled question, with the route that answered it and the evidence its confidence is weighed from."""

    source: str
    fold: int
    gold: frozenset[str]
    oos: bool
    lang: str
    kind: str
    route: str  # rule | computed | formality | lookup | definition ("" declined before any search)
    first: str | None  # the article the route puts first (a searched answer: the ranker's choice)
    assumed: bool
    route_answered: bool  # the route would answer directly at a high enough confidence
    evidence: Any  # confidence.Evidence


def fold_of(group: str | None, folds: int) -> int:
    """Return the fold of a group of examples (stable across runs)."""
    return zlib.crc32(group.encode()) % folds if group else 0


def fold_banks(folds: int) -> list[Any]:
    """Return, for each fold, the bank of labelled questions without that fold's groups."""
    from bot.answering.neighbours import load_neighbours

    bank = load_neighbours()
    groups = {e.group for e in bank.examples if e.source in {"dev", "external"}}
    return [bank.without({g for g in groups if fold_of(g, folds) == f}) for f in range(folds)]


def group_index() -> dict[tuple[str, str], str]:
    """Return each labelled question's group, by (source, text)."""
    from bot.answering.neighbours import read_examples

    return {(e.source, e.text): e.group for e in read_examples()}


def collect(folds: int) -> list[Row]:
    """Answer every labelled question with its fold's bank; keep its route, first article and evidence."""
    from qa import SETS, load_items
    from train_answering import Row as PickledRow  # named by its module, not __main__, in the cache

    from bot.answering import Answerer
    from bot.answering.context import Context
    from nlu import understand, warm_up

    warm_up()
    banks = fold_banks(folds)
    groups = group_index()
    base = Answerer(warm=False)
    answerers = [Answerer(base.searcher, warm=False) for _ in range(folds)]
    for f, answerer in enumerate(answerers):
        answerer.context = Context(base.searcher, base.context.config, banks[f])
    rows = []
    for source in ("dev", "external"):
        for item in load_items(SETS[source]):
            if not item.oos and not item.gold:
                continue
            f = fold_of(groups.get((source, item.q)), folds)
            answerer = answerers[f]
            u = understand(item.q)
            a = answerer.answer(item.q, None, u)
            if a.parts or a.evidence is None:
                continue  # two questions in one, or no claim weighed (a greeting, a dossier)
            first = a.citations[0].article if a.citations and a.route not in {"rule", ""} else None
            rows.append(
                PickledRow(
                    source,
                    f,
                    frozenset(n for _, n in item.gold),
                    item.oos,
                    item.lang,
                    item.kind,
                    a.route,
                    first,
                    a.assumed,
                    a.route != "" and (a.route == "rule" or a.answered or (a.clarify is None and _hedged(a))),
                    a.evidence,
                )
            )
    return rows


def _hedged(answer: Any) -> bool:
    """Tell whether an answer was a direct one turned into the closest passages by its confidence."""
    from bot.answering.context import phrase

    return bool(answer.answer.startswith(phrase(answer.lang, "closest_passages")))


def fit_ranker(rows: list[Row], l2: float = 0.001, iters: int = 1500, step: float = 1.0) -> np.ndarray:
    """Fit the softmax weights over candidates (gold candidates share the target)."""
    data = []
    for r in rows:
        found = r.evidence.ranking.candidates
        if r.oos or not found:
            continue
        y = np.array([c.article in r.gold for c in found], dtype=float)
        if y.sum() == 0:
            continue
        data.append((np.array([c.features for c in found]), y / y.sum()))
    # Candidates padded to one length, with a mask: one matrix product per step instead of one per question.
    k = max(len(t) for _, t in data)
    x = np.zeros((len(data), k, len(data[0][0][0])))
    target = np.zeros((len(data), k))
    mask = np.zeros((len(data), k), dtype=bool)
    for i, (xi, ti) in enumerate(data):
        x[i, : len(ti)] = xi
        target[i, : len(ti)] = ti
        mask[i, : len(ti)] = True
    w = np.zeros(x.shape[2])
    for _ in range(iters):
        s = np.where(mask, x @ w, -np.inf)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = np.einsum("nk,nkf->f", p - target, x)
        w -= step * (grad / max(1, len(data)) + l2 * w)
    return w


def evidence_of(row: Row, weights: np.ndarray) -> tuple[str | None, tuple[float, ...]]:
    """Return the route's first article (a searched answer: the ranker's pick with these weights) and its
    evidence features."""
    from bot.answering.confidence import features
    from bot.answering.ranker import rank

    ranking = rank(row.evidence.ranking.candidates, tuple(weights))
    evidence = dataclasses.replace(row.evidence, ranking=ranking)
    chosen = row.first if row.route != "rule" else None
    if chosen is None:
        chosen = ranking.candidates[0].article if ranking.candidates else None
    return chosen, features(evidence, chosen, row.route or "rule", row.assumed)


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 0.01, iters: int = 4000, step: float = 0.5
) -> np.ndarray:
    """Fit a logistic model; the bias and the route indicators are not shrunk (how often each route is right
    is the data's to say), the evidence weights are."""
    from bot.answering.confidence import ROUTE_FEATURES

    free = np.array([n == "bias" or n.startswith("route_") for n in ROUTE_FEATURES])
    w = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= step * (x.T @ (p - y) / len(y) + l2 * np.where(free, 0.0, w))
    return w


def fit(rows: list[Row]) -> tuple[np.ndarray, np.ndarray]:
    """Fit the ranker, then the confidence on the ranker's own choices."""
    ranker = fit_ranker(rows)
    xs, ys = [], []
    for r in rows:
        if not r.route:
            continue  # declined before any search: no claim to weigh
        chosen, features = evidence_of(r, ranker)
        xs.append(features)
        ys.append(float(not r.oos and chosen in r.gold))
    return ranker, fit_logistic(np.array(xs), np.array(ys))


def cross_validate(rows: list[Row], folds: int) -> list[tuple[Row, str | None, float]]:
    """Return, for each row, the article and confidence of models fitted without its fold."""
    out = []
    for f in range(folds):
        ranker, conf = fit([r for r in rows if r.fold != f])
        for r in rows:
            if r.fold == f:
                chosen, features = evidence_of(r, ranker)
                p = 1 / (1 + math.exp(-float(np.dot(conf, features)))) if r.route else 0.0
                out.append((r, chosen, p if r.route_answered else -p))
    return out


def choose_threshold(scored: list[tuple[Row, str | None, float]], precision: float, coverage: float) -> float:
    """Return the lowest threshold whose direct answers are right this often (cross-validated), unless it
    answers directly fewer than ``coverage`` of the in-scope questions: then the highest one that does not."""
    in_scope = [p for r, _, p in scored if not r.oos]
    for t in np.arange(0.30, 0.99, 0.01):
        answered = [(r, c) for r, c, p in scored if p >= t]
        right = sum(not r.oos and c in r.gold for r, c in answered)
        covered = sum(p >= t for p in in_scope) / max(1, len(in_scope))
        if covered < coverage:
            return float(round(t - 0.01, 2))
        if answered and right / len(answered) >= precision:
            return float(round(t, 2))
    return 0.99


def report(scored: list[tuple[Row, str | None, float]], threshold: float) -> None:
    """Print the cross-validated figures of every route, per source and language, then per route."""
    for source in ("dev", "external"):
        for lang in (None, "fr", "en"):
            part = [
                (r, c, p) for r, c, p in scored if r.source == source and (lang is None or r.lang == lang)
            ]
            ins = [(r, c, p) for r, c, p in part if not r.oos]
            oos = [(r, c, p) for r, c, p in part if r.oos]
            if not ins:
                continue
            top1 = sum(c in r.gold for r, c, _ in ins) / len(ins)
            direct = [(r, c) for r, c, p in ins if p >= threshold]
            right = sum(c in r.gold for r, c in direct)
            declined = sum(p < threshold for _, _, p in oos)
            print(
                f"   {source:8s} {lang or 'all':3s} all routes: {len(ins)} in scope, top-1 {top1:.3f}, "
                f"direct {len(direct)} (coverage {len(direct) / len(ins):.3f}) precision "
                f"{right / max(1, len(direct)):.3f}; out of scope not answered {declined}/{len(oos)}"
            )
    for route in ("rule", "computed", "formality", "lookup", "definition", ""):
        ins = [(r, c, p) for r, c, p in scored if r.route == route and not r.oos]
        if not ins:
            continue
        direct = [(r, c) for r, c, p in ins if p >= threshold]
        right = sum(c in r.gold for r, c in direct)
        print(
            f"   route {route or 'declined':10s}: {len(ins)} in scope, first article right "
            f"{sum(c in r.gold for r, c, _ in ins) / len(ins):.3f}, direct {len(direct)} precision "
            f"{right / max(1, len(direct)):.3f}"
        )
    bands = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
    cells = []
    for low, high in itertools.pairwise(bands):
        band = [not r.oos and c in r.gold for r, c, p in scored if low <= p < high]
        if band:
            cells.append(f"[{low:.2f},{min(high, 1):.2f}) {sum(band) / len(band):.2f} n={len(band)}")
    print("   reliability (cross-validated): " + "  ".join(cells))


def write_config(ranker: np.ndarray, conf: np.ndarray, threshold: float) -> None:
    """Write the fitted weights and the threshold into config/answering.toml."""
    text = CONFIG.read_text(encoding="utf-8")

    def put(section: str, key: str, value: str) -> None:
        nonlocal text
        pattern = rf"(\[{section}\](?:(?!\n\[).)*?\n{key} = )[^\n]*"
        text, n = re.subn(pattern, lambda m: m.group(1) + value, text, count=1, flags=re.S)
        if n != 1:
            raise SystemExit(f"{CONFIG}: [{section}] {key} not found")

    put("ranker", "weights", "[" + ", ".join(f"{v:.3f}" for v in ranker) + "]")
    put("evidence", "weights", "[" + ", ".join(f"{v:.3f}" for v in conf) + "]")
    put("evidence", "threshold", f"{threshold:.2f}")
    CONFIG.write_text(text, encoding="utf-8")


def fold_configs(rows: list[Row], folds: int, threshold: float) -> list[Any]:
    """Return one answering configuration per fold, fitted without that fold (for ``bench/qa.py --cv``)."""
    from bot.answering.config import load_config

    base = load_config()
    configs = []
    for f in range(folds):
        ranker, conf = fit([r for r in rows if r.fold != f])
        configs.append(
            dataclasses.replace(
                base,
                ranker=dataclasses.replace(base.ranker, weights=tuple(float(v) for v in ranker)),
                evidence=dataclasses.replace(
                    base.evidence, weights=tuple(float(v) for v in conf), threshold=threshold
                ),
            )
        )
    return configs


def main() -> int:
    """Fit, report and write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--precision", type=float, default=0.98)
    parser.add_argument(
        "--coverage", type=float, default=0.85, help="least share of in-scope answered directly"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the figures, leave the configuration")
    parser.add_argument("--reuse", action="store_true", help="reuse the evidence collected by the last run")
    args = parser.parse_args()
    from bot.answering.confidence import ROUTE_FEATURES
    from bot.answering.ranker import RANK_FEATURES

    cache = ROOT / "var" / "cache" / f"train-rows-{args.folds}.pickle"
    if args.reuse and cache.is_file():
        rows = pickle.loads(cache.read_bytes())
    else:
        rows = collect(args.folds)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(rows))
    print(
        f"{len(rows)} labelled questions ({sum(r.oos for r in rows)} out of scope), by route: "
        + ", ".join(
            f"{k or 'declined'} {sum(r.route == k for r in rows)}" for k in sorted({r.route for r in rows})
        )
    )
    scored = cross_validate(rows, args.folds)
    threshold = choose_threshold(scored, args.precision, args.coverage)
    print(
        f"threshold (cross-validated precision >= {args.precision} unless coverage < {args.coverage}): {threshold}"
    )
    report(scored, threshold)
    ranker, conf = fit(rows)
    print("ranker weights: " + ", ".join(f"{n}={v:.2f}" for n, v in zip(RANK_FEATURES, ranker, strict=True)))
    print(
        "confidence weights: " + ", ".join(f"{n}={v:.2f}" for n, v in zip(ROUTE_FEATURES, conf, strict=True))
    )
    if not args.dry_run:
        write_config(ranker, conf, threshold)
        print(f"written to {CONFIG.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
