"""Entity recognition: find the nine ontology entity types in one cleaned paragraph, with offsets.

Layers (``RECOGNIZERS``), each a callable ``text -> list[Span]`` with a ``name``:

* ``gazetteer``  REGION names from China's administrative divisions (models/lexicons/ent_regions.txt)
* ``settlement`` generic settlement patterns (…村 …居民区 …小区 …社区 …镇 …街道)
* ``suffix``     organisations named by their head word: PARTY_ORG, GOV_ORG, ENTERPRISE, ZONE,
                 ALLIANCE, INSTITUTION (…党委, …组织部, …有限公司, …园区, …联盟, …研究院)
* ``person``     bylines, credits, title + name, jieba ``nr`` names next to speech verbs
* ``industry``   fields named as an industry (…产业, …产业集群, lists before 等…产业)
* ``model``      a character BiLSTM-CRF trained with HanLP (``pipeline.ner_model``, models/ner/);
                 it fills the gaps the rules leave (``fills_gaps``): its spans that overlap no rule
                 span are added, so rules stay precise on what they know and the model finds names
                 nobody listed

``KnownRecognizer`` (names already confirmed, in the store or earlier in the document) is added
when a ``KnownEntities`` is passed. ``merge_spans`` resolves overlaps among rule spans; ``fill_gaps``
then adds the model's. ``RULE_RECOGNIZERS`` is the rules alone.

Why regex + jieba and not spaCy here: Chinese names are found by their suffix (党委, 有限公司, …)
and the hard part is the LEFT boundary, which needs word segmentation and parts of speech.
``spacy.blank("zh")`` tokenizes by character, so a SpanRuler over it is a slower regex; spaCy's
jieba/pkuseg segmenters give no POS tags. We therefore match suffixes with regular expressions and
walk left over jieba posseg tokens (with gazetteer names forced in as words), stopping at verbs,
function words and punctuation.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ... import ner_labels
from ...document import Span
from ...resources import ResourceMissing, models_dir, word_groups, words

if TYPE_CHECKING:
    from spacy.matcher import PhraseMatcher

LEXICON_DIR = models_dir() / "lexicons"
REGION_LEXICON = LEXICON_DIR / "ent_regions.txt"
JIEBA_USER_DICT = LEXICON_DIR / "ent_jieba_user.txt"
SURNAMES = LEXICON_DIR / "ent_surnames.txt"

TYPES = ("REGION", "ZONE", "ENTERPRISE", "PARTY_ORG", "GOV_ORG", "ALLIANCE", "INSTITUTION", "PERSON", "INDUSTRY")
# Used only to break ties between spans of equal length and confidence: the more specific
# organisational reading first.
TYPE_PRIORITY = {
    t: i
    for i, t in enumerate(
        ("PARTY_ORG", "ALLIANCE", "GOV_ORG", "INSTITUTION", "ENTERPRISE", "ZONE", "REGION", "PERSON", "INDUSTRY")
    )
}

HAN = "\u4e00-\u9fff"
PUNCT = set("，。、；：！？“”‘’《》（）「」『』【】…—,.;:!?\"'()[]<> \t\n/|~～")
CN_NUM = "一二三四五六七八九十两几多百千万"


# --------------------------------------------------------------------------- protocol / known


class Recognizer(Protocol):
    """A layer of recognition: ``name`` and ``__call__(text) -> list[Span]`` (offsets into text)."""

    name: str

    def __call__(self, text: str) -> list[Span]: ...


@lru_cache(maxsize=1)
def _char_nlp():
    """A blank Chinese spaCy pipeline that tokenizes by character (for the phrase matcher)."""
    import spacy

    return spacy.blank("zh")


@dataclass
class KnownEntities:
    """Entities already confirmed (in the store, or earlier in the same document).

    ``types`` maps a canonical name to its type; ``aliases`` maps a surface form to its canonical
    name. Both canonical names and aliases are found again in new text.
    """

    types: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    _matcher: PhraseMatcher | None = field(default=None, repr=False, compare=False)

    def add(self, name: str, type_: str, aliases: Iterable[str] = ()) -> None:
        """Add (or confirm) a canonical name of a type, with surface forms that mean it."""
        self.types.setdefault(name, type_)
        for a in aliases:
            if a and a != name and a not in self.types:
                self.aliases.setdefault(a, name)
        self._matcher = None

    def update(self, other: KnownEntities) -> None:
        """Add every name and alias of ``other``."""
        for n, t in other.types.items():
            self.types.setdefault(n, t)
        for a, n in other.aliases.items():
            if a not in self.types:
                self.aliases.setdefault(a, n)
        self._matcher = None

    def copy(self) -> KnownEntities:
        return KnownEntities(dict(self.types), dict(self.aliases))

    def canonical(self, surface: str) -> str | None:
        """The canonical name a surface form stands for, or None."""
        if surface in self.types:
            return surface
        return self.aliases.get(surface)

    def type_of(self, surface: str) -> str | None:
        c = self.canonical(surface)
        return self.types.get(c) if c else None

    def find(self, text: str) -> list[tuple[int, int]]:
        """Leftmost-longest, non-overlapping (start, end) of every known name or alias in ``text``.

        A spaCy PhraseMatcher over a character-tokenized Doc: it looks names up by hash, so the
        cost does not grow with the number of names the store holds (a regex alternation does).
        """
        if self._matcher is None:
            forms = [f for f in {*self.types, *self.aliases} if len(f) >= 2]
            if not forms:
                return []
            from spacy.matcher import PhraseMatcher

            nlp = _char_nlp()
            self._matcher = PhraseMatcher(nlp.vocab)
            self._matcher.add("KNOWN", list(nlp.tokenizer.pipe(forms)))
        doc = _char_nlp().make_doc(text)
        found = sorted(
            ((doc[s:e].start_char, doc[s:e].end_char) for _, s, e in self._matcher(doc)),
            key=lambda se: (se[0], se[0] - se[1]),
        )
        spans: list[tuple[int, int]] = []
        for start, end in found:
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
        return spans

    def __len__(self) -> int:
        return len(self.types)


# --------------------------------------------------------------------------- lexicons


def _lex_lines(path: Path) -> list[str]:
    """The entries of a word list (no blank lines, no # comments); a missing list is an error."""
    if not path.exists():
        raise ResourceMissing(f"word list missing: {path} (reinstall cluster-kb, or run from a full checkout)")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


REGION_SUFFIXES = words("ent_region_suffixes.txt")  # the first that a name ends in is taken
# Ethnic words inside 自治区/自治州/自治县 names, to get the short form (广西壮族自治区 -> 广西).
_ETHNIC = re.compile(r"(?:[\u4e00-\u9fff]{1,5}?族)+$")


def short_form(name: str) -> str:
    """The short form of an administrative name (常州市 -> 常州, 广西壮族自治区 -> 广西), or ''."""
    for suf in REGION_SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            core = name[: -len(suf)]
            if suf.startswith("自治") or suf == "特别行政区":
                # Keep at least two characters of place name before the ethnic words.
                core = core[:2] + _ETHNIC.sub("", core[2:])
            if suf == "新区" and len(core) < 2:
                return ""
            return core if len(core) >= 2 else ""
    return ""


def build_region_lexicon(src_dir: str | Path, out_path: str | Path = REGION_LEXICON) -> int:
    """Build the REGION gazetteer from the admin-divisions CSVs (modood/Administrative-divisions-of-China).

    Writes ``name<TAB>level<TAB>short<TAB>parent`` lines: level is province/city/county/town,
    short the name without its suffix (used only where context supports it), parent the name of
    the unit above (several joined by | when the same name occurs in several places).
    Towns are kept only when they are 镇/乡/街道 (farms, parks and offices are not settlements).
    Returns the number of lines written.
    """
    src = Path(src_dir)

    def rows(name: str) -> list[dict]:
        with open(src / name, encoding="utf-8") as f:
            return list(csv.DictReader(f))

    provinces = {r["code"]: r["name"] for r in rows("provinces.csv")}
    cities = {}
    for r in rows("cities.csv"):
        n = r["name"]
        # 市辖区 / 县 / 省直辖县级行政区划 are placeholders, not names: the province is the city.
        cities[r["code"]] = provinces[r["provinceCode"]] if n in ("市辖区", "县") or "直辖" in n else n
    areas = {}
    entries: dict[str, dict] = {}

    def put(name: str, level: str, parent: str) -> None:
        if len(name) < 2 or "直辖" in name or name in ("市辖区",):
            return
        e = entries.setdefault(name, {"level": level, "parents": []})
        if parent and parent not in e["parents"] and parent != name:
            e["parents"].append(parent)

    for _code, n in provinces.items():
        put(n, "province", "")
    for r in rows("cities.csv"):
        put(cities[r["code"]], "city", provinces[r["provinceCode"]])
    for r in rows("areas.csv"):
        areas[r["code"]] = r["name"]
        put(r["name"], "county", cities.get(r["cityCode"], ""))
    for r in rows("streets.csv"):
        n = r["name"]
        if n.endswith("街道办事处"):
            n = n[:-3]
        if not re.search(r"(镇|乡|街道)$", n) or len(n) < 3:
            continue
        put(n, "town", areas.get(r["areaCode"], ""))

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("# REGION gazetteer built by `python -m pipeline.entities build-regions` from\n")
        f.write(
            "# modood/Administrative-divisions-of-China dist/{provinces,cities,areas,streets}.csv (NBS 2023, WTFPL).\n"
        )
        f.write("# name<TAB>level<TAB>short form<TAB>parent(s)\n")
        for name in sorted(
            entries, key=lambda n: (["province", "city", "county", "town"].index(entries[n]["level"]), n)
        ):
            e = entries[name]
            f.write(f"{name}\t{e['level']}\t{short_form(name)}\t{'|'.join(e['parents'][:3])}\n")
    return len(entries)


@dataclass
class RegionEntry:
    name: str
    level: str
    short: str
    parents: tuple[str, ...]


@lru_cache(maxsize=1)
def region_lexicon() -> dict[str, RegionEntry]:
    """Full name -> RegionEntry, loaded once from ent_regions.txt."""
    out: dict[str, RegionEntry] = {}
    for line in _lex_lines(REGION_LEXICON):
        parts = line.split("\t")
        while len(parts) < 4:
            parts.append("")
        name, level, short, parents = parts[:4]
        out[name] = RegionEntry(name, level, short, tuple(p for p in parents.split("|") if p))
    return out


@lru_cache(maxsize=1)
def region_shorts() -> dict[str, list[RegionEntry]]:
    """Short form -> the entries it may stand for."""
    out: dict[str, list[RegionEntry]] = {}
    for e in region_lexicon().values():
        if e.short:
            out.setdefault(e.short, []).append(e)
    return out


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Common Chinese surnames (generic list, see ent_surnames.txt)."""
    s: set[str] = set()
    for line in _lex_lines(SURNAMES):
        s.update(line.split())
    return frozenset(s)


_JIEBA = None
#: Runs of characters the dictionary does not know whose part-of-speech HMM answer is remembered.
HMM_MEMO_SIZE = 100_000


def jieba_posseg():
    """(jieba, the part-of-speech tokenizer): jieba loaded once, with the domain user dictionary.

    The tokenizer is jieba.posseg's, with one difference: the HMM that cuts and tags a run of
    characters the dictionary does not know (a pure-Python Viterbi, a third of recognition's time)
    answers a run it has met before from memory. A paragraph is segmented by both recognition
    passes and the CRF's features, whose unknown runs are mostly the same, so the tokens are
    identical and computed once. It shares jieba's dictionary and tag table (words added to jieba
    reach it), and it is this module's object: jieba's own tokenizers are left as they are.
    """
    global _JIEBA
    if _JIEBA is None:
        import jieba
        import jieba.posseg as pseg

        jieba.setLogLevel(60)
        # Parsed here (not jieba.load_userdict) so that the file may carry # comment lines.
        for line in _lex_lines(JIEBA_USER_DICT):
            parts = line.split()
            jieba.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
        _JIEBA = (jieba, _memo_tokenizer(pseg))
    return _JIEBA


def _memo_tokenizer(pseg):
    class MemoPOSTokenizer(pseg.POSTokenizer):
        def __init__(self, base) -> None:  # shares the default tokenizer's dictionary and tag table
            self.tokenizer, self.word_tag_tab = base.tokenizer, base.word_tag_tab
            self.memo: dict[str, tuple] = {}

        @property
        def dt(self):  # callers written for the jieba.posseg module read .dt
            return self

        def _POSTokenizer__cut(self, sentence):  # the HMM over one unknown run (name-mangled in jieba)
            pairs = self.memo.get(sentence)
            if pairs is None:
                if len(self.memo) >= HMM_MEMO_SIZE:
                    self.memo.clear()
                pairs = self.memo[sentence] = tuple(pseg.POSTokenizer._POSTokenizer__cut(self, sentence))
            return iter(pairs)

    return MemoPOSTokenizer(pseg.dt)


# --------------------------------------------------------------------------- tokens


@dataclass
class Tok:
    start: int
    end: int
    word: str
    pos: str


def _region_matches(text: str) -> list[tuple[int, int, RegionEntry]]:
    """Leftmost-longest full-form matches of the region gazetteer."""
    lex = region_lexicon()
    out = []
    i, n = 0, len(text)
    while i < n:
        hit = None
        for L in range(min(12, n - i), 1, -1):
            e = lex.get(text[i : i + L])
            if e is not None and e.level == "town" and _common_short(e.short):
                e = None
            if e is not None and not e.short and _glued_region(text, i, i + L):
                e = None
            if e is not None:
                hit = (i, i + L, e)
                break
        if hit:
            out.append(hit)
            i = hit[1]
        else:
            i += 1
    return out


def _glued_region(text: str, s: int, e: int) -> bool:
    """True for a one-character-core county name (城区, 东区, 郊区) that is really an everyday word
    or the tail of a place name before it (广东区域 is 广东 + 区域, not 广 + 东区)."""
    name = text[s:e]
    if _known_words().get(name, 0) >= 500:
        return True  # 城区, 郊区, 矿区 are words first
    before = text[max(0, s - 3) : s + 1]
    return any(before[k:] in region_shorts() or before[k:] in region_lexicon() for k in range(len(before) - 1))


# Words added to jieba while recognizing one document, with what they replaced (see jieba_scope).
_ADDED_WORDS: dict[str, tuple[dict[str, int | None], str | None]] = {}
_SCOPE_DEPTH = 0


def _add_jieba_word(word: str, tag: str) -> None:
    """Make ``word`` one jieba token for the current scope, remembering what to restore."""
    if word in _ADDED_WORDS:
        return
    jieba, pseg = jieba_posseg()
    pseg.dt.makesure_userdict_loaded()
    freqs = {word[: i + 1]: jieba.dt.FREQ.get(word[: i + 1]) for i in range(len(word))}
    _ADDED_WORDS[word] = (freqs, pseg.dt.word_tag_tab.get(word))
    jieba.add_word(word, tag=tag)


@contextmanager
def jieba_scope():
    """Words added to jieba inside the block are taken out again on leaving it.

    Recognition forces the names it confirms into jieba's (global) dictionary so that segmentation
    sees them whole; scoping it keeps one document from changing how the next one is cut, so the
    result does not depend on the order documents arrive in.
    """
    global _SCOPE_DEPTH
    jieba, pseg = jieba_posseg()
    total = jieba.dt.total
    _SCOPE_DEPTH += 1
    try:
        yield
    finally:
        _SCOPE_DEPTH -= 1
        if _SCOPE_DEPTH == 0 and _ADDED_WORDS:
            pseg.dt.makesure_userdict_loaded()
            for word, (freqs, tag) in reversed(list(_ADDED_WORDS.items())):
                for fragment, freq in freqs.items():
                    if freq is None:
                        jieba.dt.FREQ.pop(fragment, None)
                    else:
                        jieba.dt.FREQ[fragment] = freq
                if tag is None:
                    pseg.dt.word_tag_tab.pop(word, None)
                else:
                    pseg.dt.word_tag_tab[word] = tag
            jieba.dt.total = total
            _ADDED_WORDS.clear()
        if _SCOPE_DEPTH == 0:
            analyze.cache_clear()  # segmentations made with this scope's words must not outlive it


@cache
def _common_short(short: str) -> bool:
    """True for a town whose bare name is a common verb or adverb (联合镇, 团结乡): in running
    text 联合镇商会 is 联合 + 镇商会 far more often than a town's name."""
    _, pseg = jieba_posseg()
    tag = pseg.dt.word_tag_tab.get(short, "")
    return tag[:1] in ("v", "d", "a", "c", "p") and tag != "vn" or tag in ("vn",) and pseg.dt.FREQ.get(short, 0) > 2000


@lru_cache(maxsize=4096)
def analyze(text: str) -> tuple[tuple[Tok, ...], tuple[tuple[int, int, RegionEntry], ...]]:
    """jieba posseg tokens of ``text`` (region names forced in as words) and the region matches."""
    jieba, pseg = jieba_posseg()
    regions = _region_matches(text)
    for _s, _e, r in regions:
        # Force gazetteer names to be single tokens so that left-boundary walks see them whole
        # (jieba alone cuts 湖塘镇 as 亭/林镇 and 横林镇迎凤 as 柘林/镇迎/龙).
        _add_jieba_word(r.name, "ns")
    toks = []
    pos = 0
    for w, f in pseg.cut(text):
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


# --------------------------------------------------------------------------- left boundary

# Parts of speech that may be part of a name before its head word.
NAME_POS = {
    "n",
    "nr",
    "nrt",
    "nrfg",
    "ns",
    "nt",
    "nz",
    "nl",
    "ng",
    "j",
    "eng",
    "vn",
    "an",
    "b",
    "s",
    "l",
    "x?",
    "a",
    "i",
    "mq",
}
PROPER_POS = {"nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "eng"}
# Words that may sit inside a name although jieba calls them verbs.
NAME_VERBS = set(words("ent_name_verbs.txt"))
# Words that never start or sit inside a name: determiners, generic heads, quantities, titles.
STOP_WORDS = set(words("ent_stop_words.txt"))
# Prefixes that alone make a name generic (产业集群党委, 党建联盟, 发展公司 are not names).
GENERIC_PREFIX_WORDS = set(words("ent_generic_prefix_words.txt"))
# Verbs and adjectives of this domain that jieba often tags as nouns (助推/vn, 共商/n, 落实/a):
# a name never starts with them.
ACTION_WORDS = set(words("ent_action_words.txt"))
MAX_PREFIX = 20


def _is_number_word(w: str) -> bool:
    return bool(re.fullmatch(rf"[{CN_NUM}0-9０-９]+[大个家批类项名位条些]?", w)) and not re.fullmatch(
        r"[A-Za-z]*\d+", w
    )


def left_boundary(
    text: str,
    head_start: int,
    max_len: int = MAX_PREFIX,
    allow_verbs: bool = True,
    stop_levels: Iterable[str] = (),
    zone_stop: bool = False,
    stop_time: bool = False,
) -> int:
    """Where the name whose head word starts at ``head_start`` begins.

    Walks jieba tokens leftwards over nominal words (names, nouns, abbreviations, letters+digits,
    gazetteer regions), stopping at punctuation, verbs, function words and determiners
    (and at time words such as 未来/现代 when ``stop_time``: a field does not start with them).
    ``stop_levels`` names gazetteer levels (town, county, city, province) whose names end the
    walk: a village is not named after its town (三河镇|李家宅村), nor a park (北桥镇|青溪经济园区).
    Returns ``head_start`` itself when nothing name-like precedes the head.
    """
    toks, _ = analyze(text)
    left = _split_at(toks, head_start)
    lex = region_lexicon()
    stop_levels = set(stop_levels)
    b = head_start
    for i in range(len(left) - 1, -1, -1):
        t = left[i]
        w = t.word
        if stop_levels and w in lex and lex[w].level in stop_levels:
            break
        if w in ACTION_WORDS or (len(w) >= 3 and w[:2] in ACTION_WORDS):
            break  # also 积极探索/n: jieba glues an adverb to the verb after it
        # 企业 stays only inside 企业党建联盟-like names, not in 集成电路企业|科迈半导体.
        if w == "企业" and not text.startswith(("党建", "党委", "党总支", "党支部", "联盟", "协会"), t.end):
            break
        # A park/zone word ends an enterprise or institution name on the left (开发区|美嘉公司).
        if zone_stop and t.end < head_start and w.endswith(("开发区", "园区", "工业区", "科技园", "产业园")):
            break
        if re.fullmatch(r"[0-9０-９.]+", w) or w in ("版", "子", "分", "母", "第"):
            break
        if head_start - t.start > max_len:
            break
        if any(ch in PUNCT for ch in w):
            if w == "·" or (all(ch == "·" for ch in w)):
                b = t.start
                continue
            break
        right = left[i + 1] if i + 1 < len(left) else None
        if (
            t.pos.startswith("nr")
            and right is not None
            and right.pos.startswith("v")
            and right.start >= b
            and right.word not in NAME_VERBS
            and _known_words().get(right.word, 0) < 60
        ):
            # 王明|强来|嘉定工业区: jieba glued the name's last character to the verb after it; a
            # person and a verb are a clause, so the name starts after them.
            b = right.end
            break
        if len(w) >= 2 and w.endswith(_POST_TITLES):
            break  # 区委书记|王明来…工业区: a post belongs to a person; no organisation name runs through it
        if w in STOP_WORDS or _is_number_word(w):
            # 制造的本优公司: after 的 a one-character determiner cannot be one, so it starts the name
            # (本公司 alone stays generic: the name needs a character between it and the head).
            if len(w) == 1 and i > 0 and left[i - 1].word == "的" and head_start - t.end == 1:
                b = t.start
            break
        pos = t.pos
        if re.fullmatch(r"[A-Za-z0-9]+", w):
            b = t.start
            continue
        freq = _known_words()
        if pos.startswith("v") and pos != "vn":
            # Rare "verbs" are mostly unknown name parts (永成化工); common ones end the name.
            if not ((allow_verbs and w in NAME_VERBS) or freq.get(w, 0) < 60):
                break
            # 正规划建设便民服务中心: after an adverb or auxiliary a name verb is the sentence's verb.
            if (
                w in NAME_VERBS
                and i > 0
                and (left[i - 1].pos in ("d", "ad", "p", "t", "vd") or left[i - 1].word in ACTION_WORDS)
            ):
                break
        elif pos in ("z", "ng", "t") and not re.search(r"[年月日时期]", w) and not (pos == "t" and stop_time):
            pass  # 奕/z 阁/ng 网络, 春秋/t 旅行社: parts of names jieba does not know
        elif pos not in NAME_POS and not pos.startswith("n"):
            break
        b = t.start
    # A name does not start with a middle dot or a particle jieba glued on (调研了|有鱼餐厅).
    while b < head_start and text[b] in "·了的和与及在使":
        b += 1
    for t in left:
        if t.start < b:
            continue
        if (
            t.start == b
            and t.end < head_start
            and t.word not in lex
            and (t.pos in ("ad", "d") or (t.pos in ("a", "an") and len(t.word) >= 2))
        ):
            b = t.end
        # 做大做强绿色产业: a one-character adjective after a verb is the verb's complement.
        elif t.start == b and t.end < head_start and t.pos == "a" and t.word in "大强优精实好":
            prev = [p for p in toks if p.end == t.start]
            if prev and prev[0].pos.startswith("v"):
                b = t.end
    return b


def _prefix_tokens(text: str, start: int, end: int) -> list[Tok]:
    toks, _ = analyze(text)
    out = []
    for t in toks:
        if t.end <= start or t.start >= end:
            continue
        s, e = max(t.start, start), min(t.end, end)
        out.append(Tok(s, e, text[s:e], t.pos if (s, e) == (t.start, t.end) else "x?"))
    return out


def _known_words() -> dict:
    jieba, _ = jieba_posseg()
    return jieba.dt.FREQ if jieba.dt.initialized else {}


def has_proper(text: str, start: int, end: int) -> bool:
    """True if text[start:end] holds a proper-name-like token (a name, place, abbreviation,
    letters/digits, or a word jieba does not know), i.e. it is not only generic vocabulary."""
    if end <= start:
        return False
    freq = _known_words()
    for t in _prefix_tokens(text, start, end):
        w = t.word
        if w in GENERIC_PREFIX_WORDS or w in STOP_WORDS:
            continue
        if (
            re.fullmatch(r"[A-Za-z0-9]+", w)
            or w in region_lexicon()
            or any(e.level != "town" for e in region_shorts().get(w, ()))
        ):
            return True
        if t.pos in PROPER_POS and not _common_proper(w, t.pos):
            return True
        if len(w) >= 2 and not freq.get(w):
            return True
    # jieba cuts a name it does not know into single characters (本/优 公司): a run of them that
    # makes no dictionary word is a proper name.
    toks = _prefix_tokens(text, start, end)
    run = text[start:end]
    return (
        len(toks) >= 2
        and all(len(t.word) == 1 and "\u4e00" <= t.word <= "\u9fff" for t in toks)
        and not freq.get(run)
        and not any(_is_number_word(t.word) for t in toks)
    )


@cache
def _common_proper(w: str, pos: str) -> bool:
    """True for a word jieba tags as a name that is really a term: a known nz word (锂电池,
    爱国主义; a brand jieba does not know has no frequency), or an nt entry that is only two
    ordinary words glued together (新兴产业 = 新兴 + 产业, 国际航运 = 国际 + 航运)."""
    freq = _known_words()
    f = freq.get(w, 0)
    if pos == "nz":
        return f > 0
    if pos == "nt" and len(w) >= 4:
        _, pseg = jieba_posseg()
        for i in range(2, len(w) - 1):
            a, b = w[:i], w[i:]
            ta, tb = pseg.dt.word_tag_tab.get(a, ""), pseg.dt.word_tag_tab.get(b, "")
            if (
                freq.get(a, 0) >= 100
                and freq.get(b, 0) >= 100
                and not ta.startswith(("ns", "nr"))
                and not tb.startswith(("ns", "nr"))
            ):
                return True
    return False


def all_generic(prefix: str) -> bool:
    """True if the prefix is made only of generic words (产业集群, 企业, 党建 ...)."""
    if not prefix:
        return True
    toks = [t.word for t in _prefix_tokens(prefix, 0, len(prefix))]
    return all(w in GENERIC_PREFIX_WORDS or w in STOP_WORDS or _is_number_word(w) for w in toks)


# --------------------------------------------------------------------------- recognizers


def _span(text: str, s: int, e: int, type_: str, source: str, conf: float, name: str = "") -> Span:
    surface = text[s:e]
    return Span(s, e, surface, type_, name=name or re.sub(r"\s+", "", surface), source=source, confidence=conf)


# Bodies relative to the article's own district/town: 区委组织部, 镇党委, 工业区党群办.
RELATIVE_PREFIX = re.compile(r"^(?:区|市|县|镇|乡|街道|工业区|社区|园区|开发区|村|居民区)")


class RegionGazetteer:
    """REGION names from the admin-divisions gazetteer.

    Full forms (江宁区, 湖塘镇) always. Short forms (江宁, 常州) only where context supports them:
    directly followed by another region / a region or organisation suffix, or (via
    ``recognize_document``) when the full form or the parent city appears in the same document.
    City short forms (two characters or more) are also taken when jieba segments them as a
    place name on their own.
    """

    name = "gazetteer"
    FOLLOW = re.compile(r"(?:省|市|区|县|镇|乡|街道|村|新区|工业区|开发区|园区|经济|籍)")

    def __call__(self, text: str) -> list[Span]:
        toks, regions = analyze(text)
        bounds = token_boundaries(text)
        spans = []
        covered: set[int] = set()
        for s, e, r in regions:
            # 镇江 inside 北桥镇江海 was already avoided by leftmost-longest; also skip a full
            # form glued inside a longer word (a town name ending in the middle of a token).
            spans.append(_span(text, s, e, "REGION", self.name, 0.95 if r.level != "town" else 0.9))
            covered.update(range(s, e))
        shorts = region_shorts()
        tokpos = {(t.start, t.end): t.pos for t in toks}
        for t in toks:
            if t.start in covered or t.word not in shorts:
                continue
            levels = {e.level for e in shorts[t.word]}
            nxt = text[t.end : t.end + 3]
            follows_region = any(s == t.end for s, _, _ in regions) or bool(self.FOLLOW.match(nxt))
            if re.match(r"区域|区间|市场|市民|县城|镇上", nxt):
                follows_region = False  # 沿河区域: 区域 is "area", not a district
            if (
                levels == {"town"}
                and not re.match(r"镇|乡|街道|村", nxt)
                and not any(s == t.end for s, _, _ in regions)
            ):
                follows_region = False  # X湾区, X江新区: a town's bare name before 区 is not that town
            is_place = tokpos.get((t.start, t.end), "").startswith("ns")
            ok = False
            if follows_region and is_place:
                ok = True
            elif ("city" in levels or "province" in levels) and is_place and len(t.word) >= 2:
                ok = True
            if ok and t.start in bounds and t.end in bounds:
                spans.append(_span(text, t.start, t.end, "REGION", self.name + ":short", 0.7))
        return spans


SETTLEMENT_SUFFIX = re.compile(r"(?:居民区|居委会(?=)|小区|社区|街道|村|镇|乡)")
GENERIC_SETTLEMENTS = set(words("ent_settlement_words.txt", "GENERIC"))


SETTLEMENT_STOP = set(words("ent_settlement_words.txt", "STOP"))


# Words that say what kind of settlement it is, not which one (移民村, 基层社区, 贫困村).
SETTLEMENT_KINDS = set(words("ent_settlement_words.txt", "KINDS"))


class SettlementRecognizer:
    """Villages, neighbourhoods and estates named by a settlement suffix: 高塘村, 河湾居民区, 横塘小区."""

    name = "settlement"

    def __call__(self, text: str) -> list[Span]:
        spans = []
        bounds = token_boundaries(text)
        region_ends = {e for _, e, _ in analyze(text)[1]}
        for m in re.finditer(r"居民区|小区|社区|村|镇|乡|街道", text):
            hs, he = m.start(), m.end()
            if he in region_ends:
                continue  # the gazetteer has it
            # The suffix must end a word: 村民, 乡村振兴, 社区党委 keep 村/乡/社区 inside a word.
            if he not in bounds and text[he : he + 2] not in ("党委", "党总", "党支", "居委", "党工", "党群"):
                continue
            if text[hs - 1 : hs] in ("乡", "农", "城", "山", "渔") and m.group() in ("村", "镇"):
                continue
            # 家乡, 城乡: the suffix closes a common word, not a name.
            if any(
                t.end == he
                and t.start < hs
                and t.pos[:2] != "ns"
                and (
                    _known_words().get(t.word, 0) > 500
                    or t.word in GENERIC_SETTLEMENTS
                    or t.pos.startswith("v")
                    or (t.end - t.start == 2 and jieba_posseg()[1].dt.word_tag_tab.get(t.word[0], "").startswith("v"))
                )
                for t in analyze(text)[0]
            ):
                continue  # also 进村 (带人进村), 自然村 (人口规模自然村): the suffix is inside a word
            b = left_boundary(
                text, hs, max_len=6, allow_verbs=False, stop_levels=("town", "county", "city", "province")
            )
            if b == hs:
                continue
            name = text[b:he]
            if m.group() in ("镇", "乡", "街道") and he - b > 4:
                continue
            if name in GENERIC_SETTLEMENTS or all_generic(text[b:hs]) or hs - b < 2:
                continue
            # A settlement name is nouns and names only (not 产业带村, 网格管理融进社区, 开放式小区).
            ptoks = _prefix_tokens(text, b, hs)
            if (
                any(t.pos.startswith(("v", "b", "a", "d", "t")) for t in ptoks)
                or text[hs - 1] in "式型性化"
                or any(w in text[b:hs] for w in SETTLEMENT_STOP)
            ):
                continue
            # 扎根基层社区, 移民村: a generic last word (基层, 移民) makes a kind of settlement, not a name.
            if ptoks and (ptoks[-1].word in GENERIC_PREFIX_WORDS or ptoks[-1].word in SETTLEMENT_KINDS):
                continue
            # 三个移民村: a counted settlement is a kind, not a name.
            if re.search(rf"[{CN_NUM}0-9]+[个座]$", text[max(0, b - 4) : b]):
                continue
            # A village/estate name is short; a longer run is usually a phrase.
            if he - b > 8:
                continue
            if text[b - 1 : b] in ("全", "各", "本", "该", "每"):
                continue
            spans.append(_span(text, b, he, "REGION", self.name, 0.75))
        return spans


# Head words of organisations, by type. Longest heads first within a type; the regex engine is
# given them longest-first overall so 联合党支部 beats 党支部 and 有限责任公司 beats 公司.
ORG_HEADS: dict[str, tuple[str, ...]] = word_groups("ent_org_heads.txt")
# Institution heads that may follow a bare field: 光学技术研究院, 染整产业合规中心.
RESEARCH_HEADS = set(words("ent_research_heads.txt"))
# Common words ending in 部 that are not departments (a 社区干部学院 is a school, not a body).
GENERIC_BU = r"干部|全部|内部|外部|局部|部分|总部|本部|俱乐部|支部"
# Sector words that end many short company names (瑞康药业, 科迈半导体); only with a proper prefix.
SECTOR_HEADS = words("ent_sector_heads.txt")

# Heads that are names on their own (区委, 政协) when preceded by nothing: relative bodies.
BARE_OK = {type_: set(heads) for type_, heads in word_groups("ent_bare_heads.txt").items()}


def _head_regex() -> re.Pattern:
    pairs = [(h, t) for t, hs in ORG_HEADS.items() for h in hs] + [(h, "ENTERPRISE*") for h in SECTOR_HEADS]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    _HEAD_TYPE.update({h: t for h, t in reversed(pairs)})
    return re.compile("|".join(re.escape(h) for h, _ in pairs))


_HEAD_TYPE: dict[str, str] = {}
_HEAD_RE: re.Pattern | None = None


def _heads() -> re.Pattern:
    global _HEAD_RE
    if _HEAD_RE is None:
        _HEAD_RE = _head_regex()
    return _HEAD_RE


@lru_cache(maxsize=1)
def _heads_longest_first() -> tuple[str, ...]:
    _heads()
    return tuple(sorted(_HEAD_TYPE, key=len, reverse=True))


# After a head, these continuations mean the head was part of another word.
HEAD_BLOCKERS = word_groups("ent_head_blockers.txt")
# Heads that are national ministries: never under a province or city (X市工信部 is a misreading of X市工信部门).
NATIONAL_HEADS = {"工信部", "商务部"}
# A description, not a name, follows these: 这家锂电池公司, 一家光电企业, 该研究院.
DESCRIPTION_BEFORE = re.compile(rf"(?:这|那|该|此|某|每|一|[{CN_NUM}0-9]+)(?:家|个|所|座|间|批)?$")


class SuffixOrgRecognizer:
    """Organisations, zones and institutions named by a head word, with the name's left boundary
    found on jieba tokens: 华鑫集团党委, 江宁区委组织部, 南京禾丰食品有限公司, 青溪经济园区,
    萧山区企业党建联盟, 明湖实验室. A quoted name before the head is included: “两区一带”党建联合体."""

    name = "suffix"

    def __call__(self, text: str) -> list[Span]:
        spans = []
        bounds = token_boundaries(text)
        for m in _heads().finditer(text):
            head = m.group()
            hs, he = m.start(), m.end()
            type_ = _HEAD_TYPE[head]
            nxt = text[he : he + 1]
            if nxt and nxt in HEAD_BLOCKERS.get(head, ()):
                continue
            sector = type_ == "ENTERPRISE*"
            if sector:
                type_ = "ENTERPRISE"
            # Quoted name right before the head: “两区一带”党建联合体, "萧山区企业党建联盟" stays whole.
            b = hs
            qm = re.search(r"[“\"「]([^”\"」]{2,12})[”\"」]$", text[max(0, hs - 16) : hs])
            if qm and type_ in ("ALLIANCE", "PARTY_ORG"):
                b = hs - len(qm.group(0))
                spans.append(_span(text, b, he, type_, self.name, 0.85))
                continue
            stop = ("town",) if type_ in ("ZONE", "ENTERPRISE", "INSTITUTION") else ()
            b = left_boundary(
                text,
                hs,
                max_len=8 if sector else MAX_PREFIX,
                stop_levels=stop,
                zone_stop=type_ in ("ENTERPRISE", "INSTITUTION"),
            )
            prefix = text[b:hs]
            if sector:
                # 瑞康药业, 科迈半导体: a short proper prefix that is its own word, and the head must
                # end a word (so 生物医药 / 智能制造 are not companies).
                if not (2 <= len(prefix) <= 4) or he not in bounds or not has_proper(text, b, hs):
                    continue
                if b not in bounds or hs not in bounds:
                    continue
                # 四川绵阳科技, 高水平科技, 锂电新材料: places, adjectives or fields, not a brand.
                ptoks = _prefix_tokens(text, b, hs)
                if any(
                    t.word in region_lexicon()
                    or t.pos[:1] in ("a", "b", "v", "d")
                    or any(e.level != "town" for e in region_shorts().get(t.word, ()))
                    for t in ptoks
                ):
                    continue
                # 高水平科技经理人, 国际航运物流枢纽, 锂电新材料产业: a sector phrase that modifies the
                # noun after it is a field; a company name is followed by a verb, particle or punctuation.
                after = [t for t in analyze(text)[0] if t.start == he]
                if (
                    after
                    and (after[0].pos[:1] in ("n", "j") or after[0].pos == "vn")
                    and after[0].word not in ACTION_WORDS
                    and not after[0].word.startswith(("公司", "集团", "党"))
                ):
                    continue
                if _in_field_list(text, b, he):
                    continue
                spans.append(_span(text, b, he, type_, self.name + ":sector", 0.6))
                continue
            if not prefix:
                if head in BARE_OK.get(type_, ()) and text[hs - 1 : hs] not in (
                    "各",
                    "全",
                    "本",
                    "该",
                    "党",
                    "个",
                    "每",
                    "此",
                ):
                    spans.append(_span(text, hs, he, type_, self.name + ":bare", 0.6))
                continue
            if self.rejects(text, b, hs, type_, head) or not self._valid(text, b, hs, he, type_, head):
                continue
            if (
                type_ == "INSTITUTION"
                and re.search(r"(?:部|委|局|厅)", re.sub(GENERIC_BU, "", prefix))
                and has_proper(text, b, hs)
            ):
                type_ = "GOV_ORG"  # 工信部天元研究院: an institute of a ministry is a government body
            spans.append(_span(text, b, he, type_, self.name, 0.8))
        return spans

    @staticmethod
    def rejects(text: str, b: int, hs: int, type_: str, head: str) -> bool:
        """True when the rules' tests rule out the name ``text[b:]`` ending in the head starting at
        ``hs`` (an ``ORG_HEADS`` head of type ``type_``, after a prefix): a description (这家锂电池
        公司), a ministry under a region (江苏工信部), a determiner's relative body (各镇党委), a
        factory in general (智慧工厂)."""
        if head == "厂" and text[hs - 1 : hs] == "工":
            return True  # 智慧工厂, 数字工厂: 工厂 is "factory" in general
        prefix = text[b:hs]
        if (
            type_ in ("ENTERPRISE", "INSTITUTION", "ZONE")
            and DESCRIPTION_BEFORE.search(text[max(0, b - 3) : b])
            and not _region_matches(prefix)
        ):
            return True  # 这家锂电池公司, 一所中心学校: a description of one
        if head in NATIONAL_HEADS and (_region_matches(prefix) or prefix in region_shorts()):
            return True  # X省工信部: a province or city has a 工信厅/工信局, not a ministry
        # Determiners right before a relative name make it generic: 各镇党委, 全区企业.
        return text[b - 1 : b] in ("各", "全", "每", "该", "本", "所") and bool(RELATIVE_PREFIX.match(prefix))

    @staticmethod
    def _valid(text: str, b: int, hs: int, he: int, type_: str, head: str) -> bool:
        prefix = text[b:hs]
        if type_ == "ALLIANCE" and len(prefix) < 2:
            return False
        if type_ == "PARTY_ORG":
            # 江宁工业区产业集群党委: a place plus only generic words names no one body.
            rest = prefix
            for r, e, _ in _region_matches(prefix):
                if r == 0:
                    rest = prefix[e:]
            rest = re.sub(r"^.{0,8}?(?:工业区|开发区|园区)", "", rest)
            if rest != prefix and rest and re.search("产业|集群", rest) and all_generic(rest):
                return False
            if prefix in ("综合", "综合工作", "社区", "社会工作", "机关", "镇综合工作", "镇综合"):
                return True  # the article's own unit's body: resolved later
        if (
            RELATIVE_PREFIX.match(prefix)
            and len(prefix) <= 6
            and not (type_ == "ZONE" and re.match(r"^(?:社区|村|居民区)", prefix))
        ):
            # 区委组织部, 区社会工作党委, 镇党委, 工业区党群办: a relative body, resolved later.
            return True
        if has_proper(text, b, hs):
            return True
        if type_ == "PARTY_ORG":
            # 人工智能产业集群党委, 纺织服装产业链联合党委: a named field before 产业/集群/产业链.
            m = re.match(r"^(.{2,10}?)(?:产业集群|产业链|产业|集群)(?:活动型)?$", prefix)
            if m and not all_generic(m.group(1)):
                return True
            # 综合党委, 社会党委 are bodies of the article's own unit.
            return False
        if type_ in ("GOV_ORG",) and len(prefix) >= 2 and not all_generic(prefix):
            return True
        # Without a proper part only research bodies are named by their field (光学技术研究院);
        # schools, universities, hospitals and service centres need a place or a name
        # (义务教育学校, 老年大学, 便民服务中心 are kinds, not names).
        if (
            type_ == "INSTITUTION"
            and len(prefix) >= 2
            and not all_generic(prefix)
            and (head in RESEARCH_HEADS or re.match(r"(?:中国|中华|国家|全国).{2,}", prefix))
        ):
            return True  # 中国干部网络学院: national bodies are named by the nation
        return False


# Titles next to a person's name; pipeline/extract/relations/vocabulary.py reads the same file for HOLDS_POSITION.
TITLES = words("person_titles.txt", "ALL", "NAME")
TITLE_RE = "|".join(sorted(TITLES, key=len, reverse=True))
_POST_TITLES = tuple(t for t in TITLES if t not in ("委员", "代表", "党员", "村民", "居民", "领导", "志愿者"))
# What may follow a person's name: punctuation, speech verbs, 一行, 等, 同志, …
_NAME_END_WORDS = "|".join(map(re.escape, words("ent_name_end_words.txt")))
NAME_END = re.compile(r"(?:[，。、；：！？,;:!?）)\s]|" + _NAME_END_WORDS + "|$)")


def _common_word(w: str) -> bool:
    """A word jieba knows with a tag other than a person name (班子, 单位, 沙龙)."""
    _, pseg = jieba_posseg()
    tag = pseg.dt.word_tag_tab.get(w)
    if tag is None:
        return False
    return not tag.startswith("nr") or pseg.dt.FREQ.get(w, 0) >= 100


class PersonRecognizer:
    """Persons: bylines 本报讯(陈玉华), credits 编辑:李丽 / 赵学文摄, title + name 区委书记王明,
    lists after a title 代表孙衡、张岩, and jieba nr names before a speech verb."""

    name = "person"
    CREDIT = re.compile(
        r"(?:本报讯|本刊讯|记者|通讯员|编辑|责编|编审|主编|审核|校对|作者|撰稿|文|图|摄影)\s*[(（:：/]\s*"
    )

    def _name_at(self, text: str, i: int) -> int:
        """End of a 2-3 character personal name starting at ``i`` (0 if none)."""
        sn = surnames()
        if i >= len(text):
            return 0
        # Two-character surnames first (欧阳, 司马).
        first = 2 if text[i : i + 2] in sn else 1 if text[i] in sn else 0
        if not first:
            return 0
        for L in (first + 2, first + 1):
            j = i + L
            cand = text[i:j]
            if j > len(text) or not re.fullmatch(rf"[{HAN}]+", cand):
                continue
            given = cand[first:]
            straddle = text[j - 1 : j + 1]
            if L == first + 2 and len(straddle) == 2 and _known_words().get(straddle, 0) >= 100:
                continue  # 王明来到: the third character starts the next word (来到), not the name
            if (
                NAME_END.match(text, j)
                and not _common_word(cand)
                and cand[-1] not in "地的们"
                and (len(given) == 1 or _known_words().get(given, 0) < 2000)
            ):
                return j
        return 0

    def __call__(self, text: str) -> list[Span]:
        spans = []

        def add(s: int, e: int, conf: float, src: str) -> None:
            spans.append(_span(text, s, e, "PERSON", self.name + src, conf))

        def take_list(j: int, conf: float, src: str) -> None:
            # 孙衡、张岩 / 周国平、何飞: names joined by 、 after the first one.
            while text[j : j + 1] in ("、", "和"):
                k = self._name_at(text, j + 1)
                if not k:
                    break
                add(j + 1, k, conf, src)
                j = k

        for m in self.CREDIT.finditer(text):
            j = self._name_at(text, m.end())
            if j:
                add(m.end(), j, 0.9, ":credit")
                take_list(j, 0.9, ":credit")
        for m in re.finditer(rf"(^|[\n。，,\s])([{HAN}]{{2,3}})\s*(?:摄|摄影|供图)\s*$", text, re.M):
            if m.group(2)[0] in surnames():
                add(m.start(2), m.end(2), 0.85, ":credit")
        for m in re.finditer(TITLE_RE, text):
            j = self._name_at(text, m.end())
            if j and text[m.end() : j] not in TITLES:
                add(m.end(), j, 0.8, ":title")
                take_list(j, 0.8, ":title")
        # jieba nr before a speech verb: 王明指出.
        toks, _ = analyze(text)
        for k, t in enumerate(toks[:-1]):
            if t.pos in ("nr",) and 2 <= len(t.word) <= 3 and t.word[0] in surnames():
                if re.match(r"指出|强调|表示|说|认为|介绍|要求|希望", toks[k + 1].word):
                    add(t.start, t.end, 0.6, ":nr")
        return spans


INDUSTRY_HEAD = re.compile(r"产业集群|产业链|产业|行业")
GENERIC_INDUSTRY = set(words("ent_industry_words.txt", "GENERIC"))
# Last words that make a phrase something other than a field (民营经济百强产业集群, 模式制约产业).
NON_FIELD_HEADS = set(words("ent_industry_words.txt", "NOT_FIELD_HEAD"))


# A list of fields closed by 等 … 产业. An item never contains a separator (和 及 与 、): were it
# allowed to, a run of 和 could be cut into items in exponentially many ways, each tried in turn
# (60 和 in a row never finished). Items are split at every separator afterwards anyway.
_FIELD_ITEM = r"[^，。、；：！？“”\s等和及与]"
FIELD_LIST = re.compile(
    rf"((?:{_FIELD_ITEM}{{2,8}}[、和及与]){{1,8}}{_FIELD_ITEM}{{2,8}}?)(?:等)?(?:[“\"][^”\"]{{1,8}}[”\"])?"
    rf"(?:[{CN_NUM}0-9]+大)?(?:重点|主导|新兴|特色|优势)?(?:产业集群|产业链|产业|行业|相关企业|相关产业)"
)


class IndustryRecognizer:
    """Fields named as industries: 高端智能装备产业, 纺织印染产业链; list items before 等…产业."""

    name = "industry"

    def __call__(self, text: str) -> list[Span]:
        spans = []
        bounds = token_boundaries(text)
        for m in INDUSTRY_HEAD.finditer(text):
            hs = m.start()
            b = left_boundary(text, hs, max_len=8, allow_verbs=False, stop_time=True)
            if b == hs or b not in bounds:
                continue
            # 中国化妆品产业, 世界化妆品产业: the field is 化妆品.
            lead = re.match(r"(?:中国|世界|全球|国际|全国|国内|国家)", text[b:hs])
            if lead and hs - b - lead.end() >= 2:
                b += lead.end()
            field_ = text[b:hs]
            if self._generic(field_):
                continue
            spans.append(_span(text, b, hs, "INDUSTRY", self.name, 0.6))
        # 现代服务业, 现代农业, 先进制造业: a modifier plus a sector word is the name itself.
        for m in re.finditer(r"服务业|制造业|农业", text):
            hs, he = m.span()
            b = left_boundary(text, hs, max_len=4, allow_verbs=False)
            if b == hs or b not in bounds or he not in bounds and text[he : he + 2] not in ("产业", "集群"):
                continue
            # 国家先进制造业集群: the field is 先进制造业.
            lead = re.match(r"(?:中国|世界|全球|国际|全国|国内|国家)", text[b:hs])
            if lead and hs - b - lead.end() >= 2:
                b += lead.end()
            if self._generic(text[b:hs]) and text[b:hs] not in ("现代", "先进", "高端", "都市", "绿色", "生态"):
                continue
            spans.append(_span(text, b, he, "INDUSTRY", self.name, 0.6))
        # A list before 等 … 产业: 聚焦人工智能、集成电路、生物医药等“6+X”重点产业.
        for m in FIELD_LIST.finditer(text):
            closer = m.group(0)[len(m.group(1)) :]
            if not re.search(rf"等|相关|[{CN_NUM}0-9]+大", closer):
                continue
            items = re.split(r"[、和及与]", m.group(1))
            pos = m.start(1)
            for it in items:
                s = text.find(it, pos)
                pos = s + len(it)
                if s < 0:
                    continue
                # The first item's left edge: cut at the last non-name word.
                if it is items[0]:
                    s = left_boundary(text, s + len(it), max_len=8, allow_verbs=False)
                    it = text[s:pos]
                if 2 <= len(it) <= 8 and not self._generic(it) and s in bounds and pos in bounds:
                    spans.append(_span(text, s, pos, "INDUSTRY", self.name + ":list", 0.65))
        return spans

    @staticmethod
    def _generic(field_: str) -> bool:
        if len(field_) < 2 or field_ in GENERIC_INDUSTRY:
            return True
        if re.search(rf"[0-9０-９]|企业|公司|党|镇|区|村|市|县|省|产业|集群|行业|^[{CN_NUM}]|[{CN_NUM}]大$", field_):
            return True
        toks = _prefix_tokens(field_, 0, len(field_))
        # A field is common vocabulary: 紫藤云谷 (…/ns) or 吴中 are places, not industries.
        if toks and (
            toks[-1].pos in ("ns", "nr", "nrt", "nt", "nrfg")
            or toks[0].word in region_lexicon()
            or toks[0].word in region_shorts()
        ):
            return True
        if any(
            t.word in ACTION_WORDS
            or (t.pos.startswith("v") and t.pos != "vn")
            or t.pos in ("d", "ad", "m", "q", "r", "p", "c", "u")
            for t in toks
        ):
            return True
        # 单打独斗/i: idioms are not fields (set phrases /l may be: 无人机, 动力系统).
        if any(t.pos == "i" for t in toks):
            return True
        # A field ends in a sector noun, not in an actor, a scope or an abstract word.
        if toks and toks[-1].word in NON_FIELD_HEADS:
            return True
        if len(toks) == 1 and toks[0].pos.startswith("v"):
            return True  # 生产产业, 构筑产业: a verb alone is not a field
        if re.search(r"(?:新兴|传统|未来|重大|优势|先导性|支柱性|密集|化|性|型)$", field_):
            return True
        return all_generic(field_) or field_[-1] in "的了在"


def _in_field_list(text: str, s: int, e: int) -> bool:
    """True if text[s:e] is an item of a 、-list closed by 等…领域/产业/行业 (a list of fields)."""
    i = e
    while True:
        m = re.match(r"、[^，。；：！？、等]{1,12}", text[i:])
        if not m:
            break
        i += m.end()
    return bool(re.match(r"等(?:[^，。；、]{0,6}?)(?:领域|产业|行业|赛道|方向|环节|板块|技术)", text[i:])) or bool(
        re.match(r"[^，。；、]{0,3}等(?:[^，。；、]{0,6}?)(?:领域|产业|行业|赛道|方向|环节|板块|技术)", text[i:])
    )


class KnownRecognizer:
    """Names and aliases already confirmed (``KnownEntities``), found again as whole words."""

    name = "known"

    def __init__(self, known: KnownEntities):
        self.known = known

    def __call__(self, text: str) -> list[Span]:
        matches = self.known.find(text)
        if not matches:
            return []
        bounds = token_boundaries(text)
        spans = []
        for s, e in matches:
            surface = text[s:e]
            # Short forms (two or three characters) must be whole words, not part of a longer one.
            if len(surface) <= 3 and (s not in bounds or e not in bounds):
                continue
            canon = self.known.canonical(surface) or surface
            type_ = self.known.types.get(canon)
            if not type_:
                continue
            spans.append(Span(s, e, surface, type_, name=surface, source=self.name, confidence=0.85))
        return spans


class ListRecognizer:
    """Unknown items of a list whose other items are entities of one type: 华鑫集团、晨阳乳业、
    禾润食品、绿荫园等 -> 绿荫园 is an ENTERPRISE too; also lists closed by 等N家企业/商户/公司.

    Runs after the other layers (it needs their spans): see ``recognize``.
    """

    name = "list"
    CLOSER = re.compile(
        rf"(?:等[{CN_NUM}0-9]*家?|[{CN_NUM}0-9]+家|等一批)[^，。；、]{{0,8}}?(企业|公司|商户|商家|民宿)"
    )

    def extend(self, text: str, spans: list[Span]) -> list[Span]:
        """New spans for untyped items of enumerations next to typed ones."""
        out = []
        for m in re.finditer(r"[^，。；：！？“”()（）\s]+(?:、[^，。；：！？“”()（）\s、]+)+", text):
            seg_start = m.start()
            items, pos = [], seg_start
            for it in m.group().split("、"):
                items.append((pos, pos + len(it)))
                pos += len(it) + 1
            # The last item may run on: 绿荫园等积极参与 -> cut at 等 / 和 / 两家.
            ls, le = items[-1]
            tail = text[ls:le]
            cut = re.search(r"等|两家|[0-9一二三四五六七八九十]+家|分别|均|都|的|通过|积极|成立|专门", tail)
            closer_type = None
            rest = text[ls + (cut.start() if cut else len(tail)) :]
            cm = self.CLOSER.match(rest)
            if cm and cm.start() == 0 and cut:
                closer_type = "ENTERPRISE"
            if cut:
                items[-1] = (ls, ls + cut.start())
            # The first item may start after a verb: 会同迈德 -> 迈德.
            fs, fe = items[0]
            b = left_boundary(text, fe, max_len=10)
            items[0] = (max(fs, b), fe)
            types = {}
            for s, e in items:
                for sp in spans:
                    if sp.start <= s and sp.end >= e or (sp.start >= s and sp.end == e):
                        types[(s, e)] = sp.type
            counts: dict[str, int] = {}
            for t in types.values():
                counts[t] = counts.get(t, 0) + 1
            lexical_regions = all(text[s:e] in region_shorts() or text[s:e] in region_lexicon() for s, e in items)
            if counts:
                best = max(counts, key=counts.__getitem__)
                if best == "REGION" and lexical_regions:
                    counts[best] = len(items)  # 吴中、常州、扬州、无锡: every item is a place name
                if counts[best] < max(1, len(items) // 2) or best not in ("ENTERPRISE", "REGION"):
                    if not closer_type:
                        continue
                    best = closer_type
            elif closer_type:
                best = closer_type
            else:
                continue
            for s, e in items:
                if (s, e) in types or not (2 <= e - s <= 6):
                    continue
                # Every new item must be a nominal word run (not 企业品质优, 发展潜力大).
                if left_boundary(text, e, max_len=8) > s:
                    continue
                if best == "REGION" and not lexical_regions:
                    continue
                if best == "ENTERPRISE" and not counts and not has_proper(text, s, e):
                    continue  # 机器视觉、航空发动机等企业: fields, not company names
                last = _prefix_tokens(text, s, e)[-1]
                if not (last.pos[:1] in ("n", "j") or last.pos in ("eng", "x?") or not _known_words().get(last.word)):
                    continue
                if any(sp.start < e and sp.end > s for sp in spans):
                    continue
                surface = text[s:e]
                if not re.fullmatch(rf"[{HAN}A-Za-z0-9·]+", surface) or all_generic(surface):
                    continue
                out.append(_span(text, s, e, best, self.name, 0.55))
        return out


# --------------------------------------------------------------------------- merge / entry points


def merge_spans(spans: list[Span]) -> list[Span]:
    """Resolve overlapping spans: the longest wins, then the most confident, then by type priority.

    Spans from any number of layers (rules, lexicons, a statistical model) can be passed; the
    result is non-overlapping and sorted by offset. Identical spans from several layers count once.
    """
    order = sorted(spans, key=lambda s: (-(s.end - s.start), -s.confidence, TYPE_PRIORITY.get(s.type, 99), s.start))
    taken: list[Span] = []
    used = bytearray(max((s.end for s in spans), default=0) + 1)
    for s in order:
        if s.end <= s.start or any(used[s.start : s.end]):
            continue
        taken.append(s)
        for i in range(s.start, s.end):
            used[i] = 1
    return sorted(taken, key=lambda s: s.start)


def fill_gaps(rule_spans: list[Span], model_spans: list[Span]) -> list[Span]:
    """Merge the model's spans into the rules' (rules are precise on what they know; the model finds
    names nobody listed: 绿庭国际, 浙商银行).

    A model span is added where it overlaps no rule span. It also replaces rule spans when it is an
    organisation or person name that strictly contains them and they are all REGION: the longest
    proper name wins (北京市消防局 over its 北京市, 尹朝阳 over the short form 朝阳). A REGION or
    ZONE from the model never replaces the gazetteer's divisions.
    """
    result = list(rule_spans)
    for m in merge_spans(model_spans):
        overlapping = [r for r in result if r.start < m.end and m.start < r.end]
        if not overlapping:
            result.append(m)
        elif m.type not in ("REGION", "ZONE") and all(
            r.type == "REGION" and m.start <= r.start and r.end <= m.end and r.end - r.start < m.end - m.start
            for r in overlapping
        ):
            result = [r for r in result if not any(r is o for o in overlapping)] + [m]
    return sorted(result, key=lambda s: s.start)


# How the default extraction merges the model (measured in README "The statistical model"). In
# party-building text the rules know the vocabulary and the model, trained mostly on other genres,
# is far less precise than they are: only spans it is nearly sure of are added. Elsewhere (a general
# news item, a company report) the rules know little and the model leads.
DOMAIN_WORDS = re.compile(r"党建|党委|党支部|党总支|党工委|党组织|党员")
MODEL_MIN_CONFIDENCE = 0.85  # in documents with the domain's vocabulary
MODEL_MIN_CONFIDENCE_ELSEWHERE = 0.5  # in documents without it
# The model's types (ner_labels.MODEL_TYPES, the one list) but divisions and zones: the gazetteer and
# the rules find those.
MODEL_TYPES = tuple(t for t in ner_labels.MODEL_TYPES if t not in ("REGION", "ZONE"))
GENERIC_BODY_ENDINGS = ("部门", "单位", "机构", "方面")
NOT_NAME_START = ("d", "p", "c", "u", "r", "m", "q", "f", "y", "e", "o", "ul", "uj")  # not verbs: 招商银行


def looks_like_name(text: str, span: Span) -> bool:
    """False for a model span that starts with a function word, pronoun or numeral (其他企业,
    各镇党委, 第一批…), whose head runs on into a longer word (工信部|门), or that is one generic
    word or a bare head (公司, 联盟)."""
    toks, _ = analyze(text)
    inside = [t for t in toks if span.start <= t.start < span.end]
    if not inside:
        return True
    first = inside[0]
    if first.start == span.start and (
        (first.pos.startswith(NOT_NAME_START) and first.pos != "eng")
        or first.word in STOP_WORDS
        or first.word in ACTION_WORDS
        or _is_number_word(first.word)
    ):
        return False
    surface = text[span.start : span.end]
    following = text[span.end : span.end + 1]
    # The head is part of a longer word (宁德市工信部|门 is the department in general): the rules' own test.
    if following and any(surface.endswith(head) and following in blockers for head, blockers in HEAD_BLOCKERS.items()):
        return False
    if surface.endswith(GENERIC_BODY_ENDINGS):  # 工信部门, 相关单位: departments in general, not one body
        return False
    _heads()
    return not (surface in GENERIC_PREFIX_WORDS or surface in _HEAD_TYPE or surface in STOP_WORDS)


class ModelLayer:
    """The statistical model as one layer of the extraction stage (``RECOGNIZERS``).

    Wraps a ``ModelRecognizer`` and keeps the spans worth merging: of ``MODEL_TYPES``, passing
    ``looks_like_name``, and either ending in an organisation head of their own type
    (``ends_in_own_head``) or of confidence at least ``MODEL_MIN_CONFIDENCE`` in a document that uses
    the domain's vocabulary (``DOMAIN_WORDS``), ``MODEL_MIN_CONFIDENCE_ELSEWHERE`` in one that does
    not. ``KB_NER_MIN_CONFIDENCE`` sets one threshold for both.
    """

    name = "model"
    fills_gaps = True

    def __init__(self, model, in_domain: float | None = None, elsewhere: float | None = None):
        self.model = model
        fixed = os.environ.get("KB_NER_MIN_CONFIDENCE")
        self.in_domain = in_domain if in_domain is not None else float(fixed or MODEL_MIN_CONFIDENCE)
        self.elsewhere = elsewhere if elsewhere is not None else float(fixed or MODEL_MIN_CONFIDENCE_ELSEWHERE)
        self._domain: dict[str, bool] = {}

    def prepare(self, texts: list[str]) -> None:
        """Predict a document's paragraphs in one batch and note whether it is in the domain."""
        self.model.prepare(texts)
        flag = any(DOMAIN_WORDS.search(t) for t in texts)
        self._domain = {t: flag for t in texts}

    def threshold(self, text: str) -> float:
        in_domain = self._domain.get(text)
        if in_domain is None:  # a paragraph recognized on its own
            in_domain = bool(DOMAIN_WORDS.search(text))
        return self.in_domain if in_domain else self.elsewhere

    def __call__(self, text: str) -> list[Span]:
        threshold = self.threshold(text)
        return [
            s
            for s in self.model(text)
            if s.type in MODEL_TYPES
            and (s.confidence >= threshold or ends_in_own_head(text, s))
            and looks_like_name(text, s)
        ]


def ends_in_own_head(text: str, span: Span) -> bool:
    """True for a model span that ends in an organisation head of its own type (``ORG_HEADS``) after
    a name of two characters or more that is not a generic word, that joins no two phrases with a
    conjunction (街道社区|和|发展公司), and that the suffix rules' own tests do not rule out with
    the model's left boundary (``SuffixOrgRecognizer.rejects``: 江苏工信部, 这家锂电池公司). Whether
    the words before the head make a name is the model's call, not the rules' (滨江路商圈党建联盟,
    where jieba may see only common words).

    The merge keeps such a span whatever its confidence: the head is the rules' own evidence that a
    body is named there, and the model supplies the left boundary the rules could not find
    (杭州明远青少年活动中心, 滨江路商圈党建联盟)."""
    surface = text[span.start : span.end]
    head = next((h for h in _heads_longest_first() if surface.endswith(h)), None)
    if head is None or _HEAD_TYPE[head] != span.type:  # a sector head (…药业) is ENTERPRISE*: not here
        return False
    prefix = surface[: -len(head)]
    if len(prefix) < 2 or prefix in GENERIC_PREFIX_WORDS or prefix in STOP_WORDS:
        return False
    toks, _ = analyze(text)
    if any(t.pos == "c" and span.start < t.start < span.end for t in toks):
        return False
    return not SuffixOrgRecognizer.rejects(text, span.start, span.end - len(head), span.type, head)


def _model_layer() -> Recognizer:
    from ...ner_model import ModelRecognizer

    return ModelLayer(ModelRecognizer())


RULE_RECOGNIZERS: list[Recognizer] = [
    RegionGazetteer(),
    SettlementRecognizer(),
    SuffixOrgRecognizer(),
    PersonRecognizer(),
    IndustryRecognizer(),
]
MODEL_RECOGNIZER: Recognizer = _model_layer()
# The default layers: the rules, then the statistical model filling the gaps they leave.
RECOGNIZERS: list[Recognizer] = [*RULE_RECOGNIZERS, MODEL_RECOGNIZER]
LIST_RECOGNIZER = ListRecognizer()


@contextmanager
def using_layers(layers: list[Recognizer]):
    """Run extraction with these recognizer layers instead of ``RECOGNIZERS`` (restored afterwards):
    ``using_layers(RULE_RECOGNIZERS)`` is the rules alone."""
    saved = list(RECOGNIZERS)
    RECOGNIZERS[:] = layers
    try:
        yield
    finally:
        RECOGNIZERS[:] = saved


def recognize(text: str, known: KnownEntities | None = None, recognizers: list[Recognizer] | None = None) -> list[Span]:
    """Run all recognizers on one cleaned paragraph and merge; offsets index into ``text``.

    ``known`` adds a layer that finds names already confirmed; ``recognizers`` replaces the default
    layer list (to measure one layer alone, or to add a model).
    """
    if not text:
        return []
    with jieba_scope():
        return _recognize(text, known, recognizers)


def _recognize(text: str, known: KnownEntities | None, recognizers: list[Recognizer] | None) -> list[Span]:
    layers = list(RECOGNIZERS if recognizers is None else recognizers)
    if known is not None and len(known.types) + len(known.aliases):
        layers.append(KnownRecognizer(known))
    spans: list[Span] = []
    fill: list[Span] = []
    for r in layers:
        (fill if getattr(r, "fills_gaps", False) else spans).extend(r(text))
    spans = [s for s in spans if _keep(text, s)]
    merged = merge_spans(spans)
    if fill:
        merged = fill_gaps(merged, [s for s in fill if _keep(text, s)])
    if recognizers is None or LIST_RECOGNIZER in recognizers:
        extra = LIST_RECOGNIZER.extend(text, merged)
        if extra:
            merged = merge_spans(merged + extra)
    return merged


def _keep(text: str, s: Span) -> bool:
    """Last filters every layer shares: no span over punctuation of a clause, none too long."""
    surface = text[s.start : s.end]
    if re.search(r"[，。；！？,;!?\n]", surface):
        return False
    return len(surface) <= 40


def doc_known_from(
    spans_per_par: list[list[Span]], texts: list[str], base: KnownEntities | None = None
) -> KnownEntities:
    """Names found in a first pass over a document, with the short forms they license.

    A region's short form (江宁 for 江宁区) counts in the document once its full form was seen,
    or (for a county) once its parent city was; an organisation's short forms join it
    (南京禾丰食品有限公司 -> 禾丰食品); persons found by title are found again by name alone.
    """
    k = base.copy() if base is not None else KnownEntities()
    lex = region_lexicon()
    found_regions = set()
    for spans in spans_per_par:
        for s in spans:
            if s.source == "model":
                continue  # the model's names are not trusted enough to re-find or to reshape jieba's words
            if (
                s.type in ("PERSON", "INDUSTRY", "PARTY_ORG", "ALLIANCE", "ZONE", "INSTITUTION")
                or (s.type == "ENTERPRISE" and s.source != "list")
                or (s.type == "GOV_ORG" and len(s.name) > 3)
            ):
                k.add(s.name, s.type, org_short_forms(s.name, s.type))
            if s.type == "REGION":
                if s.name in lex:
                    found_regions.add(s.name)
                    e = lex[s.name]
                    if e.short:
                        k.add(s.name, "REGION", [e.short])
                elif s.source == "settlement":
                    k.add(s.name, "REGION")
    # Counties whose city appears (常州市 -> 溧阳, 金坛) may be named short.
    cities = {n for n in found_regions if lex[n].level in ("city", "province")}
    cities |= {lex[n].parents[0] for n in found_regions if lex[n].level == "county" and lex[n].parents}
    for text in texts:
        toks, _ = analyze(text)
        shorts = region_shorts()
        for t in toks:
            for e in shorts.get(t.word, ()):
                if e.level == "county" and set(e.parents) & cities and t.pos.startswith("ns"):
                    k.add(e.name, "REGION", [e.short])
    return k


ORG_STRIP = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团有限公司|公司)$")


def org_short_forms(name: str, type_: str) -> list[str]:
    """Short forms an article may use for an organisation: 南京华瑞化妆品有限公司 -> 华瑞化妆品;
    恒远电气公司 -> 恒远电气."""
    out = []
    if type_ == "ENTERPRISE":
        core = ORG_STRIP.sub("", name)
        if core != name and len(core) >= 2:
            out.append(core)
        # Drop a leading region: 南京华瑞化妆品 -> 华瑞化妆品.
        # Drop a leading place, full or short (province/city/county level, from the gazetteer).
        for L in range(min(6, len(core) - 3), 1, -1):
            head = core[:L]
            e = region_lexicon().get(head)
            shorts = [x for x in region_shorts().get(head, ()) if x.level != "town"]
            if (e and e.level != "town") or shorts:
                out.append(core[L:])
                break
    return [o for o in out if o != name]


def model_spans_of(text: str) -> list[Span]:
    """The HanLP model's raw spans of a paragraph (cached from the document's batch), or none."""
    model = getattr(MODEL_RECOGNIZER, "model", None)
    return model(text) if model is not None and getattr(model, "enabled", False) else []


def base_recognize_document(texts: list[str], known: KnownEntities | None = None) -> list[list[Span]]:
    """The base recognizers over all paragraphs of one document (two passes).

    The first pass finds names paragraph by paragraph; the second finds them again everywhere,
    together with the short forms they license in this document (see ``doc_known_from``).
    Returns one span list per input text, offsets into that text.
    """
    with jieba_scope():
        prepare_recognizers(texts)  # batch the model over the whole document once
        first = [recognize(t, known) for t in texts]
        doc_known = doc_known_from(first, texts, known)
        add_words(doc_known)
        return [recognize(t, doc_known) for t in texts]


def prepare_recognizers(texts: list[str]) -> None:
    """Let the recognizers that work in batches (the HanLP model) read ``texts`` at once; a later
    call on any of them is then answered from their cache."""
    for layer in RECOGNIZERS:
        if hasattr(layer, "prepare"):
            layer.prepare(texts)


_TYPE_TAG = {"REGION": "ns", "PERSON": "nr", "INDUSTRY": "n"}


def add_words(known: KnownEntities) -> None:
    """Make confirmed names single jieba words (青溪 in 青溪郊野公园), then forget cached tokens."""
    added = False
    for form in [*known.types, *known.aliases]:
        if 2 <= len(form) <= 12 and form not in _ADDED_WORDS:
            _add_jieba_word(form, _TYPE_TAG.get(known.type_of(form) or "", "nt"))
            added = True
    if added:
        analyze.cache_clear()


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.entities build-regions [SRC_DIR] [OUT]`` or ``... tag TEXT``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "build-regions":
        src = argv[1] if len(argv) > 1 else "/work/shared/data/admin_divisions_cn"
        out = argv[2] if len(argv) > 2 else str(REGION_LEXICON)
        n = build_region_lexicon(src, out)
        print(f"wrote {n} region names to {out}")
        return 0
    if argv and argv[0] == "tag":
        text = " ".join(argv[1:])
        for s in recognize(text):
            print(f"{s.start}\t{s.end}\t{s.type}\t{s.text}\t{s.source}")
        return 0
    print(main.__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
