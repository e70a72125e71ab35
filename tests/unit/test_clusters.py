"""Distributional clusters for the entity CRF (pipeline.clusters, trained by pipeline.training.clusters):
training, the file, the features."""

from __future__ import annotations

from pipeline.clusters import Clusters, shipped_clusters
from pipeline.extract.entities.crf import cluster_features
from pipeline.training.clusters import train

# A tiny corpus in which 钢铁/化工/纺织 and 公司/集团 fill the same slots.
LINES = [
    f"{place}的{sector}{head}今年扩大生产，{sector}产业产值增长。"
    for place in ("南京", "苏州", "无锡", "常州", "扬州")
    for sector in ("钢铁", "化工", "纺织")
    for head in ("公司", "集团")
] * 4
SMALL = {"c": (16, 2, 2, 4, 8), "b": (16, 2, 2, 4, 8), "w": (16, 2, 2, 3, 6)}


def test_training_writes_every_kind_and_is_reproducible(tmp_path):
    first = train(LINES, tmp_path / "a.tsv", settings=SMALL, log=lambda *_: None)
    second = train(LINES, tmp_path / "b.tsv", settings=SMALL, log=lambda *_: None)
    assert first.read_bytes() == second.read_bytes()
    clusters = Clusters.load(first)
    assert clusters.of("c", "钢") is not None and clusters.of("b", "钢铁") is not None
    assert clusters.of("w", "化工") is not None
    coarse, fine = clusters.of("w", "化工")
    assert 0 <= int(coarse) < 3 and 0 <= int(fine) < 6
    assert clusters.of("w", "半导体") is None  # never seen: no cluster, no feature


def test_the_shipped_clusters_give_the_crf_features_for_known_strings_only():
    clusters = shipped_clusters()
    assert clusters.of("c", "的") is not None and clusters.of("w", "公司") is not None
    feats = cluster_features("钢", "的", "铁", "钢铁")
    names = {f.split("=")[0] for f in feats}
    assert {"cc", "cc-1", "cc+1", "bc+1", "wc", "wcc"} <= names
    assert cluster_features("\x02", "\x02", "\x03", "") == []
