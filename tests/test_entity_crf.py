"""The learned entity CRF: tags from spans and back, features, training and loading a model, the
one-type-per-surface rule, and the shipped model on invented sentences."""
from __future__ import annotations

import pytest

from pipeline import entity_crf
from pipeline.document import Span
from pipeline.entity_crf import EntityCRF, features, labels, one_type_per_surface, spans_from_tags, train

# Invented sentences (no name here is taken from a document of the corpus or the pool).
SENTENCES = [
    ("青禾市绿川新材料有限公司与青禾大学共建实验室。", [(0, 3, "REGION"), (3, 13, "ENTERPRISE"), (14, 18, "INSTITUTION")]),
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
    assert entity_crf.span_scores(path, examples[:3])["f1"] == 1.0


def test_one_type_per_surface_in_a_document():
    spans = [[Span(0, 3, "绿川港", "ZONE", confidence=0.9)], [Span(5, 8, "绿川港", "ZONE", confidence=0.8)],
             [Span(2, 5, "绿川港", "ENTERPRISE", confidence=0.6)]]
    one_type_per_surface(spans)
    assert {s.type for group in spans for s in group} == {"ZONE"}


def test_the_shipped_model_finds_organisations_persons_and_places():
    try:
        crf = entity_crf.shipped_model()
    except FileNotFoundError:
        pytest.fail("the shipped CRF (models/entity_crf/model.crfsuite) is missing")
    from pipeline.entities import recognize_document

    texts = ["青禾市委书记林晓东到青禾经济技术开发区调研，察看绿川新材料有限公司生产线。"]
    found = {(s.text, s.type) for s in recognize_document(texts)[0]}
    assert ("林晓东", "PERSON") in found
    assert ("绿川新材料有限公司", "ENTERPRISE") in found
    assert any(t == "ZONE" and "开发区" in n for n, t in found)
    assert crf.path.name == entity_crf.MODEL_FILE


def test_the_genre_decides_whether_trusted_rule_spans_override_the_crf(monkeypatch):
    from pipeline.document import Span
    from pipeline.entity_crf import combine_with_rules

    text = "金山区委组织部召开会议"
    crf = [Span(2, 7, text[2:7], "GOV_ORG", source="crf", confidence=0.99),
           Span(7, 9, text[7:9], "ZONE", source="crf", confidence=0.5)]
    rules = [Span(0, 7, text[0:7], "GOV_ORG", source="suffix")]
    monkeypatch.setenv("KB_GENRE", "news")
    assert combine_with_rules(list(crf), rules) == crf  # the CRF decides
    monkeypatch.setenv("KB_GENRE", "newsletter")
    combined = combine_with_rules(list(crf), rules)
    # the longer rule name wins over the CRF span inside it; an unconfirmed unsure CRF span is dropped
    assert [(s.text, s.type) for s in combined] == [("金山区委组织部", "GOV_ORG")]


def test_the_learning_curve_trains_one_model_per_share(tmp_path):
    from pipeline.entity_crf import learning_curve

    texts = ["南京市委书记来到苏州工业园区", "无锡市政府与常州市政府签约", "扬州市委召开会议"] * 4
    gold = {"南京市委": "GOV_ORG", "苏州工业园区": "ZONE", "无锡市政府": "GOV_ORG", "常州市政府": "GOV_ORG",
            "扬州市委": "GOV_ORG"}
    examples = []
    for text in texts:
        spans = [(text.index(n), text.index(n) + len(n), t) for n, t in gold.items() if n in text]
        examples.append((features(text, None, None), labels(text, spans), text))
    rows = learning_curve(examples, examples[:3], fractions=(0.5, 1.0))
    assert [(share, n) for share, n, _ in rows] == [(0.5, 6), (1.0, 12)]
    assert rows[-1][2]["f1"] > 0.5
