"""Candidate quantities in a paragraph: a number with its unit or measure word, fractions, halves, doublings."""

from __future__ import annotations

import re

from .numbers import Quantity, Unit, load_units, normalize_number, not_unit_words, parse_number
from .vocabulary import (
    _CAND_RE,
    _CN_NUM_CHARS,
    _DOUBLING_RE,
    _FRACTION_RE,
    _HALF_RE,
    _PERCENT_WORD_RE,
    _POST_RE,
    _QUOTES,
    _RANGE_BEFORE_RE,
    _SLASH_FRACTION_RE,
    _WORDS_ENDING_IN_QUALIFIER,
)


def _match_unit(text: str, pos: int) -> Unit | None:
    for unit in load_units():
        if text.startswith(unit.surface, pos):
            return unit
    return None


def _quote_regions(text: str) -> list[tuple[int, int, bool]]:
    """Spans inside quotes or book-title marks: (start of content, end of content, is a 《》 title).

    Straight quotes (") are paired in order, since OCR'd text uses them for both sides.
    """
    regions = []
    stack: list[tuple[str, int]] = []
    straight = None
    for i, ch in enumerate(text):
        if ch in _QUOTES:
            stack.append((_QUOTES[ch], i))
        elif stack and ch == stack[-1][0]:
            _, j = stack.pop()
            regions.append((j + 1, i, ch == "》"))
        elif ch == '"':
            if straight is None:
                straight = i
            else:
                regions.append((straight + 1, i, False))
                straight = None
    return regions


def _in_short_quote(regions, start: int, end: int, max_len: int = 20) -> bool:
    for a, b, title in regions:
        if a <= start and end <= b and (title or b - a <= max_len):
            return True
    return False


def _pre_is_word(text: str, pos: int, pre: str) -> bool:
    """The qualifier is the end of a longer word (附近, 最近, 赶超, 跨上) rather than 近/超/上 + number."""
    return pos > 0 and text[pos - 1 : pos + 1] in _WORDS_ENDING_IN_QUALIFIER


def _fixed_forms(text: str) -> list[Quantity]:
    """Fractions, halves and doublings: shares without a unit and multiples, in their set phrasing."""
    out: list[Quantity] = []

    def add(m, value: float, unit: str, num: str) -> None:
        if any(q.start < m.end() and m.start() < q.end for q in out):
            return
        pre = m.groupdict().get("pre") or ""
        if pre and _pre_is_word(text, m.start(), pre):
            return
        post = m.groupdict().get("post") or ""
        out.append(Quantity(m.start(), m.end(), m.group(0), pre, num, post, value, unit, unit, cn=False))

    for m in _FRACTION_RE.finditer(text):
        if m.group("den") == "百":
            continue  # 百分之三十 is a percentage (above)
        try:
            value = normalize_number(m.group("num")) / normalize_number(m.group("den"))
        except (ValueError, ZeroDivisionError):
            continue
        if 0 < value <= 1:
            add(m, round(value, 4) if value >= 1e-4 else value, "", m.group("num"))
    for m in _SLASH_FRACTION_RE.finditer(text):
        a, b = int(m.group("num")), int(m.group("den"))
        if 0 < a < b:
            add(m, round(a / b, 4), "", m.group("num"))
    for m in _HALF_RE.finditer(text):
        add(m, 0.5, "", m.group("num"))
    for m in _DOUBLING_RE.finditer(text):
        n = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4}.get(m.group("n") or "一", 1)
        add(m, float(2**n), "倍", m.group(0))
    return out


def find_quantities(text: str) -> list[Quantity]:
    """Every number followed by a unit in text (no exclusion rules applied yet)."""
    out: list[Quantity] = []
    for m in _PERCENT_WORD_RE.finditer(text):
        try:
            value = normalize_number(m.group("num"))
        except ValueError:
            continue
        # 百分之三十 is unambiguous: not subject to the Chinese-numeral rules
        out.append(Quantity(m.start(), m.end(), m.group(0), "", m.group("num"), "", value, "%", "%", cn=False))
    out += _fixed_forms(text)
    taken = [(q.start, q.end) for q in out]
    for m in _CAND_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue  # inside a 百分之 form or the unit of the previous quantity (1.14万亿元)
        pre, num = m.group("pre") or "", m.group("num").rstrip()
        start = m.start()
        if pre and (_pre_is_word(text, m.start(), pre) or (pre == "上" and num[0] not in "百千万亿")):
            pre, start = "", m.start("num")  # 附近30户, 最近3年, 跨上400亿: not a qualifier
        if num[-1] == "千" and len(num) > 1:
            whole = _match_unit(text, m.start("num") + len(num) - 1)
            if whole is not None and whole.canonical.startswith("千"):
                num = num[:-1]  # 86.5千米, 120千瓦: the 千 belongs to the unit
        num_end = m.start("num") + len(num)
        pos = num_end
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        unit = _match_unit(text, pos)
        hm = re.match(r"个[多余半]?(小时|月|工作日)", text[pos : pos + 5])
        half = 0.0
        printed_len = None  # the printed length of the unit when it is not its surface (个多小时)
        if unit is not None and unit.surface == "个" and hm:
            # 1个多小时, 2个半月: the measure word is 小时/个月, not 个 (cases 27, 36); 半 adds a half
            wanted = {"月": "个月"}.get(hm.group(1), hm.group(1))
            unit = next((u for u in load_units() if u.surface == wanted), None)
            half = 0.5 if "半" in hm.group(0) else 0.0
            pos += hm.start(1)
            printed_len = len(hm.group(1))
        if unit is not None and any(len(w) > len(unit.surface) and text.startswith(w, pos) for w in not_unit_words()):
            unit = None  # the "unit" starts a longer word: 500亿台阶, 一家人
        money_guess = False
        if unit is None:
            # bare amount with a 万/亿 multiplier: money when the sentence speaks of money (checked later)
            if not re.search("[万亿]", num):
                continue
            end = num_end
            canonical, surface, scale, money_guess = "", "", 1.0, True
        else:
            end = pos + (printed_len or len(unit.surface))
            canonical, surface, scale = unit.canonical, unit.surface, unit.scale
        post = ""
        pm = _POST_RE.match(text, end)
        if pm:
            post, end = pm.group(1), pm.end()
        try:
            value, _ = parse_number(num)
            value += half
        except ValueError:
            continue
        rm = None if pre else _RANGE_BEFORE_RE.search(text[:start])
        if (
            rm
            and (not rm.group("unit") or rm.group("unit") in (surface, "%", "％"))
            and (rm.group("first")[0].isdigit() == num[0].isdigit())
        ):
            first = rm.group("first")
            if not re.search("[万亿]", first):
                first += "".join(re.findall("[万亿]", num))  # 2—3万元: 20000 to 30000
            try:
                value = parse_number(first)[0]  # a range (2至3个, 50%—60%): one metric, the lower bound
                start = rm.start()
                out = [q for q in out if not (start <= q.start < m.start())]
                taken = [(a, b) for a, b in taken if not (start <= a < m.start())]
            except ValueError:
                pass
        raw = re.sub(r"[ \t]+", "", text[start:end])
        out.append(
            Quantity(
                start,
                end,
                raw,
                pre,
                num,
                post,
                value * scale,
                canonical,
                surface,
                cn=num[0] in _CN_NUM_CHARS,
                money_guess=money_guess,
            )
        )
        taken.append((start, end))
    out.sort(key=lambda q: q.start)
    return out
