"""The learned entity CRF: tags from spans and back, features, training and loading a model, the
one-type-per-surface rule, and the shipped model on invented sentences."""

from __future__ import annotations

import pytest

from pipeline.document import Span
from pipeline.extract.entities import crf as entity_crf
from pipeline.extract.entities.crf import EntityCRF, features, labels, one_type_per_surface, spans_from_tags
from pipeline.training import entity_crf as crf_training
from pipeline.training.entity_crf import train

# Invented sentences (no name here is taken from a document of the corpus or the pool).
SENTENCES = [
    (
        "青禾市绿川新材料有限公司与青禾大学共建实验室。",
        [(0, 3, "REGION"), (3, 13, "ENTERPRISE"), (14, 18, "INSTITUTION")],
    ),
    ("青禾市委书记林晓东到绿川新材料有限公司调研。", [(0, 4, "GOV_ORG"), (6, 9, "PERSON"), (10, 20, "ENTERPRISE")]),
    ("林晓东指出，要发展新能源汽车产业。", [(0, 3, "PERSON"), (9, 14, "INDUSTRY")]),
]


def test_labels_and_spans_round_trip():
    text, gold = SENTENCES[0]
    tags = labels(text, gold)
    assert tags[:4] == ["B-REGION", "I-REGION", "I-REGION", "B-ENTERPRISE"]
    assert [(s.start, s.end, s.type) for s in spans_from_tags(text, tags)] == gold


def test_an_inside_tag_without_its_beginning_still_makes_a_span():
    spans = spans_from_tags("林晓东说", ["I-PERSON", "I-PERSON", "I-PERSON", "O"])
    assert [(s.text, s.type) for s in spans] == [("林晓东", "PERSON")]


def test_features_carry_the_base_recognizers_tags_only_when_given():
    text, _ = SENTENCES[1]
    base = [Span(6, 9, "林晓东", "PERSON")]
    with_base = features(text, base, [])
    assert "sys=B-PERSON" in with_base[6] and "sys=I-PERSON" in with_base[7]
    alone = features(text, None, None)
    assert not any(f.startswith("sys=") for f in alone[6])
    assert len(with_base) == len(alone) == len(text)


def test_a_trained_model_saves_loads_and_tags(tmp_path):
    examples = [(features(t, [], []), labels(t, gold), t) for t, gold in SENTENCES] * 20
    path = train(examples, tmp_path)
    crf = EntityCRF(path)
    text, gold = SENTENCES[0]
    assert [(s.start, s.end, s.type) for s in crf.tag(text, [], [])] == gold
    assert all(0 < s.confidence <= 1 for s in crf.tag(text, [], []))
    assert crf_training.span_scores(path, examples[:3])["f1"] == 1.0


def test_one_type_per_surface_in_a_document():
    spans = [
        [Span(0, 3, "绿川港", "ZONE", confidence=0.9)],
        [Span(5, 8, "绿川港", "ZONE", confidence=0.8)],
        [Span(2, 5, "绿川港", "ENTERPRISE", confidence=0.6)],
    ]
    one_type_per_surface(spans)
    assert {s.type for group in spans for s in group} == {"ZONE"}


def test_the_shipped_model_finds_organisations_persons_and_places(monkeypatch):
    try:
        crf = entity_crf.shipped_model()
    except FileNotFoundError:
        pytest.fail("the shipped CRF (models/entity_crf/model.crfsuite) is missing")
    from pipeline.extract.entities.crf import recognize_document

    monkeypatch.setenv("KB_GENRE", "news")  # the genre the CRF runs in
    texts = ["青禾市委书记林晓东到青禾经济技术开发区调研，察看绿川新材料有限公司生产线。"]
    spans = recognize_document(texts)[0]
    assert spans and all(s.source == "crf" for s in spans)
    found = {(s.text, s.type) for s in spans}
    assert ("林晓东", "PERSON") in found
    assert ("绿川新材料有限公司", "ENTERPRISE") in found
    assert any(t == "ZONE" and "开发区" in n for n, t in found)
    assert crf.path.name == entity_crf.MODEL_FILE


def test_the_genre_decides_whether_the_crf_runs(monkeypatch):
    from pipeline.extract.entities.crf import entity_crf_mode

    monkeypatch.delenv("KB_ENTITY_CRF", raising=False)
    monkeypatch.setenv("KB_GENRE", "news")
    assert entity_crf_mode() == "on"
    monkeypatch.setenv("KB_GENRE", "newsletter")
    assert entity_crf_mode() == "off"
    monkeypatch.setenv("KB_ENTITY_CRF", "on")  # an explicit switch wins over the genre
    assert entity_crf_mode() == "on"


def test_the_learning_curve_trains_one_model_per_share(tmp_path):
    from pipeline.training.entity_crf import learning_curve

    texts = ["南京市委书记来到苏州工业园区", "无锡市政府与常州市政府签约", "扬州市委召开会议"] * 4
    gold = {
        "南京市委": "GOV_ORG",
        "苏州工业园区": "ZONE",
        "无锡市政府": "GOV_ORG",
        "常州市政府": "GOV_ORG",
        "扬州市委": "GOV_ORG",
    }
    examples = []
    for text in texts:
        spans = [(text.index(n), text.index(n) + len(n), t) for n, t in gold.items() if n in text]
        examples.append((features(text, None, None), labels(text, spans), text))
    rows = learning_curve(examples, examples[:3], fractions=(0.5, 1.0))
    assert [(share, n) for share, n, _ in rows] == [(0.5, 6), (1.0, 12)]
    assert rows[-1][2]["f1"] > 0.5


def test_known_names_come_from_the_records_and_a_training_document_does_not_count_itself():
    from pipeline.extract.entities.crf import KNOWN_MIN_DOCS, KnownNames

    records = {
        f"d{i}": {"entities": [{"name": "青禾新材料集团", "type": "ENTERPRISE", "aliases": ["青禾集团"]}]}
        for i in range(KNOWN_MIN_DOCS)
    }
    records["once"] = {"entities": [{"name": "绿川经济开发区", "type": "ZONE"}]}
    known = KnownNames.from_records(records)
    text = "青禾新材料集团在绿川经济开发区投产，青禾集团扩产。"
    tags = known.tags(text)
    assert tags[0] == "B-ENTERPRISE" and tags[text.index("青禾集团")] == "B-ENTERPRISE"
    assert tags[text.index("绿川")] == "O"  # one document is not enough
    # inside one of the documents it was built from, a name needs KNOWN_MIN_DOCS other documents
    assert known.tags(text, own=frozenset({"青禾新材料集团", "青禾集团"}))[0] == "O"


def test_known_names_round_trip_through_their_file_and_become_features(tmp_path):
    from pipeline.extract.entities.crf import KNOWN_FILE, KnownNames

    known = KnownNames({"青禾集团": ("ENTERPRISE", 3), "绿川": ("REGION", 1)})
    known.save(tmp_path / KNOWN_FILE)
    loaded = KnownNames.load(tmp_path / KNOWN_FILE)
    assert loaded.entries == {"青禾集团": ("ENTERPRISE", 3)}  # names under the threshold are not shipped
    assert KnownNames.load(tmp_path / "missing.tsv") is None
    feats = features("青禾集团扩产", [], [], loaded)
    assert "kn=B-ENTERPRISE" in feats[0] and "kn=O" in feats[4]


def test_the_base_cache_is_filled_once_in_worker_processes_and_gives_the_same_examples(monkeypatch):
    class Cache(dict):
        def sync(self):
            pass

    cache = Cache()
    monkeypatch.setattr(crf_training, "_base_cache", lambda: cache)
    texts = [sentence for sentence, _ in SENTENCES[:3]]
    documents = [crf_training._paragraphs(t) for t in texts]
    assert crf_training.fill_base_cache(documents, jobs=2) == 3
    assert crf_training.fill_base_cache(documents, jobs=2) == 0  # all cached now
    filled = [crf_training.document_examples(t, None) for t in texts]
    cache.clear()
    assert [crf_training.document_examples(t, None) for t in texts] == filled  # computed in this process
