"""Tokens for the recognizers: jieba's words of a paragraph with region names forced in (``analyze``),
cut with :mod:`pipeline.segmenter`'s dictionary, and the region gazetteer's matches."""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, lru_cache

from ...gazetteer import RegionEntry, region_lexicon, region_shorts
from ...segmenter import segmenter

# --------------------------------------------------------------------------- tokens


@dataclass
class Tok:
    start: int
    end: int
    word: str
    pos: str


def _region_matches(text: str) -> list[tuple[int, int, RegionEntry]]:
    """Leftmost-longest full-form matches of the region gazetteer (they depend on ``text`` alone, not
    on the words a document forced in)."""
    lex = region_lexicon()
    finals = _region_finals()
    # A full name ends in one of a few dozen characters (省, 市, 区, 县, 镇, 乡, 村 ...): only
    # substrings ending at one of those are looked up, longest first as before.
    ends = [k + 1 for k, ch in enumerate(text) if ch in finals]
    out = []
    i, n = 0, len(text)
    while i < n:
        hit = None
        first = bisect_right(ends, i + 1)  # names have two characters or more
        last = bisect_right(ends, min(i + 12, n))
        for end in reversed(ends[first:last]):
            e = lex.get(text[i:end])
            if e is not None and e.level == "town" and _common_short(e.short):
                e = None
            if e is not None and not e.short and _glued_region(text, i, end):
                e = None
            if e is not None:
                hit = (i, end, e)
                break
        if hit:
            out.append(hit)
            i = hit[1]
        else:
            i += 1
    return out


@lru_cache(maxsize=1)
def _region_finals() -> frozenset[str]:
    """The last characters of the gazetteer's full names."""
    return frozenset(name[-1] for name in region_lexicon())


def _glued_region(text: str, s: int, e: int) -> bool:
    """True for a one-character-core county name (城区, 东区, 郊区) that is really an everyday word
    or the tail of a place name before it (广东区域 is 广东 + 区域, not 广 + 东区)."""
    name = text[s:e]
    if segmenter().base_freq(name) >= 500:
        return True  # 城区, 郊区, 矿区 are words first (in jieba's dictionary, not as names forced in)
    before = text[max(0, s - 3) : s + 1]
    return any(before[k:] in region_shorts() or before[k:] in region_lexicon() for k in range(len(before) - 1))


@cache
def _common_short(short: str) -> bool:
    """True for a town whose bare name is a common verb or adverb (联合镇, 团结乡): in running
    text 联合镇商会 is 联合 + 镇商会 far more often than a town's name."""
    seg = segmenter()  # remembered for the run: the base dictionary, not a document's forced-in words
    tag = seg.base_tag(short)
    return tag[:1] in ("v", "d", "a", "c", "p") and tag != "vn" or tag in ("vn",) and seg.base_freq(short) > 2000


Analysis = tuple[tuple[Tok, ...], tuple[tuple[int, int, RegionEntry], ...]]
#: Analyses by (text, the dictionary's state for it): the two recognition passes and the CRF, resolution
#: and relations after them ask for the same paragraph; a paragraph is cut again only when the words
#: forced in since change how it is cut.
_ANALYSES: OrderedDict[tuple, Analysis] = OrderedDict()
ANALYSES_KEPT = 2048


def analyze(text: str) -> Analysis:
    """jieba posseg tokens of ``text`` (region names forced in as words) and the region matches."""
    seg = segmenter()
    key = (text, seg.state_for(text))
    found = _ANALYSES.get(key)
    if found is None:
        found = _analyze(seg, text)
        _remember(key, found)
        # It was cut with its own region names forced in: asked again in that state, the same cut.
        _remember((text, seg.state_for(text)), found)
    else:
        _ANALYSES.move_to_end(key)
        for _s, _e, r in found[1]:
            seg.add_word(r.name, "ns")  # what cutting it would have forced in
    return found


def _remember(key: tuple, analysis: Analysis) -> None:
    _ANALYSES[key] = analysis
    _ANALYSES.move_to_end(key)
    if len(_ANALYSES) > ANALYSES_KEPT:
        _ANALYSES.popitem(last=False)


def forget_analyses() -> None:
    """Drop the remembered analyses (at the end of a document, and to time the work itself)."""
    _ANALYSES.clear()


def _analyze(seg, text: str) -> Analysis:
    regions = _region_matches(text)
    for _s, _e, r in regions:
        # Force gazetteer names to be single tokens so that left-boundary walks see them whole
        # (jieba alone cuts 湖塘镇 as 亭/林镇 and 横林镇迎凤 as 柘林/镇迎/龙).
        seg.add_word(r.name, "ns")
    toks = []
    pos = 0
    for w, f in seg.posseg(text):
        toks.append(Tok(pos, pos + len(w), w, f))
        pos += len(w)
    # jieba may still glue a region name to its neighbour: split tokens at region boundaries.
    cuts = {b for s, e, _ in regions for b in (s, e)}
    out = []
    for t in toks:
        inner = sorted(c for c in cuts if t.start < c < t.end)
        if not inner:
            out.append(t)
            continue
        bounds = [t.start, *inner, t.end]
        for a, b in zip(bounds, bounds[1:], strict=False):
            out.append(Tok(a, b, text[a:b], "ns" if any(s == a and e == b for s, e, _ in regions) else "x?"))
    return tuple(out), tuple(regions)


def _split_at(toks: tuple[Tok, ...], idx: int) -> list[Tok]:
    """Tokens ending at or before ``idx``, with a token crossing ``idx`` cut there."""
    out = []
    for t in toks:
        if t.end <= idx:
            out.append(t)
        elif t.start < idx:
            out.append(Tok(t.start, idx, t.word[: idx - t.start], "x?"))
            break
        else:
            break
    return out


def token_boundaries(text: str) -> set[int]:
    toks, _ = analyze(text)
    b = {0, len(text)}
    for t in toks:
        b.add(t.start)
        b.add(t.end)
    return b


def _known_words() -> dict[str, int]:
    """The dictionary: word -> frequency (the words of the current scope included)."""
    return segmenter().freq
