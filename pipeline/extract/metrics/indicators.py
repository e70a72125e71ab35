"""What a metric counts, and its subject and period, from the words around the number."""

from __future__ import annotations

import re

from pipeline.document import Span

from ...segmenter import segmenter
from .exclusions import _clause_before, _sentence_bounds
from .numbers import Quantity
from .vocabulary import (
    _CLAUSE_END,
    _CN_DIGIT_START,
    _COMPOUND_VERBS,
    _LEAD_STRIP,
    _NP_MAX,
    _NP_STOP_FLAGS,
    _PERIOD_YEAR_RE,
    _QUOTE_MARKS,
    _RELATIVE_YEAR,
    _SENT_END,
    _TAIL_STRIP,
)


def _strip_phrase(s: str) -> str:
    s = s.strip(" \t“”\"'「」（）()")
    changed = True
    while changed and s:
        changed = False
        for w in _LEAD_STRIP:
            if s.startswith(w) and len(s) > len(w):
                s, changed = s[len(w) :], True
        for w in _TAIL_STRIP:
            if s.endswith(w) and len(s) > len(w):
                s, changed = s[: -len(w)], True
        s = s.strip(" \t")
    return s


def _nounish(flag: str) -> bool:
    return flag.startswith("n") or flag in ("vn", "j", "l", "an")


def _balance_quotes(s: str) -> str:
    """Drop quote marks left unpaired by cutting a phrase out of a sentence."""
    if s.count('"') % 2:
        s = s.replace('"', "")
    if s.count("“") != s.count("”"):
        s = s.replace("“", "").replace("”", "")
    return s


def _indicator_after(text: str, q: Quantity) -> str:
    """The noun phrase right after the unit: 216家非公企业或合作社 → 非公企业, 三家获证民宿 → 获证民宿.

    A verb after the first noun starts the predicate (两家非公企业开展了 → 非公企业) unless it is one
    of the verbs that build compound nouns (智能制造企业, 党群服务站点).
    """
    pos = q.end
    stop = pos
    while stop < len(text) and text[stop] not in _CLAUSE_END and stop - pos < 30:
        stop += 1
    words: list[tuple[str, str]] = []
    length, have_noun = 0, False
    for w in segmenter().posseg(text[pos:stop]):
        if w.word in _QUOTE_MARKS:
            words.append((w.word, "quote"))
            continue
        if w.word == "之" and have_noun:
            words.append((w.word, "u"))  # 妇女儿童之家
            continue
        if w.flag == "x" or w.flag in _NP_STOP_FLAGS and w.flag != "v" or w.flag.startswith("u"):
            break
        if w.flag == "v" and have_noun and w.word not in _COMPOUND_VERBS:
            break
        if length + len(w.word) > _NP_MAX:
            break
        words.append((w.word, w.flag))
        length += len(w.word)
        have_noun = have_noun or _nounish(w.flag)
    while words and not (_nounish(words[-1][1]) or words[-1][0] in "”」"):
        words.pop()  # end on a noun (or a closing quote)
    phrase = _balance_quotes("".join(word for word, _ in words).strip('“”"「」'))
    if len(phrase) == 1 and not next(segmenter().posseg(phrase)).flag.startswith("n"):
        return ""  # one character is a noun (镇, 村) or nothing
    return phrase


def _indicator_before(text: str, q: Quantity, subject_end: int) -> str:
    """The measured thing before the number: 组织覆盖率100% → 组织覆盖率.

    When the clause right before the number holds only a verb (…投资增速最快，达到了50.3%), the
    clause before it in the same sentence is used.
    """
    s0, _ = _sentence_bounds(text, q.start)
    end = q.start
    for _ in range(2):
        clause = _clause_before(text, end)
        start = end - len(clause)
        if start < subject_end <= end:
            clause = text[subject_end:end]
        phrase = _strip_phrase(clause)
        if end != q.start and (re.search(r"\d", phrase) or phrase[:1] in _CN_DIGIT_START):
            break  # the clause before is another count (四个…站点，两个老年活动室), not a name for this one
        if len(phrase) >= 2 and phrase not in _TAIL_STRIP and phrase not in _LEAD_STRIP:
            return _balance_quotes(phrase)
        if start - 1 <= s0 or text[start - 1] in _SENT_END:
            break
        end = start - 1
    return ""


def _sentence_subject(sentence: str) -> str:
    """The noun phrase a sentence opens with (its subject), after time words; '' when none."""
    s = _strip_phrase(re.split(r"[，,：:]", sentence, maxsplit=1)[0]) if sentence else ""
    words: list[str] = []
    for w in segmenter().posseg(s):
        if w.flag.startswith(("n", "j")) or w.flag in ("vn", "an", "l") and words:
            words.append(w.word)
        elif w.flag in ("ns", "nt", "nz", "nr"):
            words.append(w.word)
        else:
            break
    phrase = "".join(words)
    return phrase if len(phrase) >= 2 else ""


def _period(sentence: str, doc_date: str | None) -> str:
    m = _PERIOD_YEAR_RE.search(sentence)
    if m:
        return m.group(1) + (f"-{int(m.group(2)):02d}" if m.group(2) else "")
    for word, delta in _RELATIVE_YEAR.items():
        if word in sentence:
            year = re.match(r"((?:19|20)\d{2})", doc_date or "")
            return str(int(year.group(1)) + delta) if year else word
    return ""


def _spans_in(text: str, spans: list[Span] | None) -> list[Span]:
    """Spans whose offsets point at their text in this paragraph (others are relocated or dropped)."""
    good = []
    for sp in spans or []:
        if 0 <= sp.start < sp.end <= len(text) and text[sp.start : sp.end] == sp.text:
            good.append(sp)
        elif sp.text and sp.text in text:
            i = text.find(sp.text)
            good.append(
                Span(i, i + len(sp.text), sp.text, sp.type, sp.name, sp.source, sp.confidence, sp.paragraph_idx)
            )
    return good
