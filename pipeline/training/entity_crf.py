"""Train the learned entity CRF (:mod:`pipeline.extract.entities.crf`) on the annotated in-domain corpus.

    python -m pipeline.training.entity_crf train [--pool PATH] [--out models/entity_crf]   (make train)
    python -m pipeline.training.entity_crf curve                                            (make eval)

Each annotated CCTV item goes through the pipeline's first stages (read, normalize, clean, repeats
inside the document skipped); the base recognizers' spans of its paragraphs (cached on disk: they
are the slow part) and the item's annotated names become features and labels. ``train`` writes the
model, the learned-only model and the known-names lexicon; ``curve`` scores CRFs trained on growing
shares of the training documents on the test split.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import multiprocessing
import os
import random
import shelve
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from .. import annotations as annotated  # not `annotations`: the __future__ import's name
from ..annotations import PoolMissing, entity_spans, split_records
from ..dedup import local_dedup
from ..document import Span
from ..extract.entities import base_recognize_document, model_spans_of
from ..extract.entities.crf import (
    KNOWN_FILE,
    LEARNED_ONLY_FILE,
    MODEL_FILE,
    EntityCRF,
    KnownNames,
    features,
    labels,
    record_forms,
    spans_from_tags,
)
from ..resources import models_dir
from ..stages import prepare_text

TRAINER_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}
SEED = 13
#: The code and data the base recognizers' spans depend on: the cache is named by their digest.
PIPELINE_DIR = Path(__file__).resolve().parent.parent


def _paragraphs(text: str) -> list[str] | None:
    """The paragraphs of a document as the pipeline sees them (repeats skipped); None when it fails."""
    doc = prepare_text(text, source="<train>")
    return [p.text for p in local_dedup(doc).paragraphs if not p.duplicate_of] if doc.ok else None


def _paragraphs_key(texts: list[str]) -> str:
    return hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()


def _base_spans(texts: list[str]) -> tuple[list[list[Span]], list[list[Span]]]:
    """The base recognizers' spans and the HanLP model's raw spans of a document's paragraphs."""
    return base_recognize_document(texts), [model_spans_of(t) for t in texts]


def fill_base_cache(documents: list[list[str]], jobs: int = 2) -> int:
    """Run the base recognizers over the documents (each a list of paragraphs, :func:`_paragraphs`)
    not yet in the cache, ``jobs`` processes at once (the cache itself is written by this process
    only). Returns how many documents were computed. The workers are spawned, not forked: a fork
    taken while torch's thread pool is up (the HanLP model loaded earlier in the process) can
    deadlock the child."""
    cache = _base_cache()
    missing = [paragraphs for paragraphs in documents if _paragraphs_key(paragraphs) not in cache]
    if jobs > 1 and len(missing) > 1:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for paragraphs, spans in zip(missing, pool.map(_base_spans, missing, chunksize=4), strict=False):
                cache[_paragraphs_key(paragraphs)] = spans
    else:
        for paragraphs in missing:
            cache[_paragraphs_key(paragraphs)] = _base_spans(paragraphs)
    cache.sync()
    return len(missing)


def document_examples(
    text: str, record: dict | None, known: KnownNames | None = None, in_known: bool = False
) -> list[tuple[list[list[str]], list[str] | None, str]]:
    """``(features, labels, paragraph text)`` for each paragraph of one document, as the pipeline
    sees it (read, normalize, clean; repeats inside the document skipped). Labels from the record's
    names and aliases matched in the paragraph (``annotations.entity_spans``); None without a record.
    ``in_known``: the record is one of those ``known`` was built from (its own names are discounted)."""
    texts = _paragraphs(text)
    return [] if texts is None else paragraph_examples(texts, record, known, in_known)


def paragraph_examples(
    texts: list[str], record: dict | None, known: KnownNames | None = None, in_known: bool = False
) -> list[tuple[list[list[str]], list[str] | None, str]]:
    """:func:`document_examples` for a document already split into its paragraphs."""
    cache = _base_cache()
    key = _paragraphs_key(texts)
    if key not in cache:  # the base recognizers are the slow part: computed once per code and model
        cache[key] = _base_spans(texts)
    base, model = cache[key]
    own = frozenset(record_forms(record)) if record and in_known else frozenset()
    out = []
    for t, spans, model_spans in zip(texts, base, model, strict=False):
        gold = [(s, e, ty) for s, e, ty, _ in entity_spans(t, record["entities"])] if record else None
        out.append((features(t, spans, model_spans, known, own), labels(t, gold) if gold is not None else None, t))
    return out


@lru_cache(maxsize=1)
def _base_cache():
    """A disk cache of the base recognizers' spans per document, for training and the learning curve.

    Keyed by the document's paragraphs; the file is named by a digest of what produces the spans
    (the recognizer code, the word lists, the HanLP model), so any change starts a new cache.
    Lives in ``$XDG_CACHE_HOME/cluster-kb`` (default ``~/.cache``), never in the repository.
    """
    digest = hashlib.sha1()
    entities_dir = PIPELINE_DIR / "extract" / "entities"
    sources = [path for path in sorted(entities_dir.glob("*.py")) if path.name != "crf.py"]  # not the CRF itself
    sources += [PIPELINE_DIR / "extract" / "resolve.py", PIPELINE_DIR / "ner_model.py"]
    # only the word lists the base recognizers read (pipeline/extract/entities: ent_*.txt), not the metric or
    # relation lists
    sources += sorted((models_dir() / "lexicons").glob("ent_*.txt")) + [models_dir() / "ner" / "model.pt"]
    for path in sources:
        digest.update(path.read_bytes())
    folder = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cluster-kb"
    folder.mkdir(parents=True, exist_ok=True)
    cache = shelve.open(str(folder / f"crf-base-{digest.hexdigest()[:16]}"))
    atexit.register(cache.close)  # the portable dbm backend writes its index on close
    return cache


def build_examples(
    split: str, pool: Path | None = None, limit: int = 0, known: KnownNames | None = None
) -> list[tuple[list[list[str]], list[str] | None, str]]:
    """Training (or scoring) examples of one split of the annotated corpus (labelled: every document
    has its record); ``known`` is the lexicon built from the train split (its documents' own names
    are discounted in their features)."""
    records = annotated.split_records(split)
    ids = sorted(records)[: limit or None]
    texts = annotated.pool_texts(ids, **({"pool": pool} if pool else {}))
    documents: dict[str, list[str]] = {}
    for doc_id in ids:
        paragraphs = _paragraphs(texts[doc_id]) if doc_id in texts else None
        if paragraphs is not None:
            documents[doc_id] = paragraphs
    fill_base_cache(list(documents.values()))  # both cores for the slow part
    examples = []
    for doc_id, paragraphs in documents.items():
        examples += paragraph_examples(paragraphs, records[doc_id], known, in_known=split == "train")
    return examples


def train(examples, out: Path, params: dict | None = None, file_name: str = MODEL_FILE) -> Path:
    """Train a CRF on ``examples`` and write ``out/FILE_NAME``."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for feats, tags, _ in examples:
        trainer.append(feats, tags)
    trainer.set_params({**TRAINER_PARAMS, **(params or {})})
    out.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out / file_name))
    return out / file_name


def span_scores(model_path: Path, examples) -> dict[str, float]:
    """Exact-span precision, recall and F1 of a model on examples (the quick check beside make eval)."""
    crf = EntityCRF(model_path)
    gold = predicted = correct = 0
    for feats, tags, text in examples:
        want = {(s.start, s.end, s.type) for s in spans_from_tags(text, tags)}
        got = {(s.start, s.end, s.type) for s in spans_from_tags(text, crf.tagger.tag(feats))}
        gold, predicted, correct = gold + len(want), predicted + len(got), correct + len(want & got)
    p, r = correct / max(predicted, 1), correct / max(gold, 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4), "gold": gold}


def learning_curve(train_examples, test_examples, fractions=(0.25, 0.5, 1.0)) -> list[tuple[float, int, dict]]:
    """Exact-span scores on ``test_examples`` of CRFs trained on growing shares of the training
    documents' paragraphs (the same seed-shuffled order): does more annotation pay?"""
    order = list(train_examples)
    random.Random(SEED).shuffle(order)
    _JOBS["curve"], _JOBS["curve_test"] = order, test_examples
    with (
        tempfile.TemporaryDirectory() as tmp,
        ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool,
    ):
        return list(pool.map(_curve_job, [(fraction, Path(tmp) / f"{fraction}") for fraction in fractions]))


def _curve_job(job: tuple[float, Path]) -> tuple[float, int, dict]:
    fraction, out = job
    part = _JOBS["curve"][: max(1, int(len(_JOBS["curve"]) * fraction))]
    return fraction, len(part), span_scores(train(part, out), _JOBS["curve_test"])


_JOBS: dict[str, list] = {}


def _train_job(job: tuple[Path, str]) -> Path:
    """Train one of the two models in a worker: the learned-only one computes its own features."""
    out, file_name = job
    examples = _JOBS["examples"]
    if file_name == LEARNED_ONLY_FILE:
        examples = [(features(text, None, None), tags, text) for _, tags, text in examples]
    return train(examples, out, file_name=file_name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.training.entity_crf", description=__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        choices=["train", "curve"],
        help="train: write the models; curve: test-split span F1 at 25/50/100%% of the training data",
    )
    parser.add_argument("--pool", type=Path, default=None, help="the CCTV pool (default ../shared/data/cctv_pool)")
    parser.add_argument("--out", type=Path, default=models_dir() / "entity_crf")
    parser.add_argument("--fraction", type=float, default=1.0, help="train on this share of the training documents")
    args = parser.parse_args(argv)
    started = time.time()
    known = KnownNames.from_records(split_records("train"))
    try:
        train_examples = build_examples("train", args.pool, known=known)
        dev_examples = build_examples("dev", args.pool, known=known) if args.command == "train" else []
    except PoolMissing as exc:
        print(f"cannot train: {exc}", file=sys.stderr)
        return 1
    if args.command == "curve":
        test_examples = build_examples("test", args.pool, known=known)
        print(f"{'training share':>15}{'paragraphs':>12}{'P':>8}{'R':>8}{'F1':>8}   (test split, exact spans)")
        for fraction, n, score in learning_curve(train_examples, test_examples):
            print(f"{fraction:>15.0%}{n:>12}{score['precision']:>8.3f}{score['recall']:>8.3f}{score['f1']:>8.3f}")
        return 0
    if args.fraction < 1:
        random.Random(SEED).shuffle(train_examples)
        train_examples = train_examples[: int(len(train_examples) * args.fraction)]
    # the two models train at once, one per core (forked: the examples are shared, not copied)
    _JOBS["examples"] = train_examples
    args.out.mkdir(parents=True, exist_ok=True)
    known.save(args.out / KNOWN_FILE)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        path, only_path = pool.map(_train_job, [(args.out, MODEL_FILE), (args.out, LEARNED_ONLY_FILE)])
    dev = span_scores(path, dev_examples)
    dev_learned_only = span_scores(only_path, [(features(t, None, None), tags, t) for _, tags, t in dev_examples])
    card = {
        "trained_on": time.strftime("%Y-%m-%d"),
        "train_paragraphs": len(train_examples),
        "dev_paragraphs": len(dev_examples),
        "params": TRAINER_PARAMS,
        "dev_exact_span": dev,
        "dev_exact_span_learned_only": dev_learned_only,
        "seconds": round(time.time() - started),
    }
    (args.out / "training.json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
