"""Regions printed in front of a longer name become REGION mentions of their own (pipeline.extract.prefix_regions)."""

from __future__ import annotations

from pipeline.document import Span
from pipeline.extract.prefix_regions import prefix_chain, prefix_regions


def _span(text: str, name: str, type_: str) -> Span:
    start = text.index(name)
    return Span(start, start + len(name), name, type_)


def test_a_chain_of_full_and_short_forms_is_read_from_the_front_of_a_name():
    chain, rest = prefix_chain("广西贵港港南区滨江产业园")
    assert [entry.name for _, _, entry in chain] == ["广西壮族自治区", "贵港市", "港南区"]
    assert rest == "滨江产业园"


def test_county_short_forms_are_not_read_as_regions():
    # 公安 (公安县) and 南部 (南部县) are everyday words in front of 部 and 战区
    assert prefix_chain("公安部")[0] == []
    assert prefix_chain("南部战区")[0] == []


def test_a_zone_gets_its_prefix_regions_and_the_located_in_links_they_state():
    text = "广西贵港港南区滨江产业园今年新签约项目12个，贵港市招商引资成效明显。"
    zone = _span(text, "广西贵港港南区滨江产业园", "ZONE")
    added, replaced, relations = prefix_regions(text, [zone], region_names={"贵港市"})
    assert [(s.text, s.name, s.type) for s in added] == [
        ("广西", "广西", "REGION"),
        ("贵港", "贵港市", "REGION"),
        ("港南区", "港南区", "REGION"),
    ]
    assert all(text[s.start : s.end] == s.text for s in added)
    assert replaced == []
    assert {(r.subject, r.object) for r in relations} == {
        ("贵港市", "广西"),
        ("港南区", "贵港市"),
        ("广西贵港港南区滨江产业园", "港南区"),
    }
    assert all(
        r.predicate == "LOCATED_IN"
        and r.evidence == "广西贵港港南区滨江产业园今年新签约项目12个，贵港市招商引资成效明显。"
        for r in relations
    )


def test_a_body_named_after_its_region_gets_the_region_but_no_located_in():
    text = "吉林省辽源市委召开常委会议。"
    body = _span(text, "吉林省辽源市委", "GOV_ORG")
    added, _, relations = prefix_regions(text, [body], region_names=set())
    assert [s.text for s in added] == ["吉林省", "辽源市"]
    assert [(r.subject, r.object) for r in relations] == [("辽源市", "吉林省")]


def test_a_region_mention_that_is_a_whole_chain_is_split_into_its_regions():
    text = "天津滨海新区加快发展海洋经济。"
    region = _span(text, "天津滨海新区", "REGION")
    added, replaced, relations = prefix_regions(text, [region], region_names=set())
    assert replaced == [region]
    assert [s.text for s in added] == ["天津", "滨海新区"]
    assert [(r.subject, r.object) for r in relations] == [("滨海新区", "天津")]


def test_names_whose_front_is_not_a_prefix_are_left_alone():
    text = "津南新村的上海合作组织示范区。"
    spans = [_span(text, "津南新村", "REGION"), _span(text, "上海合作组织", "ALLIANCE")]
    assert prefix_regions(text, spans, region_names=set()) == ([], [], [])


def test_the_pipeline_records_prefix_regions_as_entities_of_the_document(monkeypatch):
    monkeypatch.setenv("KB_GENRE", "news")  # newsletters keep the names whole (README, "Genres")
    from pipeline.dedup import local_dedup
    from pipeline.extract import extract
    from pipeline.stages import prepare_text

    doc = local_dedup(prepare_text("吉林省辽源市委近日召开全会，部署全年工作。", source="t.txt"))
    extract(doc)
    regions = {e.name for e in doc.entities if e.type == "REGION"}
    assert {"吉林省", "辽源市"} <= regions
    assert ("辽源市", "LOCATED_IN", "吉林省") in {(r.subject, r.predicate, r.object) for r in doc.relations}


def test_a_single_region_in_front_of_a_body_counts_only_when_the_document_names_it():
    text = "江西省委召开会议，南昌大学参加。"
    spans = [_span(text, "江西省委", "GOV_ORG"), _span(text, "南昌大学", "INSTITUTION")]
    assert prefix_regions(text, spans, region_names=set())[0] == []
    added, _, _ = prefix_regions(text, spans, region_names={"江西省", "南昌市"})
    assert [s.name for s in added] == ["江西省", "南昌市"]
    # the same prefix in front of a zone counts without it
    zone_text = "南昌高新区新签约项目12个。"
    added, _, _ = prefix_regions(zone_text, [_span(zone_text, "南昌高新区", "ZONE")], region_names=set())
    assert [s.text for s in added] == ["南昌"]


def test_a_name_with_two_regions_in_front_is_named_from_the_innermost_one():
    from pipeline.extract.prefix_regions import shorten_prefixed_names

    first = [Span(0, 7, "吉林省辽源市委", "GOV_ORG"), Span(8, 12, "辽源市委", "GOV_ORG")]
    second = [Span(0, 7, "吉林省辽源市委", "GOV_ORG"), Span(8, 13, "南昌高新区", "ZONE")]
    shorten_prefixed_names([first, second])
    assert [s.name for s in first + second] == ["辽源市委", "辽源市委", "辽源市委", "南昌高新区"]
    assert first[0].text == "吉林省辽源市委"  # the printed form stays the surface, so an alias


def test_the_pipeline_names_a_prefixed_body_from_the_innermost_region_and_keeps_the_printed_form(monkeypatch):
    monkeypatch.setenv("KB_GENRE", "news")
    from kb.evaluate import prediction_from_document
    from pipeline.dedup import local_dedup
    from pipeline.extract import extract
    from pipeline.stages import prepare_text

    doc = extract(local_dedup(prepare_text("吉林省辽源市委近日召开全会，部署全年工作。", source="t.txt")))
    bodies = [e for e in prediction_from_document(doc)["entities"] if e["type"] in ("GOV_ORG", "PARTY_ORG")]
    assert [(e["name"], e["aliases"]) for e in bodies] == [("辽源市委", ["吉林省辽源市委"])]


def test_newsletters_keep_prefixed_names_whole(monkeypatch):
    from pipeline.dedup import local_dedup
    from pipeline.extract import extract
    from pipeline.stages import prepare_text

    monkeypatch.setenv("KB_GENRE", "newsletter")
    doc = extract(local_dedup(prepare_text("吉林省辽源市委近日召开全会，部署全年工作。", source="t.txt")))
    assert "辽源市" not in {e.name for e in doc.entities if e.type == "REGION"}
    assert not [r for r in doc.relations if r.predicate == "LOCATED_IN"]
