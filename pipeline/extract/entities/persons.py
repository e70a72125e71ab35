"""The person layer: bylines, credits, title + name, jieba's person names next to speech verbs."""

from __future__ import annotations

import re

from ...document import Span
from ...resources import words
from ...segmenter import segmenter
from .known import _span
from .lexicons import HAN, surnames
from .tokens import _known_words, analyze

# Titles next to a person's name; relations/vocabulary.py reads the same file for HOLDS_POSITION.
TITLES = words("person_titles.txt", "ALL", "NAME")
TITLE_RE = "|".join(sorted(TITLES, key=len, reverse=True))
_POST_TITLES = tuple(t for t in TITLES if t not in ("委员", "代表", "党员", "村民", "居民", "领导", "志愿者"))
# What may follow a person's name: punctuation, speech verbs, 一行, 等, 同志, …
_NAME_END_WORDS = "|".join(map(re.escape, words("ent_name_end_words.txt")))
NAME_END = re.compile(r"(?:[，。、；：！？,;:!?）)\s]|" + _NAME_END_WORDS + "|$)")


def _common_word(w: str) -> bool:
    """A word jieba knows with a tag other than a person name (班子, 单位, 沙龙)."""
    seg = segmenter()
    tag = seg.tags.get(w)
    if tag is None:
        return False
    return not tag.startswith("nr") or seg.freq.get(w, 0) >= 100


class PersonRecognizer:
    """Persons: bylines 本报讯(陈玉华), credits 编辑:李丽 / 赵学文摄, title + name 区委书记王明,
    lists after a title 代表孙衡、张岩, and jieba nr names before a speech verb."""

    name = "person"
    CREDIT = re.compile(
        r"(?:本报讯|本刊讯|记者|通讯员|编辑|责编|编审|主编|审核|校对|作者|撰稿|文|图|摄影)\s*[(（:：/]\s*"
    )

    def _name_at(self, text: str, i: int) -> int:
        """End of a 2-3 character personal name starting at ``i`` (0 if none)."""
        sn = surnames()
        if i >= len(text):
            return 0
        # Two-character surnames first (欧阳, 司马).
        first = 2 if text[i : i + 2] in sn else 1 if text[i] in sn else 0
        if not first:
            return 0
        for L in (first + 2, first + 1):
            j = i + L
            cand = text[i:j]
            if j > len(text) or not re.fullmatch(rf"[{HAN}]+", cand):
                continue
            given = cand[first:]
            straddle = text[j - 1 : j + 1]
            if L == first + 2 and len(straddle) == 2 and _known_words().get(straddle, 0) >= 100:
                continue  # 王明来到: the third character starts the next word (来到), not the name
            if (
                NAME_END.match(text, j)
                and not _common_word(cand)
                and cand[-1] not in "地的们"
                and (len(given) == 1 or _known_words().get(given, 0) < 2000)
            ):
                return j
        return 0

    def __call__(self, text: str) -> list[Span]:
        spans = []

        def add(s: int, e: int, conf: float, src: str) -> None:
            spans.append(_span(text, s, e, "PERSON", self.name + src, conf))

        def take_list(j: int, conf: float, src: str) -> None:
            # 孙衡、张岩 / 周国平、何飞: names joined by 、 after the first one.
            while text[j : j + 1] in ("、", "和"):
                k = self._name_at(text, j + 1)
                if not k:
                    break
                add(j + 1, k, conf, src)
                j = k

        for m in self.CREDIT.finditer(text):
            j = self._name_at(text, m.end())
            if j:
                add(m.end(), j, 0.9, ":credit")
                take_list(j, 0.9, ":credit")
        for m in re.finditer(rf"(^|[\n。，,\s])([{HAN}]{{2,3}})\s*(?:摄|摄影|供图)\s*$", text, re.M):
            if m.group(2)[0] in surnames():
                add(m.start(2), m.end(2), 0.85, ":credit")
        for m in re.finditer(TITLE_RE, text):
            j = self._name_at(text, m.end())
            if j and text[m.end() : j] not in TITLES:
                add(m.end(), j, 0.8, ":title")
                take_list(j, 0.8, ":title")
        # jieba nr before a speech verb: 王明指出.
        toks, _ = analyze(text)
        for k, t in enumerate(toks[:-1]):
            if t.pos in ("nr",) and 2 <= len(t.word) <= 3 and t.word[0] in surnames():
                if re.match(r"指出|强调|表示|说|认为|介绍|要求|希望", toks[k + 1].word):
                    add(t.start, t.end, 0.6, ":nr")
        return spans
