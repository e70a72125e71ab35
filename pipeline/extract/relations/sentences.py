"""How the relation rules read a paragraph: places' admin levels, mentions and lists, sentences and clauses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ...document import Relation, Span
from ...resources import resource
from .vocabulary import ACTOR_TYPES, CLAUSE_SEP, LIST_SEPARATORS, PLACE_TYPES, SENTENCE_END, _not_subject_prefix

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


@lru_cache(maxsize=256)
def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    """Trigger words longest first (a stable sort: equal lengths keep the list's order)."""
    return tuple(w for w in sorted(words, key=len, reverse=True) if w)


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
        sentence = self.masked[self.start : self.end]
        for w in _longest_first(tuple(words)):
            at = sentence.find(w)  # each occurrence, left to right, not overlapping the one before
            while at >= 0:
                s, e = self.start + at, self.start + at + len(w)
                if not any(i in taken for i in range(s, e)):
                    taken.update(range(s, e))
                    found.append((s, e, w))
                at = sentence.find(w, at + len(w))
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
