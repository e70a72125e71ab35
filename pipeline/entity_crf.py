"""A learned entity recognizer for all nine types: a linear-chain CRF over characters (CRFsuite).

The rules and the HanLP model are its *inputs*, not its final word (issue 17): each character
carries features of its context (characters and bigrams around it), of jieba's segmentation (word
boundary, part of speech), of the region gazetteer, and the BIO tags of what the base recognizers
found (``sys``: the rules merged with the model, ``mdl``: the HanLP model's raw spans). The CRF,
trained on the project's annotated in-domain corpus (``models/annotations``), learns when to trust
them, where their boundaries are wrong and what they miss.

    python -m pipeline.entity_crf train [--pool PATH] [--out models/entity_crf]   (make train)
    python -m pipeline.entity_crf curve                                            (make eval)

Inference: :class:`EntityCRF` tags a document's paragraphs; within a document every surface keeps
one type (the most frequent), as an annotator writes each entity once.
"""
from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import multiprocessing
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from .clusters import shipped_clusters
from .document import Span
from .resources import models_dir, resource

MODEL_FILE = "model.crfsuite"
# The same CRF without the base recognizers' tags as features: the "learned only" row of make eval.
LEARNED_ONLY_FILE = "learned_only.crfsuite"
TRAINER_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}
SEED = 13


def _bio(n: int, spans: list[tuple[int, int, str]], prefix: str = "") -> list[str]:
    tags = ["O"] * n
    for start, end, type_ in spans:
        if 0 <= start < end <= n:
            tags[start] = f"B-{prefix}{type_}"
            for i in range(start + 1, end):
                tags[i] = f"I-{prefix}{type_}"
    return tags


def _char_class(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff":
        return "han"
    if ch.isdigit():
        return "digit"
    if ch.isascii() and ch.isalpha():
        return "latin"
    return "punct" if not ch.isspace() else "space"


def features(text: str, base: list[Span] | None, model: list[Span] | None,
             known: KnownNames | None = None, own: frozenset[str] = frozenset()) -> list[list[str]]:
    """The CRF's features for every character of one paragraph.

    ``base`` are the spans the rules and the model agreed on (the system without the CRF), ``model``
    the HanLP model's raw spans; both None for the learned-only model. Segmentation and gazetteer
    matches come from ``entities.analyze`` (cached: the rules computed them already). ``known`` are
    the names the training documents annotate (:class:`KnownNames`), matched as BIO tags; ``own`` the
    names of the document itself when it is one of those training documents (left out of its count).
    """
    from .entities import analyze, surnames

    n = len(text)
    toks, regions = analyze(text)
    seg, pos, word = ["S"] * n, ["x"] * n, [""] * n
    for t in toks:
        for i in range(t.start, t.end):
            seg[i] = "S" if t.end - t.start == 1 else "B" if i == t.start else "E" if i == t.end - 1 else "M"
            pos[i], word[i] = t.pos, t.word
    gaz = _bio(n, [(s, e, r.level) for s, e, r in regions])
    use_base = base is not None
    sys_tags = _bio(n, [(s.start, s.end, s.type) for s in base or []])
    mdl_tags = _bio(n, [(s.start, s.end, s.type) for s in model or []])
    known_tags = known.tags(text, own) if known is not None else None
    names = surnames()
    padded = "\x02\x02" + text + "\x03\x03"
    out = []
    for i in range(n):
        c = text[i]
        p1, p2, n1, n2 = padded[i + 1], padded[i], padded[i + 3], padded[i + 4]
        f = ["bias", f"c={c}", f"c-1={p1}", f"c+1={n1}", f"c-2={p2}", f"c+2={n2}",
             f"b-1={p1}{c}", f"b+1={c}{n1}", f"t={p1}{c}{n1}", f"cls={_char_class(c)}",
             f"seg={seg[i]}", f"pos={pos[i]}", f"segpos={seg[i]}{pos[i]}", f"gaz={gaz[i]}"]
        f += cluster_features(c, p1, n1, word[i])
        if known_tags is not None:
            f.append(f"kn={known_tags[i]}")
        if use_base:
            f += [f"sys={sys_tags[i]}", f"mdl={mdl_tags[i]}", f"sysmdl={sys_tags[i]}|{mdl_tags[i]}",
                  f"sys-1={sys_tags[i - 1] if i else 'BOS'}", f"sys+1={sys_tags[i + 1] if i + 1 < n else 'EOS'}"]
        if len(word[i]) <= 6:
            f.append(f"w={word[i]}")
        if seg[i] in ("E", "S"):
            f.append(f"wend={word[i][-2:]}")  # the head of the word ending here (公司, 党委, 园区)
        if seg[i] in ("B", "S") and c in names:
            f.append("surname")
        out.append(f)
    return out


KNOWN_FILE = "known.tsv"
#: A name counts as known when at least this many training documents annotate it (for a training
#: document, not counting itself: the feature must be as reliable in training as on new text).
KNOWN_MIN_DOCS = 2
KNOWN_MAX_LEN = 16


class KnownNames:
    """The names (and aliases) the annotated training documents record, with their most frequent
    type and the number of documents that record them: the "known entities" lexicon feature.

    Built by ``python -m pipeline.entity_crf train`` from the train split alone and shipped beside the
    model (``models/entity_crf/known.tsv``: name, type, documents). A model is used with the lexicon it
    was trained with.
    """

    def __init__(self, entries: dict[str, tuple[str, int]]):
        self.entries = entries

    @classmethod
    def from_records(cls, records: dict[str, dict]) -> KnownNames:
        """The lexicon of annotation records (``{doc: record}``)."""
        types: dict[str, Counter] = {}
        for record in records.values():
            for form, type_ in record_forms(record).items():
                types.setdefault(form, Counter())[type_] += 1
        return cls({form: (c.most_common(1)[0][0], sum(c.values())) for form, c in types.items()})

    @classmethod
    def load(cls, path: Path) -> KnownNames | None:
        """The lexicon in ``path`` (a ``known.tsv``), or None when the file is not there."""
        if not path.exists():
            return None
        entries = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            form, type_, docs = line.split("\t")
            entries[form] = (type_, int(docs))
        return cls(entries)

    def save(self, path: Path) -> None:
        """Write the names recorded by at least ``KNOWN_MIN_DOCS`` documents (the others never count)."""
        rows = sorted((f, t, d) for f, (t, d) in self.entries.items() if d >= KNOWN_MIN_DOCS)
        path.write_text("".join(f"{f}\t{t}\t{d}\n" for f, t, d in rows), encoding="utf-8")

    def tags(self, text: str, own: frozenset[str] = frozenset()) -> list[str]:
        """BIO tags of the known names in ``text``, longest match first, left to right."""
        spans, i, n = [], 0, len(text)
        while i < n:
            for length in range(min(KNOWN_MAX_LEN, n - i), 1, -1):
                entry = self.entries.get(text[i:i + length])
                if entry and entry[1] - (text[i:i + length] in own) >= KNOWN_MIN_DOCS:
                    spans.append((i, i + length, entry[0]))
                    i += length
                    break
            else:
                i += 1
        return _bio(n, spans)


def record_forms(record: dict) -> dict[str, str]:
    """Every name and alias of an annotation record (two characters or more) with its type."""
    return {form: e["type"] for e in record.get("entities", [])
            for form in [e["name"], *(e.get("aliases") or [])] if len(form) >= 2}


def cluster_features(c: str, before: str, after: str, word: str) -> list[str]:
    """Cluster ids (``pipeline.clusters``, learned on the unlabelled pool) of the character, its
    neighbours, the bigrams either side and jieba's word: what a string the annotations never
    showed has in common with the ones they did."""
    clusters = shipped_clusters()
    out = []
    for name, kind, token, fine in (("cc", "c", c, True), ("cc-1", "c", before, False), ("cc+1", "c", after, False),
                                    ("bc-1", "b", before + c, True), ("bc+1", "b", c + after, True),
                                    ("wc", "w", word, True), ("wcc", "w", word, False)):
        ids = clusters.of(kind, token)
        if ids is not None:
            out.append(f"{name}={ids[1] if fine else ids[0]}")
    return out


def labels(text: str, gold: list[tuple[int, int, str]]) -> list[str]:
    """BIO labels of one paragraph from gold ``(start, end, type)`` spans."""
    return _bio(len(text), gold)


def spans_from_tags(text: str, tags: list[str], marginal=None) -> list[Span]:
    """Spans from BIO tags (an I- without its B- starts a span); confidence the lowest marginal."""
    spans, start, type_ = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and type_ == tag[2:] and start is not None
        if start is not None and not inside:
            conf = min(marginal(tags[j], j) for j in range(start, i)) if marginal else 1.0
            spans.append(Span(start, i, text[start:i], type_, source="crf", confidence=round(conf, 3)))
            start, type_ = None, None
        if tag.startswith(("B-", "I-")) and not inside:
            start, type_ = i, tag[2:]
    return spans


def one_type_per_surface(spans_per_text: list[list[Span]]) -> None:
    """Within a document a surface keeps its most frequent type (ties: the most confident)."""
    votes: dict[str, Counter] = {}
    for spans in spans_per_text:
        for s in spans:
            votes.setdefault(s.text, Counter())[s.type] += 1 + s.confidence / 10
    for spans in spans_per_text:
        for s in spans:
            s.type = votes[s.text].most_common(1)[0][0]


class EntityCRF:
    """The trained CRF (``models/entity_crf/model.crfsuite``); ``tag`` one paragraph, with features."""

    name = "crf"

    def __init__(self, path: str | Path | None = None):
        import pycrfsuite

        self.path = Path(path) if path else resource("entity_crf", MODEL_FILE)
        self.learned_only = self.path.name == LEARNED_ONLY_FILE
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(self.path))
        self.known = KnownNames.load(self.path.with_name(KNOWN_FILE))

    def tag(self, text: str, base: list[Span], model: list[Span]) -> list[Span]:
        """Entity spans of one paragraph (offsets into ``text``); the learned-only model ignores
        ``base`` and ``model``."""
        if not text:
            return []
        tags = self.tagger.tag(features(text, None, None) if self.learned_only
                               else features(text, base, model, self.known))
        return spans_from_tags(text, tags, self.tagger.marginal)


@lru_cache(maxsize=2)
def shipped_model(learned_only: bool = False) -> EntityCRF:
    """A model that ships in ``models/entity_crf`` (loaded once per process)."""
    return EntityCRF(resource("entity_crf", LEARNED_ONLY_FILE if learned_only else MODEL_FILE))


# --------------------------------------------------------------------------- training


def _paragraphs(text: str) -> list[str] | None:
    """The paragraphs of a document as the pipeline sees them (repeats skipped); None when it fails."""
    from .dedup import local_dedup
    from .stages import prepare_text

    doc = prepare_text(text, source="<train>")
    return [p.text for p in local_dedup(doc).paragraphs if not p.duplicate_of] if doc.ok else None


def _paragraphs_key(texts: list[str]) -> str:
    return hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()


def _base_spans(texts: list[str]) -> tuple[list[list[Span]], list[list[Span]]]:
    """The base recognizers' spans and the HanLP model's raw spans of a document's paragraphs."""
    from .entities import base_recognize_document, model_spans_of

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
            for paragraphs, spans in zip(missing, pool.map(_base_spans, missing, chunksize=4)):
                cache[_paragraphs_key(paragraphs)] = spans
    else:
        for paragraphs in missing:
            cache[_paragraphs_key(paragraphs)] = _base_spans(paragraphs)
    cache.sync()
    return len(missing)


def document_examples(text: str, record: dict | None, known: KnownNames | None = None,
                      in_known: bool = False) -> list[tuple[list[list[str]], list[str] | None, str]]:
    """``(features, labels, paragraph text)`` for each paragraph of one document, as the pipeline
    sees it (read, normalize, clean; repeats inside the document skipped). Labels from the record's
    names and aliases matched in the paragraph (``annotations.entity_spans``); None without a record.
    ``in_known``: the record is one of those ``known`` was built from (its own names are discounted)."""
    texts = _paragraphs(text)
    return [] if texts is None else paragraph_examples(texts, record, known, in_known)


def paragraph_examples(texts: list[str], record: dict | None, known: KnownNames | None = None,
                       in_known: bool = False) -> list[tuple[list[list[str]], list[str] | None, str]]:
    """:func:`document_examples` for a document already split into its paragraphs."""
    from .annotations import entity_spans

    cache = _base_cache()
    key = _paragraphs_key(texts)
    if key not in cache:  # the base recognizers are the slow part: computed once per code and model
        cache[key] = _base_spans(texts)
    base, model = cache[key]
    own = frozenset(record_forms(record)) if record and in_known else frozenset()
    out = []
    for t, spans, model_spans in zip(texts, base, model):
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
    import os
    import shelve

    digest = hashlib.sha1()
    sources = [Path(__file__).with_name(name) for name in ("entities.py", "resolve.py", "ner_model.py")]
    # only the word lists the base recognizers read (entities.py: ent_*.txt), not the metric or relation lists
    sources += sorted((models_dir() / "lexicons").glob("ent_*.txt")) + [models_dir() / "ner" / "model.pt"]
    for path in sources:
        digest.update(path.read_bytes())
    folder = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cluster-kb"
    folder.mkdir(parents=True, exist_ok=True)
    cache = shelve.open(str(folder / f"crf-base-{digest.hexdigest()[:16]}"))
    atexit.register(cache.close)  # the portable dbm backend writes its index on close
    return cache


def build_examples(split: str, pool: Path | None = None, limit: int = 0,
                   known: KnownNames | None = None) -> list[tuple[list[list[str]], list[str], str]]:
    """Training (or scoring) examples of one split of the annotated corpus; ``known`` is the lexicon
    built from the train split (its documents' own names are discounted in their features)."""
    from . import annotations

    records = annotations.split_records(split)
    ids = sorted(records)[: limit or None]
    texts = annotations.pool_texts(ids, **({"pool": pool} if pool else {}))
    documents = {doc_id: _paragraphs(texts[doc_id]) for doc_id in ids if doc_id in texts}
    documents = {doc_id: paragraphs for doc_id, paragraphs in documents.items() if paragraphs is not None}
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
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "gold": gold}


def learning_curve(train_examples, test_examples, fractions=(0.25, 0.5, 1.0)) -> list[tuple[float, int, dict]]:
    """Exact-span scores on ``test_examples`` of CRFs trained on growing shares of the training
    documents' paragraphs (the same seed-shuffled order): does more annotation pay?"""
    import tempfile

    order = list(train_examples)
    random.Random(SEED).shuffle(order)
    _JOBS["curve"], _JOBS["curve_test"] = order, test_examples
    with tempfile.TemporaryDirectory() as tmp, \
            ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
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
    parser = argparse.ArgumentParser(prog="python -m pipeline.entity_crf", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train", "curve"],
                        help="train: write the models; curve: test-split span F1 at 25/50/100%% of the training data")
    parser.add_argument("--pool", type=Path, default=None, help="the CCTV pool (default ../shared/data/cctv_pool)")
    parser.add_argument("--out", type=Path, default=models_dir() / "entity_crf")
    parser.add_argument("--fraction", type=float, default=1.0, help="train on this share of the training documents")
    args = parser.parse_args(argv)
    from .annotations import PoolMissing, split_records

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
    card = {"trained_on": time.strftime("%Y-%m-%d"), "train_paragraphs": len(train_examples),
            "dev_paragraphs": len(dev_examples), "params": TRAINER_PARAMS, "dev_exact_span": dev, "dev_exact_span_learned_only": dev_learned_only,
            "seconds": round(time.time() - started)}
    (args.out / "training.json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
