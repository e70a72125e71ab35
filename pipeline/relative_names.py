"""Names relative to the article's own unit (区委组织部, 工业区, 区政协): what they are, with no stage attached.

Resolution (:mod:`pipeline.extract.resolve`) anchors such a name to the district, town or zone the
text is about; the store keeps one it could not anchor as an entity of its document only. Both
ask here, so the store needs nothing of the extraction stage.
"""

from __future__ import annotations

from .resources import word_pairs

# Leading words of relative names and the anchor level they refer to.
RELATIVE = [(word, level) for level, word in word_pairs("res_relative_prefixes.txt")]  # first match wins
# Bare bodies of a district that carry no 区 of their own: 政协 -> 江宁区政协.
DISTRICT_BODIES = {"政协", "人武部", "文明办", "人大", "区委"}
# Bare bodies of a community: 居委会 -> 河湾居民区居委会.
COMMUNITY_BODIES = {"居委会", "居民委员会"}


def relative_level(name: str) -> tuple[str, str] | None:
    """(prefix, level) when ``name`` is relative to the article's own unit (区委组织部 -> ('区', 'district'))."""
    if name in DISTRICT_BODIES and name != "区委":
        return ("", "district")
    if name in COMMUNITY_BODIES:
        return ("", "community")
    for prefix, level in RELATIVE:
        if name.startswith(prefix) and len(name) >= len(prefix):
            # 区 must be the relative 区, not the start of a name like 区块链.
            return (prefix, level)
    return None


def is_relative_name(name: str) -> bool:
    """True for a name relative to the article's own unit (区委组织部, 工业区, 区政协): no fixed referent."""
    return relative_level(name) is not None
