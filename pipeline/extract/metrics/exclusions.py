"""Why a candidate quantity is not a metric: a date, a time frame, an ordinal, a quote restated, a threshold …"""

from __future__ import annotations

import re

from pipeline.resources import words

from ...segmenter import segmenter
from .numbers import Quantity, load_units, normalize_number
from .quantities import _in_short_quote
from .vocabulary import (
    _CLAUSE_END,
    _CN_BLOCK_PREV,
    _CN_DIGIT_START,
    _EVERY_RE,
    _FREQ_RE,
    _MONEY_WORDS,
    _SENT_END,
    _THRESHOLD_NEXT,
)


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
    for word in segmenter().cut(text[s0:s1]):
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
