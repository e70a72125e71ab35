"""The gazetteer layer: REGION names from China's administrative divisions."""

from __future__ import annotations

import re

from ...document import Span
from ...gazetteer import region_shorts
from .known import _span
from .tokens import analyze, token_boundaries


class RegionGazetteer:
    """REGION names from the admin-divisions gazetteer.

    Full forms (江宁区, 湖塘镇) always. Short forms (江宁, 常州) only where context supports them:
    directly followed by another region / a region or organisation suffix, or (via
    ``recognize_document``) when the full form or the parent city appears in the same document.
    City short forms (two characters or more) are also taken when jieba segments them as a
    place name on their own.
    """

    name = "gazetteer"
    FOLLOW = re.compile(r"(?:省|市|区|县|镇|乡|街道|村|新区|工业区|开发区|园区|经济|籍)")

    def __call__(self, text: str) -> list[Span]:
        toks, regions = analyze(text)
        bounds = token_boundaries(text)
        spans = []
        covered: set[int] = set()
        for s, e, r in regions:
            # 镇江 inside 北桥镇江海 was already avoided by leftmost-longest; also skip a full
            # form glued inside a longer word (a town name ending in the middle of a token).
            spans.append(_span(text, s, e, "REGION", self.name, 0.95 if r.level != "town" else 0.9))
            covered.update(range(s, e))
        shorts = region_shorts()
        tokpos = {(t.start, t.end): t.pos for t in toks}
        for t in toks:
            if t.start in covered or t.word not in shorts:
                continue
            levels = {e.level for e in shorts[t.word]}
            nxt = text[t.end : t.end + 3]
            follows_region = any(s == t.end for s, _, _ in regions) or bool(self.FOLLOW.match(nxt))
            if re.match(r"区域|区间|市场|市民|县城|镇上", nxt):
                follows_region = False  # 沿河区域: 区域 is "area", not a district
            if (
                levels == {"town"}
                and not re.match(r"镇|乡|街道|村", nxt)
                and not any(s == t.end for s, _, _ in regions)
            ):
                follows_region = False  # X湾区, X江新区: a town's bare name before 区 is not that town
            is_place = tokpos.get((t.start, t.end), "").startswith("ns")
            ok = False
            if follows_region and is_place:
                ok = True
            elif ("city" in levels or "province" in levels) and is_place and len(t.word) >= 2:
                ok = True
            if ok and t.start in bounds and t.end in bounds:
                spans.append(_span(text, t.start, t.end, "REGION", self.name + ":short", 0.7))
        return spans
