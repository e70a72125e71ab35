"""Stage 2: script detection, pinyin stripping, t2s conversion, width folding, mojibake flags."""

from __future__ import annotations

import re

from pipeline.normalize import detect_script, find_mojibake, is_pinyin, normalize
from pipeline.read import read, read_bytes
from tests.conftest import seed


def test_seed_003_comes_out_simplified_without_pinyin_and_with_real_parentheses():
    doc = normalize(read(seed("003")))
    assert doc.script == "traditional"
    assert "强化" in doc.text and "強" not in doc.text and "紹興" not in doc.text
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", doc.text)
    assert "(柯桥未来社区建设)" in doc.text
    assert "绍兴市柯桥区" in doc.text


def test_real_parentheses_are_kept():
    doc = normalize(read_bytes("本报讯(沈玉林)金山(工业区)建设长三角(G60)科创走廊，實(shí)現(xiàn)目标。".encode()))
    assert "(沈玉林)" in doc.text and "(工业区)" in doc.text and "(G60)" in doc.text
    assert "实现目标" in doc.text


def test_pinyin_recognition():
    assert is_pinyin("qiáng") and is_pinyin("xiàn") and is_pinyin("lǜ")
    assert not is_pinyin("abc") and not is_pinyin("gongye") and not is_pinyin("G60")


def test_offsets_lead_back_to_the_original():
    doc = normalize(read(seed("003")))
    at = doc.text.index("马鞍街道工业社区党委")
    assert "".join(doc.original[doc.offsets[i]] for i in range(at, at + 10)) == "馬鞍街道工業社區黨委"


def test_script_detection():
    assert detect_script("产业集群党委覆盖企业") == "simplified"
    assert detect_script("產業集群黨委覆蓋企業") == "traditional"
    assert detect_script("12345 abc") == "none"


def test_simplified_text_keeps_mainland_words():
    doc = normalize(read_bytes("开展软件和信息技术服务，加强网络建设。".encode()))
    assert doc.text.startswith("开展软件和信息技术服务")


def test_width_folding():
    doc = normalize(read_bytes("ＧＤＰ增长１２％,企业20家;".encode()))
    assert doc.text == "GDP增长12%，企业20家；"


def test_mojibake_is_flagged_not_rewritten():
    doc = normalize(read(seed("003")))
    assert any("mojibake" in w for w in doc.warnings)
    assert "ず" in doc.text  # left as is: nothing invented
    assert find_mojibake("产业集群党委成立。") == []
