"""Metrics: the quantities a paragraph states, normalized to numbers.

A metric is a number followed by a unit or measure word ("216 家", "9.6万家", "83.2%", "三次"),
with the thing it counts (indicator), the entity or phrase it is about (subject), the period the
sentence gives, and the raw text. Only the number span is converted (cn2an on the span alone:
run on whole sentences it turns words such as 一体化 into 1体化).

What is left out, and why (these are the things annotators do not count in this genre):
- years, dates, ordinals (2021年, 3月7日, 第三批, 第40位, 五次全会) — 月/日 are not units, 年 is
  one only for durations (below), and 第 blocks;
- slogans and names: numbers inside short quotes or 《》 ("五个我来", "1+17+49", 《十四五》),
  numbers glued to + - ~ / or to Latin letters (1+8, 5+X, S88, Tp1000, 1-2 户),
  "N个" followed by another numeral (八个百分百, 五个一工程, 四个一批);
- Chinese-numeral counts with a classifier this genre uses rhetorically (十二项主题, 五张清单, 三大,
  一条主线): Chinese numerals are only taken with the units flagged ``cn`` in met_units.txt,
  and 一 only where it is a real count (after 每/a frequency word, or inside a list of counts);
- appositive counts that only count the list just before them (远航、华变两家公司; A、B、C三个党小组),
  unless the list ends with 等 (A、B等5家: the list is a sample, the count is news);
- counts that name a slogan: a Chinese-numeral count before a quote (五方面的"规定动作"), or a count
  restating the number of the quote just before it (“五个我来”5个方面);
- thresholds that name a class of things (产值超10亿元28家 → the 10亿元 is a class, 28家 the metric;
  超千万企业, 百人以上企业), and sizes listed before a product (300毫米、450毫米晶圆).

What is counted besides plain counts (CONVENTIONS.md cases 10, 20, 25):
- durations and ages (连续33年, 成立8年来, 12天, 3个小时后, 82岁), but not a year that frames a
  sentence or names a plan (十年来，… / 这十年 / 未来五年 / 五年规划), nor 20多年前;
- shares: fractions and halves with an empty unit (三分之一 → 0.3333, 1/4 → 0.25, 近一半 → 0.5),
  成 (七成 → 7 成), doublings (翻了一番 → 2 倍, 翻两番 → 4 倍);
- ranges, as one metric with the lower bound (2—3个 → 2, 50%—60% → 50, 三四个小时 → 3);
- bare multipliers before an amount unit (万亩 → 10000 亩, 万亿元 → 1e12 元), not before 级
  (万亿元级产业集群 names a class).

Units are as printed (CONVENTIONS.md case 25: 个百分点, 个月, 公斤); a 万/亿 multiplier is multiplied out
into the value and the unit after it kept (8.5亿元 → 850000000 元).

Approximate quantities keep their lower bound as the value: 280多家 → 280, 1000余家 → 1000,
近百家 → 100, 逾200人次 → 200, 30%以上 → 30; the qualifier stays in ``raw``.
A bare 万/亿 amount with no unit keeps an empty unit (465万 → 4650000, ""; case 20: a unit is never
guessed), except a sum collected or paid (税收跨上400亿, 利润, 善款, 贷款: _MONEY_WORDS), taken as 元.
百亿 normalizes to 1e10 (normalize_number("百亿")), but 超百亿 before a count is a threshold and is
not a metric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import cn2an
import jieba
import jieba.posseg

from pipeline.document import Document, Metric, Paragraph, Span
from pipeline.resources import resource, words

jieba.setLogLevel(60)


_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
_CN_NUM_CHARS = "零〇一二两三四五六七八九十百千万亿"
_CN_DIGIT_START = "零〇一二两三四五六七八九十"
_CN_DIGITS = "零一二三四五六七八九"
_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}

# Prefix qualifiers: approximations and bounds. They stay in the raw text, never in the value.
_PRE = "|".join(map(re.escape, words("met_phrase_words.txt", "QUALIFIER")))
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+"
_MULT = r"(?:[十百千]?万亿?|亿|千|百)"
_CAND_RE = re.compile(rf"(?P<pre>{_PRE})?(?P<num>(?:{_NUM})(?:[余多几]?[ \t]*{_MULT})?[余多几]?)")
_PERCENT_WORD_RE = re.compile(r"百分之(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百点]+)")
# Fractions (三分之一 → 0.3333, 千分之四 → 0.004, 1/6 → 0.1667) and halves (近一半, 半数以上): a share with
# no unit (case 20); doublings (翻了一番 → 2 倍, 翻两番 → 4 倍, 翻倍 → 2 倍).
_CN_INT = "[零〇一二两三四五六七八九十百千万]+"
_FRACTION_RE = re.compile(
    rf"(?P<pre>{_PRE})?(?P<den>{_CN_INT}|\d+)分之(?P<num>[零〇一二两三四五六七八九十百千]+|\d+(?:\.\d+)?)"
    rf"(?P<post>以上|以下|左右)?"
)
_SLASH_FRACTION_RE = re.compile(rf"(?P<pre>{_PRE})?(?<![\d./])(?P<num>\d{{1,2}})/(?P<den>\d{{1,2}})(?![\d./])")
_HALF_RE = re.compile(rf"(?<![另一])(?P<pre>{_PRE})?(?P<num>一半|半数)(?P<post>以上|左右)?")
_DOUBLING_RE = re.compile(r"翻了?(?P<n>[一两二三四])番多?|翻番|翻倍")
# The first figure of a range written before a quantity: 2—3个, 4至5天, 50%—60%, 2万—5万元, 12—15 ℃.
_RANGE_BEFORE_RE = re.compile(
    r"(?<![\d.])(?P<first>\d+(?:\.\d+)?[万亿]?|[一二两三四五六七八九十百千]+[万亿]?)(?P<unit>%|％|[^\d\s—–~～至到\-]{0,2}?)"
    r"[ \t]*(?:—{1,2}|–|~|～|至|到)[ \t]*$"
)
_POST_RE = re.compile(r"[ \t]*(以上|以下|左右|之多)")

_SENT_END = "。！？；!?;\n"
_CLAUSE_END = _SENT_END + "，,：:、（("
_QUOTES = {"“": "”", "「": "」", "『": "』", "《": "》", "‘": "’", "〈": "〉"}
_QUOTE_MARKS = {"“", "”", '"', "「", "」"}

# Words that make a bare 万/亿 amount a sum of money.
_MONEY_WORDS = words("met_phrase_words.txt", "MONEY")
# A threshold names a class of things: 超10亿元企业, 百人以上企业.
_THRESHOLD_NEXT = words("met_phrase_words.txt", "THRESHOLD_NEXT")
# Two-character words whose second character looks like a prefix qualifier (近 超 上 约 逾).
_WORDS_ENDING_IN_QUALIFIER = set(words("met_phrase_words.txt", "ENDS_IN_QUALIFIER"))
# Words that begin with a unit character but are not a unit (jieba's segmentation is no help here:
# it glues 家规 out of 280多家规上企业 as readily as 台阶 out of 500亿台阶).
# Words that begin with a unit but are a longer word (台阶, 家人, 升级): models/lexicons/met_not_units.txt.
# Characters before a Chinese numeral that make it part of a word (第三, 之一, 统一, 唯一, 初三 ...).
_CN_BLOCK_PREV = set("第之统唯同单专初周某几每万星礼这那")
# Frequency words that make 一次/一个 a real count (每年开展一次, 双月召开一次, 每季度一次).
_FREQ_RE = re.compile(r"[每双单半][年月周季日天]")
_EVERY_RE = re.compile(r"每(?!一)")  # 每年/每个网格 …一个: a count; 每一个 is not
# Words stripped from the ends of an indicator phrase taken from before the number.
_LEAD_STRIP = words("met_indicator_strip.txt", "LEAD")
_TAIL_STRIP = words("met_indicator_strip.txt", "TAIL")
# jieba tags that end a noun phrase taken after the unit.
_NP_STOP_FLAGS = {"v", "p", "c", "uj", "ul", "uz", "ug", "uv", "ud", "y", "m", "r", "f", "q"}
_NP_MAX = 16
# Entity types that are not what a count is about (persons are counted, not counting; sectors are fields).
_NOT_SUBJECT_TYPES = {"INDUSTRY", "PERSON"}
# Verbs that build compound nouns after a noun (智能制造企业, 党群服务站点, 文明实践站点).
_COMPOUND_VERBS = set(words("met_phrase_words.txt", "COMPOUND_VERBS"))
_PERIOD_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年(?:\s*(\d{1,2})\s*月)?")
_RELATIVE_YEAR = {"前年": -2, "去年": -1, "今年": 0, "明年": 1}


@dataclass(frozen=True)
class Unit:
    """One unit of the lexicon: surface form, canonical unit, scale, and whether Chinese numerals may count with it."""

    surface: str
    canonical: str
    scale: float
    cn: bool
    size: bool = False  # a dimension: in a list before a noun it names a product class (300毫米、450毫米晶圆)
    calendar: bool = False  # a duration unit that also writes dates (年): 2021年 is a date, 33年 a duration


@dataclass
class Quantity:
    """A number with its unit found in a text, before the exclusion rules are applied."""

    start: int
    end: int
    raw: str
    pre: str
    num: str
    post: str
    value: float
    unit: str
    unit_surface: str
    cn: bool  # the number is written with Chinese numerals (三次, 近百家)
    money_guess: bool = False  # a bare 万/亿 amount taken as 元


@lru_cache(maxsize=1)
def not_unit_words() -> tuple[str, ...]:
    """Words that start with a unit but are a longer word (met_not_units.txt): 台阶, 一家人, 升级."""
    lines = resource("lexicons", "met_not_units.txt").read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def load_units(path: str | None = None) -> tuple[Unit, ...]:
    """Read met_units.txt; longest surfaces first, so that 人次 wins over 人 and 万元 over 元."""
    units = []
    for line in Path(path or resource("lexicons", "met_units.txt")).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cols = line.split()
        surface = cols[0]
        canonical = cols[1] if len(cols) > 1 else surface
        scale = float(cols[2]) if len(cols) > 2 else 1.0
        flags = cols[3].split(",") if len(cols) > 3 else []
        units.append(Unit(surface, canonical, scale, "cn" in flags, "size" in flags, "calendar" in flags))
    units.sort(key=lambda u: -len(u.surface))
    return tuple(units)


# ---------------------------------------------------------------- numbers


def parse_number(s: str) -> tuple[float, str]:
    """Parse one number span; return (value, qualifier).

    Handles Arabic (1,021 / 9.6), Chinese numerals (一千, 两, 二十), 万/亿 multipliers (9.6万, 20余万),
    百分之 forms, and the qualifiers 余/多/几/近/约/逾/超/以上 (returned, not applied: the value is the
    stated bound). Raises ValueError when the span is not a number.
    """
    t = re.sub(r"\s+", "", s.translate(_FULLWIDTH)).replace(",", "")
    qual = []
    m = re.match(rf"({_PRE}|数)", t)
    if m and len(t) > len(m.group(1)):
        qual.append(m.group(1))
        t = t[m.end() :]
    m = re.search(r"(以上|以下|左右|之多)$", t)
    if m:
        qual.append(m.group(1))
        t = t[: m.start()]
    # The percent sign goes: the value is the number itself (百分之三十 → 30).
    if t.startswith("百分之"):
        t = t[3:]
    elif t.endswith("%"):
        t = t[:-1]
    if re.search("[余多几来]", t):
        qual.append("".join(re.findall("[余多几来]", t)))
        t = re.sub("[余多几来]", "", t)
    if not t:
        raise ValueError(f"not a number: {s!r}")
    if t[0] in "十百千万亿" and t[0] != "十":
        t = "一" + t  # 百亿 → 一百亿, 千万 → 一千万
    pair = re.fullmatch(r"([一二两三四五六七八九])([二三四五六七八九])([十百千万亿]*)", t)
    if pair and _CN_DIGITS.index(pair.group(2)) == _CN_DIGITS.index(pair.group(1).replace("两", "二")) + 1:
        t = pair.group(1) + pair.group(3)  # 三四个, 七八斤, 五六百元: a range, the lower bound
        qual.append(pair.group(2))
    arabic = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿]*)", t)
    try:
        if arabic:
            # Arabic digits with multipliers: 9.6万, 1.3万亿 (cn2an reads 9.6万 but not 1.3万亿)
            exact = Decimal(arabic.group(1))  # Decimal: 1.14万亿 is 1140000000000, not …999.9998
            for ch in arabic.group(2):
                exact *= _MULTIPLIERS[ch]
            value = float(exact)
        else:
            value = float(cn2an.cn2an(t, "smart"))  # cn2an reads 三点五 itself
    except (ValueError, KeyError) as exc:  # cn2an raises ValueError on malformed input
        raise ValueError(f"not a number: {s!r}") from exc
    return value, "".join(qual)


def normalize_number(s: str) -> float:
    """Normalize a number span to a float: '9.6万' → 96000, '20余万' → 200000, '三' → 3, '百亿' → 1e10.

    Qualifiers (余 多 近 超 逾 约 以上) are dropped from the value; use parse_number to keep them.
    """
    return parse_number(s)[0]


# ---------------------------------------------------------------- candidate quantities


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


# ---------------------------------------------------------------- exclusion rules


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    a = pos
    while a > 0 and text[a - 1] not in _SENT_END:
        a -= 1
    b = pos
    while b < len(text) and text[b] not in _SENT_END:
        b += 1
    return a, b


def _clause_before(text: str, pos: int) -> str:
    a = pos
    while a > 0 and text[a - 1] not in _CLAUSE_END and text[a - 1] not in _SENT_END:
        a -= 1
    return text[a:pos]


def _list_items_before(text: str, pos: int) -> int:
    """How many items a list right before pos has (A、B、C三个 → 3); 0 when there is no list."""
    a = pos
    while a > 0 and text[a - 1] not in "，,。；;：:！？!?\n（(":
        a -= 1
    seg = text[a:pos].strip()
    if not seg or not re.search(r"[\u4e00-\u9fffA-Za-z”\"）)]$", seg):
        return 0
    if re.search(r"\d", seg):
        return 0  # a list of counts (书记1名、副书记2名), not a list of names
    parts = [p for p in re.split(r"[、和与及]", seg.replace("以及", "、")) if p.strip()]
    return len(parts) if len(parts) >= 2 else 0


def _jieba_aligned(text: str, q: Quantity) -> bool:
    """A Chinese numeral (or its qualifier) must start a jieba word that does not run past the unit.

    This keeps 一家人, 一次性, 三番五次, 统一个人 out, and lets 近百家, 两家, 五个 in.
    """
    s0, s1 = _sentence_bounds(text, q.start)
    starts = {q.start, q.start + len(q.pre)}
    pos = s0
    for word in jieba.cut(text[s0:s1]):
        w0, w1 = pos, pos + len(word)
        pos = w1
        if w0 in starts and w1 <= q.end:
            return True
        if w0 > max(starts):
            break
    return False


_DATE_AFTER = words("met_phrase_words.txt", "DATE_AFTER")


def _is_date(text: str, q: Quantity) -> bool:
    """A year number or a word made on it (2021年, 二〇二一年, 80年代, 三年级), not a duration."""
    num = q.num.rstrip("余多几")
    if text.startswith(_DATE_AFTER, q.end):
        return True
    if re.search("[〇零]", num) and not re.search("[十百千万亿]", num):
        return True  # 二〇二一年, 一九九八年
    if re.fullmatch(r"[一二三四五六七八九]{4}", num):
        return True
    return (
        bool(re.fullmatch(r"(19|20)\d{2}", num))
        and num == q.num
        or bool(re.fullmatch(r"\d{4}", num))
        and num == q.num
        and not q.pre
    )


_FRAME_BEFORE = words("met_phrase_words.txt", "FRAME_BEFORE")
_FRAME_AFTER = words("met_phrase_words.txt", "FRAME_AFTER")


def _is_time_frame(text: str, q: Quantity) -> bool:
    """Years that frame a sentence or name a plan, not a measured duration: 十年来，… / 这十年 /
    未来五年 / 五年规划 / 三年行动 / 一年比一年. 连续33年, 成立8年来, 5年时间 are durations."""
    if q.num == "一":
        return True
    head = text[: q.start].rstrip(" \t")
    if head.endswith(_FRAME_BEFORE) or text.startswith(_FRAME_AFTER, q.end):
        return True
    clause_start = not head or head[-1] in _CLAUSE_END + "】"
    if (
        text.startswith("前", q.end)
        or (not head or head[-1] in "，,")
        and not text.startswith(("时间", "多", "来", "间", "以来"), q.end)
    ):
        return True  # 20多年前 (a point in time); ，十年巨变 (a phrase, not a measurement)
    if clause_start and re.match(r"[ \t]*[，,]", text[q.end :]):
        return True  # 近两年，… / 过去五年，…
    return text.startswith(("来", "间", "里", "以来"), q.end) and clause_start


def _restates_quote(text: str, q: Quantity) -> bool:
    """The quote right before q opens with the same number (“五个我来”5个方面)."""
    close = text[: q.start].rstrip(" \t")
    head = re.search(r"[“\"「]([零〇一二两三四五六七八九十百千]+|\d+)[^“”\"「」]{0,20}[”\"」]$", close)
    if not head:
        return False
    try:
        return abs(normalize_number(head.group(1)) - q.value) < 1e-9
    except ValueError:
        return False


def _reject_reason(text: str, q: Quantity, quotes, prev_ok: Quantity | None) -> str:
    """Why q is not a metric ('' when it is one)."""
    # neighbours, looking past spaces the cleaning left between digits and words ("第 3 批")
    before = text[: q.start].rstrip(" \t")[-1:]
    after = text[q.end :].lstrip(" \t")[:1]
    num_start = q.start + len(q.pre)
    s0, s1 = _sentence_bounds(text, q.start)
    sentence = text[s0:s1]
    if before and (before.isascii() and (before.isalnum() or before in ".+-~/_#&") or before in "～－—–·"):
        return "attached"  # S88, 1+8, 1-2户, 3.0版
    if after and (after in "+＋~～/-－" or (after.isascii() and after.isalpha())):
        return "attached"
    if before == "第":
        return "ordinal"
    if (
        before == "前"
        and text[q.start - 2 : q.start] != "提前"
        and q.unit in ("个月", "月", "天", "小时", "年", "个", "名", "位", "家")
    ):
        return "period"  # 今年前10个月; 排名前5家
    if _in_short_quote(quotes, q.start, q.end):
        return "quoted"
    if q.cn and q.value > 1 and re.match(r"[ \t]*的?[“\"「]", text[q.end :]):
        return "slogan"  # 五方面的"规定动作", 两个“确立”: a count that names a slogan
    if before in '”"」' and _restates_quote(text, q):
        return "slogan"  # “五个我来”5个方面: the number the slogan already states
    if q.unit_surface and q.unit_surface[-1] in "个项条家次" and re.match(r"[ \t]*(一|百分百)", text[q.end :]):
        return "slogan"  # 八个百分百, 五个一工程, 四个一批 (3个万亿级产业集群, 5个千亿产业集群 are counts)
    if q.money_guess and any(w in sentence for w in _MONEY_WORDS):
        q.unit = "元"  # 税收跨上400亿: a sum of money (the seed gold's reading)
    # a threshold naming a class: 超10亿元28家, 超千万企业, 百人以上企业
    rest = text[q.end : q.end + 4].lstrip()
    money = q.unit in ("元", "美元", "欧元") or q.money_guess
    if money and rest[:1] and (rest[0].isdigit() or rest[0] in _CN_DIGIT_START):
        return "threshold"  # 产值超10亿元28家: the amount names the class, the count is the metric
    if money and q.pre in ("超", "超过") and rest.startswith(_THRESHOLD_NEXT):
        return "threshold"  # 超千万企业, 超10亿元企业 (超1万家企业 stays: that counts enterprises)
    share = q.unit in ("%", "成") or (q.unit == "" and not q.money_guess)
    if q.post in ("以上", "以下") and not share and (rest.startswith(_THRESHOLD_NEXT) or rest[:1] == "的"):
        return "threshold"  # 百人以上企业, 6000元以下的手机 (75%以上的村 is a share: it stays)
    if q.post in ("以上", "以下") and q.unit in ("岁", "周岁"):
        return "threshold"  # 60岁以上老人: an age bound names a group
    unit = next((u for u in load_units() if u.surface == q.unit_surface), None)
    if unit and unit.calendar and _is_date(text, q):
        return "date"
    if re.match(r"[ \t]*级", text[q.end :]):
        return "class"  # 万亿元级产业集群, 千万千瓦级基地: the amount names a class
    if (
        unit
        and unit.calendar
        and q.num == "十"
        and not re.search(r"(连续|经过|用了?|历时|历经|长达)$", text[: q.start])
    ):
        return "time-frame"  # 十年 alone is the decade of a slogan (新时代十年, 十年禁渔)
    if unit and unit.calendar and _is_time_frame(text, q):
        return "time-frame"
    if unit and unit.size:
        other = rf"\d+(?:\.\d+)?[ \t]*{re.escape(unit.surface)}"
        if re.match(rf"[ \t]*、[ \t]*{other}", text[q.end :]) or re.search(rf"{other}[ \t]*、[ \t]*$", text[: q.start]):
            return "size-class"  # 300毫米、450毫米集成电路用晶体: sizes that name kinds of a product
    if re.match(r"[\u4e00-\u9fff]{0,8}(——|—)", text[q.end :]):
        return "appositive"  # 三家获证民宿——A、B、C: the names follow
    n_items = _list_items_before(text, q.start)
    if n_items and abs(n_items - q.value) < 1e-9 and text[: q.start].rstrip(" \t")[-1:] != "等":
        return "appositive"
    if q.cn:
        if q.unit_surface and not (unit and unit.cn) and not re.search("[百千万亿]", q.num):
            return "cn-unit"  # 十二项主题, 五张清单, 一条主线; 上千间, 近百万亩 are fine
        if q.num == "二" and q.unit_surface:
            return "cn-word"  # 二次开发, 二级: a count of two is written 两
        if before in _CN_BLOCK_PREV:
            return "cn-word"
        amount = unit is not None and (not unit.cn or unit.canonical in ("元", "美元", "欧元")) and unit.surface != "级"
        if q.num[0] in "百千万亿" and not q.pre and not amount:
            return "cn-bare"  # 百强, 千村, 万企 are words; 近百家, 逾百个 are counts; 万亩, 千亿元 are amounts
        if not _jieba_aligned(text, q):
            return "cn-word"
        if q.value == 1 and q.num == "一":
            tail = _clause_before(text, num_start)[-6:]
            in_list = (
                prev_ok is not None
                and prev_ok.start >= s0
                and q.start - prev_ok.end <= 15
                and re.search("[，,、和及与]", text[prev_ok.end : q.start]) is not None
            )
            if not (_EVERY_RE.search(text[s0:num_start]) or _FREQ_RE.search(tail) or in_list):
                return "cn-one"  # 有一家企业, 一个目标, 一条主线
    return ""


# ---------------------------------------------------------------- indicator, subject, period


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
    for w in jieba.posseg.cut(text[pos:stop]):
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
    if len(phrase) == 1 and not jieba.posseg.lcut(phrase)[0].flag.startswith("n"):
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
    for w in jieba.posseg.cut(s):
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


# ---------------------------------------------------------------- public entry point


def extract_metrics(
    text: str, spans: list[Span] | None = None, paragraph_idx: int = -1, doc_date: str | None = None
) -> list[Metric]:
    """Find the stated quantities of one cleaned paragraph.

    ``spans`` are entity mentions (offsets into ``text``; PERSON and INDUSTRY are never subjects) that
    may be the subject: the nearest one before the number in the same sentence, else the nearest one
    earlier in the paragraph (the topic the paragraph is about), else the sentence's opening noun
    phrase. The indicator is the noun phrase after the unit (216家非公企业 → 非公企业), else the
    measured thing before the number (组织覆盖率100% → 组织覆盖率). The period is a year (and month)
    the sentence states, or 去年/今年/前年/明年 resolved with ``doc_date`` ('2019-07-01', '20190701'),
    left as the word when there is no date.
    """
    quotes = _quote_regions(text)
    ents = sorted(_spans_in(text, spans), key=lambda s: s.end)
    metrics: list[Metric] = []
    prev_ok: Quantity | None = None
    for q in find_quantities(text):
        if _reject_reason(text, q, quotes, prev_ok):
            continue
        prev_ok = q
        s0, s1 = _sentence_bounds(text, q.start)
        sentence = text[s0:s1]
        before_q = [e for e in ents if e.end <= q.start and e.type not in _NOT_SUBJECT_TYPES]
        in_sentence = [e for e in before_q if e.start >= s0]
        subject, subject_text, subject_end = "", "", -1
        if in_sentence:
            e = in_sentence[-1]
            subject, subject_text, subject_end = e.name, e.text, e.end
        else:
            phrase = _sentence_subject(sentence)
            if before_q:
                subject, subject_text = before_q[-1].name, before_q[-1].text
            elif phrase:
                subject_text = phrase
            if phrase and text.find(phrase, s0, q.start) >= 0:
                subject_end = text.find(phrase, s0, q.start) + len(phrase)
        indicator = (
            _indicator_after(text, q) or _indicator_before(text, q, subject_end) or _indicator_before(text, q, -1)
        )  # 高新技术企业数量也达到2264家
        metrics.append(
            Metric(
                indicator=indicator,
                value=q.value,
                unit=q.unit,
                raw=q.raw,
                subject_text=subject_text,
                subject=subject,
                period=_period(sentence, doc_date),
                start=q.start,
                end=q.end,
                paragraph_idx=paragraph_idx,
            )
        )
    return metrics


def drop_heading_repeats(metrics: list[Metric], paragraphs: list[Paragraph]) -> list[Metric]:
    """Drop metrics of heading paragraphs whose (value, unit) the body states too.

    A headline such as "产业党组织覆盖率 100%" repeats a figure the body gives with its context
    ("组织覆盖率100%"); counting both would double it.
    """
    heading_idx = {p.idx for p in paragraphs if p.kind == "heading"}
    in_body = {(round(m.value, 6), m.unit) for m in metrics if m.paragraph_idx not in heading_idx}
    return [m for m in metrics if m.paragraph_idx not in heading_idx or (round(m.value, 6), m.unit) not in in_body]


def extract_document_metrics(doc: Document) -> list[Metric]:
    """Metrics of every paragraph of a cleaned document, with doc.entities as subject candidates.

    Paragraphs that repeat another (``duplicate_of``) are skipped, so an OCR repeat does not count a
    figure twice, and heading figures repeated in the body are kept once (drop_heading_repeats).
    """
    by_par: dict[int, list[Span]] = {}
    for sp in doc.entities:
        by_par.setdefault(sp.paragraph_idx, []).append(sp)
    found: list[Metric] = []
    for par in doc.paragraphs:
        if par.duplicate_of is None:
            found.extend(extract_metrics(par.text, by_par.get(par.idx), par.idx, doc.date))
    return drop_heading_repeats(found, doc.paragraphs)
