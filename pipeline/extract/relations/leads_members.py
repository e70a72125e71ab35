"""LEADS, MEMBER_OF and SUBORDINATE_TO: who leads a group (以X为龙头), its members (成员有…), what it has under it."""

from __future__ import annotations

import re

from ...document import Relation
from .references import _Context
from .sentences import _List, _Mention, _rel, _Sentence
from .vocabulary import GROUP_TYPES, LEAD_ROLES, ORG_TYPES, PLACE_TYPES


def _group_near(sent: _Sentence, pos: int, prev: _Sentence | None, ctx: _Context) -> _Mention | None:
    """The group (alliance / party committee) a LEADS or MEMBER_OF statement is about."""
    tp = sent.topic()
    if (
        tp is not None
        and tp.members[-1].type in GROUP_TYPES
        and tp.start < pos
        and not sent.text.startswith("牵头", tp.end)
    ):
        return tp.members[-1]
    before = [
        m for m in sent.mentions if m.type in GROUP_TYPES and m.end <= pos and not sent.text.startswith("牵头", m.end)
    ]
    if before:
        return before[-1]
    after = [m for m in sent.mentions if m.type in GROUP_TYPES and m.start >= pos]
    if after and sent.text[after[0].start - 1 : after[0].start] != "的":
        return None
    if prev is not None:
        pg = [m for m in prev.mentions if m.type in GROUP_TYPES]
        if pg:
            return pg[-1]
    return ctx.last({"ALLIANCE"})


def _enterprise_of(org: _Mention) -> _Mention | None:
    """甲公司党委 → 甲公司: the enterprise whose party organization this is."""
    m = re.match(r"^(.+?(?:公司|集团|企业|厂))(?:党委|党总支|党支部|支部)$", org.name)
    return _Mention(org.start, org.end, m.group(1), "ENTERPRISE") if m and org.type == "PARTY_ORG" else None


def _leads_and_members(sent: _Sentence, out: list[Relation], prev: _Sentence | None, ctx: _Context) -> None:
    """LEADS (以X为龙头, X作为主席单位, 龙头企业X), MEMBER_OF (成员有…, 由…组成, 加入, 会同…),
    SUBORDINATE_TO (下设, 隶属, 直属)."""
    t = sent.text
    lead_subjects: list[_Mention] = []
    # 以X为龙头/链主
    for m in re.finditer(r"以□+为(?:" + "|".join(LEAD_ROLES) + ")", sent.masked[sent.start : sent.end]):
        s = sent.start + m.start() + 1
        g = next((x for x in sent.lists if x.start == s), None)
        grp = _group_near(sent, s, prev, ctx)
        if g and grp:
            for x in g.members:
                lead_subjects.append(x)
                out.append(_rel(x, "LEADS", grp, "", 0.75, -1))
            # …会同/带动/联合 A、B等 → members of the same group
            for s2, e2, _w in sent.triggers(("会同", "带动", "联合", "团结", "吸纳", "聚集", "集聚")):
                if s2 > g.end:
                    g2 = sent.list_after(e2, max_gap=1)
                    if g2:
                        for x in g2.names({"ENTERPRISE", "INSTITUTION", "PARTY_ORG"}):
                            out.append(_rel(x, "MEMBER_OF", grp, "", 0.65, -1))
    # X作为(联盟)(轮值)主席单位 ; 龙头企业X
    for s, e, w in sent.triggers(LEAD_ROLES):
        if re.match(r"为", t[s - 1 : s]) and sent.masked[s - 2 : s - 1] == "□":
            continue  # handled above
        subj = None
        before = sent.list_before(s, same_clause=True, types=ORG_TYPES)
        if before is not None and re.fullmatch(
            r"(?:作为|担任|成为|为|是)(?:联盟|集群|党委|联合体|产业链)?(?:的)?", t[before.end : s]
        ):
            subj = before.names(ORG_TYPES)
        after = sent.list_after(e, max_gap=0, types=ORG_TYPES)
        if subj is None and after is not None and w in ("龙头企业", "链主企业", "龙头单位"):
            subj = after.names(ORG_TYPES)
        if not subj:
            continue
        grp = _group_near(sent, s, prev, ctx)
        if grp is None:
            continue
        for x in subj:
            if x.name == grp.name:
                continue
            lead_subjects.append(x)
            out.append(_rel(x, "LEADS", grp, "", 0.7, -1))
            ent = _enterprise_of(x)
            if ent:
                out.append(_rel(ent, "LEADS", grp, "", 0.6, -1))
    # 由A和B组成 → members of the topic group
    for m in re.finditer(r"由(.{1,60}?)(?:共同)?组成", t[sent.start : sent.end]):
        s, e = sent.start + m.start(), sent.start + m.end()
        grp = _group_near(sent, s, prev, ctx)
        if grp is None:
            continue
        for x in sent.mentions:
            if s < x.start and x.end <= e and x.type in ORG_TYPES and x.name != grp.name:
                out.append(_rel(x, "MEMBER_OF", grp, "", 0.7, -1))
    # (GROUP)成员(单位)有/包括/为 A、B、C
    for s, e, _w in sent.triggers(
        ("成员单位有", "成员单位包括", "成员单位为", "成员有", "成员包括", "成员为", "成员是", "成员单位是")
    ):
        g = sent.list_after(e, max_gap=0)
        if g is None:
            continue
        prior = sent.list_before(s, same_clause=True, types=GROUP_TYPES)
        grp = prior.members[-1] if prior and prior.end >= s - 2 else _group_near(sent, s, prev, ctx)
        if grp is None:
            continue
        for x in g.names(ORG_TYPES | {"REGION", "ZONE"}):
            out.append(_rel(x, "MEMBER_OF", grp, "", 0.75, -1))
    # A加入/入盟/纳入 GROUP
    for s, e, _w in sent.triggers(("加入", "入盟", "加盟", "纳入", "并入")):
        g = sent.list_after(e, max_gap=2, types=GROUP_TYPES | {"ZONE"})
        a = sent.list_before(s, same_clause=True, types=ORG_TYPES)
        if g and a and len(t[a.end : s]) <= 6:
            for x in a.names(ORG_TYPES):
                out.append(_rel(x, "MEMBER_OF", g.members[0], "", 0.7, -1))
    # GROUP覆盖/吸纳 A、B
    for s, e, _w in sent.triggers(("覆盖", "吸纳", "涵盖", "囊括")):
        a = sent.list_before(s, same_clause=True, types=GROUP_TYPES)
        g = sent.list_after(e, max_gap=2, types=ORG_TYPES)
        if a and g and len(t[a.end : s]) <= 4:
            for x in g.names(ORG_TYPES):
                out.append(_rel(x, "MEMBER_OF", a.members[-1], "", 0.6, -1))
    # X下设A、B (sub-organizations) ; A隶属(于)X ; 直属X的A
    for s, e, _w in sent.triggers(("下设", "下辖", "设有")):
        a = sent.list_before(s, same_clause=True, types=ORG_TYPES)
        if a is None:
            topic = sent.topic()
            a = _List([topic.members[-1]], 0, 0) if topic and topic.end <= s else None
        g = sent.list_after(e, max_gap=6, types=ORG_TYPES)
        if a and g and a.members[-1].type in ORG_TYPES:
            for x in g.names(ORG_TYPES):
                out.append(_rel(x, "SUBORDINATE_TO", a.members[-1], "", 0.65, -1))
    for s, e, _w in sent.triggers(("隶属于", "隶属", "归属于", "归属", "直属于", "从属于")):
        a = sent.list_before(s, same_clause=True, types=ORG_TYPES)
        g = sent.list_after(e, max_gap=1, types=ORG_TYPES | {"ZONE"})
        if a and g and len(t[a.end : s]) <= 2:
            superior = g.members[0]
            for x in a.names(ORG_TYPES):
                pred = (
                    "SUBORDINATE_TO"
                    if x.type in GROUP_TYPES | {"GOV_ORG"} and superior.type in GROUP_TYPES | {"GOV_ORG"}
                    else "MEMBER_OF"
                )
                out.append(_rel(x, pred, superior, "", 0.65, -1))
    # X是Y的成员单位/会员单位
    for m in re.finditer(
        r"(□+)(?:是|为|系|成为|作为)(□+)的?(?:首批|正式|重要|核心)?(?:成员单位|会员单位|成员|会员|理事单位)",
        sent.masked[sent.start : sent.end],
    ):
        lo = next((x for x in sent.mentions if x.start == sent.start + m.start(1)), None)
        hi = next((x for x in sent.mentions if x.start == sent.start + m.start(2)), None)
        if lo and hi and lo.type in ORG_TYPES | PLACE_TYPES and hi.type in ORG_TYPES | {"ZONE"}:
            out.append(_rel(lo, "MEMBER_OF", hi, "", 0.7, -1))
    # (由)X牵头 … about a group named earlier in the sentence: 该联盟由X牵头
    for m in re.finditer(r"由(□+)牵头", sent.masked[sent.start : sent.end]):
        leader = next((y for y in sent.mentions if y.start == sent.start + m.start(1)), None)
        grp = next((y for y in sent.mentions if y.type in GROUP_TYPES and y.end <= sent.start + m.start()), None)
        if leader and grp and leader.type in ORG_TYPES and leader.name != grp.name:
            out.append(_rel(leader, "LEADS", grp, "", 0.65, -1))
    for m in re.finditer(r"直属(□+)的(□+)", sent.masked[sent.start : sent.end]):
        hi = next((x for x in sent.mentions if x.start == sent.start + m.start(1)), None)
        lo = next((x for x in sent.mentions if x.start == sent.start + m.start(2)), None)
        if hi and lo and hi.type in ORG_TYPES | PLACE_TYPES and lo.type in ORG_TYPES:
            out.append(_rel(lo, "SUBORDINATE_TO", hi, "", 0.6, -1))
