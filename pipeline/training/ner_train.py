"""Train the character BiLSTM-CRF entity model (``make train``) and write it to ``models/ner``.

    python -m pipeline.training.ner_train [--data ../shared/data] [--out models/ner] [--epochs 12]

Reads the public NER corpora and the in-domain CCTV items from the shared data folder (see
``pipeline.training.ner_data`` for the label mapping), holds out 4% of the sentences for model selection,
trains HanLP's ``RNNNamedEntityRecognizer`` (with the CRF fix) on the CPU, and copies the three
files a load needs (config.json, vocabs.json, model.pt) into the output folder.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..ner_model import MODEL_DIR
from . import ner_data

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"  # ../shared/data beside the checkout
HYPERPARAMETERS: dict[str, Any] = dict(
    embed=100, rnn_hidden=200, drop=0.5, lr=0.002, batch_size=64, anneal_factor=0.5, anneal_patience=2, patience=4
)
MODEL_FILES = ("config.json", "vocabs.json", "model.pt")
# Training copies per source, applied after the held-out split (so no copy of a held-out sentence is
# trained on): the in-domain silver sentences, and CLUENER, the closest public genre (news, with the
# finest organisation labels).
SOURCE_COPIES = {"silver": 3, "cluener-train": 2}


def in_domain_texts(data_dir: Path) -> list[str]:
    """The unlabelled in-domain news items (CCTV), the source of silver labels."""
    return [text for _, _, text in ner_data.cctv_items(data_dir)]


def unlabelled_texts(data_dir: Path) -> list[str]:
    """Raw sentences for the character vectors: the unscored splits' text, labels ignored.

    CLUENER dev and MSRA test, the two scored sets, are left out.
    """
    d = data_dir
    texts: list[str] = []
    path = d / "cluener2020/test.jsonl"
    if path.is_file():
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for name, sep in (
        ("peoples_daily_ner/example.test", None),
        ("resume_ner/dev.char.bmes", None),
        ("resume_ner/test.char.bmes", None),
        ("weibo_ner/weiboNER_2nd_conll.dev", "\t"),
        ("weibo_ner/weiboNER_2nd_conll.test", "\t"),
    ):
        path = d / name
        if path.is_file():
            texts += [s.text for s in ner_data.read_bio(path, name, sep=sep)]
    for name in ("finre/valid.txt", "finre/test.txt"):
        path = d / name
        if path.is_file():
            texts += [line.split("\t")[-1] for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    return texts


def char_vectors(texts: list[str], dim: int, seed: int = 13) -> dict[str, list[float]]:
    """Skip-gram character vectors (gensim word2vec) to start the embedding from, instead of noise."""
    from gensim.models import Word2Vec

    folded = (ner_data.fold_width(t, list(range(len(t))))[0] for t in texts)  # as training text is folded
    sentences = [[c for c in t if c.strip()] for t in folded]
    model = Word2Vec(
        sentences=[s for s in sentences if s],
        vector_size=dim,
        window=5,
        min_count=2,
        sg=1,
        epochs=5,
        workers=2,
        seed=seed,
    )
    return {c: model.wv[c].tolist() for c in model.wv.index_to_key}


def train(
    sentences: list[ner_data.Sentence],
    out_dir: Path,
    epochs: int,
    dev_share: float = 0.04,
    seed: int = 13,
    vectors: dict[str, list[float]] | None = None,
    **overrides,
) -> dict:
    """Train on ``sentences`` (a held-out share picks the best epoch); return the run's facts."""
    import torch

    from ..ner_model import recognizer_class

    torch.manual_seed(seed)
    random.seed(seed)
    sents = list(sentences)
    n_dev = max(1, int(len(sents) * dev_share))
    dev, trn = sents[:n_dev], sents[n_dev:]
    trn = [s for s in trn for _ in range(SOURCE_COPIES.get(s.source, 1))]
    random.Random(seed).shuffle(trn)
    params = {**HYPERPARAMETERS, **overrides}
    with tempfile.TemporaryDirectory() as tmp:
        trn_path, dev_path, save = Path(tmp, "train.tsv"), Path(tmp, "dev.tsv"), Path(tmp, "model")
        n_trn = ner_data.write_tsv(trn, trn_path)
        n_dev_written = ner_data.write_tsv(dev, dev_path)
        recognizer = recognizer_class()()
        recognizer.initial_vectors = vectors  # read once by build_model while training; not saved
        started = time.time()
        recognizer.fit(
            str(trn_path),
            str(dev_path),
            str(save),
            epochs=epochs,
            tagging_scheme="IOBES",
            devices=[],
            verbose=True,
            seed=seed,
            **params,
        )
        seconds = time.time() - started
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in MODEL_FILES:
            shutil.copy(save / name, out_dir / name)
    return {
        "train_sentences": n_trn,
        "dev_sentences": n_dev_written,
        "epochs": epochs,
        "seconds": round(seconds),
        "hyperparameters": params,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--out", type=Path, default=MODEL_DIR, help="where the model files go")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N sentences only (smoke runs)")
    args = ap.parse_args(argv)
    missing = [p for p in ner_data.required_files(args.data) if not p.is_file()]
    if missing:
        print(
            f"training data missing (needs the shared data folder, see README): {', '.join(str(p) for p in missing)}",
            file=sys.stderr,
        )
        return 2
    texts = in_domain_texts(args.data)
    raw = unlabelled_texts(args.data)
    if not texts:
        print(f"note: no in-domain items under {args.data}; training without silver labels", file=sys.stderr)
    sents = ner_data.training_corpus(args.data, texts)
    if args.limit:
        sents = sents[: args.limit]
    started = time.time()
    vectors = char_vectors([s.text for s in sents] + raw, HYPERPARAMETERS["embed"])
    print(
        f"character vectors: {len(vectors)} characters from {len(sents) + len(raw)} sentences "
        f"in {time.time() - started:.0f} s",
        file=sys.stderr,
    )
    facts = train(sents, args.out, args.epochs, vectors=vectors)
    facts["character_vectors"] = len(vectors)
    facts["silver_documents"] = len(texts)
    facts["trained_on"] = time.strftime("%Y-%m-%d")
    facts["sources"] = sorted({s.source for s in sents})
    (args.out / "training.json").write_text(json.dumps(facts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(facts, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
