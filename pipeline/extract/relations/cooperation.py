"""COOPERATES_WITH: organizations that cooperate (X与Y合作, A、B共同…, X联合Y)."""

from __future__ import annotations

import re

from ...document import Relation
from .references import _Context
from .sentences import _Mention, _rel, _Sentence
from .vocabulary import _ADVERBS, ACTOR_TYPES, COOPERATION_TRIGGERS, COOPERATION_WITH_OBJECT, STRONG_COOPERATION


def _implicit_subject(sent: _Sentence, prev: _Sentence | None, ctx: _Context) -> tuple[list[_Mention], float]:
    """Subject of a sentence that opens with 与X…: the previous sentence's topic, else the latest
    enterprise or organization named before."""
    topic = prev.topic() if prev is not None else None
    if topic is not None:
        return topic.names(ACTOR_TYPES), 0.45
    last = ctx.last({"ENTERPRISE", "INSTITUTION", "PARTY_ORG"})
    return ([last], 0.4) if last else ([], 0.0)


def _cooperates(sent: _Sentence, out: list[Relation], prev: _Sentence | None, ctx: _Context) -> None:
    """COOPERATES_WITH: X与Y…合作/共建, A、B…共同/协议, X联合/协同Y."""
    t = sent.text
    coop_types = ACTOR_TYPES
    trig = sent.triggers(COOPERATION_TRIGGERS)
    if not trig:
        return

    def pairs(a_list, b_list, conf):
        for a in a_list:
            for b in b_list:
                if a.name != b.name:
                    out.append(_rel(a, "COOPERATES_WITH", b, "", conf, -1))

    used_lists = set()
    # X与Y … trigger
    # 与 anywhere (but not 参与/给与/与会); 同/跟 only right after a mention (甲同乙), since 同 also
    # opens 同时/同步/会同
    for m in re.finditer(r"(?<![参给赋授])与(?!会)|(?<=□)(?:同|跟)(?![时步样期])", sent.masked[sent.start : sent.end]):
        s = sent.start + m.start()
        right = sent.list_after(s + 1, max_gap=16, types=coop_types)
        if right is None:
            continue
        gap = t[s + 1 : right.start]
        # 与毗邻的X / 与专做某某的X: a long gap must be a modifier ending in 的, with no 在/于 place phrase
        if len(gap) > 2 and (
            not gap.endswith("的") or re.search(r"在|于|到|向|从|□", sent.masked[s + 1 : right.start])
        ):
            continue
        if not any(
            ts >= right.end and ts - right.end <= 30 and not re.search(r"[。；;]", t[right.end : ts])
            for ts, te, w in trig
        ):
            continue
        left = sent.list_before(s, same_clause=True, types=coop_types)
        conf = 0.7
        if left is not None and len(t[left.end : s]) > 12:
            left = None
        cs = sent.clause_of(s)[0]
        if left is None and re.fullmatch(_ADVERBS + r"(?:还|并|又|也|将|要|积极|主动)*", t[cs:s]):
            # 与 opening a clause: the subject is in the previous clause of the sentence …
            left = sent.list_before(cs, same_clause=False, types=coop_types) if cs > sent.start else None
            conf = 0.55
        if left is not None:
            pairs(left.names(coop_types), right.names(coop_types), conf)
            used_lists.add(id(left))
        else:
            subs, conf = _implicit_subject(sent, prev, ctx) if t[sent.start : s].strip() == "" else ([], 0)
            pairs([x for x in subs if x.type in coop_types], right.names(coop_types), conf)
        used_lists.add(id(right))
    # X联合/协同/携手 Y
    for s, e, w in trig:
        if w not in COOPERATION_WITH_OBJECT:
            continue
        right = sent.list_after(e, max_gap=16, types=coop_types)
        if right is None:
            continue
        gap = t[e : right.start]
        if len(gap) > 1 and (not gap.endswith("的") or "□" in sent.masked[e : right.start]):
            continue  # 联合辖区内的X is fine; 联合开展…X is not a partner
        left = sent.list_before(s, same_clause=True, types=coop_types)
        if left is None or len(t[left.end : s]) > 4:
            continue
        pairs(left.names(coop_types), right.names(coop_types), 0.65)
        used_lists.update({id(left), id(right)})
    # A、B(等) … 共同/合作/协议: members of one list work together
    for g in sent.lists:
        members = g.names(coop_types)
        if len(members) < 2 or id(g) in used_lists:
            continue
        later = [
            ts
            for ts, te, w in trig
            if ts >= g.end
            and not re.search(r"[。；;]", t[g.end : ts])
            and (w in STRONG_COOPERATION or sent.clause_of(ts) == sent.clause_of(g.end))
        ]
        if not later:
            continue
        nxt = next((h for h in sent.lists if h.start >= g.end), None)
        if nxt is not None and nxt.start < later[0] and any(m.type in coop_types for m in nxt.members):
            continue  # another actor stands between the list and the trigger
        # the trigger in the list's own clause, or later when the list is the sentence's subject
        tp = sent.topic()
        opens = len(t[sent.clause_of(g.start)[0] : g.start]) <= 2
        if sent.clause_of(later[0]) != sent.clause_of(g.end) and (tp is not g or not opens or later[0] - g.end > 40):
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                out.append(_rel(a, "COOPERATES_WITH", b, "", 0.6, -1))
