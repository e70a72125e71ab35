"""Stage 3: spaces, broken lines, noise, asides, captions, dates."""

from __future__ import annotations

from pipeline.clean import is_noise, word_crosses
from pipeline.stages import prepare, prepare_text
from tests.conftest import seed


def _texts(doc):
    return [p.text for p in doc.paragraphs]


def test_seed_001_spaces_inside_words_are_removed_and_noise_line_dropped():
    doc = prepare(seed("001"))
    body = "\n".join(_texts(doc))
    assert "落实" in body and "落 实" not in body
    assert "覆盖216家非公企业" in body
    assert "菲 企" not in body and "委引领菲企" not in body
    assert any(a.kind == "noise" and "菲" in a.text for a in doc.asides)


def test_seed_000_broken_paragraph_is_rejoined():
    texts = _texts(prepare(seed("000")))
    assert any("助推组织建设规范落实。联合上党课" in t for t in texts)
    assert not any(t.startswith("实。") for t in texts)


def test_caption_between_halves_is_set_aside():
    doc = prepare(seed("001"))
    assert any(a.kind == "caption" and "公益徒步活动在廊下生态园举行" in a.text for a in doc.asides)
    assert any("通过技术培训，共同开辟新的销售渠道" in t for t in _texts(doc))


def test_bylines_credits_and_sponsors_are_recognised():
    doc = prepare(seed("000"))
    kinds = {(a.kind, a.value) for a in doc.asides}
    assert ("byline", "沈玉林") in kinds and ("photo_credit", "汤学安") in kinds
    assert not any("汤学安" in t for t in _texts(doc))
    sponsor = prepare(seed("002"))
    assert ("sponsor", "上海烟草集团有限责任公司") in {(a.kind, a.value) for a in sponsor.asides}
    assert not any("提供支持" in t for t in _texts(sponsor))


def test_seed_004_publication_date():
    doc = prepare(seed("004"))
    assert doc.date == "2021-10-26"
    assert doc.title.startswith("金山工业区")
    assert not any("2021-10-26" in t for t in _texts(doc))


def test_event_dates_in_the_body_are_not_publication_dates():
    doc = prepare_text("党员之家揭牌\n\n2019年5月，集群党委成立，覆盖企业20家。\n")
    assert doc.date is None


def test_spaces_between_latin_words_and_numbers_survive():
    doc = prepare_text("引进 Smart Factory 方案，健全“1 4 X”组织架构。\n")
    assert doc.paragraphs[0].text == "引进Smart Factory方案，健全“1 4 X”组织架构。"


def test_noise_and_word_crossing_helpers():
    assert is_noise("镇 党 委引领 菲 企 力 M 4 村 冮")
    assert is_noise("<!--repaste.body.begin-->") and is_noise("</div>")
    assert not is_noise("金山区探索产业集群党建新实践")
    assert word_crosses("助推组织建设规范落", "实。联合上党课")
    assert not word_crosses("提升企业党建的合力。", "产业集群")


def test_paragraph_offsets_point_into_the_original():
    doc = prepare(seed("001"))
    para = next(p for p in doc.paragraphs if "落实" in p.text)
    start = para.text.index("落实")
    s, e = para.original_span(start, start + 2)
    assert doc.original[s:e] == "落 实"


def test_a_sentence_ending_in_provided_support_is_body_text_not_a_sponsor_line():
    from pipeline.read import read_bytes
    from pipeline.stages import run_stages

    sentence = "各地各部门落实落细一系列政策举措，为高校毕业生就业提供支持。"
    doc = run_stages(read_bytes(f"{sentence}\n\n本期由上海华鑫电气有限公司提供支持\n".encode(), source="x.txt"))
    assert [p.text for p in doc.paragraphs] == [sentence]
    assert [(a.kind, a.value) for a in doc.asides] == [("sponsor", "本期由上海华鑫电气有限公司")]
