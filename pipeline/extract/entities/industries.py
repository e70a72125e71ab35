"""The industry layer: fields named as an industry (…产业, …产业集群, lists before 等…产业)."""

from __future__ import annotations

import re

from ...document import Span
from ...gazetteer import region_lexicon, region_shorts
from ...resources import words
from .boundary import ACTION_WORDS, _prefix_tokens, all_generic, left_boundary
from .known import _span
from .lexicons import CN_NUM
from .tokens import token_boundaries

INDUSTRY_HEAD = re.compile(r"产业集群|产业链|产业|行业")
GENERIC_INDUSTRY = set(words("ent_industry_words.txt", "GENERIC"))
# Last words that make a phrase something other than a field (民营经济百强产业集群, 模式制约产业).
NON_FIELD_HEADS = set(words("ent_industry_words.txt", "NOT_FIELD_HEAD"))


# A list of fields closed by 等 … 产业. An item never contains a separator (和 及 与 、): were it
# allowed to, a run of 和 could be cut into items in exponentially many ways, each tried in turn
# (60 和 in a row never finished). Items are split at every separator afterwards anyway.
_FIELD_ITEM = r"[^，。、；：！？“”\s等和及与]"
FIELD_LIST = re.compile(
    rf"((?:{_FIELD_ITEM}{{2,8}}[、和及与]){{1,8}}{_FIELD_ITEM}{{2,8}}?)(?:等)?(?:[“\"][^”\"]{{1,8}}[”\"])?"
    rf"(?:[{CN_NUM}0-9]+大)?(?:重点|主导|新兴|特色|优势)?(?:产业集群|产业链|产业|行业|相关企业|相关产业)"
)


class IndustryRecognizer:
    """Fields named as industries: 高端智能装备产业, 纺织印染产业链; list items before 等…产业."""

    name = "industry"

    def __call__(self, text: str) -> list[Span]:
        spans = []
        bounds = token_boundaries(text)
        for m in INDUSTRY_HEAD.finditer(text):
            hs = m.start()
            b = left_boundary(text, hs, max_len=8, allow_verbs=False, stop_time=True)
            if b == hs or b not in bounds:
                continue
            # 中国化妆品产业, 世界化妆品产业: the field is 化妆品.
            lead = re.match(r"(?:中国|世界|全球|国际|全国|国内|国家)", text[b:hs])
            if lead and hs - b - lead.end() >= 2:
                b += lead.end()
            field_ = text[b:hs]
            if self._generic(field_):
                continue
            spans.append(_span(text, b, hs, "INDUSTRY", self.name, 0.6))
        # 现代服务业, 现代农业, 先进制造业: a modifier plus a sector word is the name itself.
        for m in re.finditer(r"服务业|制造业|农业", text):
            hs, he = m.span()
            b = left_boundary(text, hs, max_len=4, allow_verbs=False)
            if b == hs or b not in bounds or he not in bounds and text[he : he + 2] not in ("产业", "集群"):
                continue
            # 国家先进制造业集群: the field is 先进制造业.
            lead = re.match(r"(?:中国|世界|全球|国际|全国|国内|国家)", text[b:hs])
            if lead and hs - b - lead.end() >= 2:
                b += lead.end()
            if self._generic(text[b:hs]) and text[b:hs] not in ("现代", "先进", "高端", "都市", "绿色", "生态"):
                continue
            spans.append(_span(text, b, he, "INDUSTRY", self.name, 0.6))
        # A list before 等 … 产业: 聚焦人工智能、集成电路、生物医药等“6+X”重点产业.
        for m in FIELD_LIST.finditer(text):
            closer = m.group(0)[len(m.group(1)) :]
            if not re.search(rf"等|相关|[{CN_NUM}0-9]+大", closer):
                continue
            items = re.split(r"[、和及与]", m.group(1))
            pos = m.start(1)
            for it in items:
                s = text.find(it, pos)
                pos = s + len(it)
                if s < 0:
                    continue
                # The first item's left edge: cut at the last non-name word.
                if it is items[0]:
                    s = left_boundary(text, s + len(it), max_len=8, allow_verbs=False)
                    it = text[s:pos]
                if 2 <= len(it) <= 8 and not self._generic(it) and s in bounds and pos in bounds:
                    spans.append(_span(text, s, pos, "INDUSTRY", self.name + ":list", 0.65))
        return spans

    @staticmethod
    def _generic(field_: str) -> bool:
        if len(field_) < 2 or field_ in GENERIC_INDUSTRY:
            return True
        if re.search(rf"[0-9０-９]|企业|公司|党|镇|区|村|市|县|省|产业|集群|行业|^[{CN_NUM}]|[{CN_NUM}]大$", field_):
            return True
        toks = _prefix_tokens(field_, 0, len(field_))
        # A field is common vocabulary: 紫藤云谷 (…/ns) or 吴中 are places, not industries.
        if toks and (
            toks[-1].pos in ("ns", "nr", "nrt", "nt", "nrfg")
            or toks[0].word in region_lexicon()
            or toks[0].word in region_shorts()
        ):
            return True
        if any(
            t.word in ACTION_WORDS
            or (t.pos.startswith("v") and t.pos != "vn")
            or t.pos in ("d", "ad", "m", "q", "r", "p", "c", "u")
            for t in toks
        ):
            return True
        # 单打独斗/i: idioms are not fields (set phrases /l may be: 无人机, 动力系统).
        if any(t.pos == "i" for t in toks):
            return True
        # A field ends in a sector noun, not in an actor, a scope or an abstract word.
        if toks and toks[-1].word in NON_FIELD_HEADS:
            return True
        if len(toks) == 1 and toks[0].pos.startswith("v"):
            return True  # 生产产业, 构筑产业: a verb alone is not a field
        if re.search(r"(?:新兴|传统|未来|重大|优势|先导性|支柱性|密集|化|性|型)$", field_):
            return True
        return all_generic(field_) or field_[-1] in "的了在"


def _in_field_list(text: str, s: int, e: int) -> bool:
    """True if text[s:e] is an item of a 、-list closed by 等…领域/产业/行业 (a list of fields)."""
    i = e
    while True:
        m = re.match(r"、[^，。；：！？、等]{1,12}", text[i:])
        if not m:
            break
        i += m.end()
    return bool(re.match(r"等(?:[^，。；、]{0,6}?)(?:领域|产业|行业|赛道|方向|环节|板块|技术)", text[i:])) or bool(
        re.match(r"[^，。；、]{0,3}等(?:[^，。；、]{0,6}?)(?:领域|产业|行业|赛道|方向|环节|板块|技术)", text[i:])
    )
