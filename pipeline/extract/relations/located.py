"""LOCATED_IN beyond adjacent place chains: list inheritance, 辖/包括/内的 lists, 在X，… enterprises."""

from __future__ import annotations

import re

from ...document import Relation
from .sentences import _can_contain, _rel, _Sentence, admin_level
from .vocabulary import PLACE_TYPES


def _located(sent: _Sentence, out: list[Relation]) -> None:
    """LOCATED_IN beyond adjacent chains: list inheritance, 辖/包括/内的 lists, 在X，… enterprises."""
    t = sent.text
    for g in sent.lists:
        for m in g.members:
            if m.outers and m is not g.members[0] and g.members[0].outers and m.outers[0] is g.members[0].outers[0]:
                out.append(_rel(m, "LOCATED_IN", m.outers[0], "", 0.7, -1))
    # X辖/下辖/包括/内的/内现有… LIST
    for s, e, _w in sent.triggers(
        ("下辖", "辖区内现有", "辖区内有", "辖区内", "辖有", "辖", "包括", "包含", "内的", "内现有", "内有", "境内有")
    ):
        outer = sent.list_before(s, same_clause=True, types=PLACE_TYPES)
        # the host stands right before the trigger: X辖, X(包括, X目前辖
        if outer is None or (len(t[outer.end : s]) > 4 and t[outer.end : s].strip("目前现共（(") != ""):
            continue
        host = outer.members[-1]
        if host.type not in PLACE_TYPES:
            continue
        # the list may come after a count phrase and a comma or a dash: 辖4个小区，A、B…
        for g in sent.lists:
            if g.start >= e and g.start - e <= 24 and not re.search(r"[。；;]", t[e : g.start]):
                for m in g.members:
                    if m.type in {"REGION", "ZONE", "ENTERPRISE", "INSTITUTION"} and m.name != host.name:
                        if m.type == "REGION" and host.type == "REGION":
                            lh, lm = admin_level(host.name), admin_level(m.name)
                            if lh and lm and lh > lm:
                                continue
                        out.append(_rel(m, "LOCATED_IN", host, "", 0.65, -1))
                break
    # A、B等X (X a zone or place): 甲园区、乙园区等某某核心区
    for g in sent.lists:
        rest = t[g.end : g.end + 1]
        if rest == "等" and len(g.members) >= 1:
            nxt = next((h for h in sent.lists if h.start == g.end + 1), None)
            place = nxt.members[0] if nxt else None
            if place is not None and place.type in PLACE_TYPES:
                for m in g.members:
                    if m.type not in PLACE_TYPES:
                        continue
                    if m.type == place.type == "REGION" and not _can_contain(place, m):
                        continue
                    out.append(_rel(m, "LOCATED_IN", place, "", 0.55, -1))
    # 在X，… enterprises of the sentence are in X
    first = sent.clauses[0]
    if sent.lists and sent.lists[0].start >= first[0] and sent.lists[0].end <= first[1]:
        g0 = sent.lists[0]
        prefix = t[first[0] : g0.start]
        tail = t[g0.end : first[1]]
        if (
            re.fullmatch(r"(?:同样|而|此外|另外|目前|如今)?在", prefix)
            and tail == ""
            and all(m.type in PLACE_TYPES for m in g0.members)
        ):
            for g in sent.lists[1:]:
                for m in g.members:
                    if m.type in {"ENTERPRISE", "INSTITUTION"}:
                        out.append(_rel(m, "LOCATED_IN", g0.members[-1], "", 0.55, -1))
