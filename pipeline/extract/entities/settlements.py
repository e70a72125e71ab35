"""The settlement layer: generic settlement names (…村, …居民区, …小区, …社区, …镇, …街道)."""

from __future__ import annotations

import re

from ...document import Span
from ...resources import words
from ...segmenter import segmenter
from .boundary import GENERIC_PREFIX_WORDS, _prefix_tokens, all_generic, left_boundary
from .known import _span
from .lexicons import CN_NUM
from .tokens import _known_words, analyze, token_boundaries

SETTLEMENT_SUFFIX = re.compile(r"(?:居民区|居委会(?=)|小区|社区|街道|村|镇|乡)")
GENERIC_SETTLEMENTS = set(words("ent_settlement_words.txt", "GENERIC"))


SETTLEMENT_STOP = set(words("ent_settlement_words.txt", "STOP"))


# Words that say what kind of settlement it is, not which one (移民村, 基层社区, 贫困村).
SETTLEMENT_KINDS = set(words("ent_settlement_words.txt", "KINDS"))


class SettlementRecognizer:
    """Villages, neighbourhoods and estates named by a settlement suffix: 高塘村, 河湾居民区, 横塘小区."""

    name = "settlement"

    def __call__(self, text: str) -> list[Span]:
        spans = []
        bounds = token_boundaries(text)
        region_ends = {e for _, e, _ in analyze(text)[1]}
        for m in re.finditer(r"居民区|小区|社区|村|镇|乡|街道", text):
            hs, he = m.start(), m.end()
            if he in region_ends:
                continue  # the gazetteer has it
            # The suffix must end a word: 村民, 乡村振兴, 社区党委 keep 村/乡/社区 inside a word.
            if he not in bounds and text[he : he + 2] not in ("党委", "党总", "党支", "居委", "党工", "党群"):
                continue
            if text[hs - 1 : hs] in ("乡", "农", "城", "山", "渔") and m.group() in ("村", "镇"):
                continue
            # 家乡, 城乡: the suffix closes a common word, not a name.
            if any(
                t.end == he
                and t.start < hs
                and t.pos[:2] != "ns"
                and (
                    _known_words().get(t.word, 0) > 500
                    or t.word in GENERIC_SETTLEMENTS
                    or t.pos.startswith("v")
                    or (t.end - t.start == 2 and segmenter().tags.get(t.word[0], "").startswith("v"))
                )
                for t in analyze(text)[0]
            ):
                continue  # also 进村 (带人进村), 自然村 (人口规模自然村): the suffix is inside a word
            b = left_boundary(
                text, hs, max_len=6, allow_verbs=False, stop_levels=("town", "county", "city", "province")
            )
            if b == hs:
                continue
            name = text[b:he]
            if m.group() in ("镇", "乡", "街道") and he - b > 4:
                continue
            if name in GENERIC_SETTLEMENTS or all_generic(text[b:hs]) or hs - b < 2:
                continue
            # A settlement name is nouns and names only (not 产业带村, 网格管理融进社区, 开放式小区).
            ptoks = _prefix_tokens(text, b, hs)
            if (
                any(t.pos.startswith(("v", "b", "a", "d", "t")) for t in ptoks)
                or text[hs - 1] in "式型性化"
                or any(w in text[b:hs] for w in SETTLEMENT_STOP)
            ):
                continue
            # 扎根基层社区, 移民村: a generic last word (基层, 移民) makes a kind of settlement, not a name.
            if ptoks and (ptoks[-1].word in GENERIC_PREFIX_WORDS or ptoks[-1].word in SETTLEMENT_KINDS):
                continue
            # 三个移民村: a counted settlement is a kind, not a name.
            if re.search(rf"[{CN_NUM}0-9]+[个座]$", text[max(0, b - 4) : b]):
                continue
            # A village/estate name is short; a longer run is usually a phrase.
            if he - b > 8:
                continue
            if text[b - 1 : b] in ("全", "各", "本", "该", "每"):
                continue
            spans.append(_span(text, b, he, "REGION", self.name, 0.75))
        return spans
