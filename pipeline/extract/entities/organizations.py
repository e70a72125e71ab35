"""The suffix layer: organisations named by their head word (…党委, …组织部, …有限公司, …园区, …联盟, …研究院)."""

from __future__ import annotations

import re
from functools import lru_cache

from ...document import Span
from ...gazetteer import region_lexicon, region_shorts
from ...resources import word_groups, words
from .boundary import ACTION_WORDS, MAX_PREFIX, _prefix_tokens, all_generic, has_proper, left_boundary
from .industries import _in_field_list
from .known import _span
from .lexicons import CN_NUM
from .tokens import _region_matches, analyze, token_boundaries

# Bodies relative to the article's own district/town: 区委组织部, 镇党委, 工业区党群办.
RELATIVE_PREFIX = re.compile(r"^(?:区|市|县|镇|乡|街道|工业区|社区|园区|开发区|村|居民区)")

# Head words of organisations, by type. Longest heads first within a type; the regex engine is
# given them longest-first overall so 联合党支部 beats 党支部 and 有限责任公司 beats 公司.
ORG_HEADS: dict[str, tuple[str, ...]] = word_groups("ent_org_heads.txt")
# Institution heads that may follow a bare field: 光学技术研究院, 染整产业合规中心.
RESEARCH_HEADS = set(words("ent_research_heads.txt"))
# Common words ending in 部 that are not departments (a 社区干部学院 is a school, not a body).
GENERIC_BU = r"干部|全部|内部|外部|局部|部分|总部|本部|俱乐部|支部"
# Sector words that end many short company names (瑞康药业, 科迈半导体); only with a proper prefix.
SECTOR_HEADS = words("ent_sector_heads.txt")

# Heads that are names on their own (区委, 政协) when preceded by nothing: relative bodies.
BARE_OK = {type_: set(heads) for type_, heads in word_groups("ent_bare_heads.txt").items()}


def _head_regex() -> re.Pattern:
    pairs = [(h, t) for t, hs in ORG_HEADS.items() for h in hs] + [(h, "ENTERPRISE*") for h in SECTOR_HEADS]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    _HEAD_TYPE.update({h: t for h, t in reversed(pairs)})
    return re.compile("|".join(re.escape(h) for h, _ in pairs))


_HEAD_TYPE: dict[str, str] = {}
_HEAD_RE: re.Pattern | None = None


def _heads() -> re.Pattern:
    global _HEAD_RE
    if _HEAD_RE is None:
        _HEAD_RE = _head_regex()
    return _HEAD_RE


@lru_cache(maxsize=1)
def _heads_longest_first() -> tuple[str, ...]:
    _heads()
    return tuple(sorted(_HEAD_TYPE, key=len, reverse=True))


# After a head, these continuations mean the head was part of another word.
HEAD_BLOCKERS = word_groups("ent_head_blockers.txt")
# Heads that are national ministries: never under a province or city (X市工信部 is a misreading of X市工信部门).
NATIONAL_HEADS = {"工信部", "商务部"}
# A description, not a name, follows these: 这家锂电池公司, 一家光电企业, 该研究院.
DESCRIPTION_BEFORE = re.compile(rf"(?:这|那|该|此|某|每|一|[{CN_NUM}0-9]+)(?:家|个|所|座|间|批)?$")


class SuffixOrgRecognizer:
    """Organisations, zones and institutions named by a head word, with the name's left boundary
    found on jieba tokens: 华鑫集团党委, 江宁区委组织部, 南京禾丰食品有限公司, 青溪经济园区,
    萧山区企业党建联盟, 明湖实验室. A quoted name before the head is included: “两区一带”党建联合体."""

    name = "suffix"

    def __call__(self, text: str) -> list[Span]:
        spans = []
        bounds = token_boundaries(text)
        for m in _heads().finditer(text):
            head = m.group()
            hs, he = m.start(), m.end()
            type_ = _HEAD_TYPE[head]
            nxt = text[he : he + 1]
            if nxt and nxt in HEAD_BLOCKERS.get(head, ()):
                continue
            sector = type_ == "ENTERPRISE*"
            if sector:
                type_ = "ENTERPRISE"
            # Quoted name right before the head: “两区一带”党建联合体, "萧山区企业党建联盟" stays whole.
            b = hs
            qm = re.search(r"[“\"「]([^”\"」]{2,12})[”\"」]$", text[max(0, hs - 16) : hs])
            if qm and type_ in ("ALLIANCE", "PARTY_ORG"):
                b = hs - len(qm.group(0))
                spans.append(_span(text, b, he, type_, self.name, 0.85))
                continue
            stop = ("town",) if type_ in ("ZONE", "ENTERPRISE", "INSTITUTION") else ()
            b = left_boundary(
                text,
                hs,
                max_len=8 if sector else MAX_PREFIX,
                stop_levels=stop,
                zone_stop=type_ in ("ENTERPRISE", "INSTITUTION"),
            )
            prefix = text[b:hs]
            if sector:
                # 瑞康药业, 科迈半导体: a short proper prefix that is its own word, and the head must
                # end a word (so 生物医药 / 智能制造 are not companies).
                if not (2 <= len(prefix) <= 4) or he not in bounds or not has_proper(text, b, hs):
                    continue
                if b not in bounds or hs not in bounds:
                    continue
                # 四川绵阳科技, 高水平科技, 锂电新材料: places, adjectives or fields, not a brand.
                ptoks = _prefix_tokens(text, b, hs)
                if any(
                    t.word in region_lexicon()
                    or t.pos[:1] in ("a", "b", "v", "d")
                    or any(e.level != "town" for e in region_shorts().get(t.word, ()))
                    for t in ptoks
                ):
                    continue
                # 高水平科技经理人, 国际航运物流枢纽, 锂电新材料产业: a sector phrase that modifies the
                # noun after it is a field; a company name is followed by a verb, particle or punctuation.
                after = [t for t in analyze(text)[0] if t.start == he]
                if (
                    after
                    and (after[0].pos[:1] in ("n", "j") or after[0].pos == "vn")
                    and after[0].word not in ACTION_WORDS
                    and not after[0].word.startswith(("公司", "集团", "党"))
                ):
                    continue
                if _in_field_list(text, b, he):
                    continue
                spans.append(_span(text, b, he, type_, self.name + ":sector", 0.6))
                continue
            if not prefix:
                if head in BARE_OK.get(type_, ()) and text[hs - 1 : hs] not in (
                    "各",
                    "全",
                    "本",
                    "该",
                    "党",
                    "个",
                    "每",
                    "此",
                ):
                    spans.append(_span(text, hs, he, type_, self.name + ":bare", 0.6))
                continue
            if self.rejects(text, b, hs, type_, head) or not self._valid(text, b, hs, he, type_, head):
                continue
            if (
                type_ == "INSTITUTION"
                and re.search(r"(?:部|委|局|厅)", re.sub(GENERIC_BU, "", prefix))
                and has_proper(text, b, hs)
            ):
                type_ = "GOV_ORG"  # 工信部天元研究院: an institute of a ministry is a government body
            spans.append(_span(text, b, he, type_, self.name, 0.8))
        return spans

    @staticmethod
    def rejects(text: str, b: int, hs: int, type_: str, head: str) -> bool:
        """True when the rules' tests rule out the name ``text[b:]`` ending in the head starting at
        ``hs`` (an ``ORG_HEADS`` head of type ``type_``, after a prefix): a description (这家锂电池
        公司), a ministry under a region (江苏工信部), a determiner's relative body (各镇党委), a
        factory in general (智慧工厂)."""
        if head == "厂" and text[hs - 1 : hs] == "工":
            return True  # 智慧工厂, 数字工厂: 工厂 is "factory" in general
        prefix = text[b:hs]
        if (
            type_ in ("ENTERPRISE", "INSTITUTION", "ZONE")
            and DESCRIPTION_BEFORE.search(text[max(0, b - 3) : b])
            and not _region_matches(prefix)
        ):
            return True  # 这家锂电池公司, 一所中心学校: a description of one
        if head in NATIONAL_HEADS and (_region_matches(prefix) or prefix in region_shorts()):
            return True  # X省工信部: a province or city has a 工信厅/工信局, not a ministry
        # Determiners right before a relative name make it generic: 各镇党委, 全区企业.
        return text[b - 1 : b] in ("各", "全", "每", "该", "本", "所") and bool(RELATIVE_PREFIX.match(prefix))

    @staticmethod
    def _valid(text: str, b: int, hs: int, he: int, type_: str, head: str) -> bool:
        prefix = text[b:hs]
        if type_ == "ALLIANCE" and len(prefix) < 2:
            return False
        if type_ == "PARTY_ORG":
            # 江宁工业区产业集群党委: a place plus only generic words names no one body.
            rest = prefix
            for r, e, _ in _region_matches(prefix):
                if r == 0:
                    rest = prefix[e:]
            rest = re.sub(r"^.{0,8}?(?:工业区|开发区|园区)", "", rest)
            if rest != prefix and rest and re.search("产业|集群", rest) and all_generic(rest):
                return False
            if prefix in ("综合", "综合工作", "社区", "社会工作", "机关", "镇综合工作", "镇综合"):
                return True  # the article's own unit's body: resolved later
        if (
            RELATIVE_PREFIX.match(prefix)
            and len(prefix) <= 6
            and not (type_ == "ZONE" and re.match(r"^(?:社区|村|居民区)", prefix))
        ):
            # 区委组织部, 区社会工作党委, 镇党委, 工业区党群办: a relative body, resolved later.
            return True
        if has_proper(text, b, hs):
            return True
        if type_ == "PARTY_ORG":
            # 人工智能产业集群党委, 纺织服装产业链联合党委: a named field before 产业/集群/产业链.
            m = re.match(r"^(.{2,10}?)(?:产业集群|产业链|产业|集群)(?:活动型)?$", prefix)
            if m and not all_generic(m.group(1)):
                return True
            # 综合党委, 社会党委 are bodies of the article's own unit.
            return False
        if type_ in ("GOV_ORG",) and len(prefix) >= 2 and not all_generic(prefix):
            return True
        # Without a proper part only research bodies are named by their field (光学技术研究院);
        # schools, universities, hospitals and service centres need a place or a name
        # (义务教育学校, 老年大学, 便民服务中心 are kinds, not names).
        if (
            type_ == "INSTITUTION"
            and len(prefix) >= 2
            and not all_generic(prefix)
            and (head in RESEARCH_HEADS or re.match(r"(?:中国|中华|国家|全国).{2,}", prefix))
        ):
            return True  # 中国干部网络学院: national bodies are named by the nation
        return False
