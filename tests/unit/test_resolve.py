"""Resolution of relative names and short forms within one document."""

from pipeline.extract.entities.crf import recognize_document
from pipeline.extract.resolve import Resolution, resolve


def run(texts, title=""):
    spans = recognize_document(texts)
    return spans, resolve(spans, texts, title)


def names(spans):
    return {(s.name, s.type) for ss in spans for s in ss}


def test_relative_bodies_stay_apart_across_districts():
    jinshan = [
        "金山区发挥产业集群党委政治引领的作用。",
        "去年8月，在区委组织部、区社会工作党委和区经委等部门共同努力下，试点实施了新模式。",
    ]
    songjiang = ["松江区聚焦人工智能等重点产业。", "由区委组织部、区社会工作党委协同区经委、科委等职能部门推动。"]
    a, ra = run(jinshan)
    b, rb = run(songjiang)
    assert ("金山区委组织部", "GOV_ORG") in names(a)
    assert ("金山区社会工作党委", "PARTY_ORG") in names(a)
    assert ("松江区委组织部", "GOV_ORG") in names(b)
    assert ("松江区经委", "GOV_ORG") in names(b)
    assert "区委组织部" in ra.aliases["金山区委组织部"]
    assert isinstance(ra, Resolution)


def test_nearest_district_wins_inside_one_document():
    texts = [
        "金山区探索产业集群党建。",
        "在区社会工作党委的推动下。",
        "松江区开辟G60科创走廊。",
        "由区社会工作党委协同推动。",
    ]
    spans, res = run(texts)
    got = [s.name for ss in spans for s in ss if s.type == "PARTY_ORG"]
    assert got == ["金山区社会工作党委", "松江区社会工作党委"]


def test_short_form_joins_company():
    texts = ["由1家龙头企业正泰电气公司党委和8家企业的党支部组成。", "正泰电气公司是龙头。", "正泰电气与多家企业合作。"]
    spans, res = run(texts)
    assert ("正泰电气公司", "ENTERPRISE") in names(spans)
    assert ("正泰电气", "ENTERPRISE") not in names(spans)
    assert "正泰电气" in res.aliases["正泰电气公司"]
    texts = ["上海创元化妆品有限公司是一家化妆品企业。", "2017年，创元化妆品在百强企业中排名第40位。"]
    spans, res = run(texts)
    assert res.canonical["创元化妆品"] == "上海创元化妆品有限公司"


def test_bare_zone_and_district_bodies():
    texts = [
        "本报讯(孙佳敏)2月28日下午，区委常委、宣传部部长金正斌一行来金山工业区看望代表。",
        "工业区要以此为契机，全面做好宣传。区委办公室、区委研究室和工业区党群办等部门负责同志参加。",
    ]
    spans, res = run(texts, title="金山区")
    n = names(spans)
    assert ("金山工业区", "ZONE") in n
    assert ("金山工业区党群办", "GOV_ORG") in n
    assert ("金山区委办公室", "GOV_ORG") in n
    assert "工业区" in res.aliases["金山工业区"]


def test_region_short_form_joins_full_form_only_when_written():
    texts = ["金山区立足与浙江省嘉兴市等地的区域实际。", "金山在五个镇试点。", "形成覆盖松江、嘉兴、杭州的布局。"]
    spans, res = run(texts)
    n = names(spans)
    assert ("金山区", "REGION") in n and ("金山", "REGION") not in n
    assert ("嘉兴市", "REGION") in n
    assert ("杭州", "REGION") in n  # 杭州市 is never written: the short form stays


def test_community_bodies_take_the_community_named_before():
    texts = ["长山花园社区位于团山街道。", "疫情防控压力空前加大，社区党委第一时间成立指挥部，居委会干部全员上岗。"]
    spans, res = run(texts)
    found = names(spans)
    assert ("长山花园社区党委", "PARTY_ORG") in found
    assert ("长山花园社区居委会", "GOV_ORG") in found
    assert ("社区党委", "PARTY_ORG") not in found


def test_district_named_only_inside_a_zone_name_anchors_relative_bodies():
    # The article never writes 嘉定区, only 嘉定工业区: 区委 and 区政协 are still Jiading's.
    from pipeline.extract import extract
    from pipeline.stages import prepare_text

    doc = extract(
        prepare_text("嘉定工业区推进党建\n\n3月7日，区委书记王明强来嘉定工业区调研，区政协主席李华强陪同。\n")
    )
    names = {s.text: s.name for s in doc.entities if s.type == "GOV_ORG"}
    assert names.get("区委") == "嘉定区委" and names.get("区政协") == "嘉定区政协"
