"""Distributional clusters of characters, character bigrams and words, learned from unlabelled text.

The entity CRF (``pipeline.extract.entities.crf``) sees a character, its neighbours and jieba's word as
strings: a name, a sector or a suffix it never met in the annotated documents is a feature it has
no weight for. Clusters of vectors trained on the 12 million characters of the CCTV pool (issue 17:
"character vectors pretrained on the pool") give such a string the weights of the strings that
occur in the same contexts (港口 beside 码头, 钢铁 beside 化工), and cost the CRF nothing at run time:
one dictionary lookup per feature.

    python -m pipeline.training.clusters train [--pool PATH] [--out models/entity_crf/clusters.tsv]

The file: ``kind<TAB>token<TAB>coarse<TAB>fine`` per line, kind ``c`` (character), ``b`` (bigram) or
``w`` (word); :mod:`pipeline.training.clusters` writes it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .resources import resource

CLUSTERS_FILE = "clusters.tsv"


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
