"""Relation extraction: the ten ontology predicates between entity mentions of one paragraph.

Input is one cleaned paragraph and its entity mentions (``Span.name`` canonical). The paragraph is
split into sentences (。！？；); each sentence is read as a row of *mentions* (a mention is a span,
or a chain of directly adjacent places such as 江苏省常州市大港镇, whose head is the innermost
name) grouped into *lists* (A、B和C等). Small rules keyed on trigger words then decide subject and
object by position around the trigger and by entity type. Every rule is generic: it knows trigger
vocabulary, titles and type constraints, never names.

A few references reach outside the sentence: 该企业/该中心/其/公司/区里 … are resolved to the most
recent entity of the fitting type (in the paragraph, then in ``prev_sentence_spans``), and a
sentence without a subject may borrow the topic (first named actor) of the sentence before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ...document import Relation, Span
from ...resources import resource, words

# ---------------------------------------------------------------------------------------------
# Vocabulary (generic trigger words; nothing here names an entity)
# ---------------------------------------------------------------------------------------------


#: Sentence ends. ； is included: the newsletters chain independent statements with it.
SENTENCE_END = "。！？!?；;"
#: Clause separators inside a sentence.
CLAUSE_SEP = "，,：:"
#: What may stand between two members of a list (A、B和C).
LIST_SEPARATORS = {"", "、", "和", "及", "以及", "、以及", "或", "，以及", ",以及"}

#: Trigger words of the rules, by relation: models/lexicons/rel_triggers.txt (its header says which).
COOPERATION_TRIGGERS = words("rel_triggers.txt", "COOP")
#: Triggers strong enough to link a list to a trigger a few clauses later (远航、华变…达成合作协议).
STRONG_COOPERATION = words("rel_triggers.txt", "COOP_STRONG")
#: Verbs after which the following list are partners of the subject (X联合Y开展…).
COOPERATION_WITH_OBJECT = words("rel_triggers.txt", "COOP_WITH_OBJECT")
SUPPLY_BUY = words("rel_triggers.txt", "BUY")
SUPPLY_SELL = words("rel_triggers.txt", "SELL")
#: Nouns that make 提供/交付 a supply of goods rather than a service.
GOODS = words("rel_triggers.txt", "GOODS")
SUPPORT_TRIGGERS = words("rel_triggers.txt", "SUPPORT")
#: 为X提供… nouns that make it SUPPORTS.
SUPPORT_NOUNS = words("rel_triggers.txt", "SUPPORT_NOUNS")
ESTABLISH_TRIGGERS = words("rel_triggers.txt", "ESTABLISH")
LEAD_ROLES = words("rel_triggers.txt", "LEAD")
VISIT_VERBS = words("rel_triggers.txt", "VISIT")
#: Movement verbs: X来/到/赴 PLACE (开展…).
VISIT_MOVES = words("rel_triggers.txt", "MOVE")

#: Titles for HOLDS_POSITION (entities.py reads the same file for titles next to a name); TITLE_RE
#: tries them longest-first so that 副书记 wins over 书记.
TITLE_CORE = words("person_titles.txt", "ALL", "POSITION")
TITLE_PREFIX = r"(?:党委|党组|党工委|党总支|党支部|支部|总支|常务|执行|名誉|专职|兼职|第一)?副?"
TITLE_RE = "(?:" + TITLE_PREFIX + "(?:" + "|".join(sorted(TITLE_CORE, key=len, reverse=True)) + "))"
#: One or more titles in a row (党委书记、董事长). Each title is taken atomically: 支部书记 reads as
#: one title or as 支部 + 书记, and a run of such words not followed by the end of the gap was
#: otherwise tried cut every way (2^n; 30 of them never finished). Both readings end at the same
#: place, so the matches are the plain form's (checked on 200,000 random strings of title parts).
TITLE_RUN = "(?>" + TITLE_RE + ")(?:、?(?>" + TITLE_RE + "))*+"
#: A whole gap that is a title (or several: 党委书记、董事长), maybe after 企业/公司 filler.
TITLE_GAP = re.compile(r"^(?:企业|公司|单位|的)?(" + TITLE_RUN + r")$")
#: A gap that is titles and a 、 before the next organization: 区委常委、人武部部长某某.
TITLES_BEFORE = re.compile(r"^(?:企业|公司)?(" + TITLE_RUN + r")、$")

#: Organization-like types: may hold positions, be visited, found things.
ORG_TYPES = {"PARTY_ORG", "GOV_ORG", "ENTERPRISE", "INSTITUTION", "ALLIANCE"}
PLACE_TYPES = {"REGION", "ZONE"}
ACTOR_TYPES = ORG_TYPES | PLACE_TYPES
GROUP_TYPES = {"PARTY_ORG", "ALLIANCE"}

#: Prepositions that, opening a clause or standing right before a mention, show that the mention is
#: not the subject (在X, 与X, 由X…).
_PREP = "(?:" + "|".join(map(re.escape, words("rel_function_words.txt", "PREP"))) + ")"
_ADVERBS = "(?:" + "|".join(map(re.escape, words("rel_function_words.txt", "ADVERB"))) + ")*"
_NOT_SUBJECT = re.compile(r"^" + _ADVERBS + _PREP + r"(?!时|样|步|期)|" + _PREP + r"$")


def _not_subject_prefix(prefix: str) -> bool:
    """True when ``prefix`` (text from the clause start to a mention) puts the mention in a
    prepositional phrase rather than in subject position."""
    return bool(_NOT_SUBJECT.search(prefix.strip()))


#: Anaphors resolved to the latest entity of a fitting type (the pattern's group 1 is the anaphor).
ANAPHORS = [
    (re.compile(r"(该(?:企业|公司|集团|厂))"), {"ENTERPRISE"}),
    (re.compile(r"(该(?:中心|院|所|校|医院|协会|商会|服务社|社|机构|组织|单位))"), {"INSTITUTION", "ENTERPRISE"}),
    (re.compile(r"(该(?:党委|党支部|支部|党总支|党组织|党工委))"), {"PARTY_ORG"}),
    (re.compile(r"(该(?:联盟|联合体|平台))"), {"ALLIANCE"}),
    (re.compile(r"(该(?:园区|开发区|工业区|基地))"), {"ZONE"}),
    (re.compile(r"(该(?:镇|村|区|县|市|街道|社区))"), {"REGION"}),
    # a bare 公司/企业 opening a clause means the company the article is about
    (
        re.compile(r"(?:^|[，,。；;])((?:公司|企业))(?=作为|与|和|已|先后|积极|还|也|通过|从|向|为|就|在|将|是|获|被)"),
        {"ENTERPRISE"},
    ),
    (re.compile(r"(?:^|[，,。；;])(联盟)(?=成员|作为|已|先后|还|也|通过|将|是|的成员)"), {"ALLIANCE"}),
    (re.compile(r"(?<![园社小景厂楼])((?:区|镇|县|市|村)里)"), {"REGION"}),
]
#: For 区里/镇里: the suffix the antecedent's name must end with.
PLACE_SUFFIX_OF: dict[str, str | tuple[str, ...]] = {
    "区里": "区",
    "镇里": ("镇", "街道"),
    "县里": "县",
    "市里": "市",
    "村里": "村",
}

DATE_RE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")

# ---------------------------------------------------------------------------------------------
# Administrative levels (for nesting of adjacent places)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _admin_levels() -> dict[str, int]:
    """Name → level (1 province, 2 city, 3 county/district) from the admin-divisions lexicon,
    with short forms (常州 for 常州市) added; on a clash the higher level wins."""
    levels: dict[str, int] = {}
    with open(resource("lexicons", "rel_admin_levels.txt"), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            name, lvl = line.rstrip("\n").split("\t")
            lvl_i = int(lvl)
            forms = {name}
            short = re.sub(r"(省|市|自治区|特别行政区|维吾尔|壮族|回族|自治州|地区|盟|区|县|旗)+$", "", name)
            if len(short) >= 2:
                forms.add(short)
            for f in forms:
                levels[f] = min(levels.get(f, 9), lvl_i)
    return levels


def admin_level(name: str) -> int | None:
    """Level of a place name: 1 province … 5 village/neighbourhood; None when unknown."""
    known = _admin_levels().get(name)
    if known is not None:
        return known
    # most specific suffix first: 社区 and 小区 end in 区 too
    for suffixes, lvl in (
        (("小区", "新村", "苑", "花园"), 6),
        (("村", "居民区", "社区", "居委会", "村委会"), 5),
        (("镇", "乡", "街道"), 4),
        (("自治区",), 1),
        (("省",), 1),
        (("市",), 2),
        (("区", "县", "旗"), 3),
    ):
        if name.endswith(suffixes):
            return lvl
    return None


# ---------------------------------------------------------------------------------------------
# Mentions and lists
# ---------------------------------------------------------------------------------------------


@dataclass
class _Mention:
    """One entity as the sentence sees it: a span, or a chain of adjacent places (head innermost)."""

    start: int
    end: int
    name: str
    type: str
    outers: list[_Mention] = field(default_factory=list)  # immediate outer first
    anaphor: bool = False


@dataclass
class _List:
    """Mentions joined by 、/和/及 (A、B和C等)."""

    members: list[_Mention]
    start: int
    end: int

    def names(self, types=None) -> list[_Mention]:
        return [m for m in self.members if types is None or m.type in types]


def _can_contain(outer: Span | _Mention, inner: Span | _Mention) -> bool:
    """Whether ``outer`` directly followed by ``inner`` reads as 'inner, which is in outer'."""
    if outer.type not in PLACE_TYPES:
        return False
    if inner.type not in {"REGION", "ZONE", "ENTERPRISE", "INSTITUTION"}:
        return False
    if outer.type == "ZONE" and inner.type == "REGION":
        return False
    if outer.type == "REGION" and inner.type == "REGION":
        lo, li = admin_level(outer.name), admin_level(inner.name)
        if lo is None:
            return False
        return li is None or lo < li
    return True


def _mentions(spans: list[Span], relations: list[Relation], text: str, pidx: int) -> list[_Mention]:
    """Merge adjacent places into chains (recording their LOCATED_IN) and return the mentions."""
    out: list[_Mention] = []
    chain: list[Span] = []

    def flush():
        if not chain:
            return
        head = chain[-1]
        m = _Mention(chain[0].start, head.end, head.name, head.type)
        m.outers = [_Mention(s.start, s.end, s.name, s.type) for s in reversed(chain[:-1])]
        for inner, outer in zip(chain[1:], chain[:-1], strict=False):
            relations.append(_rel(inner, "LOCATED_IN", outer, _sentence_of(text, inner.start), 0.8, pidx))
        out.append(m)

    for s in spans:
        if chain and chain[-1].end == s.start and _can_contain(chain[-1], s):
            chain.append(s)
            continue
        flush()
        chain = [s]
    flush()
    return out


def _lists(mentions: list[_Mention], text: str) -> list[_List]:
    """Group mentions separated only by list separators."""
    groups: list[_List] = []
    for m in mentions:
        gap = text[groups[-1].end : m.start] if groups else None
        # two names with nothing between them are a list only when not places (a lost 、 in OCR);
        # adjacent places that do not nest are not a list
        if gap == "" and (m.type in PLACE_TYPES or groups[-1].members[-1].type in PLACE_TYPES):
            gap = None
        if groups and gap in LIST_SEPARATORS and not m.anaphor and not groups[-1].members[-1].anaphor:
            groups[-1].members.append(m)
            groups[-1].end = m.end
        else:
            groups.append(_List([m], m.start, m.end))
    # lists share their first member's outer place: 三河镇李家宅村、新塘村 → both in 三河镇
    for g in groups:
        first = g.members[0]
        if first.outers:
            for m in g.members[1:]:
                if not m.outers and m.type == first.type and _can_contain(first.outers[0], m):
                    m.outers = [first.outers[0]]
    return groups


def _sentence_of(text: str, pos: int) -> tuple[int, int]:
    for s, e in _sentences(text):
        if s <= pos < e:
            return (s, e)
    return (0, len(text))


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a closing quote after the end mark stays with its sentence."""
    out, start, i = [], 0, 0
    while i < len(text):
        if text[i] in SENTENCE_END:
            j = i + 1
            while j < len(text) and text[j] in '”"’）)」』':
                j += 1
            if text[start:j].strip():
                out.append((start, j))
            start, i = j, j
            continue
        i += 1
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def _rel(subj, pred: str, obj, sent: tuple[int, int] | str, conf: float, pidx: int, **attrs) -> Relation:
    """Build a Relation; ``sent`` is a (start, end) of the paragraph or the evidence string."""
    return Relation(
        subject=subj.name,
        predicate=pred,
        object=obj.name,
        evidence=sent if isinstance(sent, str) else "",
        confidence=conf,
        paragraph_idx=pidx,
        subject_type=subj.type,
        object_type=obj.type,
        attrs=dict(attrs),
    )


# ---------------------------------------------------------------------------------------------
# The per-sentence reader
# ---------------------------------------------------------------------------------------------


class _Sentence:
    """One sentence with its mentions, lists, clause bounds and a masked copy for trigger search."""

    def __init__(self, text: str, start: int, end: int, mentions: list[_Mention], masked: str):
        self.text = text  # the paragraph
        self.start, self.end = start, end
        self.evidence = text[start:end].strip()
        self.mentions = [m for m in mentions if start <= m.start < end]
        self.lists = _lists(self.mentions, text)
        self.masked = masked  # paragraph with mention characters replaced by □
        self.clauses = []
        cs = start
        for i in range(start, end):
            if text[i] in CLAUSE_SEP:
                self.clauses.append((cs, i))
                cs = i + 1
        self.clauses.append((cs, end))

    # --- positions ---------------------------------------------------------------------------
    def clause_of(self, pos: int) -> tuple[int, int]:
        for s, e in self.clauses:
            if s <= pos <= e:
                return (s, e)
        return (self.start, self.end)

    def triggers(self, words) -> list[tuple[int, int, str]]:
        """Occurrences of trigger words outside mentions, longest word first at each place."""
        found: list[tuple[int, int, str]] = []
        taken: set[int] = set()
        for w in sorted(words, key=len, reverse=True):
            for m in re.finditer(re.escape(w), self.masked[self.start : self.end]):
                s, e = self.start + m.start(), self.start + m.end()
                if any(i in taken for i in range(s, e)):
                    continue
                taken.update(range(s, e))
                found.append((s, e, w))
        return sorted(found)

    def list_before(self, pos: int, same_clause: bool = True, types=None) -> _List | None:
        lo = self.clause_of(pos)[0] if same_clause else self.start
        for g in reversed(self.lists):
            if g.end <= pos and g.start >= lo and (types is None or any(m.type in types for m in g.members)):
                return g
        return None

    def list_after(self, pos: int, max_gap: int = 2, types=None, same_clause: bool = True) -> _List | None:
        hi = self.clause_of(pos)[1] if same_clause else self.end
        for g in self.lists:
            if g.start >= pos and g.start <= hi:
                gap = self.text[pos : g.start]
                if len(gap) > max_gap or re.search(r"[，,。；;：:]", gap):
                    return None
                if types is None or any(m.type in types for m in g.members):
                    return g
                return None
        return None

    def topic(self) -> _List | None:
        """The sentence's first named actor when it stands in subject position."""
        for g in self.lists:
            cs, _ = self.clause_of(g.start)
            prefix = self.text[cs : g.start]
            if len(prefix) > 16 or _not_subject_prefix(prefix) or "“" in prefix:
                return None
            if any(m.type in ACTOR_TYPES | {"PERSON"} for m in g.members):
                return g
            return None
        return None


def _date_attr(date: re.Match[str], doc_date: str | None) -> str:
    """YYYY-MM-DD (MM-DD without a year) of a :data:`DATE_RE` match; the year from ``doc_date`` if absent."""
    year, month, day = date.group(1), date.group(2), date.group(3)
    if not year and doc_date and re.match(r"\d{4}", doc_date):
        year = doc_date[:4]
    md = f"{int(month):02d}-{int(day):02d}"
    return f"{year}-{md}" if year else md


def extract_relations(
    text: str, spans: list[Span], paragraph_idx: int = -1, doc_date: str | None = None, prev_sentence_spans=None
) -> list[Relation]:
    """Relations stated in one cleaned paragraph.

    ``spans`` are the paragraph's entity mentions (offsets into ``text``, ``name`` canonical).
    ``prev_sentence_spans`` may hold mentions from earlier text of the same document, oldest first
    (offsets ignored); they only serve to resolve 该企业/公司/区里-style references and a group named
    just before the paragraph. ``doc_date`` (YYYY-MM-DD) gives the year to 3月7日-style dates.
    Each relation carries the sentence it came from as evidence and a rule-based confidence.
    """
    spans = sorted((s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: (s.start, -s.end))
    # drop spans nested in a longer one (the longest name wins)
    kept: list[Span] = []
    for s in spans:
        if kept and s.start < kept[-1].end:
            continue
        kept.append(s)
    spans = kept
    rels: list[Relation] = []
    mentions = _mentions(spans, rels, text, paragraph_idx)
    masked = list(text)
    for s in spans:
        for i in range(s.start, s.end):
            masked[i] = "□"
    masked_s = "".join(masked)
    mentions = _add_anaphors(text, masked_s, mentions, list(prev_sentence_spans or []))
    sentences = [_Sentence(text, s, e, mentions, masked_s) for s, e in _sentences(text)]

    last_date = None
    prev: _Sentence | None = None
    ctx = _Context(list(prev_sentence_spans or []))
    for sent in sentences:
        dm = DATE_RE.search(text, sent.start, sent.end)
        if dm:
            last_date = _date_attr(dm, doc_date)
        out: list[Relation] = []
        _located(sent, out)
        _holds(sent, out)
        _visited(sent, out, last_date)
        _established(sent, out, prev)
        _leads_and_members(sent, out, prev, ctx)
        _cooperates(sent, out, prev, ctx)
        _supplies(sent, out)
        _supports(sent, out)
        for r in out:
            r.paragraph_idx = paragraph_idx
            r.evidence = sent.evidence
        rels.extend(out)
        if sent.topic() is not None:
            prev = sent
        ctx.extend(sent.mentions)
    # chain LOCATED_IN from _mentions got no evidence yet
    for r in rels:
        if not r.evidence:
            r.evidence = next((s.evidence for s in sentences if s.evidence and r.subject in _names(s)), text)
    return _dedup(rels)


def _names(sent: _Sentence) -> set[str]:
    return {m.name for m in sent.mentions} | {o.name for m in sent.mentions for o in m.outers}


def _dedup(rels: list[Relation]) -> list[Relation]:
    """One relation per (subject, predicate, object); symmetric COOPERATES_WITH counted once."""
    best: dict[tuple, Relation] = {}
    for r in rels:
        if r.subject == r.object:
            continue
        key = (r.subject, r.predicate, r.object)
        if r.predicate == "COOPERATES_WITH":
            key = (min(r.subject, r.object), r.predicate, max(r.subject, r.object))
        if key not in best or r.confidence > best[key].confidence:
            best[key] = r
    return list(best.values())


class _Context:
    """Entities seen before the current sentence (earlier paragraphs, then this one)."""

    def __init__(self, spans):
        self.items = [(s.name, s.type) for s in spans]

    def extend(self, mentions):
        for m in mentions:
            for o in reversed(m.outers):
                self.items.append((o.name, o.type))
            self.items.append((m.name, m.type))

    def last(self, types, suffix=None):
        for name, typ in reversed(self.items):
            if typ in types and (suffix is None or name.endswith(suffix)):
                return _Mention(-1, -1, name, typ)
        return None


def _add_anaphors(text: str, masked: str, mentions: list[_Mention], context: list[Span]) -> list[_Mention]:
    """Insert mentions for 该企业/公司/区里 … resolved to the latest fitting entity before them."""
    extra: list[_Mention] = []
    for pattern, types in ANAPHORS:
        for m in pattern.finditer(masked):
            s, e = m.span(1)
            if "□" in masked[s:e]:
                continue
            word = m.group(1)
            suffix = PLACE_SUFFIX_OF.get(word)
            ante = None
            for cand in sorted(mentions, key=lambda x: x.start, reverse=True):
                pool = [cand] + cand.outers
                hit = next(
                    (c for c in pool if c.end <= s and c.type in types and (suffix is None or c.name.endswith(suffix))),
                    None,
                )
                if hit is not None and cand.end <= s:
                    ante = hit
                    break
            if ante is None:
                for sp in reversed(context):
                    if sp.type in types and (suffix is None or sp.name.endswith(suffix)):
                        ante = _Mention(-1, -1, sp.name, sp.type)
                        break
            if ante is not None:
                extra.append(_Mention(s, e, ante.name, ante.type, anaphor=True))
    return sorted(mentions + extra, key=lambda x: x.start)


# ---------------------------------------------------------------------------------------------
# Rules, one per predicate family. Each appends to ``out``.
# ---------------------------------------------------------------------------------------------


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
