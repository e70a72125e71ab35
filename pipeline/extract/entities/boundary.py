"""A name's left boundary: how far before its head word a name reaches, and whether it is generic."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from ...gazetteer import region_lexicon, region_shorts
from ...resources import words
from ...segmenter import segmenter
from .lexicons import CN_NUM, PUNCT
from .persons import _POST_TITLES
from .tokens import Tok, _known_words, _split_at, analyze

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
    ordinary words glued together (新兴产业 = 新兴 + 产业, 国际航运 = 国际 + 航运). Remembered for
    the run, so it reads the base dictionary, not the words a document forced in."""
    seg = segmenter()
    if pos == "nz":
        return seg.base_freq(w) > 0
    if pos == "nt" and len(w) >= 4:
        for i in range(2, len(w) - 1):
            a, b = w[:i], w[i:]
            ta, tb = seg.base_tag(a), seg.base_tag(b)
            if (
                seg.base_freq(a) >= 100
                and seg.base_freq(b) >= 100
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
