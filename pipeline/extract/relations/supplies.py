"""SUPPLIES: one organization selling or delivering goods to another (购买, 供应, 提供…设备)."""

from __future__ import annotations

import re

from ...document import Relation
from .sentences import _rel, _Sentence
from .vocabulary import GOODS, SUPPLY_BUY, SUPPLY_SELL


def _supplies(sent: _Sentence, out: list[Relation]) -> None:
    """SUPPLIES: X从/向Y购买 (Y supplies X); X向/为Y供应/提供…设备 (X supplies Y)."""
    t = sent.text
    firms = {"ENTERPRISE", "INSTITUTION", "PARTY_ORG", "GOV_ORG"}
    for m in re.finditer(r"(?:从|向)", sent.masked[sent.start : sent.end]):
        s = sent.start + m.start()
        seller = None
        for g in sent.lists:
            if g.start > s and g.start - s <= 12 and not re.search(r"[，,。；;]", t[s : g.start]):
                seller = g
                break
        if seller is None:
            continue
        tail = t[seller.end : min(sent.end, seller.end + 8)]
        buyer = sent.list_before(s, same_clause=False, types=firms)
        if buyer is None:
            continue
        if re.match(r"^(?:处|那里|手中)?(?:" + "|".join(SUPPLY_BUY) + ")", tail):
            for b in buyer.names(firms):
                for x in seller.names(firms):
                    out.append(_rel(x, "SUPPLIES", b, "", 0.7, -1))
        elif t[s] == "向" and re.match(r"^(?:" + "|".join(SUPPLY_SELL) + ")", tail):
            rest = t[seller.end : sent.clause_of(seller.end)[1]]
            if t[seller.end : seller.end + 2] != "提供" or any(g in rest for g in GOODS):
                for b in buyer.names(firms):
                    for x in seller.names(firms):
                        out.append(_rel(b, "SUPPLIES", x, "", 0.65, -1))
    # X为Y提供…设备 / X采购Y的…
    for m in re.finditer(r"为(□+)(?:提供|供应|交付)", sent.masked[sent.start : sent.end]):
        s = sent.start + m.start()
        obj = next((g for g in sent.lists if g.start == s + 1), None)
        rest = t[sent.start + m.end() : sent.clause_of(sent.start + m.end())[1]]
        subj = sent.list_before(s, same_clause=True, types=firms)
        if obj and subj and any(g in rest for g in GOODS):
            for a in subj.names(firms):
                for b in obj.names(firms):
                    out.append(_rel(a, "SUPPLIES", b, "", 0.6, -1))
    for s, e, _w in sent.triggers(("采购", "购买", "订购")):
        obj = sent.list_after(e, max_gap=1, types=firms)
        subj = sent.list_before(s, same_clause=True, types=firms)
        if obj and subj and t[obj.end : obj.end + 1] == "的" and len(t[subj.end : s]) <= 4:
            for a in obj.names(firms):
                for b in subj.names(firms):
                    out.append(_rel(a, "SUPPLIES", b, "", 0.6, -1))
