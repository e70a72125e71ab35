"""The learned relation classifier (pipeline/extract/relations/model.py) on invented sentences.

Names are invented; no text of the annotated pool is copied here. Tests that need the pool
(``../shared/data/cctv_pool``) skip without it.
"""

from __future__ import annotations

import pytest

from pipeline.annotations import DEFAULT_POOL
from pipeline.document import Relation
from pipeline.extract.relations import model as rm
from pipeline.training import relation_model as rm_training


def spans(text: str, *items: tuple[str, str]) -> list[tuple[int, int, str, str]]:
    """``(start, end, type, name)`` of the first occurrence of each (name, type)."""
    out = []
    for name, type_ in items:
        start = text.index(name)
        out.append((start, start + len(name), type_, name))
    return out


def triples(rels: list[Relation]) -> set[tuple[str, str, str]]:
    return {(r.subject, r.predicate, r.object) for r in rels}


VISIT = "3月5日，市委书记王大明在区长李小华陪同下来到新华科技公司调研。"
VISIT_SPANS = (("王大明", "PERSON"), ("李小华", "PERSON"), ("新华科技公司", "ENTERPRISE"))


def test_sentences_split_at_full_stops_and_line_ends_not_at_semicolons():
    text = "甲公司成立；乙公司加入。“好！”他说\n第二行"
    assert [text[s:e] for s, e in rm.sentences(text)] == ["甲公司成立；乙公司加入。", "“好！”", "他说\n", "第二行"]


def test_nested_spans_keep_the_longest():
    ms = rm.mentions_of([(0, 4, "ENTERPRISE", "青禾公司"), (0, 2, "REGION", "青禾"), (5, 7, "REGION", "东湖")])
    assert [m.name for m in ms] == ["青禾公司", "东湖"]


def test_accompany_roles():
    ms = rm.mentions_of(spans(VISIT, *VISIT_SPANS))
    sent = rm.sentences(VISIT)[0]
    visitor, companion = ms[0], ms[1]
    assert rm.accompany_roles(VISIT, sent, companion) == ["zai"]
    assert rm.accompany_roles(VISIT, sent, visitor) == []
    text = "李小华陪同王大明走访了东湖村。"
    ms = rm.mentions_of(spans(text, ("李小华", "PERSON"), ("王大明", "PERSON")))
    assert rm.accompany_roles(text, rm.sentences(text)[0], ms[0]) == ["after"]


def test_people_who_accompany_visit_nothing():
    rels = rm.predict_relations(VISIT, spans(VISIT, *VISIT_SPANS), doc_date="2025-01-02")
    assert not any(r.predicate == "VISITED" and r.subject == "李小华" for r in rels)


def test_the_shipped_model_finds_a_visit_with_its_date():
    text = "3月5日，市委书记王大明一行来到东湖村调研乡村振兴工作。"
    rels = rm.predict_relations(text, spans(text, ("王大明", "PERSON"), ("东湖村", "REGION")), doc_date="2025-01-02")
    visit = [r for r in rels if r.predicate == "VISITED"]
    assert [(r.subject, r.object, r.attrs) for r in visit] == [("王大明", "东湖村", {"date": "2025-03-05"})]
    assert visit[0].evidence == text and 0.0 < visit[0].confidence <= 1.0


def test_the_shipped_model_finds_a_post_with_its_title():
    text = "青禾电子公司党委书记张明远带领党员来到东湖村开展志愿服务。"
    rels = rm.predict_relations(
        text, spans(text, ("青禾电子公司党委", "PARTY_ORG"), ("张明远", "PERSON"), ("东湖村", "REGION"))
    )
    post = [r for r in rels if r.predicate == "HOLDS_POSITION"]
    assert [(r.subject, r.object, r.attrs) for r in post] == [("张明远", "青禾电子公司党委", {"title": "书记"})]
    assert post[0].confidence > 0.5


def test_the_shipped_model_places_a_village_in_its_city():
    text = "东湖村位于江南省青山市，是远近闻名的示范村。"
    rels = rm.predict_relations(text, spans(text, ("东湖村", "REGION"), ("江南省", "REGION"), ("青山市", "REGION")))
    assert ("青山市", "LOCATED_IN", "江南省") in triples(rels)
    assert ("江南省", "LOCATED_IN", "青山市") not in triples(rels)


# --- training on a tiny invented data set -------------------------------------------------------------

COMPANIES = [
    "青禾电子公司",
    "远山材料公司",
    "启明研究院",
    "恒通物流公司",
    "金穗农业公司",
    "蓝海软件公司",
    "北辰机械公司",
    "南湖食品公司",
    "云帆科技公司",
    "松石化工公司",
]
PEOPLE = ["张明远", "李秋实", "王若愚", "赵一鸣", "陈思齐", "刘知行"]


def tiny_records() -> tuple[dict[str, dict], dict[str, str]]:
    """Invented documents: cooperation lists, posts, and sentences that state nothing."""
    records, texts = {}, {}
    for k in range(8):
        a, b, c = COMPANIES[k], COMPANIES[k + 1], COMPANIES[(k + 2) % len(COMPANIES)]
        person = PEOPLE[k % len(PEOPLE)]
        coop = f"{a}、{b}和{c}签订合作协议，共建实验室。"
        post = f"{a}董事长{person}参加了会议。"
        idle = f"{b}的展位在{c}的展位旁边。"
        text = "\n".join([coop, post, idle])
        ents = [{"name": n, "type": "ENTERPRISE"} for n in (a, b, c)] + [{"name": person, "type": "PERSON"}]
        rels = [{"s": x, "p": "COOPERATES_WITH", "o": y, "evidence": coop} for x, y in ((a, b), (a, c), (b, c))]
        rels.append({"s": person, "p": "HOLDS_POSITION", "o": a, "evidence": post, "attrs": {"title": "董事长"}})
        records[f"doc{k}"] = {"doc": f"doc{k}", "entities": ents, "relations": rels}
        texts[f"doc{k}"] = text
    return records, texts


def test_labelled_pairs_follow_the_evidence():
    records, texts = tiny_records()
    labels = {(key[0], key[1], y) for _, y, key in rm_training.labelled_pairs(texts["doc0"], records["doc0"])}
    a, b, c = COMPANIES[:3]
    # cooperation both ways, in the evidence sentence only (the same pair in the third line is NONE)
    assert {(a, c, "COOPERATES_WITH"), (c, a, "COOPERATES_WITH"), (b, c, "COOPERATES_WITH")} <= labels
    assert (b, c, "NONE") in labels
    assert (PEOPLE[0], a, "HOLDS_POSITION") in labels and (a, PEOPLE[0], "NONE") in labels


def test_a_tiny_model_learns_lists_and_round_trips(tmp_path):
    pytest.importorskip("sklearn")
    records, texts = tiny_records()
    X, y, keys = rm_training.build_dataset(records, texts)
    model = rm_training.fit(X, y, C=10.0, min_count=1, prune=0.0)
    model.allowed = rm_training.allowed_types(y, keys)
    model.thresholds = {c: 0.5 for c in model.classes if c != rm.NONE}
    text = "蓝海软件公司、北辰机械公司和松石化工公司签订合作协议。"
    sp = spans(text, ("蓝海软件公司", "ENTERPRISE"), ("北辰机械公司", "ENTERPRISE"), ("松石化工公司", "ENTERPRISE"))
    found = rm.predict_relations(text, sp, model=model)
    pairs = {frozenset((r.subject, r.object)) for r in found if r.predicate == "COOPERATES_WITH"}
    assert pairs == {
        frozenset(("蓝海软件公司", "北辰机械公司")),
        frozenset(("蓝海软件公司", "松石化工公司")),
        frozenset(("北辰机械公司", "松石化工公司")),
    }  # one relation per pair, symmetric once
    assert not rm.predict_relations(
        "蓝海软件公司的展位在北辰机械公司的展位旁边。",
        spans(
            "蓝海软件公司的展位在北辰机械公司的展位旁边。",
            ("蓝海软件公司", "ENTERPRISE"),
            ("北辰机械公司", "ENTERPRISE"),
        ),
        model=model,
    )
    path = tmp_path / "model.json"
    model.save(path)
    loaded = rm.Model.load(path)
    assert loaded.classes == model.classes and loaded.thresholds == model.thresholds
    assert triples(rm.predict_relations(text, sp, model=loaded)) == triples(found)
    assert loaded.probabilities(X[0]) == pytest.approx(model.probabilities(X[0]))


def test_combine_follows_the_policy_and_keeps_one_copy():
    rule = Relation("甲公司", "COOPERATES_WITH", "乙公司", "ev", confidence=0.6)
    learned = Relation("乙公司", "COOPERATES_WITH", "甲公司", "ev", confidence=0.9)
    post = Relation("张三", "HOLDS_POSITION", "甲公司", "ev", confidence=0.8)
    both = rm.combine([rule], [learned, post], {})
    assert len(both) == 2 and both[0] is rule and rule.confidence == 0.9
    only_rules = rm.combine(
        [rule], [learned, post], {"COOPERATES_WITH": ("rules", 0.0), "HOLDS_POSITION": ("rules", 0.0)}
    )
    assert only_rules == [rule]
    only_model = rm.combine([rule], [learned, post], {"COOPERATES_WITH": ("model", 0.0)})
    assert learned in only_model and rule not in only_model
    confident = rm.combine([], [learned, post], {"HOLDS_POSITION": ("union", 0.85)})
    assert confident == [learned]


def test_the_shipped_policy_reads():
    policy = rm.combine_policy()
    assert {use for use, _ in policy.values()} <= {"rules", "model", "union"}
    assert all(0.0 <= least <= 1.0 for _, least in policy.values())
    assert "COOPERATES_WITH" in policy


def test_the_policy_follows_the_genre_within_one_process(monkeypatch):
    monkeypatch.setenv("KB_GENRE", "newsletter")
    newsletter = rm.combine_policy()
    monkeypatch.setenv("KB_GENRE", "news")
    news = rm.combine_policy()
    # the two files choose differently for COOPERATES_WITH (rules for newsletters, both for news)
    assert newsletter["COOPERATES_WITH"][0] == "rules" and news["COOPERATES_WITH"][0] == "union"


def test_train_says_clearly_when_the_pool_is_missing(tmp_path, capsys):
    assert rm_training.main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) != 0
    assert "pool is missing" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not DEFAULT_POOL.is_file(), reason="needs ../shared/data/cctv_pool (the annotated texts)")
def test_annotated_documents_give_positive_pairs():
    from pipeline import annotations

    records = annotations.split_records("train")
    some = dict(sorted(records.items())[:5])
    texts = annotations.pool_texts(some)
    X, y, keys = rm_training.build_dataset(some, texts)
    assert len(X) == len(y) == len(keys) and any(label != rm.NONE for label in y)


def test_the_mention_index_finds_what_a_scan_of_every_mention_finds():
    """The lookups that keep a long list of names linear (MentionIndex) agree with a plain scan."""
    from pipeline.extract.relations.model import Mention, MentionIndex, accompany_roles, sentences

    text = (
        "在区委书记王明强陪同下，市委副书记李华来到上海华鑫电气有限公司、上海远航物流有限公司和青松镇党委调研。"
        "委员：张三、李四、王五、赵六、钱七。华鑫集团与远航物流签订合作协议。"
    )
    names = [
        "区委",
        "王明强",
        "市委",
        "李华",
        "上海华鑫电气有限公司",
        "上海远航物流有限公司",
        "青松镇党委",
        "张三",
        "李四",
        "王五",
        "赵六",
        "钱七",
        "华鑫集团",
        "远航物流",
    ]
    ms, at = [], 0
    for name in names:
        start = text.index(name, at)
        ms.append(Mention(start, start + len(name), "X", name))
        at = start + len(name)
    index = MentionIndex(text, ms)
    for lo in range(len(text) + 1):
        for hi in range(lo, len(text) + 1, 3):
            assert index.inside(lo, hi) == [m for m in ms if m.start >= lo and m.end <= hi], (lo, hi)
    for sent in sentences(text):
        inside = [k for k, m in enumerate(ms) if sent[0] <= m.start < sent[1]]
        assert index.first_in(sent) == (inside[0] if inside else None)
        for k in inside:
            assert index.roles(sent, k) == accompany_roles(text, sent, ms[k])
    assert "zai" in index.roles(sentences(text)[0], 1)  # 在王明强陪同下
