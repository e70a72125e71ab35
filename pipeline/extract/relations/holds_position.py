"""HOLDS_POSITION: a person's titles at an organization (党委书记、董事长)."""

from __future__ import annotations

import re

from ...document import Relation
from .sentences import _Mention, _rel, _Sentence
from .vocabulary import ORG_TYPES, PLACE_TYPES, TITLE_GAP, TITLE_RE, TITLES_BEFORE


def _holds(sent: _Sentence, out: list[Relation]) -> None:
    """HOLDS_POSITION: ORG+title+PERSON (区委书记某某), chains of them, PERSON lists, PERSON任ORG+title."""
    t = sent.text
    ms = sent.mentions
    positions: dict[int, list[tuple[_Mention, str]]] = {}
    for i, p in enumerate(ms):
        if p.type != "PERSON":
            continue
        held: list[tuple[_Mention, str]] = []
        if i > 0:
            q = ms[i - 1]
            gap = t[q.end : p.start]
            tm = TITLE_GAP.match(gap)
            if tm and q.type in ORG_TYPES | PLACE_TYPES:
                held.append((q, tm.group(1)))
                # walk back: 区委常委、人武部部长某某
                j = i - 1
                while j > 0:
                    r = ms[j - 1]
                    gm = TITLES_BEFORE.match(t[r.end : ms[j].start])
                    if not gm or r.type not in ORG_TYPES | PLACE_TYPES:
                        break
                    held.append((r, gm.group(1)))
                    j -= 1
            elif q.type == "PERSON" and gap in ("、", "和", "及") and (i - 1) in positions:
                held.extend(positions[i - 1])  # 领导甲、乙
        # 某社区党工委副书记 read as place + 党工委副书记 (the recognizer missed the committee):
        # the post is in the place's party organization, named place + 党工委
        held = [_party_post(org, title) for org, title in held]
        positions[i] = held
        for org, title in held:
            out.append(_rel(p, "HOLDS_POSITION", org, "", 0.85, -1, title=title))
        # 某某任/担任 ORG 书记
        if i + 1 < len(ms):
            q = ms[i + 1]
            gap = t[p.end : q.start]
            if (
                re.fullmatch(r"[，,]?(?:现|曾|兼|同时|就)?(?:担任|任|兼任|出任|当选(?:为)?|是|为|系)", gap)
                and q.type in ORG_TYPES | PLACE_TYPES
            ):
                tm = re.match(TITLE_RE, t[q.end : q.end + 8])
                if tm:
                    org, title = _party_post(q, tm.group(0))
                    out.append(_rel(p, "HOLDS_POSITION", org, "", 0.75, -1, title=title))


def _party_post(org: _Mention, title: str) -> tuple[_Mention, str]:
    """某社区 + 党工委副书记 → (某社区党工委, 副书记): a title opening with a party-organization word
    after a place or company names a post in that place's or company's party organization."""
    pm = re.match(r"^(党委|党组|党工委|党总支|党支部|总支|支部)(.+)$", title)
    if pm and org.type in PLACE_TYPES | {"ENTERPRISE", "INSTITUTION"}:
        return _Mention(org.start, org.end, org.name + pm.group(1), "PARTY_ORG"), pm.group(2)
    return org, title
