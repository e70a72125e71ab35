"""References that reach outside the sentence: 该企业/公司/区里 … and the entities seen before."""

from __future__ import annotations

from ...document import Span
from .sentences import _Mention
from .vocabulary import ANAPHORS, PLACE_SUFFIX_OF


class _Context:
    """Entities seen before the current sentence (earlier paragraphs, then this one)."""

    def __init__(self, spans):
        self.items = [(s.name, s.type) for s in spans]

    def extend(self, mentions):
        for m in mentions:
            for o in reversed(m.outers):
                self.items.append((o.name, o.type))
            self.items.append((m.name, m.type))

    def last(self, types, suffix=None):
        for name, typ in reversed(self.items):
            if typ in types and (suffix is None or name.endswith(suffix)):
                return _Mention(-1, -1, name, typ)
        return None


def _add_anaphors(text: str, masked: str, mentions: list[_Mention], context: list[Span]) -> list[_Mention]:
    """Insert mentions for 该企业/公司/区里 … resolved to the latest fitting entity before them."""
    extra: list[_Mention] = []
    for pattern, types in ANAPHORS:
        for m in pattern.finditer(masked):
            s, e = m.span(1)
            if "□" in masked[s:e]:
                continue
            word = m.group(1)
            suffix = PLACE_SUFFIX_OF.get(word)
            ante = None
            for cand in sorted(mentions, key=lambda x: x.start, reverse=True):
                pool = [cand] + cand.outers
                hit = next(
                    (c for c in pool if c.end <= s and c.type in types and (suffix is None or c.name.endswith(suffix))),
                    None,
                )
                if hit is not None and cand.end <= s:
                    ante = hit
                    break
            if ante is None:
                for sp in reversed(context):
                    if sp.type in types and (suffix is None or sp.name.endswith(suffix)):
                        ante = _Mention(-1, -1, sp.name, sp.type)
                        break
            if ante is not None:
                extra.append(_Mention(s, e, ante.name, ante.type, anaphor=True))
    return sorted(mentions + extra, key=lambda x: x.start)
