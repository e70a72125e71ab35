"""The recognizers' word-list paths, entity types and surnames (the region gazetteer is :mod:`pipeline.gazetteer`)."""

from __future__ import annotations

from functools import lru_cache

from ...gazetteer import _lex_lines
from ...resources import models_dir

LEXICON_DIR = models_dir() / "lexicons"
SURNAMES = LEXICON_DIR / "ent_surnames.txt"

# Used only to break ties between spans of equal length and confidence: the more specific
# organisational reading first.
TYPE_PRIORITY = {
    t: i
    for i, t in enumerate(
        ("PARTY_ORG", "ALLIANCE", "GOV_ORG", "INSTITUTION", "ENTERPRISE", "ZONE", "REGION", "PERSON", "INDUSTRY")
    )
}

HAN = "\u4e00-\u9fff"
PUNCT = set("，。、；：！？“”‘’《》（）「」『』【】…—,.;:!?\"'()[]<> \t\n/|~～")
CN_NUM = "一二三四五六七八九十两几多百千万"

# --------------------------------------------------------------------------- lexicons


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Common Chinese surnames (generic list, see ent_surnames.txt)."""
    s: set[str] = set()
    for line in _lex_lines(SURNAMES):
        s.update(line.split())
    return frozenset(s)
