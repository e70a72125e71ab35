"""The list layer: unknown items of a list whose other items are entities of one type."""

from __future__ import annotations

import re

from ...document import Span
from ...gazetteer import region_lexicon, region_shorts
from .boundary import _prefix_tokens, all_generic, has_proper, left_boundary
from .known import _span
from .lexicons import CN_NUM, HAN
from .tokens import _known_words


class ListRecognizer:
    """Unknown items of a list whose other items are entities of one type: 华鑫集团、晨阳乳业、
    禾润食品、绿荫园等 -> 绿荫园 is an ENTERPRISE too; also lists closed by 等N家企业/商户/公司.

    Runs after the other layers (it needs their spans): see ``recognize``.
    """

    name = "list"
    CLOSER = re.compile(
        rf"(?:等[{CN_NUM}0-9]*家?|[{CN_NUM}0-9]+家|等一批)[^，。；、]{{0,8}}?(企业|公司|商户|商家|民宿)"
    )

    def extend(self, text: str, spans: list[Span]) -> list[Span]:
        """New spans for untyped items of enumerations next to typed ones."""
        out = []
        for m in re.finditer(r"[^，。；：！？“”()（）\s]+(?:、[^，。；：！？“”()（）\s、]+)+", text):
            seg_start = m.start()
            items, pos = [], seg_start
            for it in m.group().split("、"):
                items.append((pos, pos + len(it)))
                pos += len(it) + 1
            # The last item may run on: 绿荫园等积极参与 -> cut at 等 / 和 / 两家.
            ls, le = items[-1]
            tail = text[ls:le]
            cut = re.search(r"等|两家|[0-9一二三四五六七八九十]+家|分别|均|都|的|通过|积极|成立|专门", tail)
            closer_type = None
            rest = text[ls + (cut.start() if cut else len(tail)) :]
            cm = self.CLOSER.match(rest)
            if cm and cm.start() == 0 and cut:
                closer_type = "ENTERPRISE"
            if cut:
                items[-1] = (ls, ls + cut.start())
            # The first item may start after a verb: 会同迈德 -> 迈德.
            fs, fe = items[0]
            b = left_boundary(text, fe, max_len=10)
            items[0] = (max(fs, b), fe)
            types = {}
            for s, e in items:
                for sp in spans:
                    if sp.start <= s and sp.end >= e or (sp.start >= s and sp.end == e):
                        types[(s, e)] = sp.type
            counts: dict[str, int] = {}
            for t in types.values():
                counts[t] = counts.get(t, 0) + 1
            lexical_regions = all(text[s:e] in region_shorts() or text[s:e] in region_lexicon() for s, e in items)
            if counts:
                best = max(counts, key=counts.__getitem__)
                if best == "REGION" and lexical_regions:
                    counts[best] = len(items)  # 吴中、常州、扬州、无锡: every item is a place name
                if counts[best] < max(1, len(items) // 2) or best not in ("ENTERPRISE", "REGION"):
                    if not closer_type:
                        continue
                    best = closer_type
            elif closer_type:
                best = closer_type
            else:
                continue
            for s, e in items:
                if (s, e) in types or not (2 <= e - s <= 6):
                    continue
                # Every new item must be a nominal word run (not 企业品质优, 发展潜力大).
                if left_boundary(text, e, max_len=8) > s:
                    continue
                if best == "REGION" and not lexical_regions:
                    continue
                if best == "ENTERPRISE" and not counts and not has_proper(text, s, e):
                    continue  # 机器视觉、航空发动机等企业: fields, not company names
                last = _prefix_tokens(text, s, e)[-1]
                if not (last.pos[:1] in ("n", "j") or last.pos in ("eng", "x?") or not _known_words().get(last.word)):
                    continue
                if any(sp.start < e and sp.end > s for sp in spans):
                    continue
                surface = text[s:e]
                if not re.fullmatch(rf"[{HAN}A-Za-z0-9·]+", surface) or all_generic(surface):
                    continue
                out.append(_span(text, s, e, best, self.name, 0.55))
        return out
