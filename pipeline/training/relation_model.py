"""Train the relation classifier (:mod:`pipeline.extract.relations.model`) on the annotated in-domain corpus.

    python -m pipeline.training.relation_model train [--data ../shared/data] [--out models/relations]

Candidate pairs of the annotated documents (gold mentions) are labelled from their records, a
logistic regression (scikit-learn) is fitted on the ``train`` split, per-predicate thresholds are
chosen on ``dev``, and the model is written as ``models/relations/model.json`` with its card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import annotations as annotated  # not `annotations`: the __future__ import's name
from ..annotations import PoolMissing, entity_spans
from ..extract.relations.model import (
    MAX_GAP,
    NONE,
    SYMMETRIC,
    MentionIndex,
    Model,
    candidates,
    mentions_of,
    pair_features,
)
from ..resources import resource


def labelled_pairs(text: str, record: dict) -> Iterable[tuple[list[str], str, tuple[str, str, str, str]]]:
    """``(features, label, (subject, object, subject type, object type))`` for every candidate pair
    of an annotated document.

    A pair is labelled with predicate p when the record has (subject, p, object) and the pair's
    sentence lies inside that relation's evidence (or holds it); COOPERATES_WITH both ways.
    Everything else is ``NONE``.
    """
    ms = mentions_of(entity_spans(text, record.get("entities", [])))
    gold: dict[tuple[str, str], list[tuple[str, list[tuple[int, int]]]]] = {}
    for r in record.get("relations", []):
        ev = (r.get("evidence") or "").strip()
        places, at = [], text.find(ev) if ev else -1
        while at != -1:
            places.append((at, at + len(ev)))
            at = text.find(ev, at + 1)
        gold.setdefault((r["s"], r["o"]), []).append((r["p"], places))
        if r["p"] in SYMMETRIC:
            gold.setdefault((r["o"], r["s"]), []).append((r["p"], places))
    index = MentionIndex(text, ms)
    for sent, i, j in candidates(text, ms):
        a, b = ms[i], ms[j]
        label = NONE
        for p, places in gold.get((a.name, b.name), []):
            if any((lo <= sent[0] and sent[1] <= hi + 1) or (sent[0] <= lo and hi <= sent[1]) for lo, hi in places):
                label = p
                break
        yield pair_features(text, sent, ms, i, j, index), label, (a.name, b.name, a.type, b.type)


def build_dataset(records: dict[str, dict], texts: dict[str, str]):
    """Features, labels and pair keys of every candidate pair of the records' documents."""
    X, y, keys = [], [], []
    for doc_id in sorted(records):
        if doc_id not in texts:
            continue
        for feats, label, key in labelled_pairs(texts[doc_id], records[doc_id]):
            X.append(feats)
            y.append(label)
            keys.append((doc_id, *key))
    return X, y, keys


def fit(
    X: list[list[str]],
    y: list[str],
    C: float = 1.0,
    min_count: int = 2,
    class_weight=None,
    seed: int = 13,
    prune: float = 0.02,
) -> Model:
    """Fit the logistic regression (scikit-learn) and return it as a :class:`Model`.

    Features seen in fewer than ``min_count`` pairs are dropped before fitting; features whose
    weights are all below ``prune`` in size are dropped after (a smaller file, the same decisions).
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for feats in X for f in set(feats))
    rows = [{f: 1 for f in feats if counts[f] >= min_count} for feats in X]
    vec = DictVectorizer()
    matrix = vec.fit_transform(rows)
    clf = LogisticRegression(C=C, max_iter=2000, class_weight=class_weight, random_state=seed)
    clf.fit(matrix, y)
    classes = [str(c) for c in clf.classes_]
    coef = clf.coef_
    bias = [float(b) for b in clf.intercept_]
    if len(classes) == 2:  # binary: sklearn keeps one row; expand to a softmax over two classes
        coef = [[-x / 2 for x in coef[0]], [x / 2 for x in coef[0]]]
        bias = [-bias[0] / 2, bias[0] / 2]
        weights_by_class = coef
    else:
        weights_by_class = coef.tolist()
    names = vec.get_feature_names_out()
    weights = {}
    for col, name in enumerate(names):
        w = [round(float(weights_by_class[k][col]), 4) for k in range(len(classes))]
        if any(abs(x) >= prune for x in w):
            weights[str(name)] = w
    return Model(
        classes=classes,
        weights=weights,
        bias=[round(b, 4) for b in bias],
        thresholds={c: 0.5 for c in classes if c != NONE},
        allowed={},
        info={},
    )


def allowed_types(y: list[str], keys: list[tuple], min_count: int = 1) -> dict[str, list[list[str]]]:
    """Predicate → the (subject type, object type) pairs its training examples have."""
    seen = Counter((label, key[3], key[4]) for label, key in zip(y, keys, strict=False) if label != NONE)
    out: dict[str, list[list[str]]] = {}
    for (label, ts, to), n in sorted(seen.items()):
        if n >= min_count:
            out.setdefault(label, []).append([ts, to])
    return out


def choose_thresholds(
    model: Model,
    X: list[list[str]],
    y: list[str],
    keys: list[tuple],
    grid=(0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8),
    min_gold: int = 3,
) -> tuple[dict[str, float], dict[str, dict]]:
    """Per predicate, the threshold with the best F1 on (deduplicated) pairs of held-out data.

    A predicate with fewer than ``min_gold`` held-out relations keeps 0.5. Returns the thresholds
    and the scores at them.
    """
    probs = [model.probabilities(f) for f in X]
    thresholds, scores = {}, {}
    for k, cls in enumerate(model.classes):
        if cls == NONE:
            continue
        gold = {_key(cls, key) for label, key in zip(y, keys, strict=False) if label == cls}
        best: tuple[float, float, dict[str, Any]] = (-1.0, 0.5, {})
        for t in grid:
            pred = {
                _key(cls, key)
                for p, key in zip(probs, keys, strict=False)
                if p[k] >= t and [key[3], key[4]] in model.allowed.get(cls, [])
            }
            tp = len(pred & gold)
            prec = tp / len(pred) if pred else 0.0
            rec = tp / len(gold) if gold else 0.0
            f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            if f1 > best[0]:
                best = (
                    f1,
                    t,
                    {
                        "gold": len(gold),
                        "predicted": len(pred),
                        "correct": tp,
                        "precision": round(prec, 3),
                        "recall": round(rec, 3),
                        "f1": round(f1, 3),
                    },
                )
        thresholds[cls] = best[1] if len(gold) >= min_gold else 0.5
        scores[cls] = best[2] if len(gold) >= min_gold else {"gold": len(gold)}
    return thresholds, scores


def _key(cls: str, key: tuple) -> tuple:
    doc, s, o = key[0], key[1], key[2]
    return (doc, frozenset((s, o))) if cls in SYMMETRIC else (doc, s, o)


def train(
    data_dir: Path | None = None, out_dir: Path | None = None, C: float = 1.0, class_weight: str | None = None
) -> Model:
    """Train on the annotated ``train`` split, choose thresholds on ``dev``, write the model and its card."""
    started = time.time()
    pool = (Path(data_dir) / "cctv_pool" / "pool.jsonl.gz") if data_dir else annotated.DEFAULT_POOL
    records = annotated.load_records()
    train_rec = annotated.split_records("train", records)
    dev_rec = annotated.split_records("dev", records)
    texts = annotated.pool_texts(list(train_rec) + list(dev_rec), pool=pool)
    X, y, keys = build_dataset(train_rec, texts)
    model = fit(X, y, C=C, class_weight=class_weight)
    model.allowed = allowed_types(y, keys)
    Xd, yd, kd = build_dataset(dev_rec, texts)
    model.thresholds, dev_scores = choose_thresholds(model, Xd, yd, kd)
    batches = sorted(p.name for p in annotated.RECORDS_DIR.glob("*.jsonl"))
    model.info = {
        "trained_on": {
            "documents": len(train_rec),
            "pairs": len(y),
            "batch_files": batches,
            "positives": dict(sorted(Counter(label for label in y if label != NONE).items())),
        },
        "dev": {"documents": len(dev_rec), "pairs": len(yd), "scores_gold_spans": dev_scores},
        "hyperparameters": {
            "C": C,
            "class_weight": class_weight,
            "min_count": 2,
            "max_gap": MAX_GAP,
            "solver": "lbfgs",
            "seed": 13,
        },
        "features": len(model.weights),
        "seconds": round(time.time() - started, 1),
    }
    out_dir = Path(out_dir) if out_dir else Path(resource("lexicons", "rel_cues.txt")).parent.parent / "relations"
    model.save(out_dir / "model.json")
    write_card(model, out_dir / "MODEL_CARD.md")
    return model


#: In MODEL_CARD.md, what follows this line is written by hand (end-to-end scores) and kept on retraining.
CARD_KEEP = "<!-- written by hand below: kept when the model is retrained -->"


def write_card(model: Model, path: Path) -> None:
    """MODEL_CARD.md: data, features, hyperparameters, thresholds and dev scores of ``model``."""
    kept = ""
    if path.is_file() and CARD_KEEP in path.read_text(encoding="utf-8"):
        kept = path.read_text(encoding="utf-8").split(CARD_KEEP, 1)[1]
    info = model.info
    rows = []
    for cls, sc in sorted(info["dev"]["scores_gold_spans"].items()):
        if "f1" in sc:
            rows.append(
                f"| {cls} | {sc['gold']} | {sc['predicted']} | {sc['correct']} | {sc['precision']:.3f} | "
                f"{sc['recall']:.3f} | {sc['f1']:.3f} | {model.thresholds[cls]} |"
            )
        else:
            rows.append(f"| {cls} | {sc['gold']} | | | | | (too few to tune) | {model.thresholds[cls]} |")
    positives = ", ".join(f"{k} {v}" for k, v in info["trained_on"]["positives"].items())
    hp = info["hyperparameters"]
    trained, batches, dev_documents = info["trained_on"], info["trained_on"]["batch_files"], info["dev"]["documents"]
    text = f"""# Relation classifier (models/relations)

Written by `python -m pipeline.training.relation_model train` (do not edit above the marker at the end).

- **What**: a multinomial logistic regression over ordered pairs of entity mentions of one sentence
  (classes: NONE and the predicates), applied in plain Python from `model.json`
  (`pipeline/extract/relations/model.py`, trained by `pipeline/training/relation_model.py`); combined with
  the rules per `combine.tsv` in `pipeline/extract/__init__.py`.
- **Data**: the project's annotated CCTV items (`models/annotations/cctv`, split in `selection.tsv`):
  {trained["documents"]} train documents ({len(batches)} batch files,
  {batches[0]} to {batches[-1]}), {trained["pairs"]} candidate pairs;
  positives: {positives}.
  Mentions are the gold names and aliases matched in the text (`pipeline.annotations.entity_spans`);
  a pair is positive when the record has the relation and the pair's sentence is its evidence.
  The test split is never read.
- **Features** ({info["features"]} kept): types and order of the pair, distance and mentions between (bucketed),
  character bigrams between (other mentions masked to their type), two characters either side, the
  gap itself when short, clause breaks between, trigger words between/before/after (the rules'
  vocabularies in `pipeline/extract/relations/vocabulary.py` and `models/lexicons/rel_cues.txt`: negation, 陪同 roles,
  membership, subordination, location), a title between or after, list gaps (、和及), adjacency,
  administrative levels of two regions, the subject opening the sentence.
- **Hyperparameters**: C={hp["C"]}, class_weight={hp["class_weight"]}, lbfgs,
  features seen in ≥ {hp["min_count"]} pairs, weights under 0.02 pruned, pairs at most {hp["max_gap"]} characters apart,
  seed {hp["seed"]}.
  Training took {info["seconds"]} s on this machine (2 shared cores).
- **Thresholds** per predicate: the best pair-level F1 on dev ({dev_documents} documents, gold mentions);
  predicates with fewer than 3 dev relations keep 0.5.
- **Confidence**: the class probability (no class weights, so it stays close to calibrated).

## Dev scores on gold mentions (pair level, de-duplicated per document)

| predicate | gold | predicted | correct | P | R | F1 | threshold |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

{CARD_KEEP}"""
    path.write_text(text + kept, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.training.relation_model", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on the annotated train split, thresholds on dev")
    t.add_argument("--data", type=Path, default=None, help="the shared data folder (holds cctv_pool/)")
    t.add_argument("--out", type=Path, default=None, help="output folder (default models/relations)")
    t.add_argument("--C", type=float, default=1.0)
    t.add_argument("--class-weight", default=None, choices=[None, "balanced"])
    args = parser.parse_args(argv)
    try:
        model = train(args.data, args.out, C=args.C, class_weight=args.class_weight)
    except PoolMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in model.info.items()}, ensure_ascii=False, indent=1))
    print("thresholds:", model.thresholds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
