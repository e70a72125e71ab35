"""Patterns and word lists the metric rules share: numerals, qualifiers, fractions, sentence ends, phrase words."""

from __future__ import annotations

import re

from pipeline.resources import words

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
