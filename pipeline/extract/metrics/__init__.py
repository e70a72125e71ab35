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

The parts: ``vocabulary`` (patterns, word lists), ``numbers`` (units, number values), ``quantities``
(candidates), ``exclusions`` (what is not a metric), ``indicators`` (indicator, subject, period).
"""

from __future__ import annotations

from pipeline.document import Document, Metric, Paragraph, Span

from .exclusions import _reject_reason, _sentence_bounds
from .indicators import _indicator_after, _indicator_before, _period, _sentence_subject, _spans_in
from .numbers import Quantity
from .quantities import _quote_regions, find_quantities
from .vocabulary import _NOT_SUBJECT_TYPES


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
