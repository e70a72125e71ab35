"""ESTABLISHED: who founded or set up an organization."""

from __future__ import annotations

import re

from ...document import Relation
from .sentences import _List, _Mention, _rel, _Sentence
from .vocabulary import ACTOR_TYPES, ESTABLISH_TRIGGERS, GROUP_TYPES, ORG_TYPES, _not_subject_prefix


def _founders(sent: _Sentence, s: int, prev: _Sentence | None):
    """Who does the verb at ``s``: nearest actor list before it in the clause, else the topic."""
    g = sent.list_before(s, same_clause=True, types=ACTOR_TYPES | {"PERSON"})
    if g is not None:
        gap = sent.text[g.end : s]
        # X在此建立 / X牵头组建 / X携手成立: X is the doer; 在X成立 is a place, not a doer
        cs = sent.clause_of(g.start)[0]
        if not _not_subject_prefix(sent.text[cs : g.start]):
            if len(gap) <= 16:
                return g.names(ACTOR_TYPES | {"PERSON"}), 0.7
    tp = sent.topic()
    if tp is not None and tp.end <= s:
        return tp.names(ACTOR_TYPES | {"PERSON"}), 0.6
    before = sent.text[sent.start : s]
    if prev is not None and not _not_subject_prefix(before) and not re.search(r"[□]", sent.masked[sent.start : s]):
        tp = prev.topic()
        if tp is not None:
            return tp.names(ACTOR_TYPES), 0.45
    return [], 0.0


def _expand_ellipsis(g: _List, text: str) -> list[_Mention]:
    """甲产业、乙产业和丙产业集群党委 → three organizations, the first two named after the last one
    (its industry word replaced), since the shared head 产业集群党委 is written only once."""
    ms = g.members
    if len(ms) < 2 or ms[-1].type not in ORG_TYPES or not all(m.type == "INDUSTRY" for m in ms[:-1]):
        return ms
    last = ms[-1]
    m = re.match(r"^(.+?)(?:产业|行业)", text[last.start : last.end])
    if not m or m.group(1) not in last.name:
        return ms
    out = [_Mention(ind.start, ind.end, last.name.replace(m.group(1), ind.name, 1), last.type) for ind in ms[:-1]]
    return out + [last]


def _established(sent: _Sentence, out: list[Relation], prev: _Sentence | None) -> None:
    """ESTABLISHED: X成立/组建/设立/建立 Y (Y an organization, zone or alliance)."""
    allowed = ORG_TYPES | {"ZONE"}
    for s, e, _w in sent.triggers(ESTABLISH_TRIGGERS):
        # the founded thing: first list after the verb in the clause holding an allowed type
        obj = None
        for g in sent.lists:
            if g.start >= e and g.start <= sent.clause_of(e)[1]:
                if re.search(r"[，,。；;]", sent.text[e : g.start]) or g.start - e > 14:
                    break
                if any(m.type in allowed for m in g.members) or _expand_ellipsis(g, sent.text) is not g.members:
                    obj = g
                    break
        if obj is None:
            continue
        objs = [m for m in _expand_ellipsis(obj, sent.text) if m.type in allowed]
        subs, conf = _founders(sent, s, prev)
        for sub in subs:
            for o in objs:
                out.append(_rel(sub, "ESTABLISHED", o, "", conf, -1))
        # 携手/共同/联合成立: the founders work together
        if len(subs) > 1 and re.search(r"携手|共同|联合|联手", sent.text[max(sent.start, s - 6) : s]):
            for i, a in enumerate(subs):
                for b in subs[i + 1 :]:
                    out.append(_rel(a, "COOPERATES_WITH", b, "", 0.6, -1))
        # X牵头组建Y: X also leads Y
        if re.search(r"牵头", sent.text[max(sent.start, s - 4) : s]):
            for sub in subs:
                for o in objs:
                    if o.type in GROUP_TYPES:
                        out.append(_rel(sub, "LEADS", o, "", 0.7, -1))
