"""Mentions inside phrases that hold a name without mentioning it (中国式现代化, 中国特色).

The recognizers see 中国 in 中国式现代化 and tag it; the annotators, after the guide, do not count it,
since the phrase names a path, not the country. The phrases are data
(``models/lexicons/not_mention_phrases.txt``); a mention that lies inside an occurrence of one is
dropped, a longer mention that contains the phrase (中国共产党第二十次全国代表大会) is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .document import Span
from .resources import resource


@lru_cache(maxsize=1)
def not_mention_pattern() -> re.Pattern[str] | None:
    """One pattern for the phrases of ``not_mention_phrases.txt``, longest first (None when empty)."""
    lines = resource("lexicons", "not_mention_phrases.txt").read_text(encoding="utf-8").splitlines()
    phrases = sorted(
        {line.strip() for line in lines if line.strip() and not line.startswith("#")}, key=len, reverse=True
    )
    return re.compile("|".join(map(re.escape, phrases))) if phrases else None


def drop_phrase_mentions(spans_per_text: list[list[Span]], texts: list[str]) -> list[list[Span]]:
    """The span lists without the mentions that lie inside a not-a-mention phrase of their text."""
    pattern = not_mention_pattern()
    if pattern is None:
        return spans_per_text
    out = []
    for spans, text in zip(spans_per_text, texts, strict=False):
        phrases = [(m.start(), m.end()) for m in pattern.finditer(text)]
        out.append([s for s in spans if not any(a <= s.start and s.end <= b for a, b in phrases)])
    return out
