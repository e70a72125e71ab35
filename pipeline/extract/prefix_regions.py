"""Regions printed at the front of a longer name: 河北雄安新区, 吉林省辽源市委, 广西贵港港南区滨江产业园.

The recognizers find the longest name (the annotation guide's rule, settled case 21), so the regions
in front of it are inside that mention and never become entities of their own, while the guide
counts them: "the prefix region is its own REGION with LOCATED_IN" (cases 9 and 21). This step adds
them after recognition, as nested REGION mentions, with the LOCATED_IN links the prefix states.

A prefix is a chain of gazetteer regions (``models/lexicons/ent_regions.txt``): full names of any
level, short forms of provinces and cities only (county short forms are everyday words: 公安, 南部,
滨海), each one inside the one before it. Which names get their prefix read, and which links are
stated, was measured on the gold of the annotated train and dev documents (a chain region is a gold
REGION of the document; the link is a gold LOCATED_IN):

- regions in front of ZONE, GOV_ORG, PARTY_ORG, ENTERPRISE and INSTITUTION names: 85-89% are gold
  REGIONs (INSTITUTION 76%: 北京大学 is named after a city, not in it); in front of REGION names
  (津南新村, 武陵山区) and ALLIANCE names (上海合作组织) mostly not, so those are left alone;
- ZONE → the innermost prefix region: 74% are gold LOCATED_IN, and a region → the region in front of
  it: 89%; bodies named after their own region (广东省委: case 23) get no link, and enterprises and
  institutions (60% and 40%) none either;
- a REGION mention that is a whole chain (天津滨海新区) is the chain's regions, each its own entity;
- a single region in front of a GOV_ORG or INSTITUTION name that the document names nowhere else
  (广东省委, 北京大学 in an article that never says 广东省 or 北京 on its own) is a gold REGION
  only 47% and 43% of the time, under the F1/2 a guess must beat, so it is left out; the same
  prefix in front of other types (59-71%), or with the region named elsewhere (94-99%), or in a
  chain of two or more (91-100%), is kept.

Names with a chain of two or more regions in front (吉林省辽源市委, 陕西榆林国家级能源化工基地)
are named without the outer ones (辽源市委, 榆林国家级能源化工基地: :func:`shorten_prefixed_names`);
the printed form stays a surface, so an alias. Annotators (and the guide) accept either form as the
name, and they list the innermost one far more often than the full chain.

Both run in the news genre only (``pipeline.extract``): on the seed newsletters, whose gold keeps
such names whole, the prefix regions were 1 right and 4 wrong.
"""

from __future__ import annotations

from functools import lru_cache

from ..document import Relation, Span
from ..gazetteer import RegionEntry, region_lexicon, region_shorts
from .relations.sentences import _sentence_of

#: Entity types whose prefix is read, with the shortest rest of the name after the prefix (市委: 1).
PREFIXED_TYPES = {"ZONE": 2, "ENTERPRISE": 2, "INSTITUTION": 2, "GOV_ORG": 1, "PARTY_ORG": 1}
#: Types that get LOCATED_IN to the innermost region of their prefix.
LOCATED_TYPES = frozenset({"ZONE"})
#: Types whose single-region prefix counts only when the document names that region elsewhere.
CONFIRMED_PREFIX_TYPES = frozenset({"GOV_ORG", "INSTITUTION"})
SHORT_FORM_LEVELS = frozenset({"province", "city"})
CONFIDENCE = 0.7


@lru_cache(maxsize=4096)
def _ancestors(name: str) -> frozenset[str]:
    lex = region_lexicon()
    out: set[str] = set()
    todo = list(lex[name].parents) if name in lex else []
    while todo:
        parent = todo.pop()
        if parent not in out:
            out.add(parent)
            todo += lex[parent].parents if parent in lex else ()
    return frozenset(out)


def prefix_chain(name: str) -> tuple[list[tuple[int, int, RegionEntry]], str]:
    """The chain of regions at the front of ``name`` (offsets into it) and the rest of the name."""
    lex, shorts = region_lexicon(), region_shorts()
    chain: list[tuple[int, int, RegionEntry]] = []
    i = 0
    while i < len(name):
        hit = None
        for length in range(min(12, len(name) - i), 1, -1):
            form = name[i : i + length]
            entries = [lex[form]] if form in lex else [e for e in shorts.get(form, ()) if e.level in SHORT_FORM_LEVELS]
            if chain:
                entries = [e for e in entries if chain[-1][2].name in _ancestors(e.name)]
            if entries:
                hit = (i, i + length, entries[0])
                break
        if hit is None:
            break
        chain.append(hit)
        i = hit[1]
    return chain, name[i:]


def _named(link: tuple[int, int, RegionEntry], host: str, region_names: set[str]) -> bool:
    """True when the document has a REGION entity for this prefix region (by the printed form or the
    gazetteer's full name)."""
    start, end, entry = link
    return host[start:end] in region_names or entry.name in region_names


def shorten_prefixed_names(spans_per_text: list[list[Span]]) -> None:
    """Rename, in place, every mention whose name starts with a chain of two or more regions to the
    name from the innermost region on (吉林省辽源市委 → 辽源市委), all mentions of that name alike."""
    renamed: dict[tuple[str, str], str] = {}
    for spans in spans_per_text:
        for span in spans:
            key = (span.name, span.type)
            if key in renamed or span.type not in PREFIXED_TYPES:
                continue
            chain, rest = prefix_chain(span.name)
            if len(chain) >= 2 and len(rest) >= PREFIXED_TYPES[span.type]:
                renamed[key] = span.name[chain[-1][0] :]
    for spans in spans_per_text:
        for span in spans:
            span.name = renamed.get((span.name, span.type), span.name)


def prefix_regions(
    text: str, spans: list[Span], region_names: set[str]
) -> tuple[list[Span], list[Span], list[Relation]]:
    """Read the prefixes of one paragraph's mentions.

    ``spans`` are the paragraph's mentions (offsets into ``text``, names resolved); ``region_names``
    the names of the document's REGION entities, so that a short form in a prefix joins the full name
    the document uses on its own (贵港 → 贵港市). Returns the REGION mentions to add, the REGION
    mentions they replace (a mention that is a whole chain) and the LOCATED_IN relations.
    """
    added: list[Span] = []
    replaced: list[Span] = []
    relations: list[Relation] = []
    for span in spans:
        chain, rest = prefix_chain(span.text)
        if span.type == "REGION":
            if len(chain) < 2 or rest:
                continue
            replaced.append(span)
        elif span.type not in PREFIXED_TYPES or not chain or len(rest) < PREFIXED_TYPES[span.type]:
            continue
        elif span.type in CONFIRMED_PREFIX_TYPES and len(chain) == 1 and not _named(chain[0], span.text, region_names):
            continue
        regions = []
        for s, e, entry in chain:
            form = span.text[s:e]
            name = (
                form
                if form in region_names or form == entry.name
                else entry.name
                if entry.name in region_names
                else form
            )
            regions.append(
                Span(
                    span.start + s,
                    span.start + e,
                    form,
                    "REGION",
                    name=name,
                    source="prefix",
                    confidence=CONFIDENCE,
                    paragraph_idx=span.paragraph_idx,
                )
            )
        added += regions
        start, end = _sentence_of(text, span.start)  # the relation rules' sentences
        evidence = text[start:end].strip()
        links = list(zip(regions[1:], regions[:-1], strict=False))
        if span.type in LOCATED_TYPES:
            links.append((span, regions[-1]))
        for inner, outer in links:
            relations.append(
                Relation(
                    inner.name,
                    "LOCATED_IN",
                    outer.name,
                    evidence,
                    confidence=CONFIDENCE,
                    paragraph_idx=span.paragraph_idx,
                    subject_type=inner.type,
                    object_type="REGION",
                )
            )
    return added, replaced, relations
