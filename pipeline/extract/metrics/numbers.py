"""Units and quantities, and a number span's value (cn2an on the span alone)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import cn2an

from pipeline.resources import resource

from .vocabulary import _CN_DIGITS, _FULLWIDTH, _MULTIPLIERS, _PRE


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
