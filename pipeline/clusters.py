"""Distributional clusters of characters, character bigrams and words, learned from unlabelled text.

The entity CRF (``pipeline.entity_crf``) sees a character, its neighbours and jieba's word as
strings: a name, a sector or a suffix it never met in the annotated documents is a feature it has
no weight for. Clusters of vectors trained on the 12 million characters of the CCTV pool (issue 17:
"character vectors pretrained on the pool") give such a string the weights of the strings that
occur in the same contexts (港口 beside 码头, 钢铁 beside 化工), and cost the CRF nothing at run time:
one dictionary lookup per feature.

    python -m pipeline.clusters train [--pool PATH] [--out models/entity_crf/clusters.tsv]

Training: word2vec (gensim, CBOW: several times faster than skip-gram here; one thread and a fixed seed: reproducible) on the pool's
lines as characters, as overlapping bigrams and as jieba words (no HMM), then k-means (scikit-learn)
at two granularities. The annotated dev and test items are left out, so that the vectors have not
seen the text they are scored on. The file: ``kind<TAB>token<TAB>coarse<TAB>fine`` per line,
kind ``c`` (character), ``b`` (bigram) or ``w`` (word).
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from functools import lru_cache
from pathlib import Path

from .resources import models_dir, resource

CLUSTERS_FILE = "clusters.tsv"
SEED = 13
# (kind, vector size, window, min count, coarse k, fine k)
SETTINGS = {"c": (50, 3, 5, 32, 256), "b": (50, 3, 10, 64, 512), "w": (100, 5, 5, 64, 512)}
_MARKUP = re.compile(r"^\s*<!--.*-->\s*$")


class Clusters:
    """Cluster ids of characters (``c``), bigrams (``b``) and words (``w``); missing tokens get None."""

    def __init__(self, table: dict[tuple[str, str], tuple[str, str]]):
        self.table = table

    @classmethod
    def load(cls, path: str | Path) -> Clusters:
        """Read a clusters file (see the module docstring)."""
        table = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            kind, token, coarse, fine = line.split("\t")
            table[(kind, token)] = (coarse, fine)
        return cls(table)

    def of(self, kind: str, token: str) -> tuple[str, str] | None:
        """``(coarse, fine)`` cluster ids of a token, None when it was too rare to have a vector."""
        return self.table.get((kind, token))


@lru_cache(maxsize=1)
def shipped_clusters() -> Clusters:
    """The clusters that ship beside the entity CRF (loaded once per process)."""
    return Clusters.load(resource("entity_crf", CLUSTERS_FILE))


def pool_lines(excluded: set[str], pool: Path | None = None) -> list[str]:
    """The lines of every pool item not in ``excluded`` (markup lines dropped)."""
    from .annotations import iter_pool

    lines = []
    for item_id, text in iter_pool(**({"pool": pool} if pool else {})):
        if item_id not in excluded:
            lines += [line.strip() for line in text.splitlines() if line.strip() and not _MARKUP.match(line)]
    return lines


def _stable_hash(token: str) -> int:
    # gensim seeds each vector with hash(token); Python's str hash changes per process
    return int(hashlib.md5(token.encode("utf-8")).hexdigest()[:8], 16)


def cluster_tokens(sentences: list[list[str]], size: int, window: int, min_count: int,
                   coarse_k: int, fine_k: int) -> dict[str, tuple[int, int]]:
    """Word2vec over ``sentences``, then k-means at two granularities: ``{token: (coarse, fine)}``."""
    import numpy as np
    from gensim.models import Word2Vec
    from sklearn.cluster import MiniBatchKMeans

    model = Word2Vec(sentences=sentences, vector_size=size, window=window, min_count=min_count, sg=0,
                     workers=1, seed=SEED, epochs=5, hashfxn=_stable_hash)
    tokens = list(model.wv.index_to_key)
    vectors = model.wv.vectors / np.maximum(np.linalg.norm(model.wv.vectors, axis=1, keepdims=True), 1e-9)
    ids = []
    for k in (coarse_k, fine_k):
        km = MiniBatchKMeans(n_clusters=min(k, len(tokens)), random_state=SEED, n_init=3, batch_size=4096)
        ids.append(km.fit_predict(vectors))
    return {t: (int(a), int(b)) for t, a, b in zip(tokens, ids[0], ids[1])}


def train(lines: list[str], out: Path, settings: dict | None = None, log=print) -> Path:
    """Train the three kinds of clusters on ``lines`` and write them to ``out`` (``settings``: per kind,
    as :data:`SETTINGS`)."""
    import jieba

    tokenizer = jieba.Tokenizer()  # the default dictionary, not the pipeline's patched one
    streams = {"c": lambda line: list(line),
               "b": lambda line: [line[i:i + 2] for i in range(len(line) - 1)],
               "w": lambda line: tokenizer.lcut(line, HMM=False)}
    rows = []
    for kind, split in streams.items():
        started = time.time()
        table = cluster_tokens([split(line) for line in lines], *(settings or SETTINGS)[kind])
        rows += [f"{kind}\t{token}\t{a}\t{b}" for token, (a, b) in sorted(table.items())
                 if "\t" not in token and "\n" not in token]
        log(f"{kind}: {len(table)} tokens clustered in {time.time() - started:.0f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.clusters", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train"])
    parser.add_argument("--pool", type=Path, default=None, help="the CCTV pool (default ../shared/data/cctv_pool)")
    parser.add_argument("--out", type=Path, default=models_dir() / "entity_crf" / CLUSTERS_FILE)
    args = parser.parse_args(argv)
    from .annotations import PoolMissing, load_splits

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
