"""Train the distributional clusters (:mod:`pipeline.clusters`) on the unlabelled CCTV pool.

    python -m pipeline.training.clusters train [--pool PATH] [--out models/entity_crf/clusters.tsv]

Training: word2vec (gensim, CBOW: several times faster than skip-gram here; one thread and a fixed
seed: reproducible) on the pool's lines as characters, as overlapping bigrams and as jieba words (no
HMM), then k-means (scikit-learn) at two granularities. The annotated dev and test items are left
out, so that the vectors have not seen the text they are scored on.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

from ..annotations import PoolMissing, iter_pool, load_splits
from ..clusters import CLUSTERS_FILE
from ..resources import models_dir

SEED = 13
# (kind, vector size, window, min count, coarse k, fine k)
SETTINGS = {"c": (50, 3, 5, 32, 256), "b": (50, 3, 10, 64, 512), "w": (100, 5, 5, 64, 512)}
_MARKUP = re.compile(r"^\s*<!--.*-->\s*$")


def pool_lines(excluded: set[str], pool: Path | None = None) -> list[str]:
    """The lines of every pool item not in ``excluded`` (markup lines dropped)."""
    lines = []
    for item_id, text in iter_pool(**({"pool": pool} if pool else {})):
        if item_id not in excluded:
            lines += [line.strip() for line in text.splitlines() if line.strip() and not _MARKUP.match(line)]
    return lines


def _stable_hash(token: str) -> int:
    # gensim seeds each vector with hash(token); Python's str hash changes per process
    return int(hashlib.md5(token.encode("utf-8")).hexdigest()[:8], 16)


def cluster_tokens(
    sentences: list[list[str]], size: int, window: int, min_count: int, coarse_k: int, fine_k: int
) -> dict[str, tuple[int, int]]:
    """Word2vec over ``sentences``, then k-means at two granularities: ``{token: (coarse, fine)}``."""
    import numpy as np
    from gensim.models import Word2Vec
    from sklearn.cluster import MiniBatchKMeans

    model = Word2Vec(
        sentences=sentences,
        vector_size=size,
        window=window,
        min_count=min_count,
        sg=0,
        workers=1,
        seed=SEED,
        epochs=5,
        hashfxn=_stable_hash,
    )
    tokens = list(model.wv.index_to_key)
    vectors = model.wv.vectors / np.maximum(np.linalg.norm(model.wv.vectors, axis=1, keepdims=True), 1e-9)
    ids = []
    for k in (coarse_k, fine_k):
        km = MiniBatchKMeans(n_clusters=min(k, len(tokens)), random_state=SEED, n_init=3, batch_size=4096)
        ids.append(km.fit_predict(vectors))
    return {t: (int(a), int(b)) for t, a, b in zip(tokens, ids[0], ids[1], strict=False)}


def train(lines: list[str], out: Path, settings: dict | None = None, log=print) -> Path:
    """Train the three kinds of clusters on ``lines`` and write them to ``out`` (``settings``: per kind,
    as :data:`SETTINGS`)."""
    import jieba

    tokenizer = jieba.Tokenizer()  # the default dictionary, not the pipeline's patched one
    streams = {
        "c": lambda line: list(line),
        "b": lambda line: [line[i : i + 2] for i in range(len(line) - 1)],
        "w": lambda line: tokenizer.lcut(line, HMM=False),
    }
    rows = []
    for kind, split in streams.items():
        started = time.time()
        table = cluster_tokens([split(line) for line in lines], *(settings or SETTINGS)[kind])
        rows += [
            f"{kind}\t{token}\t{a}\t{b}"
            for token, (a, b) in sorted(table.items())
            if "\t" not in token and "\n" not in token
        ]
        log(f"{kind}: {len(table)} tokens clustered in {time.time() - started:.0f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.training.clusters", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train"])
    parser.add_argument("--pool", type=Path, default=None, help="the CCTV pool (default ../shared/data/cctv_pool)")
    parser.add_argument("--out", type=Path, default=models_dir() / "entity_crf" / CLUSTERS_FILE)
    args = parser.parse_args(argv)
    held_out = {item for item, split in load_splits().items() if split != "train"}
    try:
        lines = pool_lines(held_out, args.pool)
    except PoolMissing as exc:
        print(f"cannot train: {exc}", file=sys.stderr)
        return 1
    print(f"{len(lines)} lines, {sum(map(len, lines))} characters ({len(held_out)} dev/test items left out)")
    train(lines, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
