"""Entity recognition on real seed sentences (the code knows none of these names)."""

from pathlib import Path

from pipeline.document import Span
from pipeline.extract.entities import RECOGNIZERS, recognize
from pipeline.extract.entities.crf import recognize_document
from pipeline.extract.entities.gazetteer import RegionGazetteer
from pipeline.extract.entities.industries import IndustryRecognizer
from pipeline.extract.entities.known import KnownEntities
from pipeline.extract.entities.merge import merge_spans
from pipeline.extract.entities.organizations import SuffixOrgRecognizer
from pipeline.extract.entities.persons import PersonRecognizer
from pipeline.extract.entities.settlements import SettlementRecognizer
from pipeline.gazetteer import build_region_lexicon, short_form

DATA = Path(__file__).parents[1] / "data"


def found(spans, type_=None):
    return {(s.text if type_ else (s.text, s.type)) for s in spans if type_ is None or s.type == type_}


def test_build_region_lexicon(tmp_path):
    out = tmp_path / "regions.txt"
    n = build_region_lexicon(DATA / "ent_admin", out)
    lines = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = {fields[0]: fields for fields in lines}
    assert n == len(lines)
    assert rows["金山区"][1:] == ["county", "金山", "上海市"]
    assert rows["亭林镇"][1:] == ["town", "亭林", "金山区"]
    assert rows["嘉善县"][1:] == ["county", "嘉善", "嘉兴市"]
    assert "上海湾区高新技术产业开发区" not in rows  # parks are not settlements


def test_short_form():
    assert short_form("嘉兴市") == "嘉兴"
    assert short_form("广西壮族自治区") == "广西"
    assert short_form("马鞍街道") == "马鞍"
    assert short_form("城区") == ""


def test_gazetteer_full_forms():
    text = "金山廊下镇与毗邻的浙江省嘉兴市大云镇、广陈镇共同组建旅居产业集群活动型党委"
    spans = RegionGazetteer()(text)
    assert {"廊下镇", "浙江省", "嘉兴市", "大云镇", "广陈镇"} <= found(spans, "REGION")
    for s in spans:
        assert text[s.start : s.end] == s.text


def test_settlements():
    text = "桥湾居民区目前辖4个小区，红光中心村、横泾小区、运河小区和运河佳苑，有封闭式也有开放式小区，因地制宜"
    names = found(SettlementRecognizer()(text), "REGION")
    assert {"桥湾居民区", "红光中心村", "横泾小区", "运河小区"} <= names
    assert "开放式小区" not in names
    assert not found(SettlementRecognizer()("通过企业帮村、项目富村、产业带村等多种途径"), "REGION")


def test_party_orgs_longest_name_wins():
    text = "近日，亭林镇高端智能装备产业集群党委隶属的两家非公企业开展了党建共建"
    spans = recognize(text)
    assert ("亭林镇高端智能装备产业集群党委", "PARTY_ORG") in found(spans)
    assert not any(s.type == "REGION" and s.text == "亭林镇" for s in spans)


def test_party_orgs_list_and_generic():
    text = "目前已培育伽蓝集团党委、凯宝药业党委、莱士血液党总支、晨冠乳业党支部、创元化妆品党支部等一批"
    assert {"伽蓝集团党委", "凯宝药业党委", "莱士血液党总支", "晨冠乳业党支部", "创元化妆品党支部"} <= found(
        SuffixOrgRecognizer()(text), "PARTY_ORG"
    )
    generic = "产业集群党委采取组织建设联合的方式，促进党支部的规范化建设。"
    assert not found(recognize(generic), "PARTY_ORG")


def test_enterprise_zone_institution_alliance_gov():
    spans = recognize("在上海侨好食品有限公司，刘豫峰一行参观了企业展厅、生产车间")
    assert ("上海侨好食品有限公司", "ENTERPRISE") in found(spans)
    spans = recognize("依托G60脑智科创基地、之江实验室、纳米技术研究院等，聚合九城市547个院士专家工作站")
    assert {("G60脑智科创基地", "ZONE"), ("之江实验室", "INSTITUTION"), ("纳米技术研究院", "INSTITUTION")} <= found(
        spans
    )
    spans = recognize("南桥镇党委以“优势互补、互帮共建”为原则，牵头组建“三点两路”党建联合体，整合园、村、企三方资源")
    assert ("“三点两路”党建联合体", "ALLIANCE") in found(spans)
    assert ("南桥镇党委", "PARTY_ORG") in found(spans)
    spans = recognize("去年8月，在金山区委组织部、区社会工作党委和区经委等部门共同努力下")
    assert {("金山区委组织部", "GOV_ORG"), ("区社会工作党委", "PARTY_ORG"), ("区经委", "GOV_ORG")} <= found(spans)
    spans = recognize("南桥镇江海经济园区在地理位置上紧挨张翁庙村")
    assert {("南桥镇", "REGION"), ("江海经济园区", "ZONE"), ("张翁庙村", "REGION")} <= found(spans)


def test_sector_enterprises_and_lists():
    text = "比如，凯宝药业助力庄行镇新叶村创建；伽蓝集团、晨冠乳业、广泽食品、森森园等积极参与圆梦行动"
    ents = found(recognize(text), "ENTERPRISE")
    assert {"凯宝药业", "伽蓝集团", "晨冠乳业", "广泽食品", "森森园"} <= ents
    # Fields before 等…企业 are not companies.
    assert not found(recognize("推动生物医药企业资源共享"), "ENTERPRISE")


def test_persons():
    text = (
        "本报讯(张依婷)3月7日下午，区委书记刘健，区委常委、人武部部长李德华一行来工业区社区开展活动。"
        "工业区领导沈国忠、余飞麟及社区全体领导班子参加调研。"
    )
    names = found(PersonRecognizer()(text), "PERSON")
    assert {"张依婷", "刘健", "李德华", "沈国忠", "余飞麟"} <= names
    assert "班子" not in names
    assert found(PersonRecognizer()("汤学安 摄"), "PERSON") == {"汤学安"}


def test_industries():
    text = "逐步形成了PTA、纺织印染、新材料、金属制造和环保能源五大产业集群。"
    assert {"PTA", "纺织印染", "新材料", "金属制造", "环保能源"} <= found(IndustryRecognizer()(text), "INDUSTRY")
    text = '松江区聚焦人工智能、集成电路、生物医药等"6+X"重点产业，创新探索'
    assert {"人工智能", "集成电路", "生物医药"} <= found(recognize(text), "INDUSTRY")
    assert not found(recognize("奉贤区扎实推进东方美谷产业党建工作"), "INDUSTRY")


def test_merge_spans_longest_then_confidence_then_type():
    a = Span(0, 3, "金山区", "REGION", confidence=0.9)
    b = Span(0, 5, "金山工业区", "ZONE", confidence=0.6)
    c = Span(5, 7, "社区", "REGION", confidence=0.5)
    d = Span(5, 7, "社区", "GOV_ORG", confidence=0.9)
    merged = merge_spans([a, b, c, d])
    assert [(s.text, s.type) for s in merged] == [("金山工业区", "ZONE"), ("社区", "GOV_ORG")]
    e = Span(0, 2, "XY", "ENTERPRISE", confidence=0.6)
    f = Span(0, 2, "XY", "PARTY_ORG", confidence=0.6)
    assert merge_spans([e, f])[0].type == "PARTY_ORG"


def test_known_entities_found_again():
    known = KnownEntities()
    known.add("正泰电气公司", "ENTERPRISE", ["正泰电气"])
    spans = recognize("由1家龙头企业正泰电气牵头", known)
    assert any(s.text == "正泰电气" and s.type == "ENTERPRISE" and s.source == "known" for s in spans)
    assert known.canonical("正泰电气") == "正泰电气公司"


def test_recognize_document_licenses_short_forms():
    texts = ["金山区发挥产业集群党委政治引领的作用。", "金山在五个镇和一个工业区试点实施了新模式。"]
    spans = recognize_document(texts)
    assert any(s.text == "金山" and s.type == "REGION" for s in spans[1])


def test_layers_are_named_and_offsets_hold():
    assert [r.name for r in RECOGNIZERS] == ["gazetteer", "settlement", "suffix", "person", "industry", "model"]
    text = (Path(__file__).parents[2] / "corpus" / "003_093a10fb15906c3d.txt").read_text(encoding="utf-8")
    para = text.splitlines()[1] if len(text.splitlines()) > 1 else text
    for s in recognize(para):
        assert para[s.start : s.end] == s.text
        assert len(s.text) <= 40 and "，" not in s.text


# Generic-name filters, on sentences from national news (CCTV), not the seeds.


def _found(text):
    return {(s.text, s.type) for s in recognize(text)}


def test_industry_field_is_not_a_verb_or_an_actor():
    assert not any(t == "INDUSTRY" for _, t in _found("制造业当家，紧紧抓住产业项目、工业投资、产业平台"))
    assert not any(t == "INDUSTRY" for _, t in _found("传统单打独斗模式制约产业提质升级。"))
    assert not any(t == "INDUSTRY" for _, t in _found("一笔政府产业投资基金注入让企业活了下来"))
    assert not any(t == "INDUSTRY" for _, t in _found("维护全球产业链供应链安全稳定"))
    assert ("绿色", "INDUSTRY") not in _found("青海做大做强绿色产业链")
    assert not any(n.startswith("锚定") for n, _ in _found("锚定电子信息、有色金属、装备制造等产业持续发力"))
    assert ("动力系统", "INDUSTRY") in _found("吸引无人机整机、动力系统、智能座舱等相关产业集聚")


def test_company_needs_a_distinctive_name():
    found = _found("不久前，深圳这家锂电池公司在政府部门的牵线下")
    assert not any(t == "ENTERPRISE" for _, t in found)
    found = _found("打造5500人的高水平科技经理人队伍，增强国际航运物流枢纽功能。")
    assert not any(t == "ENTERPRISE" for _, t in found)
    assert not any(t == "ENTERPRISE" for _, t in _found("涉及鞋服新材料、特种钢材制造、机器视觉等领域"))
    assert not any(t == "ENTERPRISE" for _, t in _found("建设公共研发平台、服务智慧工厂的大数据中心"))


def test_ministry_is_not_under_a_province_and_department_is_generic():
    assert not any(t == "GOV_ORG" for _, t in _found("在宁德市工信部门，记者看到了一张图谱"))
    assert not any(t == "GOV_ORG" for _, t in _found("江苏工信部来到了各地生产一线"))


def test_left_boundary_stops_at_adverb_and_verb():
    found = _found("山西晋城东圣社区积极探索党支部引领，居委会、业委会、物业公司协同")
    assert not any("探索" in n for n, _ in found)
    found = _found("东圣社区正规划建设便民服务中心，集社区大食堂于一体")
    assert not any("规划" in n for n, _ in found)


def test_kinds_of_school_zone_and_settlement_are_not_names():
    assert not any(t == "INSTITUTION" for _, t in _found("义务教育学校全部纳入集团化办学"))
    for text in ("新、老党员一起走进爱国主义教育基地", "在城市广场等被洪水淹没区域", "建设26个省级重大新兴产业基地。"):
        assert not any(t == "ZONE" for _, t in _found(text)), text
    for text in (
        "许家冲村由三个移民村合并而成，人员构成复杂，过去村“两委”开展工作困难重重。",
        "来不及休息的他又带人进村检查。",
        "是社区党委书记，扎根基层社区已经50多年。",
    ):
        assert not any(t == "REGION" and n.endswith(("村", "社区")) for n, t in _found(text)), text


def test_region_words_are_not_counties():
    assert ("东区", "REGION") not in _found("目前，广东区域创新综合能力已经连续9年居全国首位")
    assert ("临江", "REGION") not in _found("连夜在临江区域搭建防洪板。")
    assert ("大湾", "REGION") not in _found("高水平推动粤港澳大湾区建设")


def test_unknown_name_cut_into_single_characters_is_a_name():
    # jieba does not know the name and cuts it into single characters; after 的 the first one
    # (a determiner elsewhere) starts the name, while 本公司 alone stays generic.
    spans = recognize("专干液体散料处理系统制造的本优公司在产品上互补，本公司和该公司也参加。")
    names = [(s.text, s.type) for s in spans]
    assert ("本优公司", "ENTERPRISE") in names
    assert not any(s.text in ("本公司", "该公司") for s in spans)


LINK_SENTENCE = (
    "溧阳市埭头镇党委书记汤建兵带领锂电池产业链党建联盟走访江苏蜂巢能源科技有限公司，"
    "与赣锋锂业、卓宇电子等企业负责人座谈，推动“链上党建”提质增效。"
)


def test_the_memo_tagger_gives_jiebas_tokens():
    """The HMM answers remembered for unknown runs change nothing: same tokens as jieba.posseg's
    own tokenizer over the same dictionary (twice, the second from memory)."""
    import jieba.posseg

    from pipeline.segmenter import segmenter

    seg = segmenter()
    seg.tagger.makesure_userdict_loaded()
    plain = jieba.posseg.POSTokenizer(seg.tokenizer)
    plain.word_tag_tab = seg.tags  # the domain words' tags went into the segmenter's table
    expected = [(w.word, w.flag) for w in plain.cut(LINK_SENTENCE)]
    assert [(w.word, w.flag) for w in seg.posseg(LINK_SENTENCE)] == expected
    assert seg.tagger.memo  # unknown runs were met and remembered
    assert [(w.word, w.flag) for w in seg.posseg(LINK_SENTENCE)] == expected


def test_extraction_leaves_jiebas_own_dictionary_alone_and_its_own_as_it_found_it():
    """The domain words and a document's forced-in names go into the segmenter's dictionary, never
    into jieba's module-level one; the names are gone again once the document is done."""
    import jieba
    import jieba.posseg

    from pipeline.segmenter import segmenter

    jieba.dt.check_initialized()
    before = (jieba.dt.total, len(jieba.dt.FREQ), len(jieba.posseg.dt.word_tag_tab))
    seg = segmenter()
    seg.tagger.makesure_userdict_loaded()  # the domain words' tags join the table on first use, for good
    own_before = (seg.tokenizer.total, dict(seg.freq), dict(seg.tags))
    spans = recognize_document([LINK_SENTENCE, "埭头镇是溧阳的一个镇。"])
    assert any(s.text == "埭头镇" for para in spans for s in para)
    assert (jieba.dt.total, len(jieba.dt.FREQ), len(jieba.posseg.dt.word_tag_tab)) == before
    assert "联合党支部" in seg.freq and "联合党支部" not in jieba.dt.FREQ  # the domain user dictionary
    assert (seg.tokenizer.total, seg.freq, seg.tags) == own_before


def test_judgements_remembered_for_the_run_ignore_a_documents_forced_in_words():
    """``_common_short`` and ``_common_proper`` are cached for the whole run, so they read the base
    dictionary: a document that forced 联合 in as a place name, or a new name in as a word, must not
    decide them for every document after it (the result would depend on the order)."""
    from pipeline.extract.entities.boundary import _common_proper
    from pipeline.extract.entities.tokens import _common_short
    from pipeline.segmenter import segmenter

    seg = segmenter()
    _common_short.cache_clear()
    _common_proper.cache_clear()
    with seg.scope():
        seg.add_word("联合", "ns")  # 联合镇 confirmed in one document: its short form forced in
        seg.add_word("蜂巢能源", "nt")
        inside = (_common_short("联合"), _common_proper("蜂巢能源", "nz"))
    _common_short.cache_clear()
    _common_proper.cache_clear()
    assert inside == (_common_short("联合"), _common_proper("蜂巢能源", "nz")) == (True, False)


def test_a_paragraph_is_cut_again_only_when_the_dictionary_changed_for_it():
    """``analyze`` remembers a cut by the paragraph and the dictionary's state for it: asked again
    in the same state (a later pass, another scope, names forced in that it does not hold) it answers
    from memory, and forces in the same region names cutting would have; a name forced in that occurs
    in the paragraph makes a new cut, the one a fresh cut gives."""
    from pipeline.extract.entities.tokens import analyze, forget_analyses
    from pipeline.segmenter import segmenter

    seg = segmenter()
    text = "埭头镇党委书记带领蜂巢能源的党员走访卓宇电子。"
    forget_analyses()
    with seg.scope():
        first = analyze(text)
        assert analyze(text) is first
        assert "埭头镇" in seg.added  # the region name was forced in
    with seg.scope():  # a new document: the same state for this paragraph
        assert analyze(text) is first
        assert "埭头镇" in seg.added  # forced in again, as cutting it would have
        seg.add_word("青溪郊野公园", "nt")  # a name of another paragraph: this one is cut as before
        assert analyze(text) is first
        seg.add_word("蜂巢能源", "nt")
        changed = analyze(text)
        assert changed is not first and any(t.word == "蜂巢能源" for t in changed[0])
        forget_analyses()
        assert analyze(text) == changed
    assert not seg.added
