"""Overlapping spans: the rules' merge (longest, then most confident) and the model's gaps."""

from __future__ import annotations

from ...document import Span
from .lexicons import TYPE_PRIORITY

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
