"""SUPPORTS: an organization or person helping another (助力, 帮助, 为X提供服务)."""

from __future__ import annotations

import re

from ...document import Relation
from .sentences import _rel, _Sentence
from .vocabulary import ACTOR_TYPES, GOODS, SUPPORT_NOUNS, SUPPORT_TRIGGERS, _not_subject_prefix


def _supports(sent: _Sentence, out: list[Relation]) -> None:
    """SUPPORTS: X助力/帮助/服务/支持/捐赠/承接 Y ; X为Y提供服务/支持."""
    t = sent.text
    helpers = ACTOR_TYPES | {"PERSON"}
    helped = ACTOR_TYPES | {"PERSON"}
    for s, e, w in sent.triggers(SUPPORT_TRIGGERS):
        if w == "帮" and t[e : e + 1] in "助扶":
            continue
        obj = sent.list_after(e, max_gap=0, types=helped)
        if obj is None:
            continue
        subj = sent.list_before(s, same_clause=True, types=helpers)
        conf = 0.65
        if (
            subj is None
            or len(t[subj.end : s]) > 8
            or _not_subject_prefix(t[sent.clause_of(subj.start)[0] : subj.start])
        ):
            continue
        if subj is obj:
            continue
        for a in subj.names(helpers):
            for b in obj.names(helped):
                out.append(_rel(a, "SUPPORTS", b, "", conf, -1))
    # X向Y捐赠/资助/援助…
    for m in re.finditer(
        r"(?:向|给|为)(□+)(?:捐赠|捐助|捐献|赠送|资助|援助|捐款|捐资)", sent.masked[sent.start : sent.end]
    ):
        s = sent.start + m.start()
        obj = next((g for g in sent.lists if g.start == s + 1), None)
        subj = sent.list_before(s, same_clause=True, types=helpers)
        if obj is not None and subj is not None and len(t[subj.end : s]) <= 8:
            for a in subj.names(helpers):
                for b in obj.names(helped):
                    out.append(_rel(a, "SUPPORTS", b, "", 0.65, -1))
    for m in re.finditer(r"为(□+)提供", sent.masked[sent.start : sent.end]):
        s = sent.start + m.start()
        obj = next((g for g in sent.lists if g.start == s + 1), None)
        rest = t[sent.start + m.end() : sent.clause_of(sent.start + m.end())[1]]
        if obj is None or any(g in rest for g in GOODS) or not any(n in rest for n in SUPPORT_NOUNS):
            continue
        subj = sent.list_before(s, same_clause=True, types=helpers)
        if subj is None:
            tp = sent.topic()
            subj = tp if tp is not None and tp.end <= s else None
        if subj is None:
            continue
        for a in subj.names(helpers):
            for b in obj.names(helped):
                out.append(_rel(a, "SUPPORTS", b, "", 0.6, -1))
