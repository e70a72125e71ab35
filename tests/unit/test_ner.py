"""The statistical NER layer: label mapping, the HanLP CRF fix, loading offline, and the merge with rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import ner_labels
from pipeline.document import Span
from pipeline.extract import entities
from pipeline.extract.entities import merge, model_layer
from pipeline.extract.entities.crf import recognize_document
from pipeline.ner_model import MODEL_DIR, ModelRecognizer, fix_crf, load_model, map_label
from pipeline.training import ner_data
from tests.conftest import seed

# --------------------------------------------------------------------------- label mapping


@pytest.mark.parametrize(
    "surface,expected",
    [
        ("亭林镇高端智能装备产业集群党委", "PARTY_ORG"),
        ("伽蓝集团党委", "PARTY_ORG"),
        ("东方美谷企业党建联盟", "ALLIANCE"),
        ("上海侨好食品有限公司", "ENTERPRISE"),
        ("浙商银行", "ENTERPRISE"),
        ("金山区民政局", "GOV_ORG"),
        ("中共上海市委", "GOV_ORG"),
        ("国务院", "GOV_ORG"),
        ("上海应用技术大学", "INSTITUTION"),
        ("工信部赛迪研究院", "INSTITUTION"),
        ("青溪经济园区", "ZONE"),
        ("新华社", "INSTITUTION"),
    ],
)
def test_org_type_by_head_word(surface, expected):
    assert ner_labels.org_type(surface) == expected


def test_cluener_labels_map_onto_ours_and_back():
    assert ner_data.cluener_type("叶老桂", "name") == "PERSON"
    assert ner_data.cluener_type("浙商银行", "company") == "ENTERPRISE"
    assert ner_data.cluener_type("国家发改委", "government") == "GOV_ORG"
    assert ner_data.cluener_type("市委党校党支部", "government") == "PARTY_ORG"
    assert ner_data.cluener_type("长三角产业联盟", "organization") == "ALLIANCE"
    assert ner_data.cluener_type("北京大学", "organization") == "INSTITUTION"
    assert ner_data.cluener_type("张江高科技园区", "address") == "ZONE"
    assert ner_data.cluener_type("北京市海淀区", "address") == "REGION"
    for label in ("position", "scene", "book", "game", "movie"):
        assert ner_data.cluener_type("某物", label) is None
    # Every type the model learns maps back onto a CLUENER and an MSRA label for scoring.
    for t in ner_labels.MODEL_TYPES:
        assert t in ner_data.OURS_TO_CLUENER and t in ner_data.OURS_TO_MSRA
    # The round trip holds for the four scored CLUENER labels.
    for label, surface in [
        ("name", "叶老桂"),
        ("company", "浙商银行"),
        ("government", "国家发改委"),
        ("organization", "北京大学"),
    ]:
        assert ner_data.OURS_TO_CLUENER[ner_data.cluener_type(surface, label)] == label


def test_read_cluener_spans_match_surfaces(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [
        {
            "text": "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。",
            "label": {"name": {"叶老桂": [[9, 11]]}, "company": {"浙商银行": [[0, 3]]}},
        },
        {"text": "生生不息CSOL生化狂潮让你填弹狂扫", "label": {"game": {"CSOL": [[4, 7]]}}},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    ours = ner_data.read_cluener(path)
    assert [(s.text[a:b], t) for s in ours for a, b, t in sorted(s.spans)] == [
        ("浙商银行", "ENTERPRISE"),
        ("叶老桂", "PERSON"),
    ]
    raw = ner_data.read_cluener(path, ours=False)
    assert sorted(t for s in raw for _, _, t in s.spans) == ["company", "game", "name"]


def test_read_bio_handles_bmes_weibo_and_org_typing(tmp_path):
    resume = tmp_path / "r.bmes"
    resume.write_text(
        "".join(
            f"{c} {t}\n"
            for c, t in zip(
                "高勇在华为技术有限公司任董事",
                ["B-NAME", "E-NAME", "O", "B-ORG"] + ["M-ORG"] * 6 + ["E-ORG"] + ["O", "B-TITLE", "E-TITLE"],
                strict=False,
            )
        ),
        encoding="utf-8",
    )
    [s] = ner_data.read_bio(resume, "resume", org_default="ENTERPRISE")
    assert [(s.text[a:b], t) for a, b, t in s.spans] == [("高勇", "PERSON"), ("华为技术有限公司", "ENTERPRISE")]
    weibo = tmp_path / "w.conll"
    weibo.write_text(
        "".join(
            f"{c}\t{t}\n"
            for c, t in zip(
                ["去0", "北0", "京1", "的0", "朋0", "友1"],
                ["O", "B-GPE.NAM", "I-GPE.NAM", "O", "B-PER.NOM", "I-PER.NOM"],
                strict=False,
            )
        ),
        encoding="utf-8",
    )
    [w] = ner_data.read_bio(weibo, "weibo", sep="\t")
    assert w.text == "去北京的朋友"
    assert [(w.text[a:b], t) for a, b, t in w.spans] == [("北京", "REGION")]  # nominal 朋友 dropped


def test_tags_round_trip_and_lenient_reading():
    spans = [(0, 2, "PERSON"), (3, 4, "REGION"), (5, 9, "ENTERPRISE")]
    tags = ner_labels.spans_to_tags(10, spans)
    assert tags[:5] == ["B-PERSON", "E-PERSON", "O", "S-REGION", "O"]
    assert ner_labels.tags_to_spans(tags) == spans
    # An ill-formed sequence (I- with no B-, type change mid-chunk) still gives spans, no exception.
    assert ner_labels.tags_to_spans(["I-ORG", "E-ORG", "O", "B-PER", "I-LOC"]) == [
        (0, 2, "ORG"),
        (3, 4, "PER"),
        (4, 5, "LOC"),
    ]
    assert ner_labels.tags_to_spans(["B-LOC", "I-LOC", "O"]) == [(0, 2, "LOC")]  # BIO


def test_training_tsv_drops_spaces_folds_width_and_cuts_long_sentences(tmp_path):
    chars = list("ＡＢＣ 公司") + list("很好。" * 60)
    sent = ner_data.Sentence(chars, [(0, 6, "ENTERPRISE")])
    n = ner_data.write_tsv([sent], tmp_path / "t.tsv")
    lines = (tmp_path / "t.tsv").read_text(encoding="utf-8").split("\n\n")
    assert n == len([chunk for chunk in lines if chunk.strip()]) > 1
    first = [line.split("\t") for line in lines[0].splitlines()]
    assert [c for c, _ in first[:5]] == ["A", "B", "C", "公", "司"]
    assert [t for _, t in first[:5]] == ["B-ENTERPRISE", "I-ENTERPRISE", "I-ENTERPRISE", "I-ENTERPRISE", "E-ENTERPRISE"]
    assert all(len(chunk.splitlines()) <= 150 for chunk in lines)


@pytest.mark.parametrize(
    "label,surface,expected",
    [
        ("PERSON", "刘健", "PERSON"),
        ("NR", "刘健", "PERSON"),
        ("PER", "刘健", "PERSON"),
        ("LOCATION", "亭林镇", "REGION"),
        ("NS", "漕河泾开发区", "ZONE"),
        ("ORGANIZATION", "伽蓝集团党委", "PARTY_ORG"),
        ("NT", "金山区民政局", "GOV_ORG"),
        ("company", "伽蓝", "ENTERPRISE"),
        ("DATE", "2月15日", None),
        ("ALLIANCE", "东方美谷企业党建联盟", "ALLIANCE"),
    ],
)
def test_map_label_from_other_models(label, surface, expected):
    assert map_label(label, surface) == expected


# --------------------------------------------------------------------------- a tiny model trained here

TINY_SENTENCES = [
    ("张伟在上海侨好食品有限公司工作。", [(0, 2, "PERSON"), (3, 13, "ENTERPRISE")]),
    ("李娜来到金山区民政局调研。", [(0, 2, "PERSON"), (4, 10, "GOV_ORG")]),
    ("王强是浙商银行的员工。", [(0, 2, "PERSON"), (3, 7, "ENTERPRISE")]),
    ("刘洋走访了亭林镇。", [(0, 2, "PERSON"), (5, 8, "REGION")]),
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A BiLSTM-CRF trained in seconds on four sentences: enough to test training, saving and loading."""
    from pipeline.training.ner_train import train

    sents = [ner_data.Sentence(list(text), spans, "tiny") for text, spans in TINY_SENTENCES] * 30
    out = tmp_path_factory.mktemp("tiny-ner")
    train(sents, out, epochs=6, dev_share=0.1, embed=16, rnn_hidden=16, drop=0.0, lr=0.02, batch_size=8, patience=0)
    return out


def test_hanlp_builds_the_crf_with_batch_first_unset_and_fix_sets_it():
    from hanlp.components.taggers.rnn.rnntaggingmodel import RNNTaggingModel

    model = RNNTaggingModel(8, None, 8, 5, 0.0, True)
    assert not model.crf.batch_first  # the upstream bug: crf_constraints=None lands in batch_first
    fix_crf(model)
    assert model.crf.batch_first is True
    fix_crf(model)  # idempotent, and harmless on a model without a CRF
    fix_crf(object())


def test_the_crf_fix_is_what_makes_decoding_work(tiny_model):
    import torch

    component = load_model(str(tiny_model))
    assert component.model.crf.batch_first is True
    tokens = [list(text) for text, _ in TINY_SENTENCES]
    fixed = component.predict(tokens)
    gold = [[(text[a:b], t, a, b) for a, b, t in spans] for text, spans in TINY_SENTENCES]
    correct = sum(len(set(map(tuple, p)) & set(g)) for p, g in zip(fixed, gold, strict=False))
    assert correct >= 6  # it learned most of the eight training entities
    # Decoding along the wrong axis (the unfixed CRF) loses them.
    component.model.crf.batch_first = False
    try:
        with torch.no_grad():
            broken = component.predict(tokens)
    finally:
        fix_crf(component.model)
    assert sum(len(set(map(tuple, p)) & set(g)) for p, g in zip(broken, gold, strict=False)) < correct


def test_hanlp_load_reads_a_trained_model_offline(tiny_model, monkeypatch):
    import hanlp

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = json.loads((tiny_model / "config.json").read_text())
    assert config["classpath"] == "pipeline.ner_model.BiLSTMCRFRecognizer"
    component = hanlp.load(str(tiny_model), devices=-1, verbose=False)
    assert type(component).__name__ == "BiLSTMCRFRecognizer"
    assert component.model.crf.batch_first is True  # fixed on load, not only after training
    recognizer = ModelRecognizer(tiny_model)
    spans = recognizer("张伟在上海侨好食品有限公司工作。")
    assert ("张伟", "PERSON") in [(s.text, s.type) for s in spans]
    assert all(s.source == "model" and "张伟在上海侨好食品有限公司工作。"[s.start : s.end] == s.text for s in spans)


def test_crf_marginals_are_probabilities_and_agree_with_viterbi(tiny_model):
    import torch

    from pipeline.ner_model import crf_marginals

    component = load_model(str(tiny_model))
    vocab = component.vocabs["token"]
    text = "张伟在上海侨好食品有限公司工作。"
    x = torch.tensor([[vocab.token_to_idx.get(c, vocab.unk_idx) for c in text]])
    with torch.no_grad():
        emissions, mask = component.model(x)
        probs = crf_marginals(emissions[0], component.model.crf)
        path = component.model.crf.decode(emissions, mask)[0]
    assert probs.shape == (len(text), len(component.vocabs["tag"]))
    assert torch.allclose(probs.sum(dim=1), torch.ones(len(text)), atol=1e-4)
    # On a sentence it was trained on, the decoded tag is the most probable one almost everywhere.
    agree = sum(int(probs[i].argmax()) == int(path[i]) for i in range(len(text)))
    assert agree >= len(text) - 1


def test_batched_marginals_equal_one_sentence_at_a_time(tiny_model):
    import torch

    from pipeline.ner_model import crf_marginals

    crf = load_model(str(tiny_model)).model.crf
    torch.manual_seed(0)
    emissions = torch.randn(3, 6, crf.num_tags)
    lengths = [6, 4, 1]
    mask = torch.tensor([[i < n for i in range(6)] for n in lengths])
    batched = crf_marginals(emissions, crf, mask)
    for row, n in enumerate(lengths):
        assert torch.allclose(batched[row, :n], crf_marginals(emissions[row, :n], crf), atol=1e-5)


def test_model_layer_filters_by_type_confidence_and_domain(tiny_model):
    text = "张伟在上海侨好食品有限公司工作。"
    model = ModelRecognizer(tiny_model)
    every = model(text)
    assert every and all(0.0 < s.confidence <= 1.0 for s in every)

    def names(spans):
        return {(s.text, s.type) for s in spans}

    # Above every confidence only a name ending in its own head (有限公司) is left.
    strict = model_layer.ModelLayer(model, in_domain=1.01, elsewhere=1.01)(text)
    assert names(strict) == {("上海侨好食品有限公司", "ENTERPRISE")}
    kept = model_layer.ModelLayer(model, in_domain=1.01, elsewhere=0.0)(text)  # no party-building words here
    assert ("张伟", "PERSON") in names(kept) and {s.type for s in kept} <= set(model_layer.MODEL_TYPES)
    layer = model_layer.ModelLayer(model, in_domain=1.01, elsewhere=0.0)
    layer.prepare([text, "他是党员。"])  # a document with the domain's vocabulary: the strict threshold
    assert names(layer(text)) == names(strict)


class _FixedModel:
    """A model that returns given spans with given confidences (to test the merge's filters alone)."""

    def __init__(self, spans):
        self.spans = spans

    def prepare(self, texts):
        pass

    def __call__(self, text):
        return [
            Span(text.index(name), text.index(name) + len(name), name, kind, source="model", confidence=conf)
            for name, kind, conf in self.spans
            if name in text
        ]


@pytest.mark.parametrize(
    "name, kind, kept",
    [
        ("杭州明远青少年活动中心", "INSTITUTION", True),  # the head of its own type after a name
        ("滨江路商圈党建联盟", "ALLIANCE", True),
        ("明远青少年活动中心", "ENTERPRISE", False),  # a head of another type
        ("行业协会", "INSTITUTION", False),  # a generic word before the head
        ("新公司", "ENTERPRISE", False),  # one character before the head
        ("街道社区和发展公司", "ENTERPRISE", False),  # two bodies joined by a conjunction
        ("明远青少年", "INSTITUTION", False),  # no head at all
        ("江苏工信部", "GOV_ORG", False),  # the rules' test: no ministry under a province
    ],
)
def test_model_spans_ending_in_their_own_head_are_kept_at_any_confidence(name, kind, kept):
    text = f"党员代表来到{name}参观。"  # party-building words: the strict in-domain threshold applies
    layer = model_layer.ModelLayer(_FixedModel([(name, kind, 0.2)]))
    layer.prepare([text])
    assert [(s.text, s.type) for s in layer(text)] == ([(name, kind)] if kept else [])
    assert model_layer.ends_in_own_head(text, Span(6, 6 + len(name), name, kind)) is kept


def test_a_description_ending_in_a_head_is_not_kept_at_low_confidence():
    text = "党员们走进这家锂电池公司参观。"
    layer = model_layer.ModelLayer(_FixedModel([("锂电池公司", "ENTERPRISE", 0.2)]))
    layer.prepare([text])
    assert layer(text) == []
    assert model_layer.ModelLayer(_FixedModel([("锂电池公司", "ENTERPRISE", 0.9)]))(text)  # the threshold's call


def test_kb_ner_model_off_means_rules_only(monkeypatch):
    monkeypatch.setenv("KB_NER_MODEL", "off")
    recognizer = ModelRecognizer()
    assert not recognizer.enabled
    assert recognizer("浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。") == []


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="make train"):
        ModelRecognizer(tmp_path / "nothing")("张伟在上海工作。")


def test_model_recognizer_predicts_a_document_in_one_batch(tiny_model, monkeypatch):
    recognizer = ModelRecognizer(tiny_model)
    calls = []
    real = recognizer._predict
    monkeypatch.setattr(recognizer, "_predict", lambda inputs: calls.append(len(inputs)) or real(inputs))
    texts = ["张伟在上海侨好食品有限公司工作。李娜来到金山区民政局调研。", "王强是浙商银行的员工。", ""]
    recognizer.prepare(texts)
    assert calls == [3]  # three sentences, one call; the empty text is skipped
    for text in texts:
        recognizer(text)
    assert calls == [3]  # served from the cache
    # Offsets of a paragraph's second sentence point into the paragraph.
    spans = recognizer(texts[0])
    assert all(texts[0][s.start : s.end] == s.text for s in spans)


# --------------------------------------------------------------------------- the committed model


def test_committed_model_is_small_and_loads_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("KB_NER_MODEL", raising=False)
    files = {p.name: p.stat().st_size for p in MODEL_DIR.iterdir()}
    assert {"config.json", "vocabs.json", "model.pt", "MODEL_CARD.md"} <= set(files)
    assert sum(files.values()) < 30 * 1024 * 1024
    spans = ModelRecognizer(MODEL_DIR)("浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。")
    assert ("叶老桂", "PERSON") in [(s.text, s.type) for s in spans]


def test_kb_extract_uses_the_model_by_default(monkeypatch):
    from click.testing import CliRunner

    from kb.cli import main

    # A sentence outside the newsletters' vocabulary: no rule layer knows this person.
    text = "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。"
    monkeypatch.delenv("KB_NER_MODEL", raising=False)
    found = json.loads(CliRunner().invoke(main, ["extract", "-"], input=text).output)
    assert ("叶老桂", "PERSON") in [(e["text"], e["type"]) for e in found["entities"]]
    entities.MODEL_RECOGNIZER.model._cache.clear()
    monkeypatch.setenv("KB_NER_MODEL", "off")
    rules = json.loads(CliRunner().invoke(main, ["extract", "-"], input=text).output)
    assert "叶老桂" not in [e["text"] for e in rules["entities"]]


# --------------------------------------------------------------------------- the merge


def _span(text, s, e, t, source="suffix", conf=0.9):
    return Span(s, e, text[s:e], t, source=source, confidence=conf)


def test_fill_gaps_keeps_rules_and_adds_only_non_overlapping_model_spans():
    text = "绿庭国际与金山区亭林镇党委签约。"
    rules = [_span(text, 5, 13, "PARTY_ORG")]
    model = [
        _span(text, 0, 4, "ENTERPRISE", "model", 0.5),
        _span(text, 5, 8, "REGION", "model", 0.5),
        _span(text, 0, 2, "REGION", "model", 0.5),
    ]
    merged = merge.fill_gaps(rules, model)
    assert [(s.text, s.type, s.source) for s in merged] == [
        ("绿庭国际", "ENTERPRISE", "model"),
        ("金山区亭林镇党委", "PARTY_ORG", "suffix"),
    ]


class _FixedLayer:
    """A model-like layer that returns fixed spans (to test the merge inside ``recognize``)."""

    name = "model"
    fills_gaps = True

    def __init__(self, found):
        self.found = found

    def __call__(self, text):
        return [_span(text, text.index(w), text.index(w) + len(w), t, "model", 0.5) for w, t in self.found if w in text]


def test_recognize_merges_a_model_layer_after_the_rules():
    text = "绿庭国际与金山区亭林镇党委签约。"
    rules_only = entities.recognize(text, recognizers=list(entities.RULE_RECOGNIZERS))
    layer = _FixedLayer([("绿庭国际", "ENTERPRISE"), ("亭林镇", "REGION")])
    merged = entities.recognize(text, recognizers=[*entities.RULE_RECOGNIZERS, layer])
    assert set((s.start, s.end, s.type) for s in rules_only) <= set((s.start, s.end, s.type) for s in merged)
    assert ("绿庭国际", "ENTERPRISE", "model") in [(s.text, s.type, s.source) for s in merged]
    assert "亭林镇" not in [s.text for s in merged if s.source == "model"]  # inside a rule span


def test_default_extraction_uses_the_model_and_keeps_every_rule_span():
    assert entities.MODEL_RECOGNIZER in entities.RECOGNIZERS
    texts = [p for p in seed("001").read_text(encoding="utf-8").split("\n") if p.strip()][:12]
    merged = recognize_document(texts)
    with entities.using_layers(entities.RULE_RECOGNIZERS):
        rules = recognize_document(texts)
    for _r, m in zip(rules, merged, strict=False):
        model_spans = [s for s in m if s.source == "model"]
        for s in model_spans:  # a model span never overlaps a rule span
            assert not any(s.start < x.end and x.start < s.end for x in m if x.source != "model")
    assert sum(len(m) for m in merged) >= sum(len(r) for r in rules)


# --------------------------------------------------------------------------- hand-corrected in-domain labels

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
# An in-domain news item written for these tests (not from any corpus): two sentences, one with a
# person the rules cannot know.
ITEM_TEXT = "金山区委组织部在亭林镇召开座谈会。村民代表骆青禾发言，介绍了合作社的情况。"


def test_spans_from_surfaces_labels_every_occurrence_longest_first_without_overlap():
    text = "湖北省委组织部到湖北省宜昌市调研，湖北省的干部参加。"
    spans = ner_data.spans_from_surfaces(
        text,
        [
            ("湖北省", "REGION"),
            ("湖北省委组织部", "GOV_ORG"),
            ("宜昌市", "REGION"),
            ("调研", "INDUSTRY"),
            ("", "PERSON"),
        ],
    )
    assert [(text[s:e], t) for s, e, t in spans] == [
        ("湖北省委组织部", "GOV_ORG"),
        ("湖北省", "REGION"),
        ("宜昌市", "REGION"),
        ("湖北省", "REGION"),
    ]


def test_in_domain_sentences_take_hand_labels_where_the_sentence_matches():
    silver = ner_data.silver_sentences([ITEM_TEXT])
    assert len(silver) == 2 and "骆青禾" not in [silver[1].text[s:e] for s, e, _ in silver[1].spans]
    hand = {ner_data.sentence_key("item-1", silver[1].text): [("骆青禾", "PERSON")]}
    sents = ner_data.in_domain_sentences([(1, "item-1", ITEM_TEXT)], hand)
    assert [s.source for s in sents] == ["silver", "cctv-gold"]
    assert sents[0].spans == silver[0].spans  # no annotation: the rules' labels
    assert [(sents[1].text[s:e], t) for s, e, t in sents[1].spans] == [("骆青禾", "PERSON")]
    # Another item id, or a sentence whose text changed, does not pick the annotation up.
    assert {s.source for s in ner_data.in_domain_sentences([(1, "item-2", ITEM_TEXT)], hand)} == {"silver"}
    changed = ITEM_TEXT.replace("骆青禾发言", "骆青禾同志发言")
    assert {s.source for s in ner_data.in_domain_sentences([(1, "item-1", changed)], hand)} == {"silver"}


def test_compare_in_domain_scores_only_held_out_hand_labelled_items(tmp_path, tiny_model):
    from kb.ner_eval import compare_in_domain

    folder = tmp_path / ner_data.CCTV_ITEMS.parent
    folder.mkdir(parents=True)
    other = "刘洋走访了亭林镇。"
    (tmp_path / ner_data.CCTV_ITEMS).write_text(
        "\n".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False)
            for i, t in [("held-out", ITEM_TEXT), ("trained", other)]
        )
        + "\n",
        encoding="utf-8",
    )
    assert ner_data.is_held_out(0) and not ner_data.is_held_out(1)
    silver = ner_data.silver_sentences([ITEM_TEXT])
    rule_labels = [[(s.text[a:b], t) for a, b, t in s.spans] for s in silver]
    hand = {
        ner_data.sentence_key("held-out", silver[0].text): rule_labels[0],
        ner_data.sentence_key("held-out", silver[1].text): rule_labels[1] + [("骆青禾", "PERSON")],
        ner_data.sentence_key("trained", other): [("刘洋", "PERSON"), ("亭林镇", "REGION")],
    }
    scores = compare_in_domain(tmp_path, hand, ModelRecognizer(tiny_model))
    rules = scores["rules only"]
    gold_count = sum(map(len, rule_labels)) + 1
    assert rules["sentences"] == 2  # the trained item is not scored
    assert rules["micro_precision"] == 1.0
    assert rules["micro_recall"] == pytest.approx((gold_count - 1) / gold_count, abs=1e-4)
    assert set(scores) == {"rules only", "model only", "merged", "merged @0.85"}
    assert "missing" in compare_in_domain(tmp_path / "nowhere", hand)


def test_committed_annotations_are_well_formed_and_match_the_items():
    rows = [json.loads(line) for line in ner_data.ANNOTATIONS.read_text(encoding="utf-8").splitlines()]
    assert rows and all(len(r["sha1"]) == 16 and r["id"] for r in rows)
    assert {t for r in rows for _, t in r["entities"]} <= set(ner_labels.MODEL_TYPES)
    if not (SHARED_DATA / ner_data.CCTV_ITEMS).is_file():
        pytest.skip(f"{SHARED_DATA / ner_data.CCTV_ITEMS} missing: cannot check the annotations still match")
    items = ner_data.cctv_items(SHARED_DATA)[:8]
    sents = ner_data.in_domain_sentences(items, ner_data.load_annotations())
    # Cleaning that changed a sentence would silently turn its hand labels back into silver ones.
    assert sents and all(s.source == "cctv-gold" for s in sents)


def test_format_comparison_puts_every_corpus_beside_the_seed_rows():
    from kb.ner_eval import SYSTEMS, format_comparison

    def scores(f1):
        return {
            "sentences": 7,
            "micro_precision": f1,
            "micro_recall": f1,
            "micro_f1": f1,
            "macro_f1": f1,
            "labels": {"PERSON": f1, "REGION": f1},
        }

    gold = {s: {"entity_precision": 0.9, "entity_recall": 0.8, "entity_f1": 0.847, "relation_f1": 0.7} for s in SYSTEMS}
    corpora = {
        "CCTV held-out": {s: scores(0.5 + i / 10) for i, s in enumerate(SYSTEMS)},
        "MSRA test": {"missing": {"path": "/nowhere/msra_test_bio"}},
    }
    table = format_comparison(gold, corpora)
    rows = {line.split("  ")[0]: line for line in table.splitlines()[1 : len(SYSTEMS) + 1]}
    assert set(rows) == set(SYSTEMS)
    assert "0.700/0.700/0.700" in rows["merged"] and "0.900/0.800/0.847" in rows["merged"]
    assert "CCTV held-out per label F1 (7 sentences)" in table
    assert "note: MSRA test not scored: /nowhere/msra_test_bio is missing" in table
