"""VISITED: people visiting a place or an organization (PERSON来到PLACE, 调研/走访 LIST, 一行参观)."""

from __future__ import annotations

import re

from ...document import Relation
from .sentences import _rel, _Sentence
from .vocabulary import ACTOR_TYPES, VISIT_MOVES, VISIT_VERBS


def _visited(sent: _Sentence, out: list[Relation], date: str | None) -> None:
    """VISITED: PERSON…来/到 PLACE开展…, PERSON 调研/走访 LIST, 在X，PERSON一行参观…, 来自A、B…来到Z."""
    t = sent.text
    attrs = {"date": date} if date else {}
    place_types = ACTOR_TYPES

    def visitors_before(pos):
        # a name in brackets is a byline (本报讯(某某)), not a visitor
        people = [
            m
            for m in sent.mentions
            if m.type == "PERSON"
            and m.end <= pos
            and not (t[m.start - 1 : m.start] in "(（" and t[m.end : m.end + 1] in ")）")
        ]
        if people:
            return people
        g = sent.list_before(pos, same_clause=True, types=ACTOR_TYPES)
        if g is not None and re.fullmatch(
            r"(?:一行|等)?(?:人|同志|领导)?(?:一行)?(?:先后|专程|一同|再次|实地)?", t[g.end : pos]
        ):
            return g.names(ACTOR_TYPES)
        src = re.search(r"来自", t[sent.start : pos])
        if src:
            g = sent.list_after(sent.start + src.end(), max_gap=0, types=ACTOR_TYPES, same_clause=False)
            if g is not None:
                return g.names(ACTOR_TYPES)
        return []

    for s, e, w in sent.triggers(VISIT_MOVES):
        if w in ("到", "来") and s > sent.start and t[s - 1] in "得达受做感遇想提收看听回带起出上下进将未以原本从":
            continue
        if w == "来" and t[s : s + 2] in ("来自", "来源", "来说", "来看"):
            continue
        g = sent.list_after(e, max_gap=0, types=place_types)
        if g is None:
            continue
        who = visitors_before(s)
        # movement needs a purpose or an entourage to be a visit: 一行/开展/调研/看望…
        around = t[max(sent.start, s - 4) : s] + t[g.end : min(sent.end, g.end + 12)]
        if not who or not re.search(
            r"一行|开展|调研|走访|看望|慰问|视察|考察|检查|指导|参观|座谈|宣讲|"
            r"嘘寒问暖|家中|走进|来到",
            around + w,
        ):
            continue
        for v in who:
            for o in g.names(place_types):
                out.append(_rel(v, "VISITED", o, "", 0.7, -1, **attrs))
    for s, e, _w in sent.triggers(VISIT_VERBS):
        clause = sent.clause_of(s)
        who = visitors_before(s)
        # 在X，某某一行参观… : X is the visited place
        objs = [m for m in sent.mentions if e <= m.start <= clause[1] and m.type in place_types]
        first = sent.lists[0] if sent.lists else None
        if (
            first
            and re.fullmatch(r"在", t[sent.clause_of(first.start)[0] : first.start])
            and t[first.end : first.end + 1] in "，,"
            and first.members[-1].type in place_types
        ):
            objs = objs + [first.members[-1]]
        if not who:
            continue
        if any(v.type != "PERSON" for v in who) and not re.search(r"一行|来自", t[sent.start : s]):
            continue  # an organization that 走访企业 is a programme, not a visit
        for v in who:
            for o in objs:
                if o.name != v.name:
                    out.append(_rel(v, "VISITED", o, "", 0.65, -1, **attrs))
