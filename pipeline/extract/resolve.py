"""Entity resolution within one document: give every mention its canonical name.

Rules (see ontology.md):

* A bare relative name (区委组织部, 区社会工作党委, 区委, 区政协, 镇党委, 工业区, 工业区党群办) is the body
  of the district / town / zone the text is talking about at that point: the closest preceding
  full name of that level (same paragraph first, then earlier paragraphs), else the document's
  main one (title first, then the most frequent). So 区委组织部 in a 江宁区 article becomes
  江宁区委组织部 and in a 吴中区 article 吴中区委组织部; they never merge.
* Short forms and suffix variants join the longest form of the same type in the document:
  恒远电气 / 恒远电气公司; 华瑞化妆品 / 南京华瑞化妆品有限公司; 江宁 / 江宁区;
  社区党工委 / 江宁工业区社区党工委; S88科创走廊 / 长三角S88科创走廊.
* The canonical name is the longest form; every surface form is recorded as an alias.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..document import Span
from ..gazetteer import region_lexicon, region_shorts
from ..relative_names import relative_level
from .entities.tokens import analyze

COMPANY_SUFFIX = re.compile(r"^(?:股份有限公司|有限责任公司|集团有限公司|有限公司|集团|公司)$")
ZONE_HEADS = ("工业区", "开发区", "园区", "工业园区", "经济园区")


@dataclass
class Resolution:
    """What resolution decided for one document.

    ``canonical``: surface form -> canonical name (the last decision when a surface form is
    ambiguous across the document; ``mentions`` has every decision);
    ``mentions``: (paragraph index, start, end) -> canonical name;
    ``aliases``: canonical name -> the surface forms seen for it (itself included);
    ``types``: canonical name -> entity type.
    """

    canonical: dict[str, str] = field(default_factory=dict)
    mentions: dict[tuple[int, int, int], str] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


@dataclass
class _Anchor:
    par: int
    pos: int
    name: str
    level: str


def _anchors(texts: list[str], spans: list[list[Span]], title: str) -> list[_Anchor]:
    """Full district/town/city/zone names in the document, in reading order (title = paragraph -1)."""
    lex = region_lexicon()
    out: list[_Anchor] = []
    # County short forms count once their full form is in the document (江宁 inside 江宁工业区).
    full_counties = set()
    for t in [title, *texts]:
        for _s, _e, r in analyze(t)[1]:
            if r.level == "county":
                full_counties.add(r.name)
    shorts = {lex[n].short: n for n in full_counties if lex[n].short}
    for pi, t in [(-1, title), *enumerate(texts)]:
        if not t:
            continue
        toks, regions = analyze(t)
        for s, _e, r in regions:
            level = {
                "county": "district",
                "town": "street" if r.name.endswith("街道") else "town",
                "city": "city",
                "province": "city",
            }[r.level]
            out.append(_Anchor(pi, s, r.name, level))
            if level == "district" and r.parents:
                out.append(_Anchor(pi, s, r.parents[0], "city"))
            if level == "street":
                out.append(_Anchor(pi, s, r.name, "town"))
        for short, full in shorts.items():
            for m in re.finditer(re.escape(short), t):
                if not any(a.par == pi and a.pos == m.start() for a in out):
                    out.append(_Anchor(pi, m.start(), full, "district"))
        if 0 <= pi < len(spans):
            for sp in spans[pi]:
                if sp.type == "REGION" and len(sp.name) > 2:
                    if sp.name.endswith(("社区", "居民区")) and not sp.name.startswith(("社区", "居民区")):
                        out.append(_Anchor(pi, sp.start, sp.name, "community"))
                    elif sp.name.endswith("村") and not sp.name.startswith("村"):
                        out.append(_Anchor(pi, sp.start, sp.name, "village"))
                if sp.type == "ZONE" and sp.name.endswith(ZONE_HEADS) and not relative_level(sp.name):
                    out.append(_Anchor(pi, sp.start, sp.name, "zone"))
                elif sp.type in ("PARTY_ORG", "GOV_ORG", "REGION") and not relative_level(sp.name):
                    # A zone named inside a longer name: 江宁工业区社区党工委 -> 江宁工业区.
                    zone = re.match(r"^(.{2,12}?(?:工业区|开发区|经济园区))", sp.name)
                    if zone and zone.group(1) not in ZONE_HEADS:
                        out.append(_Anchor(pi, sp.start, zone.group(1), "zone"))
    if not any(a.level == "district" for a in out):
        out.extend(_districts_of_zones(out))
    out.sort(key=lambda a: (a.par, a.pos))
    return out


def _districts_of_zones(anchors: list[_Anchor]) -> list[_Anchor]:
    """An article that names its district only inside a zone's name (江宁工业区, never 江宁区) is
    about that district: the zone's leading place name, when it is exactly one county's short form."""
    found = []
    for a in anchors:
        if a.level != "zone":
            continue
        for size in (3, 2):
            counties = {e.name for e in region_shorts().get(a.name[:size], ()) if e.level == "county"}
            if len(counties) == 1:
                found.append(_Anchor(a.par, a.pos, counties.pop(), "district"))
                break
    return found


def _main_anchor(anchors: list[_Anchor], level: str) -> str | None:
    cands = [a for a in anchors if a.level == level]
    if not cands:
        return None
    titled = [a.name for a in cands if a.par == -1]
    if titled:
        return titled[0]
    return Counter(a.name for a in cands).most_common(1)[0][0]


def _anchor_for(anchors: list[_Anchor], level: str, par: int, pos: int) -> str | None:
    """The closest preceding anchor of a level (same paragraph, then earlier), else the main one."""
    before = [a for a in anchors if a.level == level and (a.par < par or (a.par == par and a.pos <= pos))]
    if before:
        return before[-1].name
    same = [a for a in anchors if a.level == level and a.par == par]
    if same:
        return same[0].name
    return _main_anchor(anchors, level)


def expand_relative(name: str, anchors: list[_Anchor], par: int, pos: int) -> str:
    """江宁区 + 委组织部: the full name of a relative body, or ``name`` unchanged."""
    rel = relative_level(name)
    if not rel:
        return name
    prefix, level = rel
    anchor = _anchor_for(anchors, level, par, pos)
    if not anchor:
        return name
    if prefix == "":
        return anchor + name
    if level == "zone":
        if not anchor.endswith(prefix):
            return name
        return anchor + name[len(prefix) :]
    # The anchor must end with the same level word: 江宁区 + (区)委组织部, 朱桥镇 + (镇)党委.
    if not anchor.endswith(prefix):
        return name
    return anchor + name[len(prefix) :]


def _joins(short: str, long: str, type_: str) -> bool:
    """Does ``short`` name the same entity as the longer ``long`` of the same type?"""
    if short == long or len(short) >= len(long) or short not in long:
        return False
    lex = region_lexicon()
    if type_ == "REGION":
        e = lex.get(long)
        return bool(e and e.short == short)
    if type_ == "ENTERPRISE":
        i = long.find(short)
        head, tail = long[:i], long[i + len(short) :]
        head_ok = head == "" or head in lex or head in region_shorts()
        tail_ok = tail == "" or bool(COMPANY_SUFFIX.match(tail))
        return len(short) >= 2 and head_ok and tail_ok and bool(head or tail)
    if type_ in ("PARTY_ORG", "GOV_ORG", "ZONE", "INSTITUTION", "ALLIANCE"):
        # 社区党工委 / 江宁工业区社区党工委; S88科创走廊 / 长三角S88科创走廊: the longer one adds a
        # place in front. Short heads alone (党委, 支部) never join.
        if not long.endswith(short) or len(short) < 4:
            return False
        if any(s == 0 and r.level in ("county", "city", "province") for s, _, r in analyze(short)[1]):
            return False  # 吴中区社会工作党委 is already fully named
        head = long[: -len(short)]
        return (
            head in lex or head in region_shorts() or bool(re.search(r"(?:区|镇|市|县|街道|工业区|社区|长三角)$", head))
        )
    if type_ == "INDUSTRY":
        return long == short + "产业"
    return False


def resolve(paragraph_spans: list[list[Span]], paragraph_texts: list[str], title: str = "") -> Resolution:
    """Resolve every mention of one document to a canonical name; sets ``Span.name`` in place.

    ``paragraph_spans[i]`` are the spans found in ``paragraph_texts[i]``; ``title`` (optional)
    helps to find the district, town or zone the article is about.
    """
    res = Resolution()
    anchors = _anchors(paragraph_texts, paragraph_spans, title)
    # Full region names the text uses on their own (not inside 南京市委): a short form joins
    # them (江宁 -> 江宁区), but never a name the text does not use.
    standalone = {sp.name for spans in paragraph_spans for sp in spans if sp.type == "REGION"}
    # 1. Relative names get their unit.
    for pi, spans in enumerate(paragraph_spans):
        for sp in spans:
            if sp.type in ("GOV_ORG", "PARTY_ORG", "ZONE", "REGION", "INSTITUTION", "ALLIANCE"):
                full = expand_relative(sp.name, anchors, pi, sp.start)
                if sp.type == "REGION" and full != sp.name and not sp.name.startswith(("工业区", "开发区", "园区")):
                    full = sp.name  # 镇/村 alone are not names; only zone-relative regions expand
                sp.name = full
            if sp.type == "REGION" and sp.name in region_shorts():
                unique = _unique_full(sp.name, standalone)
                if unique:
                    sp.name = unique
    # 2. Short forms join the longest form of the same type.
    names_by_type: dict[str, set[str]] = {}
    for spans in paragraph_spans:
        for sp in spans:
            names_by_type.setdefault(sp.type, set()).add(sp.name)
    target: dict[tuple[str, str], str] = {}
    for type_, names in names_by_type.items():
        ordered = sorted(names, key=len, reverse=True)
        for n in ordered:
            best = n
            for longer in ordered:
                if len(longer) <= len(best):
                    break
                if _joins(n, longer, type_):
                    best = longer
                    break
            target[(type_, n)] = best
        # follow chains (华瑞 -> 华瑞化妆品 -> 南京华瑞化妆品有限公司)
        for key in list(target):
            if key[0] != type_:
                continue
            seen = {key[1]}
            while (
                target.get((type_, target[key]), target[key]) not in seen
                and target.get((type_, target[key])) != target[key]
            ):
                nxt = target[(type_, target[key])]
                seen.add(target[key])
                target[key] = nxt
    for pi, spans in enumerate(paragraph_spans):
        for sp in spans:
            canon = target.get((sp.type, sp.name), sp.name)
            sp.name = canon
            res.mentions[(pi, sp.start, sp.end)] = canon
            res.canonical[sp.text] = canon
            res.aliases.setdefault(canon, {canon}).add(re.sub(r"\s+", "", sp.text))
            res.types.setdefault(canon, sp.type)
    return res


def _unique_full(short: str, standalone: set[str]) -> str | None:
    """The full region a short form stands for in this document (江宁 -> 江宁区 when 江宁区 is
    named on its own); None keeps the short form (扬州 stays 扬州 when 扬州市 is never written)."""
    named = sorted(e.name for e in region_shorts().get(short, ()) if e.name in standalone)
    return named[0] if len(named) == 1 else None
